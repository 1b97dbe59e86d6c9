/* recheck.h - the router's periodic DNS re-check of verified domains
 * (dns.recheck_interval), so that a record that disappears is noticed. */
#ifndef MAILACD_RECHECK_H
#define MAILACD_RECHECK_H

#include <stddef.h>

#include <hiredis.h>

#include "cfg.h"

/* recheck_due - re-check, store (as "mailacdctl domain check" does) and
 * log each configured domain of CFG whose hash on C has verified_at and a
 * checked_at older than dns.recheck_interval; NOW is Unix milliseconds.
 * At most a few domains per call, so that the consume loop is not held
 * up.  0, or -1 with ERR when Redis failed */
int	recheck_due(redisContext *c, const struct cfg *cfg, long long now,
		    char *err, size_t errlen);

#endif
