/* stats.c - "mailacdctl stats": per queue, what was offered, assigned,
 * answered, closed, transferred and given up, the service level against
 * the queue's target, the average and 90th-percentile wait and the
 * average handling time, per UTC day or hour over a range of days, and in
 * total over the range.
 *
 * It reads the hashes the function library keeps (mailacd-keys(7):
 * mailacd:{org}:stats:QUEUE:YYYY-MM-DD and :YYYY-MM-DDTHH), one HGETALL
 * per queue and period, STATS_PIPE of them in flight at once; a missing
 * hash or field is zero.  The 90th percentile comes from the histogram of
 * first-assignment waits (stats_p90).  The reads are not one snapshot:
 * what the library counts meanwhile may be in one period and not in
 * another. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "json.h"
#include "stats.h"
#include "tbl.h"

#define STATS_DAYS_MAX	366	/* days one run may cover */
#define STATS_PIPE	256	/* HGETALL commands in flight at once */
#define STATS_DAY_MS	86400000LL
#define STATS_HOUR_MS	3600000LL
#define STATS_NLE	12	/* bounded wait buckets; then wait_le_inf */

/* The counters of a statistics hash, in this order, the wait buckets
 * last. */
enum {
	SF_OFFERED, SF_ASSIGNED, SF_ANSWERED, SF_WITHIN, SF_WAIT_MS,
	SF_CLOSED, SF_HANDLED, SF_HANDLED_MS, SF_TRANSFERRED, SF_FAILED,
	SF_LE, SF_N = SF_LE + STATS_NLE + 1
};

static const char *const stats_fields[SF_N] = {
	"offered", "assigned", "answered", "within", "wait_ms", "closed",
	"handled", "handled_ms", "transferred", "delivery_failed",
	"wait_le_10", "wait_le_30", "wait_le_60", "wait_le_120",
	"wait_le_300", "wait_le_600", "wait_le_1800", "wait_le_3600",
	"wait_le_7200", "wait_le_14400", "wait_le_28800", "wait_le_86400",
	"wait_le_inf"
};

/* the upper bounds of the wait buckets, seconds (the library's WAIT_LE) */
static const long long stats_le[STATS_NLE] = { 10, 30, 60, 120, 300, 600,
    1800, 3600, 7200, 14400, 28800, 86400 };

/* One period's counts, or the range's. */
struct stats_count {
	long long v[SF_N];
};

/* One queue of the report. */
struct stats_queue {
	const char *org;
	const struct cfg_queue *cq;
	struct stats_count *per;	/* one per period */
	struct stats_count total;
};

/* What one run reports. */
struct stats_opts {
	const char *queue;	/* --queue, or NULL: every queue */
	int64_t	from, to;	/* UTC days since 1970-01-01 */
	int	hourly;		/* --by hour */
	size_t	nper;		/* periods: days, or days x 24 */
};

/* stats_day - DAY as a UTC day number: YYYY-MM-DD (1970 or later),
 * "today" or "yesterday" (UTC, by the run's clock); 0, or -1 */
static int
stats_day(const char *s, int64_t today, int64_t *day)
{
	struct tm tm, back;
	time_t	t;
	int	i;

	if (strcmp(s, "today") == 0 || strcmp(s, "yesterday") == 0) {
		*day = today - (s[0] == 'y');
		return (0);
	}
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return (-1);
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return (-1);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)strtol(s, NULL, 10) - 1900;
	tm.tm_mon = (int)strtol(s + 5, NULL, 10) - 1;
	tm.tm_mday = (int)strtol(s + 8, NULL, 10);
	if (tm.tm_year < 70)
		return (-1);
	/* timegm() moves 2026-02-30 to March: such a day does not exist */
	back = tm;
	if ((t = timegm(&back)) == (time_t)-1 || back.tm_year != tm.tm_year ||
	    back.tm_mon != tm.tm_mon || back.tm_mday != tm.tm_mday)
		return (-1);
	*day = (int64_t)t / 86400;
	return (0);
}

/* stats_utc - Unix ms MS as YYYY-MM-DD, or YYYY-MM-DDTHH when HOUR, UTC,
 * into BUF */
