/* expo.c - the router's metrics as Prometheus text (exposition format
 * 0.0.4).
 *
 * The numbers come from the library function mailacd_metrics, one JSON
 * answer per organisation (mailacd-keys(7)), so every router serves the
 * same ones; a few are this process's own and say so in their HELP.  The
 * format wants each family's samples together under one HELP and TYPE,
 * so the answers are parsed first (expo_parse) and each family then walks
 * every organisation (expo_write).  Names start with mailacd_, counters
 * end in _total, times are seconds; the labels are org, queue, agent,
 * domain and the enumerations' state and status.
 *
 * The queue wait histogram is built from the totals hash of each queue,
 * whose wait_le_* fields count each first-assignment wait once, in the
 * first bucket it fits: Prometheus's buckets are cumulative, so each le
 * bucket here is the sum of the fields up to it.  A missing field or
 * hash is zero. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "expo.h"
#include "keys.h"

/* the wait buckets of the totals hash, in seconds, in order; the last,
 * wait_le_inf, is +Inf */
static const char *const expo_buckets[] = {
	"10", "30", "60", "120", "300", "600", "1800", "3600", "7200",
	"14400", "28800", "86400", NULL
};

/* Presences an agent has (mailacd_presence); one series each. */
static const char *const expo_presences[] = {
	"available", "away", "offline", NULL
};

/* What a stored domain check says (domchk), and "never" for none. */
static const char *const expo_statuses[] = {
	"passed", "failed", "unchecked", "never", NULL
};

/* A number of a queue's totals or of the counters hash, one family each. */
struct expo_counter {
	const char *name;	/* the family */
	const char *field;	/* the hash field */
	const char *help;
};

static const struct expo_counter expo_queue_counters[] = {
	{ "mailacd_queue_offered_total", "offered",
	  "Interactions that entered the queue: arrivals and transfers in, "
	  "from Redis." },
	{ "mailacd_queue_assignments_total", "assigned",
	  "Assignments of the queue's interactions to agents, from Redis." },
	{ "mailacd_queue_answered_total", "answered",
	  "Interactions of the queue assigned for the first time, from "
	  "Redis." },
	{ "mailacd_queue_closed_total", "closed",
	  "Interactions of the queue closed, from Redis." },
	{ "mailacd_queue_transferred_total", "transferred",
	  "Interactions transferred out of the queue, from Redis." },
	{ "mailacd_delivery_give_ups_total", "delivery_failed",
	  "Resends to an agent's mailbox given up (forward mode): the "
	  "interaction went back to its queue, from Redis." },
	{ NULL, NULL, NULL }
};

static const struct expo_counter expo_org_counters[] = {
	{ "mailacd_milter_handed_off_total", KEYS_F_CNT_HANDED_OFF,
	  "Interactions the milters handed off to the router (MTA retries "
	  "not counted), from Redis." },
	{ "mailacd_milter_tempfailed_total", KEYS_F_CNT_TEMPFAILED,
	  "Messages the milters answered with a temporary failure (Redis "
	  "unreachable, signing failed, a domain held), from Redis; counted "
	  "by each milter and added within about a second of Redis being "
	  "reachable." },
	{ "mailacd_milter_rate_limited_total", KEYS_F_CNT_RATE_LIMITED,
	  "Inbound messages not routed because their sender passed "
	  "milter.sender_rate_limit, from Redis." },
	{ "mailacd_milter_loops_total", KEYS_F_CNT_LOOPS,
	  "Inbound messages not routed because they went round through "
	  "mailacd twice (X-MailACD-Loop), from Redis." },
	{ "mailacd_milter_outbound_signed_total", KEYS_F_CNT_SIGNED,
	  "Outbound messages the milters DKIM-signed, from Redis." },
	{ "mailacd_milter_outbound_refused_total", KEYS_F_CNT_REFUSED,
	  "Outbound messages the milters refused (550 5.7.1: the From is "
	  "not the sending address), from Redis." },
	{ "mailacd_delivery_retries_total", KEYS_F_CNT_RETRIES,
	  "Failed resends to an agent's mailbox that will be tried again "
	  "(forward mode), from Redis." },
	{ "mailacd_acks_sent_total", KEYS_F_CNT_ACKS,
	  "Acknowledgements the routers sent to customers, from Redis." },
	{ "mailacd_responses_sent_total", KEYS_F_CNT_RESPONSES,
	  "Standard responses the routers sent to customers, from Redis." },
	{ "mailacd_outbox_failed_total", KEYS_F_CNT_OUT_FAILED,
	  "Acknowledgements and standard responses the routers gave up "
	  "sending, from Redis." },
	{ "mailacd_domain_check_failures_total", KEYS_F_CNT_DOMAIN_FAILED,
	  "DNS re-checks by the routers that found a domain failing, from "
	  "Redis." },
	{ NULL, NULL, NULL }
};

