/* fetch.c - the router's fetcher: pull the mail of addresses with a
 * mailbox from their IMAP or POP3 servers (common/mbox.c) and hand each
 * message to the relay of fetch.relay by SMTP (smtp.c), addressed to the
 * address, so that it passes the milter like any inbound mail: the same
 * stamp, the same rules, the same tempfail.
 *
 * One thread looks at each mailbox every poll_interval seconds and, for
 * IMAP servers that offer it, keeps an IDLE session on the folder
 * (mbox_idle_start: libcurl connects and logs in, three commands go by
 * hand), so that new mail is looked at when the server says it came.  Per message: fetch, submit, and only when the relay accepted
 * it, delete, move or mark it on the server.  A relay that asks to try
 * again (the milter's 451 while Redis is down) ends the look; the message
 * stays and the mailbox is looked at again after fetch.retry_min,
 * doubling to fetch.retry_max, as after any failure.  A crash between the
 * relay's acceptance and the deletion sends the same bytes again, which
 * the milter's hand-off recognises: no second interaction.
 *
 * Each look takes a lease in Redis (one router per mailbox at a time) and
 * ends by writing the mailbox's status there for "mailacdctl status".  The
 * thread's Redis connection is kept by relink.c: while Redis is down no
 * mailbox is looked at (its mail could not be recorded anyway). */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis.h>

#include "clock.h"
#include "fetch.h"
#include "keys.h"
#include "log.h"
#include "mbox.h"
#include "rds.h"
#include "relink.h"
#include "retry.h"
#include "smtp.h"

#define FETCH_KEY_MAX	(CFG_NAME_MAX + CFG_ADDR_MAX * 2 + 64)
#define FETCH_NAP_MS	500	/* longest wait of one turn */
#define FETCH_RENEW	50	/* messages between two lease renewals */
#define FETCH_IDLE_MS	(25LL * 60 * 1000)	/* IDLE renewed after this
						   (RFC 2177: servers may end
						   it after 29 minutes) */
#define FETCH_IDLE_RETRY_MS (5LL * 60 * 1000)	/* a failed IDLE session
						   is tried again after this */

/* One mailbox and when to look at it next. */
struct fetch_box {
	const struct cfg_address *a;	/* in the state's configuration */
	char	key[FETCH_KEY_MAX];	/* its status hash */
	char	lease[FETCH_KEY_MAX];
	char	refused[FETCH_KEY_MAX];	/* POP3: UIDLs refused for good */
	long long due;		/* monotonic ms */
	int	fails;		/* looks failed in a row */
	char	last[MBOX_WHY_MAX + 128];	/* the failure logged last */
	int	owned;		/* this router held the lease at the look */
	struct mbox *watch;	/* IMAP IDLE session, or NULL */
	long long watch_at;	/* next try to start one (monotonic ms);
				   -1: never (the server has no IDLE) */
	long long renew_at;	/* when to end IDLE and start it again */
	char	wlast[MBOX_WHY_MAX];	/* the IDLE failure logged last */
};

/* The thread's state. */
struct fetch_state {
	struct relink link;
	struct cfg *cfg;
	struct fetch_box *box;
	size_t	nbox;
	char	owner[256];
	char	relay[1100];	/* fetch.relay for logs */
};

/* What one look found. */
struct fetch_look {
	const char *class;	/* NULL: all went well */
	char	why[MBOX_WHY_MAX + 128];
	long long pulled, refused, waiting;
};

/* one thread per Redis group the router serves */
#define FETCH_MAX	64
static pthread_t fetch_tid[FETCH_MAX];
static struct fetch_state *fetch_cur[FETCH_MAX];
static size_t fetch_n;
static atomic_int fetch_stopping;

/* fetch_needed - an enabled address with a mailbox */
int
fetch_needed(const struct cfg *cfg)
{
	size_t	i, j, k;

	for (i = 0; i < cfg->norgs; i++)
		for (j = 0; j < cfg->orgs[i].ndomains; j++)
			for (k = 0; k < cfg->orgs[i].domains[j].naddresses; k++)
				if (cfg->orgs[i].domains[j].addresses[k].
				    mailbox != NULL && cfg->orgs[i].domains[j].
				    addresses[k].enabled)
					return (1);
	return (0);
}

/* fetch_lease - take or renew the lease of B for LEASE_MS: 1 ours, 0
 * another router's, -1 with ERR (Redis) */
