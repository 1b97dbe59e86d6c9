/* sign.c - the DKIM signer of outbound mail, on libopendkim.
 *
 * The signature covers the header fields of sign_hdrs that the message
 * leaves with (From over-signed, so that no From can be added after us)
 * and the whole body, relaxed/relaxed, RSA-SHA256 or Ed25519-SHA256 by
 * the domain's key.  outbound.c decides what the headers become and feeds
 * them here in the order they will leave. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dkim.h>

#include "sign.h"

/* A signature in progress. */
struct sign {
	DKIM	*dkim;
};

/* The header fields signed, when present (RFC 6376 5.4.1), From also
 * over-signed so that no From can be added after us. */
static const char *sign_hdrs[] = {
	"from", "reply-to", "sender", "subject", "date", "to", "cc",
	"message-id", "in-reply-to", "references", "mime-version",
	"content-type", "content-transfer-encoding", "auto-submitted",
	"list-unsubscribe", NULL
};
static const char *sign_oversign_hdrs[] = { "from", NULL };

static DKIM_LIB *sign_lib;

/* sign_init - the DKIM library with our header lists (libopendkim wants
 * the size of the pointer, not of the array, for list options) */
int
sign_init(void)
{
	if ((sign_lib = dkim_init(NULL, NULL)) == NULL)
		return (-1);
	if (dkim_options(sign_lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS,
	    sign_hdrs, sizeof(char **)) != DKIM_STAT_OK ||
	    dkim_options(sign_lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS,
	    sign_oversign_hdrs, sizeof(char **)) != DKIM_STAT_OK) {
		dkim_close(sign_lib);
		sign_lib = NULL;
		return (-1);
	}
	return (0);
}

/* sign_shutdown - free the DKIM library */
void
sign_shutdown(void)
{
	if (sign_lib != NULL)
		dkim_close(sign_lib);
	sign_lib = NULL;
}

/* sign_new - a signer for A's domain, when it has a key */
int
sign_new(const struct cfg_address *a, const char *jobid, struct sign **s,
    char *err, size_t errlen)
{
	const struct cfg_dkim *k = a->domain->dkim;
	DKIM_STAT st = DKIM_STAT_OK;

	*s = NULL;
	if (k == NULL || k->key == NULL || sign_lib == NULL)
		return (0);
	if ((*s = calloc(1, sizeof(**s))) == NULL) {
		snprintf(err, errlen, "DKIM signer for %s: out of memory",
		    a->domain->name);
		return (-1);
	}
	(*s)->dkim = dkim_sign(sign_lib, (const unsigned char *)jobid, NULL,
	    (dkim_sigkey_t)k->key, (const unsigned char *)k->selector,
	    (const unsigned char *)a->domain->name, DKIM_CANON_RELAXED,
	    DKIM_CANON_RELAXED, k->ed25519 ? DKIM_SIGN_ED25519SHA256 :
	    DKIM_SIGN_RSASHA256, -1, &st);
	if ((*s)->dkim == NULL) {
		free(*s);
		*s = NULL;
		snprintf(err, errlen, "DKIM signer for %s: %s",
		    a->domain->name, dkim_getresultstr(st));
		return (-1);
	}
	return (0);
}

/* sign_fail - the signer's complaint about STEP into ERR; -1 */
static int
sign_fail(const char *step, DKIM_STAT st, char *err, size_t errlen)
{
	snprintf(err, errlen, "DKIM %s: %s", step, dkim_getresultstr(st));
	return (-1);
}

/* sign_header - "Name: value" to the signer */
int
sign_header(struct sign *s, const char *name, const char *value, char *err,
    size_t errlen)
{
	size_t	nl = strlen(name), vl = strlen(value);
	char	*h;
	DKIM_STAT st;

	if ((h = malloc(nl + vl + 3)) == NULL)
		return (SIGN_NOMEM);
	memcpy(h, name, nl);
	memcpy(h + nl, ": ", 2);
	memcpy(h + nl + 2, value, vl + 1);
	st = dkim_header(s->dkim, (unsigned char *)h, nl + vl + 2);
	free(h);
	return (st == DKIM_STAT_OK ? 0 : sign_fail("header", st, err, errlen));
}

/* sign_eoh - no more headers */
int
sign_eoh(struct sign *s, char *err, size_t errlen)
{
	DKIM_STAT st = dkim_eoh(s->dkim);

	return (st == DKIM_STAT_OK ? 0 :
	    sign_fail("end of headers", st, err, errlen));
}

/* sign_body - a piece of the body */
int
sign_body(struct sign *s, const unsigned char *data, size_t len, char *err,
    size_t errlen)
{
	DKIM_STAT st = dkim_body(s->dkim, (unsigned char *)data, len);

	return (st == DKIM_STAT_OK ? 0 : sign_fail("body", st, err, errlen));
}

/* sign_finish - the DKIM-Signature value */
char *
sign_finish(struct sign *s, char *err, size_t errlen)
{
	unsigned char *buf = NULL;
	size_t	len = 0, i, n;
	char	*sig;
	DKIM_STAT st;

	if ((st = dkim_eom(s->dkim, NULL)) != DKIM_STAT_OK) {
		sign_fail("end of message", st, err, errlen);
		return (NULL);
	}
	if ((st = dkim_getsighdr_d(s->dkim, sizeof("DKIM-Signature: ") - 1,
	    &buf, &len)) != DKIM_STAT_OK || buf == NULL) {
		sign_fail("signature", st, err, errlen);
		return (NULL);
	}
	/* libopendkim folds with CR LF; a header value handed to the MTA is
	 * folded with LF alone (the MTA writes the CR), or every line of the
	 * signature would reach the receiver as CR CR LF */
	if ((sig = malloc(len + 1)) == NULL) {
		if (errlen > 0)
			err[0] = '\0';
		return (NULL);
	}
	for (n = 0, i = 0; i < len; i++)
		if (buf[i] != '\r')
			sig[n++] = (char)buf[i];
	sig[n] = '\0';
	return (sig);
}

/* sign_free - forget the signature in progress */
void
sign_free(struct sign *s)
{
	if (s == NULL)
		return;
	if (s->dkim != NULL)
		dkim_free(s->dkim);
	free(s);
}
