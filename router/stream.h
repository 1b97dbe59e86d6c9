/* stream.h - the router's streams, one per organisation, read through the
 * consumer group "routers": the group's set-up, reads of this consumer's
 * pending entries and of new ones, the take-over of entries idle at other
 * consumers, and the trim of handled entries.  The hand-off (ingest.c)
 * and the delivery jobs (deliver.c) are both read this way. */
#ifndef MAILACD_STREAM_H
#define MAILACD_STREAM_H

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>

#include <hiredis.h>

#include "cfg.h"

#define STREAM_KEY_MAX	300
#define STREAM_SLICE_MS	200	/* longest wait of one blocking read */

/* stream_stop - the process stops: blocking reads of every set end
 * within STREAM_SLICE_MS; async-signal-safe, for a SIGTERM handler */
void	stream_stop(void);

/* Which stream of every organisation a set holds. */
enum stream_kind {
	STREAM_INGEST,		/* the milter's hand-off */
	STREAM_DELIVER,		/* forward mode's delivery jobs */
	STREAM_OUTBOX		/* the router's own mail (outbox.c) */
};

/* One job's streams, in the order of the organisations of CFG. */
struct stream_set {
	const struct cfg *cfg;	/* router.batch, .block_ms, .claim_idle_ms,
				   .ingest_retention, redis.command_timeout_ms;
				   not owned */
	char	consumer[256];	/* this router's name in the group */
	size_t	n;
	char	(*key)[STREAM_KEY_MAX];
	const atomic_int *stop;	/* set: a blocking read ends soon after
				   it turns non-zero; NULL: none */
};

/* stream_each_fn - handle ENTRIES, the [id, fields] pairs read from stream
 * I of the set (fields nil: deleted while pending); 0, or -1 with ERR to
 * stop reading */
typedef int stream_each_fn(void *arg, size_t i, redisReply *entries,
		    char *err, size_t errlen);

/* stream_set_new - the KIND streams of every organisation of CFG (which
 * must outlive the set), read as CONSUMER; NULL on memory shortage */
struct stream_set *stream_set_new(const struct cfg *cfg,
		    enum stream_kind kind, const char *consumer);

/* stream_set_free - accepts NULL */
void	stream_set_free(struct stream_set *s);

/* stream_setup - the group on every stream of S, created with the stream
 * when missing (an existing group is fine); 0, or -1 with ERR */
int	stream_setup(redisContext *c, const struct stream_set *s, char *err,
		    size_t errlen);

/* stream_read - one XREADGROUP over every stream of S from ID ("0": this
 * consumer's pending entries, ">": new ones), router.batch entries per
 * stream at most, waiting up to BLOCK ms for new ones when BLOCK > 0 (in
 * reads of STREAM_SLICE_MS, so that stream_stop() or S->stop end the wait
 * within one; the command timeout grows by the slice for each); EACH gets
 * what each stream gave, *GOT counts the entries; 0, or -1 with ERR */
int	stream_read(redisContext *c, const struct stream_set *s,
		    const char *id, long long block, stream_each_fn *each,
		    void *arg, size_t *got, char *err, size_t errlen);

/* stream_pending - every pending entry of this consumer in stream I, a
 * batch at a time from the oldest (entries EACH leaves pending are not
 * read twice); 0, or -1 with ERR */
int	stream_pending(redisContext *c, const struct stream_set *s, size_t i,
		    stream_each_fn *each, void *arg, char *err, size_t errlen);

/* stream_claim - make this consumer the owner of the entries of stream I
 * idle longer than router.claim_idle_ms at other consumers (dead routers);
 * EACH gets them, or, when NULL, only their ids are taken (read them with
 * stream_pending); *N counts them; 0, or -1 with ERR */
int	stream_claim(redisContext *c, const struct stream_set *s, size_t i,
		    stream_each_fn *each, void *arg, size_t *n, char *err,
		    size_t errlen);

/* stream_trim - delete from every stream of S the entries every router has
 * handled that are older than router.ingest_retention; 0, or -1 with ERR */
int	stream_trim(redisContext *c, const struct stream_set *s, char *err,
		    size_t errlen);

/* stream_cmp_id - compare the stream ids "MS-SEQ" A and B: <0, 0, >0 */
int	stream_cmp_id(const char *a, const char *b);

#endif
