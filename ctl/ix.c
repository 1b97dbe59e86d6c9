/* ix.c - "mailacdctl interaction show|close|transfer|priority": find the
 * interaction hash mailacd:{org}:ix:ID in the configured organisations,
 * print it, or change it through the function library.
 *
 * The fields people ask about come first, in a fixed order, with times
 * shown as local time and durations in their two largest units; every
 * other field of the hash follows in name order, so that nothing the
 * router wrote is hidden.  Closing and transferring are one FCALL each:
 * the agent who is freed takes their next interaction in the same call,
 * and the command prints what was assigned. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "fn.h"
#include "ix.h"
#include "json.h"
#include "tbl.h"

/* The fields shown first, in this order ("id" and "org" come from the
 * key and are not repeated). */
static const char *const ix_first[] = {
	"subject", "from", "sender", "queue", "priority", "language",
	"skills", "tags", "flow", "detected_language", "language_confidence",
	"ack", "opens", "stopped", "state", "enqueued", "wait", "agent",
	"assigned", "score",
	"assignments", "transfers", "transferred", "transferred_by",
	"followups", "replies", "last_reply_at", "last_reply_by",
	"last_reply_message_id", "closed", "closed_by", "address",
	"message_id", "queue_id", NULL
};

/* Fields that hold a Unix time in milliseconds. */
static const char *const ix_times[] = {
	"assigned", "transferred", "closed", "last_reply_at", "arrived",
	"requeued", "reprioritized", "presence_at", "last_delivery_failure",
	"delivered_at", "last_arrived", NULL
};

/* Bookkeeping fields the text view leaves out (--json has them all). */
static const char *const ix_hidden[] = {
	"entries", "entry", "held_closed_ms", "idx", "req", "rank", "v", NULL
};

/* ix_listed - NAME is in LIST */
static int
ix_listed(const char *const *list, const char *name)
{
	size_t	i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], name) == 0)
			return (1);
	return (0);
}

/* ix_get - the value of field NAME in an HGETALL reply, or NULL */
static const redisReply *
ix_get(const redisReply *h, const char *name)
{
	size_t	i;

	for (i = 0; i + 1 < h->elements; i += 2)
		if (h->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(h->element[i]->str, name) == 0)
			return (h->element[i + 1]);
	return (NULL);
}

/* ix_ms - a decimal millisecond field; 0, or -1 when it is not one */
static int
ix_ms(const redisReply *v, int64_t *ms)
{
	char	*end;
	long long n;

	if (v == NULL || v->type != REDIS_REPLY_STRING || v->len == 0)
		return (-1);
	errno = 0;
	n = strtoll(v->str, &end, 10);
	if (*end != '\0' || errno != 0 || n < 0)
		return (-1);
	*ms = n;
	return (0);
}

/* ix_name_cmp - qsort: field names */
static int
ix_name_cmp(const void *a, const void *b)
{
	const redisReply *const *x = a, *const *y = b;

	return (strcmp((*x)->str, (*y)->str));
}

/* ix_rest - the fields not in ix_first, sorted by name (caller frees);
 * NULL with *N 0 when there are none or memory is short */
static const redisReply **
ix_rest(const redisReply *h, size_t *n)
{
	const redisReply **v;
	size_t	i;

	*n = 0;
	if ((v = calloc(h->elements / 2 + 1, sizeof(*v))) == NULL)
		return (NULL);
	for (i = 0; i + 1 < h->elements; i += 2)
		if (h->element[i]->type == REDIS_REPLY_STRING &&
		    h->element[i + 1]->type == REDIS_REPLY_STRING &&
		    !ix_listed(ix_first, h->element[i]->str) &&
		    !ix_listed(ix_hidden, h->element[i]->str) &&
		    strcmp(h->element[i]->str, "id") != 0 &&
		    strcmp(h->element[i]->str, "org") != 0)
			v[(*n)++] = h->element[i];
	qsort(v, *n, sizeof(*v), ix_name_cmp);
	return (v);
}

/* ix_line - "name        value" with the value made safe for a terminal */
static void
ix_line(FILE *fp, const char *name, const char *value)
{
	fprintf(fp, "%-14s ", name);
	tbl_text(fp, value);
	putc('\n', fp);
}

/* ix_state - the state field, or "" */
static const char *
ix_state(const redisReply *h)
{
	const redisReply *v = ix_get(h, "state");

	return (v != NULL && v->type == REDIS_REPLY_STRING ? v->str : "");
}

