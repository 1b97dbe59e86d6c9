/* deliver.h - forward mode: a thread of mailacd-router that resends the
 * customers' stored messages to the agents their interactions are
 * assigned to, through the relay of delivery.relay. */
#ifndef MAILACD_DELIVER_H
#define MAILACD_DELIVER_H

#include "cfg.h"

/* deliver_needed - 1 when a queue of CFG is in forward mode */
int	deliver_needed(const struct cfg *cfg);

/* deliver_start - start a delivery thread with its own reference on CFG
 * and its own Redis connections, reading the deliver streams of CFG's
 * organisations as CONSUMER (copied) of the group "routers"; once for each
 * Redis group (CFG: its view, cfg_view); curl_global_init() must have run.
 * 0 started, 1 not needed (no queue in forward mode), -1 not started
 * (logged).  Call from one thread at a time. */
int	deliver_start(struct cfg *cfg, const char *consumer);

/* deliver_stop - stop the threads and wait for them: within about
 * router.block_ms + redis.command_timeout_ms (a submission in progress is
 * aborted and stays due).  Nothing happens when it does not run. */
void	deliver_stop(void);

#endif
