/* ix.h - "mailacdctl interaction ...": one interaction's record, closing
 * and transferring it, sending it a standard response. */
#ifndef MAILACD_IX_H
#define MAILACD_IX_H

#include "ctl.h"

/* ix_cmd - "interaction show ID", "interaction close ID", "interaction
 * transfer ID QUEUE", "interaction priority ID N", "interaction respond
 * ID NAME"; the exit status */
int	ix_cmd(struct ctl *ctl, int argc, char **argv);

#endif
