/* ctl.h - what the mailacdctl modules share: the run context, exit codes,
 * the Redis keys it reads, and the commands.
 *
 * mailacdctl reads Redis with plain commands and changes it only through
 * the mailacd function library (FCALL, one atomic call per change), like
 * every other program.  Every command answers with an exit status from
 * <sysexits.h> and writes its own errors to stderr as one line each,
 * "mailacdctl: ...". */
#ifndef MAILACD_CTL_H
#define MAILACD_CTL_H

#include <stdint.h>
#include <stdio.h>

#include <hiredis.h>
#include <jansson.h>

#include "cfg.h"
#include "keys.h"
#include "rds.h"
#include "shard.h"

#define CTL_ID_LEN	32	/* interaction id: lower-case hex digits */
#define CTL_ENQ_LEN	15	/* zero-padded enqueue time in a member */
#define CTL_KEY_MAX	512

/* Exit statuses beyond <sysexits.h>: 1 is "not found" (interaction,
 * agent, queue), 2 "refused in this state" (a closed interaction). */
#define CTL_EX_NOTFOUND	1
#define CTL_EX_STATE	2

/* One run of mailacdctl. */
struct ctl {
	const char *file;	/* configuration file */
	struct cfg *cfg;
	int	json;		/* --json: JSON on stdout */
	struct rds_pool *pool;	/* the current Redis group's pool, */
	redisContext *rc;	/* and connection: NULL until ctl_redis()
				   connects */
	struct shard *shard;	/* a pool per Redis group (shard.h) */
	redisContext **rcs;	/* a connection per group, or NULL */
	size_t	group;		/* the current group */
	int64_t	now_ms;		/* one clock reading for the whole run */
	FILE	*out;		/* output, copied to stdout only on success */
	const struct cfg_org *org;	/* -o: that organisation; NULL: all */
	double	interval;	/* watch -i: seconds between refreshes */
	long	count;		/* watch --count: refreshes; 0: no limit */
	int	requeue;	/* agent ID away|offline --requeue */
	const char *skills;	/* interaction transfer --skills LIST */
	const char *language;	/* interaction transfer --language TAG */
};

/* ctl_org_on - organisation O is one this run looks at (-o) */
int	ctl_org_on(const struct ctl *ctl, const struct cfg_org *o);


/* ctl_redis - connect (once) to the current Redis group (that of -o, or
 * the one the last key or call named, else the top-level redis); 0, or an
 * exit status with the reason on stderr */
int	ctl_redis(struct ctl *ctl);

/* ctl_use - make the Redis group of organisation ORG (NULL or unknown:
 * no change) the current one and connect to it; 0 or an exit status */
int	ctl_use(struct ctl *ctl, const char *org);

/* ctl_use_key - ctl_use for the organisation of KEY's hash tag
 * (mailacd:{ORG}:...): every key mailacdctl reads belongs to one */
int	ctl_use_key(struct ctl *ctl, const char *key);

/* ctl_close - return every connection and free the pools */
void	ctl_close(struct ctl *ctl);

/* ctl_command - run one Redis command with the fixed hiredis format FMT;
 * the reply (caller frees), or NULL with "VERB KEY: why" on stderr and
 * *STATUS set (see ctl_failed) */
redisReply *ctl_command(struct ctl *ctl, int *status, const char *verb,
		    const char *key, const char *fmt, ...);

/* ctl_hgetall - HGETALL KEY: the reply (an array of name, value pairs;
 * caller frees), or NULL with the reason on stderr and *STATUS set */
redisReply *ctl_hgetall(struct ctl *ctl, int *status, const char *key);

/* ctl_scan - SCAN every key matching PAT (of TYPE, or any when NULL) and
 * call FN(key, ARG) for each (a key may come twice); FN returns 0, or -1
 * when memory is short.  0, or an exit status with the reason on stderr */
int	ctl_scan(struct ctl *ctl, const char *pat, const char *type,
		    int (*fn)(const char *, void *), void *arg);

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

/* ctl_errx - print "mailacdctl: MESSAGE" on stderr (or where ctl_errto
 * says) */
