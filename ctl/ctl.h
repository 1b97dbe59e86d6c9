/* ctl.h - what the mailacdctl modules share: the run context, exit codes,
 * the Redis keys it reads, and the commands.
 *
 * mailacdctl only reads Redis.  Every command answers with an exit status
 * from <sysexits.h> and writes its own errors to stderr as one line each,
 * "mailacdctl: ...". */
#ifndef MAILACD_CTL_H
#define MAILACD_CTL_H

#include <stdint.h>
#include <stdio.h>

#include <hiredis.h>

#include "cfg.h"
#include "keys.h"
#include "rds.h"

#define CTL_ID_LEN	32	/* interaction id: lower-case hex digits */
#define CTL_ENQ_LEN	15	/* zero-padded enqueue time in a member */
#define CTL_KEY_MAX	512

/* Exit statuses beyond <sysexits.h>: 1 is "not found". */
#define CTL_EX_NOTFOUND	1

/* One run of mailacdctl. */
struct ctl {
	const char *file;	/* configuration file */
	struct cfg *cfg;
	int	json;		/* --json: JSON on stdout */
	struct rds_pool *pool;
	redisContext *rc;	/* NULL until ctl_redis() connects */
	int64_t	now_ms;		/* one clock reading for the whole run */
	FILE	*out;		/* output, copied to stdout only on success */
};

/* ctl_redis - connect (once) to the configured Redis; 0, or an exit status
 * with the reason on stderr */
int	ctl_redis(struct ctl *ctl);

/* ctl_command - run one Redis command with the fixed hiredis format FMT;
 * the reply (caller frees), or NULL with "VERB KEY: why" on stderr and
 * *STATUS set (see ctl_failed) */
redisReply *ctl_command(struct ctl *ctl, int *status, const char *verb,
		    const char *key, const char *fmt, ...);

/* ctl_failed - report that VERB KEY failed (R: its error reply or NULL);
 * the exit status: 69 when Redis is unreachable or refuses, 65 for data
 * that does not follow mailacd-keys(7) */
int	ctl_failed(struct ctl *ctl, const char *verb, const char *key,
		    redisReply *r);

/* ctl_int - the integer reply R as *V; 0, or the exit status after
 * reporting VERB KEY */
int	ctl_int(struct ctl *ctl, redisReply *r, const char *verb,
		    const char *key, long long *v);

/* ctl_schema - refuse an organisation whose data is in another schema; 0
 * or an exit status */
int	ctl_schema(struct ctl *ctl, const char *org);

/* ctl_errx - print "mailacdctl: MESSAGE" on stderr */
void	ctl_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ctl_wait - milliseconds as "45s", "4m05s", "2h03m", "3d04h" into BUF */
const char *ctl_wait(int64_t ms, char *buf, size_t size);

/* ctl_member - split a queue member "ENQ15:ID"; 0, or -1 when malformed */
int	ctl_member(const char *member, size_t len, int64_t *enqueued,
		    char id[CTL_ID_LEN + 1]);

/* ctl_id_ok - ID is 32 lower-case hex digits */
int	ctl_id_ok(const char *id);

/* ctl_time - Unix milliseconds as local "YYYY-MM-DD HH:MM:SS +ZZZZ" */
const char *ctl_time(int64_t ms, char *buf, size_t size);

#endif
