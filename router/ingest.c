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
#include <sys/time.h>

#include "clock.h"
#include "fn.h"
#include "ingest.h"
#include "keys.h"
#include "log.h"
#include "rds.h"

#define INGEST_FIELDS_MAX	64	/* pairs per entry we accept */
#define INGEST_TRIES		5	/* deliveries before an entry Redis
					   keeps refusing is dead-lettered */

/* ingest_rank - enqueued - 60 s x priority: the seed's "minutes waiting +
 * priority", highest first, is this, lowest first, and never changes */
long long
ingest_rank(long long enqueued_ms, long long priority)
{
	return (enqueued_ms - KEYS_PRIORITY_MS * priority);
}

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
	snprintf(e->rank, sizeof(e->rank), "%lld",
	    ingest_rank(e->arrived, e->priority));
	snprintf(e->member, sizeof(e->member), KEYS_FMT_MEMBER, e->arrived,
	    e->id);
}

/* ingest_org - the organisation whose ingest stream is KEY, or NULL */
static const char *
ingest_org(const struct cfg *cfg, const char *key)
{
	char	k[256];
	size_t	i;

	for (i = 0; i < cfg->norgs; i++)
		if (keys_fmt(k, sizeof(k), KEYS_FMT_INGEST,
		    cfg->orgs[i].id) == 0 && strcmp(k, key) == 0)
			return (cfg->orgs[i].id);
	return (NULL);
}

/* ingest_append - queue the script call for stream entry R (dead-letter it
 * with reason FORCE when given); E says what it became */
static int
ingest_append(redisContext *c, const char *org, const char *ingest,
    redisReply *r, struct ingest_entry *e, const char *force)
{
	const char *argv[16 + 2 * INGEST_FIELDS_MAX], *keys[4];
	char	*names[INGEST_FIELDS_MAX], *values[INGEST_FIELDS_MAX];
	char	kix[300], kq[300], kdead[300], ksch[300], enq[24];
	redisReply *f;
	size_t	n = 0, i;
	int	argc = 0;

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
	if (keys_fmt(ksch, sizeof(ksch), KEYS_FMT_SCHEMA, org))
		return (-1);
	keys[0] = ksch;
	if (e->reason == NULL) {
		if (keys_fmt(kix, sizeof(kix), KEYS_FMT_IX, org, e->id) ||
		    keys_fmt(kq, sizeof(kq), KEYS_FMT_QUEUE, org, e->queue))
			return (-1);
		snprintf(enq, sizeof(enq), "%lld", e->arrived);
		keys[1] = kix;
		keys[2] = kq;
		keys[3] = ingest;
		argc = fn_argv(argv, "mailacd_ingest", 4, keys);
		argv[argc++] = KEYS_GROUP;
		argv[argc++] = e->entry;
		argv[argc++] = e->member;
		argv[argc++] = e->rank;
		argv[argc++] = enq;
	} else {
		if (keys_fmt(kdead, sizeof(kdead), KEYS_FMT_DEAD, org))
			return (-1);
		keys[1] = kdead;
		keys[2] = ingest;
		argc = fn_argv(argv, "mailacd_dead", 3, keys);
		argv[argc++] = KEYS_GROUP;
		argv[argc++] = e->entry;
		argv[argc++] = e->reason;
	}
	for (i = 0; i < n; i++) {
		argv[argc++] = names[i];
		argv[argc++] = values[i];
	}
	return (rds_append(c, argc, argv));
}

/* ingest_refused - entry R was refused with E->why: leave it pending for
 * another attempt, or dead-letter it after INGEST_TRIES deliveries */