static int
fetch_lease(redisContext *c, struct fetch_state *st, struct fetch_box *b,
    long long lease_ms, char *err, size_t errlen)
{
	redisReply *r;
	char	ms[32], why[256];
	int	ours;

	snprintf(ms, sizeof(ms), "%lld", lease_ms);
	r = redisCommand(c, "SET %s %s NX PX %s", b->lease, st->owner, ms);
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		rds_error(c, r, why, sizeof(why));
		snprintf(err, errlen, "SET %s: %s", b->lease, why);
		if (r != NULL)
			freeReplyObject(r);
		return (-1);
	}
	ours = r->type == REDIS_REPLY_STATUS;
	freeReplyObject(r);
	if (ours)
		return (1);
	r = redisCommand(c, "GET %s", b->lease);
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		rds_error(c, r, why, sizeof(why));
		snprintf(err, errlen, "GET %s: %s", b->lease, why);
		if (r != NULL)
			freeReplyObject(r);
		return (-1);
	}
	ours = r->type == REDIS_REPLY_STRING && strcmp(r->str, st->owner) == 0;
	freeReplyObject(r);
	if (!ours)
		return (0);
	r = redisCommand(c, "PEXPIRE %s %s", b->lease, ms);
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		rds_error(c, r, why, sizeof(why));
		snprintf(err, errlen, "PEXPIRE %s: %s", b->lease, why);
		if (r != NULL)
			freeReplyObject(r);
		return (-1);
	}
	ours = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
	freeReplyObject(r);
	return (ours);
}

/* fetch_status - write what look L found into B's status hash; NEXT is
 * the wall-clock ms of the next look; 0 or -1 with ERR */
static int
fetch_status(redisContext *c, const struct fetch_box *b,
    const struct fetch_look *l, long long now, long long next, char *err,
    size_t errlen)
{
	redisReply *r;
	char	at[32], nx[32], wt[32], pu[32], rf[32], why[256];
	int	rc = 0;

	snprintf(at, sizeof(at), "%lld", now);
	snprintf(nx, sizeof(nx), "%lld", next);
	snprintf(wt, sizeof(wt), "%lld", l->waiting);
	snprintf(pu, sizeof(pu), "%lld", l->pulled);
	snprintf(rf, sizeof(rf), "%lld", l->refused);
	redisAppendCommand(c, "HSET %s " KEYS_F_MB_STATUS " %s "
	    KEYS_F_MB_CLASS " %s " KEYS_F_MB_ERROR " %s " KEYS_F_MB_CHECKED_AT
	    " %s " KEYS_F_MB_NEXT_AT " %s " KEYS_F_MB_WAITING " %s", b->key,
	    l->class == NULL ? "ok" : "failing",
	    l->class == NULL ? "" : l->class, l->class == NULL ? "" : l->why,
	    at, nx, wt);
	redisAppendCommand(c, "HINCRBY %s " KEYS_F_MB_PULLED " %s", b->key, pu);
	redisAppendCommand(c, "HINCRBY %s " KEYS_F_MB_REFUSED " %s", b->key,
	    rf);
	if (l->class == NULL)
		redisAppendCommand(c, "HSET %s " KEYS_F_MB_OK_AT " %s", b->key,
		    at);
	for (int i = 0; i < (l->class == NULL ? 4 : 3); i++) {
		r = NULL;
		if (redisGetReply(c, (void **)&r) != REDIS_OK || r == NULL ||
		    r->type == REDIS_REPLY_ERROR) {
			if (rc == 0) {
				rds_error(c, r, why, sizeof(why));
				snprintf(err, errlen, "HSET %s: %s", b->key,
				    why);
			}
			rc = -1;
			if (r == NULL)
				break;
		}
		freeReplyObject(r);
	}
	return (rc);
}

/* fetch_submit - hand message M (LEN) of B to the relay, as sent by the
 * envelope sender it recorded, to B's address */
static enum smtp_result
fetch_submit(struct fetch_state *st, const struct fetch_box *b,
    const char *m, size_t len, char *why, size_t whylen)
{
	struct cfg_delivery dc;
	char	sender[CFG_ADDR_MAX + 1];

	mbox_sender(m, len, sender, sizeof(sender));
	memset(&dc, 0, sizeof(dc));
	dc.relay = st->cfg->fetch.relay;
	dc.starttls = CFG_TLS_NO;
	dc.tls_verify = 1;
	dc.sender = sender;
	dc.timeout = st->cfg->fetch.timeout;
	return (smtp_submit(&dc, b->a->address, m, len, &fetch_stopping, why,
	    whylen));
}

