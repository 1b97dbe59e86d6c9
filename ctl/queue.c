/* queue.c - read waiting queues (mailacd-keys(7) sorted sets) and print
 * them: "mailacdctl queues".
 *
 * The member served next is the one with the lowest score (rank).  The
 * oldest member is not necessarily that one: a low priority interaction
 * can wait longer than a high priority one that overtook it.  Every
 * member's enqueue time is at least its score (score = enqueued -
 * KEYS_PRIORITY_MS x priority, priority >= 0), so walking the set in rank
 * order we can stop at the first score that is not below the oldest time
 * seen so far: nothing after it can be older.  The walk is bounded by
 * QUEUE_SCAN_MAX members; beyond that the oldest is reported as a lower
 * bound.  The reads are not one snapshot: a queue that changes meanwhile
 * is shown as the reads found it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "queue.h"
#include "tbl.h"

#define QUEUE_PAGE	500	/* members per ZRANGE while scanning */

/* One queue found in Redis that the configuration does not name. */
struct queue_extra {
	char	*org;
	char	*queue;
	int	org_known;
};

/* queue_score - a sorted-set score reply as whole milliseconds */
static int
queue_score(const redisReply *r, int64_t *v)
{
	char	*end;
	double	d;

#ifdef REDIS_REPLY_DOUBLE
	if (r->type == REDIS_REPLY_DOUBLE)	/* hiredis >= 1.0, RESP3 */
		d = r->dval;
	else
#endif
	{
		if (r->type != REDIS_REPLY_STRING)
			return (-1);
		errno = 0;
		d = strtod(r->str, &end);
		if (end == r->str || *end != '\0' || errno != 0)
			return (-1);
	}
	/* NaN fails this test too */
	if (!(d > -9e18 && d < 9e18))
		return (-1);
	*v = (int64_t)(d < 0 ? d - 0.5 : d + 0.5);
	return (0);
}

/* queue_pair - member and score I of a WITHSCORES reply R */
static int
queue_pair(const redisReply *r, size_t i, int64_t *enq,
    char id[CTL_ID_LEN + 1], int64_t *score)
{
	const redisReply *m, *s;

	/* RESP2 answers flat (m, s, m, s); RESP3 answers pairs */
	if (r->element[0]->type == REDIS_REPLY_ARRAY) {
		if (i >= r->elements || r->element[i]->elements != 2)
			return (-1);
		m = r->element[i]->element[0];
		s = r->element[i]->element[1];
	} else {
		if (2 * i + 1 >= r->elements)
			return (-1);
		m = r->element[2 * i];
		s = r->element[2 * i + 1];
	}
	if (m->type != REDIS_REPLY_STRING || queue_score(s, score) != 0)
		return (-1);
	return (ctl_member(m->str, m->len, enq, id));
}

/* queue_pairs - how many members a WITHSCORES reply holds */
static size_t
queue_pairs(const redisReply *r)
{
	if (r->elements > 0 && r->element[0]->type == REDIS_REPLY_ARRAY)
		return (r->elements);
	return (r->elements / 2);
}

/* queue_bad - a member that does not follow mailacd-keys(7) */
static int
queue_bad(const char *key)
{
	ctl_errx("%s: a member is not ENQUEUED:ID with a numeric score "
	    "(see mailacd-keys(7))", key);
	return (EX_DATAERR);
}

/* queue_oldest - walk from rank 1 while an older member can still come */
static int
queue_oldest(struct ctl *ctl, const char *key, struct queue_info *qi)
{
	redisReply *r;
	long long start = 1;
	size_t	i, n;
	int64_t	enq, score;
	char	id[CTL_ID_LEN + 1];
	int	st;

	qi->has_oldest = 1;
	qi->oldest_exact = 1;
	memcpy(qi->oldest_id, qi->next_id, sizeof(qi->oldest_id));
	qi->oldest_enqueued = qi->next_enqueued;
	for (;;) {
		if (start >= QUEUE_SCAN_MAX) {
			qi->oldest_exact = 0;
			return (0);
		}
		if ((r = ctl_command(ctl, &st, "ZRANGE", key,
		    "ZRANGE %s %lld %lld WITHSCORES", key, start,
		    start + QUEUE_PAGE - 1)) == NULL)
			return (st);
		if (r->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			return (queue_bad(key));
		}
		n = queue_pairs(r);
		for (i = 0; i < n; i++) {
			if (queue_pair(r, i, &enq, id, &score) != 0) {
				freeReplyObject(r);
				return (queue_bad(key));
			}
			if (score >= qi->oldest_enqueued) {
				freeReplyObject(r);
				return (0);
			}
			if (enq < qi->oldest_enqueued) {
				qi->oldest_enqueued = enq;
				memcpy(qi->oldest_id, id, sizeof(id));
			}
		}
		freeReplyObject(r);
		if (n < QUEUE_PAGE)
			return (0);
		start += QUEUE_PAGE;
	}
}

