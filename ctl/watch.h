/* watch.h - "mailacdctl watch": the status, redrawn until interrupted. */
#ifndef MAILACD_WATCH_H
#define MAILACD_WATCH_H

#include "ctl.h"

/* watch_cmd - "watch" with ctl->interval and ctl->count; 0 when the
 * count is reached or SIGINT or SIGTERM arrives */
int	watch_cmd(struct ctl *ctl, int argc, char **argv);

#endif
