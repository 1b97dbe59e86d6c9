/* rds.c - a thread-safe pool of hiredis connections with bounded timeouts.
 *
 * libmilter runs one thread per SMTP connection and a hiredis context is not
 * thread-safe, so each thread borrows a context for one exchange and gives
 * it back.  A context that failed is closed, never reused: the next borrower
 * reconnects, which is how we come back after a Redis restart.
 *
 * With redis.sentinels the pool does not know the address: it asks the
 * Sentinels (sentinel.c), remembers the master they named and ROLE
 * confirmed, and forgets it ("stale") when a connection to it fails, a
 * reply says READONLY (the node became a replica) or a Sentinel announces
 * +switch-master; the next new connection then looks it up again.  Idle
 * contexts to a forgotten master are closed, and so are borrowed ones when
 * they come back. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "clock.h"
#include "rds.h"
#include "sentinel.h"

#define RDS_IDLE_MAX	64	/* idle contexts kept; more are closed */
#define RDS_HOLD_MS	100	/* a failed look-up is not repeated sooner */
#define RDS_WATCH_MS	100	/* +switch-master is read this often */
#define RDS_REWATCH_MS	1000	/* a lost subscription is made again */

struct rds_pool {
	pthread_mutex_t lock;
	char	*host;
	int	port;
	char	*socket;
	char	*password;
	int	database;
	struct timeval connect_tv;
	struct timeval command_tv;
	redisContext *idle[RDS_IDLE_MAX];
	size_t	nidle;
	char	desc[300];
	/* Sentinel mode: nsentinels > 0 */
	size_t	nsentinels;
	char	**shosts;
	int	*sports;
	char	*master_name;
	char	*sentinel_password;
	char	*sentinel_username;
	char	*username;
	pthread_mutex_t look;	/* one look-up at a time */
	char	master[SENTINEL_HOST_MAX];	/* "" until found */
	int	mport;
	size_t	via;		/* the Sentinel that named it */
	unsigned gen;		/* changes with the master or its staleness */
	int	stale;
	long long failed_ms;	/* when the last look-up failed, */
	char	failed[600];	/* and why */
	pthread_mutex_t watch;	/* the +switch-master subscription: */
	redisContext *sub;
	size_t	sub_idx;
	long long sub_next_ms;
	void	(*say)(int warn, const char *msg, void *arg);
	void	*say_arg;
};

static pthread_mutex_t rds_fns_lock = PTHREAD_MUTEX_INITIALIZER;
static redisReplyObjectFunctions rds_fns;
static void *(*rds_fns_string)(const redisReadTask *, char *, size_t);

/* rds_tv - milliseconds to a timeval */
static struct timeval
rds_tv(int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return (tv);
}

/* rds_pool_sentinels - copy the Sentinel settings of RC; 0 or -1 */
static int
rds_pool_sentinels(struct rds_pool *pool, const struct cfg_redis *rc)
{
	char	host[SENTINEL_HOST_MAX];
	size_t	i;

	pthread_mutex_init(&pool->look, NULL);
	pthread_mutex_init(&pool->watch, NULL);
	pool->nsentinels = rc->nsentinels;
	if ((pool->shosts = calloc(rc->nsentinels, sizeof(char *))) == NULL ||
	    (pool->sports = calloc(rc->nsentinels, sizeof(int))) == NULL ||
	    (pool->master_name = strdup(rc->master_name ? rc->master_name :
	    "")) == NULL)
		return (-1);
	if (rc->sentinel_password != NULL &&
	    (pool->sentinel_password = strdup(rc->sentinel_password)) == NULL)
		return (-1);
	if (rc->sentinel_username != NULL &&
	    (pool->sentinel_username = strdup(rc->sentinel_username)) == NULL)
		return (-1);
	for (i = 0; i < rc->nsentinels; i++) {
		/* checked by the configuration loader */
		if (sentinel_hostport(rc->sentinels[i], host, sizeof(host),
		    &pool->sports[i]) != 0)
			return (-1);
		if ((pool->shosts[i] = strdup(host)) == NULL)
			return (-1);
	}
	return (0);
}

