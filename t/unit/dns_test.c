/* dns_test - the DNS client and the domain ownership token.  t/0180-dns.t
 * drives it against a private dnsmasq:
 *	dns_test			TAP: no network (server syntax, name
 *					comparison, tokens)
 *	dns_test lookup SERVER MS TYPE NAME
 *					one lookup, printed as
 *					"status STATUS", "reason ...",
 *					"canonical NAME" (if any), one
 *					"answer ..." a line, "elapsed_ms N";
 *					SERVER "-" is resolv.conf
 *	dns_test token SECRET ORG DOMAIN
 *					the token, on one line */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "dns.h"
#include "dtoken.h"
#include "tap.h"

/* type_of - "TXT" and friends to DNS_TXT and friends; -1 if unknown */
static int
type_of(const char *s)
{
	static const int types[] = { DNS_A, DNS_CNAME, DNS_MX, DNS_TXT };
	size_t	i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(s, dns_type_name(types[i])) == 0)
			return (types[i]);
	return (-1);
}

/* lookup - the "lookup" command */
static int
lookup(const char *server, const char *ms, const char *type,
    const char *name)
{
	struct dns_result r;
	struct dns *dns;
	char	err[256];
	long long t0;
	size_t	i;
	int	t;

	if ((t = type_of(type)) < 0) {
		fprintf(stderr, "dns_test: unknown type %s\n", type);
		return (2);
	}
	dns = dns_new(strcmp(server, "-") == 0 ? NULL : server, atoi(ms),
	    err, sizeof(err));
	if (dns == NULL) {
		printf("error %s\n", err);
		return (1);
	}
	memset(&r, 0, sizeof(r));
	t0 = clock_mono_ms();
	dns_lookup(dns, name, t, &r);
	printf("status %s\n", dns_status_name(r.status));
	printf("reason %s\n", r.reason);
	if (r.canonical != NULL)
		printf("canonical %s\n", r.canonical);
	for (i = 0; i < r.count; i++)
		printf("answer %s\n", r.answers[i]);
	printf("elapsed_ms %lld\n", clock_mono_ms() - t0);
	dns_result_clear(&r);
	dns_free(dns);
	return (0);
}

/* token - the "token" command */
static int
token(const char *secret, const char *org, const char *domain)
{
	char	tok[DTOKEN_LEN + 1];

	if (dtoken_make(secret, org, domain, tok, sizeof(tok)) != 0) {
		printf("error\n");
		return (1);
	}
	printf("%s\n", tok);
	return (0);
}

/* bad_server - dns_new refuses SERVER, saying something with WANT */
static void
bad_server(const char *server, const char *want)
{
	struct dns *dns;
	char	err[256] = "";

	dns = dns_new(server, 500, err, sizeof(err));
	ok(dns == NULL && strstr(err, want) != NULL,
	    "server \"%s\" refused: %s", server, err);
	dns_free(dns);
}

