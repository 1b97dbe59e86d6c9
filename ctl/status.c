/* status.c - "mailacdctl status": per organisation, the schema version,
 * how many interactions wait and how many are assigned, the agents of the
 * roster by presence, how many ingest entries were dead-lettered, and the
 * ingest backlog: the stream's length and what the "routers" consumer
 * group has read but not acknowledged.  Then a table with one row per
 * queue: waiting, the oldest wait and the next one's, assigned, the
 * roster agents serving it (available / all), and today's service level:
 * of the interactions answered (assigned for the first time) today, the
 * share answered within the queue's target.  "Today" is the UTC day, as
 * in the statistics keys mailacd:{org}:stats:QUEUE:YYYY-MM-DD.  And the
 * last DNS check of each configured domain (mailacdctl domain check, the
 * router's re-check): how many passed, failed, were never checked. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "agent.h"
#include "json.h"
#include "queue.h"
#include "hours.h"
#include "status.h"
#include "tbl.h"

/* One queue's numbers. */
struct status_queue {
	struct queue_info qi;
	long long assigned;		/* SCARD assigned:QUEUE */
	long long agents;		/* roster agents serving it */
	long long available;		/* of them, available */
	long long ready;		/* of them, available with room */
	long long t_assigned;		/* today's statistics */
	long long t_answered;
	long long t_within;
	long long t_closed;
	long long t_wait_ms;
	long long t_failed;		/* resends given up (forward mode) */
};

/* One configured domain's last DNS check (mailacd:{ORG}:domain:NAME). */
struct status_domain {
	char	*status;		/* passed, failed, unchecked; NULL:
					   never checked */
	char	*failed;		/* failed_records, or NULL */
	long long checked_at;		/* -1: none */
	long long verified_at;		/* -1: never verified */
};

/* One organisation's summary. */
struct status_org {
	const struct cfg_org *org;
	char	*schema;		/* NULL: nothing written yet */
	struct status_queue *q;		/* one per configured queue */
	long long waiting;
	long long assigned;
	long long roster;		/* agents in Redis' roster */
	long long available, away, offline;
	long long unwritten;		/* configured, not in Redis' roster */
	long long unconfigured;		/* in Redis' roster, not configured */
	long long dead;
	long long ingest;
	int	has_group;		/* the "routers" group exists */
	long long pending;		/* read by a router, not acknowledged */
	int	forward;		/* some queue resends to agents */
	long long retrying;		/* SCARD retrying */
	long long failed;		/* resends given up today */
	struct status_domain *dom;	/* one per configured domain */
	redisReply *dataset;		/* HMGET of the data-set marker */
};

/* The fields of the data-set marker status reads, in this order. */
#define STATUS_DS_FIELDS	"id created created_by lost_detected lost_by " \
				"previous"
enum { DS_ID, DS_CREATED, DS_BY, DS_LOST, DS_LOST_BY, DS_PREVIOUS, DS_N };

/* status_redis_shown - is the Redis of organisation O worth a line:
 * Sentinel names it, or organisations live on several */
static int
status_redis_shown(const struct ctl *ctl, const struct cfg_org *o)
{
	return (ctl->shard != NULL && (ctl->cfg->ngroups > 1 ||
	    ctl->cfg->groups[o->group]->nsentinels > 0));
}

/* status_day - the UTC date of the run's clock, YYYY-MM-DD */
static void
status_day(struct ctl *ctl, char day[16])
{
	time_t	t = (time_t)(ctl->now_ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(day, 16, "%Y-%m-%d", &tm) == 0)
		strcpy(day, "1970-01-01");
}

/* status_xlen - XLEN of KEY */
static int
status_xlen(struct ctl *ctl, const char *key, long long *v)
{
	redisReply *r;
	int	st;

	if ((r = ctl_command(ctl, &st, "XLEN", key, "XLEN %s", key)) == NULL)
		return (st);
	st = ctl_int(ctl, r, "XLEN", key, v);
	freeReplyObject(r);
	return (st);
}

