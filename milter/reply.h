/* reply.h - outbound mail that answers an interaction: find it, thread
 * the message to the customer's last one, record the reply in Redis. */
#ifndef MAILACD_REPLY_H
#define MAILACD_REPLY_H

#include <stddef.h>

#include "cfg.h"
#include "rds.h"

/* What the end of headers found about an outbound message. */
struct reply {
	char	id[33];		/* the interaction answered, "" if none */
	char	*irt;		/* In-Reply-To to add, or NULL */
	char	*refs;		/* References to add, or NULL */
	/* what the interaction's record says, for composed mail (dress.h);
	 * NULL when not recorded */
	long	replies;	/* replies that went out before this one */
	char	*from;		/* the customer's From header */
	char	*customer;	/* the customer's address */
	char	*subject;
	char	*queue;
	long long arrived_ms;
};

/* reply_find - the interaction an outbound message from A answers: the id
 * an internal client put in X-MailACD-Interaction (IXHDR), else the first
 * of In-Reply-To (IRT) and References (REFS, newest first) that names a
 * message recorded for A; when found and the message has no In-Reply-To /
 * References, R gets the customer's last Message-ID and references to add.
 * RDS_OK (found or not), or RDS_RETRY with ERR */
int	reply_find(struct rds_pool *pool, const struct cfg_address *a,
		    const char *ixhdr, const char *irt, const char *refs,
		    struct reply *r, char *err, size_t errlen);

/* reply_record - note on interaction R->id that A's message MSGID went out
 * (by BY: the authenticated user or the sender), and remember MSGID so
 * that the customer's answer to it joins the interaction (THREAD_TTL s).
 * RDS_OK or RDS_RETRY with ERR */
int	reply_record(struct rds_pool *pool, const struct cfg_address *a,
		    const struct reply *r, const char *msgid, const char *by,
		    int thread_ttl, char *err, size_t errlen);

/* reply_reset - forget R */
void	reply_reset(struct reply *r);

#endif
