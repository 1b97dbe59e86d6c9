/* main.c - mailacd-milter: options, daemon set-up, reload on SIGHUP.
 *
 * Conventions follow OpenDKIM: -c file, -n check only, -f foreground,
 * -u user[:group], -P pidfile, -p socket, -V version; and GNU's --help
 * and --version, with --strict for -n. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <gmime/gmime.h>
#include <hiredis.h>
#include <libconfig.h>
#include <libmilter/mfapi.h>
#include <openssl/crypto.h>

#include "cfg.h"
#include "daemon.h"
#include "handoff.h"
#include "hdr.h"
#include "log.h"
#include "mlfi.h"
#include "sign.h"
#include "durable.h"

#ifndef MAILACD_VERSION
#define MAILACD_VERSION "unknown"
#endif

static const char *main_file = CFG_DEFAULT_FILE;
static char *main_socket;	/* the socket in use, for reload warnings */
static int main_socket_from_cli;
static pthread_t main_thread;	/* runs smfi_main(), libmilter's listener */

/* usage - one line per option; on stdout and exit 0 when asked for (-h),
 * else on stderr and exit 64 */
static void __attribute__((noreturn))
usage(int asked)
{
	fprintf(asked ? stdout : stderr,
	    "usage: mailacd-milter [-dfhnV] [-c file] [-p socket] [-P pidfile] "
	    "[-u user[:group]] [--strict]\n"
	    "  -c file    configuration (default %s)\n"
	    "  -d         log debug lines\n"
	    "  -f         stay in the foreground, log to stderr\n"
	    "  -h, --help print this and exit\n"
	    "  -n         check the configuration and exit\n"
	    "  --strict   with -n: warnings are errors\n"
	    "  -p socket  listen here (inet:PORT@HOST, inet6:PORT@HOST, "
	    "unix:PATH), overriding milter.socket\n"
	    "  -P file    write the process id to file\n"
	    "  -u user    run as user (and group)\n"
	    "  -V, --version  print the version and exit\n",
	    CFG_DEFAULT_FILE);
	exit(asked ? 0 : EX_USAGE);
}

/* main_nudge - SIGUSR1 in the listener thread: nothing but the EINTR */
static void
main_nudge(int sig)
{
	(void)sig;
}

/* main_kicker - after SIGTERM or SIGINT: interrupt the listener's wait.
 *
 * libmilter's listener polls its socket for up to 5 seconds while holding
 * the lock its signal thread needs to close it, and looks at the stop flag
 * only between polls, so a stop used to take up to 5 seconds.  An EINTR
 * ends the poll at once; the signal thread sets the flag just after our
 * sigwait() returns, so nudge a few times until the process is gone. */
static void *
main_kicker(void *arg)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int	i;

	(void)arg;
	for (i = 0; i < 250; i++) {
		nanosleep(&ts, NULL);
		pthread_kill(main_thread, SIGUSR1);
	}
	return (NULL);
}

/* sigwait - keep SIGHUP away from libmilter's signal thread.
 *
 * libmilter's own thread waits for SIGHUP, SIGTERM and SIGINT and stops the
 * milter on SIGHUP.  We want SIGHUP to reload, as mail daemons do, so this
 * definition (which the dynamic linker binds libmilter's call to) removes
 * SIGHUP from the set libmilter waits on; main_reloader() waits for it. */
int
sigwait(const sigset_t *set, int *sig)
{
	sigset_t mine = *set;
	int	s;

	sigdelset(&mine, SIGHUP);
	do
		s = sigwaitinfo(&mine, NULL);
	while (s < 0 && errno == EINTR);
	if (s < 0)
		return (errno);
	if (s == SIGTERM || s == SIGINT) {
		pthread_t tid;

		daemon_notify("STOPPING=1");
		if (pthread_create(&tid, NULL, main_kicker, NULL) == 0)
			pthread_detach(tid);
	}
	*sig = s;
	return (0);
}

/* main_reloader - wait for SIGHUP; load, check and swap the configuration */
static void *
main_reloader(void *arg)
{
	sigset_t set;
	int	sig;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	for (;;) {
		struct cfg_errors errs = { 0 };
		struct cfg *cfg;

		if ((sig = sigwaitinfo(&set, NULL)) < 0)
			continue;
		log_info("SIGHUP: reloading %s", main_file);
		daemon_notify("RELOADING=1");
		if ((cfg = cfg_load(main_file, &errs)) == NULL) {
			daemon_errors(&errs, 1);
			log_errx("reload refused: %zu error%s; the previous "
			    "configuration stays in force", errs.n,
			    errs.n == 1 ? "" : "s");
			cfg_errors_clear(&errs);
			daemon_notify("READY=1");
			continue;
		}
		if (!main_socket_from_cli &&
		    strcmp(cfg->milter.socket, main_socket) != 0)
			log_warnx("milter.socket changed to %s: still "
			    "listening on %s until restarted",
			    cfg->milter.socket, main_socket);
		daemon_warnings(cfg, 1);
		if (mlfi_install(cfg) != 0)
			log_errx("reload refused: out of memory");
		else
			log_info("configuration reloaded from %s", main_file);
		daemon_notify("READY=1");
	}
	return (NULL);
}

/* main_version - our version and the libraries we run with */
static void
main_version(void)
{
	unsigned int maj, min, pl;

	smfi_version(&maj, &min, &pl);
	printf("mailacd-milter %s\n"
	    "  libmilter %u.%u.%u, hiredis %d.%d.%d, libconfig %d.%d.%d, "
	    "GMime %u.%u.%u, %s\n", MAILACD_VERSION, maj, min, pl,
	    HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH, LIBCONFIG_VER_MAJOR,
	    LIBCONFIG_VER_MINOR, LIBCONFIG_VER_REVISION, gmime_major_version,
	    gmime_minor_version, gmime_micro_version,
	    OpenSSL_version(OPENSSL_VERSION));
}

