/* retry.h - forward mode's retry policy: after a failed submission, when
 * to try again or whether to give up.  A pure function of its arguments:
 * no clock, no I/O. */
#ifndef MAILACD_RETRY_H
#define MAILACD_RETRY_H

#include "cfg.h"

/* How a submission failed. */
enum retry_class {
	RETRY_TEMP,	/* try again later (4xx, no answer, out of memory) */
	RETRY_PERM	/* refused for good (5xx, an agent we do not know) */
};

/* What to do after a failed attempt. */
struct retry_plan {
	long long wait_ms;	/* from the failure to the next try */
	long long at;		/* its wall-clock time: NOW + WAIT_MS; the
				   interaction's delivery_next, also when
				   giving up */
	long long max;		/* attempts allowed, delivery.max_attempts */
	int	give_up;	/* no more tries: back to the queue */
};

/* retry_wait_ms - the wait after failed attempt ATTEMPTS (1 the first):
 * delivery.retry_min doubling at each attempt, at most retry_max, at
 * least a second */
long long retry_wait_ms(const struct cfg_delivery *dc, long long attempts);

/* retry_plan - after failed attempt ATTEMPTS (1 the first) of class CLS at
 * NOW (wall ms), by the policy of DC: give up when the refusal was for
 * good or the attempts are used up, else try again at P->at */
void	retry_plan(const struct cfg_delivery *dc, long long attempts,
		    enum retry_class cls, long long now, struct retry_plan *p);

#endif