/* status_pending - XPENDING summary of the routers group; no group (or no
 * stream) is an answer, not an error */
static int
status_pending(struct ctl *ctl, struct status_org *so)
{
	char	key[CTL_KEY_MAX];
	redisReply *r;
	int	st = 0;

	if (keys_fmt(key, sizeof(key), KEYS_FMT_INGEST, so->org->id) != 0) {
		ctl_errx("organisation %s: key too long", so->org->id);
		return (EX_SOFTWARE);
	}
	if ((st = ctl_use_key(ctl, key)) != 0)
		return (st);
	r = redisCommand(ctl->rc, "XPENDING %s %s", key, KEYS_GROUP);
	if (r != NULL && r->type == REDIS_REPLY_ERROR &&
	    strncmp(r->str, "NOGROUP", 7) == 0) {
		freeReplyObject(r);
		return (0);
	}
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		st = ctl_failed(ctl, "XPENDING", key, r);
	} else if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER) {
		ctl_errx("redis %s: XPENDING %s: unexpected reply",
		    rds_describe(ctl->pool), key);
		st = EX_PROTOCOL;
	} else {
		so->has_group = 1;
		so->pending = r->element[0]->integer;
	}
	if (r != NULL)
		freeReplyObject(r);
	return (st);
}

/* status_stat - one counter of a statistics hash: 0 when missing */
static long long
status_stat(const redisReply *h, const char *name)
{
	char	*end;
	long long v;
	size_t	i;

	for (i = 0; i + 1 < h->elements; i += 2) {
		if (h->element[i]->type != REDIS_REPLY_STRING ||
		    h->element[i + 1]->type != REDIS_REPLY_STRING ||
		    strcmp(h->element[i]->str, name) != 0)
			continue;
		errno = 0;
		v = strtoll(h->element[i + 1]->str, &end, 10);
		return (*end != '\0' || errno != 0 || v < 0 ? 0 : v);
	}
	return (0);
}

/* status_queue - assigned and today's statistics of queue NAME */
static int
status_queue(struct ctl *ctl, const char *org, const char *name,
    const char *day, struct status_queue *q)
{
	char	key[CTL_KEY_MAX];
	redisReply *r;
	int	st;

	if (keys_fmt(key, sizeof(key), KEYS_FMT_ASSIGNED, org, name) != 0) {
		ctl_errx("queue %s of %s: key too long", name, org);
		return (EX_SOFTWARE);
	}
	if ((r = ctl_command(ctl, &st, "SCARD", key, "SCARD %s", key)) == NULL)
		return (st);
	st = ctl_int(ctl, r, "SCARD", key, &q->assigned);
	freeReplyObject(r);
	if (st != 0)
		return (st);
	if (keys_fmt(key, sizeof(key), KEYS_FMT_STATS, org, name, day) != 0) {
		ctl_errx("queue %s of %s: key too long", name, org);
		return (EX_SOFTWARE);
	}
	if ((r = ctl_hgetall(ctl, &st, key)) == NULL)
		return (st);
	q->t_assigned = status_stat(r, "assigned");
	q->t_answered = status_stat(r, "answered");
	q->t_within = status_stat(r, "within");
	q->t_closed = status_stat(r, "closed");
	q->t_wait_ms = status_stat(r, "wait_ms");
	q->t_failed = status_stat(r, "delivery_failed");
	freeReplyObject(r);
	return (0);
}

