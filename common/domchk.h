/* domchk.h - the DNS records a configured domain needs (ownership token,
 * MX, DKIM key, bounce domain), asking the DNS whether they are published,
 * and keeping the result in Redis (mailacd:{ORG}:domain:NAME).  Shared by
 * "mailacdctl domain records|check" and the router's periodic re-check.
 * Library code: errors go to the caller's buffer; nothing here logs or
 * prints. */
#ifndef MAILACD_DOMCHK_H
#define MAILACD_DOMCHK_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis.h>

#include "cfg.h"
#include "dns.h"

#define DOMCHK_NAME_MAX	(CFG_DOMAIN_MAX + 80)	/* a domain and a prefix */

/* What a check found about one record. */
enum domchk_status {
	DOMCHK_NOTYET = -1,	/* not asked (yet) */
	DOMCHK_OK = 0,
	DOMCHK_MISSING = 1,
	DOMCHK_WRONG = 2,
	DOMCHK_UNCHECKED = 3	/* could not check */
};

/* One item of a plan: a record to publish, or (type 0) a line of
 * instructions for the administrator. */
struct domchk_rec {
	const char *id;		/* "ownership", "mx", "dkim", "bounce-mx",
				   "bounce-spf", "bounce-cname"; "note" */
	int	type;		/* DNS_TXT, DNS_MX, DNS_CNAME; 0: a note */
	char	name[DOMCHK_NAME_MAX];	/* lower case, no final dot */
	char	*value;		/* TXT: the text; CNAME: the target; a note:
				   its text; NULL for MX */
	char *const *hosts;	/* MX: the hosts (the configuration's) */
	size_t	nhosts;
	const char *purpose;
	const char *unset;	/* the setting whose absence leaves the value
				   unknown ("dns.mx_hosts"), or NULL */
	int	loose;		/* TXT: blanks do not matter (DKIM tags) */
	const char *prefix;	/* TXT: only answers that begin with it are
				   about this record ("v=spf1"), or NULL */
	/* filled by domchk_check */
	int	status;		/* enum domchk_status */
	char	**found;	/* what the DNS answered, as dns.h has it */
	size_t	nfound;
	char	reason[DNS_REASON_MAX];	/* missing, unchecked: why */
};

/* The records of one domain. */
struct domchk_plan {
	const struct cfg_domain *d;
	struct domchk_rec *v;
	size_t	n;
	int	status;		/* the domain's: DOMCHK_OK (passed), DOMCHK_WRONG
				   (failed, something missing or wrong),
				   DOMCHK_UNCHECKED */
	int64_t	checked_at;
};

/* domchk_plan_make - every record domain D of CFG needs, in the order they
 * are printed; 0, or -1 with the reason in ERR (domchk_plan_free() it
 * either way) */
int	domchk_plan_make(const struct cfg *cfg, const struct cfg_domain *d,
		    struct domchk_plan *p, char *err, size_t errlen);

/* domchk_plan_free - free what the plan holds (not the plan) */
void	domchk_plan_free(struct domchk_plan *p);

/* domchk_check - ask DNS (NULL: it could not be made, DNSERR says why)
 * for every record of P and set their status and the domain's; 0, or -1
 * when memory is short */
int	domchk_check(struct dns *dns, const char *dnserr,
		    struct domchk_plan *p);

/* domchk_find_rec - the record ID of P, or NULL */
const struct domchk_rec *domchk_find_rec(const struct domchk_plan *p,
		    const char *id);

/* domchk_status_name - a record's status: ok, missing, wrong, unchecked */
const char *domchk_status_name(int status);

/* domchk_domain_status - a domain's status word: passed, failed,
 * unchecked */
const char *domchk_domain_status(int status);

/* domchk_expected - what R asks for, one line, into BUF */
const char *domchk_expected(const struct domchk_rec *r, char *buf,
		    size_t len);

/* domchk_summary - "ownership=ok mx=missing ..." (ALL) or the ids missing
 * or wrong, into BUF */
void	domchk_summary(const struct domchk_plan *p, int all, char *buf,
		    size_t len);

/* domchk_store - the result of P (P->checked_at set) into
 * mailacd:{ORG}:domain:NAME on C: status, checked_at, ownership, records,
 * failed_records, and verified_at the first time ownership passes; 0, or
 * -1 with "VERB KEY: why" in ERR */
int	domchk_store(redisContext *c, const struct domchk_plan *p, char *err,
		    size_t errlen);

#endif