/* expo_esc - a label value with \, " and newline escaped, into BUF */
static const char *
expo_esc(const char *v, char *buf, size_t len)
{
	size_t	o = 0;

	for (; *v != '\0' && o + 3 < len; v++) {
		if (*v == '\\' || *v == '"') {
			buf[o++] = '\\';
			buf[o++] = *v;
		} else if (*v == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else
			buf[o++] = *v;
	}
	buf[o] = '\0';
	return (buf);
}

/* expo_family - the HELP and TYPE lines of family NAME */
static void
expo_family(FILE *fp, const char *name, const char *type, const char *help)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* expo_labels - {k="v",...} of the NULL-terminated pairs in KV */
static void
expo_labels(FILE *fp, const char *const *kv)
{
	char	buf[1024];
	size_t	i;

	if (kv[0] == NULL)
		return;
	fputc('{', fp);
	for (i = 0; kv[i] != NULL && kv[i + 1] != NULL; i += 2)
		fprintf(fp, "%s%s=\"%s\"", i > 0 ? "," : "", kv[i],
		    expo_esc(kv[i + 1], buf, sizeof(buf)));
	fputc('}', fp);
}

/* expo_int - one sample NAME{KV} V */
static void
expo_int(FILE *fp, const char *name, const char *const *kv, long long v)
{
	fputs(name, fp);
	expo_labels(fp, kv);
	fprintf(fp, " %lld\n", v);
}

/* expo_ms - one sample NAME{KV} of MS milliseconds, in seconds */
static void
expo_ms(FILE *fp, const char *name, const char *const *kv, long long ms)
{
	fputs(name, fp);
	expo_labels(fp, kv);
	fprintf(fp, " %s%lld.%03lld\n", ms < 0 ? "-" : "", llabs(ms) / 1000,
	    llabs(ms) % 1000);
}

/* expo_num - a JSON number, or a string holding a whole number, of
 * object O; 0 when missing or not a number */
static long long
expo_num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	const char *s;
	char	*end;
	long long n;

	if (json_is_integer(v))
		return (json_integer_value(v));
	if (json_is_real(v))
		return ((long long)json_real_value(v));
	if (!json_is_string(v))
		return (0);
	s = json_string_value(v);
	errno = 0;
	n = strtoll(s, &end, 10);
	return (end == s || *end != '\0' || errno != 0 ? 0 : n);
}

/* expo_str - a string member of O, or "" */
static const char *
expo_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return (s != NULL ? s : "");
}

/* expo_parse - see expo.h: an object with the arrays queues, agents and
 * domains and the number now */
int
expo_parse(struct expo_org *o, const char *text, size_t len, char *err,
    size_t errlen)
{
	json_error_t je;
	json_t	*j;

	expo_org_clear(o);
	if ((j = json_loadb(text, len, 0, &je)) == NULL) {
		snprintf(err, errlen, "mailacd_metrics for %s: not JSON: %s",
		    o->id, je.text);
		return (-1);
	}
	if (!json_is_object(j) || !json_is_integer(json_object_get(j, "now")) ||
	    !json_is_array(json_object_get(j, "queues")) ||
	    !json_is_array(json_object_get(j, "agents")) ||
	    !json_is_array(json_object_get(j, "domains"))) {
		snprintf(err, errlen, "mailacd_metrics for %s: not the answer "
		    "of library %s (now, queues, agents, domains)", o->id,
		    KEYS_LIBRARY);
		json_decref(j);
		return (-1);
	}
	o->data = j;
	return (0);
}