/* status_agents - count the roster by presence, and per queue */
static int
status_agents(struct ctl *ctl, struct status_org *so)
{
	struct agent_list l;
	size_t	i, k;
	int	st;

	if ((st = agent_read(ctl, so->org, 0, &l)) != 0) {
		agent_list_free(&l);
		return (st);
	}
	for (i = 0; i < l.n; i++) {
		const struct agent_info *a = &l.v[i];
		int	avail;

		if (!a->in_redis || !a->roster) {
			if (a->cfg != NULL)
				so->unwritten++;
			continue;
		}
		if (a->cfg == NULL)
			so->unconfigured++;
		so->roster++;
		avail = a->presence != NULL &&
		    strcmp(a->presence, "available") == 0;
		if (avail)
			so->available++;
		else if (a->presence != NULL &&
		    strcmp(a->presence, "away") == 0)
			so->away++;
		else
			so->offline++;
		for (k = 0; k < so->org->nqueues; k++) {
			struct status_queue *q = &so->q[k];

			if (!agent_serves(a, so->org->queues[k].name))
				continue;
			q->agents++;
			if (avail)
				q->available++;
			if (avail && (long long)a->nix < a->capacity)
				q->ready++;
		}
	}
	agent_list_free(&l);
	return (0);
}

/* status_field - a string element of an HMGET reply as a number, or -1 */
static long long
status_field(const redisReply *e)
{
	return (e->type == REDIS_REPLY_STRING ? strtoll(e->str, NULL, 10) :
	    -1);
}

/* status_domains - the last DNS check of each configured domain */
static int
status_domains(struct ctl *ctl, struct status_org *so)
{
	struct status_domain *sd;
	char	key[CTL_KEY_MAX];
	redisReply *r;
	size_t	k;
	int	st;

	if ((so->dom = calloc(so->org->ndomains + 1, sizeof(*so->dom))) ==
	    NULL)
		return (EX_OSERR);
	for (k = 0; k < so->org->ndomains; k++) {
		sd = &so->dom[k];
		if (keys_fmt(key, sizeof(key), KEYS_FMT_DOMAIN, so->org->id,
		    so->org->domains[k].name) != 0)
			return (EX_SOFTWARE);
		if ((r = ctl_command(ctl, &st, "HMGET", key, "HMGET %s "
		    KEYS_F_DOM_STATUS " " KEYS_F_DOM_CHECKED_AT " "
		    KEYS_F_DOM_VERIFIED_AT " " KEYS_F_DOM_FAILED, key)) ==
		    NULL)
			return (st);
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 4) {
			st = ctl_failed(ctl, "HMGET", key, r);
			freeReplyObject(r);
			return (st);
		}
		sd->checked_at = status_field(r->element[1]);
		sd->verified_at = status_field(r->element[2]);
		if ((r->element[0]->type == REDIS_REPLY_STRING &&
		    (sd->status = strdup(r->element[0]->str)) == NULL) ||
		    (r->element[3]->type == REDIS_REPLY_STRING &&
		    (sd->failed = strdup(r->element[3]->str)) == NULL)) {
			freeReplyObject(r);
			return (EX_OSERR);
		}
		freeReplyObject(r);
	}
	return (0);
}

/* status_dataset - the organisation's data-set marker (common/dataset.c) */
static int
status_dataset(struct ctl *ctl, struct status_org *so)
{
	char	key[CTL_KEY_MAX];
	redisReply *r;
	int	st;

	if (keys_fmt(key, sizeof(key), KEYS_FMT_DATASET, so->org->id) != 0)
		return (EX_SOFTWARE);
	if ((r = ctl_command(ctl, &st, "HMGET", key, "HMGET %s "
	    STATUS_DS_FIELDS, key)) == NULL)
		return (st);
	if (r->type != REDIS_REPLY_ARRAY || r->elements != DS_N) {
		st = ctl_failed(ctl, "HMGET", key, r);
		freeReplyObject(r);
		return (st);
	}
	so->dataset = r;
	return (0);
}

/* status_ds - one field of the marker, or NULL */
static const char *
status_ds(const struct status_org *so, int f)
{
	const redisReply *e = so->dataset->element[f];

	return (e->type == REDIS_REPLY_STRING ? e->str : NULL);
}

