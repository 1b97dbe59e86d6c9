/* status.c - "mailacdctl status": per organisation, the schema version,
 * how many interactions wait (in total and per queue, with the wait of the
 * one served next), how many ingest entries were dead-lettered, and the
 * ingest backlog: the stream's length and what the "routers" consumer
 * group has read but not acknowledged.  Agents do not exist yet and are
 * shown as such, never as invented numbers. */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "json.h"
#include "queue.h"
#include "status.h"
#include "tbl.h"

/* One organisation's summary. */
struct status_org {
	const struct cfg_org *org;
	char	*schema;		/* NULL: nothing written yet */
	struct queue_info *qi;		/* one per configured queue */
	long long waiting;
	long long dead;
	long long ingest;
	int	has_group;		/* the "routers" group exists */
	long long pending;		/* read by a router, not acknowledged */
};

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
	if ((st = ctl_redis(ctl)) != 0)
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

/* status_read - everything about one organisation */
static int
status_read(struct ctl *ctl, struct status_org *so)
{
	char	key[CTL_KEY_MAX];
	redisReply *r;
	size_t	k;
	int	st;

	if ((st = ctl_schema(ctl, so->org->id)) != 0)
		return (st);
	if (keys_fmt(key, sizeof(key), KEYS_FMT_SCHEMA, so->org->id) != 0)
		return (EX_SOFTWARE);
	/* ctl_schema() checked the value: this read is for the display */
	if ((r = ctl_command(ctl, &st, "GET", key, "GET %s", key)) == NULL)
		return (st);
	if (r->type == REDIS_REPLY_STRING &&
	    (so->schema = strdup(r->str)) == NULL)
		st = EX_OSERR;
	freeReplyObject(r);
	if (st != 0)
		return (st);
	if ((so->qi = calloc(so->org->nqueues + 1, sizeof(*so->qi))) == NULL)
		return (EX_OSERR);
	for (k = 0; k < so->org->nqueues; k++) {
		if ((st = queue_info(ctl, so->org->id,
		    so->org->queues[k].name, 0, &so->qi[k])) != 0)
			return (st);
		so->waiting += so->qi[k].waiting;
	}
	if (keys_fmt(key, sizeof(key), KEYS_FMT_DEAD, so->org->id) != 0 ||
	    (st = status_xlen(ctl, key, &so->dead)) != 0)
		return (st ? st : EX_SOFTWARE);
	if (keys_fmt(key, sizeof(key), KEYS_FMT_INGEST, so->org->id) != 0 ||
	    (st = status_xlen(ctl, key, &so->ingest)) != 0)
		return (st ? st : EX_SOFTWARE);
	return (status_pending(ctl, so));
}

/* status_json - one organisation as a JSON object */
static void
status_json(struct ctl *ctl, struct json *j, const struct status_org *so)
{
	size_t	k;

	json_open(j, NULL, '{');
	json_string(j, "org", so->org->id);
	json_string(j, "schema", so->schema);
	json_int(j, "waiting", so->waiting);
	json_open(j, "queues", '[');
	for (k = 0; k < so->org->nqueues; k++) {
		json_open(j, NULL, '{');
		json_string(j, "queue", so->org->queues[k].name);
		json_int(j, "waiting", so->qi[k].waiting);
		queue_json_next(ctl, j, "next", &so->qi[k]);
		json_close(j, '}');
	}
	json_close(j, ']');
	json_int(j, "dead", so->dead);
	json_open(j, "ingest", '{');
	json_int(j, "length", so->ingest);
	if (so->has_group) {
		json_open(j, "group", '{');
		json_string(j, "name", KEYS_GROUP);
		json_int(j, "pending", so->pending);
		json_close(j, '}');
	} else
		json_null(j, "group");
	json_close(j, '}');
	json_null(j, "agents");
	json_close(j, '}');
}

/* status_text - one organisation as lines and a queue table */
static int
status_text(struct ctl *ctl, const struct status_org *so)
{
	static const char *const head[] = { "QUEUE", "WAITING", "NEXT_WAIT",
	    "NEXT_ID" };
	FILE	*fp = ctl->out;
	struct tbl *t;
	char	n[32], w[32];
	const char *cells[4];
	size_t	k;

	fputs("organisation ", fp);
	tbl_text(fp, so->org->id);
	fprintf(fp, "\n  schema         %s\n", so->schema ? so->schema :
	    "none yet (nothing handed off)");
	fprintf(fp, "  waiting        %lld\n", so->waiting);
	fprintf(fp, "  dead-lettered  %lld\n", so->dead);
	fprintf(fp, "  ingest         %lld entr%s; ", so->ingest,
	    so->ingest == 1 ? "y" : "ies");
	if (so->has_group)
		fprintf(fp, "group %s: %lld pending\n", KEYS_GROUP,
		    so->pending);
	else
		fputs("no router has read yet\n", fp);
	fputs("  agents         not implemented yet\n\n", fp);
	if ((t = tbl_new(4, head)) == NULL)
		return (EX_OSERR);
	for (k = 0; k < so->org->nqueues; k++) {
		const struct queue_info *qi = &so->qi[k];

		snprintf(n, sizeof(n), "%lld", qi->waiting);
		cells[0] = so->org->queues[k].name;
		cells[1] = n;
		cells[2] = qi->has_next ? ctl_wait(ctl->now_ms -
		    qi->next_enqueued, w, sizeof(w)) : NULL;
		cells[3] = qi->has_next ? qi->next_id : NULL;
		if (tbl_add(t, cells) != 0) {
			tbl_free(t);
			return (EX_OSERR);
		}
	}
	tbl_print(t, fp);
	tbl_free(t);
	return (0);
}

/* status_cmd - read every organisation, then print them all */
int
status_cmd(struct ctl *ctl, int argc, char **argv)
{
	struct status_org *so;
	struct json j;
	size_t	i, norgs = ctl->cfg->norgs;
	int	st = 0;

	(void)argv;
	if (argc != 1) {
		ctl_errx("status takes no arguments");
		return (EX_USAGE);
	}
	if ((so = calloc(norgs + 1, sizeof(*so))) == NULL) {
		ctl_errx("out of memory");
		return (EX_OSERR);
	}
	for (i = 0; i < norgs && st == 0; i++) {
		so[i].org = &ctl->cfg->orgs[i];
		st = status_read(ctl, &so[i]);
	}
	if (st == 0 && ctl->json) {
		json_init(&j, ctl->out);
		json_open(&j, NULL, '{');
		json_int(&j, "now_ms", ctl->now_ms);
		json_open(&j, "organizations", '[');
		for (i = 0; i < norgs; i++)
			status_json(ctl, &j, &so[i]);
		json_close(&j, ']');
		json_close(&j, '}');
		json_end(&j);
	} else {
		for (i = 0; i < norgs && st == 0; i++) {
			if (i > 0)
				putc('\n', ctl->out);
			st = status_text(ctl, &so[i]);
		}
	}
	if (st == EX_OSERR)
		ctl_errx("out of memory");
	for (i = 0; i < norgs; i++) {
		free(so[i].schema);
		free(so[i].qi);
	}
	free(so);
	return (st);
}
