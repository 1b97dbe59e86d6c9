/* compose.c - build the copies the router resends to agents (forward
 * mode).  No I/O.
 *
 * A copy is the customer's message as the milter stored it, behind a block
 * of Resent-* fields (RFC 5322 3.6.6) and our X-MailACD-* fields.  Nothing
 * of the original changes, so its DKIM signatures still verify.  The
 * Resent-Message-ID is made of the interaction, the copy's index and the
 * agent, so a copy sent again after a crash has the same id and clients
 * can tell the duplicate.  A message that was too large to store becomes a
 * notice that keeps the original's addressing fields: a reply to it reaches
 * the customer and joins the interaction. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "compose.h"
#include "hdr.h"
#include "keys.h"

/* A growing output buffer; BAD once memory ran short. */
struct compose_buf {
	char	*p;
	size_t	len, cap;
	int	bad;
};

/* The fields of the original a notice keeps, in the order they come. */
static const char *const compose_keep[] = {
	"From", "Reply-To", "To", "Cc", "Subject", "Date", "Message-ID",
	"In-Reply-To", "References"
};
#define COMPOSE_NKEEP	(sizeof(compose_keep) / sizeof(compose_keep[0]))

/* compose_date - RFC 5322 date-time in UTC, without the locale */
char *
compose_date(time_t t, char buf[COMPOSE_DATE_MAX])
{
	static const char *const days[7] = { "Sun", "Mon", "Tue", "Wed",
	    "Thu", "Fri", "Sat" };
	static const char *const months[12] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11) {
		snprintf(buf, COMPOSE_DATE_MAX, "Thu, 01 Jan 1970 00:00:00 "
		    "+0000");
		return (buf);
	}
	snprintf(buf, COMPOSE_DATE_MAX, "%s, %02d %s %04d %02d:%02d:%02d "
	    "+0000", days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return (buf);
}

