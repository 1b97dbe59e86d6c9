/* clock.c - the wall clock and the monotonic clock in milliseconds. */
#include <time.h>

#include "clock.h"

/* clock_read - clock ID in milliseconds */
static long long
clock_read(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* clock_ms - CLOCK_REALTIME in milliseconds */
long long
clock_ms(void)
{
	return (clock_read(CLOCK_REALTIME));
}

/* clock_mono_ms - CLOCK_MONOTONIC in milliseconds */
long long
clock_mono_ms(void)
{
	return (clock_read(CLOCK_MONOTONIC));
}
