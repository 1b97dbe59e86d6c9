/* shard.c - a Redis pool per Redis group, chosen by organisation.
 *
 * Organisations that name the same Redis share one group (the loader
 * compares their settings), so a provider that spreads two thousand
 * organisations over four Redis masters holds four pools, not two
 * thousand.  Each pool fails and recovers on its own: Redis down for one
 * group leaves the others' mail flowing. */
#include <stdlib.h>

#include "shard.h"

struct shard {
	struct rds_pool **pools;
	struct cfg **views;
	size_t	n;
};

/* shard_new - one pool and one view per group of CFG */
struct shard *
shard_new(struct cfg *cfg, int served)
{
	struct shard *sh;
	size_t	i, n = cfg->ngroups;

	if (n == 0 || (sh = calloc(1, sizeof(*sh))) == NULL)
		return (NULL);
	if ((sh->pools = calloc(n, sizeof(*sh->pools))) == NULL ||
	    (sh->views = calloc(n, sizeof(*sh->views))) == NULL) {
		free(sh->pools);
		free(sh);
		return (NULL);
	}
	sh->n = n;
	for (i = 0; i < n; i++)
		if ((sh->pools[i] = rds_pool_new(cfg->groups[i])) == NULL ||
		    (sh->views[i] = cfg_view(cfg, i, served)) == NULL) {
			shard_free(sh);
			return (NULL);
		}
	return (sh);
}

/* shard_free - every pool, then the set */
void
shard_free(struct shard *sh)
{
	size_t	i;

	if (sh == NULL)
		return;
	for (i = 0; i < sh->n; i++) {
		rds_pool_free(sh->pools[i]);
		cfg_unref(sh->views[i]);
	}
	free(sh->pools);
	free(sh->views);
	free(sh);
}

/* shard_count - the number of groups */
size_t
shard_count(const struct shard *sh)
{
	return (sh->n);
}

/* shard_at - group I's pool */
struct rds_pool *
shard_at(const struct shard *sh, size_t i)
{
	return (sh->pools[i < sh->n ? i : 0]);
}

/* shard_view - group I's view */
struct cfg *
shard_view(const struct shard *sh, size_t i)
{
	return (sh->views[i < sh->n ? i : 0]);
}

/* shard_pool - the pool of O's group */
struct rds_pool *
shard_pool(const struct shard *sh, const struct cfg_org *o)
{
	return (shard_at(sh, o != NULL ? o->group : 0));
}

/* shard_say - the same log hook on every pool */
void
shard_say(struct shard *sh, void (*fn)(int warn, const char *msg, void *arg),
    void *arg)
{
	size_t	i;

	for (i = 0; i < sh->n; i++)
		rds_pool_say(sh->pools[i], fn, arg);
}
