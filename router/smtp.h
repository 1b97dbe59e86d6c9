/* smtp.h - forward mode's SMTP client: submit one message through the
 * relay of delivery.relay with libcurl.  No Redis here. */
#ifndef MAILACD_SMTP_H
#define MAILACD_SMTP_H

#include <stdatomic.h>
#include <stddef.h>

#include "cfg.h"

#define SMTP_WHY_MAX	400	/* bytes of a relay's answer kept */

/* What became of one submission. */
enum smtp_result {
	SMTP_SENT,
	SMTP_TEMP,	/* try again later */
	SMTP_PERM,	/* the relay refused it for good (5xx) */
	SMTP_STOPPED	/* aborted because *STOP was set; not a failure */
};

/* smtp_submit - submit message M (LEN bytes) from delivery.sender to RCPT
 * through the relay of DC, within delivery.timeout; gives up at once
 * when *STOP becomes nonzero (another thread may set it); WHY says what
 * went wrong.  curl_global_init() must have run. */
enum smtp_result smtp_submit(const struct cfg_delivery *dc, const char *rcpt,
		    const char *m, size_t len, atomic_int *stop, char *why,
		    size_t whylen);

/* smtp_submit_as - smtp_submit with SENDER as MAIL FROM (the router's own
 * mail leaves as its channel, which the milter's outbound path signs) */
enum smtp_result smtp_submit_as(const struct cfg_delivery *dc,
		    const char *sender, const char *rcpt, const char *m,
		    size_t len, atomic_int *stop, char *why, size_t whylen);

/* smtp_relay_name - RELAY without a user:password@ part, for logs */
void	smtp_relay_name(const char *relay, char *out, size_t outlen);

#endif
