/* metrics.h - the router's Prometheus metrics over HTTP
 * (router.metrics_listen): GET /metrics, with libmicrohttpd. */
#ifndef MAILACD_METRICS_H
#define MAILACD_METRICS_H

#include "cfg.h"

/* metrics_listen - listen on router.metrics_listen of CFG (nothing when it
 * is unset), before the router detaches and drops its privileges; exits
 * with EX_OSERR, naming the address and the reason (also on stderr when
 * not in the FOREGROUND), when it cannot */
void	metrics_listen(const struct cfg *cfg, int foreground);

/* metrics_start - serve what metrics_listen listens on, with its own
 * reference on CFG and its own Redis connection, from libmicrohttpd's
 * thread; once, after the fork.  Exits with EX_OSERR when the server
 * cannot start. */
void	metrics_start(struct cfg *cfg);

/* metrics_reload - serve with CFG from now on; when its metrics_listen
 * differs, listen there instead (a failure is logged and the metrics are
 * off until a reload that works) */
void	metrics_reload(struct cfg *cfg);

/* metrics_stop - stop serving and release everything; nothing happens
 * when nothing runs */
void	metrics_stop(void);

#endif
