/* daemon.c - what every mailacd daemon does to start: detach, write its
 * pid file, drop privileges, report configuration errors, tell systemd
 * when it is ready. */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "log.h"

/* The pid file written, for the process that removes it at exit. */
static char *daemon_pid_path;
static pid_t daemon_pid_self;

static void daemon_pid_keeper(void);

/* daemon_user_parse - look the user (and group) up */
void
daemon_user_parse(const char *spec, struct daemon_user *u)
{
	char	*g;
	struct passwd *pw;
	struct group *gr;

	if ((u->name = strdup(spec)) == NULL)
		log_fatal(EX_OSERR, "out of memory");
	if ((g = strchr(u->name, ':')) != NULL)
		*g++ = '\0';
	if ((pw = getpwnam(u->name)) == NULL)
		log_fatal(EX_NOUSER, "-u %s: no such user", u->name);
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	if (g != NULL) {
		if ((gr = getgrnam(g)) == NULL)
			log_fatal(EX_NOUSER, "-u %s: no such group %s", spec, g);
		u->gid = gr->gr_gid;
	}
}

/* daemon_become - group, supplementary groups, then user; a pid file
 * written as root gets its remover first */
void
daemon_become(const char *spec, const struct daemon_user *u)
{
	if (daemon_pid_path != NULL && geteuid() == 0 && u->uid != 0)
		daemon_pid_keeper();
	if (setgid(u->gid) != 0 || initgroups(u->name, u->gid) != 0 ||
	    setuid(u->uid) != 0)
		log_fatal(EX_OSERR, "cannot become %s: %s", spec,
		    strerror(errno));
}

