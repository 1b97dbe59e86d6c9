/* fn.h - the mailacd function library in Redis (common/mailacd.lua): load
 * it and call its functions.
 *
 * Every server-side operation - the milter's hand-off and reply lookups,
 * every change to queues, agents and assignments, the listings, the
 * data-set marker - is one FCALL of one function of the library, atomic
 * in Redis, whoever makes it (milter, router, mailacdctl, another
 * program).  man/mailacd-keys.7 documents the functions, their arguments
 * and their replies; t/0109-fn.t runs each constructor against them. */
#ifndef MAILACD_FN_H
#define MAILACD_FN_H

#include <stddef.h>

#include <hiredis.h>

/* fn_load - install the library unless Redis has this version or a newer
 * one already; 0, or -1 with ERR */
int	fn_load(redisContext *c, char *err, size_t errlen);

/* struct fn_cmd - one FCALL of one library function, built by the typed
 * constructors below, one per function, so that no call site spells a
 * function name, a key or an argument position.  The command owns its
 * keys and numbers; string arguments are the caller's and must live until
 * the command is sent.  A constructor that fails (out of memory, a key
 * too long) marks the command: fn_run and fn_append then refuse it with
 * the reason.  fn_cmd_free releases it (after any constructor, failed or
 * not). */
struct fn_cmd {
	const char **argv;
	int	argc, cap;
	char	**own;		/* strings the command allocated */
	int	nown, capown;
	const char *failed;	/* why a constructor failed, or NULL */
};

/* fn_run - send CMD and wait for the reply, loading the library first
 * when Redis does not have it.  The reply (possibly an error reply) goes
 * to *REPLY; -1 with ERR when there is none (connection broken, or CMD
 * failed to build). */
int	fn_run(redisContext *c, const struct fn_cmd *cmd, redisReply **reply,
		    char *err, size_t errlen);

/* fn_append - queue CMD on C for a pipeline (read the reply with
 * redisGetReply; a "Function not found" error then calls for fn_load and
 * a resend); 0, or -1 */
int	fn_append(redisContext *c, const struct fn_cmd *cmd);

/* fn_cmd_free - release what CMD owns; it may be built again */
void	fn_cmd_free(struct fn_cmd *cmd);

/* The constructors: each starts CMD afresh (fn_cmd_free it before
 * reuse) and returns 0, or -1 with CMD marked failed.  ORG is the
 * organisation id; KEYS[1] is always its schema key.  Replies: see
 * man/mailacd-keys.7, FUNCTIONS. */

/* mailacd_presence: AGENT becomes available, away or offline */
int	fn_presence(struct fn_cmd *cmd, const char *org, const char *agent,
		    const char *presence);
/* mailacd_presence with requeue: AGENT becomes away or offline and what
 * they hold goes back to its queues, by whom */
int	fn_presence_requeue(struct fn_cmd *cmd, const char *org,
		    const char *agent, const char *presence, const char *by);
/* mailacd_close: close interaction ID, by whom */
int	fn_close(struct fn_cmd *cmd, const char *org, const char *id,
		    const char *by);
/* mailacd_transfer: interaction ID into QUEUE, by whom */
int	fn_transfer(struct fn_cmd *cmd, const char *org, const char *id,
		    const char *queue, const char *by);
/* mailacd_transfer with new requirements: SKILLS (comma-separated, ""
 * for none) and LANGUAGE ("" for any) replace the interaction's */
int	fn_transfer_req(struct fn_cmd *cmd, const char *org, const char *id,
		    const char *queue, const char *by, const char *skills,
		    const char *language);
/* mailacd_priority: interaction ID gets PRIORITY (0..1000), by whom */
int	fn_priority(struct fn_cmd *cmd, const char *org, const char *id,
		    long priority, const char *by);
/* mailacd_fill: AGENT takes waiting work if it can */
int	fn_fill(struct fn_cmd *cmd, const char *org, const char *agent);
/* mailacd_undeliverable: the resend of ID to AGENT was given up, ERROR */
int	fn_undeliverable(struct fn_cmd *cmd, const char *org, const char *id,
		    const char *agent, const char *error);
/* mailacd_delivered: copies 1..COPIES of ID went to AGENT through VIA */
int	fn_delivered(struct fn_cmd *cmd, const char *org, const char *id,
		    const char *agent, long copies, const char *via);
/* mailacd_waiting: why the interactions waiting in QUEUE wait */
int	fn_waiting(struct fn_cmd *cmd, const char *org, const char *queue);
/* mailacd_list: interactions by filters (NULL or "" for none), newest
 * first; CURSOR from a previous answer's "next" or NULL */
struct fn_list {
	const char *state, *queue, *agent, *customer, *subject, *cursor;
	long long since;	/* arrival ms, 0: any */
	long	limit, budget;
};
int	fn_list(struct fn_cmd *cmd, const char *org, const struct fn_list *l);
/* mailacd_dataset: the data-set marker: the id KNOWN ("" none), a FRESH
 * one to write when the marker is missing, WHO asks */
int	fn_dataset(struct fn_cmd *cmd, const char *org, const char *known,
		    const char *fresh, const char *who);