/* fetch_cmd - CMD KEY MEMBER on C; 0, or -1 with ERR */
static int
fetch_cmd(redisContext *c, char *err, size_t errlen, const char *cmd,
    const char *key, const char *member)
{
	const char *argv[3] = { cmd, key, member };
	redisReply *r;

	if ((r = rds_cmd(c, 3, argv, err, errlen)) == NULL)
		return (-1);
	freeReplyObject(r);
	return (0);
}

/* fetch_skip - POP3: mark in SKIP (N entries) the listed messages whose
 * UIDL B's refused set holds, and drop from the set the ids no longer on
 * the server; 0, or -1 with ERR (Redis) */
static int
fetch_skip(redisContext *c, const struct fetch_box *b, struct mbox *mb,
    const unsigned long *ids, size_t n, char *skip, char *err, size_t errlen)
{
	redisReply *r;
	const char *u;
	char	why[256];
	size_t	i, j;
	int	rc = 0, there;

	r = redisCommand(c, "SMEMBERS %s", b->refused);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		rds_error(c, r, why, sizeof(why));
		snprintf(err, errlen, "SMEMBERS %s: %s", b->refused, why);
		if (r != NULL)
			freeReplyObject(r);
		return (-1);
	}
	for (j = 0; j < r->elements && rc == 0; j++) {
		if (r->element[j]->type != REDIS_REPLY_STRING)
			continue;
		there = 0;
		for (i = 0; i < n; i++)
			if ((u = mbox_uid(mb, ids[i])) != NULL &&
			    strcmp(u, r->element[j]->str) == 0) {
				skip[i] = 1;
				there = 1;
			}
		if (!there)
			rc = fetch_cmd(c, err, errlen, "SREM", b->refused,
			    r->element[j]->str);
	}
	freeReplyObject(r);
	return (rc);
}

/* fetch_fail - note in L a failure of class CLASS described by WHY */
static void
fetch_fail(struct fetch_look *l, const char *class, const char *why)
{
	l->class = class;
	snprintf(l->why, sizeof(l->why), "%s", why);
}

/* fetch_look - one session with B's server: list, then per message fetch,
 * submit and, once accepted, delete, move or mark; renews the lease on
 * C every FETCH_RENEW messages.  0 (what happened is in L), or -1 with
 * ERR when Redis failed */
static int
fetch_look(redisContext *c, struct fetch_state *st, struct fetch_box *b,
    long long lease_ms, struct fetch_look *l, char *err, size_t errlen)
{
	const struct cfg_address *a = b->a;
	char	why[MBOX_WHY_MAX], swhy[SMTP_WHY_MAX + 32];
	unsigned long *ids = NULL;
	enum mbox_class mc;
	enum smtp_result sr;
	struct mbox *mb;
	size_t	n = 0, i, len;
	const char *uid;
	char	*msg, *skip = NULL;
	int	rc = 0, own;

	if ((mb = mbox_open(a->mailbox, st->cfg->fetch.timeout,
	    &fetch_stopping)) == NULL) {
		fetch_fail(l, "server", "out of memory");
		return (0);
	}
	if ((mc = mbox_list(mb, &ids, &n, why, sizeof(why))) != MBOX_OK) {
		fetch_fail(l, mbox_class_name(mc), why);
		goto out;
	}
	l->waiting = (long long)n;
	if (a->mailbox->protocol == CFG_MBOX_POP3) {
		if ((skip = calloc(n > 0 ? n : 1, 1)) == NULL) {
			fetch_fail(l, "server", "out of memory");
			goto out;
		}
		if (fetch_skip(c, b, mb, ids, n, skip, err, errlen) != 0) {
			rc = -1;
			goto out;
		}
	}
	for (i = 0; i < n && !atomic_load(&fetch_stopping); i++) {
		if (skip != NULL && skip[i]) {
			l->waiting--;
			continue;
		}
		if (i > 0 && i % FETCH_RENEW == 0) {
			if ((mc = mbox_flush(mb, why, sizeof(why))) !=
			    MBOX_OK) {
				fetch_fail(l, mbox_class_name(mc), why);
				break;
			}
			if ((own = fetch_lease(c, st, b, lease_ms, err,
			    errlen)) < 0) {
				rc = -1;
				break;
			}
			if (own == 0)
				break;
		}
		if ((mc = mbox_fetch(mb, ids[i], &msg, &len, why,
		    sizeof(why))) != MBOX_OK) {
			fetch_fail(l, mbox_class_name(mc), why);
			break;
		}
		sr = fetch_submit(st, b, msg, len, swhy, sizeof(swhy));
		free(msg);
		if (sr == SMTP_STOPPED) {
			(void)mbox_later(mb, ids[i], why, sizeof(why));
			break;
		}
		if (sr == SMTP_TEMP) {
			/* it stays; the next look is after the back-off */
			(void)mbox_later(mb, ids[i], why, sizeof(why));
			snprintf(l->why, sizeof(l->why), "relay %.100s: %.300s",
			    st->relay, swhy);
			l->class = "relay";
			break;
		}
		if (sr == SMTP_PERM) {
			log_errx("mailbox %s: message %lu refused by the relay "
			    "%s, left on the server: %s", a->address, ids[i],
			    st->relay, swhy);
			l->refused++;
			l->waiting--;
			if ((uid = mbox_uid(mb, ids[i])) != NULL &&
			    fetch_cmd(c, err, errlen, "SADD", b->refused,
			    uid) != 0) {
				rc = -1;
				break;
			}
			if ((mc = mbox_refused(mb, ids[i], why,
			    sizeof(why))) != MBOX_OK) {
				fetch_fail(l, mbox_class_name(mc), why);
				break;
			}
			continue;
		}
		/* accepted: only now may it leave the server */
		if ((mc = mbox_done(mb, ids[i], why, sizeof(why))) !=
		    MBOX_OK) {
			fetch_fail(l, mbox_class_name(mc), why);
			l->pulled++;
			l->waiting--;
			break;
		}
		l->pulled++;
		l->waiting--;
		log_debug("mailbox %s: message %lu (%zu bytes) handed to %s",
		    a->address, ids[i], len, st->relay);
	}
	/* after a failure too: what was handed off leaves the server */
	if ((mc = mbox_flush(mb, why, sizeof(why))) != MBOX_OK &&
	    l->class == NULL)
		fetch_fail(l, mbox_class_name(mc), why);
out:
	free(skip);
	free(ids);
	mbox_close(mb);
	return (rc);
}