static int
ingest_refused(redisContext *c, const char *org, const char *key,
    redisReply *r, struct ingest_entry *e, int *n, char *err, size_t errlen)
{
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
	if (ingest_append(c, org, key, r, e, reason) != 0 ||
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

/* ingest_entries - queue every entry of stream KEY in ENTRIES, one round
 * trip; *N counts them; 0 or -1 with ERR */
static int
ingest_entries(redisContext *c, const struct cfg *cfg, const char *key,
    redisReply *entries, int *n, char *err, size_t errlen)
{
	struct ingest_entry *e;
	const char *org;
	size_t	i, sent = 0;
	int	rc = 0, missing = 0;

	if ((org = ingest_org(cfg, key)) == NULL) {
		snprintf(err, errlen, "%s: not a configured organisation", key);
		return (-1);
	}
	if (entries->type != REDIS_REPLY_ARRAY || entries->elements == 0)
		return (0);
	if ((e = calloc(entries->elements, sizeof(*e))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	for (i = 0; i < entries->elements; i++) {
		if (ingest_append(c, org, key, entries->element[i], &e[i],
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
				log_info("%s: queued org=%s queue=%s rank=%s "
				    "entry=%s; assigned to %s", e[i].id, org,
				    e[i].queue, e[i].rank, e[i].entry, agent);
			else if (r->element[0]->integer == 1)
				log_info("%s: queued org=%s queue=%s rank=%s "
				    "entry=%s; waiting", e[i].id, org,
				    e[i].queue, e[i].rank, e[i].entry);
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
			rc = ingest_refused(c, org, key, entries->element[i],
			    &e[i], n, err, errlen);
	free(e);
	return (rc);
}

/* ingest_setup - scripts loaded, a consumer group on every ingest stream */
int
ingest_setup(redisContext *c, const struct cfg *cfg, char *err,
    size_t errlen)
{
	char	key[300];
	size_t	i;

	if (fn_load(c, err, errlen) != 0)
		return (-1);
	for (i = 0; i < cfg->norgs; i++) {
		const char *argv[6] = { "XGROUP", "CREATE", key, KEYS_GROUP,
		    "0", "MKSTREAM" };
		redisReply *r;

		if (keys_fmt(key, sizeof(key), KEYS_FMT_INGEST, cfg->orgs[i].id))
			return (-1);
		r = redisCommandArgv(c, 6, argv, NULL);
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

/* ingest_group_read - XREADGROUP over every organisation's stream from ID
 * ("0": own pending entries, ">": new ones); *GOT counts the entries read,
 * *RESOLVED those queued, acknowledged or dead-lettered */
static int
ingest_group_read(redisContext *c, const struct cfg *cfg,
    const char *consumer, const char *id, int block, int *got,
    int *resolved, char *err, size_t errlen)
{
	const char **argv;
	char	(*keys)[300], count[16], blockms[16];
	size_t	i, j, argc = 0;
	redisReply *r;
	int	rc = 0;

	*got = 0;
	*resolved = 0;
	argv = calloc(10 + 2 * cfg->norgs, sizeof(*argv));
	keys = calloc(cfg->norgs, sizeof(*keys));
	if (argv == NULL || keys == NULL) {
		free(argv);
		free(keys);
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	snprintf(count, sizeof(count), "%d", cfg->router.batch);
	snprintf(blockms, sizeof(blockms), "%d", cfg->router.block_ms);
	argv[argc++] = "XREADGROUP";
	argv[argc++] = "GROUP";
	argv[argc++] = KEYS_GROUP;
	argv[argc++] = consumer;
	argv[argc++] = "COUNT";
	argv[argc++] = count;
	if (block) {
		argv[argc++] = "BLOCK";
		argv[argc++] = blockms;
	}
	argv[argc++] = "STREAMS";
	for (i = 0; i < cfg->norgs; i++) {
		keys_fmt(keys[i], sizeof(keys[i]), KEYS_FMT_INGEST,
		    cfg->orgs[i].id);
		argv[argc++] = keys[i];
	}
	for (i = 0; i < cfg->norgs; i++)
		argv[argc++] = id;
	r = redisCommandArgv(c, (int)argc, argv, NULL);
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		rds_error(c, r, err, errlen);
		rc = -1;
	} else if (r->type == REDIS_REPLY_ARRAY) {
		for (i = 0; i < r->elements && rc == 0; i++) {
			redisReply *s = r->element[i];

			if (s->type != REDIS_REPLY_ARRAY || s->elements != 2)
				continue;
			j = s->element[1]->elements;
			*got += (int)j;
			rc = ingest_entries(c, cfg, s->element[0]->str,
			    s->element[1], resolved, err, errlen);
		}
	}
	if (r != NULL)
		freeReplyObject(r);
	free(argv);
	free(keys);
	return (rc);
}

/* ingest_claim - XAUTOCLAIM idle entries of one stream and queue them */
static int
ingest_claim(redisContext *c, const struct cfg *cfg, const char *consumer,
    const char *key, int *n, char *err, size_t errlen)
{
	char	cursor[64] = "0-0", idle[16], count[16];
	int	rounds;

	snprintf(idle, sizeof(idle), "%d", cfg->router.claim_idle_ms);
	snprintf(count, sizeof(count), "%d", cfg->router.batch);
	for (rounds = 0; rounds < 100000; rounds++) {
		const char *argv[8] = { "XAUTOCLAIM", key, KEYS_GROUP,
		    consumer, idle, cursor, "COUNT", count };
		redisReply *r = redisCommandArgv(c, 8, argv, NULL);
		int	rc;

		if (r == NULL || r->type != REDIS_REPLY_ARRAY ||
		    r->elements < 2 || r->element[0]->type !=
		    REDIS_REPLY_STRING) {
			rds_error(c, r, err, errlen);
			if (r != NULL)
				freeReplyObject(r);
			return (-1);
		}
		rc = ingest_entries(c, cfg, key, r->element[1], n, err,
		    errlen);
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		freeReplyObject(r);
		if (rc != 0)
			return (-1);
		if (strcmp(cursor, "0-0") == 0)
			break;
	}
	return (0);
}

/* ingest_recover - own pending entries first, then other consumers' */
int
ingest_recover(redisContext *c, const struct cfg *cfg, const char *consumer,
    int *n, char *err, size_t errlen)
{
	char	key[300];
	size_t	i;
	int	got, done;

	*n = 0;
	/* until nothing is left, or what is left is refused (it stays
	 * pending and is tried again at the next round) */
	do {
		if (ingest_group_read(c, cfg, consumer, "0", 0, &got, &done,
		    err, errlen) != 0)
			return (-1);
		*n += done;
	} while (got > 0 && done > 0);
	for (i = 0; i < cfg->norgs; i++) {
		if (keys_fmt(key, sizeof(key), KEYS_FMT_INGEST,
		    cfg->orgs[i].id) ||
		    ingest_claim(c, cfg, consumer, key, n, err, errlen) != 0)
			return (-1);
	}
	return (0);
}

/* ingest_read - new entries, waiting up to router.block_ms for them */
int
ingest_read(redisContext *c, const struct cfg *cfg, const char *consumer,
    int *n, char *err, size_t errlen)
{
	struct timeval tv;
	int	ms, rc, got;

	/* the read may wait block_ms for entries, then the command timeout
	 * applies as to any other command */
	ms = cfg->router.block_ms + cfg->redis.command_timeout_ms;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (redisSetTimeout(c, tv) != REDIS_OK) {
		rds_error(c, NULL, err, errlen);
		return (-1);
	}
	rc = ingest_group_read(c, cfg, consumer, ">", 1, &got, n, err,
	    errlen);
	ms = cfg->redis.command_timeout_ms;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (rc == 0 && redisSetTimeout(c, tv) != REDIS_OK) {
		rds_error(c, NULL, err, errlen);
		return (-1);
	}
	return (rc);
}

/* ingest_cmp_id - compare stream ids "MS-SEQ" */
static int
ingest_cmp_id(const char *a, const char *b)
{
	unsigned long long am = 0, as = 0, bm = 0, bs = 0;

	sscanf(a, "%llu-%llu", &am, &as);
	sscanf(b, "%llu-%llu", &bm, &bs);
	if (am != bm)
		return (am < bm ? -1 : 1);
	return (as < bs ? -1 : as > bs);
}

/* ingest_trim_stream - trim stream KEY below the oldest entry still
 * needed: not yet read by the group "routers", pending, or younger than
 * router.ingest_retention (handled entries stay that long for operators) */
int
ingest_trim_stream(redisContext *c, const struct cfg *cfg, const char *key,
    char *err, size_t errlen)
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
	    ingest_cmp_id(r->element[1]->str, cut) < 0)
		snprintf(cut, sizeof(cut), "%s", r->element[1]->str);
	freeReplyObject(r);
	snprintf(id, sizeof(id), "%lld-0", clock_ms() -
	    (long long)cfg->router.ingest_retention * 1000);
	if (ingest_cmp_id(id, cut) < 0)
		snprintf(cut, sizeof(cut), "%s", id);
	xtrim[3] = cut;
	if ((r = redisCommandArgv(c, 4, xtrim, NULL)) == NULL ||
	    r->type == REDIS_REPLY_ERROR) {
		rds_error(c, r, err, errlen);
		if (r != NULL)
			freeReplyObject(r);
		return (-1);
	}
	if (r->integer > 0)
		log_debug("%s: trimmed %lld handled entries", key, r->integer);
	freeReplyObject(r);
	return (0);
}

/* ingest_trim - every organisation's ingest stream */
int
ingest_trim(redisContext *c, const struct cfg *cfg, char *err, size_t errlen)
{
	char	key[300];
	size_t	i;

	for (i = 0; i < cfg->norgs; i++)
		if (keys_fmt(key, sizeof(key), KEYS_FMT_INGEST,
		    cfg->orgs[i].id) != 0 ||
		    ingest_trim_stream(c, cfg, key, err, errlen) != 0)
			return (-1);
	return (0);
}
