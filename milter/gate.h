/* gate.h - may outbound mail leave from this domain now?  Ownership
 * verified (dns.verification_secret + require_verification), the
 * activation hold of campaign and notification domains, the per-minute
 * rate limit counted in Redis across every milter. */
#ifndef MAILACD_GATE_H
#define MAILACD_GATE_H

#include <stddef.h>

#include "cfg.h"
#include "rds.h"

/* gate_check - one Redis round trip for domain D at NOW_MS; RDS_OK with
 * *HOLD NULL (go) or the text of a 4.7.x temporary failure in HOLD
 * (HOLDLEN), RDS_RETRY with ERR when Redis cannot answer.  A domain with
 * nothing to check costs nothing. */
int	gate_check(struct rds_pool *pool, const struct cfg *cfg,
		    const struct cfg_domain *d, long long now_ms, char *hold,
		    size_t holdlen, char *err, size_t errlen);

#endif
