/* ingest.c - take the milter's hand-off: read each organisation's ingest
 * stream through the consumer group "routers" and queue every interaction.
 *
 * One script per entry writes the interaction hash, adds it to its queue's
 * sorted set and acknowledges the entry, atomically: an entry is queued
 * and acknowledged, or neither, so a router killed at any moment loses
 * nothing, and a replay (own pending entries, entries claimed from a dead
 * router) finds the hash and only acknowledges.  Entries that can never be
 * queued go to the dead-letter stream with the reason, in the same way.
 * A batch of entries costs one round trip. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "autoreply.h"
#include "fn.h"
#include "hours.h"
#include "ingest.h"
#include "keys.h"
#include "log.h"
#include "rds.h"
#include "stream.h"

#define INGEST_FIELDS_MAX	64	/* pairs per entry we accept */
#define INGEST_TRIES		5	/* deliveries before an entry Redis
					   keeps refusing is dead-lettered */

/* ingest_number - a decimal integer in [LO, HI], or -1 with *OK = 0 */
static long long
ingest_number(const char *s, long long lo, long long hi, int *okp)
{
	char	*end;
	long long v;

	errno = 0;
	v = (s != NULL && *s != '\0') ? strtoll(s, &end, 10) : 0;
	*okp = (s != NULL && *s != '\0' && errno == 0 && *end == '\0' &&
	    v >= lo && v <= hi);
	return (*okp ? v : -1);
}

