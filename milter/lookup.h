/* lookup.h - the outbound path's Redis lookups (struct out_lookup) over a
 * connection pool: reply.c's and gate.c's, as outbound.c calls them. */
#ifndef MAILACD_LOOKUP_H
#define MAILACD_LOOKUP_H

#include "outbound.h"
#include "rds.h"

/* lookup_redis - L reaches Redis through POOL (which must outlive L) */
void	lookup_redis(struct out_lookup *l, struct rds_pool *pool);

#endif
