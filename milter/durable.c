/* durable.c - the milter's watcher thread: once a second it asks Redis
 * whether it still holds the data set the milter has been writing into
 * (common/dataset.c), reports Redis's persistence settings at start and
 * whenever they change, and adds what the milter counted since (tally.c)
 * to the organisations' counters.  A Redis that lost what it had acknowledged
 * is logged as an error naming the cause; mail keeps flowing into the
 * Redis that is there. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "dataset.h"
#include "log.h"
#include "mlfi.h"
#include "durable.h"
#include "tally.h"

#define DURABLE_INTERVAL_MS	1000
#define DURABLE_PERSIST_MS	60000

struct durable_state {
	struct dataset_watch *w;
	const char *redis;	/* host:port of the pool in use, for logs */
	int	down;		/* the last look failed */
};

/* durable_say - log what the look found */
static void
durable_say(int level, const char *msg, void *arg)
{
	struct durable_state *st = arg;

	if (level == DATASET_SAY_ERR)
		log_errx("redis %s: %s", st->redis, msg);
	else if (level == DATASET_SAY_WARN)
		log_warnx("redis %s: persistence: %s", st->redis, msg);
	else
		log_info("redis %s: persistence: %s", st->redis, msg);
}

/* durable_look - one look with the installed configuration */
static void
durable_look(const struct cfg *cfg, struct rds_pool *pool, void *arg)
{
	struct durable_state *st = arg;
	redisContext *c;
	char	err[256] = "";
	int	fresh, rc;

	st->redis = rds_describe(pool);
	/* Redis down is the hand-off's to report (it tempfails) */
	if ((c = rds_get(pool, &fresh, err, sizeof(err))) == NULL) {
		st->down = 1;
		return;
	}
	if (fresh || st->down)
		dataset_watch_recheck(st->w);
	rc = dataset_watch_run(st->w, c, cfg, clock_mono_ms(), durable_say, st,
	    err, sizeof(err));
	/* what the milter counted goes to Redis on the same connection */
	if (rc == 0 && tally_flush(c, err, sizeof(err)) != 0) {
		log_debug("redis %s: counters not added yet: %s", st->redis,
		    err);
		rc = c->err != 0 ? -1 : 0;
	}
	rds_put(pool, c, rc != 0);
	if (rc != 0 && !st->down)
		log_debug("redis %s: data-set look failed: %s", st->redis, err);
	st->down = rc != 0;
}

/* durable_thread - look once a second, for ever */
void *
durable_thread(void *arg)
{
	struct durable_state st;
	char	who[300], host[256];

	(void)arg;
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	snprintf(who, sizeof(who), "mailacd-milter@%s[%ld]", host,
	    (long)getpid());
	memset(&st, 0, sizeof(st));
	if ((st.w = dataset_watch_new(who, DURABLE_PERSIST_MS)) == NULL) {
		log_errx("out of memory: Redis data-set watch not started");
		return (NULL);
	}
	for (;;) {
		(void)mlfi_with_conf(durable_look, &st);
		usleep(DURABLE_INTERVAL_MS * 1000);
	}
	return (NULL);
}
