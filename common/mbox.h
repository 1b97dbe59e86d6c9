/* mbox.h - a session with the IMAP or POP3 server of a configured
 * mailbox (cfg_mailbox), through libcurl: list what is to be pulled,
 * fetch one message, and what to do with it after its hand-off.  No
 * Redis and no logging here; failures come back classified, with the
 * server's words.  curl_global_init() must have run. */
#ifndef MAILACD_MBOX_H
#define MAILACD_MBOX_H

#include <stdatomic.h>
#include <stddef.h>

#include "cfg.h"

#define MBOX_WHY_MAX	400	/* bytes of a failure's description */
#define MBOX_UID_MAX	70	/* a POP3 UIDL's longest (RFC 1939) */

/* What became of one step; the failures name what the operator fixes. */
enum mbox_class {
	MBOX_OK = 0,
	MBOX_CONNECT,	/* server down, no route, timed out */
	MBOX_TLS,	/* handshake, certificate, STARTTLS refused */
	MBOX_AUTH,	/* wrong user or password */
	MBOX_FOLDER,	/* the folder (or move_to) does not exist */
	MBOX_SERVER,	/* the server refused a command, or memory */
	MBOX_STOPPED	/* the caller's stop flag was set */
};

struct mbox;

/* mbox_open - a session (not yet connected) with mailbox M; TIMEOUT
 * seconds per step; STOP (may be NULL) aborts a step when nonzero.
 * NULL when memory is short. */
struct mbox *mbox_open(const struct cfg_mailbox *m, long timeout,
		    atomic_int *stop);

/* mbox_close - end the session (POP3 deletions take effect here) and free
 * it; accepts NULL */
void	mbox_close(struct mbox *b);

/* mbox_list - connect, log in, open the folder and list the messages to
 * pull (IMAP UIDs, POP3 message numbers), oldest first, into *IDS (the
 * caller frees) and *N; POP3 also reads each message's UIDL; after
 * "move", check that move_to exists */
enum mbox_class mbox_list(struct mbox *b, unsigned long **ids, size_t *n,
		    char *why, size_t whylen);

/* mbox_idle_start - IMAP: make B a watching session instead: connect and
 * log in (libcurl), open the folder read-only and wait in IDLE (RFC
 * 2177), the few commands sent over libcurl's connection by hand.  A
 * server without IDLE is MBOX_SERVER ("does not offer IDLE"). */
enum mbox_class mbox_idle_start(struct mbox *b, char *why, size_t whylen);

/* mbox_idle_fd - a watching session's socket, to poll for reading; -1 */
int	mbox_idle_fd(const struct mbox *b);

/* mbox_idle_news - read what the watching session has: 1 when the folder
 * changed (new mail), 0 nothing new, -1 the session ended */
int	mbox_idle_news(struct mbox *b);

/* mbox_idle_renew - DONE and IDLE again before the server's inactivity
 * timer ends the session; 0 or -1 */
int	mbox_idle_renew(struct mbox *b);

/* mbox_uid - POP3: message ID's unique id (UIDL) from the last listing,
 * the same in every session; NULL for IMAP or when the server gave none */
const char *mbox_uid(const struct mbox *b, unsigned long id);

/* mbox_fetch - message ID, whole, into *MSG (the caller frees) and *LEN;
 * with "seen" it is marked as being pulled first, so that a crash before
 * its hand-off cannot leave it looking read */
enum mbox_class mbox_fetch(struct mbox *b, unsigned long id, char **msg,
		    size_t *len, char *why, size_t whylen);

/* mbox_done - the relay accepted message ID: delete it, move it to
 * move_to, or mark it seen */
enum mbox_class mbox_done(struct mbox *b, unsigned long id, char *why,
		    size_t whylen);

/* mbox_flush - IMAP: remove for good what mbox_done deleted (EXPUNGE);
 * until then it is flagged \Deleted, which mbox_list skips.  Call every
 * so many messages and before mbox_close. */
enum mbox_class mbox_flush(struct mbox *b, char *why, size_t whylen);

/* mbox_later - the relay asked to try message ID again: it stays, looking
 * unread where the protocol has flags */
enum mbox_class mbox_later(struct mbox *b, unsigned long id, char *why,
		    size_t whylen);

/* mbox_refused - the relay refused message ID for good: IMAP marks it so
 * that it is not pulled again (POP3 has no marks: the fetcher keeps the
 * message's mbox_uid) */
enum mbox_class mbox_refused(struct mbox *b, unsigned long id, char *why,
		    size_t whylen);

/* mbox_class_name - "ok", "connect", "tls", "auth", "folder", "server" or
 * "stopped" */
const char *mbox_class_name(enum mbox_class c);

/* mbox_sender - the envelope sender a message recorded in its first
 * Return-Path header (without the angle brackets), into OUT (of at least
 * CFG_ADDR_MAX + 1); "" when there is none or it is unusable */
void	mbox_sender(const char *msg, size_t len, char *out, size_t outlen);

#endif
