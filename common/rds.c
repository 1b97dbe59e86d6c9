/* rds.c - a thread-safe pool of hiredis connections with bounded timeouts.
 *
 * libmilter runs one thread per SMTP connection and a hiredis context is not
 * thread-safe, so each thread borrows a context for one exchange and gives
 * it back.  A context that failed is closed, never reused: the next borrower
 * reconnects, which is how we come back after a Redis restart. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>


#include "rds.h"

#define RDS_IDLE_MAX	64	/* idle contexts kept; more are closed */

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
};

/* rds_tv - milliseconds to a timeval */
static struct timeval
rds_tv(int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return (tv);
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
	pool->port = rc->port;
	pool->database = rc->database;
	pool->connect_tv = rds_tv(rc->connect_timeout_ms);
	pool->command_tv = rds_tv(rc->command_timeout_ms);
	if (pool->socket != NULL)
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

/* rds_setup - AUTH and SELECT on a new context; 0 or -1 with ERR */
static int
rds_setup(struct rds_pool *pool, redisContext *c, char *err, size_t errlen)
{
	char	db[16];
	const char *auth[2] = { "AUTH", pool->password };
	const char *sel[2] = { "SELECT", db };

	snprintf(db, sizeof(db), "%d", pool->database);
	if (pool->password != NULL && rds_simple(c, 2, auth, err, errlen) != 0)
		return (-1);
	if (pool->database != 0 && rds_simple(c, 2, sel, err, errlen) != 0)
		return (-1);
	return (0);
}

/* rds_get - an idle context, or a new one connected within the timeout */
redisContext *
rds_get(struct rds_pool *pool, int *fresh, char *err, size_t errlen)
{
	redisContext *c = NULL;
	char	why[200] = "";

	pthread_mutex_lock(&pool->lock);
	if (pool->nidle > 0)
		c = pool->idle[--pool->nidle];
	pthread_mutex_unlock(&pool->lock);
	if (c != NULL) {
		*fresh = 0;
		return (c);
	}
	*fresh = 1;
	if (pool->socket != NULL)
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
	return (c);
}

/* rds_put - keep a healthy context for the next borrower */
void
rds_put(struct rds_pool *pool, redisContext *c, int broken)
{
	if (c == NULL)
		return;
	if (!broken && c->err == 0) {
		pthread_mutex_lock(&pool->lock);
		if (pool->nidle < RDS_IDLE_MAX) {
			pool->idle[pool->nidle++] = c;
			c = NULL;
		}
		pthread_mutex_unlock(&pool->lock);
	}
	if (c != NULL)
		redisFree(c);
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
