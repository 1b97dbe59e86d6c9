/* main.c - mailacd-router: options, daemon set-up, the consume loops.
 *
 * The router writes the roster to Redis (roster.c), takes the milter's
 * hand-off and queues or assigns each interaction (ingest.c), and re-checks
 * the DNS records of verified domains now and then (recheck.c); assignment
 * itself is the function library in Redis (common/mailacd.lua), which
 * mailacdctl calls too.  For queues in forward mode a thread resends the
 * customers' messages to the agents (deliver.c); another pulls the mail
 * of addresses with a mailbox from their servers (fetch.c).  The consume
 * loops and those threads each keep their Redis connection up with
 * relink.c and read their streams with stream.c.  Conventions follow mailacd-milter: -c file, -n,
 * -f, -u user[:group], -P pidfile, -V, -d, --help, --version, --strict.
 *
 * A router serves the organisations router.organizations lists (all when
 * it lists none), whichever Redis group each lives in: the main thread only
 * waits for signals, and each Redis group with an organisation to serve
 * gets a thread of its own that runs the consume loop (and starts the
 * group's delivery and fetch threads) on a view of the configuration that
 * holds only that group's organisations and redis settings (cfg_view).
 * A Redis that is down stops only its own group's thread.  A reload stops
 * the groups' threads and starts them again with the new configuration. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
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
#include "hdr.h"
#include "ingest.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"
#include "rds.h"
#include "recheck.h"
#include "relink.h"
#include "roster.h"
#include "shard.h"
#include "stream.h"

#ifndef MAILACD_VERSION
#define MAILACD_VERSION "unknown"
#endif

/* how often the data-set marker and the persistence settings are read */
#define MAIN_WATCH_MS		1000
#define MAIN_PERSIST_MS		60000
/* how often the main thread looks for a signal's flag */
#define MAIN_NAP_MS		50

static volatile sig_atomic_t main_stop, main_reload;

/* One Redis group's consume loop, in a thread of its own. */
struct main_group {
	struct relink link;	/* the connection, and the group's pool */
	struct cfg *cfg;	/* the group's view (both the shard's) */
	const char *consumer;
	struct dataset_watch *watch;
	long long next_claim, next_watch;	/* monotonic ms */
	int	delivering;	/* deliver_start() was called */
	pthread_t tid;
	int	started;
};

/* The router: the configuration and the groups' loops. */
struct main_state {
	struct cfg *cfg;	/* the whole file */
	const char *file;
	const char *consumer;
	struct shard *sh;	/* each Redis group's pool and view */
	struct main_group *g;	/* and consume loop */
	size_t	ng;
};

/* the groups' threads end (a reload or a stop) */
static atomic_int main_regroup;
/* deliver_start and fetch_start are called by one thread at a time */
static pthread_mutex_t main_start_lock = PTHREAD_MUTEX_INITIALIZER;

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

/* main_stopping - relink: SIGTERM or SIGINT came, or a reload */
static int
main_stopping(void *arg)
{
	(void)arg;
	return (main_stop || atomic_load(&main_regroup));
}

/* main_setup - relink: the scripts, the consumer groups, the roster, the
 * entries left unacknowledged; then the delivery thread, once */
static int
main_setup(redisContext *c, void *arg, char *err, size_t errlen)
{
	struct main_group *st = arg;
	int	n;

	if (ingest_setup(c, st->cfg, err, errlen) != 0 ||
	    roster_sync(c, st->cfg, &n, err, errlen) != 0 ||
	    ingest_recover(c, st->cfg, st->consumer, &n, err, errlen) != 0 ||
	    outbox_publish(c, st->cfg, err, errlen) != 0)
		return (-1);
	dataset_watch_recheck(st->watch);
	if (n > 0)
		log_info("recovered %d unacknowledged entries", n);
	st->next_claim = clock_mono_ms() + st->cfg->router.claim_idle_ms / 2;
	if (!st->delivering) {
		pthread_mutex_lock(&main_start_lock);
		(void)deliver_start(st->cfg, st->consumer);
		(void)fetch_start(st->cfg, st->consumer);
		(void)outbox_start(st->cfg, st->consumer);
		pthread_mutex_unlock(&main_start_lock);
		st->delivering = 1;
	}
	return (0);
}

/* main_turn - relink: now and then take over idle entries, trim, re-check
 * domains and look at Redis's data set; then wait for new entries */
