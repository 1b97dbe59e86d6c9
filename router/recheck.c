/* recheck.c - re-check verified domains in the DNS every
 * dns.recheck_interval seconds (domchk.c), store the result where
 * "mailacdctl domain check" stores it, and log it: info when the domain
 * still passes, a warning per record gone missing or wrong.  A lookup that
 * could not be answered (timeout, SERVFAIL) leaves the stored status as it
 * is: it is tried again after RECHECK_RETRY.  A re-check that finds the
 * domain failing is counted (domain_check_failed in the organisation's
 * counters hash). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domchk.h"
#include "keys.h"
#include "log.h"
#include "rds.h"
#include "recheck.h"

#define RECHECK_PER_TURN 4		/* domains re-checked per call */
#define RECHECK_RETRY	300000LL	/* ms before a "could not check"
					   domain is tried again */
#define RECHECK_KEY_MAX	(DOMCHK_NAME_MAX + CFG_NAME_MAX + 32)

/* A domain that could not be checked, and when to try it again. */
struct recheck_later {
	char	key[RECHECK_KEY_MAX];
	long long at;
};

static struct recheck_later *recheck_later;
static size_t recheck_nlater;

/* recheck_wait - the domain of hash KEY could not be checked lately */
static int
recheck_wait(const char *key, long long now)
{
	size_t	i;

	for (i = 0; i < recheck_nlater; i++)
		if (strcmp(recheck_later[i].key, key) == 0)
			return (now < recheck_later[i].at);
	return (0);
}

/* recheck_defer - try the domain of hash KEY again after RECHECK_RETRY
 * (a failed allocation only means it is tried sooner) */
static void
recheck_defer(const char *key, long long now)
{
	struct recheck_later *v;
	size_t	i;

	for (i = 0; i < recheck_nlater; i++)
		if (strcmp(recheck_later[i].key, key) == 0)
			break;
	if (i == recheck_nlater) {
		if ((v = reallocarray(recheck_later, recheck_nlater + 1,
		    sizeof(*v))) == NULL)
			return;
		recheck_later = v;
		recheck_nlater++;
		snprintf(v[i].key, sizeof(v[i].key), "%s", key);
	}
	recheck_later[i].at = now + RECHECK_RETRY;
}

/* recheck_found - what the DNS answered for R, one line, into BUF */
static const char *
recheck_found(const struct domchk_rec *r, char *buf, size_t len)
{
	size_t	i, o = 0;

	if (r->nfound == 0) {
		snprintf(buf, len, "found nothing: %s", r->reason);
		return (buf);
	}
	o = (size_t)snprintf(buf, len, "found ");
	for (i = 0; i < r->nfound && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, r->type == DNS_TXT ?
		    "%s\"%s\"" : "%s%s", i > 0 ? ", " : "", r->found[i]);
	return (buf);
}

/* recheck_log - one line for a domain that passed, one warning per
 * record missing or wrong, one for records that could not be checked */
static void
recheck_log(const struct domchk_plan *p, const char *was)
{
	const struct domchk_rec *r;
	char	found[1024], want[1024];
	size_t	i;

	if (p->status == DOMCHK_OK) {
		log_info("domain %s (%s): re-check passed%s", p->d->name,
		    p->d->org->id, strcmp(was, "passed") != 0 ?
		    " again" : "");
		return;
	}
	for (i = 0; i < p->n; i++) {
		r = &p->v[i];
		if (r->type == 0)
			continue;
		if (r->status == DOMCHK_MISSING || r->status == DOMCHK_WRONG)
			log_warnx("domain %s (%s): re-check failed: %s %s "
			    "(%s, expected %s)", p->d->name, p->d->org->id,
			    r->id, domchk_status_name(r->status),
			    recheck_found(r, found, sizeof(found)),
			    domchk_expected(r, want, sizeof(want)));
		else if (r->status == DOMCHK_UNCHECKED)
			log_warnx("domain %s (%s): re-check: could not check "
			    "%s: %s", p->d->name, p->d->org->id, r->id,
			    r->reason);
	}
}

/* recheck_dns_failed - some record of P could not be asked about (not
 * one whose value the configuration leaves unset) */
static int
recheck_dns_failed(const struct domchk_plan *p)
{
	size_t	i;

	for (i = 0; i < p->n; i++)
		if (p->v[i].type != 0 && p->v[i].status == DOMCHK_UNCHECKED &&
		    p->v[i].unset == NULL)
			return (1);
	return (0);
}

/* recheck_count - one more failed re-check in the organisation's
 * counters (the metrics' mailacd_domain_check_failures_total); 0 or -1 */
