/* list.c - "mailacdctl interactions": find interactions by state, queue,
 * agent, customer, subject and arrival, newest first.
 *
 * The library keeps an index of interactions (mailacd-keys(7): ixs, and
 * per state, queue, agent and customer) in the same calls that change
 * them; mailacd_list reads the smallest index set the filters name and
 * checks the rest, a bounded number of ids per call, so that Redis is
 * never held for long.  This file calls it until it has enough rows or the
 * index has no more, per organisation, and merges the organisations by
 * arrival. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "fn.h"
#include "json.h"
#include "list.h"
#include "tbl.h"

#define LIST_LIMIT	50	/* rows by default */
#define LIST_MAX	100000	/* rows at most */
#define LIST_BUDGET	5000	/* ids the library looks at per call */
#define LIST_SHORT	12	/* hex digits of a shortened id */

/* One row: an interaction found. */
struct list_row {
	const char *org;
	json_t	*item;		/* the library's object */
	int64_t	arrived;
};

/* The filters of one run. */
struct list_opts {
	struct fn_list f;
	long	limit;
};

/* list_since - "30m", "2h", "3d", "45s" ago, or "YYYY-MM-DD[THH:MM[:SS]]"
 * (UTC) as Unix ms into *MS; 0, or -1 */
static int
list_since(const char *s, int64_t now_ms, int64_t *ms)
{
	struct tm tm;
	char	*end;
	const char *p;
	long long v;

	v = strtoll(s, &end, 10);
	if (end != s && v >= 0 && end[0] != '\0' && end[1] == '\0' &&
	    strchr("smhd", end[0]) != NULL && end[0] != '-') {
		static const int64_t unit[] = { 1000, 60000, 3600000,
		    86400000 };

		*ms = now_ms - v * unit[strchr("smhd", end[0]) - "smhd"];
		return (0);
	}
	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%d", &tm)) == NULL)
		return (-1);
	if (*p == 'T' && (p = strptime(p + 1, "%H:%M", &tm)) != NULL &&
	    *p == ':')
		p = strptime(p + 1, "%S", &tm);
	if (p == NULL || *p != '\0')
		return (-1);
	*ms = (int64_t)timegm(&tm) * 1000;
	return (0);
}

/* list_org - up to LIMIT rows of organisation ORG appended to *ROWS;
 * *MORE set when the index holds more than were read */
static int
list_org(struct ctl *ctl, const char *org, const struct list_opts *lo,
    struct list_row **rows, size_t *n, int *more)
{
	struct fn_list f = lo->f;
	struct fn_cmd cmd;
	json_t	*a, *items, *it;
	struct list_row *v;
	char	*cursor = NULL;
	size_t	got = 0, i;
	int	st = 0;

	for (;;) {
		f.cursor = cursor;
		f.limit = lo->limit - (long)got;
		fn_list(&cmd, org, &f);
		st = ctl_fcall(ctl, org, &cmd, NULL, &a);
		free(cursor);
		cursor = NULL;
		if (st != 0)
			return (st);
		items = json_object_get(a, "items");
		for (i = 0; json_is_array(items) && i < json_array_size(items);
		    i++) {
			it = json_array_get(items, i);
			if ((v = reallocarray(*rows, *n + 1, sizeof(**rows))) ==
			    NULL) {
				json_decref(a);
				ctl_errx("out of memory");
				return (EX_OSERR);
			}
			*rows = v;
			v[*n].org = org;
			v[*n].item = json_incref(it);
			if (ctl_jint(it, "arrived", &v[*n].arrived) != 0)
				v[*n].arrived = 0;
			(*n)++;
			got++;
		}
		if (json_string_value(json_object_get(a, "next")) != NULL &&
		    (cursor = strdup(json_string_value(json_object_get(a,
		    "next")))) == NULL) {
			json_decref(a);
			ctl_errx("out of memory");
			return (EX_OSERR);
		}
		json_decref(a);
		if (cursor == NULL)
			return (0);
		if ((long)got >= lo->limit) {
			*more = 1;
			free(cursor);
			return (0);
		}
	}
}

/* list_cmp - qsort: newest arrival first, then by id */
static int
list_cmp(const void *a, const void *b)
{
	const struct list_row *x = a, *y = b;

	if (x->arrived != y->arrived)
		return (x->arrived < y->arrived ? 1 : -1);
	return (strcmp(json_string_value(json_object_get(x->item, "id")),
	    json_string_value(json_object_get(y->item, "id"))));
}

