/* retry_test - forward mode's retry policy: the back-off from retry_min
 * doubling up to retry_max, the time of the next try, giving up after
 * max_attempts or at once after a refusal for good, and the settings'
 * edges. */
#include <string.h>

#include "cfg.h"
#include "retry.h"
#include "tap.h"

/* policy - a delivery section with these settings */
static struct cfg_delivery
policy(int min, int max, int attempts)
{
	struct cfg_delivery dc;

	memset(&dc, 0, sizeof(dc));
	dc.retry_min = min;
	dc.retry_max = max;
	dc.max_attempts = attempts;
	return (dc);
}

int
main(void)
{
	/* the defaults: 60 s doubling to an hour, ten tries */
	struct cfg_delivery dc = policy(60, 3600, 10);
	static const long long want[] = { 60, 120, 240, 480, 960, 1920, 3600,
	    3600, 3600, 3600 };
	const long long now = 1800000000000LL;
	struct retry_plan p;
	long long a;

	for (a = 1; a <= 10; a++)
		is_int(retry_wait_ms(&dc, a), want[a - 1] * 1000,
		    "defaults: wait after attempt %lld", a);
	is_int(retry_wait_ms(&dc, 1000000), 3600000,
	    "a huge attempt count stays at retry_max");
	is_int(retry_wait_ms(&dc, 0), 60000,
	    "attempt 0 (a count Redis lost) waits retry_min");

	retry_plan(&dc, 1, RETRY_TEMP, now, &p);
	is_int(p.give_up, 0, "a first temporary failure is tried again");
	is_int(p.wait_ms, 60000, "  after retry_min");
	is_int(p.at, now + 60000, "  at now + the wait (wall ms)");
	is_int(p.max, 10, "  of max_attempts tries");
	retry_plan(&dc, 9, RETRY_TEMP, now, &p);
	is_int(p.give_up, 0, "attempt 9 of 10 is tried again");
	retry_plan(&dc, 10, RETRY_TEMP, now, &p);
	is_int(p.give_up, 1, "attempt 10 of 10 is the last");
	is_int(p.at, now + 3600000, "  the time still says when a try "
	    "would have been (delivery_next)");
	retry_plan(&dc, 11, RETRY_TEMP, now, &p);
	is_int(p.give_up, 1, "beyond max_attempts: given up");
	retry_plan(&dc, 1, RETRY_PERM, now, &p);
	is_int(p.give_up, 1, "a refusal for good gives up at the first "
	    "attempt");
	is_int(p.at, now + 60000, "  with the time computed all the same");

	dc = policy(1, 1, 1);
	retry_plan(&dc, 1, RETRY_TEMP, now, &p);
	is_int(p.give_up, 1, "max_attempts 1: the first failure is the last");
	is_int(p.wait_ms, 1000, "retry_min = retry_max = 1: a second");
	dc = policy(0, 0, 0);
	retry_plan(&dc, 1, RETRY_TEMP, now, &p);
	is_int(p.wait_ms, 1000, "unset settings: at least a second");
	is_int(p.max, 1, "  and one attempt");
	is_int(p.give_up, 1, "  after which it gives up");
	dc = policy(300, 60, 5);
	is_int(retry_wait_ms(&dc, 1), 300000,
	    "retry_max below retry_min: retry_min");
	is_int(retry_wait_ms(&dc, 4), 300000, "  at every attempt");
	dc = policy(86400, 86400, 1000);
	is_int(retry_wait_ms(&dc, 1000), 86400000LL,
	    "the largest settings do not overflow");
	dc = policy(7, 100, 5);
	is_int(retry_wait_ms(&dc, 4), 56000, "7 s doubled three times");
	is_int(retry_wait_ms(&dc, 5), 100000, "  then capped at 100 s, "
	    "not rounded to a power of two");
	return (done_testing());
}
