/* log.h - daemon logging: syslog (LOG_MAIL) or stderr in the foreground.
 *
 * Only daemons log; library code in common/ returns errors to its caller.
 * Callers start each line with the MTA queue id or the interaction id. */
#ifndef MAILACD_LOG_H
#define MAILACD_LOG_H

/* log_name - name lines IDENT until log_open() (command-line errors) */
void	log_name(const char *ident);

/* log_open - log as IDENT to syslog LOG_MAIL, or to stderr if TO_STDERR,
 * each line then starting with the UTC time, IDENT and the pid */
void	log_open(const char *ident, int to_stderr);

/* log_set_debug - also emit debug lines when ON */
void	log_set_debug(int on);

#define LOG_ATTR(f, a) __attribute__((format(printf, f, a)))

void	log_debug(const char *fmt, ...) LOG_ATTR(1, 2);
void	log_info(const char *fmt, ...) LOG_ATTR(1, 2);
/* log_warn - warning with ": strerror(errno)" appended */
void	log_warn(const char *fmt, ...) LOG_ATTR(1, 2);
void	log_warnx(const char *fmt, ...) LOG_ATTR(1, 2);
/* log_err - error with ": strerror(errno)" appended */
void	log_err(const char *fmt, ...) LOG_ATTR(1, 2);
void	log_errx(const char *fmt, ...) LOG_ATTR(1, 2);
/* log_fatal - bad configuration or environment: log and exit(STATUS) */
void	log_fatal(int status, const char *fmt, ...) LOG_ATTR(2, 3)
		    __attribute__((noreturn));
/* log_say - for libraries that report through a callback (rds_pool_say):
 * MSG as a warning when WARN, else at level info, after PREFIX (a string,
 * e.g. "redis: ") */
void	log_say(int warn, const char *msg, void *prefix);
/* log_panic - our own bug: log and abort() for a core */
void	log_panic(const char *fmt, ...) LOG_ATTR(1, 2)
		    __attribute__((noreturn));

#endif