/* status_dataset_line - "  data set       since ..." or what was lost */
static void
status_dataset_line(FILE *fp, const struct status_org *so)
{
	char	t[64];

	fputs("  data set       ", fp);
	if (status_ds(so, DS_ID) == NULL) {
		fputs("no marker yet (no daemon has looked)\n", fp);
		return;
	}
	if (status_ds(so, DS_LOST) != NULL) {
		fputs("LOST: Redis lost its data; noticed ", fp);
		tbl_text(fp, ctl_time(strtoll(status_ds(so, DS_LOST), NULL, 10),
		    t, sizeof(t)));
		fputs(" by ", fp);
		tbl_text(fp, status_ds(so, DS_LOST_BY) ? status_ds(so,
		    DS_LOST_BY) : "?");
		fputs("; what was recorded before may be gone (check Redis's "
		    "persistence)\n", fp);
		return;
	}
	fputs("since ", fp);
	tbl_text(fp, status_ds(so, DS_CREATED) ? ctl_time(strtoll(status_ds(so,
	    DS_CREATED), NULL, 10), t, sizeof(t)) : "?");
	fputs(", nothing lost seen\n", fp);
}

/* status_json_dataset - the marker as the object "dataset" (or null) */
static void
status_json_dataset(struct jw *j, const struct status_org *so)
{
	const char *v;

	if (status_ds(so, DS_ID) == NULL) {
		jw_null(j, "dataset");
		return;
	}
	jw_open(j, "dataset", '{');
	jw_string(j, "id", status_ds(so, DS_ID));
	if ((v = status_ds(so, DS_CREATED)) != NULL)
		jw_int(j, "created", strtoll(v, NULL, 10));
	jw_string(j, "created_by", status_ds(so, DS_BY));
	jw_bool(j, "lost", status_ds(so, DS_LOST) != NULL);
	if ((v = status_ds(so, DS_LOST)) != NULL) {
		jw_int(j, "lost_detected", strtoll(v, NULL, 10));
		jw_string(j, "lost_by", status_ds(so, DS_LOST_BY));
		jw_string(j, "previous", status_ds(so, DS_PREVIOUS));
	}
	jw_close(j, '}');
}

/* status_read - everything about one organisation */
static int
status_read(struct ctl *ctl, struct status_org *so)
{
	char	key[CTL_KEY_MAX], day[16];
	redisReply *r;
	size_t	k;
	int	st;

	if ((st = ctl_schema(ctl, so->org->id)) != 0)
		return (st);
	if (keys_fmt(key, sizeof(key), KEYS_FMT_SCHEMA, so->org->id) != 0)
		return (EX_SOFTWARE);
	if ((st = status_dataset(ctl, so)) != 0)
		return (st);
	/* ctl_schema() checked the value: this read is for the display */
	if ((r = ctl_command(ctl, &st, "GET", key, "GET %s", key)) == NULL)
		return (st);
	if (r->type == REDIS_REPLY_STRING &&
	    (so->schema = strdup(r->str)) == NULL)
		st = EX_OSERR;
	freeReplyObject(r);
	if (st != 0)
		return (st);
	if ((so->q = calloc(so->org->nqueues + 1, sizeof(*so->q))) == NULL)
		return (EX_OSERR);
	status_day(ctl, day);
	for (k = 0; k < so->org->nqueues; k++) {
		const char *name = so->org->queues[k].name;

		if ((st = queue_info(ctl, so->org->id, name, 1,
		    &so->q[k].qi)) != 0 ||
		    (st = status_queue(ctl, so->org->id, name, day,
		    &so->q[k])) != 0)
			return (st);
		so->waiting += so->q[k].qi.waiting;
		so->assigned += so->q[k].assigned;
		so->failed += so->q[k].t_failed;
		if (so->org->queues[k].delivery == CFG_DELIVERY_FORWARD)
			so->forward = 1;
	}
	if (keys_fmt(key, sizeof(key), KEYS_FMT_RETRYING, so->org->id) != 0)
		return (EX_SOFTWARE);
	if ((r = ctl_command(ctl, &st, "SCARD", key, "SCARD %s", key)) == NULL)
		return (st);
	st = ctl_int(ctl, r, "SCARD", key, &so->retrying);
	freeReplyObject(r);
	if (st != 0)
		return (st);
	if ((st = status_agents(ctl, so)) != 0)
		return (st);
	if (keys_fmt(key, sizeof(key), KEYS_FMT_DEAD, so->org->id) != 0 ||
	    (st = status_xlen(ctl, key, &so->dead)) != 0)
		return (st ? st : EX_SOFTWARE);
	if (keys_fmt(key, sizeof(key), KEYS_FMT_INGEST, so->org->id) != 0 ||
	    (st = status_xlen(ctl, key, &so->ingest)) != 0)
		return (st ? st : EX_SOFTWARE);
	if ((st = status_domains(ctl, so)) != 0)
		return (st);
	return (status_pending(ctl, so));
}