/* rds_pool_new - copy the connection settings into a new pool */
struct rds_pool *
rds_pool_new(const struct cfg_redis *rc)
{
	struct rds_pool *pool;

	if ((pool = calloc(1, sizeof(*pool))) == NULL)
		return (NULL);
	pthread_mutex_init(&pool->lock, NULL);
	pool->host = rc->host ? strdup(rc->host) : NULL;
	pool->socket = rc->socket ? strdup(rc->socket) : NULL;
	pool->password = rc->password ? strdup(rc->password) : NULL;
	pool->username = rc->username ? strdup(rc->username) : NULL;
	pool->port = rc->port;
	pool->database = rc->database;
	pool->connect_tv = rds_tv(rc->connect_timeout_ms);
	pool->command_tv = rds_tv(rc->command_timeout_ms);
	if (rc->nsentinels > 0 && rds_pool_sentinels(pool, rc) != 0) {
		rds_pool_free(pool);
		return (NULL);
	}
	if (pool->nsentinels > 0)
		snprintf(pool->desc, sizeof(pool->desc), "master %s",
		    pool->master_name);
	else if (pool->socket != NULL)
		snprintf(pool->desc, sizeof(pool->desc), "%s", pool->socket);
	else
		snprintf(pool->desc, sizeof(pool->desc), "%s:%d",
		    pool->host ? pool->host : "127.0.0.1", pool->port);
	return (pool);
}

/* rds_pool_free - close what is idle and free the pool */
void
rds_pool_free(struct rds_pool *pool)
{
	size_t	i;

	if (pool == NULL)
		return;
	for (i = 0; i < pool->nidle; i++)
		redisFree(pool->idle[i]);
	pthread_mutex_destroy(&pool->lock);
	if (pool->nsentinels > 0) {
		if (pool->sub != NULL)
			redisFree(pool->sub);
		pthread_mutex_destroy(&pool->look);
		pthread_mutex_destroy(&pool->watch);
		for (i = 0; pool->shosts != NULL && i < pool->nsentinels; i++)
			free(pool->shosts[i]);
	}
	free(pool->shosts);
	free(pool->sports);
	free(pool->master_name);
	free(pool->sentinel_password);
	free(pool->sentinel_username);
	free(pool->username);
	free(pool->host);
	free(pool->socket);
	free(pool->password);
	free(pool);
}

/* rds_describe - where the pool connects, for log lines */
const char *
rds_describe(const struct rds_pool *pool)
{
	return (pool->desc);
}

/* rds_error - text of a context error or an error reply */
void
rds_error(redisContext *c, redisReply *r, char *err, size_t errlen)
{
	if (r != NULL && r->type == REDIS_REPLY_ERROR)
		snprintf(err, errlen, "%s", r->str);
	else if (c != NULL && c->err == REDIS_ERR_IO && c->errstr[0] == '\0')
		snprintf(err, errlen, "%s", strerror(errno));
	else if (c != NULL && c->err == REDIS_ERR_IO &&
	    (errno == EAGAIN || strstr(c->errstr, "temporarily") != NULL))
		snprintf(err, errlen, "timeout: no answer within "
		    "redis.command_timeout_ms");
	else if (c != NULL && c->err != 0)
		snprintf(err, errlen, "%s", c->errstr);
	else if (r == NULL)
		snprintf(err, errlen, "no reply");
	else
		snprintf(err, errlen, "unexpected reply type %d", r->type);
}

/* rds_cmd - one command and its answer, or NULL with ERR when the
 * connection broke or Redis answered an error */
redisReply *
rds_cmd(redisContext *c, int argc, const char **argv, char *err,
    size_t errlen)
{
	redisReply *r = redisCommandArgv(c, argc, argv, NULL);

	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		rds_error(c, r, err, errlen);
		if (r != NULL)
			freeReplyObject(r);
		return (NULL);
	}
	return (r);
}

/* rds_simple - run one command that must not answer an error; 0 or -1 */
static int
rds_simple(redisContext *c, int argc, const char **argv, char *err,
    size_t errlen)
{
	redisReply *r = rds_cmd(c, argc, argv, err, errlen);

	if (r == NULL)
		return (-1);
	freeReplyObject(r);
	return (0);
}

/* rds_setup - AUTH (unless the Sentinel look-up sent it) and SELECT on
 * a new context; 0 or -1 with ERR */
