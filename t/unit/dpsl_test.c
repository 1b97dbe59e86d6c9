/* dpsl_test - campaign domains against the Public Suffix List: proper
 * subdomains pass; registrable domains, public suffixes (ICANN and
 * private), IP addresses, single labels and malformed names are refused
 * with a reason that says which. */
#include <stdio.h>
#include <string.h>

#include "dpsl.h"
#include "tap.h"

struct dpsl_case {
	const char *domain;
	int	want;		/* 0 a proper subdomain, -1 refused */
	const char *why;	/* a part of the reason, when refused */
	const char *reg;	/* what dpsl_registrable says, NULL none */
};

static const struct dpsl_case cases[] = {
	{ "news.example.com", 0, NULL, "example.com" },
	{ "a.b.example.com", 0, NULL, "example.com" },
	{ "www.example.com", 0, NULL, "example.com" },
	{ "sales.example.co.uk", 0, NULL, "example.co.uk" },
	{ "x.user.github.io", 0, NULL, "user.github.io" },
	{ "News.Example.COM", 0, NULL, "Example.COM" },
	{ "news.example.com.", 0, NULL, "example.com." },
	{ "mail.example.blogspot.com", 0, NULL, "example.blogspot.com" },
	{ "news.example.test", 0, NULL, "example.test" },
	{ "example.com", -1, "example.com is a registrable domain (the "
	    "public suffix is com): a campaign domain must be a subdomain "
	    "such as news.example.com", "example.com" },
	{ "example.co.uk", -1, "example.co.uk is a registrable domain (the "
	    "public suffix is co.uk): a campaign domain must be a subdomain "
	    "such as news.example.co.uk", "example.co.uk" },
	{ "EXAMPLE.CO.UK.", -1, "example.co.uk is a registrable domain",
	    "EXAMPLE.CO.UK." },
	{ "user.github.io", -1, "user.github.io is a registrable domain (the "
	    "public suffix is github.io)", "user.github.io" },
	{ "example.blogspot.com", -1, "public suffix is blogspot.com",
	    "example.blogspot.com" },
	{ "example.test", -1, "registrable domain (the public suffix is "
	    "test)", "example.test" },
	{ "com", -1, "com is a single label", NULL },
	{ "co.uk", -1, "co.uk is a public suffix", NULL },
	{ "github.io", -1, "github.io is a public suffix", NULL },
	{ "blogspot.com", -1, "blogspot.com is a public suffix", NULL },
	{ "localhost", -1, "single label", NULL },
	{ "", -1, "empty domain name", NULL },
	{ ".", -1, "not a valid domain name", NULL },
	{ "1.2.3.4", -1, "1.2.3.4 is an IP address", NULL },
	{ "2001:db8::1", -1, "is an IP address", NULL },
	{ "[192.0.2.1]", -1, "is an IP address", NULL },
	{ "1.2.3", -1, "not a valid domain name", NULL },
	{ "news..example.com", -1, "not a valid domain name", NULL },
	{ ".example.com", -1, "not a valid domain name", NULL },
	{ "-news.example.com", -1, "not a valid domain name", NULL },
	{ "news-.example.com", -1, "not a valid domain name", NULL },
	{ "new s.example.com", -1, "not a valid domain name", NULL },
	{ "news_x.example.com", -1, "not a valid domain name", NULL },
	{ "nëws.example.com", -1, "xn-- form", NULL },
	{ "xn--nws-gla.example.com", 0, NULL, "example.com" },
	{ "a.b.c.d.example.com", 0, NULL, "example.com" },
};

int
main(void)
{
	const struct dpsl_case *c;
	const char *reg;
	char	why[512], long_label[80], long_name[300];
	size_t	i;
	int	rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		why[0] = '\0';
		rc = dpsl_check_subdomain(c->domain, why, sizeof(why));
		if (c->want == 0)
			ok(rc == 0, "\"%s\": a proper subdomain%s%s", c->domain,
			    rc ? ", yet " : "", rc ? why : "");
		else
			ok(rc == -1 && strstr(why, c->why) != NULL,
			    "\"%s\": refused: %s", c->domain, why);
		reg = dpsl_registrable(c->domain);
		is_str(reg, c->reg, "\"%s\": its registrable domain",
		    c->domain);
	}

	/* labels up to 63 octets, names up to 253 */
	memset(long_label, 'a', 63);
	snprintf(long_label + 63, sizeof(long_label) - 63, ".example.com");
	is_int(dpsl_check_subdomain(long_label, why, sizeof(why)), 0,
	    "a 63-octet label");
	memset(long_label, 'a', 64);
	snprintf(long_label + 64, sizeof(long_label) - 64, ".example.com");
	is_int(dpsl_check_subdomain(long_label, why, sizeof(why)), -1,
	    "a 64-octet label: refused");
	memset(long_name, 0, sizeof(long_name));
	for (i = 0; i < 241; i += 2)
		memcpy(long_name + i, "a.", 2);
	strcat(long_name, "example.com");	/* 253 octets */
	is_int((long long)strlen(long_name), 253, "a 253-octet name");
	is_int(dpsl_check_subdomain(long_name, why, sizeof(why)), 0,
	    "is a subdomain");
	long_name[0] = 'b';
	memmove(long_name + 1, long_name, strlen(long_name) + 1);
	is_int(dpsl_check_subdomain(long_name, why, sizeof(why)), -1,
	    "254 octets: refused");

	/* a short buffer gets a truncated reason, not an overflow */
	rc = dpsl_check_subdomain("example.co.uk", why, 8);
	ok(rc == -1 && strlen(why) == 7, "a reason cut to the buffer: '%s'",
	    why);
	return (done_testing());
}