static void
stats_utc(int64_t ms, int hour, char *buf, size_t size)
{
	time_t	t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || (hour ? strftime(buf, size,
	    "%Y-%m-%dT%H", &tm) : strftime(buf, size, "%Y-%m-%d", &tm)) == 0)
		snprintf(buf, size, "?");
}

/* stats_date - UTC day number DAY as YYYY-MM-DD into BUF */
static void
stats_date(int64_t day, char *buf, size_t size)
{
	stats_utc(day * STATS_DAY_MS, 0, buf, size);
}

/* stats_period - period I of the run as its keys name it, YYYY-MM-DD or
 * YYYY-MM-DDTHH, into BUF; its start in Unix ms */
static int64_t
stats_period(const struct stats_opts *so, size_t i, char *buf, size_t size)
{
	int64_t	ms;

	if (so->hourly)
		ms = (so->from + (int64_t)(i / 24)) * STATS_DAY_MS +
		    (int64_t)(i % 24) * STATS_HOUR_MS;
	else
		ms = (so->from + (int64_t)i) * STATS_DAY_MS;
	stats_utc(ms, so->hourly, buf, size);
	return (ms);
}

/* stats_key - the key of period I of queue Q into KEY; 0, or the exit
 * status */
static int
stats_key(const struct stats_opts *so, const struct stats_queue *q, size_t i,
    char *key, size_t size)
{
	char	per[32];

	stats_period(so, i, per, sizeof(per));
	if (keys_fmt(key, size, KEYS_FMT_STATS, q->org, q->cq->name,
	    per) != 0) {
		ctl_errx("queue %s of %s: key too long", q->cq->name, q->org);
		return (EX_SOFTWARE);
	}
	return (0);
}

/* stats_fill - the counters of HGETALL reply R of KEY into C (fields it
 * does not know, of a later library, are left out); 0, or the exit
 * status of a reply that does not follow mailacd-keys(7) */
static int
stats_fill(struct ctl *ctl, const char *key, const redisReply *r,
    struct stats_count *c)
{
	const redisReply *n, *v;
	char	*end;
	size_t	i;
	int	f;

	if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0) {
		ctl_errx("redis %s: HGETALL %s: unexpected reply",
		    rds_describe(ctl->pool), key);
		return (EX_PROTOCOL);
	}
	for (i = 0; i < r->elements; i += 2) {
		n = r->element[i];
		v = r->element[i + 1];
		if (n->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING) {
			ctl_errx("redis %s: HGETALL %s: unexpected reply",
			    rds_describe(ctl->pool), key);
			return (EX_PROTOCOL);
		}
		for (f = 0; f < SF_N && strcmp(n->str, stats_fields[f]) != 0;
		    f++)
			;
		if (f == SF_N)
			continue;
		errno = 0;
		c->v[f] = strtoll(v->str, &end, 10);
		if (end == v->str || *end != '\0' || errno != 0 || c->v[f] < 0) {
			ctl_errx("%s: field %s is \"%.32s\", not a count (see "
			    "mailacd-keys(7))", key, n->str, v->str);
			return (EX_DATAERR);
		}
	}
	return (0);
}

/* stats_read - every period of the NQ queues Q, pipelined; 0, or the exit
 * status after one line on stderr (the connection is then dropped: its
 * replies are out of step) */
static int
stats_read(struct ctl *ctl, const struct stats_opts *so,
    struct stats_queue *q, size_t nq)
{
	char	key[CTL_KEY_MAX];
	size_t	total = nq * so->nper, sent = 0, got = 0;
	redisReply *r;
	int	st;

	if ((st = ctl_redis(ctl)) != 0)
		return (st);
	while (got < total) {
		for (; sent < total && sent - got < STATS_PIPE; sent++) {
			if ((st = stats_key(so, &q[sent / so->nper],
			    sent % so->nper, key, sizeof(key))) != 0)
				goto fail;
			if (redisAppendCommand(ctl->rc, "HGETALL %s", key) !=
			    REDIS_OK) {
				ctl_errx("out of memory");
				st = EX_OSERR;
				goto fail;
			}
		}
		if ((st = stats_key(so, &q[got / so->nper], got % so->nper,
		    key, sizeof(key))) != 0)
			goto fail;
		if (redisGetReply(ctl->rc, (void **)&r) != REDIS_OK ||
		    r == NULL) {
			st = ctl_failed(ctl, "HGETALL", key, NULL);
			goto fail;
		}
		if (r->type == REDIS_REPLY_ERROR)
			st = ctl_failed(ctl, "HGETALL", key, r);
		else
			st = stats_fill(ctl, key, r,
			    &q[got / so->nper].per[got % so->nper]);
		freeReplyObject(r);
		if (st != 0)
			goto fail;
		got++;
	}
	return (0);
fail:
	ctl_drop(ctl);
	return (st);
}

