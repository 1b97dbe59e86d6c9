/* ix.h - "mailacdctl interaction ...": one interaction's record. */
#ifndef MAILACD_IX_H
#define MAILACD_IX_H

#include "ctl.h"

/* ix_cmd - "interaction show ID"; the exit status */
int	ix_cmd(struct ctl *ctl, int argc, char **argv);

#endif
