/* status.h - "mailacdctl status": one summary per organisation. */
#ifndef MAILACD_STATUS_H
#define MAILACD_STATUS_H

#include "ctl.h"

/* status_show - waiting, assigned, agents, dead-lettered, ingest backlog
 * and the queue table of every organisation (or of -o) on ctl->out, as
 * text or JSON; the exit status */
int	status_show(struct ctl *ctl);

/* status_cmd - "status"; the exit status */
int	status_cmd(struct ctl *ctl, int argc, char **argv);

#endif