/* ix_text - the readable form */
static void
ix_text(struct ctl *ctl, const char *org, const char *id, const redisReply *h)
{
	const redisReply *v, **rest;
	const char *name;
	char	buf[128], t[64], w[32];
	int64_t	ms;
	size_t	i, n;

	ix_line(ctl->out, "id", id);
	ix_line(ctl->out, "org", org);
	for (i = 0; ix_first[i] != NULL; i++) {
		name = ix_first[i];
		v = ix_get(h, name);
		if (v == NULL || v->type != REDIS_REPLY_STRING)
			continue;
		if (strcmp(name, "enqueued") == 0 && ix_ms(v, &ms) == 0) {
			if (strcmp(ix_state(h), "waiting") == 0)
				snprintf(buf, sizeof(buf), "%s (waiting %s)",
				    ctl_time(ms, t, sizeof(t)),
				    ctl_wait(ctl->now_ms - ms, w, sizeof(w)));
			else
				snprintf(buf, sizeof(buf), "%s (%s ago)",
				    ctl_time(ms, t, sizeof(t)),
				    ctl_wait(ctl->now_ms - ms, w, sizeof(w)));
			ix_line(ctl->out, name, buf);
		} else if (ix_listed(ix_times, name) && ix_ms(v, &ms) == 0) {
			snprintf(buf, sizeof(buf), "%s (%s ago)",
			    ctl_time(ms, t, sizeof(t)),
			    ctl_wait(ctl->now_ms - ms, w, sizeof(w)));
			ix_line(ctl->out, name, buf);
		} else if (strcmp(name, "wait") == 0 && ix_ms(v, &ms) == 0) {
			snprintf(buf, sizeof(buf), "%s (before the last "
			    "assignment)", ctl_wait(ms, w, sizeof(w)));
			ix_line(ctl->out, name, buf);
		} else
			ix_line(ctl->out, name, v->str);
	}
	rest = ix_rest(h, &n);
	for (i = 0; i < n; i++) {
		name = rest[i]->str;
		v = ix_get(h, name);
		if (ix_listed(ix_times, name) && ix_ms(v, &ms) == 0) {
			snprintf(buf, sizeof(buf), "%s (%s ago)",
			    ctl_time(ms, t, sizeof(t)),
			    ctl_wait(ctl->now_ms - ms, w, sizeof(w)));
			ix_line(ctl->out, name, buf);
		} else
			ix_line(ctl->out, name, v->str);
	}
	free(rest);
}

/* ix_event_text - one timeline entry E as words: "assigned to alice from
 * support (queue, waited 59s)" */
