/* clock_test - the two clocks: the wall clock agrees with time(), both
 * advance across a sleep by about its length, the monotonic one never goes
 * back. */
#include <time.h>

#include "clock.h"
#include "tap.h"

int
main(void)
{
	struct timespec nap = { 0, 50 * 1000000L };
	long long w0, w1, m0, m1, prev, t;
	time_t	s0, s1;
	int	i, back = 0;

	s0 = time(NULL);
	w0 = clock_ms();
	s1 = time(NULL);
	ok(w0 / 1000 >= (long long)s0 && w0 / 1000 <= (long long)s1,
	    "clock_ms is time() in milliseconds (%lld ms, %lld s)", w0,
	    (long long)s0);
	ok(w0 > 1700000000000LL && w0 < 100000000000000LL,
	    "  milliseconds since 1970, not seconds or microseconds (%lld)",
	    w0);
	m0 = clock_mono_ms();
	nanosleep(&nap, NULL);
	w1 = clock_ms();
	m1 = clock_mono_ms();
	ok(m1 - m0 >= 50 && m1 - m0 < 5000,
	    "clock_mono_ms advances by a 50 ms sleep (%lld ms)", m1 - m0);
	ok(w1 - w0 >= 40 && w1 - w0 < 5000,
	    "clock_ms too (%lld ms)", w1 - w0);
	prev = clock_mono_ms();
	for (i = 0; i < 100000; i++) {
		t = clock_mono_ms();
		if (t < prev)
			back++;
		prev = t;
	}
	is_int(back, 0, "clock_mono_ms never goes back in 100000 reads");
	return (done_testing());
}
