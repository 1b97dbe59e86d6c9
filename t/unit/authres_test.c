/* authres_test.c - unit tests for reading Authentication-Results: whose
 * header counts, which results vouch for the From domain. */
#include "authres.h"
#include "tap.h"

int
main(void)
{
	const char *ours = "mx.example.com";

	is_int(authres_check("mx.example.com; dmarc=pass header.from=customer.test",
	    ours, "customer.test"), AUTHRES_PASS, "dmarc=pass for the From domain");
	is_int(authres_check("MX.Example.COM 1; DMARC=Pass (p=none) "
	    "Header.From=Customer.Test", ours, "customer.test"), AUTHRES_PASS,
	    "case, a version and a comment do not matter");
	is_int(authres_check("mx.example.com;\r\n\tspf=fail smtp.mailfrom=x@customer.test;\r\n"
	    "\tdkim=pass (2048-bit key) header.d=mail.customer.test header.s=s1",
	    ours, "customer.test"), AUTHRES_PASS,
	    "dkim=pass with an aligned header.d (a subdomain), folded");
	is_int(authres_check("mx.example.com; spf=pass smtp.mailfrom=bounce@customer.test",
	    ours, "customer.test"), AUTHRES_PASS, "spf=pass with an aligned envelope domain");
	is_int(authres_check("mx.example.com; dkim=pass header.d=evil.test",
	    ours, "customer.test"), AUTHRES_NONE, "dkim=pass for another domain does not count");
	is_int(authres_check("mx.example.com; dkim=pass header.d=customer.test.evil.test",
	    ours, "customer.test"), AUTHRES_NONE, "nor for a look-alike suffix");
	is_int(authres_check("mx.example.com; dmarc=fail header.from=customer.test",
	    ours, "customer.test"), AUTHRES_NONE, "dmarc=fail");
	is_int(authres_check("mx.example.com; dmarc=pass header.from=other.test",
	    ours, "customer.test"), AUTHRES_NONE, "dmarc=pass for another From");
	is_int(authres_check("mx.example.com; dkim=pass (header.d=customer.test) header.d=evil.test",
	    ours, "customer.test"), AUTHRES_NONE, "a domain inside a comment is ignored");
	is_int(authres_check("evil.test; dmarc=pass header.from=customer.test",
	    ours, "customer.test"), AUTHRES_OTHER, "another authserv-id is not ours to read");
	is_int(authres_check("mx.example.com.evil; dmarc=pass header.from=customer.test",
	    ours, "customer.test"), AUTHRES_OTHER, "nor a longer one");
	is_int(authres_check("mx.example.com; none", ours, "customer.test"),
	    AUTHRES_NONE, "no result");
	is_int(authres_check("mx.example.com; dmarc=pass header.from=customer.test",
	    "", "customer.test"), AUTHRES_OTHER, "no authserv-id configured: nothing counts");
	is_int(authres_check("mx.example.com; dkim=pass header.i=@customer.test",
	    ours, "customer.test"), AUTHRES_PASS, "header.i's domain");
	return (done_testing());
}
