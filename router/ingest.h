/* ingest.h - take the milter's hand-off: read each organisation's ingest
 * stream through the consumer group and queue every interaction. */
#ifndef MAILACD_INGEST_H
#define MAILACD_INGEST_H

#include <stddef.h>

#include <hiredis.h>

#include "cfg.h"

/* What one entry of the ingest stream becomes. */
struct ingest_entry {
	const char *org;
	const char *entry;	/* stream entry id */
	const char *id, *queue;
	long long arrived, priority;
	const char *reason;	/* why it cannot be queued, or NULL */
	char	why[200];	/* Redis's error when it refused the entry */
};

/* ingest_check - validate the fields of one entry (NAMES/VALUES, N pairs)
 * of organisation ORG into E; E->reason says what is wrong, if anything */
void	ingest_check(const char *org, const char *entry, char **names,
		    char **values, size_t n, struct ingest_entry *e);

/* What a new interaction's acknowledgement becomes: the fields the
 * router adds to its ingest call (mailacd-keys(7), mailacd_ingest). */
struct ingest_ack {
	const char *response;	/* its name; NULL: none chosen */
	const char *skip;	/* why none may go (RFC 3834), or NULL */
	char	to[CFG_ADDR_MAX + 1];	/* where it goes */
	char	name[256];	/* the customer's display name */
	char	period[24];	/* the organisation's ack_period */
	char	opens[24];	/* when the queue's schedule opens, if it was
				   closed at arrival and the entry does not
				   say (no flow): seconds since 1970, or "" */
};

/* ingest_ack - the acknowledgement of the entry NAMES/VALUES (N pairs) of
 * organisation O of CFG: the response a flow chose (field ack), else the
 * one of its address; to whom, or why none may go (autoreply.h) */
void	ingest_ack(const struct cfg *cfg, const struct cfg_org *o,
		    char **names, char **values, size_t n, struct ingest_ack *a);

/* ingest_setup - load the scripts and create the consumer groups on a new
 * connection; 0, or -1 with ERR */
int	ingest_setup(redisContext *c, const struct cfg *cfg, char *err,
		    size_t errlen);

/* ingest_recover - queue this consumer's own unacknowledged entries, then
 * take over entries idle longer than router.claim_idle_ms at other
 * consumers; *N counts entries handled; 0 or -1 with ERR */
int	ingest_recover(redisContext *c, const struct cfg *cfg,
		    const char *consumer, int *n, char *err, size_t errlen);

/* ingest_trim - delete from each ingest stream the entries every router
 * has handled that are older than router.ingest_retention; 0 or -1 */
int	ingest_trim(redisContext *c, const struct cfg *cfg, char *err,
		    size_t errlen);

/* ingest_read - wait up to router.block_ms for new entries and queue them;
 * 0 or -1 with ERR */
int	ingest_read(redisContext *c, const struct cfg *cfg,
		    const char *consumer, int *n, char *err, size_t errlen);

#endif
