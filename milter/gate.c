/* gate.c - the domain gate of outbound mail (seeds 000 and 002).
 *
 * Verification is what enables sending from a domain: until
 * "mailacdctl domain check" has found its ownership record once
 * (verified_at in mailacd:{ORG}:domain:NAME) its mail is answered with a
 * 4.7.x temporary failure, so the MTA keeps it and retries.  Campaign and
 * notification domains are held for dns.activation_period after that
 * first verification.  A domain's rate_limit is counted per clock minute
 * in Redis, so every milter of the installation shares it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gate.h"
#include "keys.h"

/* the last ms of year 9999: a verified_at past it is not a time */
#define GATE_TIME_MAX	253402300799999LL

/* gate_fmt_time - a Unix ms time as UTC text */
static void
gate_fmt_time(long long ms, char *buf, size_t len)
{
	time_t	t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "%lld", ms);
}

int
gate_check(struct rds_pool *pool, const struct cfg *cfg,
    const struct cfg_domain *d, long long now_ms, char *hold, size_t holdlen,
    char *err, size_t errlen)
{
	char	key[400], rkey[400], ttl[8], at[40], until[40];
	const char *argv[4];
	redisContext *c;
	redisReply *r = NULL, *q = NULL;
	long long verified = -1, count = 0, minute = now_ms / 60000;
	int	fresh, verify, hold_period;

	*hold = '\0';
	verify = d->require_verification &&
	    cfg->dns.verification_secret != NULL;
	hold_period = d->kind != CFG_KIND_CONTACT_CENTER ?
	    cfg->dns.activation_period : 0;
	if (!verify && d->rate_limit <= 0)
		return (RDS_OK);
	if (keys_fmt(key, sizeof(key), KEYS_FMT_DOMAIN, d->org->id, d->name) ||
	    keys_fmt(rkey, sizeof(rkey), KEYS_FMT_SENDRATE, d->org->id,
	    d->name, minute)) {
		snprintf(err, errlen, "key too long");
		return (RDS_RETRY);
	}
	if ((c = rds_get(pool, &fresh, err, errlen)) == NULL)
		return (RDS_RETRY);
	if (verify) {
		argv[0] = "HGET";
		argv[1] = key;
		argv[2] = "verified_at";
		if (rds_append(c, 3, argv) != 0)
			goto broken;
	}
	if (d->rate_limit > 0) {
		/* INCR then EXPIRE: the counter of a minute goes after two */
		snprintf(ttl, sizeof(ttl), "%d", 120);
		argv[0] = "INCR";
		argv[1] = rkey;
		if (rds_append(c, 2, argv) != 0)
			goto broken;
		argv[0] = "EXPIRE";
		argv[2] = ttl;
		if (rds_append(c, 3, argv) != 0)
			goto broken;
	}
	if (verify) {
		if (redisGetReply(c, (void **)&r) != REDIS_OK || r == NULL ||
		    r->type == REDIS_REPLY_ERROR)
			goto broken;
		if (r->type == REDIS_REPLY_STRING)
			verified = strtoll(r->str, NULL, 10);
		/* past year 9999 it is no time (a hand-edited value):
		 * adding the activation period to it would overflow */
		if (verified > GATE_TIME_MAX)
			verified = -1;
		freeReplyObject(r);
		r = NULL;
	}
	if (d->rate_limit > 0) {
		if (redisGetReply(c, (void **)&r) != REDIS_OK || r == NULL ||
		    r->type != REDIS_REPLY_INTEGER ||
		    redisGetReply(c, (void **)&q) != REDIS_OK || q == NULL)
			goto broken;
		count = r->integer;
		freeReplyObject(r);
		freeReplyObject(q);
		r = q = NULL;
	}
	rds_put(pool, c, 0);
	if (verify && verified <= 0)
		snprintf(hold, holdlen, "mailacd: domain %s is not verified "
		    "yet: publish its records (mailacdctl domain records %s) "
		    "and run mailacdctl domain check %s", d->name, d->name,
		    d->name);
	else if (verify && hold_period > 0 &&
	    now_ms < verified + (long long)hold_period * 1000) {
		gate_fmt_time(verified, at, sizeof(at));
		gate_fmt_time(verified + (long long)hold_period * 1000, until,
		    sizeof(until));
		snprintf(hold, holdlen, "mailacd: %s domain %s verified at %s "
		    "is held until %s (dns.activation_period)",
		    d->kind == CFG_KIND_CAMPAIGN ? "campaign" : "notification",
		    d->name, at, until);
	} else if (d->rate_limit > 0 && count > d->rate_limit)
		snprintf(hold, holdlen, "mailacd: domain %s sent %d messages "
		    "this minute, its rate_limit; try again later", d->name,
		    d->rate_limit);
	return (RDS_OK);
broken:
	rds_error(c, r, err, errlen);
	if (r != NULL)
		freeReplyObject(r);
	if (q != NULL)
		freeReplyObject(q);
	rds_put(pool, c, 1);
	return (RDS_RETRY);
}
