/* inbound.h - the inbound decision for one message: which envelope
 * recipients are registered, what the headers say, and the routing header
 * each interaction gets.  No libmilter and no Redis here, so it is testable. */
#ifndef MAILACD_INBOUND_H
#define MAILACD_INBOUND_H

#include <stddef.h>

#include "addr.h"
#include "cfg.h"
#include "edit.h"
#include "flow.h"
#include "inflow.h"

#define INB_ID_LEN	32	/* hex characters of an interaction id */

#define INB_THREAD_REFS	10	/* referenced Message-IDs looked up */

/* The thread keys of one interaction: its own Message-ID and the ones it
 * answers, each hashed with the registered address (hex SHA-256). */
struct inb_threads {
	char	own[65];	/* "" when the message has no Message-ID */
	char	refs[INB_THREAD_REFS][65];	/* In-Reply-To, then References
						   from the latest back */
	size_t	nrefs;
};

/* One interaction to create: a registered recipient of the message. */
struct inb_rcpt {
	const struct cfg_org *org;
	const struct cfg_route *route;
	char	*address;	/* registered address (catch-all: the rcpt key) */
	char	*rcpt;		/* the envelope recipient as given */
	const char *match;	/* "address" or "catch-all" */
	char	seen[65];	/* hex SHA-256 idempotency key */
	char	id[INB_ID_LEN + 1];	/* new id, or the one already recorded */
	int	reply;		/* the message answers interaction id */
	char	token_id[33];	/* a valid reply token's interaction, "" */
	int	token;		/* 1 valid, 0 none or forged, -1 expired */
	int	forward;	/* its queue resends to agents: store a copy */
	int	merge;		/* its queue merges a customer's new threads */
	int	merged;		/* the hand-off merged it into an open one */
	int	limited;	/* over milter.sender_rate_limit: not routed */
	int	redirect;	/* its domain's inbound is redirect or
				   hosted-redirect: forwarded mail */
	char	counted[ADDR_MAX + 80];	/* the identity sender_rate_limit
					   counted (inb_rate_identity) */
	/* what inb_decide works out for the hand-off */
	char	customer[ADDR_MAX + 1];	/* inb_customer, "" when none */
	char	identity[ADDR_MAX + 1];	/* inb_identity, "" when none */
	char	original[ADDR_MAX + 1];	/* inb_original, "" when none */
	int	has_original;	/* inb_original found one */
	struct inb_threads threads;	/* inb_threads */
	char	open_key[65];	/* hex SHA-256 of customer LF address: the
				   customer's open interaction here */
	char	rate_key[65];	/* hex SHA-256 of counted: the hourly count */
	int	limit;		/* milter.sender_rate_limit, or 0 when there
				   is nobody to count */
	int	counts;		/* the first recipient of its organisation:
				   this one counts the message */
	int	merge_new;	/* a new thread may merge into the open
				   interaction: the queue merges, and our
				   verifier vouched for the From */
	/* a route that names a flow: what it decided (inb_decide), and
	 * the route it made, which ROUTE then points to */
	int	flowed;
	struct flow_result fres;
	struct cfg_route eff;
	int	open;		/* the customer has an open interaction here
				   (openlook.c): 1, 0, or -1 not looked up */
	long long opens;	/* the flow's queue is closed now: when its
				   schedule opens (seconds since 1970), else 0 */
	/* what the hand-off answered */
	int	retried;	/* already recorded (an MTA retry) */
};

/* The forwarding headers that may name the original recipient, in the
 * order they are consulted (inb_original). */
enum inb_fwd_kind {
	INB_FWD_X_ORIGINAL_TO = 0,
	INB_FWD_DELIVERED_TO,
	INB_FWD_RESENT_TO,
	INB_FWD_X_FORWARDED_TO,
	INB_FWD_X_ENVELOPE_TO,
	INB_FWD_KINDS
};

#define INB_FWD_MAX	16	/* forwarding headers kept per message */

/* One forwarding header as it arrived. */
struct inb_fwd {
	int	kind;		/* enum inb_fwd_kind */
	char	*value;
};

#define INB_AUTHRES_MAX	16	/* Authentication-Results headers kept */

/* The message's header text as the hand-off records it: unfolded, decoded
 * and bounded once (inb_finish, inb_decide). */
struct inb_text {
	char	*msgid, *irt, *refs, *subject, *from, *sender;
	char	arrived[24], size[24];
	long long hour;		/* hours since the epoch */
};

