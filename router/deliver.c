/* deliver.c - forward mode: resend the customers' stored messages to the
 * agents their interactions are assigned to.
 *
 * The function library writes a job to mailacd:{ORG}:deliver when an
 * interaction of a forward-mode queue is assigned, or gets a follow-up
 * while assigned.  This thread of mailacd-router reads those streams
 * through the consumer group "routers" and submits to delivery.relay every
 * stored copy the agent has not had yet (the interaction's field
 * sent:AGENT counts them), one copy in memory at a time.
 *
 * An entry is acknowledged only when its copies are sent, when the
 * interaction is no longer the agent's, or when the library has put it
 * back in its queue after the last attempt.  A router that dies leaves its
 * entries pending and another takes them over, so a copy may go out twice
 * (with the same Resent-Message-ID), never not at all.  A failed job waits
 * in the pending list until the interaction's delivery_next; reading the
 * pending list at every turn also keeps its entries from looking idle to
 * the other routers.  Handled jobs are trimmed from the streams after
 * router.ingest_retention, as the ingest entries are.
 *
 * This file is the orchestration only: the streams are read with
 * stream.c, copies are submitted with smtp.c, retry.c says when to try
 * again, and relink.c keeps the thread's Redis connection up. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis.h>

#include "clock.h"
#include "compose.h"
#include "deliver.h"
#include "fn.h"
#include "keys.h"
#include "log.h"
#include "rds.h"
#include "relink.h"
#include "retry.h"
#include "smtp.h"
#include "stream.h"

/* The thread's state. */
struct deliver_state {
	struct cfg *cfg;
	struct relink link;	/* the connection and its pool */
	redisContext *c;	/* link.c during a turn */
	struct stream_set *streams;	/* the deliver stream of each
					   organisation */
	char	relay[300];	/* delivery.relay without user info, for logs */
	char	via[1100];	/* where the latest copy went: the relay, or
				   its channel's own server */
	long long next_due;	/* wall ms of the next retry seen, 0: none */
	long long turn;		/* monotonic ms the turn began */
	long long next_claim;	/* monotonic ms the take-over is due */
	int	budget;		/* the turn ran out of time: read again */
};

/* One job: an entry of a deliver stream. */
struct deliver_job {
	const struct cfg_org *org;
	const char *key;	/* its stream */
	const char *entry;	/* its id there */
	const char *id;		/* interaction */
	const char *agent;
	char	kix[300], kmsgs[300], kretry[300], kcounters[300], sent[80];
};

/* one thread per Redis group the router serves */
#define DELIVER_MAX	64
static pthread_t deliver_tid[DELIVER_MAX];
static struct deliver_state *deliver_cur[DELIVER_MAX];
static size_t deliver_n;
static atomic_int deliver_stopping;

/* deliver_needed - is a queue of CFG in forward mode? */
int
deliver_needed(const struct cfg *cfg)
{
	const struct cfg_org *o;
	size_t	i, j;

	for (i = 0; i < cfg->norgs; i++) {
		o = &cfg->orgs[i];
		for (j = 0; j < o->nqueues; j++)
			if (o->queues[j].delivery == CFG_DELIVERY_FORWARD ||
			    (o->queues[j].delivery == CFG_DELIVERY_INHERIT &&
			    o->delivery == CFG_DELIVERY_FORWARD))
				return (1);
	}
	return (0);
}

/* deliver_agent - the roster agent ID of organisation O, or NULL */
static const struct cfg_agent *
deliver_agent(const struct cfg_org *o, const char *id)
{
	size_t	i;

	for (i = 0; i < o->nagents; i++)
		if (strcmp(o->agents[i].id, id) == 0)
			return (&o->agents[i]);
	return (NULL);
}

/* deliver_ack - acknowledge job J's entry */
static int
deliver_ack(struct deliver_state *d, const struct deliver_job *j, char *err,
    size_t errlen)
{
	const char *argv[4] = { "XACK", j->key, KEYS_GROUP, j->entry };
	redisReply *r;

	if ((r = rds_cmd(d->c, 4, argv, err, errlen)) == NULL)
		return (-1);
	freeReplyObject(r);
	return (0);
}

/* deliver_due - remember the earliest retry still to come */
static void
deliver_due(struct deliver_state *d, long long at)
{
	if (d->next_due == 0 || at < d->next_due)
		d->next_due = at;
}