/* queue_info - ZCARD, the lowest-ranked member, and maybe the oldest */
int
queue_info(struct ctl *ctl, const char *org, const char *name, int oldest,
    struct queue_info *qi)
{
	char	key[CTL_KEY_MAX];
	redisReply *r;
	int	st;

	memset(qi, 0, sizeof(*qi));
	if (keys_fmt(key, sizeof(key), KEYS_FMT_QUEUE, org, name) != 0) {
		ctl_errx("queue %s of %s: key too long", name, org);
		return (EX_SOFTWARE);
	}
	if ((r = ctl_command(ctl, &st, "ZCARD", key, "ZCARD %s", key)) == NULL)
		return (st);
	st = ctl_int(ctl, r, "ZCARD", key, &qi->waiting);
	freeReplyObject(r);
	if (st != 0 || qi->waiting == 0)
		return (st);
	if ((r = ctl_command(ctl, &st, "ZRANGE", key,
	    "ZRANGE %s 0 0 WITHSCORES", key)) == NULL)
		return (st);
	if (r->type != REDIS_REPLY_ARRAY || queue_pairs(r) != 1 ||
	    queue_pair(r, 0, &qi->next_enqueued, qi->next_id,
	    &qi->next_rank) != 0) {
		/* emptied between ZCARD and ZRANGE: say so, not an error */
		st = r->type == REDIS_REPLY_ARRAY && r->elements == 0;
		freeReplyObject(r);
		if (st) {
			qi->waiting = 0;
			return (0);
		}
		return (queue_bad(key));
	}
	freeReplyObject(r);
	qi->has_next = 1;
	qi->next_priority = (qi->next_enqueued - qi->next_rank) /
	    KEYS_PRIORITY_MS;
	if (!oldest)
		return (0);
	return (queue_oldest(ctl, key, qi));
}

/* queue_json_next - {"id","enqueued_ms","wait_ms","rank","priority"} */
void
queue_json_next(struct ctl *ctl, struct jw *j, const char *key,
    const struct queue_info *qi)
{
	if (!qi->has_next) {
		jw_null(j, key);
		return;
	}
	jw_open(j, key, '{');
	jw_string(j, "id", qi->next_id);
	jw_int(j, "enqueued_ms", qi->next_enqueued);
	jw_int(j, "wait_ms", ctl->now_ms - qi->next_enqueued);
	jw_int(j, "rank", qi->next_rank);
	jw_int(j, "priority", qi->next_priority);
	jw_close(j, '}');
}

/* queue_json_oldest - {"id","enqueued_ms","wait_ms","exact"} or null */
void
queue_json_oldest(struct ctl *ctl, struct jw *j, const struct queue_info *qi)
{
	if (!qi->has_oldest) {
		jw_null(j, "oldest");
		return;
	}
	jw_open(j, "oldest", '{');
	jw_string(j, "id", qi->oldest_id);
	jw_int(j, "enqueued_ms", qi->oldest_enqueued);
	jw_int(j, "wait_ms", ctl->now_ms - qi->oldest_enqueued);
	jw_bool(j, "exact", qi->oldest_exact);
	jw_close(j, '}');
}

/* queue_oldest_text - "4m05s", or ">=4m05s" for a lower bound */
const char *
queue_oldest_text(struct ctl *ctl, const struct queue_info *qi, char *buf,
    size_t size)
{
	char	w[32];

	if (!qi->has_oldest)
		return (NULL);
	snprintf(buf, size, "%s%s", qi->oldest_exact ? "" : ">=",
	    ctl_wait(ctl->now_ms - qi->oldest_enqueued, w, sizeof(w)));
	return (buf);
}