struct inb_msg {
	char	qid[64];	/* MTA queue id or "NOQUEUE" */
	char	*sender;
	struct inb_rcpt *rcpts;
	size_t	nrcpts;
	size_t	rcpts_cap;
	struct edit_names ours;	/* X-MailACD-* names that arrived */
	char	*message_id;	/* raw header values, first occurrence */
	char	*in_reply_to;
	char	*references;
	char	*subject;
	char	*from;
	char	*reply_to;
	struct inb_fwd fwd[INB_FWD_MAX];	/* in arrival order */
	size_t	nfwd;
	const char *auto_reason;	/* why this looks automatic, or NULL */
	const char *noreply;	/* why no automatic answer may go to it
				   (RFC 3834: automatic, list, robot
				   sender; autoreply.h), or NULL */
	size_t	size;		/* header + body octets seen */
	/* the copy stored for forward delivery (capture set at the first
	 * header when a recipient's queue forwards): header lines with CRLF,
	 * blank line, body; only the header section once over max */
	int	capture;
	size_t	copy_max;	/* delivery.max_size */
	char	*copy;
	size_t	copy_len, copy_cap, copy_hdr;	/* copy_hdr: header section
						   length, set at EOH */
	int	copy_complete;
	int	agents;		/* recipients that are agents' workplace
				   addresses: ours are removed, nothing
				   recorded */
	/* why inb_rcpt refused the last recipient (INB_REFUSE) */
	const char *refuse_code;	/* "501" or "550" */
	char	refuse_text[448];
	/* Authentication-Results values, in header order (topmost first) */
	char	*authres[INB_AUTHRES_MAX];
	size_t	nauthres;
	char	client[64];	/* the SMTP client's address, "" unknown */
	int	loops;		/* X-MailACD-Loop headers it came with */
	int	delivery;	/* X-MailACD-Delivery headers it came with */
	void	*hash;		/* EVP_MD_CTX over headers (and body) */
	int	hash_body;	/* no usable Message-ID: the content alone
				   identifies it */
	long long arrived_ms;
	struct inb_text text;	/* set by inb_finish and inb_decide */
	struct inflow flow;	/* what the flows of its routes read */
};

/* What becomes of a message at its end (inb_verdict). */
enum inb_verdict {
	INB_PASS = 0,	/* nothing of ours: passed untouched */
	INB_AGENT,	/* to agents only: foreign X-MailACD-* removed,
			   nothing recorded */
	INB_RESENT,	/* the router's resent copy from a trusted client:
			   passed untouched */
	INB_LOOP,	/* it went round through mailacd and a mailbox:
			   foreign X-MailACD-* removed, not routed again */
	INB_ROUTE	/* hand the interactions off, then stamp */
};


/* inb_thread_key - the thread key of message id ID (LEN octets, with its
 * angle brackets) for registered address ADDR: hex SHA-256 into OUT */
int	inb_thread_key(const char *id, size_t len, const char *addr,
		    char out[65]);

/* inb_msgids - call FN(id, len, ARG) for each <msg-id> of header value V,
 * the last first when BACKWARDS, until FN returns nonzero */
void	inb_msgids(const char *v, int backwards,
		    int (*fn)(const char *, size_t, void *), void *arg);

/* inb_threads - the thread keys of M for registered address R; 0 or -1 */
int	inb_threads(const struct inb_msg *m, const struct inb_rcpt *r,
		    struct inb_threads *t);

/* inb_reset - free everything a message holds; ready for the next one */
void	inb_reset(struct inb_msg *m);

/* inb_sender - remember the envelope sender; 0 or -1 (memory) */
int	inb_sender(struct inb_msg *m, const char *sender);

#define INB_REFUSE	2

/* inb_rcpt - match one envelope recipient against CFG, in its canonical
 * spelling (addr_canon: trailing dot, quoting, case, A-labels); 1
 * registered, 0 not ours (an agent's workplace address counts in
 * M->agents), INB_REFUSE for an address at one of our domains that
 * cannot be recorded (M->refuse_code, M->refuse_text: 501 5.1.3 syntax,
 * 550 5.1.3 too long), -1 memory.  A recipient matching an address
 * already taken for this message adds nothing. */
int	inb_rcpt(struct inb_msg *m, const struct cfg *cfg, const char *rcpt);

/* inb_flow_start - keep what the flows of M's recipients need (the
 * header, and the first part of the body when they read text or detect
 * the language); call before the first header, like inb_capture */
void	inb_flow_start(struct inb_msg *m, const struct cfg *cfg);

/* inb_header - account for one header; 0 or -1 (memory) */
int	inb_header(struct inb_msg *m, const char *name, const char *value);

/* inb_capture - start keeping a copy (up to MAX octets) if a recipient's
 * queue forwards to agents; call before the first header */
