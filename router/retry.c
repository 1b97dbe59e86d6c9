/* retry.c - forward mode's retry policy: exponential back-off between
 * delivery.retry_min and retry_max, delivery.max_attempts tries, none
 * after a refusal for good.  The delivery thread (deliver.c) asks it after
 * every failed submission and records the answer in the interaction. */
#include "retry.h"

/* retry_wait_ms - retry_min, doubled ATTEMPTS - 1 times, capped */
long long
retry_wait_ms(const struct cfg_delivery *dc, long long attempts)
{
	long long s = dc->retry_min > 0 ? dc->retry_min : 1;
	long long max = dc->retry_max > s ? dc->retry_max : s;

	while (--attempts > 0 && s < max)
		s *= 2;
	return ((s < max ? s : max) * 1000);
}

/* retry_plan - the wait, its time, and whether this was the last try */
void
retry_plan(const struct cfg_delivery *dc, long long attempts,
    enum retry_class cls, long long now, struct retry_plan *p)
{
	p->wait_ms = retry_wait_ms(dc, attempts);
	p->at = now + p->wait_ms;
	p->max = dc->max_attempts > 0 ? dc->max_attempts : 1;
	p->give_up = cls == RETRY_PERM || attempts >= p->max;
}
