/* rds.h - Redis connections for the daemons: a small thread-safe pool of
 * hiredis contexts with AUTH, SELECT and bounded timeouts, to one address
 * or to the master that Redis Sentinel names (sentinel.h).
 *
 * Lookups that can fail for a reason outside us answer RDS_OK,
 * RDS_NOTFOUND or RDS_RETRY; "Redis down" is always RDS_RETRY, never
 * "not found".  Errors go to the caller's buffer; nothing here logs. */
#ifndef MAILACD_RDS_H
#define MAILACD_RDS_H

#include <stddef.h>

#include <hiredis.h>

#include "cfg.h"

#define RDS_OK		0
#define RDS_NOTFOUND	1
#define RDS_RETRY	2

struct rds_pool;

/* rds_pool_new - a pool for the Redis described by RC (copied); NULL on
 * memory shortage.  Connections are made on demand. */
struct rds_pool *rds_pool_new(const struct cfg_redis *rc);

/* rds_pool_free - close idle connections and free the pool; every borrowed
 * connection must have been returned.  Accepts NULL. */
void	rds_pool_free(struct rds_pool *pool);

/* rds_get - borrow a connected context (new or idle); NULL with a reason in
 * ERR when Redis cannot be reached.  *FRESH tells whether it was just made. */
redisContext *rds_get(struct rds_pool *pool, int *fresh, char *err,
		    size_t errlen);

/* rds_put - return a borrowed context; BROKEN ones are closed instead */
void	rds_put(struct rds_pool *pool, redisContext *c, int broken);

/* rds_describe - "host:port", the socket path or "master NAME" (with
 * redis.sentinels), for log lines; constant for the pool's life */
const char *rds_describe(const struct rds_pool *pool);

/* rds_where - where POOL connects now into BUF: with redis.sentinels the
 * master's address and the Sentinel that named it */
void	rds_where(struct rds_pool *pool, char *buf, size_t len);

/* rds_pool_say - have FN(WARN, MSG, ARG) called with a line for the log
 * when the Sentinels name a new master (WARN 0) or the pool stops trusting
 * the one it knew (WARN 1: connection lost, READONLY, +switch-master); FN
 * must be thread-safe.  Set it before the pool is shared. */
void	rds_pool_say(struct rds_pool *pool,
		    void (*fn)(int warn, const char *msg, void *arg), void *arg);

/* rds_error - describe a failed context or error reply into ERR */
void	rds_error(redisContext *c, redisReply *r, char *err, size_t errlen);

/* rds_cmd - run one command of ARGC strings; the reply (the caller frees
 * it), or NULL with ERR on a broken connection or an error reply */
redisReply *rds_cmd(redisContext *c, int argc, const char **argv, char *err,
		    size_t errlen);

/* rds_append - queue one command of ARGC NUL-terminated strings on C, in
 * one buffer (pipelining: read the answer with redisGetReply); 0 or -1 */
int	rds_append(redisContext *c, int argc, const char **argv);

/* rds_pipe - send the N commands (ARGCS[i] strings in ARGVS[i]) on C at
 * once and check every answer; 0, or -1 with ERR (the first error) */
int	rds_pipe(redisContext *c, int n, const int *argcs,
		    const char *const *argvs[], char *err, size_t errlen);


#endif
