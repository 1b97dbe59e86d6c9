/* main.c - mailacd-router: options, daemon set-up, the consume loop.
 *
 * The router writes the roster to Redis (roster.c), takes the milter's
 * hand-off and queues or assigns each interaction (ingest.c), and re-checks
 * the DNS records of verified domains now and then (recheck.c); assignment
 * itself is the function library in Redis (common/mailacd.lua), which
 * mailacdctl calls too.  For queues in forward mode a thread resends the
 * customers' messages to the agents (deliver.c); another pulls the mail
 * of addresses with a mailbox from their servers (fetch.c).  The main loop and that
 * thread each keep their Redis connection up with relink.c and read their
 * streams with stream.c.  Conventions follow mailacd-milter: -c file, -n,
 * -f, -u user[:group], -P pidfile, -V, -d, --help, --version, --strict. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <curl/curl.h>
#include <hiredis.h>

#include "cfg.h"
#include "clock.h"
#include "daemon.h"
#include "dataset.h"
#include "deliver.h"
#include "fetch.h"
#include "ingest.h"
#include "log.h"
#include "metrics.h"
#include "rds.h"
#include "recheck.h"
#include "relink.h"
#include "roster.h"
#include "stream.h"

#ifndef MAILACD_VERSION
#define MAILACD_VERSION "unknown"
#endif

/* how often the data-set marker and the persistence settings are read */
#define MAIN_WATCH_MS		1000
#define MAIN_PERSIST_MS		60000

static volatile sig_atomic_t main_stop, main_reload;

/* The main loop's state. */
struct main_state {
	struct relink link;	/* the connection and its pool */
	struct cfg *cfg;
	const char *file;
	const char *consumer;
	struct dataset_watch *watch;
	long long next_claim, next_watch;	/* monotonic ms */
	int	delivering;	/* deliver_start() was called */
};

/* usage - one line per option; on stdout and exit 0 when asked for (-h),
 * else on stderr and exit 64 */
static void __attribute__((noreturn))
usage(int asked)
{
	fprintf(asked ? stdout : stderr,
	    "usage: mailacd-router [-dfhnV] [-c file] [-P pidfile] "
	    "[-u user[:group]] [--strict]\n"
	    "  -c file    configuration (default %s)\n"
	    "  -d         log debug lines\n"
	    "  -f         stay in the foreground, log to stderr\n"
	    "  -h, --help print this and exit\n"
	    "  -n         check the configuration and exit\n"
	    "  --strict   with -n: warnings are errors\n"
	    "  -P file    write the process id to file\n"
	    "  -u user    run as user (and group)\n"
	    "  -V, --version  print the version and exit\n",
	    CFG_DEFAULT_FILE);
	exit(asked ? 0 : EX_USAGE);
}

/* main_signal - SIGTERM/SIGINT stop, SIGHUP reloads, at the next turn */
static void
main_signal(int sig)
{
	if (sig == SIGHUP)
		main_reload = 1;
	else {
		main_stop = 1;
		stream_stop();
	}
}

/* main_say - log what a look at Redis's data set found (ARG: the Redis) */
static void
main_say(int level, const char *msg, void *arg)
{
	const char *redis = arg;

	if (level == DATASET_SAY_ERR)
		log_errx("redis %s: %s", redis, msg);
	else if (level == DATASET_SAY_WARN)
		log_warnx("redis %s: persistence: %s", redis, msg);
	else
		log_info("redis %s: persistence: %s", redis, msg);
}

/* main_stopping - relink: SIGTERM or SIGINT came */
static int
main_stopping(void *arg)
{
	(void)arg;
	return (main_stop);
}

/* main_before - relink: after SIGHUP, load the configuration again and,
 * when it is good, start over with it (connection, set-up, delivery) */
static void
main_before(struct relink *l, void *arg)
{
	struct main_state *st = arg;
	struct cfg_errors errs = { 0 };
	struct rds_pool *np;
	struct cfg *ncfg;

	if (!main_reload)
		return;
	main_reload = 0;
	daemon_notify("RELOADING=1");
	if ((ncfg = cfg_load(st->file, &errs)) == NULL) {
		daemon_errors(&errs, 1);
		cfg_errors_clear(&errs);
		daemon_notify("READY=1");
		return;
	}
	if ((np = rds_pool_new(&ncfg->redis)) == NULL) {
		cfg_unref(ncfg);
		log_errx("reload refused: out of memory");
		daemon_notify("READY=1");
		return;
	}
	rds_pool_say(np, log_say, "redis: ");
	/* it starts again with the new configuration after the next set-up */
	deliver_stop();
	fetch_stop();
	st->delivering = 0;
	relink_drop(l);
	rds_pool_free(l->pool);
	l->pool = np;
	cfg_unref(st->cfg);
	st->cfg = ncfg;
	metrics_reload(ncfg);
	log_info("configuration reloaded from %s", st->file);
	daemon_warnings(st->cfg, 1);
	daemon_notify("READY=1");
}

/* main_setup - relink: the scripts, the consumer groups, the roster, the
 * entries left unacknowledged; then the delivery thread, once */
static int
main_setup(redisContext *c, void *arg, char *err, size_t errlen)
{
	struct main_state *st = arg;
	int	n;

	if (ingest_setup(c, st->cfg, err, errlen) != 0 ||
	    roster_sync(c, st->cfg, &n, err, errlen) != 0 ||
	    ingest_recover(c, st->cfg, st->consumer, &n, err, errlen) != 0)
		return (-1);
	dataset_watch_recheck(st->watch);
	if (n > 0)
		log_info("recovered %d unacknowledged entries", n);
	st->next_claim = clock_mono_ms() + st->cfg->router.claim_idle_ms / 2;
	if (!st->delivering) {
		(void)deliver_start(st->cfg, st->consumer);
		(void)fetch_start(st->cfg, st->consumer);
		st->delivering = 1;
	}
	return (0);
}