/* list_time - what the interaction's state has lasted: "waiting 5m00s",
 * "handling 2m10s", "closed after 1h02m" */
static const char *
list_time(struct ctl *ctl, const json_t *it, char *buf, size_t len)
{
	const char *st = json_string_value(json_object_get(it, "state"));
	int64_t	arr = 0, asg = 0, clo = 0;
	char	w[32];

	ctl_jint(it, "arrived", &arr);
	ctl_jint(it, "assigned", &asg);
	ctl_jint(it, "closed", &clo);
	if (st == NULL)
		return (NULL);
	if (strcmp(st, "waiting") == 0 && arr > 0)
		snprintf(buf, len, "waiting %s", ctl_wait(ctl->now_ms - arr, w,
		    sizeof(w)));
	else if (strcmp(st, "assigned") == 0 && asg > 0)
		snprintf(buf, len, "handling %s", ctl_wait(ctl->now_ms - asg,
		    w, sizeof(w)));
	else if (strcmp(st, "closed") == 0 && clo > 0 && arr > 0)
		snprintf(buf, len, "closed after %s", ctl_wait(clo - arr, w,
		    sizeof(w)));
	else
		return (NULL);
	return (buf);
}

/* list_print - the rows as a table or JSON */
static int
list_print(struct ctl *ctl, struct list_row *rows, size_t n, int more)
{
	static const char *const head[] = { "ID", "STATE", "QUEUE", "AGENT",
	    "CUSTOMER", "SUBJECT", "TIME", "ORG" };
	const char *cells[8];
	char	shortid[LIST_SHORT + 1], subj[64], tm[64];
	struct tbl *t;
	struct jw j;
	size_t	i, k;
	int	orgs = ctl->cfg->norgs > 1 && ctl->org == NULL;
	int64_t	v;

	if (ctl->json) {
		jw_init(&j, ctl->out);
		jw_open(&j, NULL, '{');
		jw_int(&j, "now_ms", ctl->now_ms);
		jw_bool(&j, "more", more);
		jw_open(&j, "interactions", '[');
		for (i = 0; i < n; i++) {
			const json_t *it = rows[i].item;
			const char *s;

			jw_open(&j, NULL, '{');
			jw_string(&j, "org", rows[i].org);
			jw_string(&j, "id", json_string_value(
			    json_object_get(it, "id")));
			jw_string(&j, "state", json_string_value(
			    json_object_get(it, "state")));
			jw_string(&j, "queue", json_string_value(
			    json_object_get(it, "queue")));
			s = json_string_value(json_object_get(it, "agent"));
			jw_string(&j, "agent", s && *s ? s : NULL);
			jw_string(&j, "customer", json_string_value(
			    json_object_get(it, "customer")));
			jw_string(&j, "subject", json_string_value(
			    json_object_get(it, "subject")));
			if (ctl_jint(it, "arrived", &v) == 0)
				jw_int(&j, "arrived_ms", v);
			if (ctl_jint(it, "assigned", &v) == 0)
				jw_int(&j, "assigned_ms", v);
			if (ctl_jint(it, "closed", &v) == 0)
				jw_int(&j, "closed_ms", v);
			jw_close(&j, '}');
		}
		jw_close(&j, ']');
		jw_close(&j, '}');
		jw_end(&j);
		return (0);
	}
	if ((t = tbl_new(orgs ? 8 : 7, head)) == NULL)
		return (EX_OSERR);
	for (i = 0; i < n; i++) {
		const json_t *it = rows[i].item;
		const char *s;

		snprintf(shortid, sizeof(shortid), "%s",
		    json_string_value(json_object_get(it, "id")));
		s = json_string_value(json_object_get(it, "subject"));
		snprintf(subj, sizeof(subj), "%s", s ? s : "");
		if (s != NULL && strlen(s) >= sizeof(subj))
			memcpy(subj + sizeof(subj) - 4, "...", 4);
		cells[0] = shortid;
		cells[1] = json_string_value(json_object_get(it, "state"));
		cells[2] = json_string_value(json_object_get(it, "queue"));
		cells[3] = json_string_value(json_object_get(it, "agent"));
		cells[4] = json_string_value(json_object_get(it, "customer"));
		cells[5] = subj[0] ? subj : NULL;
		cells[6] = list_time(ctl, it, tm, sizeof(tm));
		cells[7] = rows[i].org;
		for (k = 0; k < 7; k++)
			if (cells[k] != NULL && *cells[k] == '\0')
				cells[k] = NULL;
		if (tbl_add(t, cells) != 0) {
			tbl_free(t);
			return (EX_OSERR);
		}
	}
	if (n > 0)
		tbl_print(t, ctl->out);
	else
		fputs("no interactions\n", ctl->out);
	if (more)
		fprintf(ctl->out, "(the first %zu; --limit shows more)\n", n);
	tbl_free(t);
	return (0);
}