/* expo_org_clear - drop the parsed answer */
void
expo_org_clear(struct expo_org *o)
{
	if (o->data != NULL)
		json_decref(o->data);
	o->data = NULL;
}

/* expo_each - call FN for each element of array KEY of every organisation
 * read, with the organisation's id and answer */
static void
expo_each(FILE *fp, const struct expo_org *orgs, size_t n, const char *key,
    void (*fn)(FILE *, const char *, const json_t *, const json_t *,
    const void *), const void *arg)
{
	const json_t *e;
	size_t	i, k;

	for (i = 0; i < n; i++) {
		if (orgs[i].data == NULL)
			continue;
		json_array_foreach(json_object_get(orgs[i].data, key), k, e)
			fn(fp, orgs[i].id, orgs[i].data, e, arg);
	}
}

/* expo_queue_field - a queue's number ARG (a field name) */
static void
expo_queue_field(FILE *fp, const char *org, const json_t *all,
    const json_t *q, const void *arg)
{
	const char *const *fam = arg;	/* family, field */
	const char *kv[] = { "org", org, "queue", expo_str(q, "queue"), NULL };

	(void)all;
	expo_int(fp, fam[0], kv, expo_num(q, fam[1]));
}

/* expo_queue_oldest - how long the longest-waiting one has waited */
static void
expo_queue_oldest(FILE *fp, const char *org, const json_t *all,
    const json_t *q, const void *arg)
{
	const char *kv[] = { "org", org, "queue", expo_str(q, "queue"), NULL };
	long long wait = 0;

	(void)arg;
	if (json_object_get(q, "oldest") != NULL)
		wait = expo_num(all, "now") - expo_num(q, "oldest");
	expo_ms(fp, "mailacd_queue_oldest_wait_seconds", kv,
	    wait > 0 ? wait : 0);
}

/* expo_queue_sl - today's share answered within the target, when there
 * is a target and something was answered */
static void
expo_queue_sl(FILE *fp, const char *org, const json_t *all,
    const json_t *q, const void *arg)
{
	const char *kv[] = { "org", org, "queue", expo_str(q, "queue"), NULL };
	long long answered = expo_num(q, "answered");

	(void)all;
	(void)arg;
	if (answered <= 0 || expo_num(q, "service_level") <= 0)
		return;
	fputs("mailacd_queue_service_level", fp);
	expo_labels(fp, kv);
	fprintf(fp, " %.6g\n", (double)expo_num(q, "within") /
	    (double)answered);
}

/* expo_queue_target - the queue's service-level target in seconds */
static void
expo_queue_target(FILE *fp, const char *org, const json_t *all,
    const json_t *q, const void *arg)
{
	const char *kv[] = { "org", org, "queue", expo_str(q, "queue"), NULL };

	(void)all;
	(void)arg;
	expo_int(fp, "mailacd_queue_service_level_target_seconds", kv,
	    expo_num(q, "service_level"));
}

/* expo_queue_total - a counter ARG of the queue's totals hash */
static void
expo_queue_total(FILE *fp, const char *org, const json_t *all,
    const json_t *q, const void *arg)
{
	const struct expo_counter *c = arg;
	const char *kv[] = { "org", org, "queue", expo_str(q, "queue"), NULL };

	(void)all;
	expo_int(fp, c->name, kv, expo_num(json_object_get(q, "totals"),
	    c->field));
}

/* expo_queue_wait - the wait histogram of one queue: cumulative buckets,
 * sum and count */
static void
expo_queue_wait(FILE *fp, const char *org, const json_t *all,
    const json_t *q, const void *arg)
{
	const json_t *t = json_object_get(q, "totals");
	const char *name = "mailacd_queue_wait_seconds";
	const char *kv[] = { "org", org, "queue", expo_str(q, "queue"),
	    "le", NULL, NULL };
	const char *kv2[] = { "org", org, "queue", expo_str(q, "queue"),
	    NULL };
	char	field[32];
	long long sum = 0;
	size_t	i;

	(void)all;
	(void)arg;
	for (i = 0; expo_buckets[i] != NULL; i++) {
		snprintf(field, sizeof(field), "wait_le_%s", expo_buckets[i]);
		sum += expo_num(t, field);
		kv[5] = expo_buckets[i];
		fprintf(fp, "%s_bucket", name);
		expo_labels(fp, kv);
		fprintf(fp, " %lld\n", sum);
	}
	sum += expo_num(t, "wait_le_inf");
	kv[5] = "+Inf";
	fprintf(fp, "%s_bucket", name);
	expo_labels(fp, kv);
	fprintf(fp, " %lld\n", sum);
	fprintf(fp, "%s_sum", name);
	expo_labels(fp, kv2);
	fprintf(fp, " %lld.%03lld\n", expo_num(t, "wait_sum_ms") / 1000,
	    expo_num(t, "wait_sum_ms") % 1000);
	fprintf(fp, "%s_count", name);
	expo_labels(fp, kv2);
	fprintf(fp, " %lld\n", sum);
}

