/* flowtest.h - "mailacdctl flow test": the dry run of a flow. */
#ifndef MAILACD_FLOWTEST_H
#define MAILACD_FLOWTEST_H

#include "ctl.h"

/* flowtest_cmd - "flow test [-f sender] [-t time] ADDRESS < message":
 * which rules match, the language detected, the schedules' state and the
 * resulting route, as text or JSON; nothing is read from or written to
 * Redis.  The exit status */
int	flowtest_cmd(struct ctl *ctl, int argc, char **argv);

#endif