/* fetch_box - look at B if no other router does: lease, session, status,
 * log what changed, plan the next look; 0 or -1 with ERR (Redis) */
static int
fetch_box(redisContext *c, struct fetch_state *st, struct fetch_box *b,
    char *err, size_t errlen)
{
	const struct cfg_mailbox *m = b->a->mailbox;
	struct fetch_look l;
	struct cfg_delivery dc;
	long long lease_ms, wait, now;
	int	own;

	lease_ms = ((long long)m->poll_interval + 4LL *
	    st->cfg->fetch.timeout) * 1000;
	if ((own = fetch_lease(c, st, b, lease_ms, err, errlen)) < 0)
		return (-1);
	b->owned = own;
	if (own == 0) {
		b->due = clock_mono_ms() + (long long)m->poll_interval * 1000;
		return (0);
	}
	memset(&l, 0, sizeof(l));
	if (fetch_look(c, st, b, lease_ms, &l, err, errlen) != 0)
		return (-1);
	if (atomic_load(&fetch_stopping) && l.class != NULL &&
	    strcmp(l.class, "stopped") == 0)
		return (0);
	if (l.class == NULL) {
		if (b->fails > 0)
			log_info("mailbox %s: pulling again", b->a->address);
		b->fails = 0;
		b->last[0] = '\0';
		wait = (long long)m->poll_interval * 1000;
	} else {
		b->fails++;
		memset(&dc, 0, sizeof(dc));
		dc.retry_min = st->cfg->fetch.retry_min;
		dc.retry_max = st->cfg->fetch.retry_max;
		wait = retry_wait_ms(&dc, b->fails);
		if (strcmp(b->last, l.why) != 0) {
			log_warnx("mailbox %s: %s (%s); trying again in %lld s",
			    b->a->address, l.why, l.class, wait / 1000);
			snprintf(b->last, sizeof(b->last), "%s", l.why);
		}
	}
	if (l.pulled > 0)
		log_info("mailbox %s: %lld message%s handed to the relay %s",
		    b->a->address, l.pulled, l.pulled == 1 ? "" : "s",
		    st->relay);
	now = clock_ms();
	b->due = clock_mono_ms() + wait;
	return (fetch_status(c, b, &l, now, now + wait, err, errlen));
}

/* fetch_stopping_now - relink: fetch_stop() was called */
static int
fetch_stopping_now(void *arg)
{
	(void)arg;
	return (atomic_load(&fetch_stopping) != 0);
}

