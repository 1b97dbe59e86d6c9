/* stream.c - read the router's streams through the consumer group
 * "routers".
 *
 * Every router is one consumer of the group on each organisation's stream.
 * An entry stays pending at the consumer that read it until the job
 * acknowledges it; a router that dies leaves its entries pending, and
 * another takes them over once they have been idle router.claim_idle_ms
 * (so a live router must read its own pending entries more often than
 * that).  Handled entries stay router.ingest_retention for operators, then
 * are trimmed.  What an entry means is the job's business: the entries go
 * to the caller's function. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "clock.h"
#include "keys.h"
#include "log.h"
#include "rds.h"
#include "stream.h"

/* stream_set_new - a key per organisation, in the configuration's order */
struct stream_set *
stream_set_new(const struct cfg *cfg, enum stream_kind kind,
    const char *consumer)
{
	struct stream_set *s;
	size_t	i;
	int	bad;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->key = calloc(cfg->norgs ? cfg->norgs : 1,
	    sizeof(*s->key))) == NULL) {
		free(s);
		return (NULL);
	}
	s->cfg = cfg;
	s->n = cfg->norgs;
	snprintf(s->consumer, sizeof(s->consumer), "%s",
	    consumer != NULL ? consumer : "");
	for (i = 0; i < s->n; i++) {
		if (kind == STREAM_INGEST)
			bad = keys_fmt(s->key[i], sizeof(s->key[i]),
			    KEYS_FMT_INGEST, cfg->orgs[i].id);
		else if (kind == STREAM_OUTBOX)
			bad = keys_fmt(s->key[i], sizeof(s->key[i]),
			    KEYS_FMT_OUTBOX, cfg->orgs[i].id);
		else
			bad = keys_fmt(s->key[i], sizeof(s->key[i]),
			    KEYS_FMT_DELIVER, cfg->orgs[i].id);
		if (bad)	/* the configuration bounds ids far below */
			log_panic("stream: organisation id %s too long",
			    cfg->orgs[i].id);
	}
	return (s);
}

/* stream_set_free - the keys and the set */
void
stream_set_free(struct stream_set *s)
{
	if (s == NULL)
		return;
	free(s->key);
	free(s);
}

/* stream_setup - XGROUP CREATE ... MKSTREAM on each stream; BUSYGROUP
 * (the group exists) is what every start but the first gets */
int
stream_setup(redisContext *c, const struct stream_set *s, char *err,
    size_t errlen)
{
	size_t	i;

	for (i = 0; i < s->n; i++) {
		const char *argv[6] = { "XGROUP", "CREATE", s->key[i],
		    KEYS_GROUP, "0", "MKSTREAM" };
		redisReply *r = redisCommandArgv(c, 6, argv, NULL);

		if (r == NULL || (r->type == REDIS_REPLY_ERROR &&
		    strncmp(r->str, "BUSYGROUP", 9) != 0)) {
			rds_error(c, r, err, errlen);
			if (r != NULL)
				freeReplyObject(r);
			return (-1);
		}
		freeReplyObject(r);
	}
	return (0);
}

/* stream_timeout - the command timeout of C: redis.command_timeout_ms
 * plus EXTRA ms */
static int
stream_timeout(redisContext *c, const struct stream_set *s, long long extra,
    char *err, size_t errlen)
{
	struct timeval tv;
	long long ms = s->cfg->redis.command_timeout_ms + extra;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	if (redisSetTimeout(c, tv) != REDIS_OK) {
		rds_error(c, NULL, err, errlen);
		return (-1);
	}
	return (0);
}

/* stream_index - the set's index of stream KEY, or S->n */
static size_t
stream_index(const struct stream_set *s, const char *key)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->key[i], key) == 0)
			break;
	return (i);
}

static volatile sig_atomic_t stream_stopping;

/* stream_stop - from a signal handler: the process stops */
void
stream_stop(void)
{
	stream_stopping = 1;
}

/* stream_waiting - 1 while a blocking read should keep waiting */
static int
stream_waiting(const struct stream_set *s)
{
	return (!stream_stopping && (s->stop == NULL || atomic_load(s->stop)
	    == 0));
}

/* stream_read - XREADGROUP GROUP routers CONSUMER COUNT batch [BLOCK ms]
 * STREAMS key... id..., the wait in slices */