/* queue_configured - ORG and its QUEUE as the configuration names them */
static void
queue_configured(const struct cfg *cfg, const char *org, const char *queue,
    int *org_known, int *queue_known)
{
	size_t	i, k;

	*org_known = *queue_known = 0;
	for (i = 0; i < cfg->norgs; i++) {
		if (strcmp(cfg->orgs[i].id, org) != 0)
			continue;
		*org_known = 1;
		for (k = 0; k < cfg->orgs[i].nqueues; k++)
			if (strcmp(cfg->orgs[i].queues[k].name, queue) == 0)
				*queue_known = 1;
	}
}

/* queue_extra_cmp - qsort: by organisation, then queue name */
static int
queue_extra_cmp(const void *a, const void *b)
{
	const struct queue_extra *x = a, *y = b;
	int	c;

	if ((c = strcmp(x->org, y->org)) != 0)
		return (c);
	return (strcmp(x->queue, y->queue));
}

/* queue_extra_free - the list SCAN found */
static void
queue_extra_free(struct queue_extra *ex, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(ex[i].org);
		free(ex[i].queue);
	}
	free(ex);
}

/* queue_extra_add - remember KEY if it is a queue the configuration lacks */
static int
queue_extra_add(struct ctl *ctl, const char *key, struct queue_extra **ex,
    size_t *n)
{
	const char *org = key + strlen("mailacd:{"), *end, *q;
	struct queue_extra *nx;
	int	org_known, queue_known;
	char	*o, *qn;

	if ((end = strstr(org, "}:queue:")) == NULL || end == org)
		return (0);
	q = end + strlen("}:queue:");
	if (*q == '\0')
		return (0);
	if ((o = strndup(org, (size_t)(end - org))) == NULL)
		return (-1);
	queue_configured(ctl->cfg, o, q, &org_known, &queue_known);
	if (queue_known) {
		free(o);
		return (0);
	}
	if ((qn = strdup(q)) == NULL ||
	    (nx = reallocarray(*ex, *n + 1, sizeof(**ex))) == NULL) {
		free(o);
		free(qn);
		return (-1);
	}
	*ex = nx;
	nx[*n].org = o;
	nx[*n].queue = qn;
	nx[*n].org_known = org_known;
	(*n)++;
	return (0);
}

/* What queue_scan's callback fills. */
struct queue_scan_arg {
	struct ctl *ctl;
	struct queue_extra **ex;
	size_t	*n;
};

/* queue_scan_key - one key SCAN found */
static int
queue_scan_key(const char *key, void *arg)
{
	struct queue_scan_arg *a = arg;

	return (queue_extra_add(a->ctl, key, a->ex, a->n));
}

/* queue_scan - every mailacd:{*}:queue:* key not in the configuration */
static int
queue_scan(struct ctl *ctl, struct queue_extra **ex, size_t *n)
{
	struct queue_scan_arg a = { ctl, ex, n };
	size_t	i;
	int	st;

	if ((st = ctl_scan(ctl, "mailacd:{*}:queue:*", NULL, queue_scan_key,
	    &a)) != 0)
		return (st);
	/* SCAN may return a key twice */
	if (*n > 1)
		qsort(*ex, *n, sizeof(**ex), queue_extra_cmp);
	for (i = 1; i < *n; ) {
		if (queue_extra_cmp(&(*ex)[i - 1], &(*ex)[i]) == 0) {
			free((*ex)[i].org);
			free((*ex)[i].queue);
			memmove(&(*ex)[i], &(*ex)[i + 1],
			    (*n - i - 1) * sizeof(**ex));
			(*n)--;
		} else
			i++;
	}
	return (0);
}