static void
ix_event_text(FILE *fp, const json_t *e)
{
	const char *ev = json_string_value(json_object_get(e, "event"));
	const char *agent = json_string_value(json_object_get(e, "agent"));
	const char *q = json_string_value(json_object_get(e, "queue"));
	const char *by = json_string_value(json_object_get(e, "by"));
	const char *subj = json_string_value(json_object_get(e, "subject"));
	char	w[32];
	int64_t	v, was;

#define S(x)	((x) != NULL ? (x) : "?")
	if (ev == NULL)
		ev = "?";
	if (strcmp(ev, "arrived") == 0) {
		fputs("arrived in ", fp);
		tbl_text(fp, S(q));
		fputs(" from ", fp);
		tbl_text(fp, S(json_string_value(json_object_get(e, "from"))));
	} else if (strcmp(ev, "message") == 0) {
		fputs(json_object_get(e, "auto") != NULL ?
		    "automatic message in" : "message in", fp);
		if (json_is_true(json_object_get(e, "merged")))
			fputs(" (a new thread, merged)", fp);
	} else if (strcmp(ev, "assigned") == 0) {
		fputs("assigned to ", fp);
		tbl_text(fp, S(agent));
		fputs(" from ", fp);
		tbl_text(fp, S(q));
		fputs(" (", fp);
		tbl_text(fp, S(json_string_value(json_object_get(e, "how"))));
		if (ctl_jint(e, "wait_ms", &v) == 0)
			fprintf(fp, ", waited %s", ctl_wait(v, w, sizeof(w)));
		putc(')', fp);
	} else if (strcmp(ev, "transferred") == 0) {
		fputs("transferred from ", fp);
		tbl_text(fp, S(json_string_value(json_object_get(e, "from"))));
		fputs(" to ", fp);
		tbl_text(fp, S(q));
	} else if (strcmp(ev, "priority") == 0) {
		if (ctl_jint(e, "was", &was) != 0)
			was = 0;
		if (ctl_jint(e, "priority", &v) != 0)
			v = 0;
		fprintf(fp, "priority %lld -> %lld", (long long)was,
		    (long long)v);
	} else if (strcmp(ev, "requeued") == 0) {
		fputs("taken back from ", fp);
		tbl_text(fp, S(agent));
		fputs(" into its queue", fp);
	} else if (strcmp(ev, "undeliverable") == 0) {
		fputs("resend to ", fp);
		tbl_text(fp, S(agent));
		fputs(" given up: ", fp);
		tbl_text(fp, S(json_string_value(json_object_get(e, "error"))));
	} else if (strcmp(ev, "delivered") == 0) {
		fputs("delivered to ", fp);
		tbl_text(fp, S(agent));
		if (ctl_jint(e, "copies", &v) == 0 && v > 1)
			fprintf(fp, " (%lld messages)", (long long)v);
		fputs(" via ", fp);
		tbl_text(fp, S(json_string_value(json_object_get(e, "via"))));
	} else if (strcmp(ev, "reply") == 0) {
		fputs("reply out", fp);
	} else if (strcmp(ev, "ack_queued") == 0 ||
	    strcmp(ev, "respond_requested") == 0) {
		fputs(ev[1] == 'c' ? "acknowledgement " : "response ", fp);
		tbl_text(fp, S(json_string_value(json_object_get(e,
		    "response"))));
		fputs(ev[1] == 'c' ? " to be sent to " : " requested", fp);
		if (ev[1] == 'c')
			tbl_text(fp, S(json_string_value(json_object_get(e,
			    "to"))));
	} else if (strcmp(ev, "acked") == 0 || strcmp(ev, "responded") == 0) {
		fputs(ev[1] == 'c' ? "acknowledgement " : "response ", fp);
		tbl_text(fp, S(json_string_value(json_object_get(e,
		    "response"))));
		fputs(" sent to ", fp);
		tbl_text(fp, S(json_string_value(json_object_get(e, "to"))));
		fputs(", ", fp);
		tbl_text(fp, S(json_string_value(json_object_get(e,
		    "message_id"))));
	} else if (strcmp(ev, "ack_skipped") == 0) {
		fputs("not acknowledged: ", fp);
		tbl_text(fp, S(json_string_value(json_object_get(e, "reason"))));
	} else if (strcmp(ev, "ack_failed") == 0 ||
	    strcmp(ev, "respond_failed") == 0) {
		fputs(ev[1] == 'c' ? "acknowledgement " : "response ", fp);
		tbl_text(fp, S(json_string_value(json_object_get(e,
		    "response"))));
		fputs(" given up: ", fp);
		tbl_text(fp, S(json_string_value(json_object_get(e, "error"))));
	} else if (strcmp(ev, "closed") == 0) {
		fputs("closed", fp);
	} else
		tbl_text(fp, ev);
	if (subj != NULL && *subj != '\0') {
		fputs(": ", fp);
		tbl_text(fp, subj);
	}
	if (by != NULL) {
		fputs(" by ", fp);
		tbl_text(fp, by);
	}
#undef S
}

/* ix_timeline - "timeline" and one line per event of EV (the events list
 * as JSON strings), oldest first */
static void
ix_timeline(struct ctl *ctl, const redisReply *ev)
{
	char	t[64];
	json_t	*e;
	int64_t	at;
	size_t	i;

	if (ev == NULL || ev->type != REDIS_REPLY_ARRAY || ev->elements == 0)
		return;
	fputs("timeline\n", ctl->out);
	for (i = 0; i < ev->elements; i++) {
		if (ev->element[i]->type != REDIS_REPLY_STRING ||
		    (e = json_loadb(ev->element[i]->str, ev->element[i]->len, 0,
		    NULL)) == NULL)
			continue;
		if (ctl_jint(e, "at", &at) != 0)
			at = 0;
		fprintf(ctl->out, "  %s  ", ctl_time(at, t, sizeof(t)));
		ix_event_text(ctl->out, e);
		putc('\n', ctl->out);
		json_decref(e);
	}
}