/* stats_avg - SUM / N rounded to the whole millisecond; -1 when N is 0 */
static int64_t
stats_avg(long long sum, long long n)
{
	return (n > 0 ? (sum + n / 2) / n : -1);
}

/* stats_p90 - the 90th-percentile wait in ms from C's buckets: the rank
 * 0.9 x n falls in one bucket, and within it the wait is interpolated
 * linearly between the bucket's lower and upper bounds, as if its waits
 * were spread evenly.  -1 when no wait was counted in a bucket; *LOWER
 * set when the rank falls in wait_le_inf, whose lower bound (a day) is
 * then the answer */
static int64_t
stats_p90(const struct stats_count *c, int *lower)
{
	long long n = 0, cum = 0, b = 0;
	double	lo, hi;
	int	i;

	*lower = 0;
	for (i = 0; i <= STATS_NLE; i++)
		n += c->v[SF_LE + i];
	if (n == 0)
		return (-1);
	/* the first bucket where 10 x the count so far reaches 9 x n */
	for (i = 0; i <= STATS_NLE; i++) {
		b = c->v[SF_LE + i];
		if (b > 0 && 10 * (cum + b) >= 9 * n)
			break;
		cum += b;
	}
	if (i >= STATS_NLE) {
		*lower = 1;
		return (stats_le[STATS_NLE - 1] * 1000);
	}
	lo = i == 0 ? 0.0 : (double)stats_le[i - 1] * 1000.0;
	hi = (double)stats_le[i] * 1000.0;
	return ((int64_t)(lo + (hi - lo) * (double)(9 * n - 10 * cum) /
	    (10.0 * (double)b) + 0.5));
}

/* stats_sl - "66% (2/3 in 1m00s)", "- (0/0 in 1m00s)", or NULL (shown as
 * "-") without a target, as "status" shows it */
static const char *
stats_sl(const struct cfg_queue *cq, const struct stats_count *c, char *buf,
    size_t size)
{
	char	pct[24], w[32];

	if (cq->service_level <= 0)
		return (NULL);
	if (c->v[SF_ANSWERED] > 0)
		snprintf(pct, sizeof(pct), "%lld%%", c->v[SF_WITHIN] * 100 /
		    c->v[SF_ANSWERED]);
	else
		snprintf(pct, sizeof(pct), "-");
	snprintf(buf, size, "%s (%lld/%lld in %s)", pct, c->v[SF_WITHIN],
	    c->v[SF_ANSWERED], ctl_wait((int64_t)cq->service_level * 1000, w,
	    sizeof(w)));
	return (buf);
}

/* stats_json_count - C's counters and what follows from them, as members
 * of the open object */
static void
stats_json_count(struct jw *j, const struct cfg_queue *cq,
    const struct stats_count *c)
{
	int64_t	v;
	int	f, lower;

	for (f = 0; f < SF_LE; f++)
		jw_int(j, stats_fields[f], c->v[f]);
	if (cq->service_level > 0 && c->v[SF_ANSWERED] > 0)
		jw_double(j, "service_level", (double)c->v[SF_WITHIN] /
		    (double)c->v[SF_ANSWERED]);
	else
		jw_null(j, "service_level");
	if ((v = stats_avg(c->v[SF_WAIT_MS], c->v[SF_ANSWERED])) >= 0)
		jw_int(j, "wait_avg_ms", v);
	else
		jw_null(j, "wait_avg_ms");
	if ((v = stats_p90(c, &lower)) >= 0)
		jw_int(j, "wait_p90_ms", v);
	else
		jw_null(j, "wait_p90_ms");
	jw_bool(j, "wait_p90_lower_bound", lower);
	if ((v = stats_avg(c->v[SF_HANDLED_MS], c->v[SF_HANDLED])) >= 0)
		jw_int(j, "handle_avg_ms", v);
	else
		jw_null(j, "handle_avg_ms");
	jw_open(j, "wait_buckets", '{');
	for (f = SF_LE; f < SF_N; f++)
		jw_int(j, stats_fields[f], c->v[f]);
	jw_close(j, '}');
}

