/* openlook.h - the one Redis read flows may need: whether a customer has
 * an open interaction at the address (open_interaction), asked only for
 * recipients whose flow uses that condition. */
#ifndef MAILACD_OPENLOOK_H
#define MAILACD_OPENLOOK_H

#include <stddef.h>

#include "inbound.h"
#include "rds.h"
#include "shard.h"

/* openlook_run - set OPEN (1 or 0) of each recipient of M that
 * inb_needs_open asks about, one mailacd_open_find per recipient on
 * its organisation's pool of SH;
 * RDS_OK, or RDS_RETRY with ERR (those recipients stay -1: not known) */
int	openlook_run(struct shard *sh, struct inb_msg *m, char *err,
	    size_t errlen);

#endif