/* status_json_queue - one queue as a JSON object */
static void
status_json_queue(struct ctl *ctl, struct jw *j, const struct cfg_queue *cq,
    const struct status_queue *q)
{
	char	day[16];

	jw_open(j, NULL, '{');
	jw_string(j, "queue", cq->name);
	if (cq->sched != NULL) {
		time_t	now = (time_t)(ctl->now_ms / 1000), next;

		jw_open(j, "hours", '{');
		jw_string(j, "schedule", cq->sched->name);
		jw_bool(j, "open", hours_open(cq->sched, now));
		if ((next = hours_next_open(cq->sched, now)) != 0)
			jw_int(j, "opens", (int64_t)next);
		else
			jw_null(j, "opens");
		jw_close(j, '}');
	}
	jw_int(j, "waiting", q->qi.waiting);
	queue_json_oldest(ctl, j, &q->qi);
	queue_json_next(ctl, j, "next", &q->qi);
	jw_int(j, "assigned", q->assigned);
	jw_open(j, "agents", '{');
	jw_int(j, "total", q->agents);
	jw_int(j, "available", q->available);
	jw_int(j, "ready", q->ready);
	jw_close(j, '}');
	jw_open(j, "service_level", '{');
	if (cq->service_level > 0) {
		jw_int(j, "target_s", cq->service_level);
		if (q->t_answered > 0)
			jw_double(j, "achieved", (double)q->t_within /
			    (double)q->t_answered);
		else
			jw_null(j, "achieved");
	} else {
		jw_null(j, "target_s");
		jw_null(j, "achieved");
	}
	jw_close(j, '}');
	status_day(ctl, day);
	jw_open(j, "today", '{');
	jw_string(j, "date", day);
	jw_int(j, "assigned", q->t_assigned);
	jw_int(j, "answered", q->t_answered);
	jw_int(j, "within", q->t_within);
	jw_int(j, "closed", q->t_closed);
	jw_int(j, "wait_ms", q->t_wait_ms);
	jw_int(j, "delivery_failed", q->t_failed);
	jw_close(j, '}');
	jw_string(j, "delivery", cq->delivery == CFG_DELIVERY_FORWARD ?
	    "forward" : "notify");
	if (q->qi.waiting > 0) {
		char	why[512];
		json_t	*reqs = NULL;

		if (ctl_why(ctl, cq->org->id, cq->name, why, sizeof(why),
		    &reqs) == 0)
			ctl_json_why(j, reqs);
		json_decref(reqs);
	} else {
		jw_open(j, "why", '[');
		jw_close(j, ']');
	}
	jw_close(j, '}');
}