/* stats_json - the report as one JSON document: every period, empty ones
 * too, so that a series has no gaps */
static void
stats_json(struct ctl *ctl, const struct stats_opts *so,
    const struct stats_queue *q, size_t nq)
{
	struct jw j;
	char	per[32];
	size_t	i, k;
	int64_t	start;

	jw_init(&j, ctl->out);
	jw_open(&j, NULL, '{');
	stats_date(so->from, per, sizeof(per));
	jw_string(&j, "from", per);
	jw_int(&j, "from_ms", so->from * STATS_DAY_MS);
	stats_date(so->to, per, sizeof(per));
	jw_string(&j, "to", per);
	jw_int(&j, "to_ms", (so->to + 1) * STATS_DAY_MS);
	jw_string(&j, "by", so->hourly ? "hour" : "day");
	jw_int(&j, "now_ms", ctl->now_ms);
	jw_open(&j, "queues", '[');
	for (k = 0; k < nq; k++) {
		jw_open(&j, NULL, '{');
		jw_string(&j, "org", q[k].org);
		jw_string(&j, "queue", q[k].cq->name);
		if (q[k].cq->service_level > 0)
			jw_int(&j, "service_level_s", q[k].cq->service_level);
		else
			jw_null(&j, "service_level_s");
		jw_open(&j, "periods", '[');
		for (i = 0; i < so->nper; i++) {
			start = stats_period(so, i, per, sizeof(per));
			jw_open(&j, NULL, '{');
			jw_string(&j, "period", per);
			jw_int(&j, "start_ms", start);
			stats_json_count(&j, q[k].cq, &q[k].per[i]);
			jw_close(&j, '}');
		}
		jw_close(&j, ']');
		jw_open(&j, "total", '{');
		stats_json_count(&j, q[k].cq, &q[k].total);
		jw_close(&j, '}');
		jw_close(&j, '}');
	}
	jw_close(&j, ']');
	jw_close(&j, '}');
	jw_end(&j);
}

/* stats_row - one row of the table: queue Q's counts C of period PER */
static int
stats_row(struct tbl *t, int orgs, const struct stats_queue *q,
    const char *per, const struct stats_count *c)
{
	static const int shown[] = { SF_OFFERED, SF_ASSIGNED, SF_ANSWERED,
	    SF_CLOSED, SF_TRANSFERRED, SF_FAILED };
	const char *cells[14];
	char	n[6][24], sl[96], aw[32], pw[40], ah[32], w[32];
	int64_t	v;
	size_t	i, k = 0;
	int	lower;

	if (orgs)
		cells[k++] = q->org;
	cells[k++] = q->cq->name;
	cells[k++] = per;
	for (i = 0; i < 6; i++) {
		snprintf(n[i], sizeof(n[i]), "%lld", c->v[shown[i]]);
		cells[k++] = n[i];
	}
	cells[k++] = stats_sl(q->cq, c, sl, sizeof(sl));
	v = stats_avg(c->v[SF_WAIT_MS], c->v[SF_ANSWERED]);
	cells[k++] = v >= 0 ? ctl_wait(v, aw, sizeof(aw)) : NULL;
	if ((v = stats_p90(c, &lower)) >= 0) {
		snprintf(pw, sizeof(pw), "%s%s", lower ? ">" : "",
		    ctl_wait(v, w, sizeof(w)));
		cells[k++] = pw;
	} else
		cells[k++] = NULL;
	v = stats_avg(c->v[SF_HANDLED_MS], c->v[SF_HANDLED]);
	cells[k++] = v >= 0 ? ctl_wait(v, ah, sizeof(ah)) : NULL;
	return (tbl_add(t, cells));
}

/* stats_empty - nothing was counted in C */
static int
stats_empty(const struct stats_count *c)
{
	int	f;

	for (f = 0; f < SF_N; f++)
		if (c->v[f] != 0)
			return (0);
	return (1);
}

/* stats_table - the report as a table: one row per queue and period in
 * which something was counted, and with several periods a "total" row
 * per queue (always, so that every queue shows) */
