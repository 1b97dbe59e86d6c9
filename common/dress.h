/* dress.h - what outbound mail of a channel gets on its way out: the
 * address's header and footer, the agent's signature, the contact card
 * (vCard 4.0) on an interaction's first reply, and an agent's
 * "#response NAME" line replaced by that response.  One module for the
 * milter (which dresses what leaves through the relay) and for
 * "mailacdctl template preview" (which shows it).
 *
 * Dressing is MIME-aware (GMime): a text/plain body gets the text
 * variants, text/html the HTML variants inside <body>, multipart/
 * alternative both (each in its part), multipart/mixed and related their
 * first text part of each kind; charsets and transfer encodings are kept
 * (a part whose charset cannot hold the added text becomes UTF-8; 7bit
 * becomes quoted-printable when 8-bit text is added).  Signed or
 * encrypted mail (S/MIME, PGP/MIME, inline PGP) is left untouched.
 *
 * Idempotent: each part dressed carries the parameter x-mailacd-dressed
 * in its Content-Type, the card the parameter x-mailacd-card, so mail
 * that passes twice (a resend) is dressed once; unknown Content-Type
 * parameters are ignored by every reader (RFC 2045 5).  A signature is
 * also not added where its text already is.  No I/O, no logging. */
#ifndef MAILACD_DRESS_H
#define MAILACD_DRESS_H

#include <stddef.h>
#include <time.h>

#include "cfg.h"
#include "tmpl.h"

#define DRESS_MAX	(32 * 1024 * 1024)	/* octets of a message dressed */

struct dress_in {
	const struct cfg_address *channel;	/* header, footer, card */
	const struct cfg_agent *agent;	/* signature; NULL: none */
	int	card;		/* attach the channel's card (first reply) */
	int	responses;	/* expand an agent's "#response NAME" line */
	struct tmpl_vars vars;	/* placeholders; channel.*, organization,
				   date and agent.name filled when NULL */
	time_t	now;
};

/* What dress_message did. */
enum dress_rc {
	DRESS_SAME = 0,		/* nothing to add (or all there already) */
	DRESS_CHANGED,		/* OUT holds the new body and headers */
	DRESS_SEALED,		/* signed or encrypted: left untouched */
	DRESS_UNKNOWN,		/* "#response NAME" names no response: refuse */
	DRESS_ERROR		/* WHY says what (memory, unparsable) */
};

/* The dressed message: the body and the top-level MIME headers it needs. */
struct dress_out {
	char	*body;		/* the new body, CRLF line ends */
	size_t	bodylen;
	char	*ctype;		/* top-level Content-Type value */
	char	*cte;		/* top-level Content-Transfer-Encoding, or
				   NULL: none */
	char	what[160];	/* "header footer signature card response=X" */
};

/* dress_message - dress the message of LEN octets at MSG (headers, a
 * blank line, the body; only its Content-* and MIME-Version headers are
 * read); WHY names what was done or what is wrong */
enum dress_rc dress_message(const struct dress_in *in, const char *msg,
		    size_t len, struct dress_out *out, char *why,
		    size_t whylen);

/* dress_out_free - free what OUT holds; it may be dressed again */
void	dress_out_free(struct dress_out *out);

/* dress_vcard - the vCard 4.0 of channel A (FN its display name, EMAIL its
 * address, ORG, TEL, URL, TITLE, NOTE from its card), CRLF, folded at 75
 * octets; malloc'd, NULL when A has no card */
char	*dress_vcard(const struct cfg_address *a);

/* dress_from_name - the display name of the From header value FROM
 * (RFC 2047 decoded) into BUF; 0, or -1 when it has none */
int	dress_from_name(const char *from, char *buf, size_t len);

/* dress_wanted - 1 when mail of channel A from agent G (or NULL) may get
 * something: A's header, footer or card, G's signature, or (G not NULL)
 * a response of the organisation's library */
int	dress_wanted(const struct cfg_address *a, const struct cfg_agent *g);

#endif