/* deliver_undeliverable - the last attempt failed: the library puts the
 * interaction back in its queue (not to the agent); a job of an
 * interaction that is no longer the agent's is just acknowledged */
static int
deliver_undeliverable(struct deliver_state *d, const struct deliver_job *j,
    const char *queue, long long attempts, int perm, const char *why,
    long long next, char *err, size_t errlen)
{
	struct fn_cmd cmd;
	redisReply *r = NULL;
	int	rc;

	fn_undeliverable(&cmd, j->org->id, j->id, j->agent, why);
	rc = fn_run(d->c, &cmd, &r, err, errlen);
	fn_cmd_free(&cmd);
	if (rc != 0)
		return (-1);
	if (r->type == REDIS_REPLY_ERROR && (strncmp(r->str, "BADSTATE", 8) ==
	    0 || strncmp(r->str, "NOIX", 4) == 0)) {
		log_info("%s: no longer assigned to %s (%s); delivery job %s "
		    "acknowledged", j->id, j->agent, r->str, j->entry);
	} else if (r->type == REDIS_REPLY_ERROR) {
		/* the entry stays; it is due again at delivery_next */
		log_errx("%s: delivery to %s failed; mailacd_undeliverable: "
		    "%s; trying again in %lld s", j->id, j->agent, r->str,
		    (next - clock_ms()) / 1000);
		deliver_due(d, next);
		freeReplyObject(r);
		return (0);
	} else {
		log_errx("%s: delivery to %s failed %lld time%s%s (last: %s); "
		    "back to queue %s", j->id, j->agent, attempts,
		    attempts == 1 ? "" : "s", perm ? ", permanently" : "", why,
		    queue);
		if (r->type == REDIS_REPLY_STRING)
			log_debug("%s: mailacd_undeliverable: %s", j->id,
			    r->str);
	}
	freeReplyObject(r);
	return (deliver_ack(d, j, err, errlen));
}

/* deliver_failed - record a failed submission of copy N; give up after
 * delivery.max_attempts or at once when PERM */
static int
deliver_failed(struct deliver_state *d, const struct deliver_job *j,
    const char *addr, const char *queue, long n, int perm, const char *why,
    char *err, size_t errlen)
{
	const char *incr[4] = { "HINCRBY", j->kix, KEYS_F_DLV_ATTEMPTS, "1" };
	const char *hset[6] = { "HSET", j->kix, KEYS_F_DLV_ERROR, why,
	    KEYS_F_DLV_NEXT, NULL };
	const char *sadd[3] = { "SADD", j->kretry, j->id };
	const char *count[4] = { "HINCRBY", j->kcounters, KEYS_F_CNT_RETRIES,
	    "1" };
	const char *const *argvs[3] = { hset, sadd, count };
	const int argcs[3] = { 6, 3, 4 };
	struct retry_plan p;
	char	nextbuf[24];
	long long attempts;
	redisReply *r;

	if ((r = rds_cmd(d->c, 4, incr, err, errlen)) == NULL)
		return (-1);
	attempts = r->type == REDIS_REPLY_INTEGER ? r->integer : 1;
	freeReplyObject(r);
	retry_plan(&d->cfg->delivery, attempts, perm ? RETRY_PERM : RETRY_TEMP,
	    clock_ms(), &p);
	snprintf(nextbuf, sizeof(nextbuf), "%lld", p.at);
	hset[5] = nextbuf;
	/* a retry to come is counted (the metrics' retries); a give-up is
	 * the library's to count, with the interaction back in its queue */
	if (rds_pipe(d->c, p.give_up ? 2 : 3, argcs, argvs, err, errlen) != 0)
		return (-1);
	if (!p.give_up) {
		log_warnx("%s: copy %ld to %s <%s> via %s not delivered "
		    "(attempt %lld of %lld): %s; next try in %lld s", j->id, n,
		    j->agent, addr, d->via, attempts, p.max, why,
		    p.wait_ms / 1000);
		deliver_due(d, p.at);
		return (0);
	}
	return (deliver_undeliverable(d, j, queue, attempts, perm, why, p.at,
	    err, errlen));
}

/* deliver_done - bookkeeping after copy N went out: the agent has had
 * N + 1 copies, the interaction is no longer retrying, its timeline says
 * so (the library's mailacd_delivered) */