/* ingest_check - is this an interaction we can queue? */
void
ingest_check(const char *org, const char *entry, char **names,
    char **values, size_t n, struct ingest_entry *e)
{
	const char *v = NULL, *eorg = NULL, *prio = NULL, *arrived = NULL;
	size_t	i;
	int	good;

	memset(e, 0, sizeof(*e));
	e->org = org;
	e->entry = entry;
	for (i = 0; i < n; i++) {
		if (strcmp(names[i], KEYS_F_VERSION) == 0)
			v = values[i];
		else if (strcmp(names[i], KEYS_F_ID) == 0)
			e->id = values[i];
		else if (strcmp(names[i], KEYS_F_ORG) == 0)
			eorg = values[i];
		else if (strcmp(names[i], KEYS_F_QUEUE) == 0)
			e->queue = values[i];
		else if (strcmp(names[i], KEYS_F_PRIORITY) == 0)
			prio = values[i];
		else if (strcmp(names[i], KEYS_F_ARRIVED) == 0)
			arrived = values[i];
	}
	if (n > INGEST_FIELDS_MAX)
		e->reason = "too many fields";
	else if (v == NULL || strcmp(v, KEYS_SCHEMA) != 0)
		e->reason = "unknown schema version (field v)";
	else if (e->id == NULL || strlen(e->id) != 32 ||
	    strspn(e->id, "0123456789abcdef") != 32)
		e->reason = "no valid interaction id (field id)";
	else if (eorg == NULL || strcmp(eorg, org) != 0)
		e->reason = "organisation differs from the stream's (field org)";
	else if (e->queue == NULL || *e->queue == '\0' || strlen(e->queue) >
	    CFG_NAME_MAX || strspn(e->queue, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(e->queue))
		e->reason = "no valid queue name (field queue)";
	if (e->reason != NULL)
		return;
	e->priority = ingest_number(prio, 0, CFG_PRIORITY_MAX, &good);
	if (!good) {
		e->reason = "priority is not a number from 0 to 1000";
		return;
	}
	/* milliseconds since 1970, up to the year 33658 */
	e->arrived = ingest_number(arrived, 1, 999999999999999LL, &good);
	if (!good) {
		e->reason = "arrived is not a time in milliseconds";
		return;
	}
}

/* ingest_value - field NAME of the entry, or NULL */
static const char *
ingest_value(char **names, char **values, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return (values[i]);
	return (NULL);
}

/* ingest_ack - the flow's acknowledgement, else the address's; RFC 3834 */
void
ingest_ack(const struct cfg *cfg, const struct cfg_org *o, char **names,
    char **values, size_t n, struct ingest_ack *a)
{
	const struct cfg_address *ca;
	const struct cfg_queue *q;
	struct autoreply_in in;
	const char *v, *addr;
	time_t	t;
	char	key[ADDR_MAX + 2], err[128];
	struct addr pa;

	memset(a, 0, sizeof(*a));
	if ((v = ingest_value(names, values, n, KEYS_F_ACK)) != NULL &&
	    *v != '\0')
		a->response = v;
	else if ((addr = ingest_value(names, values, n,
	    KEYS_F_ADDRESS)) != NULL && addr_parse(addr, &pa, err,
	    sizeof(err)) == 0 && (ca = cfg_match_address(cfg, pa.local,
	    pa.domain, key, sizeof(key))) != NULL &&
	    /* by id: O may be a Redis group's view of the organisation */
	    strcmp(ca->org->id, o->id) == 0 &&
	    ca->ackp != NULL)
		a->response = ca->ack;
	if (a->response == NULL)
		return;
	snprintf(a->period, sizeof(a->period), "%d", o->ack_period);
	/* a flow says when its queue opens; an address's queue is looked
	 * up here, at the message's arrival */
	v = ingest_value(names, values, n, KEYS_F_ARRIVED);
	if (ingest_value(names, values, n, KEYS_F_OPENS) == NULL &&
	    v != NULL && (addr = ingest_value(names, values, n,
	    KEYS_F_QUEUE)) != NULL && (q = cfg_find_queue(o, addr)) != NULL &&
	    q->sched != NULL) {
		t = (time_t)(strtoll(v, NULL, 10) / 1000);
		if (!hours_open(q->sched, t) &&
		    (t = hours_next_open(q->sched, t)) != 0)
			snprintf(a->opens, sizeof(a->opens), "%lld",
			    (long long)t);
	}
	if (cfg_response_find(o, a->response) == NULL) {
		a->skip = "no such response in the configuration";
		return;
	}
	memset(&in, 0, sizeof(in));
	in.automatic = ingest_value(names, values, n, KEYS_F_AUTO);
	in.noreply = ingest_value(names, values, n, KEYS_F_NOREPLY);
	in.sender = ingest_value(names, values, n, KEYS_F_SENDER);
	in.from = ingest_value(names, values, n, KEYS_F_FROM);
	in.reply_to = ingest_value(names, values, n, KEYS_F_REPLY_TO);
	v = ingest_value(names, values, n, KEYS_F_MERGED);
	in.merged = v != NULL && *v != '\0';
	v = ingest_value(names, values, n, KEYS_F_STOPPED);
	in.stopped = v != NULL && *v != '\0';
	a->skip = autoreply_decide(cfg, &in, a->to, sizeof(a->to), a->name,
	    sizeof(a->name));
}

/* ingest_append - queue the library call for stream entry R (dead-letter
 * it with reason FORCE when given); E says what it became */
static int
ingest_append(redisContext *c, const struct cfg *cfg,
    const struct cfg_org *o, redisReply *r, struct ingest_entry *e,
    const char *force)
{
	char	*names[INGEST_FIELDS_MAX], *values[INGEST_FIELDS_MAX];
	const char *org = o->id;
	struct ingest_ack ack;
	struct fn_cmd cmd;
	redisReply *f;
	size_t	n = 0, i;
	int	rc;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING)
		return (-1);
	f = r->element[1];
	if (f->type == REDIS_REPLY_ARRAY)
		for (i = 0; i + 1 < f->elements && n < INGEST_FIELDS_MAX; i += 2) {
			if (f->element[i]->type != REDIS_REPLY_STRING ||
			    f->element[i + 1]->type != REDIS_REPLY_STRING)
				return (-1);
			names[n] = f->element[i]->str;
			values[n++] = f->element[i + 1]->str;
		}
	ingest_check(org, r->element[0]->str, names, values, n, e);
	if (f->type != REDIS_REPLY_ARRAY)
		e->reason = "entry deleted before it was queued";
	else if (f->elements > 2 * INGEST_FIELDS_MAX)
		e->reason = "too many fields";
	if (force != NULL)
		e->reason = force;
	if (e->reason == NULL)
		fn_ingest(&cmd, org, e->entry, e->id, e->queue, e->arrived);
	else
		fn_dead(&cmd, org, e->entry, e->reason);
	for (i = 0; i < n; i++)
		fn_field(&cmd, names[i], values[i]);
	/* the library sends it only for a new interaction, once per
	 * customer and period */
	if (e->reason == NULL) {
		ingest_ack(cfg, o, names, values, n, &ack);
		if (ack.response != NULL) {
			fn_field(&cmd, "ack_response", ack.response);
			fn_field(&cmd, "ack_period", ack.period);
			if (ack.opens[0] != '\0')
				fn_field(&cmd, KEYS_F_OPENS, ack.opens);
			if (ack.skip != NULL)
				fn_field(&cmd, "ack_skip", ack.skip);
			else {
				fn_field(&cmd, "ack_to", ack.to);
				fn_field(&cmd, "ack_name", ack.name);
			}
		}
	}
	rc = fn_append(c, &cmd);
	fn_cmd_free(&cmd);
	return (rc);
}

