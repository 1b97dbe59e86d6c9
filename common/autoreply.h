/* autoreply.h - RFC 3834: may mailacd answer a message automatically (an
 * acknowledgement), and to which address?  Decisions only: no I/O, no
 * Redis, nothing logged.  The milter asks autoreply_header() and
 * autoreply_address() about what it reads and hands the first reason on
 * (stream field "noreply"); the router decides with autoreply_decide()
 * from the stream entry and the configuration. */
#ifndef MAILACD_AUTOREPLY_H
#define MAILACD_AUTOREPLY_H

#include <stddef.h>

struct cfg;

/* autoreply_auto_header - the reason header NAME: VALUE marks the message
 * automatic (stream field auto, flows' automatic condition):
 * Auto-Submitted other than "no", Precedence bulk/junk/list, X-Autoreply,
 * X-Autorespond, a delivery status report; or NULL */
const char *autoreply_auto_header(const char *name, const char *value);

/* autoreply_auto_sender - the reason envelope SENDER marks the message
 * automatic: the null sender, MAILER-DAEMON, postmaster; or NULL */
const char *autoreply_auto_sender(const char *sender);

/* autoreply_header - the reason header NAME: VALUE forbids an automatic
 * answer (RFC 3834 2 and 3.1.8: Auto-Submitted other than "no",
 * autoreply_auto_header's marks, then List-* of RFC 2369 and 2919,
 * X-Auto-Response-Suppress naming All, AutoReply or OOF, a disposition
 * report), or NULL */
const char *autoreply_header(const char *name, const char *value);

/* autoreply_address - the reason ADDR (a mailbox or envelope path, "<>"
 * included) is no person to answer: the null sender, mailer daemons,
 * postmaster, no-reply and bounce addresses, list robots (owner-*,
 * *-request, listserv, majordomo); or NULL */
const char *autoreply_address(const char *addr);

/* What the router knows about a new interaction's first message. */
struct autoreply_in {
	const char *automatic;	/* stream field auto: "" or NULL for a
				   person's mail */
	const char *noreply;	/* stream field noreply, the milter's
				   reason */
	const char *sender;	/* envelope sender */
	const char *from;	/* decoded From header ("Name <a@b>") */
	const char *reply_to;	/* the Reply-To mailbox, or NULL */
	int	merged;		/* joined an open interaction */
	int	stopped;	/* a flow stopped routing (spam) */
};

/* autoreply_decide - to which address an acknowledgement may go (TO,
 * TOLEN: Reply-To, else From, never the envelope sender) with the
 * customer's name (NAME, "" when none), or the reason none may (returned;
 * NULL when it may).  Mail from CFG's own registered addresses and
 * agents gets none. */
const char *autoreply_decide(const struct cfg *cfg,
		    const struct autoreply_in *in, char *to, size_t tolen,
		    char *name, size_t namelen);

/* autoreply_mailbox - split a decoded From value ("Name <a@b>", "a@b",
 * "\"Name\" <a@b>") into the display name (unquoted, "" when none) and
 * the address; 0, or -1 when it holds no single address */
int	autoreply_mailbox(const char *from, char *name, size_t namelen,
		    char *addr, size_t addrlen);

#endif
