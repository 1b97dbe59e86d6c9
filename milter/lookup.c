/* lookup.c - bind outbound.c's lookups to Redis: the interaction an
 * outbound message answers and its record (reply.c), the domain gate
 * (gate.c), each over the pool of the organisation it is about. */
#include "gate.h"
#include "lookup.h"
#include "reply.h"
#include "shard.h"

/* lookup_find - reply_find on the pool of A's organisation (ARG: the
 * shard) */
static int
lookup_find(void *arg, const struct cfg_address *a, const char *ixhdr,
    const char *irt, const char *refs, struct reply *r, char *err,
    size_t errlen)
{
	return (reply_find(shard_pool(arg, a->org), a, ixhdr, irt, refs, r, err, errlen));
}

/* lookup_gate - gate_check on the pool of D's organisation */
static int
lookup_gate(void *arg, const struct cfg *cfg, const struct cfg_domain *d,
    long long now_ms, char *hold, size_t holdlen, char *err, size_t errlen)
{
	return (gate_check(shard_pool(arg, d->org), cfg, d, now_ms, hold, holdlen, err, errlen));
}

/* lookup_record - reply_record on the pool of A's organisation */
static int
lookup_record(void *arg, const struct cfg_address *a, const struct reply *r,
    const char *msgid, const char *by, int thread_ttl, char *err,
    size_t errlen)
{
	return (reply_record(shard_pool(arg, a->org), a, r, msgid, by, thread_ttl, err, errlen));
}

/* lookup_redis - the three lookups over SH; ORG names the Redis in
 * log lines */
void
lookup_redis(struct out_lookup *l, struct shard *sh, const struct cfg_org *org)
{
	l->find = lookup_find;
	l->gate = lookup_gate;
	l->record = lookup_record;
	l->arg = sh;
	l->where = rds_describe(shard_pool(sh, org));
}