/* compose_add - append N bytes of S */
static void
compose_add(struct compose_buf *b, const char *s, size_t n)
{
	char	*np;
	size_t	cap;

	if (b->bad || n == 0)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->bad = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* compose_str - append string S */
static void
compose_str(struct compose_buf *b, const char *s)
{
	compose_add(b, s, strlen(s));
}

/* compose_fmt - append a formatted string (our own text only) */
static void __attribute__((format(printf, 2, 3)))
compose_fmt(struct compose_buf *b, const char *fmt, ...)
{
	char	small[512], *big;
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->bad = 1;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		compose_add(b, small, (size_t)n);
		return;
	}
	if ((big = malloc((size_t)n + 1)) == NULL) {
		b->bad = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	compose_add(b, big, (size_t)n);
	free(big);
}

/* compose_value - append S (NULL: nothing) as header text: a CR or LF in
 * a value from Redis must not start a header of its own */
static void
compose_value(struct compose_buf *b, const char *s)
{
	size_t	n;

	while (s != NULL && *s != '\0') {
		n = strcspn(s, "\r\n");
		compose_add(b, s, n);
		s += n;
		if (*s != '\0') {
			compose_add(b, " ", 1);
			s++;
		}
	}
}

/* compose_idpart - append S as a part of a msg-id: characters a dot-atom
 * may not hold become "_" */
static void
compose_idpart(struct compose_buf *b, const char *s)
{
	char	c;

	for (; s != NULL && *s != '\0'; s++) {
		c = *s;
		if (c <= ' ' || c >= 0x7f ||
		    strchr("()<>[]:;@\\,\"", c) != NULL)
			c = '_';
		compose_add(b, &c, 1);
	}
}

/* compose_block - the Resent-* and X-MailACD-* fields before the copy */
static void
compose_block(struct compose_buf *b, const struct compose_in *in)
{
	const char *at, *domain;

	at = in->address != NULL ? strrchr(in->address, '@') : NULL;
	domain = (at != NULL && at[1] != '\0') ? at + 1 : "mailacd.invalid";

	compose_str(b, "Resent-Date: ");
	compose_value(b, in->date);
	compose_str(b, "\r\nResent-From: ");
	compose_value(b, in->address);
	compose_str(b, "\r\nResent-To: ");
	compose_value(b, in->agent_address);
	compose_str(b, "\r\nResent-Message-ID: <mailacd.");
	compose_idpart(b, in->id);
	compose_fmt(b, ".%ld.", in->copy);
	compose_idpart(b, in->agent);
	compose_str(b, "@");
	compose_idpart(b, domain);
	compose_str(b, ">\r\n" KEYS_H_DELIVERY ": ");
	compose_value(b, in->id);
	compose_str(b, "; agent=");
	compose_value(b, in->agent);
	compose_fmt(b, "; copy=%ld\r\n" HDR_INTERACTION ": ", in->copy);
	compose_value(b, in->id);
	compose_str(b, "; org=");
	compose_value(b, in->org);
	compose_str(b, "; address=");
	compose_value(b, in->address);
	compose_str(b, "; queue=");
	compose_value(b, in->queue);
	compose_str(b, "; agent=");
	compose_value(b, in->agent);
	compose_str(b, "\r\n" KEYS_H_LOOP ": ");
	compose_value(b, in->org);
	compose_str(b, "\r\n");
}

/* compose_keep_index - which of compose_keep the field starting at S
 * (line end E) is, or -1 */
static int
compose_keep_index(const char *s, const char *e)
{
	const char *colon;
	size_t	n, i;

	if ((colon = memchr(s, ':', (size_t)(e - s))) == NULL)
		return (-1);
	n = (size_t)(colon - s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;	/* obsolete "Subject :" */
	for (i = 0; i < COMPOSE_NKEEP; i++)
		if (strlen(compose_keep[i]) == n &&
		    strncasecmp(s, compose_keep[i], n) == 0)
			return ((int)i);
	return (-1);
}

/* compose_line - append the line S..E with CRLF; stray CR and NUL in it
 * become spaces so that the notice stays a valid message */
static void
compose_line(struct compose_buf *b, const char *s, const char *e)
{
	const char *p;

	for (p = s; p < e; p++)
		if (*p == '\r' || *p == '\0') {
			compose_add(b, s, (size_t)(p - s));
			compose_add(b, " ", 1);
			s = p + 1;
		}
	compose_add(b, s, (size_t)(e - s));
	compose_add(b, "\r\n", 2);
}

/* compose_headers - copy the kept fields of the header section at DATA,
 * whole with their continuation lines, the first of each name only;
 * SEEN[i] tells which were there */
static void
compose_headers(struct compose_buf *b, const char *data, size_t len,
    int seen[COMPOSE_NKEEP])
{
	const char *p = data, *e = data + len, *nl, *next, *end;
	int	copying = 0, k;

	while (data != NULL && p < e) {
		nl = memchr(p, '\n', (size_t)(e - p));
		next = nl != NULL ? nl + 1 : e;
		end = nl != NULL ? nl : e;
		if (end > p && end[-1] == '\r')
			end--;
		if (end == p)
			break;	/* the blank line: end of the header section */
		if (*p == ' ' || *p == '\t') {
			if (copying)
				compose_line(b, p, end);
		} else {
			k = compose_keep_index(p, end);
			copying = k >= 0 && !seen[k];
			if (copying) {
				seen[k] = 1;
				compose_line(b, p, end);
			}
		}
		p = next;
	}
}

/* compose_mib - N bytes in MiB with one decimal, rounded, into BUF */
static const char *
compose_mib(long long n, char *buf, size_t len)
{
	long long tenths;

	if (n < 0)
		n = 0;
	tenths = (n / 1048576) * 10 + ((n % 1048576) * 10 + 524288) / 1048576;
	snprintf(buf, len, "%lld.%lld MiB", tenths / 10, tenths % 10);
	return (buf);
}

/* compose_notice - the kept fields and a plain-text body saying why the
 * agent does not get the message itself */
static void
compose_notice(struct compose_buf *b, const struct compose_in *in)
{
	int	seen[COMPOSE_NKEEP] = { 0 };
	char	smib[32], mmib[32];

	compose_headers(b, in->data, in->datalen, seen);
	/* RFC 5322 wants From and Date even when the original had none */
	if (!seen[0]) {
		compose_str(b, "From: ");
		compose_value(b, in->address);
		compose_str(b, "\r\n");
	}
	if (!seen[5]) {
		compose_str(b, "Date: ");
		compose_value(b, in->date);
		compose_str(b, "\r\n");
	}
	compose_str(b, "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "\r\n"
	    "This message of the customer is not forwarded to you in full.\r\n"
	    "\r\n");
	compose_fmt(b, "Its size, %lld bytes (%s), is larger than the limit\r\n"
	    "delivery.max_size of %lld bytes (%s), so mailacd did not store\r\n"
	    "it for forwarding.  It was delivered to the mailbox of\r\n"
	    "\r\n    ", in->size, compose_mib(in->size, smib, sizeof(smib)),
	    in->max_size, compose_mib(in->max_size, mmib, sizeof(mmib)));
	compose_value(b, in->address);
	compose_str(b, "\r\n\r\nwhere you can read it whole.\r\n\r\n"
	    "Interaction: ");
	compose_value(b, in->id);
	compose_str(b, "\r\nQueue:       ");
	compose_value(b, in->queue);
	compose_str(b, "\r\n\r\n"
	    "Replying to this notice answers the customer: it carries the\r\n"
	    "original From, Subject and Message-ID.\r\n");
}

/* compose_resent - the block, then the copy or the notice */
char *
compose_resent(const struct compose_in *in, size_t *lenp)
{
	struct compose_buf b = { NULL, 0, 0, 0 };
	size_t	want;

	*lenp = 0;
	want = 2048 + (in->complete ? in->datalen : 4096);
	if ((b.p = malloc(want)) == NULL)
		return (NULL);
	b.cap = want;
	b.p[0] = '\0';
	compose_block(&b, in);
	if (in->complete) {
		if (in->data != NULL)
			compose_add(&b, in->data, in->datalen);
	} else
		compose_notice(&b, in);
	if (b.bad) {
		free(b.p);
		return (NULL);
	}
	*lenp = b.len;
	return (b.p);
}