/* status_json_domains - the domains' last checks as the array "domains" */
static void
status_json_domains(struct jw *j, const struct status_org *so)
{
	const struct status_domain *sd;
	const char *p, *e;
	size_t	k;

	jw_open(j, "domains", '[');
	for (k = 0; k < so->org->ndomains; k++) {
		sd = &so->dom[k];
		jw_open(j, NULL, '{');
		jw_string(j, "name", so->org->domains[k].name);
		if (sd->status != NULL)
			jw_string(j, "status", sd->status);
		else
			jw_null(j, "status");
		if (sd->checked_at >= 0)
			jw_int(j, "checked_at", sd->checked_at);
		else
			jw_null(j, "checked_at");
		if (sd->verified_at >= 0)
			jw_int(j, "verified_at", sd->verified_at);
		else
			jw_null(j, "verified_at");
		jw_open(j, "failed_records", '[');
		for (p = sd->failed; p != NULL && *p != '\0'; p = e) {
			char	id[64];

			while (*p == ' ')
				p++;
			if (*p == '\0')
				break;
			e = p + strcspn(p, " ");
			snprintf(id, sizeof(id), "%.*s", (int)(e - p), p);
			jw_string(j, NULL, id);
		}
		jw_close(j, ']');
		jw_close(j, '}');
	}
	jw_close(j, ']');
}

/* status_json - one organisation as a JSON object */
static void
status_json(struct ctl *ctl, struct jw *j, const struct status_org *so)
{
	size_t	k;

	jw_open(j, NULL, '{');
	jw_string(j, "org", so->org->id);
	jw_string(j, "schema", so->schema);
	jw_int(j, "waiting", so->waiting);
	jw_int(j, "assigned", so->assigned);
	jw_open(j, "agents", '{');
	jw_int(j, "roster", so->roster);
	jw_int(j, "available", so->available);
	jw_int(j, "away", so->away);
	jw_int(j, "offline", so->offline);
	jw_int(j, "configured", (int64_t)so->org->nagents);
	jw_int(j, "not_in_redis", so->unwritten);
	jw_int(j, "not_configured", so->unconfigured);
	jw_close(j, '}');
	jw_open(j, "queues", '[');
	for (k = 0; k < so->org->nqueues; k++)
		status_json_queue(ctl, j, &so->org->queues[k], &so->q[k]);
	jw_close(j, ']');
	jw_int(j, "dead", so->dead);
	jw_open(j, "deliveries", '{');
	jw_int(j, "retrying", so->retrying);
	jw_int(j, "failed_today", so->failed);
	jw_close(j, '}');
	jw_open(j, "ingest", '{');
	jw_int(j, "length", so->ingest);
	if (so->has_group) {
		jw_open(j, "group", '{');
		jw_string(j, "name", KEYS_GROUP);
		jw_int(j, "pending", so->pending);
		jw_close(j, '}');
	} else
		jw_null(j, "group");
	jw_close(j, '}');
	status_json_domains(j, so);
	(void)mailbox_status(ctl, so->org, j);
	status_json_dataset(j, so);
	if (status_redis_shown(ctl, so->org)) {
		char	where[700];

		rds_where(shard_pool(ctl->shard, so->org), where, sizeof(where));
		jw_string(j, "redis", where);
	}
	jw_close(j, '}');
}

/* status_domains_line - "  domains  N verified, M failing, K never
 * checked", and those that could not be checked, if any */
static void
status_domains_line(FILE *fp, const struct status_org *so)
{
	size_t	k, n[4] = { 0, 0, 0, 0 };

	if (so->org->ndomains == 0)
		return;
	for (k = 0; k < so->org->ndomains; k++) {
		const char *s = so->dom[k].status;

		n[s == NULL ? 2 : strcmp(s, "passed") == 0 ? 0 :
		    strcmp(s, "failed") == 0 ? 1 : 3]++;
	}
	fprintf(fp, "  domains        %zu verified, %zu failing, %zu never "
	    "checked", n[0], n[1], n[2]);
	if (n[3] > 0)
		fprintf(fp, ", %zu could not be checked", n[3]);
	putc('\n', fp);
}

/* status_sl - "66% (2/3 in 1m00s)", "- (0/0 in 1m00s)", or NULL (shown
 * as "-") without a target */
