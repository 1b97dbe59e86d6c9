/* queue.h - what one waiting queue looks like in Redis, and the
 * "mailacdctl queues" command. */
#ifndef MAILACD_QUEUE_H
#define MAILACD_QUEUE_H

#include <stdint.h>

#include "ctl.h"
#include "json.h"

/* One queue's state, read from mailacd:{org}:queue:NAME. */
struct queue_info {
	long long waiting;		/* ZCARD */
	int	has_next;		/* waiting > 0 */
	char	next_id[CTL_ID_LEN + 1];	/* lowest rank: served next */
	int64_t	next_enqueued;
	int64_t	next_rank;		/* its score */
	int64_t	next_priority;		/* (enqueued - rank) / 1 min */
	int	has_oldest;		/* oldest was looked for and found */
	char	oldest_id[CTL_ID_LEN + 1];	/* smallest enqueue time */
	int64_t	oldest_enqueued;
	int	oldest_exact;		/* 0: scan stopped at QUEUE_SCAN_MAX */
};

/* members read at most when looking for the oldest one */
#define QUEUE_SCAN_MAX	10000

/* queue_info - read queue NAME of ORG into QI; OLDEST: also find the
 * oldest member.  0, or an exit status with the reason on stderr */
int	queue_info(struct ctl *ctl, const char *org, const char *name,
		    int oldest, struct queue_info *qi);

/* queue_json_next - QI's next member as object KEY (null when empty) */
void	queue_json_next(struct ctl *ctl, struct jw *j, const char *key,
		    const struct queue_info *qi);

/* queue_json_oldest - QI's oldest member as object "oldest" (null when it
 * was not looked for or the queue is empty) */
void	queue_json_oldest(struct ctl *ctl, struct jw *j,
		    const struct queue_info *qi);

/* queue_oldest_text - QI's oldest wait as "4m05s", or ">=2h03m" when the
 * search stopped early, into BUF; NULL when there is none */
const char *queue_oldest_text(struct ctl *ctl, const struct queue_info *qi,
		    char *buf, size_t size);

/* queue_cmd - "mailacdctl queues": every queue, configured or found */
int	queue_cmd(struct ctl *ctl, int argc, char **argv);

#endif