void	inb_capture(struct inb_msg *m, size_t max);

/* inb_customer - the customer's address for recipient R, lower case, into
 * OUT; 0 or -1 when there is none.  For a redirect or hosted-redirect
 * domain the Reply-To mailbox, else the From mailbox; otherwise (R NULL
 * too) the From mailbox; both fall back to the envelope sender, which a
 * forwarder rewrites (SRS) */
int	inb_customer(const struct inb_msg *m, const struct inb_rcpt *r,
		    char *out, size_t outlen);

/* inb_from_authenticated - 1 when the relay's own verifier
 * (milter.authserv_id) vouches for M's From domain: the topmost
 * Authentication-Results header with that authserv-id says dmarc=pass, or
 * an aligned dkim=pass or spf=pass (authres.c); else 0 */
int	inb_from_authenticated(const struct inb_msg *m, const struct cfg *cfg);

/* inb_identity - the customer of recipient R as one spelling: the address
 * of inb_customer() without its sub-address (case already folded); 0 or
 * -1 when there is none */
int	inb_identity(const struct inb_msg *m, const struct inb_rcpt *r,
		    const struct cfg *cfg, char *out, size_t outlen);

/* inb_rate_identity - what milter.sender_rate_limit counts for R: the
 * identity alone when the From is authenticated, else the identity and
 * the SMTP client's address ("ana@customer.test via 192.0.2.7"), so that
 * nobody can spend a customer's allowance from elsewhere; 0 or -1 */
int	inb_rate_identity(const struct inb_msg *m, const struct inb_rcpt *r,
		    const struct cfg *cfg, char *out, size_t outlen);

/* inb_counted - set each recipient's counted identity (inb_rate_identity;
 * "" when there is none: nothing to count) */
void	inb_counted(struct inb_msg *m, const struct cfg *cfg);

/* inb_original - the recipient M was first sent to, before a forwarder
 * redirected it to R: the address of the first forwarding header (in
 * enum inb_fwd_kind order, then arrival order) that holds one mailbox
 * other than R's registered address or envelope recipient, lower case,
 * into OUT; 1, or 0 with OUT "" when there is none */
int	inb_original(const struct inb_msg *m, const struct inb_rcpt *r,
		    char *out, size_t outlen);

/* inb_eoh - end of headers: decide whether the body must be hashed;
 * 0 or -1 (memory) */
int	inb_eoh(struct inb_msg *m);

/* inb_body - account for one body chunk; 0 or -1 (memory) */
int	inb_body(struct inb_msg *m, const unsigned char *data, size_t len);

/* inb_finish - fresh random ids and the idempotency keys, and the
 * Message-ID unfolded once (M->text.msgid); 0 or -1 with ERR */
int	inb_finish(struct inb_msg *m, char *err, size_t errlen);

/* inb_stamp - the X-MailACD-Interaction value for R, folded; caller frees */
char	*inb_stamp(const struct inb_rcpt *r);

/* inb_verdict - what becomes of M at its end; RESENT_TRUSTED: it carries
 * X-MailACD-Delivery and came from a client trusted to send as us
 * (out_trusted) */
enum inb_verdict inb_verdict(const struct inb_msg *m, int resent_trusted);

/* inb_decide - for a message to route: inb_finish, then the text the
 * hand-off records and, per recipient, the customer, identity, original
 * recipient, thread keys, the open and rate keys and the limit; 0, or -1
 * with ERR.  Then inb_route */
int	inb_decide(struct inb_msg *m, const struct cfg *cfg, char *err,
		    size_t errlen);

/* inb_needs_open - 1 when a recipient's flow asks whether its customer
 * has an open interaction (openlook_run reads it before inb_route) */
int	inb_needs_open(const struct inb_msg *m);

/* inb_route - after inb_decide: each recipient whose route names a flow
 * gets the route its flow decides (and with it its queue's forward and
 * merge modes); 0, or -1 with ERR */
int	inb_route(struct inb_msg *m, const struct cfg *cfg, char *err,
		    size_t errlen);

/* inb_edits - the changes M gets at its end into E, in order: every
 * foreign X-MailACD-* header removed (highest index first, so that the
 * remaining indexes stay valid), then with STAMP the routing header of
 * each recipient the hand-off recorded (not those over the limit); 0 or
 * -1 (memory) */
int	inb_edits(const struct inb_msg *m, int stamp, struct edits *e);

/* inb_retries - how many of M's interactions the hand-off found already
 * recorded (an MTA retry) */
size_t	inb_retries(const struct inb_msg *m);

#endif