static int
recheck_count(redisContext *c, const struct cfg_domain *d, char *err,
    size_t errlen)
{
	char	key[RECHECK_KEY_MAX];
	const char *argv[4] = { "HINCRBY", key, KEYS_F_CNT_DOMAIN_FAILED, "1" };
	redisReply *r;

	if (keys_fmt(key, sizeof(key), KEYS_FMT_COUNTERS, d->org->id) != 0) {
		snprintf(err, errlen, "organisation %s: key too long",
		    d->org->id);
		return (-1);
	}
	if ((r = rds_cmd(c, 4, argv, err, errlen)) == NULL)
		return (-1);
	freeReplyObject(r);
	return (0);
}

/* recheck_one - re-check domain D, log, and store unless the DNS could
 * not answer; 0, or -1 with ERR when Redis failed */
static int
recheck_one(redisContext *c, const struct cfg *cfg,
    const struct cfg_domain *d, const char *key, const char *was,
    long long now, char *err, size_t errlen)
{
	struct domchk_plan p;
	char	why[512], dnserr[DNS_REASON_MAX];
	struct dns *dns;
	int	rc = 0;

	if (domchk_plan_make(cfg, d, &p, why, sizeof(why)) != 0) {
		log_warnx("domain %s (%s): re-check: %s", d->name, d->org->id,
		    why);
		recheck_defer(key, now);
		domchk_plan_free(&p);
		return (0);
	}
	dns = dns_new(cfg->dns.server, cfg->dns.timeout_ms, dnserr,
	    sizeof(dnserr));
	if (domchk_check(dns, dnserr, &p) != 0) {
		log_warnx("domain %s (%s): re-check: out of memory", d->name,
		    d->org->id);
		recheck_defer(key, now);
		goto out;
	}
	p.checked_at = now;
	recheck_log(&p, was);
	if (p.status == DOMCHK_UNCHECKED && recheck_dns_failed(&p)) {
		log_warnx("domain %s (%s): could not check; status stays %s, "
		    "next try in %lld s", d->name, d->org->id, was,
		    RECHECK_RETRY / 1000);
		recheck_defer(key, now);
		goto out;
	}
	if (domchk_store(c, &p, err, errlen) != 0 ||
	    (p.status == DOMCHK_WRONG && recheck_count(c, d, err, errlen) != 0))
		rc = -1;
out:
	dns_free(dns);
	domchk_plan_free(&p);
	return (rc);
}

/* recheck_due - see recheck.h */
int
recheck_due(redisContext *c, const struct cfg *cfg, long long now,
    char *err, size_t errlen)
{
	const struct cfg_domain *d;
	char	key[RECHECK_KEY_MAX], why[256], was[32];
	long long interval = (long long)cfg->dns.recheck_interval * 1000;
	redisReply *r;
	size_t	i, k;
	int	done = 0, st;

	if (interval <= 0)
		return (0);
	for (i = 0; i < cfg->norgs && done < RECHECK_PER_TURN; i++)
		for (k = 0; k < cfg->orgs[i].ndomains &&
		    done < RECHECK_PER_TURN; k++) {
			d = &cfg->orgs[i].domains[k];
			if (keys_fmt(key, sizeof(key), KEYS_FMT_DOMAIN,
			    d->org->id, d->name) != 0 ||
			    recheck_wait(key, now))
				continue;
			r = redisCommand(c, "HMGET %s " KEYS_F_DOM_VERIFIED_AT
			    " " KEYS_F_DOM_CHECKED_AT " " KEYS_F_DOM_STATUS,
			    key);
			if (r == NULL || r->type != REDIS_REPLY_ARRAY ||
			    r->elements != 3) {
				rds_error(c, r, why, sizeof(why));
				snprintf(err, errlen, "HMGET %s: %s", key, why);
				if (r != NULL)
					freeReplyObject(r);
				return (-1);
			}
			/* never verified, or checked lately: not yet */
			st = r->element[0]->type == REDIS_REPLY_STRING &&
			    (r->element[1]->type != REDIS_REPLY_STRING ||
			    now - strtoll(r->element[1]->str, NULL, 10) >=
			    interval);
			snprintf(was, sizeof(was), "%s",
			    r->element[2]->type == REDIS_REPLY_STRING ?
			    r->element[2]->str : "unchecked");
			freeReplyObject(r);
			if (!st)
				continue;
			done++;
			if (recheck_one(c, cfg, d, key, was, now, err,
			    errlen) != 0)
				return (-1);
		}
	return (0);
}
