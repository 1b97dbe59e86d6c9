/* authres.h - Authentication-Results (RFC 8601) written by the relay's own
 * verifier: does it vouch for the From domain?  No I/O, no logging. */
#ifndef MAILACD_AUTHRES_H
#define MAILACD_AUTHRES_H

/* authres_check's answers */
#define AUTHRES_OTHER	(-1)	/* another authserv-id: not ours to read */
#define AUTHRES_NONE	0	/* ours, but nothing vouches for the domain */
#define AUTHRES_PASS	1	/* ours, and the From domain is authenticated */

/* authres_check - read header value VALUE: AUTHRES_OTHER when its
 * authserv-id is not AUTHSERV (case-insensitive); AUTHRES_PASS when it
 * says dmarc=pass for FROM_DOMAIN (header.from), or dkim=pass with a
 * header.d (or header.i domain) aligned with FROM_DOMAIN, or spf=pass
 * with an smtp.mailfrom domain aligned with it ("aligned": the same
 * registrable domain, RFC 7489 relaxed alignment); else AUTHRES_NONE */
int	authres_check(const char *value, const char *authserv,
		    const char *from_domain);

#endif
