/* fn.c - load the mailacd function library into Redis and call it.
 *
 * The library's source is compiled in (build/common/mailacd_lua.c, made
 * from common/mailacd.lua).  FUNCTION LOAD REPLACE installs it; Redis keeps
 * it across restarts when it persists (RDB/AOF), and a Redis that lost it
 * answers "Function not found", on which fn_run() loads it again.  Each
 * function has a typed constructor (fn_presence ... fn_field) that spells
 * its name, keys and argument order, so call sites only fill in values. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn.h"
#include "keys.h"
#include "rds.h"

extern const char mailacd_lua[];

/* fn_load - install the library unless this version or a newer one is
 * there: during a rolling upgrade an older program must not put its older
 * library back over a newer one */
int
fn_load(redisContext *c, char *err, size_t errlen)
{
	const char *largv[4] = { "FUNCTION", "LOAD", "REPLACE", mailacd_lua };
	struct fn_cmd v;
	redisReply *r;
	long	have = 0;
	int	rc;

	if (fn_version(&v) != 0) {
		snprintf(err, errlen, "%s", v.failed);
		fn_cmd_free(&v);
		return (-1);
	}
	r = redisCommandArgv(c, v.argc, v.argv, NULL);
	fn_cmd_free(&v);
	if (r == NULL) {
		rds_error(c, NULL, err, errlen);
		return (-1);
	}
	if (r->type == REDIS_REPLY_STRING)
		have = strtol(r->str, NULL, 10);
	freeReplyObject(r);
	if (have >= strtol(KEYS_LIBRARY, NULL, 10))
		return (0);
	r = redisCommandArgv(c, 4, largv, NULL);
	rc = (r != NULL && r->type == REDIS_REPLY_STRING) ? 0 : -1;
	if (rc != 0)
		rds_error(c, r, err, errlen);
	if (r != NULL)
		freeReplyObject(r);
	return (rc);
}

/* fn_fail - mark CMD failed for WHY; -1 */
static int
fn_fail(struct fn_cmd *cmd, const char *why)
{
	if (cmd->failed == NULL)
		cmd->failed = why;
	return (-1);
}

/* fn_push - one more argument A (the caller's or the command's own) */
static int
fn_push(struct fn_cmd *cmd, const char *a)
{
	const char **v;
	int	cap;

	if (cmd->failed != NULL)
		return (-1);
	if (cmd->argc == cmd->cap) {
		cap = cmd->cap ? 2 * cmd->cap : 16;
		if ((v = realloc(cmd->argv, (size_t)cap * sizeof(*v))) == NULL)
			return (fn_fail(cmd, "out of memory"));
		cmd->argv = v;
		cmd->cap = cap;
	}
	cmd->argv[cmd->argc++] = a;
	return (0);
}

/* fn_pushf - one more argument, formatted into a string the command owns */
static int __attribute__((format(printf, 2, 3)))
fn_pushf(struct fn_cmd *cmd, const char *fmt, ...)
{
	va_list	ap;
	char	**o, *s;
	int	n;

	if (cmd->failed != NULL)
		return (-1);
	if (cmd->nown == cmd->capown) {
		n = cmd->capown ? 2 * cmd->capown : 8;
		if ((o = realloc(cmd->own, (size_t)n * sizeof(*o))) == NULL)
			return (fn_fail(cmd, "out of memory"));
		cmd->own = o;
		cmd->capown = n;
	}
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return (fn_fail(cmd, "out of memory"));
	cmd->own[cmd->nown++] = s;
	return (fn_push(cmd, s));
}

/* fn_begin - "FCALL NAME NKEYS" and the schema key of ORG (ORG NULL: no
 * key); the other keys follow with fn_pushf */
static int
fn_begin(struct fn_cmd *cmd, const char *name, const char *org, int nkeys)
{
	memset(cmd, 0, sizeof(*cmd));
	fn_push(cmd, "FCALL");
	fn_push(cmd, name);
	if (org != NULL && (*org == '\0' || strlen(org) > 128))
		return (fn_fail(cmd, "organisation id empty or too long"));
	fn_pushf(cmd, "%d", nkeys);
	if (org != NULL)
		fn_pushf(cmd, KEYS_FMT_SCHEMA, org);
	return (cmd->failed != NULL ? -1 : 0);
}