/* ix_json_ms - field NAME of H as KEY in milliseconds, or null */
static void
ix_json_ms(struct jw *j, const char *key, const redisReply *h,
    const char *name)
{
	int64_t	ms;

	if (ix_ms(ix_get(h, name), &ms) == 0)
		jw_int(j, key, ms);
	else
		jw_null(j, key);
}

/* ix_json - {"id","org","state","enqueued_ms","wait_ms","assigned_ms",
 * "transferred_ms","closed_ms","fields":{...}} */
static void
ix_json(struct ctl *ctl, const char *org, const char *id, const redisReply *h,
    const redisReply *ev)
{
	struct jw j;
	int64_t	enq;
	size_t	i;

	jw_init(&j, ctl->out);
	jw_open(&j, NULL, '{');
	jw_string(&j, "id", id);
	jw_string(&j, "org", org);
	jw_string(&j, "state", ix_state(h));
	ix_json_ms(&j, "enqueued_ms", h, "enqueued");
	/* waiting: the wait so far; otherwise the wait before the last
	 * assignment, if it was ever assigned */
	if (strcmp(ix_state(h), "waiting") == 0 &&
	    ix_ms(ix_get(h, "enqueued"), &enq) == 0)
		jw_int(&j, "wait_ms", ctl->now_ms - enq);
	else
		ix_json_ms(&j, "wait_ms", h, "wait");
	ix_json_ms(&j, "assigned_ms", h, "assigned");
	ix_json_ms(&j, "transferred_ms", h, "transferred");
	ix_json_ms(&j, "closed_ms", h, "closed");
	jw_open(&j, "fields", '{');
	for (i = 0; i + 1 < h->elements; i += 2) {
		const redisReply *k = h->element[i], *v = h->element[i + 1];

		/* a JSON key must be text: field names are ours, NUL-free */
		if (k->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING || strlen(k->str) != k->len)
			continue;
		jw_stringn(&j, k->str, v->str, v->len);
	}
	jw_close(&j, '}');
	jw_open(&j, "events", '[');
	for (i = 0; ev != NULL && ev->type == REDIS_REPLY_ARRAY &&
	    i < ev->elements; i++) {
		json_t	*e;
		const char *k;
		json_t	*val;
		int64_t	num;

		if (ev->element[i]->type != REDIS_REPLY_STRING ||
		    (e = json_loadb(ev->element[i]->str, ev->element[i]->len, 0,
		    NULL)) == NULL)
			continue;
		jw_open(&j, NULL, '{');
		json_object_foreach(e, k, val) {
			if (json_is_string(val))
				jw_string(&j, k, json_string_value(val));
			else if (json_is_boolean(val))
				jw_bool(&j, k, json_is_true(val));
			else if (ctl_jint(e, k, &num) == 0)
				jw_int(&j, k, num);
		}
		jw_close(&j, '}');
		json_decref(e);
	}
	jw_close(&j, ']');
	jw_close(&j, '}');
	jw_end(&j);
}

/* ix_field - the value of field NAME in HGETALL reply H, or NULL */
static const char *
ix_field(const redisReply *h, const char *name)
{
	size_t	i;

	for (i = 0; h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements;
	    i += 2)
		if (h->element[i]->type == REDIS_REPLY_STRING &&
		    h->element[i + 1]->type == REDIS_REPLY_STRING &&
		    strcmp(h->element[i]->str, name) == 0)
			return (h->element[i + 1]->str);
	return (NULL);
}

/* ix_prefix - the one interaction id that starts with PREFIX (4 to 31 hex
 * digits, any case), as git takes abbreviated commits, into FULL; 0, or
 * an exit status after one line on stderr (none: 1; several: 64) */
