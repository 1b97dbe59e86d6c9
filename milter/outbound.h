/* outbound.h - mail the registered addresses and agents send: may the
 * client send as them, which address an agent's mail leaves as, the
 * identity rule for the From header, the interaction it answers and the
 * domain gate, and the ordered edits it leaves with, the DKIM signature
 * (sign.c) last.  No libmilter here, and Redis only through the lookups
 * the caller lends (struct out_lookup), so that it is testable. */
#ifndef MAILACD_OUTBOUND_H
#define MAILACD_OUTBOUND_H

#include <stddef.h>

#include "cfg.h"
#include "dress.h"
#include "edit.h"
#include "reply.h"
#include "sign.h"

/* What the MTA told about the client, for the trust decision. */
struct out_client {
	int	family;		/* AF_INET, AF_INET6, or 0: unknown */
	unsigned char addr[16];
	const char *auth;	/* {auth_authen}, or NULL */
	const char *daemon;	/* {daemon_name}, or NULL */
};

/* The Redis lookups of the outbound path, each RDS_OK or RDS_RETRY with
 * ERR (reply.h, gate.h); ARG is passed to each of them.  WHERE names the
 * server in log lines. */
struct out_lookup {
	int	(*find)(void *arg, const struct cfg_address *a,
		    const char *ixhdr, const char *irt, const char *refs,
		    struct reply *r, char *err, size_t errlen);
	int	(*gate)(void *arg, const struct cfg *cfg,
		    const struct cfg_domain *d, long long now_ms, char *hold,
		    size_t holdlen, char *err, size_t errlen);
	int	(*record)(void *arg, const struct cfg_address *a,
		    const struct reply *r, const char *msgid, const char *by,
		    int thread_ttl, char *err, size_t errlen);
	void	*arg;
	const char *where;
};

/* One header as it arrived. */
struct out_hdr {
	char	*name;
	char	*value;
};

/* How loud a note is. */
enum out_level {
	OUT_INFO = 0,
	OUT_WARN,
	OUT_ERR
};

#define OUT_NOTES	4	/* notes kept between two out_notes_clear */

/* A line for the daemon's log: library code does not log. */
struct out_note {
	enum out_level level;
	char	text[768];
};

/* What the end of message decided (out_eom). */
enum out_outcome {
	OUT_SEND = 0,	/* apply the edits and let it go */
	OUT_REFUSE,	/* 550 5.7.1 with out_text: the From is not ours */
	OUT_HOLD,	/* 451 4.7.1 with out_text: the domain may not send
			   now */
	OUT_TEMPFAIL,	/* 451 4.3.0: Redis could not answer */
	OUT_SIGNFAIL	/* 451 4.3.0: the signer failed */
};

/* One outbound message. */
struct out_msg {
	int	active;		/* the message is outbound */
	const struct cfg_address *from;	/* the registered address it is
					   sent as (an agent's: once the From
					   header is known) */
	const struct cfg_agent *agent;	/* the agent who sends, or NULL */
	const struct out_client *client;	/* who sends it (the
						   caller's) */
	int	adopted;	/* an agent's own mail that answers one of
				   their queues' interactions: sent as the
				   channel address (From rewritten) */
	int	own;		/* an agent as their workplace address:
				   passed untouched */
	char	jobid[64];
	char	envfrom[CFG_ADDR_MAX + 1];	/* the envelope sender as it
						   came, without brackets */
	const char *why;	/* how the client was trusted */
	struct sign *sign;	/* the signature in progress, or NULL */
	int	failed;		/* the signer refused some input */
	char	err[160];	/* the signer's first complaint */
	int	tempfail;	/* a Redis lookup failed: tempfail at the end */
	char	*hold;		/* 4.7.x text: the domain may not send now */
	struct out_hdr *hdrs;	/* headers until the end of headers, but
				   ours */
	size_t	nhdrs, hdrcap;
	struct edit_names ours;	/* our headers that arrived: removed */
	/* what the end of headers decided, applied at the end of message */
	char	*refuse;	/* 5.7.1 text: the From is not ours */
	char	*new_from;	/* From value to write, or NULL */
	int	add_from;	/* there was no From: add one */
	int	nfrom;		/* From headers that arrived */
	char	*new_msgid;	/* Message-ID to add (there was none) */
	struct reply reply;	/* the interaction it answers, threading */
	const char *auto_submitted;	/* Auto-Submitted to add, or NULL */
	int	nreply_to;	/* Reply-To headers to remove */
	const char *reply_to;	/* Reply-To to add, or NULL */
	char	*reply_to_own;	/* ... when it carries a reply token */
	/* for the log: notes since the last out_notes_clear, and the line
	 * to log once the edits are applied */
	struct out_note notes[OUT_NOTES];
	size_t	nnotes;
	char	done[768];
	int	signed_;	/* out_eom added its DKIM-Signature */
	int	router;		/* the router's own mail (X-MailACD-Delivery
				   from a trusted client): it records the
				   message itself, out_eom does not */
	/* dressing (dress.h): the body is kept, and signed at the end once
	 * it is known what leaves */
	int	dress;		/* the body may be dressed */
	char	*body;		/* the body so far */
	size_t	bodylen, bodycap;
	struct dress_out dressed;	/* what dress_message made, if it did */
};