/* mailacd_metrics: what the router's metrics serve for ORG, with the
 * last DNS check of each of its NDOMAINS configured DOMAINS */
int	fn_metrics(struct fn_cmd *cmd, const char *org,
		    const char *const *domains, size_t ndomains);
/* mailacd_version: the library's version (no organisation) */
int	fn_version(struct fn_cmd *cmd);

/* mailacd_sync, in parts: fn_sync starts it with the number of queues;
 * then fn_sync_queue once per queue, fn_sync_agents with the number of
 * agents, fn_sync_agent once per agent.  Lists are comma-separated. */
int	fn_sync(struct fn_cmd *cmd, const char *org, size_t nqueues);
int	fn_sync_queue(struct fn_cmd *cmd, const char *name,
		    const char *strategy, long service_level,
		    const char *delivery);
int	fn_sync_agents(struct fn_cmd *cmd, size_t nagents);
int	fn_sync_agent(struct fn_cmd *cmd, const char *id, const char *address,
		    const char *skills, const char *languages, long capacity,
		    const char *queues);

/* mailacd_ingest: queue (and assign) stream entry ENTRY of the ingest
 * stream for interaction ID in QUEUE, enqueued at ENQUEUED (ms; the
 * library makes its rank from the entry's priority); then fn_field for
 * each of the entry's fields */
int	fn_ingest(struct fn_cmd *cmd, const char *org, const char *entry,
		    const char *id, const char *queue, long long enqueued);
/* mailacd_dead: dead-letter stream entry ENTRY for REASON; then fn_field
 * for each of its fields */
int	fn_dead(struct fn_cmd *cmd, const char *org, const char *entry,
		    const char *reason);
/* fn_field - one more field NAME = VALUE of the entry (fn_ingest,
 * fn_dead) */
int	fn_field(struct fn_cmd *cmd, const char *name, const char *value);

/* mailacd_handoff: one message for one registered address (the milter).
 * The hex values name keys (KEYS_FMT_SEEN/MSG, OPEN, RATE, THREAD); the
 * fields of the ingest entry follow with fn_field. */
struct fn_handoff {
	const char *seen;	/* HEX of seen: and msg: (the stored copy) */
	const char *open;	/* HEX of open: */
	const char *rate;	/* HEX of rate:, with its HOUR */
	long long hour;
	const char *own;	/* HEX of the message's own thread key, or "" */
	const char *const *refs; /* HEX of the referenced thread keys */
	size_t	nrefs;
	long	seen_ttl, thread_ttl;
	const char *id;		/* the id a new interaction gets */
	const char *token;	/* the id a valid reply token names, or "" */
	long	rate_limit;	/* 0: none */
	int	count;		/* 1: this call counts against the limit */
	int	merge;		/* 1: merge a new thread into the open one */
	int	stored;		/* 1: msg: holds the copy */
	const char *auto_reason; /* "" for mail from a person */
	int	participants;	/* 1: milter.thread_join = "participant" */
	const char *identity;	/* the customer without sub-address, or "" */
};
int	fn_handoff(struct fn_cmd *cmd, const char *org,
		    const struct fn_handoff *h);
/* mailacd_reply_find: by ID ("" : none) or else the thread keys (HEX)
 * of the ids a reply names */
int	fn_reply_find(struct fn_cmd *cmd, const char *org, const char *id,
		    const char *const *threads, size_t nthreads);
/* mailacd_open_find: for each open key (HEX of customer and address),
 * whether it names an interaction that is not closed */
int	fn_open_find(struct fn_cmd *cmd, const char *org,
		    const char *const *opens, size_t nopens);
/* mailacd_reply_record: the reply MSGID to interaction ID went out, BY
 * whom; THREAD is the HEX of its thread key, kept TTL seconds */
int	fn_reply_record(struct fn_cmd *cmd, const char *org, const char *id,
		    const char *thread, const char *msgid, const char *by,
		    long ttl);
/* mailacd_responses: the NNAMES standard response NAMES of ORG's
 * configuration, for mailacd_respond to check */
int	fn_responses(struct fn_cmd *cmd, const char *org,
		    const char *const *names, size_t nnames);
/* mailacd_respond: send response NAME to the customer of interaction ID,
 * asked BY whom; KEY ("" or NULL: the customer's last Message-ID) makes
 * a repeated request the same one */
int	fn_respond(struct fn_cmd *cmd, const char *org, const char *id,
		    const char *name, const char *by, const char *key);
/* mailacd_sent: outbox message JOB (stream entry ENTRY) went out as
 * MSGID through VIA; THREAD ("" or NULL: none) the HEX of the thread key
 * of MSGID, kept TTL seconds */
int	fn_sent(struct fn_cmd *cmd, const char *org, const char *job,
		    const char *entry, const char *msgid, const char *via,
		    const char *thread, long ttl);
/* mailacd_unsent: sending outbox message JOB (stream entry ENTRY) failed
 * with ERROR; try again at NEXT (ms), or give up when NEXT is 0 */
int	fn_unsent(struct fn_cmd *cmd, const char *org, const char *job,
		    const char *entry, const char *error, long long next);

#endif