static int
ix_prefix(struct ctl *ctl, const char *sub, const char *prefix,
    char full[CTL_ID_LEN + 1])
{
	char	key[CTL_KEY_MAX], lo[CTL_ID_LEN + 2], hi[CTL_ID_LEN + 3];
	char	first[CTL_ID_LEN + 1] = "";
	redisReply *r;
	size_t	i, n = strlen(prefix), found = 0;
	int	st;

	if (n < 4 || n >= CTL_ID_LEN ||
	    strspn(prefix, "0123456789abcdefABCDEF") != n) {
		ctl_errx("interaction %s: %s is not an interaction id (32 "
		    "hex digits, or the first 4 or more of them)", sub,
		    prefix);
		return (EX_USAGE);
	}
	lo[0] = '[';
	for (i = 0; i < n; i++)
		lo[i + 1] = (char)(prefix[i] >= 'A' && prefix[i] <= 'F' ?
		    prefix[i] - 'A' + 'a' : prefix[i]);
	lo[n + 1] = '\0';
	snprintf(hi, sizeof(hi), "%s\x7f", lo);
	for (i = 0; i < ctl->cfg->norgs; i++) {
		const char *org = ctl->cfg->orgs[i].id;
		size_t	k;

		if (!ctl_org_on(ctl, &ctl->cfg->orgs[i]))
			continue;
		if (keys_fmt(key, sizeof(key), KEYS_FMT_IXIDS, org) != 0)
			continue;
		if ((r = ctl_command(ctl, &st, "ZRANGEBYLEX", key,
		    "ZRANGEBYLEX %s %s %s LIMIT 0 2", key, lo, hi)) == NULL)
			return (st);
		for (k = 0; r->type == REDIS_REPLY_ARRAY && k < r->elements;
		    k++) {
			if (r->element[k]->type != REDIS_REPLY_STRING ||
			    !ctl_id_ok(r->element[k]->str))
				continue;
			if (found++ == 0)
				snprintf(first, sizeof(first), "%s",
				    r->element[k]->str);
			else {
				ctl_errx("interaction %s: %s is ambiguous: %s, "
				    "%s%s; give more digits", sub, prefix,
				    first, r->element[k]->str,
				    r->elements > 2 || found > 2 ? ", ..." : "");
				freeReplyObject(r);
				return (EX_USAGE);
			}
		}
		freeReplyObject(r);
	}
	if (found == 0) {
		ctl_errx("interaction %s: no interaction id starts with %s%s%s",
		    sub, prefix, ctl->org ? " in organisation " : "",
		    ctl->org ? ctl->org->id : "");
		return (CTL_EX_NOTFOUND);
	}
	memcpy(full, first, CTL_ID_LEN + 1);
	return (0);
}

/* ix_find - the organisation holding interaction ID and its hash (the
 * caller frees *H); 0, or an exit status with the reason on stderr: 1
 * when no organisation (of -o) has it */
static int
ix_find(struct ctl *ctl, const char *id, const struct cfg_org **o,
    redisReply **h)
{
	char	key[CTL_KEY_MAX];
	redisReply *r;
	size_t	i;
	int	st;

	for (i = 0; i < ctl->cfg->norgs; i++) {
		const char *org = ctl->cfg->orgs[i].id;

		if (!ctl_org_on(ctl, &ctl->cfg->orgs[i]))
			continue;
		if (keys_fmt(key, sizeof(key), KEYS_FMT_IX, org, id) != 0) {
			ctl_errx("organisation %s: key too long", org);
			return (EX_SOFTWARE);
		}
		if ((r = ctl_hgetall(ctl, &st, key)) == NULL)
			return (st);
		if (r->elements == 0) {
			freeReplyObject(r);
			continue;
		}
		*o = &ctl->cfg->orgs[i];
		*h = r;
		return (0);
	}
	if (ctl->org != NULL)
		ctl_errx("interaction %s: not found in organisation %s", id,
		    ctl->org->id);
	else
		ctl_errx("interaction %s: not found in any configured "
		    "organisation", id);
	return (CTL_EX_NOTFOUND);
}

/* ix_show - the hash of the organisation that has it */
static int
ix_show(struct ctl *ctl, const char *id)
{
	const struct cfg_org *o;
	redisReply *r, *ev = NULL;
	char	key[CTL_KEY_MAX];
	int	st;

	if ((st = ix_find(ctl, id, &o, &r)) != 0)
		return (st);
	if ((st = ctl_schema(ctl, o->id)) == 0 &&
	    keys_fmt(key, sizeof(key), KEYS_FMT_TIMELINE, o->id, id) == 0)
		ev = ctl_command(ctl, &st, "LRANGE", key, "LRANGE %s 0 -1", key);
	if (st == 0) {
		if (ctl->json)
			ix_json(ctl, o->id, id, r, ev);
		else {
			ix_text(ctl, o->id, id, r);
			ix_timeline(ctl, ev);
		}
	}
	if (ev != NULL)
		freeReplyObject(ev);
	freeReplyObject(r);
	return (st);
}

