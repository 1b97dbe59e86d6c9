/* daemon.c - what every mailacd daemon does to start: detach, write its
 * pid file, drop privileges, report configuration errors. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

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

/* daemon_become - group, supplementary groups, then user */
void
daemon_become(const char *spec, const struct daemon_user *u)
{
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

/* daemon_pidfile - our pid, one line */
void
daemon_pidfile(const char *path)
{
	FILE	*fp = fopen(path, "w");

	if (fp == NULL)
		log_fatal(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	fprintf(fp, "%ld\n", (long)getpid());
	if (fclose(fp) != 0)
		log_fatal(EX_CANTCREAT, "%s: %s", path, strerror(errno));
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
