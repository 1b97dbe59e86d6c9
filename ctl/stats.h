/* stats.h - "mailacdctl stats": the queues' statistics over days or
 * hours. */
#ifndef MAILACD_STATS_H
#define MAILACD_STATS_H

#include "ctl.h"

/* stats_cmd - "stats [--queue Q] [--from DAY] [--to DAY] [--by hour|day]
 * [-o ORG] [--json]"; the exit status */
int	stats_cmd(struct ctl *ctl, int argc, char **argv);

#endif