int
stream_read(redisContext *c, const struct stream_set *s, const char *id,
    long long block, stream_each_fn *each, void *arg, size_t *got,
    char *err, size_t errlen)
{
	const char **argv;
	char	count[16], blockms[24];
	size_t	i, k, argc = 0;
	redisReply *r;
	long long left = block, slice = 0;
	int	rc = 0;

	*got = 0;
	if ((argv = calloc(10 + 2 * s->n, sizeof(*argv))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	snprintf(count, sizeof(count), "%d", s->cfg->router.batch);
	snprintf(blockms, sizeof(blockms), "%lld", block);
	argv[argc++] = "XREADGROUP";
	argv[argc++] = "GROUP";
	argv[argc++] = KEYS_GROUP;
	argv[argc++] = s->consumer;
	argv[argc++] = "COUNT";
	argv[argc++] = count;
	if (block > 0) {
		argv[argc++] = "BLOCK";
		argv[argc++] = blockms;
	}
	argv[argc++] = "STREAMS";
	for (i = 0; i < s->n; i++)
		argv[argc++] = s->key[i];
	for (i = 0; i < s->n; i++)
		argv[argc++] = id;
	/* each read may wait its slice for entries, then the command
	 * timeout applies as to any other command; a slice that brings
	 * nothing (a nil reply) is followed by the next while time is left
	 * and nobody stops us */
	for (;;) {
		if (block > 0) {
			slice = left < STREAM_SLICE_MS ? left : STREAM_SLICE_MS;
			snprintf(blockms, sizeof(blockms), "%lld", slice);
			if (stream_timeout(c, s, slice, err, errlen) != 0) {
				free(argv);
				return (-1);
			}
		}
		r = rds_cmd(c, (int)argc, argv, err, errlen);
		if (r == NULL) {
			free(argv);
			return (-1);
		}
		left -= slice;
		if (block <= 0 || r->type != REDIS_REPLY_NIL || left <= 0 ||
		    !stream_waiting(s))
			break;
		freeReplyObject(r);
	}
	free(argv);
	if (block > 0 && stream_timeout(c, s, 0, err, errlen) != 0) {
		freeReplyObject(r);
		return (-1);
	}
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements && rc == 0;
	    i++) {
		redisReply *e = r->element[i];

		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[0]->type != REDIS_REPLY_STRING ||
		    (k = stream_index(s, e->element[0]->str)) == s->n)
			continue;
		if (e->element[1]->type == REDIS_REPLY_ARRAY)
			*got += e->element[1]->elements;
		rc = each(arg, k, e->element[1], err, errlen);
	}
	freeReplyObject(r);
	return (rc);
}

/* stream_last - how many well-formed entries LIST holds; the id of the
 * last of them into LAST */
static size_t
stream_last(const redisReply *list, char *last, size_t lastlen)
{
	const redisReply *e;
	size_t	i, n = 0;

	for (i = 0; list->type == REDIS_REPLY_ARRAY && i < list->elements;
	    i++) {
		e = list->element[i];
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[0]->type != REDIS_REPLY_STRING)
			continue;
		n++;
		snprintf(last, lastlen, "%s", e->element[0]->str);
	}
	return (n);
}

/* stream_pending - XREADGROUP ... STREAMS key LAST, LAST moving on */
int
stream_pending(redisContext *c, const struct stream_set *s, size_t i,
    stream_each_fn *each, void *arg, char *err, size_t errlen)
{
	char	last[64] = "0", count[16];
	size_t	got;
	redisReply *r;
	int	rc;

	snprintf(count, sizeof(count), "%d", s->cfg->router.batch);
	do {
		const char *argv[9] = { "XREADGROUP", "GROUP", KEYS_GROUP,
		    s->consumer, "COUNT", count, "STREAMS", s->key[i], last };

		if ((r = rds_cmd(c, 9, argv, err, errlen)) == NULL)
			return (-1);
		got = 0;
		rc = 0;
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
		    r->element[0]->type == REDIS_REPLY_ARRAY &&
		    r->element[0]->elements == 2) {
			got = stream_last(r->element[0]->element[1], last,
			    sizeof(last));
			rc = each(arg, i, r->element[0]->element[1], err,
			    errlen);
		}
		freeReplyObject(r);
		if (rc != 0)
			return (-1);
	} while (got >= (size_t)s->cfg->router.batch);
	return (0);
}

