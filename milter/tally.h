/* tally.h - the milter's counters of what it decided (tempfailed, mail
 * loops, outbound signed and refused), kept in the process and added to
 * each organisation's counters hash in Redis about once a second. */
#ifndef MAILACD_TALLY_H
#define MAILACD_TALLY_H

#include <stddef.h>

#include <hiredis.h>

#include "cfg.h"

/* What is counted: the fields of mailacd:{ORG}:counters (keys.h). */
enum tally_what {
	TALLY_TEMPFAILED = 0,
	TALLY_LOOPS,
	TALLY_SIGNED,
	TALLY_REFUSED,
	TALLY_N
};

/* tally_add - one more WHAT for organisation ORG; thread-safe, no I/O.
 * A count that cannot be kept (memory) is lost, never the message. */
void	tally_add(const char *org, enum tally_what what);

/* tally_flush - add what was counted since the last flush for the
 * organisations of CFG (NULL: all; one Redis group's, see cfg_view) to
 * Redis over C in one pipeline of HINCRBY; 0 (what Redis acknowledged is no longer
 * pending), or -1 with ERR (it stays pending for the next flush: a count
 * made while Redis is down arrives when it is back).  An answer lost on
 * the way may make a count arrive twice. */
int	tally_flush(redisContext *c, const struct cfg *cfg, char *err,
	    size_t errlen);

/* tally_pending - how many counts of organisation ORG (NULL: all) wait
 * for a flush */
long long tally_pending(const char *org);

#endif