/* out_sender - is SENDER (an envelope path) one of CFG's registered
 * addresses that may send?  The address, or NULL */
const struct cfg_address *out_sender(const struct cfg *cfg,
		    const char *sender);

/* out_trusted_as - why client C may send as channel A or agent G (one of
 * them NULL): out_trusted's reasons, or "authenticated agent" when C's
 * SMTP AUTH login is an agent's (cfg_find_login) and A is a channel of
 * that agent's queues or G is that agent; NULL when not trusted */
const char *out_trusted_as(const struct cfg *cfg, const struct out_client *c,
		    const struct cfg_address *a, const struct cfg_agent *g,
		    char *buf, size_t len);

/* out_trusted - why client C may send as our addresses ("network",
 * "authenticated", "daemon NAME" in BUF), or NULL when it may not */
const char *out_trusted(const struct cfg *cfg, const struct out_client *c,
		    char *buf, size_t len);

/* out_agent - the roster agent whose workplace address SENDER is, or NULL */
const struct cfg_agent *out_agent(const struct cfg *cfg, const char *sender);

#define OUT_UNTRUSTED	2	/* out_start: ours, but not this client */

/* out_start - a new message from envelope sender SENDER by client C (the
 * caller keeps C until out_reset): 1 when it is outbound (sent as one of
 * our addresses or by an agent, from a client trusted to; JOBID names it
 * in libopendkim's messages); OUT_UNTRUSTED when it is sent as ours by a
 * client not trusted to (not outbound: a note says so); 0 otherwise */
int	out_start(struct out_msg *m, const struct cfg *cfg,
		    const struct out_client *c, const char *sender,
		    const char *jobid);

/* out_label - who sends M, for log lines */
const char *out_label(const struct out_msg *m);

/* out_header - one header as it arrived (ours are counted, to be
 * removed); 0 or -1 (memory) */
int	out_header(struct out_msg *m, const char *name, const char *value);

/* out_eoh - end of headers at NOW_MS: the agent's address (out_resolve),
 * the interaction answered and the domain gate (LOOK; a failure marks M
 * for a temporary failure), the identity rule (the From header must be
 * the sending address: else M->refuse, or M->new_from with rewrite_from),
 * the display name, Reply-To; then the headers as they will leave go to
 * the signer.  0 or -1 (memory) */
int	out_eoh(struct out_msg *m, const struct cfg *cfg,
		    const struct out_lookup *look, long long now_ms);

/* out_body - a piece of the body */
int	out_body(struct out_msg *m, const unsigned char *data, size_t len);

/* out_eom - end of message: the outcome, and for OUT_SEND the edits into
 * E in the order they must be made (ours removed, From, Reply-To,
 * threading, Message-ID, Auto-Submitted, the copy recipient, the envelope
 * sender, the DKIM-Signature last).  A reply to an interaction is recorded
 * through LOOK first.  -1 when memory is short. */
int	out_eom(struct out_msg *m, const struct cfg *cfg,
		    const struct out_lookup *look, struct edits *e);

/* out_text - the reply text of an OUT_REFUSE or OUT_HOLD outcome */
const char *out_text(const struct out_msg *m);

/* out_value - the first header NAME that arrived, or NULL */
const char *out_value(const struct out_msg *m, const char *name);

/* out_msgid - the Message-ID the message leaves with */
const char *out_msgid(const struct out_msg *m);

/* out_bounce - the envelope sender on the domain's bounce domain
 * ("<local@bounce_domain>") into BUF, or NULL when there is none */
const char *out_bounce(const struct out_msg *m, char *buf, size_t len);

/* out_notes_clear - the notes have been logged */
void	out_notes_clear(struct out_msg *m);

/* out_reset - forget the message */
void	out_reset(struct out_msg *m);

#endif