static int
deliver_done(struct deliver_state *d, const struct deliver_job *j, long n,
    char *err, size_t errlen)
{
	struct fn_cmd cmd;
	redisReply *r = NULL;
	int	rc;

	fn_delivered(&cmd, j->org->id, j->id, j->agent, n + 1, d->via);
	rc = fn_run(d->c, &cmd, &r, err, errlen);
	fn_cmd_free(&cmd);
	if (rc != 0)
		return (-1);
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(err, errlen, "mailacd_delivered: %s", r->str);
		rc = -1;
	}
	freeReplyObject(r);
	return (rc);
}

/* deliver_skip - copy N is gone (expired or deleted): count it as sent */
static int
deliver_skip(struct deliver_state *d, const struct deliver_job *j, long n,
    char *err, size_t errlen)
{
	char	sent[24];
	const char *argv[4] = { "HSET", j->kix, j->sent, sent };
	redisReply *r;

	snprintf(sent, sizeof(sent), "%ld", n + 1);
	if ((r = rds_cmd(d->c, 4, argv, err, errlen)) == NULL)
		return (-1);
	freeReplyObject(r);
	return (0);
}

/* deliver_str - element I of reply R as a string into OUT ("" if nil) */
static void
deliver_str(const redisReply *r, size_t i, char *out, size_t outlen)
{
	out[0] = '\0';
	if (r->type == REDIS_REPLY_ARRAY && i < r->elements &&
	    r->element[i]->type == REDIS_REPLY_STRING)
		snprintf(out, outlen, "%s", r->element[i]->str);
}

/* deliver_copy - fetch copy N of job J, compose and submit it; *RES says
 * how that went (SMTP_SENT also when the copy is gone), WHY why not */
static int
deliver_copy(struct deliver_state *d, const struct deliver_job *j,
    const struct cfg_agent *a, const char *address, const char *queue,
    long n, enum smtp_result *res, char *why, size_t whylen, char *err,
    size_t errlen)
{
	const char *lindex[3] = { "LINDEX", j->kmsgs, NULL };
	const char *hmget[5] = { "HMGET", NULL, KEYS_F_MSG_DATA,
	    KEYS_F_MSG_SIZE, KEYS_F_MSG_COMPLETE };
	struct smtp_server srv;
	const char *sender;
	struct compose_in in;
	char	idx[24], hex[130], kmsg[400], date[COMPOSE_DATE_MAX];
	char	size[24], complete[8], *m;
	redisReply *r;
	size_t	len;

	snprintf(idx, sizeof(idx), "%ld", n);
	lindex[2] = idx;
	if ((r = rds_cmd(d->c, 3, lindex, err, errlen)) == NULL)
		return (-1);
	hex[0] = '\0';
	if (r->type == REDIS_REPLY_STRING)
		snprintf(hex, sizeof(hex), "%s", r->str);
	freeReplyObject(r);
	r = NULL;
	if (hex[0] != '\0' && keys_fmt(kmsg, sizeof(kmsg), KEYS_FMT_MSG,
	    j->org->id, hex) == 0) {
		hmget[1] = kmsg;
		if ((r = rds_cmd(d->c, 5, hmget, err, errlen)) == NULL)
			return (-1);
	}
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING) {
		log_warnx("%s: copy %ld (msg %s) is gone, expired or deleted; "
		    "%s does not get it", j->id, n, hex[0] ? hex : "?",
		    j->agent);
		if (r != NULL)
			freeReplyObject(r);
		*res = SMTP_SENT;
		return (deliver_skip(d, j, n, err, errlen));
	}
	deliver_str(r, 1, size, sizeof(size));
	deliver_str(r, 2, complete, sizeof(complete));
	memset(&in, 0, sizeof(in));
	in.date = compose_date(time(NULL), date);
	in.id = j->id;
	in.org = j->org->id;
	in.address = address;
	in.queue = queue;
	in.agent = j->agent;
	in.agent_address = a->address;
	in.copy = n;
	in.data = r->element[0]->str;
	in.datalen = r->element[0]->len;
	in.complete = strcmp(complete, "0") != 0;
	in.size = strtoll(size, NULL, 10);
	in.max_size = d->cfg->delivery.max_size;
	m = compose_resent(&in, &len);
	freeReplyObject(r);	/* one copy in memory at a time */
	if (m == NULL) {
		snprintf(why, whylen, "out of memory composing copy %ld", n);
		*res = SMTP_TEMP;
		return (0);
	}
	/* a channel with its own server: the copy leaves through that
	 * account, as the channel (Resent-From), not through the relay */
	sender = smtp_server_as(&srv, d->cfg, address);
	snprintf(d->via, sizeof(d->via), "%s", srv.name);
	*res = smtp_send(&srv, sender, a->address, m, len, &deliver_stopping,
	    why, whylen, NULL);
	free(m);
	if (*res == SMTP_SENT) {
		if (deliver_done(d, j, n, err, errlen) != 0)
			return (-1);
		log_info("%s: copy %ld delivered to %s <%s> via %s "
		    "(%zu bytes%s)", j->id, n, j->agent, a->address, d->via,
		    len, in.complete ? "" : ", a notice: too large to store");
	}
	return (0);
}

