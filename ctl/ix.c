/* ix.c - "mailacdctl interaction show ID": find the interaction hash
 * mailacd:{org}:ix:ID in the configured organisations and print it.
 *
 * The fields people ask about come first, in a fixed order, with the
 * enqueue time shown as local time and the wait so far; every other field
 * of the hash follows in name order, so that nothing the router wrote is
 * hidden. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "ix.h"
#include "json.h"
#include "tbl.h"

/* The fields shown first, in this order. */
static const char *const ix_first[] = {
	"subject", "from", "sender", "queue", "priority", "language",
	"skills", "state", "enqueued", "address", "message_id", "queue_id",
	NULL
};

/* ix_is_first - NAME is one of ix_first */
static int
ix_is_first(const char *name)
{
	size_t	i;

	for (i = 0; ix_first[i] != NULL; i++)
		if (strcmp(ix_first[i], name) == 0)
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
		    !ix_is_first(h->element[i]->str))
			v[(*n)++] = h->element[i];
	qsort(v, *n, sizeof(*v), ix_name_cmp);
	return (v);
}

/* ix_line - "name        value" with the value made safe for a terminal */
static void
ix_line(FILE *fp, const char *name, const char *value)
{
	fprintf(fp, "%-12s ", name);
	tbl_text(fp, value);
	putc('\n', fp);
}

/* ix_text - the readable form */
static void
ix_text(struct ctl *ctl, const char *org, const char *id, const redisReply *h)
{
	const redisReply *v, **rest;
	char	buf[128], t[64], w[32];
	int64_t	enq;
	size_t	i, n;

	ix_line(ctl->out, "id", id);
	ix_line(ctl->out, "org", org);
	for (i = 0; ix_first[i] != NULL; i++) {
		v = ix_get(h, ix_first[i]);
		if (v == NULL || v->type != REDIS_REPLY_STRING)
			continue;
		if (strcmp(ix_first[i], "enqueued") == 0 &&
		    ix_ms(v, &enq) == 0) {
			snprintf(buf, sizeof(buf), "%s (waiting %s)",
			    ctl_time(enq, t, sizeof(t)),
			    ctl_wait(ctl->now_ms - enq, w, sizeof(w)));
			ix_line(ctl->out, "enqueued", buf);
		} else
			ix_line(ctl->out, ix_first[i], v->str);
	}
	rest = ix_rest(h, &n);
	for (i = 0; i < n; i++)
		ix_line(ctl->out, rest[i]->str, ix_get(h, rest[i]->str)->str);
	free(rest);
}

/* ix_json - {"id","org","enqueued_ms","wait_ms","fields":{...}} */
static void
ix_json(struct ctl *ctl, const char *org, const char *id, const redisReply *h)
{
	struct json j;
	int64_t	enq;
	size_t	i;

	json_init(&j, ctl->out);
	json_open(&j, NULL, '{');
	json_string(&j, "id", id);
	json_string(&j, "org", org);
	if (ix_ms(ix_get(h, "enqueued"), &enq) == 0) {
		json_int(&j, "enqueued_ms", enq);
		json_int(&j, "wait_ms", ctl->now_ms - enq);
	} else {
		json_null(&j, "enqueued_ms");
		json_null(&j, "wait_ms");
	}
	json_open(&j, "fields", '{');
	for (i = 0; i + 1 < h->elements; i += 2) {
		const redisReply *k = h->element[i], *v = h->element[i + 1];

		/* a JSON key must be text: field names are ours, NUL-free */
		if (k->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING || strlen(k->str) != k->len)
			continue;
		json_stringn(&j, k->str, v->str, v->len);
	}
	json_close(&j, '}');
	json_close(&j, '}');
	json_end(&j);
}

/* ix_show - HGETALL in each organisation until the id is found */
static int
ix_show(struct ctl *ctl, const char *id)
{
	char	key[CTL_KEY_MAX];
	redisReply *r;
	size_t	i;
	int	st;

	for (i = 0; i < ctl->cfg->norgs; i++) {
		const char *org = ctl->cfg->orgs[i].id;

		if (keys_fmt(key, sizeof(key), KEYS_FMT_IX, org, id) != 0) {
			ctl_errx("organisation %s: key too long", org);
			return (EX_SOFTWARE);
		}
		if ((r = ctl_command(ctl, &st, "HGETALL", key, "HGETALL %s",
		    key)) == NULL)
			return (st);
		if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0) {
			freeReplyObject(r);
			ctl_errx("redis %s: HGETALL %s: unexpected reply",
			    rds_describe(ctl->pool), key);
			return (EX_PROTOCOL);
		}
		if (r->elements == 0) {
			freeReplyObject(r);
			continue;
		}
		if ((st = ctl_schema(ctl, org)) == 0) {
			if (ctl->json)
				ix_json(ctl, org, id, r);
			else
				ix_text(ctl, org, id, r);
		}
		freeReplyObject(r);
		return (st);
	}
	ctl_errx("interaction %s: not found in any configured organisation",
	    id);
	return (CTL_EX_NOTFOUND);
}

/* ix_cmd - the "interaction" subcommands: "show ID" for now */
int
ix_cmd(struct ctl *ctl, int argc, char **argv)
{
	if (argc < 2) {
		ctl_errx("interaction: missing subcommand (show ID)");
		return (EX_USAGE);
	}
	if (strcmp(argv[1], "show") != 0) {
		if (strcmp(argv[1], "close") == 0 ||
		    strcmp(argv[1], "transfer") == 0) {
			ctl_errx("interaction %s: not implemented yet",
			    argv[1]);
			return (EX_USAGE);
		}
		ctl_errx("interaction: unknown subcommand %s", argv[1]);
		return (EX_USAGE);
	}
	if (argc != 3) {
		ctl_errx("usage: interaction show ID");
		return (EX_USAGE);
	}
	if (!ctl_id_ok(argv[2])) {
		ctl_errx("interaction show: %s is not an interaction id "
		    "(32 lower-case hex digits)", argv[2]);
		return (EX_USAGE);
	}
	return (ix_show(ctl, argv[2]));
}
