/* sched.c - business hours over GLib's time zones (see hours.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "hours.h"

static const char *const hours_days[CFG_SCHED_DAYS] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun"
};

/* hours_day - the index (0 Monday) of the day name at S, or -1 */
static int
hours_day(const char *s)
{
	int	i;

	for (i = 0; i < CFG_SCHED_DAYS; i++)
		if (strncmp(s, hours_days[i], 3) == 0)
			return (i);
	return (-1);
}

/* hours_time - "HH:MM" at S (24:00 allowed) as minutes, or -1 */
static int
hours_time(const char *s)
{
	int	h, m;

	if (strlen(s) < 5 || s[0] < '0' || s[0] > '9' || s[1] < '0' ||
	    s[1] > '9' || s[2] != ':' || s[3] < '0' || s[3] > '5' ||
	    s[4] < '0' || s[4] > '9')
		return (-1);
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 24 || (h == 24 && m != 0))
		return (-1);
	return (h * 60 + m);
}

/* hours_parse_hours - days and a time range into H */
int
hours_parse_hours(const char *s, struct cfg_hours *h, char *why, size_t len)
{
	const char *p = s, *sp;
	int	a, b, d;

	memset(h, 0, sizeof(*h));
	if ((sp = strchr(s, ' ')) == NULL) {
		snprintf(why, len, "must be days and hours such as "
		    "\"mon-fri 09:00-18:00\"");
		return (-1);
	}
	if (sp - s == 5 && strncmp(s, "daily", 5) == 0)
		h->days = 0x7f;
	else
		for (;;) {
			if ((a = hours_day(p)) < 0) {
				snprintf(why, len, "unknown day at \"%.*s\": "
				    "days are mon, tue, wed, thu, fri, sat, sun "
				    "or daily", (int)(sp - p), p);
				return (-1);
			}
			p += 3;
			b = a;
			if (*p == '-') {
				if ((b = hours_day(p + 1)) < 0) {
					snprintf(why, len, "unknown day after "
					    "\"-\" in \"%.*s\"", (int)(sp - s),
					    s);
					return (-1);
				}
				p += 4;
			}
			for (d = a;; d = (d + 1) % CFG_SCHED_DAYS) {
				h->days |= 1 << d;
				if (d == b)
					break;
			}
			if (p == sp)
				break;
			if (*p++ != ',') {
				snprintf(why, len, "days must be separated by "
				    "\",\" in \"%.*s\"", (int)(sp - s), s);
				return (-1);
			}
		}
	while (*sp == ' ')
		sp++;
	if ((h->from = hours_time(sp)) < 0 || sp[5] != '-' ||
	    (h->to = hours_time(sp + 6)) < 0 || sp[11] != '\0') {
		snprintf(why, len, "hours must be HH:MM-HH:MM, such as "
		    "09:00-18:00");
		return (-1);
	}
	if (h->to <= h->from) {
		snprintf(why, len, "ends at or before it starts (write hours "
		    "past midnight as a second entry for the next day)");
		return (-1);
	}
	return (0);
}

/* hours_parse_date - "YYYY-MM-DD" as YYYYMMDD */
int
hours_parse_date(const char *s, long *ymd)
{
	int	y, m, d, n = 0;

	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 ||
	    n != 10 || s[4] != '-' || s[7] != '-' || y < 1970 || y > 9999 ||
	    !g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y))
		return (-1);
	*ymd = (long)y * 10000 + m * 100 + d;
	return (0);
}

/* hours_tz_new - the GTimeZone NAME, or NULL */
void *
hours_tz_new(const char *name)
{
	return (g_time_zone_new_identifier(name));
}

/* hours_tz_free - unref a GTimeZone */
void
hours_tz_free(void *tz)
{
	if (tz != NULL)
		g_time_zone_unref(tz);
}

/* hours_holiday - 1 when local date YMD is one of S's holidays */
static int
hours_holiday(const struct cfg_schedule *s, long ymd)
{
	size_t	lo = 0, hi = s->nholidays, mid;

	while (s->hdays != NULL && lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->hdays[mid] == ymd)
			return (1);
		if (s->hdays[mid] < ymd)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (0);
}

/* hours_ymd - the local date of DT as YYYYMMDD */
static long
hours_ymd(GDateTime *dt)
{
	return ((long)g_date_time_get_year(dt) * 10000 +
	    g_date_time_get_month(dt) * 100 + g_date_time_get_day_of_month(dt));
}

/* hours_local - NOW in S's zone; NULL when GLib cannot say */
static GDateTime *
hours_local(const struct cfg_schedule *s, time_t now)
{
	GDateTime *utc, *loc;

	if (s->tz == NULL || (utc = g_date_time_new_from_unix_utc(now)) == NULL)
		return (NULL);
	loc = g_date_time_to_timezone(utc, s->tz);
	g_date_time_unref(utc);
	return (loc);
}

/* hours_open - whether S is open at NOW */
int
hours_open(const struct cfg_schedule *s, time_t now)
{
	GDateTime *loc;
	size_t	i;
	int	dow, min, open = 0;

	if ((loc = hours_local(s, now)) == NULL)
		return (0);
	dow = g_date_time_get_day_of_week(loc) - 1;
	min = g_date_time_get_hour(loc) * 60 + g_date_time_get_minute(loc);
	if (!hours_holiday(s, hours_ymd(loc)))
		for (i = 0; i < s->nhours && s->iv != NULL && !open; i++)
			open = (s->iv[i].days & (1 << dow)) &&
			    s->iv[i].from <= min && min < s->iv[i].to;
	g_date_time_unref(loc);
	return (open);
}

/* hours_next_open - now, or the next opening within 28 days, or 0 */
time_t
hours_next_open(const struct cfg_schedule *s, time_t now)
{
	GDateTime *loc, *day, *at;
	time_t	best = 0, t;
	size_t	i;
	int	off, dow;

	if (hours_open(s, now))
		return (now);
	if ((loc = hours_local(s, now)) == NULL)
		return (0);
	for (off = 0; off <= 28 && best == 0; off++) {
		if ((day = g_date_time_add_days(loc, off)) == NULL)
			break;
		dow = g_date_time_get_day_of_week(day) - 1;
		for (i = 0; i < s->nhours && !hours_holiday(s, hours_ymd(day));
		    i++) {
			if (!(s->iv[i].days & (1 << dow)))
				continue;
			at = g_date_time_new(s->tz, g_date_time_get_year(day),
			    g_date_time_get_month(day),
			    g_date_time_get_day_of_month(day),
			    s->iv[i].from / 60, s->iv[i].from % 60, 0);
			if (at == NULL)
				continue;
			t = (time_t)g_date_time_to_unix(at);
			g_date_time_unref(at);
			if (t > now && (best == 0 || t < best))
				best = t;
		}
		g_date_time_unref(day);
	}
	g_date_time_unref(loc);
	return (best);
}

/* hours_format - T in S's zone for people */
void
hours_format(const struct cfg_schedule *s, time_t t, char *buf, size_t len)
{
	GDateTime *loc;
	gchar	*f;

	buf[0] = '\0';
	if ((loc = hours_local(s, t)) == NULL)
		return;
	if ((f = g_date_time_format(loc, "%Y-%m-%d %H:%M %Z")) != NULL) {
		snprintf(buf, len, "%s", f);
		g_free(f);
	}
	g_date_time_unref(loc);
}