/* deliver_job - send the agent of job J what it lacks, drop the job, or
 * record the failure; 0, or -1 with ERR when Redis failed */
static int
deliver_job(struct deliver_state *d, struct deliver_job *j, char *err,
    size_t errlen)
{
	const char *hmget[8] = { "HMGET", j->kix, KEYS_F_STATE, "agent",
	    KEYS_F_ADDRESS, KEYS_F_QUEUE, KEYS_F_DLV_NEXT, j->sent };
	const char *llen[2] = { "LLEN", j->kmsgs };
	const struct cfg_agent *a;
	enum smtp_result res;
	char	state[32], agent[CFG_NAME_MAX + 8], address[CFG_ADDR_MAX + 8];
	char	queue[CFG_NAME_MAX + 8], next[24], sent[24];
	char	why[SMTP_WHY_MAX + 64];
	redisReply *r;
	long long count, n;

	a = deliver_agent(j->org, j->agent);
	for (;;) {
		if (atomic_load(&deliver_stopping))
			return (0);	/* stays pending, due */
		if ((r = rds_cmd(d->c, 8, hmget, err, errlen)) == NULL)
			return (-1);
		deliver_str(r, 0, state, sizeof(state));
		deliver_str(r, 1, agent, sizeof(agent));
		deliver_str(r, 2, address, sizeof(address));
		deliver_str(r, 3, queue, sizeof(queue));
		deliver_str(r, 4, next, sizeof(next));
		deliver_str(r, 5, sent, sizeof(sent));
		freeReplyObject(r);
		if (strcmp(state, "assigned") != 0 ||
		    strcmp(agent, j->agent) != 0) {
			/* a later assignment writes a job of its own */
			log_debug("%s: delivery job %s for %s dropped: the "
			    "interaction is %s%s%s", j->id, j->entry, j->agent,
			    state[0] ? state : "gone", agent[0] ? " to " : "",
			    agent);
			return (deliver_ack(d, j, err, errlen));
		}
		if (strtoll(next, NULL, 10) > clock_ms()) {
			deliver_due(d, strtoll(next, NULL, 10));
			return (0);
		}
		if ((r = rds_cmd(d->c, 2, llen, err, errlen)) == NULL)
			return (-1);
		count = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
		freeReplyObject(r);
		n = strtoll(sent, NULL, 10);
		if (n < 0)
			n = 0;
		if (n >= count) {
			log_debug("%s: delivery job %s: %s has had all %lld "
			    "copies", j->id, j->entry, j->agent, count);
			return (deliver_ack(d, j, err, errlen));
		}
		if (a == NULL) {
			snprintf(why, sizeof(why), "agent %s is not in the "
			    "configuration", j->agent);
			return (deliver_failed(d, j, "?", queue, (long)n, 1,
			    why, err, errlen));
		}
		if (deliver_copy(d, j, a, address, queue, (long)n, &res, why,
		    sizeof(why), err, errlen) != 0)
			return (-1);
		if (res == SMTP_STOPPED)
			return (0);
		if (res != SMTP_SENT)
			return (deliver_failed(d, j, a->address, queue, (long)n,
			    res == SMTP_PERM, why, err, errlen));
	}
}

/* deliver_entries - stream_each_fn: handle the entries LIST of the
 * deliver stream of organisation OI */