/* expo_agent_state - one series per presence, 1 for the agent's */
static void
expo_agent_state(FILE *fp, const char *org, const json_t *all,
    const json_t *a, const void *arg)
{
	const char *kv[] = { "org", org, "agent", expo_str(a, "agent"),
	    "state", NULL, NULL };
	size_t	i;

	(void)all;
	(void)arg;
	for (i = 0; expo_presences[i] != NULL; i++) {
		kv[5] = expo_presences[i];
		expo_int(fp, "mailacd_agent_state", kv,
		    strcmp(expo_str(a, "presence"), expo_presences[i]) == 0);
	}
}

/* expo_agent_field - an agent's number ARG (family, field) */
static void
expo_agent_field(FILE *fp, const char *org, const json_t *all,
    const json_t *a, const void *arg)
{
	const char *const *fam = arg;
	const char *kv[] = { "org", org, "agent", expo_str(a, "agent"), NULL };

	(void)all;
	expo_int(fp, fam[0], kv, expo_num(a, fam[1]));
}

/* expo_domain - one series per status, 1 for the domain's */
static void
expo_domain(FILE *fp, const char *org, const json_t *all, const json_t *d,
    const void *arg)
{
	const char *kv[] = { "org", org, "domain", expo_str(d, "domain"),
	    "status", NULL, NULL };
	size_t	i;

	(void)all;
	(void)arg;
	for (i = 0; expo_statuses[i] != NULL; i++) {
		kv[5] = expo_statuses[i];
		expo_int(fp, "mailacd_domain_status", kv,
		    strcmp(expo_str(d, "status"), expo_statuses[i]) == 0);
	}
}

/* expo_orgs - one sample per organisation read: number FIELD of its
 * answer, or of its counters when COUNTERS */
static void
expo_orgs(FILE *fp, const struct expo_org *orgs, size_t n, const char *name,
    const char *field, int counters)
{
	const json_t *o;
	size_t	i;

	for (i = 0; i < n; i++) {
		const char *kv[] = { "org", orgs[i].id, NULL };

		if ((o = orgs[i].data) == NULL)
			continue;
		expo_int(fp, name, kv, expo_num(counters ?
		    json_object_get(o, "counters") : o, field));
	}
}

