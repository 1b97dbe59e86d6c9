/* clock.h - the two clocks the programs read, in milliseconds: the wall
 * clock (times stored in Redis, shown to people) and the monotonic one
 * (intervals and deadlines, which must not jump with the wall clock). */
#ifndef MAILACD_CLOCK_H
#define MAILACD_CLOCK_H

/* clock_ms - the wall clock: milliseconds since 1970, as Redis keeps it */
long long clock_ms(void);

/* clock_mono_ms - monotonic milliseconds from an unspecified start; only
 * differences mean something */
long long clock_mono_ms(void);

#endif