static int
deliver_entries(void *arg, size_t oi, redisReply *list, char *err,
    size_t errlen)
{
	struct deliver_state *d = arg;
	const struct cfg_org *o = &d->cfg->orgs[oi];
	const char *key = d->streams->key[oi];
	const redisReply *e, *f;
	struct deliver_job j;
	size_t	i, k;

	if (list->type != REDIS_REPLY_ARRAY)
		return (0);
	for (i = 0; i < list->elements; i++) {
		e = list->element[i];
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[0]->type != REDIS_REPLY_STRING)
			continue;
		if (d->budget || atomic_load(&deliver_stopping))
			continue;	/* read again at the next turn */
		memset(&j, 0, sizeof(j));
		j.org = o;
		j.key = key;
		j.entry = e->element[0]->str;
		f = e->element[1];
		for (k = 0; f->type == REDIS_REPLY_ARRAY && k + 1 < f->elements;
		    k += 2) {
			if (f->element[k]->type != REDIS_REPLY_STRING ||
			    f->element[k + 1]->type != REDIS_REPLY_STRING)
				continue;
			if (strcmp(f->element[k]->str, KEYS_F_ID) == 0)
				j.id = f->element[k + 1]->str;
			else if (strcmp(f->element[k]->str, "agent") == 0)
				j.agent = f->element[k + 1]->str;
		}
		if (f->type != REDIS_REPLY_ARRAY) {
			/* deleted from the stream while pending */
			j.id = "-";
			log_debug("%s: delivery job %s deleted from the "
			    "stream; acknowledged", key, j.entry);
			if (deliver_ack(d, &j, err, errlen) != 0)
				return (-1);
			continue;
		}
		if (j.id == NULL || strlen(j.id) != 32 ||
		    strspn(j.id, "0123456789abcdef") != 32 || j.agent == NULL ||
		    *j.agent == '\0' || strlen(j.agent) > CFG_NAME_MAX ||
		    keys_fmt(j.kix, sizeof(j.kix), KEYS_FMT_IX, o->id, j.id) ||
		    keys_fmt(j.kmsgs, sizeof(j.kmsgs), KEYS_FMT_IX_MSGS, o->id,
		    j.id) || keys_fmt(j.kretry, sizeof(j.kretry),
		    KEYS_FMT_RETRYING, o->id) || keys_fmt(j.kcounters,
		    sizeof(j.kcounters), KEYS_FMT_COUNTERS, o->id)) {
			log_warnx("%s: delivery job %s malformed (no valid id "
			    "or agent); acknowledged", key, j.entry);
			if (deliver_ack(d, &j, err, errlen) != 0)
				return (-1);
			continue;
		}
		snprintf(j.sent, sizeof(j.sent), KEYS_F_SENT_PREFIX "%s",
		    j.agent);
		if (deliver_job(d, &j, err, errlen) != 0)
			return (-1);
		/* the other pending entries must be read again before they
		 * look idle to the other routers */
		if (clock_mono_ms() - d->turn >
		    d->cfg->router.claim_idle_ms / 2)
			d->budget = 1;
	}
	return (0);
}

/* deliver_pending - this consumer's pending jobs, each stream in turn */
static int
deliver_pending(struct deliver_state *d, char *err, size_t errlen)
{
	size_t	i;

	for (i = 0; i < d->streams->n; i++)
		if (stream_pending(d->c, d->streams, i, deliver_entries, d, err,
		    errlen) != 0)
			return (-1);
	return (0);
}

/* deliver_new - new jobs of every stream, waiting up to router.block_ms
 * (less when a retry is due sooner) */
static int
deliver_new(struct deliver_state *d, char *err, size_t errlen)
{
	long long wait = d->cfg->router.block_ms;
	size_t	got;

	if (d->next_due != 0 && d->next_due - clock_ms() < wait)
		wait = d->next_due - clock_ms();
	if (d->budget)
		wait = 0;
	return (stream_read(d->c, d->streams, ">", wait, deliver_entries, d,
	    &got, err, errlen));
}

/* deliver_claim - take over the jobs idle longer than router.claim_idle_ms
 * at other consumers (dead routers), they are ours to handle from now;
 * then trim the streams */
static int
deliver_claim(struct deliver_state *d, char *err, size_t errlen)
{
	size_t	i, n = 0, got;

	for (i = 0; i < d->streams->n; i++) {
		if (stream_claim(d->c, d->streams, i, NULL, NULL, &got, err,
		    errlen) != 0)
			return (-1);
		n += got;
	}
	if (n > 0)
		log_info("delivery: took over %zu jobs idle at other routers",
		    n);
	return (stream_trim(d->c, d->streams, err, errlen));
}