static int
main_turn(redisContext *c, void *arg, char *err, size_t errlen)
{
	struct main_group *st = arg;
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

/* main_group_run - a group's thread: the consume loop until a stop */
static void *
main_group_run(void *arg)
{
	static const struct relink_ops ops = { "", main_stopping, NULL,
	    main_setup, main_turn };
	struct main_group *g = arg;

	relink_run(&g->link, &ops, g);
	return (NULL);
}

/* main_groups_stop - end every group's thread, then the delivery and
 * fetch threads they started; free the groups */
static void
main_groups_stop(struct main_state *st)
{
	size_t	i;

	atomic_store(&main_regroup, 1);
	for (i = 0; i < st->ng; i++)
		if (st->g[i].started)
			pthread_join(st->g[i].tid, NULL);
	deliver_stop();
	fetch_stop();
	outbox_stop();
	for (i = 0; i < st->ng; i++)
		dataset_watch_free(st->g[i].watch);
	free(st->g);
	shard_free(st->sh);
	st->g = NULL;
	st->sh = NULL;
	st->ng = 0;
	atomic_store(&main_regroup, 0);
}

/* main_groups_start - a thread for each Redis group of CFG with an
 * organisation this router serves; 0, or -1 (logged; -2: the
 * router.dataset_file cannot be read) */
static int
main_groups_start(struct main_state *st, struct cfg *cfg)
{
	struct main_group *g;
	sigset_t all, old;
	char	who[512];
	size_t	i;
	int	e;

	if ((st->sh = shard_new(cfg, 1)) == NULL ||
	    (st->g = calloc(shard_count(st->sh), sizeof(*st->g))) == NULL) {
		log_errx("out of memory");
		return (-1);
	}
	shard_say(st->sh, log_say, "redis: ");
	snprintf(who, sizeof(who), "mailacd-router %s", st->consumer);
	for (i = 0; i < shard_count(st->sh); i++) {
		g = &st->g[st->ng];
		if ((g->watch = dataset_watch_new(who, MAIN_PERSIST_MS)) ==
		    NULL) {
			log_errx("out of memory");
			return (-1);
		}
		st->ng++;
		g->cfg = shard_view(st->sh, i);
		g->link.pool = shard_at(st->sh, i);
		g->consumer = st->consumer;
		/* the groups' watches share the file, each its own lines;
		 * unreadable, the router would not notice a loss while it
		 * was stopped, which is what the file is for */
		if (cfg->router.dataset_file != NULL &&
		    dataset_watch_file(g->watch, cfg->router.dataset_file,
		    who, sizeof(who)) != 0) {
			log_errx("router.dataset_file: %s", who);
			return (-2);
		}
		/* the top-level group may serve no organisation */
		if (g->cfg->norgs == 0)
			continue;
		log_info("redis %s: serving %zu organisation%s",
		    rds_describe(g->link.pool), g->cfg->norgs,
		    g->cfg->norgs == 1 ? "" : "s");
		/* signals are the main thread's */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		e = pthread_create(&g->tid, NULL, main_group_run, g);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (e != 0) {
			log_errx("cannot start a thread: %s", strerror(e));
			return (-1);
		}
		g->started = 1;
	}
	return (0);
}

/* main_reload_now - after SIGHUP: load the configuration again and, when
 * it is good, start the groups over with it */
static void
main_reload_now(struct main_state *st)
{
	struct cfg_errors errs = { 0 };
	struct cfg *ncfg;

	main_reload = 0;
	daemon_notify("RELOADING=1");
	if ((ncfg = cfg_load(st->file, &errs)) == NULL) {
		daemon_errors(&errs, 1);
		cfg_errors_clear(&errs);
		daemon_notify("READY=1");
		return;
	}
	daemon_warnings(ncfg, 1);
	main_groups_stop(st);
	cfg_unref(st->cfg);
	st->cfg = ncfg;
	if (main_groups_start(st, ncfg) != 0)
		log_errx("reload: not every Redis group is served");
	metrics_reload(ncfg);
	log_info("configuration reloaded from %s", st->file);
	daemon_notify("READY=1");
}

int
main(int argc, char **argv)
{
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
	/* before any thread: the outbox composes with GMime */
	hdr_init();
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
	log_info("mailacd-router %s starting: consumer %s, configuration %s",
	    MAILACD_VERSION, consumer, file);

	/* ready without Redis: the router waits for it and reconnects by
	 * itself (relink.c), and a start must not hang while Redis is down */
	if ((rc = main_groups_start(&st, cfg)) != 0)
		log_fatal(rc == -2 ? EX_CONFIG : EX_OSERR, "cannot serve the "
		    "Redis groups");
	metrics_start(cfg);
	daemon_notify("READY=1");
	while (!main_stop) {
		usleep(MAIN_NAP_MS * 1000);
		if (main_reload && !main_stop)
			main_reload_now(&st);
	}
	log_info("mailacd-router stopping");
	daemon_notify("STOPPING=1");
	metrics_stop();
	main_groups_stop(&st);
	cfg_unref(st.cfg);
	if (pidfile != NULL)
		(void)unlink(pidfile);
	free(du.name);
	curl_global_cleanup();
	return (0);
}