/* main_unix_path - the path of a unix:/local: socket spec, or NULL */
static const char *
main_unix_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return (spec + 5);
	if (strncmp(spec, "local:", 6) == 0)
		return (spec + 6);
	if (spec[0] == '/')
		return (spec);
	return (NULL);
}

int
main(int argc, char **argv)
{
	struct cfg_errors errs = { 0 };
	struct cfg *cfg;
	const char *pidfile = NULL, *user = NULL, *upath;
	int	ch, check = 0, foreground = 0, debug = 0, rc;
	struct daemon_user du = { 0, 0, NULL };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "strict", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	int	strict = 0, listen_errno;
	struct sigaction sa;
	sigset_t hup;
	pthread_t tid;

	log_name("mailacd-milter");
	while ((ch = getopt_long(argc, argv, "c:dfhnp:P:u:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			main_file = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'p':
			main_socket = optarg;
			main_socket_from_cli = 1;
			break;
		case 'P':
			pidfile = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'V':
			main_version();
			return (0);
		case 'S':
			strict = 1;
			break;
		case 'h':
			usage(1);
		default:
			usage(0);
		}
	}
	if (optind != argc)
		usage(0);
	if (strict && !check) {
		fprintf(stderr, "mailacd-milter: --strict goes with -n\n");
		usage(0);
	}

	hdr_init();
	if (sign_init() != 0)
		log_fatal(EX_SOFTWARE, "cannot initialise libopendkim");
	if ((cfg = cfg_load(main_file, &errs)) == NULL) {
		daemon_errors(&errs, 0);
		cfg_errors_clear(&errs);
		return (EX_CONFIG);
	}
	if (check) {
		rc = daemon_check(cfg, strict);
		cfg_unref(cfg);
		return (rc);
	}
	if (main_socket == NULL && (main_socket = strdup(cfg->milter.socket))
	    == NULL)
		return (EX_OSERR);
	if (user != NULL)
		daemon_user_parse(user, &du);

	log_open("mailacd-milter", foreground);
	log_set_debug(debug);
	daemon_warnings(cfg, 1);
	if (mlfi_install(cfg) != 0)
		log_fatal(EX_OSERR, "out of memory");
	if (smfi_setconn(main_socket) != MI_SUCCESS)
		log_fatal(EX_CONFIG, "invalid socket %s", main_socket);
	if (mlfi_register() != 0)
		log_fatal(EX_SOFTWARE, "smfi_register failed");
	/* listen now, as root, so that errors show before we detach */
	errno = 0;
	if (smfi_opensocket(1) != MI_SUCCESS) {
		/* libmilter closes the socket it could not bind: the
		 * errno of bind() or listen() is still there */
		listen_errno = errno;
		if (!foreground)
			fprintf(stderr, "mailacd-milter: cannot listen on "
			    "%s%s%s\n", main_socket, listen_errno ? ": " : "",
			    listen_errno ? strerror(listen_errno) : "");
		log_fatal(EX_OSERR, "cannot listen on %s%s%s", main_socket,
		    listen_errno ? ": " : "",
		    listen_errno ? strerror(listen_errno) : "");
	}
	/* the MTA connects as a member of the group: 0660 whatever the umask */
	if (user != NULL && (upath = main_unix_path(main_socket)) != NULL &&
	    (chown(upath, du.uid, du.gid) != 0 || chmod(upath, 0660) != 0))
		log_fatal(EX_OSERR, "%s: cannot give the socket to %s: %s",
		    upath, user, strerror(errno));
	if (!foreground)
		daemon_detach();
	if (pidfile != NULL)
		daemon_pidfile(pidfile);
	if (user != NULL)
		daemon_become(user, &du);
	/* every thread blocks these: main_reloader waits for SIGHUP,
	 * libmilter's signal thread for SIGTERM and SIGINT */
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	sigaddset(&hup, SIGTERM);
	sigaddset(&hup, SIGINT);
	pthread_sigmask(SIG_BLOCK, &hup, NULL);
	/* SIGUSR1 only interrupts the listener's poll when stopping (see
	 * main_kicker); every other thread keeps it blocked */
	main_thread = pthread_self();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = main_nudge;
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&hup);
	sigaddset(&hup, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &hup, NULL);
	if (pthread_create(&tid, NULL, main_reloader, NULL) != 0)
		log_fatal(EX_OSERR, "cannot start the reload thread");
	pthread_detach(tid);
	if (pthread_create(&tid, NULL, durable_thread, NULL) != 0)
		log_fatal(EX_OSERR, "cannot start the Redis watch thread");
	pthread_detach(tid);
	pthread_sigmask(SIG_UNBLOCK, &hup, NULL);

	log_info("mailacd-milter %s listening on %s (configuration %s, "
	    "redis %s)", MAILACD_VERSION, main_socket, main_file,
	    cfg->redis.socket ? cfg->redis.socket : cfg->redis.host);
	/* the socket has listened since smfi_opensocket(): an MTA ordered
	 * after us (Before=postfix.service) can connect from now on */
	daemon_notify("READY=1");
	rc = smfi_main();
	log_info("mailacd-milter stopping");
	if (pidfile != NULL)
		(void)unlink(pidfile);
	mlfi_shutdown();
	sign_shutdown();
	free(du.name);
	return (rc == MI_SUCCESS ? 0 : EX_SOFTWARE);
}