void	ctl_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ctl_errto - send the lines of ctl_errx to FP (NULL: stderr); the
 * previous stream */
FILE	*ctl_errto(FILE *fp);

/* ctl_drop - close the connection after an error, so that the next
 * command connects again */
void	ctl_drop(struct ctl *ctl);

struct fn_cmd;

/* ctl_fcall - run CMD, a call of the library for organisation ORG built
 * by one of fn.h's constructors (ctl_fcall frees it whatever happens): 0
 * with its JSON object answer in *J (json_decref it), or an exit status
 * after one line on stderr (CMD failed to build: 69).  The library's error
 * codes become exit statuses: NOAGENT, NOIX, NOQUEUE 1; BADSTATE 2; BADARG
 * 64; SCHEMA, WRONGTYPE 65; anything else 69.  HINT, unless NULL, is added
 * to a NOAGENT or NOQUEUE line. */
int	ctl_fcall(struct ctl *ctl, const char *org, struct fn_cmd *cmd,
		    const char *hint, json_t **j);

/* ctl_why - why interactions wait in QUEUE of ORG (mailacd_waiting): a
 * line for operators in BUF ("" when nothing waits that an agent could
 * not take now), and the library's requirement sets in *REQS (an array
 * to json_decref; NULL when REQS is NULL).  0, or an exit status after one
 * line on stderr. */
int	ctl_why(struct ctl *ctl, const char *org, const char *queue, char *buf,
		    size_t len, json_t **reqs);

struct jw;

/* ctl_json_why - REQS of ctl_why as the JSON array "why" */
void	ctl_json_why(struct jw *j, const json_t *reqs);

/* ctl_assigned - the assignments listed in the library's answer A: one
 * line each on ctl->out, or (J not NULL) the JSON array "assigned" */
void	ctl_assigned(struct ctl *ctl, struct jw *j, const json_t *a);

/* ctl_jint - the whole-number member NAME of the library's answer V as
 * *N; 0, or -1 when it is missing or not a whole number.  cjson writes
 * 1795383124421 as it is, which Jansson reads as an integer, but numbers
 * of more than 14 digits as 1.795383124421e+14, a real: both are taken. */
int	ctl_jint(const json_t *v, const char *name, int64_t *n);

/* ctl_name_ok - NAME is an agent id or queue name: 1 to 64 of
 * A-Z a-z 0-9 . _ - */
int	ctl_name_ok(const char *name);

/* ctl_wait - milliseconds as "45s", "4m05s", "2h03m", "3d04h" into BUF */
const char *ctl_wait(int64_t ms, char *buf, size_t size);

/* ctl_member - split a queue member "ENQ15:ID"; 0, or -1 when malformed */
int	ctl_member(const char *member, size_t len, int64_t *enqueued,
		    char id[CTL_ID_LEN + 1]);

/* ctl_id_ok - ID is 32 lower-case hex digits */
int	ctl_id_ok(const char *id);

/* ctl_time - Unix milliseconds as local "YYYY-MM-DD HH:MM:SS +ZZZZ" */
const char *ctl_time(int64_t ms, char *buf, size_t size);

/* Exit status of "domain check" when nothing was missing or wrong but
 * something could not be checked (EX_TEMPFAIL: try again later). */
#define CTL_EX_UNCHECKED 75

/* domain_cmd - "domain records [--json] [-o ORG] DOMAIN" and "domain check
 * [--json] [-o ORG] [-s ADDR[@PORT]] DOMAIN | --all" (ctl/domain.c): main()
 * loads the configuration and hands it every argument after "domain",
 * options included; the exit status */
int	domain_cmd(struct ctl *ctl, int argc, char **argv);

/* mailbox.c */
int	mailbox_cmd(struct ctl *ctl, int argc, char **argv);
/* mailbox_status - the fetcher's last look at each mailbox of O: lines
 * on ctl->out, or the array "mailboxes" into J when J is not NULL */
int	mailbox_status(struct ctl *ctl, const struct cfg_org *o,
		    struct jw *j);

#endif