/* queue_row - one queue as a table row or a JSON object */
static int
queue_row(struct ctl *ctl, struct tbl *t, struct jw *j, const char *org,
    const char *name, const char *note)
{
	struct queue_info qi;
	char	waiting[32], oldest[40], next[32], why[512];
	const char *cells[7];
	json_t	*reqs = NULL;
	int	st;

	if ((st = queue_info(ctl, org, name, 1, &qi)) != 0)
		return (st);
	/* a configured queue where work waits: what stops it */
	if (note[0] == '\0' && qi.waiting > 0) {
		if ((st = ctl_why(ctl, org, name, why, sizeof(why),
		    j != NULL ? &reqs : NULL)) != 0)
			return (st);
		note = why;
	}
	if (j != NULL) {
		jw_open(j, NULL, '{');
		jw_string(j, "org", org);
		jw_string(j, "queue", name);
		jw_bool(j, "configured", note == why || note[0] == '\0');
		jw_int(j, "waiting", qi.waiting);
		queue_json_oldest(ctl, j, &qi);
		queue_json_next(ctl, j, "next", &qi);
		ctl_json_why(j, reqs);
		jw_close(j, '}');
		json_decref(reqs);
		return (0);
	}
	snprintf(waiting, sizeof(waiting), "%lld", qi.waiting);
	cells[0] = org;
	cells[1] = name;
	cells[2] = waiting;
	cells[3] = queue_oldest_text(ctl, &qi, oldest, sizeof(oldest));
	cells[4] = cells[5] = NULL;
	if (qi.has_next) {
		cells[4] = ctl_wait(ctl->now_ms - qi.next_enqueued, next,
		    sizeof(next));
		cells[5] = qi.next_id;
	}
	cells[6] = note;
	if (tbl_add(t, cells) != 0) {
		ctl_errx("out of memory");
		return (EX_OSERR);
	}
	return (0);
}

/* queue_cmd - the configured queues of every organisation (or of -o),
 * each followed by that organisation's queues found only in Redis, then
 * (without -o) queues of organisations the configuration does not know */
int
queue_cmd(struct ctl *ctl, int argc, char **argv)
{
	static const char *const head[] = { "ORG", "QUEUE", "WAITING",
	    "OLDEST_WAIT", "NEXT_WAIT", "NEXT_ID", "NOTE" };
	struct queue_extra *ex = NULL;
	struct tbl *t = NULL;
	struct jw js, *j = NULL;
	size_t	nex = 0, i, k;
	int	st;

	(void)argv;
	if (argc != 1) {
		ctl_errx("queues takes no arguments");
		return (EX_USAGE);
	}
	for (i = 0; i < ctl->cfg->norgs; i++)
		if (ctl_org_on(ctl, &ctl->cfg->orgs[i]) &&
		    (st = ctl_schema(ctl, ctl->cfg->orgs[i].id)) != 0)
			return (st);
	if ((st = queue_scan(ctl, &ex, &nex)) != 0)
		goto out;
	if (ctl->json) {
		j = &js;
		jw_init(j, ctl->out);
		jw_open(j, NULL, '{');
		jw_int(j, "now_ms", ctl->now_ms);
		jw_open(j, "queues", '[');
	} else if ((t = tbl_new(7, head)) == NULL) {
		ctl_errx("out of memory");
		st = EX_OSERR;
		goto out;
	}
	for (i = 0; i < ctl->cfg->norgs; i++) {
		const struct cfg_org *o = &ctl->cfg->orgs[i];

		if (!ctl_org_on(ctl, o))
			continue;
		for (k = 0; k < o->nqueues; k++)
			if ((st = queue_row(ctl, t, j, o->id,
			    o->queues[k].name, "")) != 0)
				goto out;
		for (k = 0; k < nex; k++)
			if (strcmp(ex[k].org, o->id) == 0 &&
			    (st = queue_row(ctl, t, j, ex[k].org,
			    ex[k].queue, "not configured")) != 0)
				goto out;
	}
	for (k = 0; k < nex && ctl->org == NULL; k++)
		if (!ex[k].org_known && (st = queue_row(ctl, t, j, ex[k].org,
		    ex[k].queue, "organisation not configured")) != 0)
			goto out;
	if (j != NULL) {
		jw_close(j, ']');
		jw_close(j, '}');
		jw_end(j);
	} else
		tbl_print(t, ctl->out);
out:
	tbl_free(t);
	queue_extra_free(ex, nex);
	return (st);
}
