/* ctl.c - what every mailacdctl command needs: the Redis connection, error
 * lines, and the parsing and formatting of ids, members and times. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "ctl.h"
#include "fn.h"
#include "json.h"
#include "tbl.h"

static FILE *ctl_errfp;		/* NULL: stderr */

/* The library's error codes and what they mean for the exit status. */
static const struct {
	const char *code;
	int	status;
	int	hint;		/* the caller's hint applies */
} ctl_codes[] = {
	{ "NOAGENT", CTL_EX_NOTFOUND, 1 },
	{ "NOQUEUE", CTL_EX_NOTFOUND, 1 },
	{ "NOIX", CTL_EX_NOTFOUND, 0 },
	{ "NORESPONSE", EX_DATAERR, 0 },
	{ "BADSTATE", CTL_EX_STATE, 0 },
	{ "BADARG", EX_USAGE, 0 },
	{ "SCHEMA", EX_DATAERR, 0 },
	{ "WRONGTYPE", EX_DATAERR, 0 },
	{ NULL, 0, 0 }
};

/* ctl_errx - one error line on stderr */
void
ctl_errx(const char *fmt, ...)
{
	FILE	*fp = ctl_errfp != NULL ? ctl_errfp : stderr;
	va_list	ap;

	fputs("mailacdctl: ", fp);
	va_start(ap, fmt);
	vfprintf(fp, fmt, ap);
	va_end(ap);
	putc('\n', fp);
}

/* ctl_errto - where error lines go from now on */
FILE *
ctl_errto(FILE *fp)
{
	FILE	*old = ctl_errfp;

	ctl_errfp = fp;
	return (old);
}

/* ctl_org_on - no -o, or -o named O */
int
ctl_org_on(const struct ctl *ctl, const struct cfg_org *o)
{
	return (ctl->org == NULL || ctl->org == o);
}

/* ctl_drop - a connection that failed is closed, never reused */
void
ctl_drop(struct ctl *ctl)
{
	if (ctl->rc == NULL)
		return;
	rds_put(ctl->pool, ctl->rc, 1);
	ctl->rc = NULL;
	ctl->rcs[ctl->group] = NULL;
}

/* ctl_close - every group's connection back, the pools freed */
void
ctl_close(struct ctl *ctl)
{
	size_t	g;

	for (g = 0; ctl->rcs != NULL && g < shard_count(ctl->shard); g++)
		if (ctl->rcs[g] != NULL)
			rds_put(shard_at(ctl->shard, g), ctl->rcs[g], 1);
	free(ctl->rcs);
	ctl->rcs = NULL;
	ctl->rc = NULL;
	shard_free(ctl->shard);
	ctl->shard = NULL;
	ctl->pool = NULL;
}

/* ctl_pools - the pools of every group, once; 0 or an exit status */
static int
ctl_pools(struct ctl *ctl)
{
	if (ctl->shard != NULL)
		return (0);
	if ((ctl->shard = shard_new(ctl->cfg, 0)) == NULL ||
	    (ctl->rcs = calloc(shard_count(ctl->shard),
	    sizeof(*ctl->rcs))) == NULL) {
		shard_free(ctl->shard);
		ctl->shard = NULL;
		ctl_errx("out of memory");
		return (EX_OSERR);
	}
	ctl->group = ctl->org != NULL ? ctl->org->group : 0;
	ctl->pool = shard_at(ctl->shard, ctl->group);
	return (0);
}

/* ctl_use - switch to the group of organisation ORG */
int
ctl_use(struct ctl *ctl, const char *org)
{
	const struct cfg_org *o;
	int	st;

	if ((st = ctl_pools(ctl)) != 0)
		return (st);
	if (org != NULL && (o = cfg_find_org(ctl->cfg, org)) != NULL &&
	    o->group != ctl->group) {
		ctl->group = o->group;
		ctl->pool = shard_at(ctl->shard, ctl->group);
		ctl->rc = ctl->rcs[ctl->group];
	}
	return (ctl_redis(ctl));
}

/* ctl_use_key - switch to the group of KEY's organisation */
int
ctl_use_key(struct ctl *ctl, const char *key)
{
	char	org[CTL_KEY_MAX];
	const char *p, *e;

	if (key == NULL || strncmp(key, "mailacd:{", 9) != 0 ||
	    (e = strchr((p = key + 9), '}')) == NULL ||
	    (size_t)(e - p) >= sizeof(org))
		return (ctl_use(ctl, NULL));
	memcpy(org, p, (size_t)(e - p));
	org[e - p] = '\0';
	return (ctl_use(ctl, org));
}