/* unit - what needs no server */
static int
unit(void)
{
	static const char *good[] = { "127.0.0.1", "127.0.0.1@5353", "::1",
	    "2001:db8::53@53", "192.0.2.1@65535" };
	struct dns_result r;
	struct dns *dns;
	char	err[256], a[DTOKEN_LEN + 1], b[DTOKEN_LEN + 1];
	const char *secret = "a secret of sixteen+";
	size_t	i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		err[0] = '\0';
		dns = dns_new(good[i], 500, err, sizeof(err));
		ok(dns != NULL, "server \"%s\" accepted %s", good[i], err);
		dns_free(dns);
	}
	bad_server("127.0.0.1@", "port");
	bad_server("127.0.0.1@0", "port");
	bad_server("127.0.0.1@65536", "port");
	bad_server("127.0.0.1@53x", "port");
	bad_server("127.0.0.1:53", "not an IPv4 or IPv6 address");
	bad_server("[::1]@53", "not an IPv4 or IPv6 address");
	bad_server("dns.example.com", "not an IPv4 or IPv6 address");
	bad_server("@53", "want ADDRESS");
	dns = dns_new("127.0.0.1", 0, err, sizeof(err));
	ok(dns == NULL && strstr(err, "positive") != NULL,
	    "a timeout of 0 ms refused: %s", err);
	dns_free(dns);

	/* invalid names fail before anything is sent: no server needed */
	dns = dns_new("127.0.0.1@9", 100, err, sizeof(err));
	memset(&r, 0, sizeof(r));
	is_int(dns_lookup(dns, "a..b.example", DNS_TXT, &r), DNS_FAILED,
	    "an empty label: failed");
	ok(strstr(r.reason, "not a valid domain name") != NULL,
	    "saying so: %s", r.reason);
	dns_result_clear(&r);
	is_int(dns_lookup(dns, "", DNS_TXT, &r), DNS_FAILED, "an empty name");
	dns_result_clear(&r);
	is_int(dns_lookup(dns, "example.com", 99, &r), DNS_FAILED,
	    "an unsupported type");
	is_int((long long)r.count, 0, "no answers then");
	dns_result_clear(&r);
	dns_free(dns);
	dns_free(NULL);
	dns_result_clear(NULL);

	ok(dns_name_eq("Example.COM", "example.com"), "names: case");
	ok(dns_name_eq("example.com.", "EXAMPLE.com"), "names: trailing dot");
	ok(!dns_name_eq("example.com", "example.co"), "names: differ");
	ok(!dns_name_eq("example.com..", "example.com"),
	    "names: only one trailing dot ignored");
	ok(dns_name_eq(".", "."), "names: the root");
	is_str(dns_type_name(DNS_MX), "MX", "type name");
	is_str(dns_status_name(DNS_MISSING), "missing", "status name");

	ok(dtoken_make(secret, "acme", "news.example.com", a, sizeof(a)) == 0,
	    "a token is made");
	is_int((long long)strlen(a), (long long)DTOKEN_LEN, "DTOKEN_LEN long");
	ok(strncmp(a, DTOKEN_PREFIX, strlen(DTOKEN_PREFIX)) == 0 &&
	    strspn(a + strlen(DTOKEN_PREFIX), "0123456789abcdef") ==
	    DTOKEN_HEX, "prefix and 32 lower-case hex digits: %s", a);
	ok(dtoken_make(secret, "acme", "News.Example.COM.", b,
	    sizeof(b)) == 0, "again, another case, a trailing dot");
	is_str(b, a, "the same token");
	dtoken_make(secret, "beta", "news.example.com", b, sizeof(b));
	ok(strcmp(a, b) != 0, "another organisation: another token");
	dtoken_make(secret, "acme", "sales.example.com", b, sizeof(b));
	ok(strcmp(a, b) != 0, "another domain: another token");
	dtoken_make("another secret!!", "acme", "news.example.com", b,
	    sizeof(b));
	ok(strcmp(a, b) != 0, "another secret: another token");
	/* without the newline these two would sign the same octets */
	dtoken_make(secret, "acm", "ex.example.com", a, sizeof(a));
	dtoken_make(secret, "acme", "x.example.com", b, sizeof(b));
	ok(strcmp(a, b) != 0, "the separator keeps org and domain apart");
	is_int(dtoken_make(secret, "acme", "news.example.com", b,
	    DTOKEN_LEN), -1, "OUT one octet short: refused");
	is_int(dtoken_make("", "acme", "news.example.com", b, sizeof(b)), -1,
	    "an empty secret: refused");
	is_int(dtoken_make(secret, "ac\nme", "news.example.com", b,
	    sizeof(b)), -1, "an organisation with a newline: refused");
	is_int(dtoken_make(secret, "acme", "", b, sizeof(b)), -1,
	    "an empty domain: refused");
	is_int(dtoken_make(secret, "acme", ".", b, sizeof(b)), -1,
	    "the root: refused");
	return (done_testing());
}

int
main(int argc, char **argv)
{
	if (argc == 1)
		return (unit());
	if (argc == 6 && strcmp(argv[1], "lookup") == 0)
		return (lookup(argv[2], argv[3], argv[4], argv[5]));
	if (argc == 5 && strcmp(argv[1], "token") == 0)
		return (token(argv[2], argv[3], argv[4]));
	fprintf(stderr, "usage: dns_test [lookup SERVER MS TYPE NAME | "
	    "token SECRET ORG DOMAIN]\n");
	return (2);
}