static int
rds_setup(struct rds_pool *pool, redisContext *c, char *err, size_t errlen)
{
	char	db[16];
	const char *auth[3] = { "AUTH", pool->username != NULL ?
	    pool->username : pool->password, pool->password };
	const char *sel[2] = { "SELECT", db };

	snprintf(db, sizeof(db), "%d", pool->database);
	if (pool->password != NULL && pool->nsentinels == 0 &&
	    rds_simple(c, pool->username != NULL ? 3 : 2, auth, err,
	    errlen) != 0)
		return (-1);
	if (pool->database != 0 && rds_simple(c, 2, sel, err, errlen) != 0)
		return (-1);
	return (0);
}

/* rds_say - tell the daemon (it logs); WARN: something failed */
static void
rds_say(struct rds_pool *pool, int warn, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
rds_say(struct rds_pool *pool, int warn, const char *fmt, ...)
{
	char	msg[800];
	va_list	ap;

	if (pool->say == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pool->say(warn, msg, pool->say_arg);
}

/* rds_flush - take the idle contexts out of POOL (locked) into V */
static size_t
rds_flush(struct rds_pool *pool, redisContext **v)
{
	size_t	n = pool->nidle;

	memcpy(v, pool->idle, n * sizeof(*v));
	pool->nidle = 0;
	return (n);
}

/* rds_forget - the master POOL knew (generation GEN) is not to be
 * trusted any more: close the idle contexts, look it up next time */
static void
rds_forget(struct rds_pool *pool, unsigned gen, const char *why)
{
	redisContext *v[RDS_IDLE_MAX];
	char	was[SENTINEL_HOST_MAX + 8] = "";
	size_t	n = 0, i;

	pthread_mutex_lock(&pool->lock);
	if (pool->gen == gen && !pool->stale && pool->master[0] != '\0') {
		pool->stale = 1;
		pool->gen++;
		n = rds_flush(pool, v);
		snprintf(was, sizeof(was), "%s:%d", pool->master,
		    pool->mport);
	}
	pthread_mutex_unlock(&pool->lock);
	for (i = 0; i < n; i++)
		redisFree(v[i]);
	if (was[0] != '\0')
		rds_say(pool, 1, "master %s at %s: %s; asking the Sentinels again",
		    pool->master_name, was, why);
}

/* rds_string - hiredis's string maker, noting READONLY error replies:
 * the node this context talks to is a replica now */
static void *
rds_string(const redisReadTask *task, char *str, size_t len)
{
	struct rds_pool *pool = task->privdata;
	unsigned gen;

	if (pool != NULL && task->type == REDIS_REPLY_ERROR && len >= 8 &&
	    memcmp(str, "READONLY", 8) == 0) {
		pthread_mutex_lock(&pool->lock);
		gen = pool->gen;
		pthread_mutex_unlock(&pool->lock);
		rds_forget(pool, gen, "READONLY");
	}
	return (rds_fns_string(task, str, len));
}

/* rds_hook - let C's replies tell POOL about READONLY */
static void
rds_hook(struct rds_pool *pool, redisContext *c)
{
	if (c->reader == NULL)
		return;
	pthread_mutex_lock(&rds_fns_lock);
	if (rds_fns_string == NULL) {
		rds_fns = *c->reader->fn;
		rds_fns_string = rds_fns.createString;
		rds_fns.createString = rds_string;
	}
	pthread_mutex_unlock(&rds_fns_lock);
	if (c->reader->fn->createString == rds_fns_string) {
		c->reader->fn = &rds_fns;
		c->reader->privdata = pool;
	}
}

/* rds_sconf - POOL's Sentinel settings for sentinel.c */
static void
rds_sconf(const struct rds_pool *pool, struct sentinel_conf *sc)
{
	sc->hosts = pool->shosts;
	sc->ports = pool->sports;
	sc->n = pool->nsentinels;
	sc->name = pool->master_name;
	sc->user = pool->sentinel_username;
	sc->password = pool->sentinel_password;
	sc->data_user = pool->username;
	sc->data_password = pool->password;
	sc->connect_tv = pool->connect_tv;
	sc->command_tv = pool->command_tv;
}

/* rds_watch - read the Sentinel's +switch-master messages now and then;
 * one thread at a time, the others do not wait for it */
static void
rds_watch(struct rds_pool *pool)
{
	struct sentinel_conf sc;
	char	host[SENTINEL_HOST_MAX], err[300];
	long long now = clock_mono_ms();
	unsigned gen;
	int	port, rc;

	if (pthread_mutex_trylock(&pool->watch) != 0)
		return;
	if (now < pool->sub_next_ms) {
		pthread_mutex_unlock(&pool->watch);
		return;
	}
	pool->sub_next_ms = now + RDS_WATCH_MS;
	rds_sconf(pool, &sc);
	if (pool->sub == NULL && (pool->sub = sentinel_subscribe(&sc,
	    pool->sub_idx, err, sizeof(err))) == NULL) {
		pool->sub_idx = (pool->sub_idx + 1) % pool->nsentinels;
		pool->sub_next_ms = now + RDS_REWATCH_MS;
	}
	rc = pool->sub != NULL ? sentinel_poll(pool->sub, pool->master_name,
	    host, sizeof(host), &port) : 0;
	if (rc < 0) {
		redisFree(pool->sub);
		pool->sub = NULL;
		pool->sub_idx = (pool->sub_idx + 1) % pool->nsentinels;
	}
	pthread_mutex_unlock(&pool->watch);
	if (rc == 1) {
		pthread_mutex_lock(&pool->lock);
		gen = pool->gen;
		rc = strcmp(host, pool->master) != 0 || port != pool->mport;
		pthread_mutex_unlock(&pool->lock);
		if (rc) {
			snprintf(err, sizeof(err), "+switch-master to %s:%d",
			    host, port);
			rds_forget(pool, gen, err);
		}
	}
}

/* rds_known - connect to the master POOL knows (GEN), if it still is one */
static redisContext *
rds_known(struct rds_pool *pool, const char *host, int port, unsigned gen,
    char *err, size_t errlen)
{
	redisContext *c;
	char	why[300], msg[320];
	int	rc = -1;

	if ((c = sentinel_connect(host, port, pool->username, pool->password,
	    pool->connect_tv, pool->command_tv, why, sizeof(why))) != NULL &&
	    (rc = sentinel_role(c, why, sizeof(why))) == 1)
		return (c);
	if (c != NULL)
		redisFree(c);
	snprintf(msg, sizeof(msg), "%s%s", rc == 0 ? "ROLE is " : "", why);
	snprintf(err, errlen, "%s:%d: %s", host, port, msg);
	rds_forget(pool, gen, msg);
	return (NULL);
}

/* rds_master - a context to the master: the one known while it answers
 * ROLE as such, else whom the Sentinels name (one look-up at a time; a
 * failed one is not repeated within RDS_HOLD_MS) */
static redisContext *
rds_master(struct rds_pool *pool, char *err, size_t errlen)
{
	struct sentinel_conf sc;
	struct sentinel_found f;
	redisContext *c, *v[RDS_IDLE_MAX];
	char	host[SENTINEL_HOST_MAX], old[SENTINEL_HOST_MAX + 8];
	char	why[400];
	unsigned gen;
	int	port, known;
	size_t	n = 0, i;

	pthread_mutex_lock(&pool->lock);
	known = pool->master[0] != '\0' && !pool->stale;
	snprintf(host, sizeof(host), "%s", pool->master);
	port = pool->mport;
	gen = pool->gen;
	pthread_mutex_unlock(&pool->lock);
	if (known && (c = rds_known(pool, host, port, gen, err, errlen)) !=
	    NULL)
		return (c);

	pthread_mutex_lock(&pool->look);
	pthread_mutex_lock(&pool->lock);
	/* another thread found it while this one waited */
	known = pool->gen != gen && pool->master[0] != '\0' && !pool->stale;
	snprintf(host, sizeof(host), "%s", pool->master);
	port = pool->mport;
	gen = pool->gen;
	if (!known && pool->failed[0] != '\0' &&
	    clock_mono_ms() - pool->failed_ms < RDS_HOLD_MS) {
		snprintf(err, errlen, "%s", pool->failed);
		pthread_mutex_unlock(&pool->lock);
		pthread_mutex_unlock(&pool->look);
		return (NULL);
	}
	pthread_mutex_unlock(&pool->lock);
	if (known) {
		pthread_mutex_unlock(&pool->look);
		return (rds_known(pool, host, port, gen, err, errlen));
	}
	rds_sconf(pool, &sc);
	c = sentinel_find(&sc, pool->via, &f, why, sizeof(why));
	pthread_mutex_lock(&pool->lock);
	if (c == NULL) {
		snprintf(pool->failed, sizeof(pool->failed), "no master %s: %s",
		    pool->master_name, why);
		pool->failed_ms = clock_mono_ms();
		snprintf(err, errlen, "%s", pool->failed);
	} else {
		snprintf(old, sizeof(old), "%s:%d", pool->master, pool->mport);
		known = strcmp(pool->master, f.host) == 0 &&
		    pool->mport == f.port;
		snprintf(pool->master, sizeof(pool->master), "%s", f.host);
		pool->mport = f.port;
		pool->via = f.via;
		pool->stale = 0;
		pool->gen++;
		pool->failed[0] = '\0';
		if (!known)
			n = rds_flush(pool, v);
	}
	pthread_mutex_unlock(&pool->lock);
	pthread_mutex_unlock(&pool->look);
	for (i = 0; i < n; i++)
		redisFree(v[i]);
	if (c != NULL && !known)
		rds_say(pool, 0, "master %s is %s:%d, named by sentinel %s:%d and "
		    "confirmed by ROLE%s%s", pool->master_name, f.host, f.port,
		    pool->shosts[f.via], pool->sports[f.via],
		    old[0] != ':' ? "; it was " : "", old[0] != ':' ? old : "");
	return (c);
}

/* rds_get - an idle context, or a new one connected within the timeout */
redisContext *
rds_get(struct rds_pool *pool, int *fresh, char *err, size_t errlen)
{
	redisContext *c = NULL;
	char	why[600] = "";

	if (pool->nsentinels > 0)
		rds_watch(pool);
	pthread_mutex_lock(&pool->lock);
	if (pool->nidle > 0)
		c = pool->idle[--pool->nidle];
	pthread_mutex_unlock(&pool->lock);
	if (c != NULL) {
		*fresh = 0;
		return (c);
	}
	*fresh = 1;
	if (pool->nsentinels > 0) {
		if ((c = rds_master(pool, why, sizeof(why))) == NULL) {
			snprintf(err, errlen, "connect %s: %s", pool->desc,
			    why);
			return (NULL);
		}
	} else if (pool->socket != NULL)
		c = redisConnectUnixWithTimeout(pool->socket, pool->connect_tv);
	else
		c = redisConnectWithTimeout(pool->host ? pool->host :
		    "127.0.0.1", pool->port, pool->connect_tv);
	if (c == NULL) {
		snprintf(err, errlen, "connect %s: out of memory", pool->desc);
		return (NULL);
	}
	if (c->err != 0) {
		rds_error(c, NULL, why, sizeof(why));
		snprintf(err, errlen, "connect %s: %s", pool->desc, why);
		redisFree(c);
		return (NULL);
	}
	if (redisSetTimeout(c, pool->command_tv) != REDIS_OK ||
	    rds_setup(pool, c, why, sizeof(why)) != 0) {
		if (why[0] == '\0')
			rds_error(c, NULL, why, sizeof(why));
		snprintf(err, errlen, "connect %s: %s", pool->desc, why);
		redisFree(c);
		return (NULL);
	}
	if (pool->nsentinels > 0)
		rds_hook(pool, c);
	return (c);
}

/* rds_current - does C talk to the master POOL (locked) trusts? */
static int
rds_current(const struct rds_pool *pool, const redisContext *c)
{
	if (pool->nsentinels == 0)
		return (1);
	return (!pool->stale && c->tcp.host != NULL &&
	    strcmp(c->tcp.host, pool->master) == 0 &&
	    c->tcp.port == pool->mport);
}

/* rds_put - keep a healthy context for the next borrower */
void
rds_put(struct rds_pool *pool, redisContext *c, int broken)
{
	unsigned gen;
	int	current;

	if (c == NULL)
		return;
	/* a connection to the master that failed: look it up again */
	if (pool->nsentinels > 0 && c->err != 0) {
		pthread_mutex_lock(&pool->lock);
		gen = pool->gen;
		current = rds_current(pool, c);
		pthread_mutex_unlock(&pool->lock);
		if (current)
			rds_forget(pool, gen, c->errstr[0] ? c->errstr :
			    "connection broken");
	}
	if (!broken && c->err == 0) {
		pthread_mutex_lock(&pool->lock);
		if (pool->nidle < RDS_IDLE_MAX && rds_current(pool, c)) {
			pool->idle[pool->nidle++] = c;
			c = NULL;
		}
		pthread_mutex_unlock(&pool->lock);
	}
	if (c != NULL)
		redisFree(c);
}

/* rds_pool_say - call FN with a line for the log when the master changes
 * or is looked up again */
void
rds_pool_say(struct rds_pool *pool,
    void (*fn)(int warn, const char *msg, void *arg), void *arg)
{
	pool->say = fn;
	pool->say_arg = arg;
}

/* rds_where - where the pool connects now, and who said so */
void
rds_where(struct rds_pool *pool, char *buf, size_t len)
{
	if (pool->nsentinels == 0) {
		snprintf(buf, len, "%s", pool->desc);
		return;
	}
	pthread_mutex_lock(&pool->lock);
	if (pool->master[0] == '\0')
		snprintf(buf, len, "master %s (not found yet)",
		    pool->master_name);
	else
		snprintf(buf, len, "%s:%d (master %s%s, named by sentinel "
		    "%s:%d)", pool->master, pool->mport, pool->master_name,
		    pool->stale ? ", being looked up again" : "",
		    pool->shosts[pool->via], pool->sports[pool->via]);
	pthread_mutex_unlock(&pool->lock);
}

/* rds_head - write "<TYPE><N>\r\n" at P (printf costs ~700
 * instructions a call here); returns the length */
static size_t
rds_head(char *p, char type, size_t n)
{
	char	digits[24];
	size_t	nd = 0, len = 0;

	do
		digits[nd++] = (char)('0' + n % 10);
	while ((n /= 10) > 0);
	p[len++] = type;
	while (nd > 0)
		p[len++] = digits[--nd];
	p[len++] = '\r';
	p[len++] = '\n';
	return (len);
}

/* rds_append - queue one command of ARGC strings on C (send it with
 * redisGetReply); 0 or -1.  hiredis's own argv formatter runs a printf-like
 * routine per argument, which cost more than the rest of the milter's
 * hand-off for its ~47 arguments. */
int
rds_append(redisContext *c, int argc, const char **argv)
{
	size_t	*len, total = 16, off;
	char	*buf;
	int	i, rc;

	if ((len = malloc((size_t)argc * sizeof(*len))) == NULL)
		return (-1);
	for (i = 0; i < argc; i++) {
		len[i] = strlen(argv[i]);
		total += len[i] + 24;
	}
	if ((buf = malloc(total)) == NULL) {
		free(len);
		return (-1);
	}
	off = rds_head(buf, '*', (size_t)argc);
	for (i = 0; i < argc; i++) {
		off += rds_head(buf + off, '$', len[i]);
		memcpy(buf + off, argv[i], len[i]);
		off += len[i];
		buf[off++] = '\r';
		buf[off++] = '\n';
	}
	rc = redisAppendFormattedCommand(c, buf, off);
	free(buf);
	free(len);
	return (rc == REDIS_OK ? 0 : -1);
}

/* rds_pipe - append them all, then read every answer; the first error
 * is the one reported */
int
rds_pipe(redisContext *c, int n, const int *argcs,
    const char *const *argvs[], char *err, size_t errlen)
{
	redisReply *r;
	int	i, rc = 0;

	for (i = 0; i < n; i++)
		if (rds_append(c, argcs[i], (const char **)argvs[i]) != 0) {
			snprintf(err, errlen, "out of memory");
			return (-1);	/* the caller drops the connection */
		}
	for (i = 0; i < n; i++) {
		r = NULL;
		if (redisGetReply(c, (void **)&r) != REDIS_OK || r == NULL) {
			rds_error(c, r, err, errlen);
			return (-1);
		}
		if (r->type == REDIS_REPLY_ERROR && rc == 0) {
			rds_error(c, r, err, errlen);
			rc = -1;
		}
		freeReplyObject(r);
	}
	return (rc);
}