/* daemon_detach - leave the terminal and the caller's session */
void
daemon_detach(void)
{
	pid_t	pid;
	int	fd;

	if ((pid = fork()) < 0)
		log_fatal(EX_OSERR, "fork: %s", strerror(errno));
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		log_fatal(EX_OSERR, "setsid: %s", strerror(errno));
	if (chdir("/") != 0)
		log_fatal(EX_OSERR, "chdir /: %s", strerror(errno));
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

/* daemon_pidfile - our pid, one line, in a regular file we create or
 * that was there before, never through a symbolic link */
void
daemon_pidfile(const char *path)
{
	struct stat st;
	char	buf[32];
	int	fd, n;

	/* no O_TRUNC: nothing is cut before the checks; O_NONBLOCK: a FIFO
	 * must not hang us */
	if ((fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC, 0644)) < 0) {
		if (errno == ELOOP)
			log_fatal(EX_CANTCREAT, "%s: is a symbolic link, which "
			    "a pid file written as root must not be: remove it, "
			    "or name a path in a directory only root can write",
			    path);
		/* a FIFO without a reader says ENXIO, a directory EISDIR */
		if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
			log_fatal(EX_CANTCREAT, "%s: is not a regular file",
			    path);
		log_fatal(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) != 0)
		log_fatal(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		log_fatal(EX_CANTCREAT, "%s: is not a regular file", path);
	if (st.st_nlink > 1)
		log_fatal(EX_CANTCREAT, "%s: has %lu hard links; a pid file "
		    "must have one", path, (unsigned long)st.st_nlink);
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || fchmod(fd, 0644) != 0 ||
	    write(fd, buf, (size_t)n) != n || close(fd) != 0)
		log_fatal(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	free(daemon_pid_path);
	if ((daemon_pid_path = strdup(path)) == NULL)
		log_fatal(EX_OSERR, "out of memory");
	daemon_pid_self = getpid();
}

/* daemon_pid_holds - 1 if the pid file names pid PID (no stdio: this
 * runs in a forked child) */
static int
daemon_pid_holds(const char *path, pid_t pid)
{
	char	buf[32];
	ssize_t	n;
	long	v = 0;
	int	fd, i;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0)
		return (0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return (0);
	for (i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
		v = v * 10 + (buf[i] - '0');
	return (i > 0 && (i == n || buf[i] == '\n') && v == (long)pid);
}

/* daemon_pid_wait - the remover: wait until the daemon, holding the other
 * end of pipe FD, is gone, then remove its pid file if it still names it.
 * Never returns. */
static void
daemon_pid_wait(int fd)
{
	char	c;
	ssize_t	n;

	(void)prctl(PR_SET_NAME, "mailacd-pidfile");
	/* nothing of the daemon's but the pipe: no socket, no log */
	if (fd > 0)
		(void)close_range(0, (unsigned)fd - 1, 0);
	(void)close_range((unsigned)fd + 1, ~0U, 0);
	/* a service manager signals the whole group: the daemon's exit is
	 * what ends us */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	while ((n = read(fd, &c, 1)) != 0)
		if (n < 0 && errno != EINTR)
			break;
	if (daemon_pid_holds(daemon_pid_path, daemon_pid_self))
		(void)unlink(daemon_pid_path);
	_exit(0);
}

/* daemon_pid_keeper - before giving up root: start the process that
 * removes the pid file once we exit, since the user we become may not
 * write its directory.  It is not our child (we never wait for it) and
 * holds nothing of ours but a pipe. */
static void
daemon_pid_keeper(void)
{
	int	p[2], status;
	pid_t	pid, w;

	if (pipe2(p, O_CLOEXEC) != 0)
		log_fatal(EX_OSERR, "pipe: %s", strerror(errno));
	if ((pid = fork()) < 0)
		log_fatal(EX_OSERR, "fork: %s", strerror(errno));
	if (pid == 0) {
		if ((w = fork()) != 0)
			_exit(w < 0 ? 1 : 0);
		close(p[1]);
		daemon_pid_wait(p[0]);
	}
	close(p[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		log_fatal(EX_OSERR, "cannot start the pid file's remover");
	/* p[1] stays open until we exit (close-on-exec) */
}

/* daemon_notify - one state change to systemd's notification socket.
 *
 * sd_notify() does nothing without $NOTIFY_SOCKET (not started by systemd,
 * or not Type=notify), so the daemons call it unconditionally.  The
 * variable is kept (unset_environment 0): the milter's reload thread and
 * its signal thread send later states too. */
void
daemon_notify(const char *state)
{
	int	rc;

	if ((rc = sd_notify(0, state)) < 0)
		log_warnx("sd_notify %s: %s", state, strerror(-rc));
}

/* daemon_errors - every configuration error, one per line */
void
daemon_errors(const struct cfg_errors *errs, int to_log)
{
	size_t	i;

	for (i = 0; i < errs->n; i++) {
		if (to_log)
			log_errx("reload refused: %s", errs->msg[i]);
		else
			fprintf(stderr, "%s\n", errs->msg[i]);
	}
}

/* daemon_warnings - what the configuration CFG cannot do as written, one
 * per line: to stderr (-n), or logged (start, reload) */
void
daemon_warnings(const struct cfg *cfg, int to_log)
{
	size_t	i;

	for (i = 0; i < cfg->warnings.n; i++) {
		if (to_log)
			log_warnx("%s", cfg->warnings.msg[i]);
		else
			fprintf(stderr, "%s\n", cfg->warnings.msg[i]);
	}
}

/* daemon_check - -n and -n --strict */
int
daemon_check(const struct cfg *cfg, int strict)
{
	if (strict && cfg->warnings.n > 0) {
		daemon_warnings(cfg, 0);
		fprintf(stderr, "%s: %zu warning%s, which --strict makes "
		    "errors\n", cfg->file, cfg->warnings.n,
		    cfg->warnings.n == 1 ? "" : "s");
		return (EX_CONFIG);
	}
	printf("configuration OK\n");
	fflush(stdout);
	daemon_warnings(cfg, 0);
	return (0);
}
