/* relink.h - the router's loop around one Redis connection: connect and
 * set up, then turns of work until one fails; then the connection is
 * dropped and the next try waits, 250 ms doubling up to 5 s, until a whole
 * turn goes well again.  The main loop (the hand-off) and the delivery
 * thread both run in it. */
#ifndef MAILACD_RELINK_H
#define MAILACD_RELINK_H

#include <stddef.h>

#include <hiredis.h>

#include "rds.h"

/* One loop's connection. */
struct relink {
	struct rds_pool *pool;	/* the caller's; ops->before may swap it
				   after relink_drop() */
	redisContext *c;	/* connected and set up; NULL between tries */
	long long backoff;	/* ms to wait after the next failure */
	int	down;		/* a failure was logged, the connection has
				   not been set up again since */
	char	last[512];	/* the failure logged last, until a turn goes
				   well */
};

/* What a loop does; ARG is relink_run's. */
struct relink_ops {
	const char *name;	/* starts the log lines: "" or "delivery: " */
	/* stopping - nonzero when the loop must end */
	int	(*stopping)(void *arg);
	/* before - first thing of every round (a reload); may be NULL */
	void	(*before)(struct relink *l, void *arg);
	/* setup - make the new connection C ready; 0, or -1 with ERR */
	int	(*setup)(redisContext *c, void *arg, char *err, size_t errlen);
	/* turn - one turn of work on C; 0, or -1 with ERR (the connection is
	 * dropped and made again) */
	int	(*turn)(redisContext *c, void *arg, char *err, size_t errlen);
};

/* relink_run - run OPS on L's connection until ops->stopping; the
 * connection is closed on return.  L needs only its pool set. */
void	relink_run(struct relink *l, const struct relink_ops *ops, void *arg);

/* relink_failures - how many failures the loops of this process have
 * met since it started (each one that dropped a connection, logged or
 * not), for the metrics */
long long relink_failures(void);

/* relink_drop - close L's connection (it is made again at the next round)
 * without counting a failure */
void	relink_drop(struct relink *l);

#endif
