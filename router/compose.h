/* compose.h - the copies the router resends to agents (forward mode): the
 * customer's message behind a Resent-* block, or a notice when the message
 * was too large to store.  No I/O. */
#ifndef MAILACD_COMPOSE_H
#define MAILACD_COMPOSE_H

#include <stddef.h>
#include <time.h>

#define COMPOSE_DATE_MAX	64

/* What one resent copy is made of.  Every string is NUL-terminated; DATA
 * is DATALEN bytes and may hold anything. */
struct compose_in {
	const char *date;	/* Resent-Date value, from compose_date() */
	const char *id;		/* interaction id */
	const char *org;
	const char *address;	/* registered address the message came to */
	const char *queue;
	const char *agent;	/* agent id */
	const char *agent_address;	/* the agent's workplace address */
	long	copy;		/* index of the copy in ix:ID:msgs */
	const char *data;	/* the stored copy (KEYS_F_MSG_DATA) */
	size_t	datalen;
	int	complete;	/* 0: DATA holds only the header section */
	long long size;		/* the message's size as received */
	long long max_size;	/* delivery.max_size */
};

/* compose_date - T as an RFC 5322 date in UTC ("Tue, 01 Jul 2025
 * 09:05:00 +0000") into BUF; returns BUF */
char	*compose_date(time_t t, char buf[COMPOSE_DATE_MAX]);

/* compose_resent - the message to submit for IN: the Resent-* and
 * X-MailACD-* block, then the stored copy byte for byte (complete), or
 * then a plain-text notice that keeps the original's From, Reply-To, To,
 * Cc, Subject, Date, Message-ID, In-Reply-To and References (incomplete).
 * Lines end in CRLF.  Malloc'd and NUL-terminated, *LENP its length
 * without the NUL; NULL when memory is short.  The caller frees. */
char	*compose_resent(const struct compose_in *in, size_t *lenp);

#endif
