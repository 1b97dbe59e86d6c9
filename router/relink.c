/* relink.c - keep one Redis connection up for a loop of turns.
 *
 * The back-off is reset only after a whole turn went well, not when the
 * connection comes back: an answer Redis keeps refusing is not retried in
 * a tight loop.  A failure is logged once and its end ("back") as soon as
 * the connection is set up again, since a turn may wait long for work; a
 * failure of a turn after that is logged too, unless it is the one logged
 * last and no turn has gone well since (the same refusal, again and
 * again, is one line). */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "relink.h"

#define RELINK_FIRST_MS	250	/* the first wait after a failure */
#define RELINK_MAX_MS	5000	/* the longest */

static atomic_llong relink_nfailed;

/* relink_failures - the failures counted by relink_failed */
long long
relink_failures(void)
{
	return (atomic_load(&relink_nfailed));
}

/* relink_drop - the connection goes back to the pool as broken */
void
relink_drop(struct relink *l)
{
	rds_put(l->pool, l->c, 1);
	l->c = NULL;
}

/* relink_nap - sleep MS, or less when the loop is told to stop */
static void
relink_nap(const struct relink_ops *ops, void *arg, long long ms)
{
	while (ms > 0 && !ops->stopping(arg)) {
		usleep((useconds_t)(ms > 100 ? 100 : ms) * 1000);
		ms -= 100;
	}
}

/* relink_failed - log ERR unless the failure is logged already, drop the
 * connection, wait, wait longer next time */
static void
relink_failed(struct relink *l, const struct relink_ops *ops, void *arg,
    const char *err, const char *then)
{
	atomic_fetch_add(&relink_nfailed, 1);
	if (!l->down && (l->last[0] == '\0' || strcmp(err, l->last) != 0)) {
		log_warnx("%sredis %s: %s; %s", ops->name,
		    rds_describe(l->pool), err, then);
		snprintf(l->last, sizeof(l->last), "%s", err);
		l->down = 1;
	}
	relink_drop(l);
	relink_nap(ops, arg, l->backoff);
	l->backoff = l->backoff * 2 > RELINK_MAX_MS ? RELINK_MAX_MS :
	    l->backoff * 2;
}

/* relink_run - rounds of: before, connect and set up if needed, one turn */
void
relink_run(struct relink *l, const struct relink_ops *ops, void *arg)
{
	char	err[512];
	int	fresh;

	l->backoff = RELINK_FIRST_MS;
	while (!ops->stopping(arg)) {
		if (ops->before != NULL)
			ops->before(l, arg);
		if (l->c == NULL) {
			err[0] = '\0';
			if ((l->c = rds_get(l->pool, &fresh, err,
			    sizeof(err))) == NULL ||
			    ops->setup(l->c, arg, err, sizeof(err)) != 0) {
				relink_failed(l, ops, arg, err, "retrying");
				continue;
			}
			if (l->down)
				log_info("%sredis %s: back", ops->name,
				    rds_describe(l->pool));
			l->down = 0;
		}
		err[0] = '\0';
		if (ops->turn(l->c, arg, err, sizeof(err)) == 0) {
			l->last[0] = '\0';
			l->backoff = RELINK_FIRST_MS;
			continue;
		}
		if (ops->stopping(arg))
			break;
		relink_failed(l, ops, arg, err, "reconnecting");
	}
	relink_drop(l);
}
