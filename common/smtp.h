/* smtp.h - the SMTP client of the router (forward mode, the mailbox
 * fetcher's hand-off) and of mailacdctl test-email: submit one message
 * through the relay of delivery.relay, or through an identity's own
 * server (struct cfg_smtp), with libcurl.  No Redis here. */
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

/* Where and how to submit: the relay of delivery.relay
 * (smtp_server_relay) or an identity's own server (smtp_server_own).
 * Points into the configuration it was made from, but for URL and NAME. */
struct smtp_server {
	char	url[1100];	/* smtp:// or smtps://, as delivery.relay */
	char	name[1100];	/* URL without user:password@, for logs */
	int	starttls;	/* enum cfg_tls */
	int	tls_verify;
	const char *ca_file;	/* NULL: the system's CA store */
	const char *user;	/* NULL: no SMTP AUTH */
	const char *password;
	int	timeout;	/* seconds a submission takes at most */
};

/* What the server answered, for those who show it (test-email). */
struct smtp_reply {
	int	code;		/* of LINE; 0: no answer */
	char	line[SMTP_WHY_MAX];	/* the failing answer, else the
					   last (the one to the message) */
	int	auth;		/* the server refused the user and
				   password */
	int	tls;		/* TLS failed: handshake, certificate,
				   STARTTLS */
};

/* smtp_server_relay - S is the relay of DC (delivery.*) */
void	smtp_server_relay(struct smtp_server *s,
		    const struct cfg_delivery *dc);

/* smtp_server_own - S is identity server M (TLS as configured, its user
 * and password), submissions within TIMEOUT seconds */
void	smtp_server_own(struct smtp_server *s, const struct cfg_smtp *m,
		    int timeout);

/* smtp_server_as - S is the server mail sent as ADDRESS (a registered
 * address, as an interaction records it) leaves through: the address's
 * own (its smtp group), else the relay of delivery.relay, both within
 * delivery.timeout.  The envelope sender for it: ADDRESS through its own
 * server (a provider sends only as the account), else delivery.sender.
 * For every submission the router makes as a channel. */
const char *smtp_server_as(struct smtp_server *s, const struct cfg *cfg,
		    const char *address);

/* smtp_send - submit message M (LEN bytes) from SENDER ("" the null
 * sender) to RCPT through server S, within its timeout; gives up at once
 * when *STOP becomes nonzero; WHY says what went wrong, REP (NULL: not
 * wanted) what the server answered.  curl_global_init() must have run.
 * The password never appears in WHY or REP. */
enum smtp_result smtp_send(const struct smtp_server *s, const char *sender,
		    const char *rcpt, const char *m, size_t len,
		    atomic_int *stop, char *why, size_t whylen,
		    struct smtp_reply *rep);

/* smtp_submit - submit message M (LEN bytes) from delivery.sender to RCPT
 * through the relay of DC, within delivery.timeout; gives up at once
 * when *STOP becomes nonzero (another thread may set it); WHY says what
 * went wrong.  curl_global_init() must have run. */
enum smtp_result smtp_submit(const struct cfg_delivery *dc, const char *rcpt,
		    const char *m, size_t len, atomic_int *stop, char *why,
		    size_t whylen);

/* smtp_relay_name - RELAY without a user:password@ part, for logs */
void	smtp_relay_name(const char *relay, char *out, size_t outlen);

#endif
