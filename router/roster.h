/* roster.h - write the configuration's queues and agents to Redis. */
#ifndef MAILACD_ROSTER_H
#define MAILACD_ROSTER_H

#include <stddef.h>

#include <hiredis.h>

#include "cfg.h"

/* roster_sync - for every organisation, one mailacd_sync call: queue
 * settings and agent profiles written, presence and load kept, agents no
 * longer configured taken off; ready agents take waiting work.  *N counts
 * the assignments made.  0, or -1 with ERR. */
int	roster_sync(redisContext *c, const struct cfg *cfg, int *n,
		    char *err, size_t errlen);

#endif
