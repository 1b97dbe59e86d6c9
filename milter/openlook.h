/* openlook.h - the one Redis read flows may need: whether a customer has
 * an open interaction at the address (open_interaction), asked only for
 * recipients whose flow uses that condition. */
#ifndef MAILACD_OPENLOOK_H
#define MAILACD_OPENLOOK_H

#include <stddef.h>

#include "inbound.h"
#include "rds.h"

/* openlook_run - set OPEN (1 or 0) of each recipient of M that
 * inb_needs_open asks about, one mailacd_open_find per recipient;
 * RDS_OK, or RDS_RETRY with ERR (those recipients stay -1: not known) */
int	openlook_run(struct rds_pool *pool, struct inb_msg *m, char *err,
	    size_t errlen);

#endif