/* ingest_refused - entry R was refused with E->why: leave it pending for
 * another attempt, or dead-letter it after INGEST_TRIES deliveries */
static int
ingest_refused(redisContext *c, const struct cfg *cfg,
    const struct cfg_org *o, const char *key, redisReply *r,
    struct ingest_entry *e, int *n, char *err, size_t errlen)
{
	const char *org = o->id;
	const char *argv[7] = { "XPENDING", key, KEYS_GROUP, e->entry,
	    e->entry, "1", NULL };
	char	reason[300];
	redisReply *p, *d = NULL;
	long long tries = 0;

	if ((p = redisCommandArgv(c, 6, argv, NULL)) == NULL) {
		rds_error(c, NULL, err, errlen);
		return (-1);
	}
	if (p->type == REDIS_REPLY_ARRAY && p->elements == 1 &&
	    p->element[0]->type == REDIS_REPLY_ARRAY &&
	    p->element[0]->elements == 4)
		tries = p->element[0]->element[3]->integer;
	freeReplyObject(p);
	if (tries < INGEST_TRIES) {
		log_warnx("%s: entry %s not queued (attempt %lld of %d): %s",
		    org, e->entry, tries, INGEST_TRIES, e->why);
		return (0);
	}
	snprintf(reason, sizeof(reason), "refused %lld times: %s", tries,
	    e->why);
	if (ingest_append(c, cfg, o, r, e, reason) != 0 ||
	    redisGetReply(c, (void **)&d) != REDIS_OK || d == NULL ||
	    d->type == REDIS_REPLY_ERROR) {
		rds_error(c, d, err, errlen);
		if (d != NULL)
			freeReplyObject(d);
		return (-1);
	}
	freeReplyObject(d);
	(*n)++;
	log_warnx("%s: entry %s dead-lettered to " KEYS_FMT_DEAD ": %s", org,
	    e->entry, org, reason);
	return (0);
}

/* ingest_entries - queue every entry of stream KEY of organisation ORG in
 * ENTRIES, one round trip; *N counts them; 0 or -1 with ERR */
