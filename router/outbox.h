/* outbox.h - the router's own mail: a thread of mailacd-router that sends
 * the acknowledgements and standard responses the function library put in
 * each organisation's outbox, as their channel, through delivery.relay. */
#ifndef MAILACD_OUTBOX_H
#define MAILACD_OUTBOX_H

#include <stddef.h>

#include <hiredis.h>

#include "cfg.h"

/* outbox_needed - 1 when an organisation of CFG has responses to send and
 * delivery.relay is set */
int	outbox_needed(const struct cfg *cfg);

/* outbox_publish - tell Redis the names of every organisation's responses
 * (mailacd_responses), for mailacd_respond to check; 0, or -1 with ERR */
int	outbox_publish(redisContext *c, const struct cfg *cfg, char *err,
		    size_t errlen);

/* outbox_start - start a thread with its own reference on CFG (one Redis
 * group's view) and its own Redis connections, reading the outbox streams
 * as CONSUMER (copied); curl_global_init() must have run.  0 started, 1
 * not needed, -1 not started (logged).  Call from one thread at a time. */
int	outbox_start(struct cfg *cfg, const char *consumer);

/* outbox_stop - stop the threads and wait for them (a submission in progress
 * is aborted and stays due).  Nothing happens when it does not run. */
void	outbox_stop(void);

/* outbox_wait_text - an expected wait of SECS seconds in words ("about 20
 * minutes") into BUF; returns BUF */
char	*outbox_wait_text(long long secs, char *buf, size_t len);

/* outbox_thread_key - the thread key HEX (65 octets) of Message-ID MSGID
 * (with <>) at registered address ADDR: the milter's inb_thread_key, so
 * that the customer's answer to what the router sent joins the
 * interaction; 0 or -1 */
int	outbox_thread_key(const char *msgid, const char *addr, char out[65]);

#endif