static int
stats_table(struct ctl *ctl, const struct stats_opts *so,
    const struct stats_queue *q, size_t nq, int orgs)
{
	static const char *const head[] = { "ORG", "QUEUE", "DAY", "OFFERED",
	    "ASSIGNED", "ANSWERED", "CLOSED", "TRANSFERRED", "GIVEN_UP",
	    "SERVICE_LEVEL", "AVG_WAIT", "P90_WAIT", "AVG_HANDLE" };
	const char *h[13];
	struct tbl *t;
	char	per[32];
	size_t	i, k, nc = 0;

	for (i = orgs ? 0 : 1; i < 13; i++)
		h[nc++] = head[i];
	if (so->hourly)
		h[orgs ? 2 : 1] = "HOUR";
	if ((t = tbl_new(nc, h)) == NULL)
		goto oom;
	for (k = 0; k < nq; k++) {
		for (i = 0; i < so->nper; i++) {
			if (so->nper > 1 && stats_empty(&q[k].per[i]))
				continue;
			stats_period(so, i, per, sizeof(per));
			if (stats_row(t, orgs, &q[k], per, &q[k].per[i]) != 0)
				goto oom;
		}
		if (so->nper > 1 &&
		    stats_row(t, orgs, &q[k], "total", &q[k].total) != 0)
			goto oom;
	}
	if (nq > 0)
		tbl_print(t, ctl->out);
	else
		fputs("no queues\n", ctl->out);
	tbl_free(t);
	return (0);
oom:
	tbl_free(t);
	ctl_errx("out of memory");
	return (EX_OSERR);
}

/* stats_queues - the queues the run reports, in configuration order:
 * every queue of the organisations looked at, or the one --queue names;
 * 0, or the exit status (CTL_EX_NOTFOUND: no such queue) */
static int
stats_queues(struct ctl *ctl, const struct stats_opts *so,
    struct stats_queue **qv, size_t *nq)
{
	struct stats_queue *v;
	size_t	i, k;

	*qv = NULL;
	*nq = 0;
	for (i = 0; i < ctl->cfg->norgs; i++) {
		const struct cfg_org *o = &ctl->cfg->orgs[i];

		if (!ctl_org_on(ctl, o))
			continue;
		for (k = 0; k < o->nqueues; k++) {
			if (so->queue != NULL &&
			    strcmp(so->queue, o->queues[k].name) != 0)
				continue;
			if ((v = reallocarray(*qv, *nq + 1, sizeof(*v))) ==
			    NULL ||
			    (v[*nq].per = calloc(so->nper,
			    sizeof(*v[*nq].per))) == NULL) {
				if (v != NULL)
					*qv = v;
				ctl_errx("out of memory");
				return (EX_OSERR);
			}
			*qv = v;
			v[*nq].org = o->id;
			v[*nq].cq = &o->queues[k];
			memset(&v[*nq].total, 0, sizeof(v[*nq].total));
			(*nq)++;
		}
	}
	if (so->queue != NULL && *nq == 0) {
		if (ctl->org != NULL)
			ctl_errx("stats: organisation %s has no queue %s in %s",
			    ctl->org->id, so->queue, ctl->file);
		else
			ctl_errx("stats: no organisation has a queue %s in %s",
			    so->queue, ctl->file);
		return (CTL_EX_NOTFOUND);
	}
	return (0);
}

/* stats_usage - the command's synopsis on stderr; 64 */
static int
stats_usage(void)
{
	ctl_errx("usage: stats [--queue Q] [--from DAY] [--to DAY] "
	    "[--by hour|day] [-o ORG] [--json]; DAY is YYYY-MM-DD (UTC), "
	    "today or yesterday");
	return (EX_USAGE);
}

/* stats_parse - parse the command's options into SO; 0, or 64 after one
 * line saying why */
