/* addr_test.c - unit tests for envelope address parsing and lookup keys. */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "tap.h"

/* parse_ok - IN parses to LOCAL and DOMAIN */
static void
parse_ok(const char *in, const char *local, const char *domain)
{
	struct addr a;
	char	err[128] = "";
	int	rc = addr_parse(in, &a, err, sizeof(err));

	ok(rc == 0, "parse %s (%s)", in, rc ? err : "ok");
	if (rc == 0) {
		is_str(a.local, local, "  local part of %s", in);
		is_str(a.domain, domain, "  domain of %s", in);
	}
}

/* parse_bad - IN is refused with reason WHY */
static void
parse_bad(const char *in, const char *why)
{
	struct addr a;
	char	err[128] = "";

	ok(addr_parse(in, &a, err, sizeof(err)) == -1, "refuse '%s'", in);
	is_str(err, why, "  reason for '%s'", in);
}

/* key_is - the lookup key of LOCAL@DOMAIN with the given options */
static void
key_is(const char *local, const char *domain, int cs, const char *seps,
    int strip, const char *want)
{
	char	key[300];

	ok(addr_key(local, domain, cs, seps, strip, key, sizeof(key)) == 0,
	    "key of %s@%s fits", local, domain);
	is_str(key, want, "  key of %s@%s cs=%d seps='%s' strip=%d", local,
	    domain, cs, seps ? seps : "", strip);
}

/* canon_ok - IN has the canonical LOCAL and DOMAIN */
static void
canon_ok(const char *in, const char *local, const char *domain)
{
	struct addr a;
	char	err[128] = "";
	int	rc = addr_canon(in, &a, err, sizeof(err));

	ok(rc == 0, "canon %s (%s)", in, rc ? err : "ok");
	if (rc == 0) {
		is_str(a.local, local, "  canonical local part of %s", in);
		is_str(a.domain, domain, "  canonical domain of %s", in);
	}
}

/* canon_bad - IN is refused as RC (ADDR_ESYNTAX or ADDR_ELONG), WHY */
static void
canon_bad(const char *in, int rc, const char *why)
{
	struct addr a;
	char	err[128] = "";

	is_int(addr_canon(in, &a, err, sizeof(err)), rc, "canon refuses '%.60s'",
	    in);
	is_str(err, why, "  reason for '%.60s'", in);
}