/* deliver_stopping_now - relink: deliver_stop() was called */
static int
deliver_stopping_now(void *arg)
{
	(void)arg;
	return (atomic_load(&deliver_stopping) != 0);
}

/* deliver_setup - relink: a consumer group on every stream of the new
 * connection C; the take-over is due at once */
static int
deliver_setup(redisContext *c, void *arg, char *err, size_t errlen)
{
	struct deliver_state *d = arg;

	d->c = c;
	d->next_claim = 0;
	return (stream_setup(c, d->streams, err, errlen));
}

/* deliver_turn - relink: take over idle jobs now and then, then this
 * consumer's pending jobs, then new ones */
static int
deliver_turn(redisContext *c, void *arg, char *err, size_t errlen)
{
	struct deliver_state *d = arg;

	d->c = c;
	d->turn = clock_mono_ms();
	d->next_due = 0;
	d->budget = 0;
	if ((d->turn >= d->next_claim && deliver_claim(d, err, errlen) != 0) ||
	    deliver_pending(d, err, errlen) != 0 ||
	    deliver_new(d, err, errlen) != 0)
		return (-1);
	if (d->turn >= d->next_claim)
		d->next_claim = d->turn + d->cfg->router.claim_idle_ms / 2;
	return (0);
}

/* deliver_main - the thread: turns on a connection kept up by relink */
static void *
deliver_main(void *arg)
{
	static const struct relink_ops ops = { "delivery: ",
	    deliver_stopping_now, NULL, deliver_setup, deliver_turn };
	struct deliver_state *d = arg;

	relink_run(&d->link, &ops, d);
	d->c = NULL;
	return (NULL);
}

/* deliver_free - the thread's state; accepts NULL */
static void
deliver_free(struct deliver_state *d)
{
	if (d == NULL)
		return;
	rds_pool_free(d->link.pool);
	stream_set_free(d->streams);
	cfg_unref(d->cfg);
	free(d);
}

/* deliver_start - the thread, when a queue is in forward mode */
int
deliver_start(struct cfg *cfg, const char *consumer)
{
	struct deliver_state *d;
	sigset_t all, old;
	int	e;

	if (!deliver_needed(cfg))
		return (1);
	if (deliver_n == DELIVER_MAX) {
		log_errx("delivery: more than %d Redis groups: no copies are "
		    "resent for the organisations of %s", DELIVER_MAX,
		    cfg->orgs[0].id);
		return (-1);
	}
	if (cfg->delivery.relay == NULL || *cfg->delivery.relay == '\0') {
		log_errx("delivery: queues in forward mode but no "
		    "delivery.relay: no copies are resent");
		return (-1);
	}
	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->streams = stream_set_new(cfg, STREAM_DELIVER,
	    consumer)) == NULL ||
	    (d->link.pool = rds_pool_new(&cfg->redis)) == NULL) {
		if (d != NULL)
			stream_set_free(d->streams);
		free(d);
		log_errx("delivery: out of memory; no copies are resent");
		return (-1);
	}
	rds_pool_say(d->link.pool, log_say, "delivery: redis: ");
	d->cfg = cfg_ref(cfg);
	smtp_relay_name(cfg->delivery.relay, d->relay, sizeof(d->relay));
	snprintf(d->via, sizeof(d->via), "%s", d->relay);
	if (deliver_n == 0)
		atomic_store(&deliver_stopping, 0);
	d->streams->stop = &deliver_stopping;
	/* signals are the main thread's */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e = pthread_create(&deliver_tid[deliver_n], NULL, deliver_main, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		log_errx("delivery: cannot start the thread: %s; no copies "
		    "are resent", strerror(e));
		deliver_free(d);
		return (-1);
	}
	deliver_cur[deliver_n++] = d;
	log_info("delivery: resending copies to agents via %s (redis %s)",
	    d->relay, rds_describe(d->link.pool));
	return (0);
}

/* deliver_stop - tell the threads, wait for them, free their state */
void
deliver_stop(void)
{
	size_t	i;

	if (deliver_n == 0)
		return;
	atomic_store(&deliver_stopping, 1);
	for (i = 0; i < deliver_n; i++) {
		pthread_join(deliver_tid[i], NULL);
		deliver_free(deliver_cur[i]);
		deliver_cur[i] = NULL;
	}
	deliver_n = 0;
}
