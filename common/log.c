/* log.c - daemon logging to syslog (LOG_MAIL) or stderr. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int log_stderr = 1;
static int log_stamp;		/* stderr lines carry time and pid */
static int log_debug_on;
static const char *log_ident = "mailacd";

/* log_name - the program name of lines written before log_open(): on
 * stderr, without time stamps, as command-line errors are */
void
log_name(const char *ident)
{
	log_ident = ident;
}

/* log_open - choose the destination and the program name; in the
 * foreground each line on stderr starts with the UTC time and the pid */
void
log_open(const char *ident, int to_stderr)
{
	log_ident = ident;
	log_stderr = to_stderr;
	log_stamp = to_stderr;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

/* log_time - "2026-12-04T12:23:29.692Z" in BUF */
static void
log_time(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t	n;

	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03dZ", (int)(ts.tv_nsec / 1000000));
}

/* log_set_debug - enable or disable debug lines */
void
log_set_debug(int on)
{
	log_debug_on = on;
}

/* log_emit - format one line, optionally with strerror(ERRNUM), and send it */
static void log_emit(int prio, int errnum, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void
log_emit(int prio, int errnum, const char *fmt, va_list ap)
{
	char	buf[2048];
	int	n;

	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		n = 0;
	if (errnum != 0 && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(errnum));
	if (log_stderr) {
		static const char *names[] = { "emerg", "alert", "crit",
		    "error", "warning", "notice", "info", "debug" };
		char	when[40];

		if (log_stamp) {
			log_time(when, sizeof(when));
			fprintf(stderr, "%s %s[%ld]: %s: %s\n", when, log_ident,
			    (long)getpid(), names[prio & 7], buf);
		} else
			fprintf(stderr, "%s: %s: %s\n", log_ident,
			    names[prio & 7], buf);
	} else
		syslog(prio, "%s", buf);
}

#define LOG_BODY(prio, errnum) do {			\
	va_list ap;					\
	va_start(ap, fmt);				\
	log_emit((prio), (errnum), fmt, ap);		\
	va_end(ap);					\
} while (0)

/* log_debug - debug line, only when enabled */
void
log_debug(const char *fmt, ...)
{
	if (log_debug_on)
		LOG_BODY(LOG_DEBUG, 0);
}

/* log_info - informational line */
void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_INFO, 0);
}

/* log_say - a library's line, as warning or info */
void
log_say(int warn, const char *msg, void *prefix)
{
	if (warn)
		log_warnx("%s%s", prefix != NULL ? (const char *)prefix : "",
		    msg);
	else
		log_info("%s%s", prefix != NULL ? (const char *)prefix : "",
		    msg);
}

/* log_warn - warning with strerror(errno) */
void
log_warn(const char *fmt, ...)
{
	int	e = errno;

	LOG_BODY(LOG_WARNING, e);
}

/* log_warnx - warning */
void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_WARNING, 0);
}

/* log_err - error with strerror(errno) */
void
log_err(const char *fmt, ...)
{
	int	e = errno;

	LOG_BODY(LOG_ERR, e);
}

/* log_errx - error */
void
log_errx(const char *fmt, ...)
{
	LOG_BODY(LOG_ERR, 0);
}

/* log_fatal - log and exit with STATUS (EX_CONFIG, EX_OSERR, ...) */
void
log_fatal(int status, const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, 0);
	exit(status);
}

/* log_panic - log an internal error and abort for a core dump */
void
log_panic(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, 0);
	abort();
}
