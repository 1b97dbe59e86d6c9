/* status.h - "mailacdctl status": one summary per organisation. */
#ifndef MAILACD_STATUS_H
#define MAILACD_STATUS_H

#include "ctl.h"

/* status_cmd - waiting, dead-lettered, ingest backlog per organisation */
int	status_cmd(struct ctl *ctl, int argc, char **argv);

#endif
