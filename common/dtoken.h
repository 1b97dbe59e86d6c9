/* dtoken.h - the domain ownership token: the TXT value an organisation
 * publishes to prove that a domain is theirs,
 *	mailacd-verification=<32 lower-case hex digits>
 * the first 128 bits of HMAC-SHA256(secret, org "\n" domain), DOMAIN in
 * lower case without a trailing dot.  Deterministic: the same secret,
 * organisation and domain always give the same token, so nothing needs
 * storing; another organisation or domain gives another. */
#ifndef MAILACD_DTOKEN_H
#define MAILACD_DTOKEN_H

#include <stddef.h>

#define DTOKEN_PREFIX	"mailacd-verification="
#define DTOKEN_HEX	32
/* the token's length, without the terminating NUL */
#define DTOKEN_LEN	(sizeof(DTOKEN_PREFIX) - 1 + DTOKEN_HEX)

/* dtoken_make - the token of DOMAIN for organisation ORG into OUT
 * (OUTLEN >= DTOKEN_LEN + 1); 0, or -1 when SECRET is empty, ORG holds a
 * newline, DOMAIN is empty or too long, OUT too short, or OpenSSL failed */
int	dtoken_make(const char *secret, const char *org, const char *domain,
		    char *out, size_t outlen);

#endif