/* ctl_redis - borrow the current group's connection */
int
ctl_redis(struct ctl *ctl)
{
	char	err[512];
	int	fresh, st;

	if ((st = ctl_pools(ctl)) != 0)
		return (st);
	if (ctl->rc != NULL)
		return (0);
	if ((ctl->rc = rds_get(ctl->pool, &fresh, err, sizeof(err))) == NULL) {
		ctl_errx("redis %s: %s", rds_describe(ctl->pool), err);
		return (EX_UNAVAILABLE);
	}
	ctl->rcs[ctl->group] = ctl->rc;
	return (0);
}

/* ctl_failed - one line naming the server, the command and the reason */
int
ctl_failed(struct ctl *ctl, const char *verb, const char *key, redisReply *r)
{
	char	err[512];

	rds_error(ctl->rc, r, err, sizeof(err));
	ctl_errx("redis %s: %s %s: %s", rds_describe(ctl->pool), verb, key,
	    err);
	/* a key of another type is our data gone wrong, not an outage */
	if (r != NULL && r->type == REDIS_REPLY_ERROR &&
	    strncmp(r->str, "WRONGTYPE", 9) == 0)
		return (EX_DATAERR);
	return (EX_UNAVAILABLE);
}

/* ctl_command - one command; error replies and I/O errors reported */
redisReply *
ctl_command(struct ctl *ctl, int *status, const char *verb, const char *key,
    const char *fmt, ...)
{
	redisReply *r;
	va_list	ap;

	if ((*status = ctl_use_key(ctl, key)) != 0)
		return (NULL);
	va_start(ap, fmt);
	r = redisvCommand(ctl->rc, fmt, ap);
	va_end(ap);
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		*status = ctl_failed(ctl, verb, key, r);
		if (r != NULL)
			freeReplyObject(r);
		return (NULL);
	}
	*status = 0;
	return (r);
}

/* ctl_int - an integer reply, or a complaint about its type */
int
ctl_int(struct ctl *ctl, redisReply *r, const char *verb, const char *key,
    long long *v)
{
	if (r->type != REDIS_REPLY_INTEGER) {
		ctl_errx("redis %s: %s %s: unexpected reply type %d",
		    rds_describe(ctl->pool), verb, key, r->type);
		return (EX_PROTOCOL);
	}
	*v = r->integer;
	return (0);
}

/* ctl_schema - data written in a schema we do not know is not read */
int
ctl_schema(struct ctl *ctl, const char *org)
{
	char	key[CTL_KEY_MAX];
	redisReply *r;
	int	st;

	if (keys_fmt(key, sizeof(key), KEYS_FMT_SCHEMA, org) != 0) {
		ctl_errx("organisation %s: key too long", org);
		return (EX_SOFTWARE);
	}
	if ((r = ctl_command(ctl, &st, "GET", key, "GET %s", key)) == NULL)
		return (st);
	if (r->type == REDIS_REPLY_STRING && strcmp(r->str, KEYS_SCHEMA) != 0) {
		ctl_errx("%s is schema %s; this mailacdctl reads schema %s "
		    "only", key, r->str, KEYS_SCHEMA);
		st = EX_DATAERR;
	}
	freeReplyObject(r);
	return (st);
}

/* ctl_id_ok - 32 lower-case hex digits and nothing else */
int
ctl_id_ok(const char *id)
{
	size_t	i;

	for (i = 0; i < CTL_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'f')))
			return (0);
	return (id[CTL_ID_LEN] == '\0');
}

/* ctl_member - "000001763846400000:<32 hex>" into its time and id */
int
ctl_member(const char *member, size_t len, int64_t *enqueued,
    char id[CTL_ID_LEN + 1])
{
	int64_t	v = 0;
	size_t	i;

	if (len != CTL_ENQ_LEN + 1 + CTL_ID_LEN || member[CTL_ENQ_LEN] != ':')
		return (-1);
	for (i = 0; i < CTL_ENQ_LEN; i++) {
		if (member[i] < '0' || member[i] > '9')
			return (-1);
		v = v * 10 + (member[i] - '0');
	}
	memcpy(id, member + CTL_ENQ_LEN + 1, CTL_ID_LEN);
	id[CTL_ID_LEN] = '\0';
	if (!ctl_id_ok(id))
		return (-1);
	*enqueued = v;
	return (0);
}