int
main(void)
{
	char	big[400], key[8];
	int	i;

	parse_ok("<support@example.com>", "support", "example.com");
	parse_ok("support@example.com", "support", "example.com");
	parse_ok(" <Support+Tag@EXAMPLE.com> ", "Support+Tag", "EXAMPLE.com");
	parse_ok("<@relay.example,@b.example:user@example.org>", "user",
	    "example.org");
	parse_ok("<\"john doe\"@example.com>", "\"john doe\"", "example.com");
	parse_ok("<\"a@b\"@example.com>", "\"a@b\"", "example.com");
	parse_ok("<user@[192.0.2.1]>", "user", "[192.0.2.1]");
	parse_ok("<j\xc3\xbcrgen@example.de>", "j\xc3\xbcrgen", "example.de");

	parse_bad("<>", "null address");
	parse_bad("", "null address");
	parse_bad("<postmaster>", "no domain");
	parse_bad("<user@>", "empty domain");
	parse_bad("<@example.com>", "malformed source route");
	parse_bad("<ventas@@globex.test>", "more than one '@'");
	parse_bad("<a@b@globex.test>", "more than one '@'");
	parse_bad("<a b@example.com>", "invalid character in local part");
	parse_bad("<user@example.com", "unbalanced angle brackets");
	parse_bad("<\"open@example.com>", "unterminated quoted string");
	parse_bad("<user@exa_mple.com>", "invalid domain");
	parse_bad("<user@-example.com>", "invalid domain");
	parse_bad("<user@example..com>", "invalid domain");
	memset(big, 'a', 65);
	strcpy(big + 65, "@example.com");
	parse_bad(big, "local part longer than 64 octets");
	memset(big, 'a', 300);
	big[300] = '\0';
	big[10] = '@';
	parse_bad(big, "address longer than 254 octets");

	key_is("Support", "EXAMPLE.COM", 0, "+", 1, "support@example.com");
	key_is("Support+Tag", "Example.com", 0, "+", 1, "support@example.com");
	key_is("Support+Tag", "Example.com", 0, "+", 0, "support+tag@example.com");
	key_is("Support+Tag", "Example.com", 1, "+", 1, "Support@example.com");
	key_is("sales-eu", "example.com", 0, "+-", 1, "sales@example.com");
	key_is("+weird", "example.com", 0, "+", 1, "+weird@example.com");
	key_is("a+b+c", "example.com", 0, "+", 1, "a@example.com");
	key_is("J\xc3\x9cRGEN", "example.de", 0, "", 1, "j\xc3\x9crgen@example.de");
	ok(addr_key("support", "example.com", 0, "+", 1, key, sizeof(key)) == -1,
	    "a key that does not fit is refused");

	ok(addr_valid_domain("example.com"), "example.com is a domain");
	ok(addr_valid_domain("xn--bcher-kva.example"), "A-label domain");
	ok(!addr_valid_domain("example.com."), "trailing dot refused");
	ok(!addr_valid_domain("exa mple.com"), "space refused");
	ok(!addr_valid_domain("example-.com"), "label ending in '-' refused");
	memset(big, 'a', 64);
	strcpy(big + 64, ".com");
	ok(!addr_valid_domain(big), "64-octet label refused");

	/* one spelling for every way of writing an address */
	canon_ok("<support@example.com>", "support", "example.com");
	canon_ok("<support@example.com.>", "support", "example.com");
	canon_ok("<Support@EXAMPLE.COM.>", "Support", "example.com");
	canon_ok("<\"support\"@example.com>", "support", "example.com");
	canon_ok("<\"Support\"@example.com>", "Support", "example.com");
	canon_ok("<\"support+x\"@example.com>", "support+x", "example.com");
	canon_ok("<\"s\\upport\"@example.com>", "support", "example.com");
	canon_ok("<\"first.last\"@example.com>", "first.last", "example.com");
	canon_ok("<@relay.example:\"support\"@example.com.>", "support",
	    "example.com");
	/* content that needs quotes keeps one quoted form */
	canon_ok("<\"x; queue=billing; priority=1000\"@example.com>",
	    "\"x; queue=billing; priority=1000\"", "example.com");
	canon_ok("<\"john doe\"@example.com>", "\"john doe\"", "example.com");
	canon_ok("<\"a\\\"b\"@example.com>", "\"a\\\"b\"", "example.com");
	canon_ok("<\"a..b\"@example.com>", "\"a..b\"", "example.com");
	/* U-labels become A-labels (IDNA2008, UTS #46 mapping) */
	canon_ok("<support@b\xc3\xbc" "cher.example>", "support",
	    "xn--bcher-kva.example");
	canon_ok("<support@B\xc3\x9c" "CHER.example.>", "support",
	    "xn--bcher-kva.example");
	canon_ok("<support@xn--bcher-kva.example>", "support",
	    "xn--bcher-kva.example");
	/* fullwidth letters map to ASCII, as the MTA's lookup would */
	canon_ok("<support@\xef\xbd\x85xample.com>", "support", "example.com");
	canon_ok("<j\xc3\xbcrgen@example.de>", "j\xc3\xbcrgen", "example.de");
	canon_ok("<user@[192.0.2.1]>", "user", "[192.0.2.1]");
	canon_ok("<user@[IPv6:2001:DB8::1]>", "user", "[ipv6:2001:db8::1]");
	canon_bad("<user@[xxx@]>", ADDR_ESYNTAX, "invalid address literal");
	canon_bad("<user@[192.0.2.300]>", ADDR_ESYNTAX,
	    "invalid address literal");
	canon_bad("<user@[]>", ADDR_ESYNTAX, "invalid address literal");
	canon_bad("<support@example.com..>", ADDR_ESYNTAX, "invalid domain");
	canon_bad("<sup port@example.com>", ADDR_ESYNTAX,
	    "invalid character in local part");
	canon_bad("<a..b@example.com>", ADDR_ESYNTAX,
	    "invalid character in local part");
	canon_bad("<\"support\"x@example.com>", ADDR_ESYNTAX,
	    "malformed quoted local part");
	canon_bad("<\"sup\x01port\"@example.com>", ADDR_ESYNTAX,
	    "control character in quoted local part");
	canon_bad("<\"\"@example.com>", ADDR_ESYNTAX, "empty local part");
	canon_bad("<support@>", ADDR_ESYNTAX, "empty domain");
	canon_bad("<support@.>", ADDR_ESYNTAX, "empty domain");
	canon_bad("<>", ADDR_ESYNTAX, "null address");
	canon_bad("<support@exa_mple.com>", ADDR_ESYNTAX, "invalid domain");
	memset(big, 'a', 65);
	snprintf(big + 65, sizeof(big) - 65, "@example.com");
	canon_bad(big, ADDR_ELONG, "local part longer than 64 octets");
	memset(big, 'a', 64);
	big[64] = '@';
	for (i = 65; i < 65 + 190; i += 10)
		memcpy(big + i, "abcdefghi.", 10);
	snprintf(big + 255, sizeof(big) - 255, "example.com");
	canon_bad(big, ADDR_ELONG, "address longer than 254 octets");
	{
		char	dom[300];

		ok(addr_domain_of("<x y@Example.COM.>", dom, sizeof(dom)) == 0 &&
		    strcmp(dom, "example.com") == 0,
		    "the domain of a refused address is found (%s)", dom);
	}
	return (done_testing());
}
