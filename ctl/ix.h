/* ix.h - "mailacdctl interaction ...": one interaction's record, closing
 * and transferring it. */
#ifndef MAILACD_IX_H
#define MAILACD_IX_H

#include "ctl.h"

/* ix_cmd - "interaction show ID", "interaction close ID", "interaction
 * transfer ID QUEUE"; the exit status */
int	ix_cmd(struct ctl *ctl, int argc, char **argv);

#endif
