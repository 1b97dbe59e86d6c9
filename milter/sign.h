/* sign.h - the DKIM signer of outbound mail (libopendkim): one signature
 * per message, relaxed/relaxed, over the headers as they leave and the
 * whole body.  No libmilter and no Redis here. */
#ifndef MAILACD_SIGN_H
#define MAILACD_SIGN_H

#include <stddef.h>

#include "cfg.h"

/* A signature in progress; opaque. */
struct sign;

#define SIGN_NOMEM	(-2)	/* out of memory, not the signer's fault */

/* sign_init - the DKIM library with our header lists, once at start-up;
 * 0 or -1 */
int	sign_init(void);

/* sign_shutdown - free the DKIM library */
void	sign_shutdown(void);

/* sign_new - a signer for mail sent as A (JOBID names it in
 * libopendkim's messages) into *S: 0 with *S NULL when A's domain has no
 * key (or the library is not initialised), 0 with a signer, or -1 with
 * ERR */
int	sign_new(const struct cfg_address *a, const char *jobid,
		    struct sign **s, char *err, size_t errlen);

/* sign_header - "NAME: VALUE" to the signer; 0, -1 with ERR (the signer
 * refused it) or SIGN_NOMEM */
int	sign_header(struct sign *s, const char *name, const char *value,
		    char *err, size_t errlen);

/* sign_eoh - the end of the signed headers; 0 or -1 with ERR */
int	sign_eoh(struct sign *s, char *err, size_t errlen);

/* sign_body - LEN octets of the body; 0 or -1 with ERR */
int	sign_body(struct sign *s, const unsigned char *data, size_t len,
		    char *err, size_t errlen);

/* sign_finish - the DKIM-Signature value, folded with LF alone as a
 * header value handed to the MTA must be (caller frees); NULL with ERR
 * ("" when out of memory) */
char	*sign_finish(struct sign *s, char *err, size_t errlen);

/* sign_free - forget S; NULL is fine */
void	sign_free(struct sign *s);

#endif
