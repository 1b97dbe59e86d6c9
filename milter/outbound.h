/* outbound.h - mail the registered addresses send: is the client trusted,
 * and the DKIM signature (sign.c) made over the final message. */
#ifndef MAILACD_OUTBOUND_H
#define MAILACD_OUTBOUND_H

#include <stddef.h>

#include "cfg.h"
#include "reply.h"
#include "sign.h"

/* What the MTA told about the client, for the trust decision. */
struct out_client {
	int	family;		/* AF_INET, AF_INET6, or 0: unknown */
	unsigned char addr[16];
	const char *auth;	/* {auth_authen}, or NULL */
	const char *daemon;	/* {daemon_name}, or NULL */
};

/* One header as it arrived. */
struct out_hdr {
	char	*name;
	char	*value;
};

/* One outbound message. */
struct out_msg {
	int	active;		/* the message is outbound */
	const struct cfg_address *from;	/* the registered address it is
					   sent as (an agent's: once the From
					   header is known) */
	const struct cfg_agent *agent;	/* the agent who sends, or NULL */
	int	adopted;	/* an agent's own mail that answers one of
				   their queues' interactions: sent as the
				   channel address (From rewritten) */
	int	own;		/* an agent as their workplace address:
				   passed untouched */
	char	jobid[64];
	const char *why;	/* how the client was trusted */
	struct sign *sign;	/* the signature in progress, or NULL */
	int	failed;		/* the signer refused some input */
	char	err[160];
	struct out_hdr *hdrs;	/* headers until the end of headers */
	size_t	nhdrs, hdrcap;
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
};

/* out_channel - the next channel address (*IT starts at 0) agent
 * M->agent may send as, or NULL */
const struct cfg_address *out_channel(const struct out_msg *m,
		    const struct cfg *cfg, size_t *it);

/* out_adopt - send M, an agent's own mail that answers an interaction of
 * channel address CA, as CA's mail; 0 or -1 */
int	out_adopt(struct out_msg *m, const struct cfg_address *ca);

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

/* out_begin - M is outbound, sent as registered address A or by agent G
 * (then the From header decides the address); JOBID names it in
 * libopendkim's messages.  0, or -1 with M->err */
int	out_begin(struct out_msg *m, const struct cfg_address *a,
		    const struct cfg_agent *g, const char *jobid);

/* out_resolve - an agent's message: the From header names the agent's own
 * address (M->own: passed untouched) or a channel address of one of the
 * agent's queues (M->from, and its signer), else M->refuse.  0 or -1 */
int	out_resolve(struct out_msg *m, const struct cfg *cfg);

/* out_label - who sends M, for log lines */
const char *out_label(const struct out_msg *m);

/* out_header - one header as it arrived; 0 or -1 (memory) */
int	out_header(struct out_msg *m, const char *name, const char *value);

/* out_eoh - end of headers: the identity rule (the From header must be the
 * sending address: else M->refuse, or M->new_from with rewrite_from), the
 * display name, Reply-To; then the headers as they will leave go to the
 * signer.  0 or -1 (memory) */
int	out_eoh(struct out_msg *m, const struct cfg *cfg);

/* out_value - the first header NAME that arrived, or NULL */
const char *out_value(const struct out_msg *m, const char *name);

/* out_msgid - the Message-ID the message leaves with */
const char *out_msgid(const struct out_msg *m);

/* out_body - a piece of the body */
int	out_body(struct out_msg *m, const unsigned char *data, size_t len);

/* out_signature - the DKIM-Signature value for the message (caller frees),
 * NULL with M->err on failure; *UNSIGNED is set when the domain has no
 * key (then NULL is not a failure) */
char	*out_signature(struct out_msg *m, int *unsigned_);

/* out_bounce - the envelope sender on the domain's bounce domain
 * ("<local@bounce_domain>") into BUF, or NULL when there is none */
const char *out_bounce(const struct out_msg *m, char *buf, size_t len);

/* out_reset - forget the message */
void	out_reset(struct out_msg *m);

#endif