/* fn_done - the constructor's result */
static int
fn_done(const struct fn_cmd *cmd)
{
	return (cmd->failed != NULL ? -1 : 0);
}

/* fn_cmd_free - release the arguments CMD allocated */
void
fn_cmd_free(struct fn_cmd *cmd)
{
	int	i;

	for (i = 0; i < cmd->nown; i++)
		free(cmd->own[i]);
	free(cmd->own);
	free(cmd->argv);
	memset(cmd, 0, sizeof(*cmd));
}

/* fn_run - one call, loading the library when it is missing */
int
fn_run(redisContext *c, const struct fn_cmd *cmd, redisReply **reply,
    char *err, size_t errlen)
{
	int	tries;

	*reply = NULL;
	if (cmd->failed != NULL || cmd->argc < 3) {
		snprintf(err, errlen, "FCALL %s: %s",
		    cmd->argc > 1 ? cmd->argv[1] : "?",
		    cmd->failed ? cmd->failed : "not built");
		return (-1);
	}
	for (tries = 0; tries < 2; tries++) {
		*reply = redisCommandArgv(c, cmd->argc, cmd->argv, NULL);
		if (*reply == NULL) {
			rds_error(c, NULL, err, errlen);
			break;
		}
		if ((*reply)->type != REDIS_REPLY_ERROR ||
		    strstr((*reply)->str, "Function not found") == NULL ||
		    tries > 0)
			break;
		freeReplyObject(*reply);
		*reply = NULL;
		if (fn_load(c, err, errlen) != 0)
			break;
	}
	return (*reply != NULL ? 0 : -1);
}

/* fn_append - CMD into C's output buffer */
int
fn_append(redisContext *c, const struct fn_cmd *cmd)
{
	if (cmd->failed != NULL || cmd->argc < 3)
		return (-1);
	return (rds_append(c, cmd->argc, cmd->argv));
}

/* fn_presence - mailacd_presence AGENT PRESENCE */
int
fn_presence(struct fn_cmd *cmd, const char *org, const char *agent,
    const char *presence)
{
	fn_begin(cmd, "mailacd_presence", org, 1);
	fn_push(cmd, agent);
	fn_push(cmd, presence);
	return (fn_done(cmd));
}

/* fn_presence_requeue - mailacd_presence AGENT PRESENCE 1 BY */
int
fn_presence_requeue(struct fn_cmd *cmd, const char *org, const char *agent,
    const char *presence, const char *by)
{
	fn_begin(cmd, "mailacd_presence", org, 1);
	fn_push(cmd, agent);
	fn_push(cmd, presence);
	fn_push(cmd, "1");
	fn_push(cmd, by);
	return (fn_done(cmd));
}

/* fn_close - mailacd_close ID BY */
int
fn_close(struct fn_cmd *cmd, const char *org, const char *id, const char *by)
{
	fn_begin(cmd, "mailacd_close", org, 1);
	fn_push(cmd, id);
	fn_push(cmd, by);
	return (fn_done(cmd));
}

/* fn_transfer - mailacd_transfer ID QUEUE BY */
int
fn_transfer(struct fn_cmd *cmd, const char *org, const char *id,
    const char *queue, const char *by)
{
	fn_begin(cmd, "mailacd_transfer", org, 1);
	fn_push(cmd, id);
	fn_push(cmd, queue);
	fn_push(cmd, by);
	return (fn_done(cmd));
}

/* fn_transfer_req - mailacd_transfer ID QUEUE BY 1 SKILLS LANGUAGE */
int
fn_transfer_req(struct fn_cmd *cmd, const char *org, const char *id,
    const char *queue, const char *by, const char *skills,
    const char *language)
{
	fn_begin(cmd, "mailacd_transfer", org, 1);
	fn_push(cmd, id);
	fn_push(cmd, queue);
	fn_push(cmd, by);
	fn_push(cmd, "1");
	fn_push(cmd, skills);
	fn_push(cmd, language);
	return (fn_done(cmd));
}

/* fn_priority - mailacd_priority ID PRIORITY BY */
int
fn_priority(struct fn_cmd *cmd, const char *org, const char *id,
    long priority, const char *by)
{
	fn_begin(cmd, "mailacd_priority", org, 1);
	fn_push(cmd, id);
	fn_pushf(cmd, "%ld", priority);
	fn_push(cmd, by);
	return (fn_done(cmd));
}

