/* addr.h - parse and normalise RFC 5321/5322 mailbox addresses. No I/O. */
#ifndef MAILACD_ADDR_H
#define MAILACD_ADDR_H

#include <stddef.h>

#define ADDR_MAX	254
#define ADDR_LOCAL_MAX	64

/* A parsed mailbox: local part and domain, without angle brackets. */
struct addr {
	char	local[ADDR_LOCAL_MAX * 2 + 3];	/* quoted form may be longer */
	char	domain[ADDR_MAX + 1];
};

/* addr_parse - parse an envelope path ("<a@b>", "a@b", "<>" is an error);
 * returns 0, or -1 with a reason in ERR */
int	addr_parse(const char *in, struct addr *out, char *err, size_t errlen);

/* addr_canon's answers besides 0 */
#define ADDR_ESYNTAX	(-1)	/* not an address: 501 5.1.3 */
#define ADDR_ELONG	(-2)	/* past the RFC 5321 limits: 550 5.1.3 */

/* addr_canon - an envelope path in the one spelling the MTA delivers to:
 * the domain without its trailing dot and with U-labels as A-labels
 * (IDNA2008 with UTS #46 mapping, as Postfix's SMTPUTF8 support does), a
 * quoted local part unquoted when its content is a dot-atom ("support"
 * is support); a local part that needs quoting keeps one canonical quoted
 * form.  Returns 0, ADDR_ESYNTAX or ADDR_ELONG with a reason in ERR. */
int	addr_canon(const char *in, struct addr *out, char *err, size_t errlen);

/* addr_domain_of - the domain of envelope path IN as addr_canon would
 * write it, best effort for paths it refuses (for "is it one of ours?");
 * 0, or -1 when there is none */
int	addr_domain_of(const char *in, char *out, size_t outlen);

/* addr_key - the lookup key of LOCAL@DOMAIN: domain lower-cased, local part
 * lower-cased unless CASE_SENSITIVE, sub-address (from the first of SEPS)
 * removed when STRIP_TAG; returns 0, or -1 if it does not fit in KEYLEN */
int	addr_key(const char *local, const char *domain, int case_sensitive,
		    const char *seps, int strip_tag, char *key, size_t keylen);

/* addr_valid_domain - 1 if NAME is a syntactically valid domain name */
int	addr_valid_domain(const char *name);

#endif