/* expo_write - see expo.h */
void
expo_write(FILE *fp, const struct expo_org *orgs, size_t n,
    const struct expo_proc *p)
{
	static const char *const waiting[2] = { "mailacd_queue_waiting",
	    "waiting" };
	static const char *const assigned[2] = { "mailacd_queue_assigned",
	    "assigned" };
	static const char *const answered[2] = {
	    "mailacd_queue_answered_today", "answered" };
	static const char *const within[2] = {
	    "mailacd_queue_answered_within_target_today", "within" };
	static const char *const load[2] = { "mailacd_agent_load", "load" };
	static const char *const cap[2] = { "mailacd_agent_capacity",
	    "capacity" };
	const struct expo_counter *c;
	const char *none[] = { NULL };
	const char *ver[] = { "version", p->version, NULL };

	/* this process's own */
	expo_family(fp, "mailacd_router_build_info", "gauge",
	    "Always 1, with the router's version (per process).");
	expo_int(fp, "mailacd_router_build_info", ver, 1);
	expo_family(fp, "mailacd_router_start_time_seconds", "gauge",
	    "When this router process started, Unix time (per process).");
	expo_ms(fp, "mailacd_router_start_time_seconds", none, p->start_ms);
	expo_family(fp, "mailacd_redis_up", "gauge",
	    "1 when this scrape read every organisation from Redis, else 0 "
	    "(per process).");
	expo_int(fp, "mailacd_redis_up", none, p->redis_up);
	expo_family(fp, "mailacd_redis_errors_total", "counter",
	    "Redis failures this router process met: its main loop, its "
	    "delivery thread and its scrapes (per process).");
	expo_int(fp, "mailacd_redis_errors_total", none, p->redis_errors);
	expo_family(fp, "mailacd_scrape_duration_seconds", "gauge",
	    "How long this scrape's reads from Redis took (per process).");
	expo_ms(fp, "mailacd_scrape_duration_seconds", none, p->scrape_ms);

	/* queues, from Redis */
	expo_family(fp, waiting[0], "gauge",
	    "Interactions waiting in the queue, from Redis.");
	expo_each(fp, orgs, n, "queues", expo_queue_field, waiting);
	expo_family(fp, "mailacd_queue_oldest_wait_seconds", "gauge",
	    "How long the longest-waiting interaction of the queue has "
	    "waited (0 when none waits), from Redis.");
	expo_each(fp, orgs, n, "queues", expo_queue_oldest, NULL);
	expo_family(fp, assigned[0], "gauge",
	    "Interactions of the queue assigned to agents now, from Redis.");
	expo_each(fp, orgs, n, "queues", expo_queue_field, assigned);
	expo_family(fp, "mailacd_queue_service_level_target_seconds",
	    "gauge", "The queue's service_level setting: the wait an answer "
	    "should come within (0: none), from Redis.");
	expo_each(fp, orgs, n, "queues", expo_queue_target, NULL);
	expo_family(fp, answered[0], "gauge",
	    "Interactions of the queue answered (assigned for the first "
	    "time) today, UTC, from Redis.");
	expo_each(fp, orgs, n, "queues", expo_queue_field, answered);
	expo_family(fp, within[0], "gauge",
	    "Of them, those answered within the queue's target, from Redis.");
	expo_each(fp, orgs, n, "queues", expo_queue_field, within);
	expo_family(fp, "mailacd_queue_service_level", "gauge",
	    "Today's service level, UTC: the share of the interactions "
	    "answered within the queue's target (absent without a target or "
	    "before the day's first answer), from Redis.");
	expo_each(fp, orgs, n, "queues", expo_queue_sl, NULL);
	for (c = expo_queue_counters; c->name != NULL; c++) {
		expo_family(fp, c->name, "counter", c->help);
		expo_each(fp, orgs, n, "queues", expo_queue_total, c);
	}
	expo_family(fp, "mailacd_queue_wait_seconds", "histogram",
	    "How long the queue's interactions waited for their first "
	    "assignment, from Redis.");
	expo_each(fp, orgs, n, "queues", expo_queue_wait, NULL);

	/* agents */
	expo_family(fp, "mailacd_agent_state", "gauge",
	    "1 for the agent's presence (available, away, offline), 0 for "
	    "the others, from Redis.");
	expo_each(fp, orgs, n, "agents", expo_agent_state, NULL);
	expo_family(fp, load[0], "gauge",
	    "Interactions the agent holds, from Redis.");
	expo_each(fp, orgs, n, "agents", expo_agent_field, load);
	expo_family(fp, cap[0], "gauge",
	    "Interactions the agent may hold at once, from Redis.");
	expo_each(fp, orgs, n, "agents", expo_agent_field, cap);

	/* the organisation */
	expo_family(fp, "mailacd_dead_letters", "gauge",
	    "Entries in the organisation's dead-letter stream, from Redis.");
	expo_orgs(fp, orgs, n, "mailacd_dead_letters", "dead", 0);
	for (c = expo_org_counters; c->name != NULL; c++) {
		expo_family(fp, c->name, "counter", c->help);
		expo_orgs(fp, orgs, n, c->name, c->field, 1);
	}
	expo_family(fp, "mailacd_domain_status", "gauge",
	    "1 for the last stored DNS check of the domain (passed, failed, "
	    "unchecked; never: none stored), 0 for the others, from Redis.");
	expo_each(fp, orgs, n, "domains", expo_domain, NULL);
}
