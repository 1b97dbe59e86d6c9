/* fakeclock.c - a wall clock that a test sets, preloaded (LD_PRELOAD) into
 * the test's private redis-server (harness.sh: start_redis_clock,
 * redis_clock).
 *
 * The function library takes the time of every call from Redis (TIME), so
 * a test that sets Redis's clock says exactly when each call happens: the
 * day and hour its statistics fall in, how long an interaction waited or
 * was held.  gettimeofday(), clock_gettime() of the real-time clocks and
 * time() answer the Unix milliseconds written in the file named by
 * $MAILACD_FAKECLOCK; when it is missing or empty they answer the real
 * time.  The monotonic clocks are never changed, so Redis's timers run.
 *
 * libfaketime does this in general, but in Debian 12's redis-server it
 * fails at start-up (a recursive clock_gettime() under jemalloc).  This
 * asks nothing of malloc or the dynamic linker: the file is read with
 * plain system calls and the real clocks are asked with syscall(2). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* fakeclock_read - the milliseconds in $MAILACD_FAKECLOCK; 0, or -1 when
 * there are none (no file, empty, not a number) */
static int
fakeclock_read(long long *ms)
{
	const char *path = getenv("MAILACD_FAKECLOCK");
	char	buf[32];
	long long v = 0;
	ssize_t	n, i;
	int	fd, saved = errno;

	if (path == NULL || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		errno = saved;
		return (-1);
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	errno = saved;
	for (i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
		v = v * 10 + (buf[i] - '0');
	if (i == 0)
		return (-1);
	*ms = v;
	return (0);
}

/* clock_gettime - the file's time for the real-time clocks */
int
clock_gettime(clockid_t id, struct timespec *ts)
{
	long long ms;

	if ((id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE) &&
	    fakeclock_read(&ms) == 0) {
		ts->tv_sec = (time_t)(ms / 1000);
		ts->tv_nsec = (long)(ms % 1000) * 1000000;
		return (0);
	}
	return ((int)syscall(SYS_clock_gettime, id, ts));
}

/* gettimeofday - the file's time (Redis's TIME and its ustime()) */
int
gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	long long ms;

	if (fakeclock_read(&ms) == 0) {
		tv->tv_sec = (time_t)(ms / 1000);
		tv->tv_usec = (suseconds_t)(ms % 1000) * 1000;
		return (0);
	}
	return ((int)syscall(SYS_gettimeofday, tv, tz));
}

/* time - the file's time in seconds */
time_t
time(time_t *t)
{
	struct timespec ts;
	time_t	s;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return ((time_t)-1);
	s = ts.tv_sec;
	if (t != NULL)
		*t = s;
	return (s);
}