static const char *
status_sl(const struct cfg_queue *cq, const struct status_queue *q,
    char *buf, size_t size)
{
	char	pct[16], w[32];

	if (cq->service_level <= 0)
		return (NULL);
	if (q->t_answered > 0)
		snprintf(pct, sizeof(pct), "%lld%%",
		    q->t_within * 100 / q->t_answered);
	else
		snprintf(pct, sizeof(pct), "-");
	snprintf(buf, size, "%s (%lld/%lld in %s)", pct, q->t_within,
	    q->t_answered, ctl_wait((int64_t)cq->service_level * 1000, w,
	    sizeof(w)));
	return (buf);
}

/* status_agents_line - the roster by presence, and what differs from the
 * configuration */
static void
status_agents_line(FILE *fp, const struct status_org *so)
{
	fputs("  agents         ", fp);
	if (so->roster == 0)
		fputs("none in the roster", fp);
	else
		fprintf(fp, "%lld in the roster: %lld available, %lld away, "
		    "%lld offline", so->roster, so->available, so->away,
		    so->offline);
	if (so->unwritten > 0)
		fprintf(fp, "; %lld configured but not in Redis yet",
		    so->unwritten);
	if (so->unconfigured > 0)
		fprintf(fp, "; %lld in Redis but not configured",
		    so->unconfigured);
	putc('\n', fp);
}

/* status_text - one organisation as lines and a queue table */
static int
status_text(struct ctl *ctl, const struct status_org *so)
{
	static const char *const head[] = { "QUEUE", "WAITING",
	    "OLDEST_WAIT", "NEXT_WAIT", "ASSIGNED", "AGENTS",
	    "SERVICE_LEVEL", "NEXT_ID" };
	FILE	*fp = ctl->out;
	struct tbl *t;
	char	n[32], o[40], w[32], a[32], ag[48], sl[96];
	const char *cells[8];
	size_t	k;

	fputs("organisation ", fp);
	tbl_text(fp, so->org->id);
	fputs("\n  schema         ", fp);
	tbl_text(fp, so->schema ? so->schema :
	    "none yet (nothing handed off)");
	putc('\n', fp);
	if (status_redis_shown(ctl, so->org)) {
		char	where[700];

		rds_where(shard_pool(ctl->shard, so->org), where, sizeof(where));
		fputs("  redis          ", fp);
		tbl_text(fp, where);
		putc('\n', fp);
	}
	status_dataset_line(fp, so);
	fprintf(fp, "  waiting        %lld\n", so->waiting);
	fprintf(fp, "  assigned       %lld\n", so->assigned);
	status_agents_line(fp, so);
	fprintf(fp, "  dead-lettered  %lld\n", so->dead);
	if (so->forward || so->retrying > 0 || so->failed > 0)
		fprintf(fp, "  deliveries     %lld retrying, %lld failed today "
		    "(back to their queue)\n", so->retrying, so->failed);
	status_domains_line(fp, so);
	if ((k = (size_t)mailbox_status(ctl, so->org, NULL)) != 0)
		return ((int)k);
	fprintf(fp, "  ingest         %lld entr%s; ", so->ingest,
	    so->ingest == 1 ? "y" : "ies");
	if (so->has_group)
		fprintf(fp, "group %s: %lld pending\n\n", KEYS_GROUP,
		    so->pending);
	else
		fputs("no router has read yet\n\n", fp);
	if ((t = tbl_new(8, head)) == NULL)
		return (EX_OSERR);
	for (k = 0; k < so->org->nqueues; k++) {
		const struct status_queue *q = &so->q[k];

		snprintf(n, sizeof(n), "%lld", q->qi.waiting);
		snprintf(a, sizeof(a), "%lld", q->assigned);
		snprintf(ag, sizeof(ag), "%lld/%lld", q->available, q->agents);
		cells[0] = so->org->queues[k].name;
		cells[1] = n;
		cells[2] = queue_oldest_text(ctl, &q->qi, o, sizeof(o));
		cells[3] = q->qi.has_next ? ctl_wait(ctl->now_ms -
		    q->qi.next_enqueued, w, sizeof(w)) : NULL;
		cells[4] = a;
		cells[5] = ag;
		cells[6] = status_sl(&so->org->queues[k], q, sl, sizeof(sl));
		cells[7] = q->qi.has_next ? q->qi.next_id : NULL;
		if (tbl_add(t, cells) != 0) {
			tbl_free(t);
			return (EX_OSERR);
		}
	}
	tbl_print(t, fp);
	tbl_free(t);
	/* business hours, where a queue has them */
	for (k = 0; k < so->org->nqueues; k++) {
		const struct cfg_queue *cq = &so->org->queues[k];
		time_t	now = (time_t)(ctl->now_ms / 1000), next;
		char	at[64];

		if (cq->sched == NULL)
			continue;
		fputs("  ", fp);
		tbl_text(fp, cq->name);
		if (hours_open(cq->sched, now))
			fprintf(fp, ": open now (schedule %s)\n",
			    cq->sched->name);
		else if ((next = hours_next_open(cq->sched, now)) != 0) {
			hours_format(cq->sched, next, at, sizeof(at));
			fprintf(fp, ": closed now (schedule %s), opens %s\n",
			    cq->sched->name, at);
		} else
			fprintf(fp, ": closed now (schedule %s)\n",
			    cq->sched->name);
	}
	/* what stops the work that waits, where an agent could not take it */
	for (k = 0; k < so->org->nqueues; k++) {
		char	why[512];
		int	st;

		if (so->q[k].qi.waiting == 0)
			continue;
		if ((st = ctl_why(ctl, so->org->id, so->org->queues[k].name,
		    why, sizeof(why), NULL)) != 0)
			return (st);
		if (why[0] == '\0')
			continue;
		fputs("  ", fp);
		tbl_text(fp, so->org->queues[k].name);
		fputs(": ", fp);
		tbl_text(fp, why);
		putc('\n', fp);
	}
	return (0);
}