/* ix_close - mailacd_close; what the freed agent took */
static int
ix_close(struct ctl *ctl, const char *id)
{
	const struct cfg_org *o;
	const char *was, *agent;
	struct fn_cmd cmd;
	struct jw js;
	redisReply *h;
	json_t	*a;
	int	st, already;

	if ((st = ix_find(ctl, id, &o, &h)) != 0)
		return (st);
	freeReplyObject(h);
	fn_close(&cmd, o->id, id, "operator");
	if ((st = ctl_fcall(ctl, o->id, &cmd, NULL, &a)) != 0)
		return (st);
	was = json_string_value(json_object_get(a, "was"));
	agent = json_string_value(json_object_get(a, "agent"));
	already = json_is_true(json_object_get(a, "already"));
	if (ctl->json) {
		jw_init(&js, ctl->out);
		jw_open(&js, NULL, '{');
		jw_string(&js, "org", o->id);
		jw_string(&js, "id", id);
		jw_string(&js, "state",
		    json_string_value(json_object_get(a, "state")));
		jw_string(&js, "was", already ? "closed" : was);
		jw_bool(&js, "already", already);
		jw_string(&js, "agent", agent);
		ctl_assigned(ctl, &js, a);
		jw_close(&js, '}');
		jw_end(&js);
	} else if (already) {
		fprintf(ctl->out, "interaction %s was already closed\n", id);
	} else {
		fprintf(ctl->out, "interaction %s closed (was ", id);
		tbl_text(ctl->out, was ? was : "?");
		if (was != NULL && strcmp(was, "assigned") == 0 &&
		    agent != NULL) {
			fputs(" to ", ctl->out);
			tbl_text(ctl->out, agent);
		}
		fputs(")\n", ctl->out);
		ctl_assigned(ctl, NULL, a);
	}
	json_decref(a);
	return (0);
}

/* ix_reassigned - the library's answer A assigned interaction ID */
static int
ix_reassigned(const json_t *a, const char *id)
{
	const json_t *l = json_object_get(a, "assigned");
	const char *s;
	size_t	i;

	for (i = 0; i < json_array_size(l); i++)
		if ((s = json_string_value(json_object_get(
		    json_array_get(l, i), "id"))) != NULL &&
		    strcmp(s, id) == 0)
			return (1);
	return (0);
}

/* ix_transfer - mailacd_transfer into QUEUE of the interaction's
 * organisation */
