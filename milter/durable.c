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
#include "shard.h"
#include "tally.h"

#define DURABLE_INTERVAL_MS	1000
#define DURABLE_PERSIST_MS	60000

#define DURABLE_GROUPS	64	/* Redis groups watched; more share the last */

/* The look at one Redis group. */
struct durable_group {
	struct dataset_watch *w;
	const char *redis;	/* host:port of the pool in use, for logs */
	int	down;		/* the last look failed */
};

struct durable_state {
	char	who[300];
	struct durable_group g[DURABLE_GROUPS];
};

/* durable_say - log what the look found */
static void
durable_say(int level, const char *msg, void *arg)
{
	struct durable_group *st = arg;

	if (level == DATASET_SAY_ERR)
		log_errx("redis %s: %s", st->redis, msg);
	else if (level == DATASET_SAY_WARN)
		log_warnx("redis %s: persistence: %s", st->redis, msg);
	else
		log_info("redis %s: persistence: %s", st->redis, msg);
}

/* durable_group - one look at the Redis of group GROUP of SH */
static void
durable_group(struct durable_state *ds, struct shard *sh, size_t group)
{
	struct durable_group *st;
	struct rds_pool *pool = shard_at(sh, group);
	const struct cfg *cfg = shard_view(sh, group);
	redisContext *c;
	char	err[256] = "";
	int	fresh, rc;

	/* the top-level group serves no organisation when each names its
	 * own Redis: nothing of ours is there to watch */
	if (cfg->norgs == 0 && group == 0)
		return;
	st = &ds->g[group < DURABLE_GROUPS ? group : DURABLE_GROUPS - 1];
	if (st->w == NULL && (st->w = dataset_watch_new(ds->who,
	    DURABLE_PERSIST_MS)) == NULL)
		return;
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
	if (rc == 0 && tally_flush(c, cfg, err, sizeof(err)) != 0) {
		log_debug("redis %s: counters not added yet: %s", st->redis,
		    err);
		rc = c->err != 0 ? -1 : 0;
	}
	rds_put(pool, c, rc != 0);
	if (rc != 0 && !st->down)
		log_debug("redis %s: data-set look failed: %s", st->redis, err);
	st->down = rc != 0;
}

/* durable_look - one look at each group of the installed configuration */
static void
durable_look(struct shard *sh, void *arg)
{
	size_t	g;

	for (g = 0; g < shard_count(sh); g++)
		durable_group(arg, sh, g);
}

/* durable_thread - look once a second, for ever */
void *
durable_thread(void *arg)
{
	static struct durable_state st;
	char	host[256];

	(void)arg;
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	snprintf(st.who, sizeof(st.who), "mailacd-milter@%s[%ld]", host,
	    (long)getpid());
	for (;;) {
		(void)mlfi_with_conf(durable_look, &st);
		usleep(DURABLE_INTERVAL_MS * 1000);
	}
	return (NULL);
}