/* list_cmd - "interactions [--queue Q] [--agent A] [--state S]
 * [--customer ADDR] [--subject TEXT] [--since T] [--limit N]" */
int
list_cmd(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "queue", required_argument, NULL, 'q' },
		{ "agent", required_argument, NULL, 'a' },
		{ "state", required_argument, NULL, 's' },
		{ "customer", required_argument, NULL, 'u' },
		{ "subject", required_argument, NULL, 'S' },
		{ "since", required_argument, NULL, 't' },
		{ "limit", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct list_opts lo;
	struct list_row *rows = NULL;
	size_t	n = 0, i, k;
	int64_t	since;
	char	*end;
	int	ch, st = 0, more = 0;

	memset(&lo, 0, sizeof(lo));
	lo.limit = LIST_LIMIT;
	lo.f.budget = LIST_BUDGET;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'q':
			lo.f.queue = optarg;
			break;
		case 'a':
			lo.f.agent = optarg;
			break;
		case 's':
			if (strcmp(optarg, "waiting") != 0 &&
			    strcmp(optarg, "assigned") != 0 &&
			    strcmp(optarg, "closed") != 0) {
				ctl_errx("interactions: --state is waiting, "
				    "assigned or closed, not %s", optarg);
				return (EX_USAGE);
			}
			lo.f.state = optarg;
			break;
		case 'u':
			lo.f.customer = optarg;
			break;
		case 'S':
			lo.f.subject = optarg;
			break;
		case 't':
			if (list_since(optarg, ctl->now_ms, &since) != 0) {
				ctl_errx("interactions: --since %s: give a "
				    "time ago (45s, 30m, 2h, 3d) or a UTC date "
				    "(2026-12-01, 2026-12-01T08:30)", optarg);
				return (EX_USAGE);
			}
			lo.f.since = since < 0 ? 0 : since;
			break;
		case 'l':
			lo.limit = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || lo.limit < 1 ||
			    lo.limit > LIST_MAX) {
				ctl_errx("interactions: --limit is a whole "
				    "number from 1 to %d, not %s", LIST_MAX,
				    optarg);
				return (EX_USAGE);
			}
			break;
		case 'j':
			ctl->json = 1;
			break;
		default:
			ctl_errx("usage: interactions [--queue Q] [--agent A] "
			    "[--state waiting|assigned|closed] [--customer "
			    "ADDR] [--subject TEXT] [--since T] [--limit N]");
			return (EX_USAGE);
		}
	}
	if (optind != argc) {
		ctl_errx("interactions takes options only, not %s",
		    argv[optind]);
		return (EX_USAGE);
	}
	for (i = 0; i < ctl->cfg->norgs && st == 0; i++) {
		if (!ctl_org_on(ctl, &ctl->cfg->orgs[i]))
			continue;
		if ((st = ctl_schema(ctl, ctl->cfg->orgs[i].id)) == 0)
			st = list_org(ctl, ctl->cfg->orgs[i].id, &lo, &rows,
			    &n, &more);
	}
	if (st == 0) {
		if (n > 1)
			qsort(rows, n, sizeof(*rows), list_cmp);
		if (n > (size_t)lo.limit) {
			more = 1;
			for (k = (size_t)lo.limit; k < n; k++)
				json_decref(rows[k].item);
			n = (size_t)lo.limit;
		}
		st = list_print(ctl, rows, n, more);
		if (st == EX_OSERR)
			ctl_errx("out of memory");
	}
	for (i = 0; i < n; i++)
		json_decref(rows[i].item);
	free(rows);
	return (st);
}
