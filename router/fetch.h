/* fetch.h - a thread of mailacd-router that pulls the mail of addresses
 * with a mailbox (organizations.domains.addresses.mailbox) from their
 * IMAP or POP3 servers and hands each message to the relay of
 * fetch.relay by SMTP, where it passes the milter like any inbound mail.
 * A message leaves the server only after the relay accepted it. */
#ifndef MAILACD_FETCH_H
#define MAILACD_FETCH_H

#include "cfg.h"

/* fetch_needed - 1 when an enabled address of CFG has a mailbox */
int	fetch_needed(const struct cfg *cfg);

/* fetch_start - start a fetch thread with its own reference on CFG and its
 * own Redis connection (status and leases, as OWNER, copied);
 * curl_global_init() must have run; once for each Redis group (CFG: its
 * view, cfg_view).  0 started, 1 not needed, -1 not
 * started (logged).  Call from one thread at a time. */
int	fetch_start(struct cfg *cfg, const char *owner);

/* fetch_stop - stop the threads and wait for them: within one step of a
 * mailbox session (a transfer in progress is aborted; the message stays
 * on the server).  Nothing happens when it does not run. */
void	fetch_stop(void);

#endif
