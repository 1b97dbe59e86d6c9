/* hours.h - business hours: a schedule's weekly hours and holidays parsed,
 * whether it is open at a moment, and when it opens next.
 *
 * Time zones come from GLib's GTimeZone (GLib is already here through
 * GMime): it reads the system's tzfiles (/usr/share/zoneinfo) itself,
 * including the POSIX rule for dates past the last transition, and a
 * GTimeZone is immutable once made, so the milter's threads share the one
 * made at load without setting TZ or calling localtime, which are not
 * thread-safe.  Nothing here logs. */
#ifndef MAILACD_HOURS_H
#define MAILACD_HOURS_H

#include <stddef.h>
#include <time.h>

#include "cfg.h"

/* hours_parse_hours - "mon-fri 09:00-18:00" (days: mon..sun, ranges and
 * commas, or "daily"; end up to 24:00, after the start) into H; 0, or -1
 * with why in WHY */
int	hours_parse_hours(const char *s, struct cfg_hours *h, char *why,
		    size_t len);

/* hours_parse_date - "YYYY-MM-DD" (a real date) as YYYYMMDD; 0 or -1 */
int	hours_parse_date(const char *s, long *ymd);

/* hours_tz_new - the time zone NAME ("Europe/Madrid", "UTC"), or NULL
 * when the system does not know it */
void	*hours_tz_new(const char *name);

/* hours_tz_free - release a time zone of hours_tz_new; accepts NULL */
void	hours_tz_free(void *tz);

/* hours_open - 1 when S is open at NOW, else 0 */
int	hours_open(const struct cfg_schedule *s, time_t now);

/* hours_next_open - NOW when S is open, else when it opens next within
 * 28 days; 0 when it does not */
time_t	hours_next_open(const struct cfg_schedule *s, time_t now);

/* hours_format - T as local time of S, "2026-12-07 09:00 CET", into BUF */
void	hours_format(const struct cfg_schedule *s, time_t t, char *buf,
		    size_t len);

#endif