/* main_turn - relink: now and then take over idle entries, trim, re-check
 * domains and look at Redis's data set; then wait for new entries */
static int
main_turn(redisContext *c, void *arg, char *err, size_t errlen)
{
	struct main_state *st = arg;
	const struct cfg *cfg = st->cfg;
	int	n;

	if (clock_mono_ms() >= st->next_claim) {
		if (ingest_recover(c, cfg, st->consumer, &n, err, errlen) != 0 ||
		    ingest_trim(c, cfg, err, errlen) != 0 ||
		    recheck_due(c, cfg, clock_ms(), err, errlen) != 0)
			return (-1);
		st->next_claim = clock_mono_ms() + cfg->router.claim_idle_ms / 2;
	}
	/* has Redis lost what it held?  Once a second */
	if (clock_mono_ms() >= st->next_watch) {
		if (dataset_watch_run(st->watch, c, cfg, clock_mono_ms(),
		    main_say, (void *)rds_describe(st->link.pool), err,
		    errlen) != 0)
			return (-1);
		st->next_watch = clock_mono_ms() + MAIN_WATCH_MS;
	}
	return (ingest_read(c, cfg, st->consumer, &n, err, errlen));
}

int
main(int argc, char **argv)
{
	static const struct relink_ops ops = { "", main_stopping,
	    main_before, main_setup, main_turn };
	struct cfg_errors errs = { 0 };
	struct main_state st;
	struct cfg *cfg;
	const char *file = CFG_DEFAULT_FILE, *pidfile = NULL, *user = NULL;
	char	consumer[256], host[200];
	int	ch, check = 0, foreground = 0, debug = 0;
	struct sigaction sa;
	struct daemon_user du = { 0, 0, NULL };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "strict", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	int	strict = 0, rc;

	log_name("mailacd-router");
	while ((ch = getopt_long(argc, argv, "c:dfhnP:u:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
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
		case 'P':
			pidfile = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'V':
			printf("mailacd-router %s\n  hiredis %d.%d.%d\n",
			    MAILACD_VERSION, HIREDIS_MAJOR, HIREDIS_MINOR,
			    HIREDIS_PATCH);
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
		fprintf(stderr, "mailacd-router: --strict goes with -n\n");
		usage(0);
	}
	if ((cfg = cfg_load(file, &errs)) == NULL) {
		daemon_errors(&errs, 0);
		cfg_errors_clear(&errs);
		return (EX_CONFIG);
	}
	if (check) {
		rc = daemon_check(cfg, strict);
		cfg_unref(cfg);
		return (rc);
	}
	log_open("mailacd-router", foreground);
	log_set_debug(debug);
	daemon_warnings(cfg, 1);
	if (user != NULL)
		daemon_user_parse(user, &du);
	metrics_listen(cfg, foreground);	/* as root, before detaching */
	if (!foreground)
		daemon_detach();
	if (pidfile != NULL)
		daemon_pidfile(pidfile);
	if (user != NULL)
		daemon_become(user, &du);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = main_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* before any thread: the delivery thread submits with libcurl */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		log_fatal(EX_OSERR, "libcurl: initialisation failed");

	if (cfg->router.consumer != NULL)
		snprintf(consumer, sizeof(consumer), "%s", cfg->router.consumer);
	else {
		if (gethostname(host, sizeof(host)) != 0)
			strcpy(host, "router");
		host[sizeof(host) - 1] = '\0';
		snprintf(consumer, sizeof(consumer), "%s-%ld", host,
		    (long)getpid());
	}
	memset(&st, 0, sizeof(st));
	st.cfg = cfg;
	st.file = file;
	st.consumer = consumer;
	if ((st.link.pool = rds_pool_new(&cfg->redis)) == NULL)
		log_fatal(EX_OSERR, "out of memory");
	rds_pool_say(st.link.pool, log_say, "redis: ");
	{
		char	who[512];

		snprintf(who, sizeof(who), "mailacd-router %s", consumer);
		if ((st.watch = dataset_watch_new(who, MAIN_PERSIST_MS)) ==
		    NULL)
			log_fatal(EX_OSERR, "out of memory");
		/* unreadable: the router would not notice a loss while it
		 * was stopped, which is what the file is for */
		if (cfg->router.dataset_file != NULL &&
		    dataset_watch_file(st.watch, cfg->router.dataset_file,
		    who, sizeof(who)) != 0)
			log_fatal(EX_CONFIG, "router.dataset_file: %s", who);
	}
	log_info("mailacd-router %s starting: consumer %s, redis %s, "
	    "configuration %s", MAILACD_VERSION, consumer,
	    rds_describe(st.link.pool), file);

	/* ready without Redis: the router waits for it and reconnects by
	 * itself (relink.c), and a start must not hang while Redis is down */
	metrics_start(cfg);
	daemon_notify("READY=1");
	relink_run(&st.link, &ops, &st);
	log_info("mailacd-router stopping");
	daemon_notify("STOPPING=1");
	metrics_stop();
	dataset_watch_free(st.watch);
	deliver_stop();
	fetch_stop();
	rds_pool_free(st.link.pool);
	cfg_unref(st.cfg);
	if (pidfile != NULL)
		(void)unlink(pidfile);
	free(du.name);
	curl_global_cleanup();
	return (0);
}