/* fn_fill - mailacd_fill AGENT */
int
fn_fill(struct fn_cmd *cmd, const char *org, const char *agent)
{
	fn_begin(cmd, "mailacd_fill", org, 1);
	fn_push(cmd, agent);
	return (fn_done(cmd));
}

/* fn_undeliverable - mailacd_undeliverable, keys schema and ix:ID */
int
fn_undeliverable(struct fn_cmd *cmd, const char *org, const char *id,
    const char *agent, const char *error)
{
	fn_begin(cmd, "mailacd_undeliverable", org, 2);
	fn_pushf(cmd, KEYS_FMT_IX, org, id);
	fn_push(cmd, id);
	fn_push(cmd, agent);
	fn_push(cmd, error);
	return (fn_done(cmd));
}

/* fn_delivered - mailacd_delivered, keys schema and ix:ID */
int
fn_delivered(struct fn_cmd *cmd, const char *org, const char *id,
    const char *agent, long copies, const char *via)
{
	fn_begin(cmd, "mailacd_delivered", org, 2);
	fn_pushf(cmd, KEYS_FMT_IX, org, id);
	fn_push(cmd, id);
	fn_push(cmd, agent);
	fn_pushf(cmd, "%ld", copies);
	fn_push(cmd, via);
	return (fn_done(cmd));
}

/* fn_waiting - mailacd_waiting QUEUE */
int
fn_waiting(struct fn_cmd *cmd, const char *org, const char *queue)
{
	fn_begin(cmd, "mailacd_waiting", org, 1);
	fn_push(cmd, queue);
	return (fn_done(cmd));
}

/* fn_list - mailacd_list STATE QUEUE AGENT CUSTOMER SUBJECT SINCE CURSOR
 * LIMIT BUDGET */
int
fn_list(struct fn_cmd *cmd, const char *org, const struct fn_list *l)
{
	fn_begin(cmd, "mailacd_list", org, 1);
	fn_push(cmd, l->state ? l->state : "");
	fn_push(cmd, l->queue ? l->queue : "");
	fn_push(cmd, l->agent ? l->agent : "");
	fn_push(cmd, l->customer ? l->customer : "");
	fn_push(cmd, l->subject ? l->subject : "");
	fn_pushf(cmd, "%lld", l->since);
	fn_push(cmd, l->cursor ? l->cursor : "");
	fn_pushf(cmd, "%ld", l->limit);
	fn_pushf(cmd, "%ld", l->budget);
	return (fn_done(cmd));
}

/* fn_dataset - mailacd_dataset KNOWN FRESH WHO */
int
fn_dataset(struct fn_cmd *cmd, const char *org, const char *known,
    const char *fresh, const char *who)
{
	fn_begin(cmd, "mailacd_dataset", org, 1);
	fn_push(cmd, known);
	fn_push(cmd, fresh);
	fn_push(cmd, who);
	return (fn_done(cmd));
}

/* fn_metrics - mailacd_metrics DOMAIN... */
int
fn_metrics(struct fn_cmd *cmd, const char *org, const char *const *domains,
    size_t ndomains)
{
	size_t	i;

	fn_begin(cmd, "mailacd_metrics", org, 1);
	for (i = 0; i < ndomains; i++)
		fn_push(cmd, domains[i]);
	return (fn_done(cmd));
}

/* fn_version - mailacd_version, no keys */
int
fn_version(struct fn_cmd *cmd)
{
	fn_begin(cmd, "mailacd_version", NULL, 0);
	return (fn_done(cmd));
}

/* fn_sync - mailacd_sync, the queue count "N:4" (four values a queue) */
int
fn_sync(struct fn_cmd *cmd, const char *org, size_t nqueues)
{
	fn_begin(cmd, "mailacd_sync", org, 1);
	fn_pushf(cmd, "%zu:4", nqueues);
	return (fn_done(cmd));
}

/* fn_sync_queue - one queue of mailacd_sync */
int
fn_sync_queue(struct fn_cmd *cmd, const char *name, const char *strategy,
    long service_level, const char *delivery)
{
	fn_push(cmd, name);
	fn_push(cmd, strategy);
	fn_pushf(cmd, "%ld", service_level);
	fn_push(cmd, delivery);
	return (fn_done(cmd));
}

