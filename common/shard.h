/* shard.h - one Redis connection pool per Redis group of a configuration
 * (the top-level redis group and each organisation's own redis), and the
 * choice of pool by organisation.
 *
 * Every key of an organisation lives under its hash tag mailacd:{ORG}:,
 * and no command or library function touches two organisations, so an
 * organisation's work needs only its own group's pool.  The groups are
 * decided by the configuration loader (cfg->groups, org->group); this
 * module only holds their pools.  Nothing here logs. */
#ifndef MAILACD_SHARD_H
#define MAILACD_SHARD_H

#include <stddef.h>

#include "cfg.h"
#include "rds.h"

struct shard;

/* shard_new - for each Redis group of CFG a pool and a view of CFG that
 * lists the group's organisations (cfg_view; with SERVED only those the
 * router serves); the views hold references on CFG.  NULL on memory
 * shortage.  Connections are made on demand. */
struct shard *shard_new(struct cfg *cfg, int served);

/* shard_free - free every pool (see rds_pool_free).  Accepts NULL. */
void	shard_free(struct shard *sh);

/* shard_count - how many groups (at least 1) */
size_t	shard_count(const struct shard *sh);

/* shard_at - the pool of group I (< shard_count) */
struct rds_pool *shard_at(const struct shard *sh, size_t i);

/* shard_view - the view of group I: CFG with only its organisations and
 * its redis settings (owned by the set) */
struct cfg *shard_view(const struct shard *sh, size_t i);

/* shard_pool - the pool of organisation O's group; group 0 (the top-level
 * redis) for NULL */
struct rds_pool *shard_pool(const struct shard *sh, const struct cfg_org *o);

/* shard_say - rds_pool_say on every pool */
void	shard_say(struct shard *sh,
		    void (*fn)(int warn, const char *msg, void *arg), void *arg);

#endif