static int
ix_transfer(struct ctl *ctl, const char *id, const char *queue)
{
	const struct cfg_org *o;
	const char *from, *was;
	struct fn_cmd cmd;
	struct jw js;
	redisReply *h;
	json_t	*a;
	int	st;

	if ((st = ix_find(ctl, id, &o, &h)) != 0)
		return (st);
	if (cfg_find_queue(o, queue) == NULL) {
		freeReplyObject(h);
		ctl_errx("queue %s: not a queue of organisation %s", queue,
		    o->id);
		return (CTL_EX_NOTFOUND);
	}
	if (ctl->skills != NULL || ctl->language != NULL) {
		const char *sk = ctl->skills, *lang = ctl->language;
		char	*list, *w, *save;
		int	bad = 0;

		/* what is not given stays as the interaction has it */
		if (sk == NULL)
			sk = ix_field(h, "skills");
		if (lang == NULL)
			lang = ix_field(h, "language");
		if ((list = strdup(sk ? sk : "")) == NULL) {
			freeReplyObject(h);
			ctl_errx("out of memory");
			return (EX_OSERR);
		}
		for (w = strtok_r(list, ",", &save); w != NULL;
		    w = strtok_r(NULL, ",", &save))
			if (!ctl_name_ok(w))
				bad = 1;
		free(list);
		if (bad || strlen(lang ? lang : "") > 35 ||
		    strspn(lang ? lang : "", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-") !=
		    strlen(lang ? lang : "")) {
			ctl_errx("interaction transfer: %s", bad ?
			    "--skills takes a comma-separated list of skills "
			    "(A-Z a-z 0-9 . _ -)" : "--language takes a "
			    "language tag such as en or pt-BR");
			freeReplyObject(h);
			return (EX_USAGE);
		}
		fn_transfer_req(&cmd, o->id, id, queue, "operator",
		    sk ? sk : "", lang ? lang : "");
	} else
		fn_transfer(&cmd, o->id, id, queue, "operator");
	/* the command points into H (skills, language kept): free it after */
	st = ctl_fcall(ctl, o->id, &cmd,
	    "; the configuration has it: has mailacd-router written the "
	    "queues yet?", &a);
	freeReplyObject(h);
	if (st != 0)
		return (st);
	from = json_string_value(json_object_get(a, "from"));
	was = json_string_value(json_object_get(a, "was"));
	if (ctl->json) {
		jw_init(&js, ctl->out);
		jw_open(&js, NULL, '{');
		jw_string(&js, "org", o->id);
		jw_string(&js, "id", id);
		jw_string(&js, "from", from);
		jw_string(&js, "queue", queue);
		jw_string(&js, "was", was);
		if (json_object_get(a, "skills") != NULL) {
			jw_string(&js, "skills", json_string_value(
			    json_object_get(a, "skills")));
			jw_string(&js, "language", json_string_value(
			    json_object_get(a, "language")));
		}
		jw_string(&js, "state", ix_reassigned(a, id) ? "assigned" :
		    "waiting");
		ctl_assigned(ctl, &js, a);
		jw_close(&js, '}');
		jw_end(&js);
	} else {
		fprintf(ctl->out, "interaction %s transferred from ", id);
		tbl_text(ctl->out, from ? from : "?");
		fputs(" to ", ctl->out);
		tbl_text(ctl->out, queue);
		fputs(" (was ", ctl->out);
		tbl_text(ctl->out, was ? was : "?");
		fputs(")\n", ctl->out);
		if (json_object_get(a, "skills") != NULL) {
			const char *sk = json_string_value(json_object_get(a,
			    "skills"));
			const char *lg = json_string_value(json_object_get(a,
			    "language"));

			fprintf(ctl->out, "interaction %s now needs skills ",
			    id);
			tbl_text(ctl->out, sk && *sk ? sk : "none");
			fputs(", language ", ctl->out);
			tbl_text(ctl->out, lg && *lg ? lg : "any");
			putc('\n', ctl->out);
		}
		ctl_assigned(ctl, NULL, a);
		if (!ix_reassigned(a, id)) {
			fprintf(ctl->out, "interaction %s waits in ", id);
			tbl_text(ctl->out, queue);
			putc('\n', ctl->out);
		}
	}
	json_decref(a);
	return (0);
}

/* ix_priority - mailacd_priority: a new priority, one re-insert */
static int
ix_priority(struct ctl *ctl, const char *id, const char *prio)
{
	const struct cfg_org *o;
	const char *state, *queue;
	struct fn_cmd cmd;
	struct jw js;
	redisReply *h;
	json_t	*a;
	int64_t	was = 0, now = 0, rank = 0;
	int	st;

	if ((st = ix_find(ctl, id, &o, &h)) != 0)
		return (st);
	freeReplyObject(h);
	fn_priority(&cmd, o->id, id, strtol(prio, NULL, 10), "operator");
	if ((st = ctl_fcall(ctl, o->id, &cmd, NULL, &a)) != 0)
		return (st);
	state = json_string_value(json_object_get(a, "state"));
	queue = json_string_value(json_object_get(a, "queue"));
	ctl_jint(a, "was", &was);
	ctl_jint(a, "priority", &now);
	ctl_jint(a, "rank", &rank);
	if (ctl->json) {
		jw_init(&js, ctl->out);
		jw_open(&js, NULL, '{');
		jw_string(&js, "org", o->id);
		jw_string(&js, "id", id);
		jw_string(&js, "state", state);
		jw_string(&js, "queue", queue);
		jw_int(&js, "priority", now);
		jw_int(&js, "was", was);
		jw_int(&js, "rank", rank);
		jw_close(&js, '}');
		jw_end(&js);
	} else {
		fprintf(ctl->out, "interaction %s: priority %lld -> %lld (",
		    id, (long long)was, (long long)now);
		tbl_text(ctl->out, state ? state : "?");
		if (state != NULL && strcmp(state, "waiting") == 0) {
			fputs(" in ", ctl->out);
			tbl_text(ctl->out, queue ? queue : "?");
			fputs(", re-ranked", ctl->out);
		}
		fputs(")\n", ctl->out);
	}
	json_decref(a);
	return (0);
}

/* ix_respond - mailacd_respond: standard response NAME (checked against
 * the configuration) to the customer of interaction ID */
static int
ix_respond(struct ctl *ctl, const char *id, const char *name)
{
	const struct cfg_org *o;
	const char *state, *to, *job;
	struct fn_cmd cmd;
	struct jw js;
	redisReply *h;
	json_t	*a;
	int	st, already;

	if ((st = ix_find(ctl, id, &o, &h)) != 0)
		return (st);
	freeReplyObject(h);
	if (cfg_response_find(o, name) == NULL) {
		ctl_errx("interaction respond: organisation %s has no response "
		    "%s (organizations.responses in %s)", o->id, name,
		    ctl->file);
		return (EX_DATAERR);
	}
	fn_respond(&cmd, o->id, id, name, "operator", NULL);
	if ((st = ctl_fcall(ctl, o->id, &cmd, NULL, &a)) != 0)
		return (st);
	state = json_string_value(json_object_get(a, "state"));
	to = json_string_value(json_object_get(a, "to"));
	job = json_string_value(json_object_get(a, "job"));
	already = json_is_true(json_object_get(a, "already"));
	if (ctl->json) {
		jw_init(&js, ctl->out);
		jw_open(&js, NULL, '{');
		jw_string(&js, "org", o->id);
		jw_string(&js, "id", id);
		jw_string(&js, "response", name);
		jw_string(&js, "to", to);
		jw_string(&js, "job", job);
		jw_string(&js, "state", state);
		jw_bool(&js, "already", already);
		jw_close(&js, '}');
		jw_end(&js);
	} else {
		fprintf(ctl->out, "interaction %s: response ", id);
		tbl_text(ctl->out, name);
		fputs(" to ", ctl->out);
		tbl_text(ctl->out, to ? to : "?");
		if (already) {
			fputs(" was requested before (", ctl->out);
			tbl_text(ctl->out, state ? state : "?");
			fputs("): not sent again\n", ctl->out);
		} else
			fputs(" queued; the router sends it\n", ctl->out);
	}
	json_decref(a);
	return (0);
}

/* ix_cmd - the "interaction" subcommands */
int
ix_cmd(struct ctl *ctl, int argc, char **argv)
{
	static const struct {
		const char *name;
		int	argc;
		const char *usage;
	} sub[] = {
		{ "show", 3, "interaction show ID" },
		{ "close", 3, "interaction close ID" },
		{ "transfer", 4, "interaction transfer ID QUEUE" },
		{ "priority", 4, "interaction priority ID 0..1000" },
		{ "respond", 4, "interaction respond ID NAME" },
		{ NULL, 0, NULL }
	};
	char	full[CTL_ID_LEN + 1];
	size_t	i;
	int	st;

	if (argc < 2) {
		ctl_errx("interaction: missing subcommand (show, close, "
		    "transfer, priority or respond)");
		return (EX_USAGE);
	}
	for (i = 0; sub[i].name != NULL; i++)
		if (strcmp(argv[1], sub[i].name) == 0)
			break;
	if (sub[i].name == NULL) {
		ctl_errx("interaction: unknown subcommand %s", argv[1]);
		return (EX_USAGE);
	}
	if (argc != sub[i].argc) {
		ctl_errx("usage: %s", sub[i].usage);
		return (EX_USAGE);
	}
	if (!ctl_id_ok(argv[2])) {
		if ((st = ix_prefix(ctl, argv[1], argv[2], full)) != 0)
			return (st);
		argv[2] = full;
	}
	if (i == 0)
		return (ix_show(ctl, argv[2]));
	if (i == 1)
		return (ix_close(ctl, argv[2]));
	if (i == 3) {
		char	*end;
		long	p = strtol(argv[3], &end, 10);

		if (*argv[3] == '\0' || *end != '\0' || p < 0 || p > 1000) {
			ctl_errx("interaction priority: %s is not a priority "
			    "(a whole number from 0 to 1000)", argv[3]);
			return (EX_USAGE);
		}
		return (ix_priority(ctl, argv[2], argv[3]));
	}
	if (i == 4) {
		if (!ctl_name_ok(argv[3])) {
			ctl_errx("interaction respond: %s is not a response "
			    "name (1 to 64 of A-Z a-z 0-9 . _ -)", argv[3]);
			return (EX_USAGE);
		}
		return (ix_respond(ctl, argv[2], argv[3]));
	}
	if (!ctl_name_ok(argv[3])) {
		ctl_errx("interaction transfer: %s is not a queue name "
		    "(1 to 64 of A-Z a-z 0-9 . _ -)", argv[3]);
		return (EX_USAGE);
	}
	return (ix_transfer(ctl, argv[2], argv[3]));
}