/* status_show - read every organisation (or the one of -o), then print
 * them all on ctl->out */
int
status_show(struct ctl *ctl)
{
	struct status_org *so;
	struct jw j;
	size_t	i, k, n = 0, norgs = ctl->cfg->norgs;
	int	st = 0;

	if ((so = calloc(norgs + 1, sizeof(*so))) == NULL) {
		ctl_errx("out of memory");
		return (EX_OSERR);
	}
	for (i = 0; i < norgs && st == 0; i++) {
		if (!ctl_org_on(ctl, &ctl->cfg->orgs[i]))
			continue;
		so[n].org = &ctl->cfg->orgs[i];
		st = status_read(ctl, &so[n++]);
	}
	if (st == 0 && ctl->json) {
		jw_init(&j, ctl->out);
		jw_open(&j, NULL, '{');
		jw_int(&j, "now_ms", ctl->now_ms);
		jw_open(&j, "organizations", '[');
		for (i = 0; i < n; i++)
			status_json(ctl, &j, &so[i]);
		jw_close(&j, ']');
		jw_close(&j, '}');
		jw_end(&j);
	} else {
		for (i = 0; i < n && st == 0; i++) {
			if (i > 0)
				putc('\n', ctl->out);
			st = status_text(ctl, &so[i]);
		}
	}
	if (st == EX_OSERR)
		ctl_errx("out of memory");
	for (i = 0; i < n; i++) {
		free(so[i].schema);
		free(so[i].q);
		if (so[i].dataset != NULL)
			freeReplyObject(so[i].dataset);
		for (k = 0; so[i].dom != NULL && k < so[i].org->ndomains;
		    k++) {
			free(so[i].dom[k].status);
			free(so[i].dom[k].failed);
		}
		free(so[i].dom);
	}
	free(so);
	return (st);
}

/* status_cmd - "status" takes no arguments */
int
status_cmd(struct ctl *ctl, int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		ctl_errx("status takes no arguments");
		return (EX_USAGE);
	}
	return (status_show(ctl));
}
