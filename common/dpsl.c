/* dpsl.c - is this a proper subdomain? The Public Suffix List decides
 * (libpsl).  Named dpsl, not psl: libpsl owns that prefix. */
#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libpsl.h>

#include "dpsl.h"

#define DPSL_NAME_MAX	253

static pthread_once_t dpsl_once = PTHREAD_ONCE_INIT;
static const psl_ctx_t *dpsl_ctx;	/* loaded once, kept until exit */

/* dpsl_load - the newest list: the distribution's file or the built-in */
static void
dpsl_load(void)
{
	dpsl_ctx = psl_latest(NULL);
	if (dpsl_ctx == NULL)
		dpsl_ctx = psl_builtin();
}

/* dpsl_norm - DOMAIN in lower case without its trailing dot into OUT
 * (DPSL_NAME_MAX + 1); -1 with a reason in WHY unless it is a host name
 * (labels of letters, digits and inner hyphens): IP addresses and
 * all-numeric last labels are refused */
static int
dpsl_norm(const char *domain, char *out, char *why, size_t len)
{
	unsigned char bin[16];
	char   *p;
	size_t	n, lab = 0;
	int	digits = 1;

	n = strlen(domain);
	if (n == 0) {
		snprintf(why, len, "empty domain name");
		return (-1);
	}
	if (domain[n - 1] == '.')
		n--;
	if (n == 0 || n > DPSL_NAME_MAX)
		goto bad;
	memcpy(out, domain, n);
	out[n] = '\0';
	if (inet_pton(AF_INET, out, bin) == 1 ||
	    inet_pton(AF_INET6, out, bin) == 1 ||
	    (out[0] == '[' && out[n - 1] == ']')) {
		snprintf(why, len, "%s is an IP address: a campaign domain "
		    "must be a domain name such as news.example.com", domain);
		return (-1);
	}
	for (p = out; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (lab == 0 || lab > 63 || p[-1] == '-')
				goto bad;
			if (*p == '\0')
				break;
			lab = 0;
			digits = 1;
			continue;
		}
		if ((!isalnum((unsigned char)*p) && *p != '-') ||
		    (*p == '-' && lab == 0))
			goto bad;
		if (!isdigit((unsigned char)*p))
			digits = 0;
		*p = (char)tolower((unsigned char)*p);
		lab++;
	}
	if (digits)
		goto bad;		/* 1.2.3: no top-level domain is numeric */
	return (0);
bad:
	snprintf(why, len, "\"%s\" is not a valid domain name (labels of 1 "
	    "to 63 letters, digits and inner hyphens; an internationalised "
	    "name in its xn-- form)", domain);
	return (-1);
}

/* dpsl_get - the list, loaded on first use; NULL if none could be */
static const psl_ctx_t *
dpsl_get(void)
{
	if (pthread_once(&dpsl_once, dpsl_load) != 0)
		return (NULL);
	return (dpsl_ctx);
}

/* dpsl_check_subdomain - a proper subdomain, or why not */
int
dpsl_check_subdomain(const char *domain, char *why, size_t len)
{
	char	d[DPSL_NAME_MAX + 1];
	const psl_ctx_t *psl;
	const char *reg;

	if (dpsl_norm(domain, d, why, len) != 0)
		return (-1);
	if (strchr(d, '.') == NULL) {
		snprintf(why, len, "%s is a single label: a campaign domain "
		    "must be a subdomain such as news.example.com", d);
		return (-1);
	}
	if ((psl = dpsl_get()) == NULL) {
		snprintf(why, len, "cannot load the Public Suffix List (%s, "
		    "or libpsl's built-in copy)", psl_dist_filename());
		return (-1);
	}
	if (psl_is_public_suffix(psl, d) ||
	    (reg = psl_registrable_domain(psl, d)) == NULL) {
		snprintf(why, len, "%s is a public suffix: a campaign domain "
		    "must be a subdomain of a domain you registered, such as "
		    "news.example.%s", d, d);
		return (-1);
	}
	if (reg == d) {
		snprintf(why, len, "%s is a registrable domain (the public "
		    "suffix is %s): a campaign domain must be a subdomain "
		    "such as news.%s", d, strchr(d, '.') + 1, d);
		return (-1);
	}
	return (0);
}

/* dpsl_registrable - the registrable part of DOMAIN, inside DOMAIN */
const char *
dpsl_registrable(const char *domain)
{
	char	d[DPSL_NAME_MAX + 1], why[8];
	const psl_ctx_t *psl;
	const char *reg;

	if (dpsl_norm(domain, d, why, sizeof(why)) != 0 ||
	    (psl = dpsl_get()) == NULL ||
	    (reg = psl_registrable_domain(psl, d)) == NULL)
		return (NULL);
	return (domain + (reg - d));
}