/* stream_claim - XAUTOCLAIM from cursor 0-0 until it comes back to 0-0 */
int
stream_claim(redisContext *c, const struct stream_set *s, size_t i,
    stream_each_fn *each, void *arg, size_t *n, char *err, size_t errlen)
{
	char	cursor[64] = "0-0", idle[16], count[16];
	int	rounds, rc;

	*n = 0;
	snprintf(idle, sizeof(idle), "%d", s->cfg->router.claim_idle_ms);
	snprintf(count, sizeof(count), "%d", s->cfg->router.batch);
	for (rounds = 0; rounds < 100000; rounds++) {
		const char *argv[9] = { "XAUTOCLAIM", s->key[i], KEYS_GROUP,
		    s->consumer, idle, cursor, "COUNT", count, "JUSTID" };
		redisReply *r;

		if ((r = rds_cmd(c, each != NULL ? 8 : 9, argv, err,
		    errlen)) == NULL)
			return (-1);
		if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING) {
			freeReplyObject(r);
			snprintf(err, errlen, "XAUTOCLAIM %s: unexpected reply",
			    s->key[i]);
			return (-1);
		}
		if (r->element[1]->type == REDIS_REPLY_ARRAY)
			*n += r->element[1]->elements;
		rc = each != NULL ? each(arg, i, r->element[1], err, errlen) :
		    0;
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		freeReplyObject(r);
		if (rc != 0)
			return (-1);
		if (strcmp(cursor, "0-0") == 0)
			break;
	}
	return (0);
}

/* stream_cmp_id - by milliseconds, then by sequence number */
int
stream_cmp_id(const char *a, const char *b)
{
	unsigned long long am = 0, as = 0, bm = 0, bs = 0;

	sscanf(a, "%llu-%llu", &am, &as);
	sscanf(b, "%llu-%llu", &bm, &bs);
	if (am != bm)
		return (am < bm ? -1 : 1);
	return (as < bs ? -1 : as > bs);
}

/* stream_trim_one - trim stream KEY below the oldest entry still needed:
 * not yet read by the group "routers", pending, or younger than
 * router.ingest_retention (handled entries stay that long for operators) */
static int
stream_trim_one(redisContext *c, const struct stream_set *s,
    const char *key, char *err, size_t errlen)
{
	const char *xinfo[4] = { "XINFO", "GROUPS", key, NULL };
	const char *xpend[4] = { "XPENDING", key, KEYS_GROUP, NULL };
	const char *xtrim[5] = { "XTRIM", key, "MINID", NULL, NULL };
	char	cut[64] = "", id[64];
	redisReply *r;
	size_t	i, j;

	/* everything after what the group has read is still to come */
	if ((r = redisCommandArgv(c, 3, xinfo, NULL)) == NULL) {
		rds_error(c, NULL, err, errlen);
		return (-1);
	}
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		redisReply *g = r->element[i];
		int	ours = 0;

		for (j = 0; g->type == REDIS_REPLY_ARRAY && j + 1 < g->elements;
		    j += 2) {
			redisReply *k = g->element[j], *v = g->element[j + 1];

			if (k->type != REDIS_REPLY_STRING ||
			    v->type != REDIS_REPLY_STRING)
				continue;
			if (strcmp(k->str, "name") == 0)
				ours = strcmp(v->str, KEYS_GROUP) == 0;
			else if (strcmp(k->str, "last-delivered-id") == 0 && ours)
				snprintf(cut, sizeof(cut), "%s", v->str);
		}
	}
	freeReplyObject(r);
	if (cut[0] == '\0')
		return (0);	/* no group: nothing is known to be handled */
	/* nor anything delivered and not yet acknowledged */
	if ((r = redisCommandArgv(c, 3, xpend, NULL)) == NULL) {
		rds_error(c, NULL, err, errlen);
		return (-1);
	}
	if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2 &&
	    r->element[1]->type == REDIS_REPLY_STRING &&
	    stream_cmp_id(r->element[1]->str, cut) < 0)
		snprintf(cut, sizeof(cut), "%s", r->element[1]->str);
	freeReplyObject(r);
	snprintf(id, sizeof(id), "%lld-0", clock_ms() -
	    (long long)s->cfg->router.ingest_retention * 1000);
	if (stream_cmp_id(id, cut) < 0)
		snprintf(cut, sizeof(cut), "%s", id);
	xtrim[3] = cut;
	if ((r = rds_cmd(c, 4, xtrim, err, errlen)) == NULL)
		return (-1);
	if (r->integer > 0)
		log_debug("%s: trimmed %lld handled entries", key, r->integer);
	freeReplyObject(r);
	return (0);
}

/* stream_trim - each stream of S in turn */
int
stream_trim(redisContext *c, const struct stream_set *s, char *err,
    size_t errlen)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		if (stream_trim_one(c, s, s->key[i], err, errlen) != 0)
			return (-1);
	return (0);
}