/* fetch_setup - relink: nothing to prepare on a new connection */
static int
fetch_setup(redisContext *c, void *arg, char *err, size_t errlen)
{
	(void)c;
	(void)arg;
	(void)err;
	(void)errlen;
	return (0);
}

/* fetch_unwatch - end B's IDLE session, if any; try again at AT */
static void
fetch_unwatch(struct fetch_box *b, long long at)
{
	mbox_close(b->watch);
	b->watch = NULL;
	if (b->watch_at >= 0)
		b->watch_at = at;
}

/* fetch_watch - keep B's IDLE session: start it when this router pulls an
 * IMAP mailbox that wants one, renew it in time, drop it when another
 * router took the mailbox.  A failure is logged when it changes; the
 * mailbox is polled meanwhile, as always. */
static void
fetch_watch(struct fetch_state *st, struct fetch_box *b, long long now)
{
	const struct cfg_mailbox *m = b->a->mailbox;
	char	why[MBOX_WHY_MAX];
	enum mbox_class mc;

	if (m->protocol != CFG_MBOX_IMAP || !m->idle || b->watch_at < 0)
		return;
	if (!b->owned) {
		if (b->watch != NULL)
			fetch_unwatch(b, 0);
		return;
	}
	if (b->watch != NULL) {
		if (now >= b->renew_at && mbox_idle_renew(b->watch) != 0) {
			log_info("mailbox %s: IDLE ended; polling until it is "
			    "back", b->a->address);
			fetch_unwatch(b, now);
			b->due = now;
		} else if (now >= b->renew_at)
			b->renew_at = now + FETCH_IDLE_MS;
		return;
	}
	if (now < b->watch_at || b->fails > 0)
		return;
	if ((b->watch = mbox_open(m, st->cfg->fetch.timeout,
	    &fetch_stopping)) == NULL)
		return;
	if ((mc = mbox_idle_start(b->watch, why, sizeof(why))) != MBOX_OK) {
		fetch_unwatch(b, now + FETCH_IDLE_RETRY_MS);
		if (strstr(why, "does not offer IDLE") != NULL)
			b->watch_at = -1;	/* until a reload */
		if (strcmp(why, b->wlast) != 0) {
			log_info("mailbox %s: %s; polling every %d s",
			    b->a->address, why, m->poll_interval);
			snprintf(b->wlast, sizeof(b->wlast), "%s", why);
		}
		return;
	}
	b->wlast[0] = '\0';
	b->renew_at = now + FETCH_IDLE_MS;
	log_info("mailbox %s: IDLE: new mail is pulled as it arrives",
	    b->a->address);
}

/* fetch_wait - until NEXT (monotonic ms), or until an IDLE session says
 * that its folder changed (that mailbox is then due at once) */
static void
fetch_wait(struct fetch_state *st, long long next)
{
	struct pollfd *p;
	size_t	*map, n, i;
	long long now;
	int	r;

	p = calloc(st->nbox + 1, sizeof(*p));
	map = calloc(st->nbox + 1, sizeof(*map));
	while (!atomic_load(&fetch_stopping) && (now = clock_mono_ms()) <
	    next) {
		for (i = 0, n = 0; p != NULL && map != NULL && i < st->nbox;
		    i++)
			if (st->box[i].watch != NULL &&
			    (p[n].fd = mbox_idle_fd(st->box[i].watch)) >= 0) {
				p[n].events = POLLIN;
				p[n].revents = 0;
				map[n++] = i;
			}
		if (n == 0) {
			usleep(50000);
			continue;
		}
		if (poll(p, n, 50) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			struct fetch_box *b = &st->box[map[i]];

			if (p[i].revents == 0)
				continue;
			if ((r = mbox_idle_news(b->watch)) < 0) {
				log_info("mailbox %s: IDLE ended by the "
				    "server; polling until it is back",
				    b->a->address);
				fetch_unwatch(b, now + 1000);
				b->due = now;
				next = now;
			} else if (r > 0) {
				b->due = now;
				next = now;
			}
		}
	}
	free(p);
	free(map);
}

/* fetch_turn - relink: look at the mailboxes that are due, keep their IDLE
 * sessions, then wait for the next look or for news */
