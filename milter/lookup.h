/* lookup.h - the outbound path's Redis lookups (struct out_lookup) over a
 * connection pool: reply.c's and gate.c's, as outbound.c calls them. */
#ifndef MAILACD_LOOKUP_H
#define MAILACD_LOOKUP_H

#include "outbound.h"
#include "shard.h"

/* lookup_redis - L reaches each organisation's Redis through SH (which
 * must outlive L); ORG (or NULL) names the Redis in L's log lines */
void	lookup_redis(struct out_lookup *l, struct shard *sh,
		    const struct cfg_org *org);

#endif