/* fn_sync_agents - the agent count of mailacd_sync */
int
fn_sync_agents(struct fn_cmd *cmd, size_t nagents)
{
	fn_pushf(cmd, "%zu", nagents);
	return (fn_done(cmd));
}

/* fn_sync_agent - one agent of mailacd_sync */
int
fn_sync_agent(struct fn_cmd *cmd, const char *id, const char *address,
    const char *skills, const char *languages, long capacity,
    const char *queues)
{
	fn_push(cmd, id);
	fn_push(cmd, address);
	fn_push(cmd, skills);
	fn_push(cmd, languages);
	fn_pushf(cmd, "%ld", capacity);
	fn_push(cmd, queues);
	return (fn_done(cmd));
}

/* fn_ingest - mailacd_ingest, keys schema, ix:ID, queue:QUEUE, ingest;
 * arguments group, entry, member and rank ("": the library makes them),
 * enqueued, then the fields */
int
fn_ingest(struct fn_cmd *cmd, const char *org, const char *entry,
    const char *id, const char *queue, long long enqueued)
{
	fn_begin(cmd, "mailacd_ingest", org, 4);
	fn_pushf(cmd, KEYS_FMT_IX, org, id);
	fn_pushf(cmd, KEYS_FMT_QUEUE, org, queue);
	fn_pushf(cmd, KEYS_FMT_INGEST, org);
	fn_push(cmd, KEYS_GROUP);
	fn_push(cmd, entry);
	fn_push(cmd, "");
	fn_push(cmd, "");
	fn_pushf(cmd, "%lld", enqueued);
	return (fn_done(cmd));
}

/* fn_dead - mailacd_dead, keys schema, dead, ingest; arguments group,
 * entry, reason, then the fields */
int
fn_dead(struct fn_cmd *cmd, const char *org, const char *entry,
    const char *reason)
{
	fn_begin(cmd, "mailacd_dead", org, 3);
	fn_pushf(cmd, KEYS_FMT_DEAD, org);
	fn_pushf(cmd, KEYS_FMT_INGEST, org);
	fn_push(cmd, KEYS_GROUP);
	fn_push(cmd, entry);
	fn_push(cmd, reason);
	return (fn_done(cmd));
}

/* fn_field - one field pair of an ingest entry */
int
fn_field(struct fn_cmd *cmd, const char *name, const char *value)
{
	fn_push(cmd, name);
	fn_push(cmd, value);
	return (fn_done(cmd));
}

/* fn_handoff - mailacd_handoff: keys schema, seen, ingest, msg, open,
 * rate, [own thread], referenced threads; then its thirteen arguments */
int
fn_handoff(struct fn_cmd *cmd, const char *org, const struct fn_handoff *h)
{
	size_t	i;
	int	own = h->own != NULL && h->own[0] != '\0';

	fn_begin(cmd, "mailacd_handoff", org, 6 + own + (int)h->nrefs);
	fn_pushf(cmd, KEYS_FMT_SEEN, org, h->seen);
	fn_pushf(cmd, KEYS_FMT_INGEST, org);
	fn_pushf(cmd, KEYS_FMT_MSG, org, h->seen);
	fn_pushf(cmd, KEYS_FMT_OPEN, org, h->open);
	fn_pushf(cmd, KEYS_FMT_RATE, org, h->rate, h->hour);
	if (own)
		fn_pushf(cmd, KEYS_FMT_THREAD, org, h->own);
	for (i = 0; i < h->nrefs; i++)
		fn_pushf(cmd, KEYS_FMT_THREAD, org, h->refs[i]);
	fn_push(cmd, KEYS_SCHEMA);
	fn_pushf(cmd, "%ld", h->seen_ttl);
	fn_push(cmd, h->id);
	fn_pushf(cmd, "%ld", h->thread_ttl);
	fn_push(cmd, own ? "1" : "0");
	fn_push(cmd, h->token != NULL ? h->token : "");
	fn_pushf(cmd, "%ld", h->rate_limit);
	fn_push(cmd, h->count ? "1" : "0");
	fn_push(cmd, h->merge ? "1" : "0");
	fn_push(cmd, h->stored ? "1" : "0");
	fn_push(cmd, h->auto_reason != NULL ? h->auto_reason : "");
	fn_push(cmd, h->participants ? "1" : "0");
	fn_push(cmd, h->identity != NULL ? h->identity : "");
	return (fn_done(cmd));
}

