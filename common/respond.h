/* respond.h - compose the messages mailacd writes itself to a customer:
 * acknowledgements and standard responses, from a response of the
 * organisation's library (cfg_response) and the values of one
 * interaction.
 *
 * The composed message is whole and ready to submit: RFC 5322 headers,
 * CRLF line ends, MIME (text/plain, text/html, or multipart/alternative
 * of both) with quoted-printable or base64 as the text needs, RFC 2047
 * encoded words in the Subject and display names, threaded with
 * In-Reply-To and References.  It is undressed: the channel's header,
 * footer and signature are added by the milter when the message passes
 * the relay, so that one place dresses all outbound mail.
 *
 * The same input gives the same bytes (the date is IN->now, the MIME
 * boundary derives from the Message-ID), so a retry resends exactly what
 * the first try sent.  No I/O, no logging. */
#ifndef MAILACD_RESPOND_H
#define MAILACD_RESPOND_H

#include <stddef.h>
#include <time.h>

#include "cfg.h"
#include "tmpl.h"

struct respond_in {
	const struct cfg *cfg;
	const struct cfg_address *channel;	/* From: display_name <address> */
	const struct cfg_response *response;
	const char *to, *to_name;	/* the customer; TO_NAME may be NULL */
	const char *in_reply_to;	/* customer's Message-ID with <>, or NULL */
	const char *references;	/* their References, or NULL */
	int	automatic;	/* acknowledgement: Auto-Submitted: auto-replied
				   (RFC 3834) */
	const char *message_id;	/* with <>; the caller keeps it so a retry
				   sends the same bytes */
	time_t	now;
	struct tmpl_vars vars;	/* caller's values; respond fills channel.*,
				   organization, date when NULL */
};

/* respond_compose - the whole message for IN, malloc'd, NUL-terminated,
 * *LENP octets; NULL with WHY when IN cannot be composed (no recipient,
 * a malformed id, out of memory) */
char	*respond_compose(const struct respond_in *in, size_t *lenp, char *why,
		    size_t whylen);

/* respond_fill - fill the values of VARS that respond_compose fills
 * (channel.address, channel.name, organization, date) from CHANNEL and
 * NOW where they are NULL; DATEBUF (of DATELEN) holds the date */
void	respond_fill(struct tmpl_vars *vars, const struct cfg_address *channel,
		    time_t now, char *datebuf, size_t datelen);

#endif