/* ctl_wait - a duration in its two largest units; negative shows as 0s */
const char *
ctl_wait(int64_t ms, char *buf, size_t size)
{
	int64_t	s = ms > 0 ? ms / 1000 : 0;

	if (s < 60)
		snprintf(buf, size, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(buf, size, "%" PRId64 "m%02" PRId64 "s", s / 60,
		    s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%" PRId64 "h%02" PRId64 "m", s / 3600,
		    s % 3600 / 60);
	else
		snprintf(buf, size, "%" PRId64 "d%02" PRId64 "h", s / 86400,
		    s % 86400 / 3600);
	return (buf);
}

/* ctl_time - local time of a Unix millisecond timestamp */
const char *
ctl_time(int64_t ms, char *buf, size_t size)
{
	time_t	t = (time_t)(ms / 1000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d %H:%M:%S %z", &tm) == 0)
		snprintf(buf, size, "%" PRId64 " ms", ms);
	return (buf);
}

/* ctl_fcall_error - report the library's error reply MSG; the status */
static int
ctl_fcall_error(struct ctl *ctl, const char *org, const char *name,
    const char *msg, const char *hint)
{
	char	text[512], *p;
	size_t	i, n;

	/* Redis adds " script: NAME, on @user_function:LINE." */
	snprintf(text, sizeof(text), "%s", msg);
	if ((p = strstr(text, " script: ")) != NULL)
		*p = '\0';
	for (i = 0; ctl_codes[i].code != NULL; i++) {
		n = strlen(ctl_codes[i].code);
		if (strncmp(text, ctl_codes[i].code, n) != 0 ||
		    text[n] != ' ')
			continue;
		if (!ctl_codes[i].hint)
			ctl_errx("%s", text + n + 1);
		else
			ctl_errx("%s%s%s%s%s", text + n + 1,
			    ctl->cfg->norgs > 1 ? " (organisation " : "",
			    ctl->cfg->norgs > 1 ? org : "",
			    ctl->cfg->norgs > 1 ? ")" : "",
			    hint != NULL ? hint : "");
		return (ctl_codes[i].status);
	}
	ctl_errx("redis %s: FCALL %s: %s", rds_describe(ctl->pool), name,
	    text);
	return (EX_UNAVAILABLE);
}

/* ctl_fcall - one call of the library, loading it when Redis lacks it */
int
ctl_fcall(struct ctl *ctl, const char *org, struct fn_cmd *cmd,
    const char *hint, json_t **j)
{
	char	err[512], name[64];
	redisReply *r;
	int	st;

	*j = NULL;
	snprintf(name, sizeof(name), "%s", cmd->argc > 1 ? cmd->argv[1] : "?");
	if ((st = ctl_use(ctl, org)) != 0) {
		fn_cmd_free(cmd);
		return (st);
	}
	st = fn_run(ctl->rc, cmd, &r, err, sizeof(err));
	fn_cmd_free(cmd);
	if (st != 0) {
		ctl_errx("redis %s: FCALL %s: %s", rds_describe(ctl->pool),
		    name, err);
		return (EX_UNAVAILABLE);
	}
	if (r->type == REDIS_REPLY_ERROR)
		st = ctl_fcall_error(ctl, org, name, r->str, hint);
	else if (r->type != REDIS_REPLY_STRING ||
	    (*j = json_loadb(r->str, r->len, 0, NULL)) == NULL ||
	    !json_is_object(*j)) {
		ctl_errx("redis %s: FCALL %s: the answer is not a JSON object",
		    rds_describe(ctl->pool), name);
		json_decref(*j);
		*j = NULL;
		st = EX_PROTOCOL;
	}
	freeReplyObject(r);
	return (st);
}

/* ctl_why - mailacd_waiting as a line: "3 need skill x, which no agent of
 * the queue has; 1 waits for 2 agents away or offline" */
int
ctl_why(struct ctl *ctl, const char *org, const char *queue, char *buf,
    size_t len, json_t **reqs)
{
	struct fn_cmd cmd;
	json_t	*a, *rs, *e;
	const char *reason, *what, *sk, *lang;
	size_t	i, off = 0;
	int64_t	n, el;
	int	st;

	buf[0] = '\0';
	if (reqs != NULL)
		*reqs = NULL;
	fn_waiting(&cmd, org, queue);
	if ((st = ctl_fcall(ctl, org, &cmd, NULL, &a)) != 0)
		return (st);
	rs = json_object_get(a, "requirements");
	for (i = 0; json_is_array(rs) && i < json_array_size(rs) &&
	    off < len; i++) {
		e = json_array_get(rs, i);
		reason = json_string_value(json_object_get(e, "reason"));
		what = json_string_value(json_object_get(e, "what"));
		sk = json_string_value(json_object_get(e, "skills"));
		lang = json_string_value(json_object_get(e, "language"));
		if (reason == NULL || strcmp(reason, "ready") == 0 ||
		    ctl_jint(e, "waiting", &n) != 0)
			continue;
		if (ctl_jint(e, "eligible", &el) != 0)
			el = 0;
		off += (size_t)snprintf(buf + off, len - off, "%s",
		    off ? "; " : "");
		if (off >= len)
			break;
		if (strcmp(reason, "noagent") == 0)
			off += (size_t)snprintf(buf + off, len - off,
			    "%lld wait%s: no agent serves the queue", (long long)n,
			    n == 1 ? "s" : "");
		else if (strcmp(reason, "skill") == 0)
			off += (size_t)snprintf(buf + off, len - off,
			    "%lld need%s skill %s, which no agent of the queue "
			    "has", (long long)n, n == 1 ? "s" : "",
			    what ? what : "?");
		else if (strcmp(reason, "language") == 0)
			off += (size_t)snprintf(buf + off, len - off,
			    "%lld need%s language %s, which no agent of the "
			    "queue speaks", (long long)n, n == 1 ? "s" : "",
			    what ? what : "?");
		else if (strcmp(reason, "combination") == 0)
			off += (size_t)snprintf(buf + off, len - off,
			    "%lld need%s skills %s%s%s all at once, which no "
			    "agent of the queue has", (long long)n,
			    n == 1 ? "s" : "", sk ? sk : "",
			    lang && *lang ? " and language " : "",
			    lang ? lang : "");
		else if (strcmp(reason, "away") == 0)
			off += (size_t)snprintf(buf + off, len - off,
			    "%lld wait%s: the %lld agent%s who could take %s "
			    "%s away or offline", (long long)n, n == 1 ? "s" : "",
			    (long long)el, el == 1 ? "" : "s",
			    n == 1 ? "it" : "them", el == 1 ? "is" : "are");
		else
			off += (size_t)snprintf(buf + off, len - off,
			    "%lld wait%s: the %lld agent%s who could take %s "
			    "%s away or at capacity", (long long)n,
			    n == 1 ? "s" : "", (long long)el, el == 1 ? "" : "s",
			    n == 1 ? "it" : "them", el == 1 ? "is" : "are");
	}
	if (off >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
	if (reqs != NULL && json_is_array(rs))
		*reqs = json_incref(rs);
	json_decref(a);
	return (0);
}

/* ctl_json_why - the requirement sets of ctl_why as the JSON array "why"
 * of objects {skills, language, waiting, eligible, reason, what} */
void
ctl_json_why(struct jw *j, const json_t *reqs)
{
	const json_t *e;
	int64_t	v;
	size_t	i;

	jw_open(j, "why", '[');
	for (i = 0; json_is_array(reqs) && i < json_array_size(reqs); i++) {
		e = json_array_get(reqs, i);
		jw_open(j, NULL, '{');
		jw_string(j, "skills", json_string_value(json_object_get(e,
		    "skills")));
		jw_string(j, "language", json_string_value(json_object_get(e,
		    "language")));
		if (ctl_jint(e, "waiting", &v) == 0)
			jw_int(j, "waiting", v);
		if (ctl_jint(e, "eligible", &v) == 0)
			jw_int(j, "eligible", v);
		jw_string(j, "reason", json_string_value(json_object_get(e,
		    "reason")));
		if (json_object_get(e, "what") != NULL)
			jw_string(j, "what", json_string_value(json_object_get(e,
			    "what")));
		jw_close(j, '}');
	}
	jw_close(j, ']');
}

/* ctl_assigned - "assigned ID to AGENT from QUEUE (...)" per assignment */
void
ctl_assigned(struct ctl *ctl, struct jw *j, const json_t *a)
{
	const json_t *list = json_object_get(a, "assigned"), *e;
	const char *id, *agent, *queue, *score, *how;
	char	w[32];
	int64_t	wait;
	size_t	i, n;

	/* 0 when absent (the library leaves an empty list out) or no array */
	n = json_array_size(list);
	if (j != NULL)
		jw_open(j, "assigned", '[');
	for (i = 0; i < n; i++) {
		e = json_array_get(list, i);
		if (ctl_jint(e, "wait_ms", &wait) != 0)
			wait = -1;
		id = json_string_value(json_object_get(e, "id"));
		agent = json_string_value(json_object_get(e, "agent"));
		queue = json_string_value(json_object_get(e, "queue"));
		score = json_string_value(json_object_get(e, "score"));
		how = json_string_value(json_object_get(e, "how"));
		if (j != NULL) {
			jw_open(j, NULL, '{');
			jw_string(j, "id", id);
			jw_string(j, "agent", agent);
			jw_string(j, "queue", queue);
			if (wait >= 0)
				jw_int(j, "wait_ms", wait);
			else
				jw_null(j, "wait_ms");
			if (score != NULL)
				jw_double(j, "score", strtod(score, NULL));
			else
				jw_null(j, "score");
			jw_string(j, "how", how);
			jw_close(j, '}');
			continue;
		}
		fputs("assigned ", ctl->out);
		tbl_text(ctl->out, id ? id : "?");
		fputs(" to ", ctl->out);
		tbl_text(ctl->out, agent ? agent : "?");
		fputs(" from ", ctl->out);
		tbl_text(ctl->out, queue ? queue : "?");
		fprintf(ctl->out, " (waited %s, score ", wait >= 0 ?
		    ctl_wait(wait, w, sizeof(w)) : "?");
		tbl_text(ctl->out, score ? score : "?");
		fputs(", how ", ctl->out);
		tbl_text(ctl->out, how ? how : "?");
		fputs(")\n", ctl->out);
	}
	if (j != NULL)
		jw_close(j, ']');
}

/* ctl_jint - an integer, or a real without a fraction within int64_t */
int
ctl_jint(const json_t *v, const char *name, int64_t *n)
{
	const json_t *m = json_object_get(v, name);
	double	d;

	if (json_is_integer(m)) {
		*n = json_integer_value(m);
		return (0);
	}
	if (!json_is_real(m))
		return (-1);
	d = json_real_value(m);
	if (!(d > -9e18 && d < 9e18) || (double)(int64_t)d != d)
		return (-1);
	*n = (int64_t)d;
	return (0);
}

/* ctl_name_ok - the character set and length of ids and queue names */
int
ctl_name_ok(const char *name)
{
	size_t	n = strlen(name);

	return (n > 0 && n <= CFG_NAME_MAX && strspn(name,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == n);
}

/* ctl_hgetall - HGETALL KEY, checked to be pairs */
redisReply *
ctl_hgetall(struct ctl *ctl, int *status, const char *key)
{
	redisReply *r;

	if ((r = ctl_command(ctl, status, "HGETALL", key, "HGETALL %s",
	    key)) == NULL)
		return (NULL);
	if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0) {
		freeReplyObject(r);
		ctl_errx("redis %s: HGETALL %s: unexpected reply",
		    rds_describe(ctl->pool), key);
		*status = EX_PROTOCOL;
		return (NULL);
	}
	return (r);
}

/* ctl_scan - SCAN PAT to the end, FN for each key */
int
ctl_scan(struct ctl *ctl, const char *pat, const char *type,
    int (*fn)(const char *, void *), void *arg)
{
	char	cursor[64] = "0";
	redisReply *r;
	size_t	i;
	int	st = 0;

	do {
		if (type != NULL)
			r = ctl_command(ctl, &st, "SCAN", pat,
			    "SCAN %s MATCH %s COUNT 1000 TYPE %s", cursor, pat,
			    type);
		else
			r = ctl_command(ctl, &st, "SCAN", pat,
			    "SCAN %s MATCH %s COUNT 1000", cursor, pat);
		if (r == NULL)
			return (st);
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[0]->len >= sizeof(cursor) ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			ctl_errx("redis %s: SCAN: unexpected reply",
			    rds_describe(ctl->pool));
			return (EX_PROTOCOL);
		}
		memcpy(cursor, r->element[0]->str, r->element[0]->len + 1);
		for (i = 0; i < r->element[1]->elements; i++) {
			const redisReply *k = r->element[1]->element[i];

			if (k->type == REDIS_REPLY_STRING &&
			    strlen(k->str) == k->len && fn(k->str, arg) != 0) {
				freeReplyObject(r);
				ctl_errx("out of memory");
				return (EX_OSERR);
			}
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	return (0);
}