static int
ingest_entries(redisContext *c, const struct cfg *cfg,
    const struct cfg_org *o, const char *key, redisReply *entries, int *n,
    char *err, size_t errlen)
{
	const char *org = o->id;
	struct ingest_entry *e;
	size_t	i, sent = 0;
	int	rc = 0, missing = 0;

	if (entries->type != REDIS_REPLY_ARRAY || entries->elements == 0)
		return (0);
	if ((e = calloc(entries->elements, sizeof(*e))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	for (i = 0; i < entries->elements; i++) {
		if (ingest_append(c, cfg, o, entries->element[i], &e[i],
		    NULL) != 0) {
			snprintf(err, errlen, "%s: malformed stream reply", key);
			rc = -1;
			break;
		}
		sent++;
	}
	for (i = 0; i < sent; i++) {
		redisReply *r = NULL;

		if (redisGetReply(c, (void **)&r) != REDIS_OK || r == NULL) {
			rds_error(c, r, err, errlen);
			free(e);
			return (-1);
		}
		if (r->type == REDIS_REPLY_ERROR &&
		    strstr(r->str, "Function not found") != NULL)
			missing = 1;	/* FUNCTION FLUSH, a Redis without
					   persistence restarted... */
		else if (r->type == REDIS_REPLY_ERROR)
			snprintf(e[i].why, sizeof(e[i].why), "%s", r->str);
		else if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
		    r->element[0]->type == REDIS_REPLY_INTEGER &&
		    r->element[1]->type == REDIS_REPLY_STRING) {
			const char *agent = r->element[1]->str;

			(*n)++;
			if (r->element[0]->integer == 1 && *agent != '\0')
				log_info("%s: queued org=%s queue=%s priority=%lld "
				    "entry=%s; assigned to %s", e[i].id, org,
				    e[i].queue, e[i].priority, e[i].entry, agent);
			else if (r->element[0]->integer == 1)
				log_info("%s: queued org=%s queue=%s priority=%lld "
				    "entry=%s; waiting", e[i].id, org,
				    e[i].queue, e[i].priority, e[i].entry);
			else if (r->element[0]->integer == 3)
				log_info("%s: follow-up in entry %s%s%s",
				    e[i].id, e[i].entry, *agent ?
				    "; assigned to " : "", agent);
			else if (r->element[0]->integer == 0)
				log_info("%s: already queued; entry %s "
				    "acknowledged", e[i].id, e[i].entry);
			else
				log_warnx("%s: entry %s dead-lettered to "
				    KEYS_FMT_DEAD ": %s", org, e[i].entry, org,
				    e[i].reason);
		}
		freeReplyObject(r);
	}
	if (missing) {
		/* not the entries' fault: load the library again (the caller
		 * reconnects and re-reads the pending entries at once) */
		free(e);
		if (fn_load(c, err, errlen) == 0)
			snprintf(err, errlen, "the function library was "
			    "missing in Redis; loaded it again");
		return (-1);
	}
	/* entries Redis refused while the connection is fine: count the
	 * attempts, give up after INGEST_TRIES */
	for (i = 0; i < sent && rc == 0; i++)
		if (e[i].why[0] != '\0')
			rc = ingest_refused(c, cfg, o, key,
			    entries->element[i], &e[i], n, err, errlen);
	free(e);
	return (rc);
}

/* What the entries read from the ingest streams go through. */
struct ingest_batch {
	redisContext *c;
	const struct stream_set *s;
	int	*resolved;	/* counts the entries queued, acknowledged or
				   dead-lettered */
};

/* ingest_each - stream_each_fn: queue the entries of organisation I */
static int
ingest_each(void *arg, size_t i, redisReply *entries, char *err,
    size_t errlen)
{
	struct ingest_batch *b = arg;

	return (ingest_entries(b->c, b->s->cfg, &b->s->cfg->orgs[i],
	    b->s->key[i], entries, b->resolved, err, errlen));
}

/* ingest_streams - the ingest streams of CFG read as CONSUMER; NULL with
 * ERR on memory shortage */
static struct stream_set *
ingest_streams(const struct cfg *cfg, const char *consumer, char *err,
    size_t errlen)
{
	struct stream_set *s = stream_set_new(cfg, STREAM_INGEST, consumer);

	if (s == NULL)
		snprintf(err, errlen, "out of memory");
	return (s);
}

/* ingest_setup - scripts loaded, a consumer group on every ingest stream */
int
ingest_setup(redisContext *c, const struct cfg *cfg, char *err,
    size_t errlen)
{
	struct stream_set *s;
	int	rc;

	if (fn_load(c, err, errlen) != 0 ||
	    (s = ingest_streams(cfg, NULL, err, errlen)) == NULL)
		return (-1);
	rc = stream_setup(c, s, err, errlen);
	stream_set_free(s);
	return (rc);
}

/* ingest_recover - own pending entries first, then other consumers' */
int
ingest_recover(redisContext *c, const struct cfg *cfg, const char *consumer,
    int *n, char *err, size_t errlen)
{
	struct ingest_batch b;
	struct stream_set *s;
	size_t	i, got, claimed;
	int	done, rc = 0;

	*n = 0;
	if ((s = ingest_streams(cfg, consumer, err, errlen)) == NULL)
		return (-1);
	b.c = c;
	b.s = s;
	b.resolved = &done;
	/* until nothing is left, or what is left is refused (it stays
	 * pending and is tried again at the next round) */
	do {
		done = 0;
		if (stream_read(c, s, "0", 0, ingest_each, &b, &got, err,
		    errlen) != 0) {
			stream_set_free(s);
			return (-1);
		}
		*n += done;
	} while (got > 0 && done > 0);
	b.resolved = n;
	for (i = 0; i < s->n && rc == 0; i++)
		rc = stream_claim(c, s, i, ingest_each, &b, &claimed, err,
		    errlen);
	stream_set_free(s);
	return (rc);
}

/* ingest_read - new entries, waiting up to router.block_ms for them */
int
ingest_read(redisContext *c, const struct cfg *cfg, const char *consumer,
    int *n, char *err, size_t errlen)
{
	struct ingest_batch b;
	struct stream_set *s;
	size_t	got;
	int	rc;

	*n = 0;
	if ((s = ingest_streams(cfg, consumer, err, errlen)) == NULL)
		return (-1);
	b.c = c;
	b.s = s;
	b.resolved = n;
	rc = stream_read(c, s, ">", cfg->router.block_ms, ingest_each, &b,
	    &got, err, errlen);
	stream_set_free(s);
	return (rc);
}

/* ingest_trim - every organisation's ingest stream */
int
ingest_trim(redisContext *c, const struct cfg *cfg, char *err, size_t errlen)
{
	struct stream_set *s;
	int	rc;

	if ((s = ingest_streams(cfg, NULL, err, errlen)) == NULL)
		return (-1);
	rc = stream_trim(c, s, err, errlen);
	stream_set_free(s);
	return (rc);
}