/* fn_reply_find - mailacd_reply_find: keys schema, thread keys; ID */
int
fn_reply_find(struct fn_cmd *cmd, const char *org, const char *id,
    const char *const *threads, size_t nthreads)
{
	size_t	i;

	fn_begin(cmd, "mailacd_reply_find", org, 1 + (int)nthreads);
	for (i = 0; i < nthreads; i++)
		fn_pushf(cmd, KEYS_FMT_THREAD, org, threads[i]);
	fn_push(cmd, id != NULL ? id : "");
	return (fn_done(cmd));
}

/* fn_open_find - mailacd_open_find: keys schema, open:HEX... */
int
fn_open_find(struct fn_cmd *cmd, const char *org, const char *const *opens,
    size_t nopens)
{
	size_t	i;

	fn_begin(cmd, "mailacd_open_find", org, 1 + (int)nopens);
	for (i = 0; i < nopens; i++)
		fn_pushf(cmd, KEYS_FMT_OPEN, org, opens[i]);
	return (fn_done(cmd));
}

/* fn_reply_record - mailacd_reply_record: keys schema, ix:ID, the reply's
 * thread key; Message-ID, by, ttl, id */
int
fn_reply_record(struct fn_cmd *cmd, const char *org, const char *id,
    const char *thread, const char *msgid, const char *by, long ttl)
{
	fn_begin(cmd, "mailacd_reply_record", org, 3);
	fn_pushf(cmd, KEYS_FMT_IX, org, id);
	fn_pushf(cmd, KEYS_FMT_THREAD, org, thread);
	fn_push(cmd, msgid);
	fn_push(cmd, by);
	fn_pushf(cmd, "%ld", ttl);
	fn_push(cmd, id);
	return (fn_done(cmd));
}

/* fn_responses - mailacd_responses, keys schema and responses; the names */
int
fn_responses(struct fn_cmd *cmd, const char *org, const char *const *names,
    size_t nnames)
{
	size_t	i;

	fn_begin(cmd, "mailacd_responses", org, 2);
	fn_pushf(cmd, KEYS_FMT_RESPONSES, org);
	for (i = 0; i < nnames; i++)
		fn_push(cmd, names[i]);
	return (fn_done(cmd));
}

/* fn_respond - mailacd_respond, key schema; id, name, by, key */
int
fn_respond(struct fn_cmd *cmd, const char *org, const char *id,
    const char *name, const char *by, const char *key)
{
	fn_begin(cmd, "mailacd_respond", org, 1);
	fn_push(cmd, id);
	fn_push(cmd, name);
	fn_push(cmd, by);
	fn_push(cmd, key != NULL ? key : "");
	return (fn_done(cmd));
}

/* fn_sent - mailacd_sent, keys schema, out:JOB, outbox, [thread]; group,
 * entry, message id, via, thread ttl */
int
fn_sent(struct fn_cmd *cmd, const char *org, const char *job,
    const char *entry, const char *msgid, const char *via,
    const char *thread, long ttl)
{
	int	th = thread != NULL && *thread != '\0';

	fn_begin(cmd, "mailacd_sent", org, 3 + th);
	fn_pushf(cmd, KEYS_FMT_OUT, org, job);
	fn_pushf(cmd, KEYS_FMT_OUTBOX, org);
	if (th)
		fn_pushf(cmd, KEYS_FMT_THREAD, org, thread);
	fn_push(cmd, KEYS_GROUP);
	fn_push(cmd, entry);
	fn_push(cmd, msgid);
	fn_push(cmd, via);
	fn_pushf(cmd, "%ld", ttl);
	return (fn_done(cmd));
}

/* fn_unsent - mailacd_unsent, keys schema, out:JOB, outbox; group,
 * entry, error, next ("" to give up) */
int
fn_unsent(struct fn_cmd *cmd, const char *org, const char *job,
    const char *entry, const char *error, long long next)
{
	fn_begin(cmd, "mailacd_unsent", org, 3);
	fn_pushf(cmd, KEYS_FMT_OUT, org, job);
	fn_pushf(cmd, KEYS_FMT_OUTBOX, org);
	fn_push(cmd, KEYS_GROUP);
	fn_push(cmd, entry);
	fn_push(cmd, error);
	if (next > 0)
		fn_pushf(cmd, "%lld", next);
	else
		fn_push(cmd, "");
	return (fn_done(cmd));
}
