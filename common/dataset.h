/* dataset.h - is Redis keeping what it acknowledged?  Its persistence
 * settings judged for mailacd's promise (nothing accepted without its
 * interaction recorded), and a per-organisation marker that tells a data
 * set that vanished under us (a restart without persistence, a flush) from
 * one that merely started.  Errors go to the caller's buffer; nothing here
 * logs. */
#ifndef MAILACD_DATASET_H
#define MAILACD_DATASET_H

#include <stddef.h>

#include <hiredis.h>

#define DATASET_ID_LEN	32

/* What Redis says about its persistence (-1: could not be read). */
struct dataset_persist {
	int	aof;			/* appendonly yes (1) / no (0) */
	char	fsync[16];		/* appendfsync: always, everysec, no */
	char	save[128];		/* the RDB save points, "" for none */
	int	config;			/* 1: CONFIG GET answered */
	int	replicas;		/* connected replicas */
	char	why[160];		/* why a value is unknown */
};

/* The verdict on a persistence configuration. */
#define DATASET_SAFE	0	/* acknowledged writes survive a crash */
#define DATASET_RISK	1	/* a crash can lose acknowledged writes */
#define DATASET_UNKNOWN	2	/* the settings could not be read */

/* dataset_persist_read - ask Redis on C for its persistence settings
 * (CONFIG GET, or INFO where CONFIG is refused); 0, or -1 with ERR when
 * Redis cannot be asked at all */
int	dataset_persist_read(redisContext *c, struct dataset_persist *p,
		    char *err, size_t errlen);

/* dataset_persist_verdict - DATASET_SAFE, _RISK or _UNKNOWN for P, with a
 * one-line description of the settings and what they risk in BUF */
int	dataset_persist_verdict(const struct dataset_persist *p, char *buf,
		    size_t len);

/* dataset_check - the marker of organisation ORG's data set on C, created
 * (by WHO) when missing.  KNOWN is the id this process saw before ("" for
 * none); the current id goes to ID.  *LOST is set when KNOWN is not "" and
 * the marker no longer holds it: the data set was lost since.  0, or -1
 * with ERR. */
int	dataset_check(redisContext *c, const char *org, const char *known,
		    const char *who, char id[DATASET_ID_LEN + 1], int *lost,
		    char *err, size_t errlen);

/* What a daemon is told to log after a look (nothing here logs). */
#define DATASET_SAY_INFO	0
#define DATASET_SAY_WARN	1
#define DATASET_SAY_ERR		2
typedef void dataset_say_fn(int level, const char *msg, void *arg);

struct cfg;
/* A daemon's watch: the markers it saw, the persistence it reported. */
struct dataset_watch;

/* dataset_watch_new - a watch for a daemon named WHO (copied) that looks
 * at the persistence settings every PERSIST_MS; NULL when out of memory */
struct dataset_watch *dataset_watch_new(const char *who, long persist_ms);

/* dataset_watch_file - keep the markers W sees in PATH (absolute; read
 * now, rewritten whole when one changes), so that a data set lost while
 * the process did not run is noticed at its next start.  A file that is
 * missing is not an error (the first start); 0, or -1 with ERR when it
 * cannot be read.  Writing fails are told through the watch's SAY. */
int	dataset_watch_file(struct dataset_watch *w, const char *path,
		    char *err, size_t errlen);

/* dataset_watch_free - free it; accepts NULL */
void	dataset_watch_free(struct dataset_watch *w);

/* dataset_watch_recheck - read the persistence settings at the next look
 * (a new connection may be to a Redis restarted with others) */
void	dataset_watch_recheck(struct dataset_watch *w);

/* dataset_watch_run - one look on C at NOW_MS (monotonic): the persistence
 * settings when due (SAY told at the first look and when the verdict
 * changes), and every organisation of CFG's marker (SAY told, as an error
 * naming the cause, when one was lost).  0, or -1 with ERR (the
 * connection failed: look again later) */
int	dataset_watch_run(struct dataset_watch *w, redisContext *c,
		    const struct cfg *cfg, long long now_ms, dataset_say_fn *say,
		    void *arg, char *err, size_t errlen);

#endif
