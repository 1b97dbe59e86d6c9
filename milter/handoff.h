/* handoff.h - hand a message's interactions to Redis, idempotently. */
#ifndef MAILACD_HANDOFF_H
#define MAILACD_HANDOFF_H

#include <stddef.h>

#include "inbound.h"
#include "rds.h"
#include "shard.h"

/* handoff_send - record every interaction of M (decided by inb_decide)
 * in one round trip.  On RDS_OK each rcpt's id is the one Redis holds (an
 * earlier attempt's id when the MTA retried: marked retried; the answered
 * interaction's id for a reply, the open one when merged; a recipient over
 * milter.sender_rate_limit is marked limited), and stored copies are
 * written for forward queues.  RDS_RETRY with a reason in ERR when Redis
 * cannot take it (down, slow, refused; *WHERE names that Redis).  Each
 * recipient goes to the pool of its organisation's group in SH.  Nothing
 * is decided here: the message is serialised and the replies parsed. */
int	handoff_send(struct shard *sh, struct inb_msg *m,
		    const struct cfg *cfg, const char **where, char *err,
		    size_t errlen);

#endif
