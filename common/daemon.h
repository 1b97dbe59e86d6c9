/* daemon.h - what every mailacd daemon does to start: detach, write its
 * pid file, drop privileges, report configuration errors.  For daemons
 * only: these log and exit on failure. */
#ifndef MAILACD_DAEMON_H
#define MAILACD_DAEMON_H

#include <sys/types.h>

#include "cfg.h"

/* The account "-u user[:group]" names. */
struct daemon_user {
	uid_t	uid;
	gid_t	gid;
	char	*name;		/* the user name, for initgroups() */
};

/* daemon_user_parse - resolve SPEC ("user[:group]"); exits 67 when unknown */
void	daemon_user_parse(const char *spec, struct daemon_user *u);

/* daemon_become - switch to U for good; exits 71 on failure.  After
 * daemon_pidfile as root, a small process that keeps root first starts:
 * it removes the pid file once we exit, which U may not be allowed to. */
void	daemon_become(const char *spec, const struct daemon_user *u);

/* daemon_detach - fork into the background, new session, cwd /, std
 * descriptors on /dev/null */
void	daemon_detach(void);

/* daemon_pidfile - write our pid to PATH (mode 0644), which must be a
 * regular file with one link or absent, never a symbolic link; exits 73
 * on failure */
void	daemon_pidfile(const char *path);

/* daemon_notify - tell systemd (Type=notify) our state: "READY=1",
 * "RELOADING=1", "STOPPING=1"; nothing when not started by systemd */
void	daemon_notify(const char *state);

/* daemon_errors - each configuration error on stderr, or logged as a
 * refused reload when TO_LOG */
void	daemon_errors(const struct cfg_errors *errs, int to_log);

/* daemon_warnings - every configuration warning of CFG, one per line: on
 * stderr, or to the log when TO_LOG */
void	daemon_warnings(const struct cfg *cfg, int to_log);

/* daemon_check - what -n does with the loaded CFG: "configuration OK" on
 * stdout and each warning on stderr, 0; with STRICT the warnings are
 * errors: each on stderr, and EX_CONFIG */
int	daemon_check(const struct cfg *cfg, int strict);

#endif