static int
stats_parse(struct ctl *ctl, int argc, char **argv, struct stats_opts *so)
{
	static const struct option longopts[] = {
		{ "queue", required_argument, NULL, 'q' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "by", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const char *from = NULL, *to = NULL;
	int64_t	today = ctl->now_ms / STATS_DAY_MS;
	int	ch;

	memset(so, 0, sizeof(*so));
	/* 0: GNU getopt starts afresh (main() parsed with "+") */
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'q':
			if (so->queue != NULL) {
				ctl_errx("stats: give --queue once");
				return (stats_usage());
			}
			if (!ctl_name_ok(optarg)) {
				ctl_errx("stats: --queue %s: a queue name is 1 "
				    "to %d of A-Z a-z 0-9 . _ -", optarg,
				    CFG_NAME_MAX);
				return (EX_USAGE);
			}
			so->queue = optarg;
			break;
		case 'f':
			from = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 'b':
			if (strcmp(optarg, "hour") != 0 &&
			    strcmp(optarg, "day") != 0) {
				ctl_errx("stats: --by is hour or day, not %s",
				    optarg);
				return (EX_USAGE);
			}
			so->hourly = optarg[0] == 'h';
			break;
		case 'j':
			ctl->json = 1;
			break;
		case 'o':
			if ((ctl->org = cfg_find_org(ctl->cfg, optarg)) ==
			    NULL) {
				ctl_errx("-o %s: no such organisation in %s",
				    optarg, ctl->file);
				return (EX_USAGE);
			}
			break;
		case ':':
			ctl_errx("stats: %s needs an argument",
			    argv[optind - 1]);
			return (stats_usage());
		default:
			if (optopt != 0)
				ctl_errx("stats: unknown option -%c", optopt);
			else
				ctl_errx("stats: unknown option %s",
				    argv[optind - 1]);
			return (stats_usage());
		}
	}
	if (optind != argc) {
		ctl_errx("stats takes options only, not %s", argv[optind]);
		return (stats_usage());
	}
	so->to = so->from = today;
	if (from != NULL && stats_day(from, today, &so->from) != 0) {
		ctl_errx("stats: --from %s: give a UTC day as YYYY-MM-DD, "
		    "today or yesterday", from);
		return (EX_USAGE);
	}
	if (to != NULL && stats_day(to, today, &so->to) != 0) {
		ctl_errx("stats: --to %s: give a UTC day as YYYY-MM-DD, "
		    "today or yesterday", to);
		return (EX_USAGE);
	}
	/* --to alone is that one day; --from alone runs to today */
	if (to != NULL && from == NULL)
		so->from = so->to;
	if (so->from > so->to) {
		ctl_errx("stats: --from %s is after --to %s", from,
		    to != NULL ? to : "today");
		return (EX_USAGE);
	}
	if (so->to - so->from >= STATS_DAYS_MAX) {
		ctl_errx("stats: %lld days from --from to --to; at most %d at "
		    "a time", (long long)(so->to - so->from + 1),
		    STATS_DAYS_MAX);
		return (EX_USAGE);
	}
	so->nper = (size_t)(so->to - so->from + 1) * (so->hourly ? 24 : 1);
	return (0);
}

/* stats_cmd - the statistics of every queue (or --queue's) of every
 * organisation (or -o's) over the days asked for */
int
stats_cmd(struct ctl *ctl, int argc, char **argv)
{
	struct stats_opts so;
	struct stats_queue *q = NULL;
	size_t	nq = 0, i, k;
	int	st, f, orgs;

	if ((st = stats_parse(ctl, argc, argv, &so)) != 0)
		return (st);
	orgs = ctl->cfg->norgs > 1 && ctl->org == NULL;
	if ((st = stats_queues(ctl, &so, &q, &nq)) != 0)
		goto out;
	for (i = 0; i < ctl->cfg->norgs; i++)
		if (ctl_org_on(ctl, &ctl->cfg->orgs[i]) &&
		    (st = ctl_schema(ctl, ctl->cfg->orgs[i].id)) != 0)
			goto out;
	/* each organisation's queues on its own Redis group */
	for (k = 0; k < nq; k = i) {
		for (i = k; i < nq && strcmp(q[i].org, q[k].org) == 0; i++)
			;
		if ((st = ctl_use(ctl, q[k].org)) != 0 ||
		    (st = stats_read(ctl, &so, q + k, i - k)) != 0)
			goto out;
	}
	for (k = 0; k < nq; k++)
		for (i = 0; i < so.nper; i++)
			for (f = 0; f < SF_N; f++)
				q[k].total.v[f] += q[k].per[i].v[f];
	if (ctl->json)
		stats_json(ctl, &so, q, nq);
	else
		st = stats_table(ctl, &so, q, nq, orgs);
out:
	for (k = 0; k < nq; k++)
		free(q[k].per);
	free(q);
	return (st);
}