static int
fetch_turn(redisContext *c, void *arg, char *err, size_t errlen)
{
	struct fetch_state *st = arg;
	long long now = clock_mono_ms(), next = now + FETCH_NAP_MS;
	size_t	i;

	for (i = 0; i < st->nbox && !atomic_load(&fetch_stopping); i++) {
		if (st->box[i].due > now)
			continue;
		if (fetch_box(c, st, &st->box[i], err, errlen) != 0)
			return (-1);
	}
	for (i = 0; i < st->nbox && !atomic_load(&fetch_stopping); i++)
		fetch_watch(st, &st->box[i], clock_mono_ms());
	for (i = 0; i < st->nbox; i++)
		if (st->box[i].due < next)
			next = st->box[i].due;
	fetch_wait(st, next);
	return (0);
}

/* fetch_main - the thread: turns on a connection kept up by relink */
static void *
fetch_main(void *arg)
{
	static const struct relink_ops ops = { "fetch: ", fetch_stopping_now,
	    NULL, fetch_setup, fetch_turn };
	struct fetch_state *st = arg;

	relink_run(&st->link, &ops, st);
	return (NULL);
}

/* fetch_free - the thread's state; accepts NULL */
static void
fetch_free(struct fetch_state *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->nbox; i++)
		mbox_close(st->box[i].watch);
	rds_pool_free(st->link.pool);
	cfg_unref(st->cfg);
	free(st->box);
	free(st);
}

/* fetch_boxes - one entry per enabled address with a mailbox; 0 or -1 */
static int
fetch_boxes(struct fetch_state *st)
{
	const struct cfg *cfg = st->cfg;
	const struct cfg_address *a;
	struct fetch_box *b;
	size_t	i, j, k;

	for (i = 0; i < cfg->norgs; i++)
		for (j = 0; j < cfg->orgs[i].ndomains; j++)
			for (k = 0; k < cfg->orgs[i].domains[j].naddresses;
			    k++) {
				a = &cfg->orgs[i].domains[j].addresses[k];
				if (a->mailbox == NULL || !a->enabled)
					continue;
				if ((b = reallocarray(st->box, st->nbox + 1,
				    sizeof(*b))) == NULL)
					return (-1);
				st->box = b;
				b = &st->box[st->nbox++];
				memset(b, 0, sizeof(*b));
				b->a = a;
				if (keys_fmt(b->key, sizeof(b->key),
				    KEYS_FMT_MAILBOX, a->org->id, a->key) != 0 ||
				    keys_fmt(b->lease, sizeof(b->lease),
				    KEYS_FMT_MAILBOX_LEASE, a->org->id,
				    a->key) != 0 || keys_fmt(b->refused,
				    sizeof(b->refused), KEYS_FMT_MAILBOX_REFUSED,
				    a->org->id, a->key) != 0)
					return (-1);
			}
	return (0);
}

/* fetch_start - the thread, when an address has a mailbox */
int
fetch_start(struct cfg *cfg, const char *owner)
{
	struct fetch_state *st;
	sigset_t all, old;
	int	e;

	if (!fetch_needed(cfg))
		return (1);
	if (fetch_n == FETCH_MAX) {
		log_errx("fetch: more than %d Redis groups: no mailbox of %s "
		    "is pulled", FETCH_MAX, cfg->orgs[0].id);
		return (-1);
	}
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->cfg = cfg_ref(cfg)) == NULL || fetch_boxes(st) != 0 ||
	    (st->link.pool = rds_pool_new(&cfg->redis)) == NULL) {
		fetch_free(st);
		log_errx("fetch: out of memory; no mailbox is pulled");
		return (-1);
	}
	snprintf(st->owner, sizeof(st->owner), "%s", owner);
	smtp_relay_name(cfg->fetch.relay, st->relay, sizeof(st->relay));
	if (fetch_n == 0)
		atomic_store(&fetch_stopping, 0);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e = pthread_create(&fetch_tid[fetch_n], NULL, fetch_main, st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		log_errx("fetch: cannot start the thread: %s; no mailbox is "
		    "pulled", strerror(e));
		fetch_free(st);
		return (-1);
	}
	fetch_cur[fetch_n++] = st;
	log_info("fetch: pulling %zu mailbox%s, handing to %s", st->nbox,
	    st->nbox == 1 ? "" : "es", st->relay);
	return (0);
}

/* fetch_stop - tell the threads, wait for them, free their state */
void
fetch_stop(void)
{
	size_t	i;

	if (fetch_n == 0)
		return;
	atomic_store(&fetch_stopping, 1);
	for (i = 0; i < fetch_n; i++) {
		pthread_join(fetch_tid[i], NULL);
		fetch_free(fetch_cur[i]);
		fetch_cur[i] = NULL;
	}
	fetch_n = 0;
}
