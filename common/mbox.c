/* mbox.c - one session with a mailbox's IMAP or POP3 server through
 * libcurl, which speaks both protocols, TLS, STARTTLS and the login; this
 * file only says which URL or command comes next and what an answer
 * means.  No Redis and no logging: the fetcher (router/fetch.c) and
 * "mailacdctl mailbox test" decide what a failure means.
 *
 * libcurl fetches an IMAP message with BODY[], which marks it \Seen, and
 * has no BODY.PEEK.  So, with after = "seen", a message gets the keyword
 * $MailACDPending before it is fetched, and the list of what to pull is
 * "unseen, or pending": a crash between the fetch and the hand-off leaves
 * it pending, and it is pulled again (the milter recognises the same
 * bytes).  A message the relay refused for good gets $MailACDRefused and
 * is not listed again; POP3 has no flags, so its listing carries each
 * message's UIDL, and the fetcher remembers the refused ones.  Nothing here ever sees the password but libcurl:
 * only the server's answers (CURLINFO_HEADER_IN) are kept, never what is
 * sent. */
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "mbox.h"

#define MBOX_MSG_MAX	(64L * 1024 * 1024)	/* largest message pulled */
#define MBOX_URL_MAX	2048
#define MBOX_CMD_MAX	600
#define MBOX_PENDING	"$MailACDPending"
#define MBOX_REFUSED	"$MailACDRefused"
#define MBOX_LINE_MAX	2048	/* of a watching session's answers kept */

/* What a transfer wrote: a listing or a message. */
struct mbox_buf {
	char	*p;
	size_t	len, cap;
	int	toolarge;
};

/* POP3: a message number and its unique id (RFC 1939: 1 to 70
 * characters 0x21..0x7E), which stays the same across sessions. */
struct mbox_uid {
	unsigned long id;
	char	uid[MBOX_UID_MAX + 1];
};

struct mbox {
	const struct cfg_mailbox *m;	/* the caller's, outlives us */
	CURL	*h;
	long	timeout;
	atomic_int *stop;
	char	base[MBOX_URL_MAX];	/* scheme://host:port/ */
	char	folder[MBOX_URL_MAX];	/* base + the folder, escaped */
	struct mbox_buf body;
	int	deleted;	/* \Deleted set since the last EXPUNGE */
	char	said[MBOX_WHY_MAX];	/* the server's last refusal */
	struct mbox_uid *uids;	/* POP3: each listed message's UIDL */
	size_t	nuids;
	/* a watching session (mbox_idle_start) */
	int	can_idle;	/* the server's capabilities name IDLE */
	int	idling;		/* IDLE accepted, DONE not yet sent */
	int	tag;		/* of the last command sent */
	char	in[MBOX_LINE_MAX];	/* what came and is not a line yet */
	size_t	inlen;
	char	ebuf[CURL_ERROR_SIZE];
};

static int	mbox_send(struct mbox *, const char *, int);

/* mbox_class_name - a failure class's name, for status and logs */
const char *
mbox_class_name(enum mbox_class c)
{
	switch (c) {
	case MBOX_OK:
		return ("ok");
	case MBOX_CONNECT:
		return ("connect");
	case MBOX_TLS:
		return ("tls");
	case MBOX_AUTH:
		return ("auth");
	case MBOX_FOLDER:
		return ("folder");
	case MBOX_STOPPED:
		return ("stopped");
	default:
		return ("server");
	}
}

/* mbox_write - curl: append what the server sent to the body */
static size_t
mbox_write(char *data, size_t size, size_t n, void *arg)
{
	struct mbox_buf *b = arg;
	size_t	len = size * n, cap;
	char	*p;

	if (b->len + len > (size_t)MBOX_MSG_MAX) {
		b->toolarge = 1;
		return (0);
	}
	if (b->len + len + 1 > b->cap) {
		cap = b->cap > 0 ? b->cap : 8192;
		while (cap < b->len + len + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL)
			return (0);
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return (len);
}

/* mbox_trace - curl: keep the server's last refusal ("A003 NO ...",
 * "-ERR ...") as printable text; what we send is never looked at */
static int
mbox_trace(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	struct mbox *b = arg;
	const char *sp;
	size_t	n, i;

	(void)h;
	if (type != CURLINFO_HEADER_IN || size < 3)
		return (0);
	/* the capabilities before and after the login: the last one holds */
	if ((size >= 12 && memcmp(data, "* CAPABILITY", 12) == 0) ||
	    (size >= 16 && memcmp(data, "* OK [CAPABILITY", 16) == 0))
		b->can_idle = memmem(data, size, " IDLE", 5) != NULL;
	sp = memchr(data, ' ', size);
	if (!(size >= 4 && memcmp(data, "-ERR", 4) == 0) &&
	    !(sp != NULL && (size_t)(sp - data) + 4 <= size &&
	    (memcmp(sp, " NO ", 4) == 0 || memcmp(sp, " BAD", 4) == 0)))
		return (0);
	n = size;
	while (n > 0 && (data[n - 1] == '\n' || data[n - 1] == '\r'))
		n--;
	if (n >= sizeof(b->said))
		n = sizeof(b->said) - 1;
	for (i = 0; i < n; i++)
		b->said[i] = (data[i] < ' ' || data[i] == 0x7f) ? ' ' : data[i];
	b->said[n] = '\0';
	return (0);
}

/* mbox_progress - curl: abort the step when the caller stops */
static int
mbox_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	struct mbox *b = arg;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return (b->stop != NULL && atomic_load(b->stop) != 0);
}

/* mbox_open - the session's curl handle and URLs; not connected yet */
struct mbox *
mbox_open(const struct cfg_mailbox *m, long timeout, atomic_int *stop)
{
	const struct cfg_mailbox *mm = m;
	struct mbox *b;
	const char *scheme;
	char	*esc;
	int	pop3 = mm->protocol == CFG_MBOX_POP3;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return (NULL);
	b->m = m;
	b->timeout = timeout > 0 ? timeout : 60;
	b->stop = stop;
	if ((b->h = curl_easy_init()) == NULL) {
		free(b);
		return (NULL);
	}
	scheme = mm->tls == CFG_MBOX_TLS_IMPLICIT ? (pop3 ? "pop3s" : "imaps") :
	    (pop3 ? "pop3" : "imap");
	snprintf(b->base, sizeof(b->base), strchr(mm->server, ':') != NULL ?
	    "%s://[%s]:%d/" : "%s://%s:%d/", scheme, mm->server, mm->port);
	if ((esc = curl_easy_escape(b->h, mm->folder != NULL ? mm->folder :
	    "INBOX", 0)) == NULL) {
		mbox_close(b);
		return (NULL);
	}
	snprintf(b->folder, sizeof(b->folder), "%s%s", b->base, esc);
	curl_free(esc);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(b->h, CURLOPT_PROTOCOLS_STR, "imap,imaps,pop3,pop3s");
#else
	curl_easy_setopt(b->h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_IMAP |
	    CURLPROTO_IMAPS | CURLPROTO_POP3 | CURLPROTO_POP3S));
#endif
	curl_easy_setopt(b->h, CURLOPT_USERNAME, mm->user);
	curl_easy_setopt(b->h, CURLOPT_PASSWORD, cfg_mbox_password(mm));
	curl_easy_setopt(b->h, CURLOPT_USE_SSL,
	    mm->tls == CFG_MBOX_TLS_STARTTLS ? (long)CURLUSESSL_ALL :
	    (long)CURLUSESSL_NONE);
	curl_easy_setopt(b->h, CURLOPT_SSL_VERIFYPEER, mm->tls_verify ? 1L : 0L);
	curl_easy_setopt(b->h, CURLOPT_SSL_VERIFYHOST, mm->tls_verify ? 2L : 0L);
	if (mm->ca_file != NULL && *mm->ca_file != '\0')
		curl_easy_setopt(b->h, CURLOPT_CAINFO, mm->ca_file);
	curl_easy_setopt(b->h, CURLOPT_TIMEOUT, b->timeout);
	curl_easy_setopt(b->h, CURLOPT_CONNECTTIMEOUT, b->timeout < 30 ?
	    b->timeout : 30L);
	curl_easy_setopt(b->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(b->h, CURLOPT_ERRORBUFFER, b->ebuf);
	curl_easy_setopt(b->h, CURLOPT_WRITEFUNCTION, mbox_write);
	curl_easy_setopt(b->h, CURLOPT_WRITEDATA, &b->body);
	curl_easy_setopt(b->h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(b->h, CURLOPT_XFERINFOFUNCTION, mbox_progress);
	curl_easy_setopt(b->h, CURLOPT_XFERINFODATA, b);
	/* the trace only: nothing is printed, the password never kept */
	curl_easy_setopt(b->h, CURLOPT_DEBUGFUNCTION, mbox_trace);
	curl_easy_setopt(b->h, CURLOPT_DEBUGDATA, b);
	curl_easy_setopt(b->h, CURLOPT_VERBOSE, 1L);
	return (b);
}

/* mbox_close - QUIT (by curl's cleanup) and free */
void
mbox_close(struct mbox *b)
{
	if (b == NULL)
		return;
	/* a watching session leaves IDLE first: curl's LOGOUT follows */
	if (b->idling)
		(void)mbox_send(b, "DONE", 0);
	if (b->h != NULL)
		curl_easy_cleanup(b->h);
	free(b->body.p);
	free(b->uids);
	free(b);
}

/* mbox_classify - what failure RES of step WHAT means, described in WHY */
static enum mbox_class
mbox_classify(struct mbox *b, CURLcode res, const char *what, char *why,
    size_t whylen)
{
	const char *e = b->ebuf[0] != '\0' ? b->ebuf : curl_easy_strerror(res);
	enum mbox_class c;
	const char *pre;

	switch (res) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		c = MBOX_CONNECT;
		pre = "server unreachable";
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_USE_SSL_FAILED:
		c = MBOX_TLS;
		pre = "TLS failed";
		break;
	case CURLE_LOGIN_DENIED:
		/* libcurl reports a refused SELECT as a denied login */
		if (strstr(b->ebuf, "Select failed") != NULL) {
			c = MBOX_FOLDER;
			pre = "folder missing";
		} else {
			c = MBOX_AUTH;
			pre = "login refused (wrong user or password?)";
		}
		break;
	case CURLE_ABORTED_BY_CALLBACK:
		if (b->stop != NULL && atomic_load(b->stop) != 0) {
			snprintf(why, whylen, "%s: stopped", what);
			return (MBOX_STOPPED);
		}
		c = MBOX_SERVER;
		pre = "failed";
		break;
	case CURLE_WRITE_ERROR:
		if (b->body.toolarge) {
			snprintf(why, whylen, "%s: larger than %ld bytes",
			    what, MBOX_MSG_MAX);
			return (MBOX_SERVER);
		}
		/* FALLTHROUGH */
	default:
		c = MBOX_SERVER;
		pre = "refused";
		break;
	}
	snprintf(why, whylen, "%s: %s: %.150s%s%.200s", what, pre, e,
	    b->said[0] != '\0' ? "; server said: " : "", b->said);
	return (c);
}

/* mbox_do - one transfer: URL, an IMAP command or POP3 verb CMD (NULL:
 * curl's own for the URL), no body wanted when NOBODY */
static enum mbox_class
mbox_do(struct mbox *b, const char *url, const char *cmd, int nobody,
    const char *what, char *why, size_t whylen)
{
	CURLcode res;

	b->body.len = 0;
	b->body.toolarge = 0;
	if (b->body.p != NULL)
		b->body.p[0] = '\0';
	b->said[0] = '\0';
	b->ebuf[0] = '\0';
	curl_easy_setopt(b->h, CURLOPT_URL, url);
	curl_easy_setopt(b->h, CURLOPT_CUSTOMREQUEST, cmd);
	curl_easy_setopt(b->h, CURLOPT_NOBODY, nobody ? 1L : 0L);
	if ((res = curl_easy_perform(b->h)) == CURLE_OK)
		return (MBOX_OK);
	return (mbox_classify(b, res, what, why, whylen));
}

/* mbox_imap - IMAP command CMD (formatted) in the folder */
static enum mbox_class
mbox_imap(struct mbox *b, const char *what, char *why, size_t whylen,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static enum mbox_class
mbox_imap(struct mbox *b, const char *what, char *why, size_t whylen,
    const char *fmt, ...)
{
	char	cmd[MBOX_CMD_MAX];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return (mbox_do(b, b->folder, cmd, 0, what, why, whylen));
}

/* mbox_numbers - the numbers after PREFIX at the start of each line of
 * the body (PREFIX "": the first number of each line), into *IDS, *N */
static enum mbox_class
mbox_numbers(struct mbox *b, const char *prefix, unsigned long **ids,
    size_t *n, char *why, size_t whylen)
{
	unsigned long *v = NULL, *nv, x;
	size_t	cnt = 0, cap = 0, plen = strlen(prefix);
	const char *p = b->body.p != NULL ? b->body.p : "", *eol;
	char	*end;

	for (; *p != '\0'; p = *eol != '\0' ? eol + 1 : eol) {
		eol = p + strcspn(p, "\n");
		if (plen > 0 && strncasecmp(p, prefix, plen) != 0)
			continue;
		p += plen;
		while (p < eol) {
			while (p < eol && (*p == ' ' || *p == '\t'))
				p++;
			if (p >= eol || *p < '0' || *p > '9')
				break;
			x = strtoul(p, &end, 10);
			p = end;
			if (cnt == cap) {
				cap = cap > 0 ? cap * 2 : 64;
				if ((nv = reallocarray(v, cap,
				    sizeof(*v))) == NULL) {
					free(v);
					snprintf(why, whylen, "out of memory");
					return (MBOX_SERVER);
				}
				v = nv;
			}
			v[cnt++] = x;
			if (plen == 0)
				break;
		}
	}
	*ids = v;
	*n = cnt;
	return (MBOX_OK);
}

/* mbox_uidls - the body of a UIDL listing ("N UID" lines) into b->uids;
 * a line that is not one is skipped, as is an id out of RFC 1939's
 * characters (such a message is pulled, never remembered as refused) */
static enum mbox_class
mbox_uidls(struct mbox *b, char *why, size_t whylen)
{
	const char *p = b->body.p != NULL ? b->body.p : "", *eol, *u;
	struct mbox_uid *v;
	size_t	cap = 0, len, i;
	unsigned long x;
	char	*end;

	b->nuids = 0;
	for (; *p != '\0'; p = *eol != '\0' ? eol + 1 : eol) {
		eol = p + strcspn(p, "\n");
		if (*p < '0' || *p > '9')
			continue;
		x = strtoul(p, &end, 10);
		if (*end != ' ')
			continue;
		u = end + 1;
		len = strcspn(u, "\r\n");
		if (len == 0 || len > MBOX_UID_MAX)
			continue;
		for (i = 0; i < len; i++)
			if (u[i] < 0x21 || u[i] > 0x7e)
				break;
		if (i < len)
			continue;
		if (b->nuids == cap) {
			cap = cap > 0 ? cap * 2 : 64;
			if ((v = reallocarray(b->uids, cap, sizeof(*v))) ==
			    NULL) {
				snprintf(why, whylen, "out of memory");
				return (MBOX_SERVER);
			}
			b->uids = v;
		}
		b->uids[b->nuids].id = x;
		memcpy(b->uids[b->nuids].uid, u, len);
		b->uids[b->nuids].uid[len] = '\0';
		b->nuids++;
	}
	return (MBOX_OK);
}

/* mbox_uid - POP3: the unique id of message ID from the last listing, or
 * NULL (IMAP, or the server gave none) */
const char *
mbox_uid(const struct mbox *b, unsigned long id)
{
	size_t	i;

	for (i = 0; i < b->nuids; i++)
		if (b->uids[i].id == id)
			return (b->uids[i].uid);
	return (NULL);
}

/* mbox_cmp - qsort: ascending ids */
static int
mbox_cmp(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return (x < y ? -1 : x > y);
}

/* mbox_list - the ids to pull: POP3 LIST, or an IMAP UID SEARCH in the
 * folder (unseen or pending with "seen", else every undeleted message)
 * that was not refused before */
enum mbox_class
mbox_list(struct mbox *b, unsigned long **ids, size_t *n, char *why,
    size_t whylen)
{
	enum mbox_class c;

	*ids = NULL;
	*n = 0;
	if (b->m->protocol == CFG_MBOX_POP3) {
		if ((c = mbox_do(b, b->base, NULL, 0, "LIST", why, whylen)) !=
		    MBOX_OK)
			return (c);
		if ((c = mbox_numbers(b, "", ids, n, why, whylen)) != MBOX_OK)
			return (c);
		if ((c = mbox_do(b, b->base, "UIDL", 0, "UIDL", why,
		    whylen)) != MBOX_OK || (c = mbox_uidls(b, why, whylen)) !=
		    MBOX_OK) {
			free(*ids);
			*ids = NULL;
			*n = 0;
		}
		return (c);
	}
	if (b->m->after == CFG_MBOX_SEEN)
		c = mbox_imap(b, "SEARCH", why, whylen, "UID SEARCH UNDELETED "
		    "UNKEYWORD " MBOX_REFUSED " OR UNSEEN KEYWORD "
		    MBOX_PENDING);
	else
		c = mbox_imap(b, "SEARCH", why, whylen, "UID SEARCH UNDELETED "
		    "UNKEYWORD " MBOX_REFUSED);
	if (c != MBOX_OK || (c = mbox_numbers(b, "* SEARCH", ids, n, why,
	    whylen)) != MBOX_OK)
		return (c);
	if (*n > 1)
		qsort(*ids, *n, sizeof(**ids), mbox_cmp);
	/* a folder to move to that is not there: say so before pulling */
	if (b->m->after == CFG_MBOX_MOVE && (c = mbox_imap(b, "STATUS",
	    why, whylen, "STATUS \"%s\" (MESSAGES)", b->m->move_to)) !=
	    MBOX_OK) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		if (c == MBOX_SERVER) {
			snprintf(why, whylen, "folder missing: move_to \"%s\"%s"
			    "%s", b->m->move_to, b->said[0] != '\0' ?
			    "; server said: " : "", b->said);
			c = MBOX_FOLDER;
		}
	}
	return (c);
}

/* mbox_fetch - RETR, or (pending first with "seen") UID FETCH BODY[] */
enum mbox_class
mbox_fetch(struct mbox *b, unsigned long id, char **msg, size_t *len,
    char *why, size_t whylen)
{
	char	url[MBOX_URL_MAX + 32];
	enum mbox_class c;

	*msg = NULL;
	*len = 0;
	if (b->m->protocol == CFG_MBOX_POP3)
		snprintf(url, sizeof(url), "%s%lu", b->base, id);
	else {
		if (b->m->after == CFG_MBOX_SEEN && (c = mbox_imap(b, "STORE",
		    why, whylen, "UID STORE %lu +FLAGS.SILENT (" MBOX_PENDING
		    ")", id)) != MBOX_OK)
			return (c);
		snprintf(url, sizeof(url), "%s/;UID=%lu", b->folder, id);
	}
	if ((c = mbox_do(b, url, NULL, 0, "FETCH", why, whylen)) != MBOX_OK)
		return (c);
	if (b->body.len == 0) {
		snprintf(why, whylen, "FETCH: message %lu is gone or empty",
		    id);
		return (MBOX_SERVER);
	}
	*msg = b->body.p;
	*len = b->body.len;
	b->body.p = NULL;
	b->body.len = b->body.cap = 0;
	return (MBOX_OK);
}

/* mbox_delete - IMAP: \Deleted now, EXPUNGE at mbox_flush (an EXPUNGE
 * per message makes the server rewrite its index each time; see
 * bench/RESULTS.md) */
static enum mbox_class
mbox_delete(struct mbox *b, unsigned long id, char *why, size_t whylen)
{
	enum mbox_class c;

	if ((c = mbox_imap(b, "STORE", why, whylen, "UID STORE %lu "
	    "+FLAGS.SILENT (\\Deleted)", id)) != MBOX_OK)
		return (c);
	b->deleted = 1;
	return (MBOX_OK);
}

/* mbox_flush - IMAP: EXPUNGE what was flagged \Deleted */
enum mbox_class
mbox_flush(struct mbox *b, char *why, size_t whylen)
{
	enum mbox_class c;

	if (!b->deleted)
		return (MBOX_OK);
	if ((c = mbox_imap(b, "EXPUNGE", why, whylen, "EXPUNGE")) == MBOX_OK)
		b->deleted = 0;
	return (c);
}

/* mbox_done - DELE; or UID MOVE (COPY and delete where MOVE is not
 * known), \Deleted and EXPUNGE, or \Seen and the pending mark off */
enum mbox_class
mbox_done(struct mbox *b, unsigned long id, char *why, size_t whylen)
{
	char	url[MBOX_URL_MAX + 32];
	enum mbox_class c;

	if (b->m->protocol == CFG_MBOX_POP3) {
		snprintf(url, sizeof(url), "%s%lu", b->base, id);
		return (mbox_do(b, url, "DELE", 1, "DELE", why, whylen));
	}
	switch (b->m->after) {
	case CFG_MBOX_MOVE:
		c = mbox_imap(b, "MOVE", why, whylen, "UID MOVE %lu \"%s\"", id,
		    b->m->move_to);
		if (c != MBOX_SERVER)
			return (c);
		if ((c = mbox_imap(b, "COPY", why, whylen, "UID COPY %lu "
		    "\"%s\"", id, b->m->move_to)) != MBOX_OK)
			return (c);
		return (mbox_delete(b, id, why, whylen));
	case CFG_MBOX_SEEN:
		if ((c = mbox_imap(b, "STORE", why, whylen, "UID STORE %lu "
		    "+FLAGS.SILENT (\\Seen)", id)) != MBOX_OK)
			return (c);
		return (mbox_imap(b, "STORE", why, whylen, "UID STORE %lu "
		    "-FLAGS.SILENT (" MBOX_PENDING ")", id));
	default:
		return (mbox_delete(b, id, why, whylen));
	}
}

/* mbox_later - IMAP: take back the \Seen that fetching set */
enum mbox_class
mbox_later(struct mbox *b, unsigned long id, char *why, size_t whylen)
{
	if (b->m->protocol == CFG_MBOX_POP3)
		return (MBOX_OK);
	return (mbox_imap(b, "STORE", why, whylen, "UID STORE %lu "
	    "-FLAGS.SILENT (\\Seen)", id));
}

/* mbox_refused - IMAP: the refused keyword, so that it is not listed */
enum mbox_class
mbox_refused(struct mbox *b, unsigned long id, char *why, size_t whylen)
{
	if (b->m->protocol == CFG_MBOX_POP3)
		return (MBOX_OK);
	return (mbox_imap(b, "STORE", why, whylen, "UID STORE %lu "
	    "+FLAGS.SILENT (" MBOX_REFUSED ")", id));
}

/* mbox_send - a watching session: command "I<n> CMD" (tagged), or DONE
 * untagged; 0 or -1 */
static int
mbox_send(struct mbox *b, const char *cmd, int tagged)
{
	char	line[MBOX_CMD_MAX + 32];
	size_t	len, off = 0, n;
	CURLcode res;
	curl_socket_t fd;
	struct pollfd p;

	if (tagged)
		len = (size_t)snprintf(line, sizeof(line), "I%d %s\r\n",
		    ++b->tag, cmd);
	else
		len = (size_t)snprintf(line, sizeof(line), "%s\r\n", cmd);
	if (len >= sizeof(line) || curl_easy_getinfo(b->h,
	    CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK || fd == CURL_SOCKET_BAD)
		return (-1);
	while (off < len) {
		res = curl_easy_send(b->h, line + off, len - off, &n);
		if (res == CURLE_AGAIN) {
			p.fd = fd;
			p.events = POLLOUT;
			if (poll(&p, 1, (int)b->timeout * 1000) <= 0)
				return (-1);
			continue;
		}
		if (res != CURLE_OK)
			return (-1);
		off += n;
	}
	return (0);
}

/* mbox_line - a watching session: the next complete line into LINE (CRLF
 * cut), waiting up to WAIT_MS for it; 1, 0 when none came in time, -1
 * when the connection ended or failed */
static int
mbox_line(struct mbox *b, char *line, size_t linelen, int wait_ms)
{
	char	*eol;
	size_t	n;
	CURLcode res;
	curl_socket_t fd;
	struct pollfd p;

	for (;;) {
		if ((eol = memchr(b->in, '\n', b->inlen)) != NULL) {
			n = (size_t)(eol - b->in);
			if (n > 0 && b->in[n - 1] == '\r')
				n--;
			if (n >= linelen)
				n = linelen - 1;
			memcpy(line, b->in, n);
			line[n] = '\0';
			n = (size_t)(eol + 1 - b->in);
			memmove(b->in, eol + 1, b->inlen - n);
			b->inlen -= n;
			return (1);
		}
		if (b->inlen == sizeof(b->in))	/* a line too long: dropped */
			b->inlen = 0;
		res = curl_easy_recv(b->h, b->in + b->inlen, sizeof(b->in) -
		    b->inlen, &n);
		if (res == CURLE_OK && n == 0)
			return (-1);
		if (res == CURLE_OK) {
			b->inlen += n;
			continue;
		}
		if (res != CURLE_AGAIN)
			return (-1);
		if (wait_ms <= 0 || curl_easy_getinfo(b->h,
		    CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK ||
		    fd == CURL_SOCKET_BAD)
			return (0);
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, wait_ms) <= 0)
			return (0);
		wait_ms = 0;	/* one wait; then what is there */
	}
}

/* mbox_wait_tag - a watching session: read until the answer to the last
 * tagged command ("I<n> OK"), or a continuation ("+") when CONT; 0, or
 * -1 with the answer in b->said */
static int
mbox_wait_tag(struct mbox *b, int cont)
{
	char	line[MBOX_LINE_MAX], tag[16];
	size_t	tl;
	int	r;

	tl = (size_t)snprintf(tag, sizeof(tag), "I%d ", b->tag);
	for (;;) {
		if ((r = mbox_line(b, line, sizeof(line), (int)b->timeout *
		    1000)) <= 0) {
			snprintf(b->said, sizeof(b->said), "%s", r == 0 ?
			    "no answer in time" : "connection closed");
			return (-1);
		}
		if (cont && line[0] == '+')
			return (0);
		if (strncmp(line, tag, tl) == 0) {
			if (strncmp(line + tl, "OK", 2) == 0 && !cont)
				return (0);
			snprintf(b->said, sizeof(b->said), "%.200s", line);
			return (-1);
		}
	}
}

/* mbox_idle_start - connect and log in as mbox_list does, open the folder
 * read-only and wait in IDLE */
enum mbox_class
mbox_idle_start(struct mbox *b, char *why, size_t whylen)
{
	char	cmd[MBOX_CMD_MAX];
	CURLcode res;

	if (b->m->protocol != CFG_MBOX_IMAP) {
		snprintf(why, whylen, "IDLE: IMAP only");
		return (MBOX_SERVER);
	}
	curl_easy_setopt(b->h, CURLOPT_URL, b->base);
	curl_easy_setopt(b->h, CURLOPT_CONNECT_ONLY, 1L);
	/* the session lasts: no overall timeout, a connect timeout only */
	curl_easy_setopt(b->h, CURLOPT_TIMEOUT, 0L);
	b->said[0] = '\0';
	b->ebuf[0] = '\0';
	if ((res = curl_easy_perform(b->h)) != CURLE_OK)
		return (mbox_classify(b, res, "IDLE login", why, whylen));
	if (!b->can_idle) {
		snprintf(why, whylen, "the server does not offer IDLE");
		return (MBOX_SERVER);
	}
	snprintf(cmd, sizeof(cmd), "EXAMINE \"%s\"", b->m->folder != NULL ?
	    b->m->folder : "INBOX");
	if (mbox_send(b, cmd, 1) != 0 || mbox_wait_tag(b, 0) != 0) {
		snprintf(why, whylen, "IDLE: EXAMINE: %s", b->said[0] != '\0' ?
		    b->said : "failed");
		return (MBOX_FOLDER);
	}
	if (mbox_send(b, "IDLE", 1) != 0 || mbox_wait_tag(b, 1) != 0) {
		snprintf(why, whylen, "IDLE refused: %s", b->said[0] != '\0' ?
		    b->said : "failed");
		return (MBOX_SERVER);
	}
	b->idling = 1;
	return (MBOX_OK);
}

/* mbox_idle_fd - the watching session's socket, to poll for reading */
int
mbox_idle_fd(const struct mbox *b)
{
	curl_socket_t fd;

	if (curl_easy_getinfo(b->h, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK ||
	    fd == CURL_SOCKET_BAD)
		return (-1);
	return ((int)fd);
}

/* mbox_idle_news - what came on the watching session: 1 when the folder
 * changed (EXISTS, RECENT), 0 nothing new, -1 the session ended (BYE, a
 * closed connection) */
int
mbox_idle_news(struct mbox *b)
{
	char	line[MBOX_LINE_MAX];
	int	r, news = 0;
	const char *sp;

	while ((r = mbox_line(b, line, sizeof(line), 0)) == 1) {
		if (line[0] != '*')
			continue;
		if (strncasecmp(line, "* BYE", 5) == 0)
			return (-1);
		if ((sp = strchr(line + 2, ' ')) != NULL &&
		    (strncasecmp(sp, " EXISTS", 7) == 0 ||
		    strncasecmp(sp, " RECENT", 7) == 0))
			news = 1;
	}
	return (r < 0 ? -1 : news);
}

/* mbox_idle_renew - end IDLE and start it again, before the server's
 * inactivity timer (RFC 2177: 29 minutes) ends the session; 0 or -1 */
int
mbox_idle_renew(struct mbox *b)
{
	b->idling = 0;
	if (mbox_send(b, "DONE", 0) != 0 || mbox_wait_tag(b, 0) != 0 ||
	    mbox_send(b, "IDLE", 1) != 0 || mbox_wait_tag(b, 1) != 0)
		return (-1);
	b->idling = 1;
	return (0);
}

/* mbox_sender - the first Return-Path in the header section: "<addr>"
 * with an address of printable characters, no spaces or brackets */
void
mbox_sender(const char *msg, size_t len, char *out, size_t outlen)
{
	const char *p = msg, *end = msg + len, *eol, *v, *lt, *gt;
	size_t	n, i;

	out[0] = '\0';
	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		/* the blank line ends the header section */
		if (eol == p || (eol == p + 1 && *p == '\r'))
			return;
		if (eol - p > 12 && strncasecmp(p, "Return-Path:", 12) == 0) {
			v = p + 12;
			lt = memchr(v, '<', (size_t)(eol - v));
			gt = lt != NULL ? memchr(lt, '>', (size_t)(eol - lt)) :
			    NULL;
			if (lt == NULL || gt == NULL)
				return;
			n = (size_t)(gt - lt - 1);
			if (n == 0 || n >= outlen || n > CFG_ADDR_MAX)
				return;
			for (i = 0; i < n; i++)
				if (lt[1 + i] <= ' ' || lt[1 + i] >= 0x7f ||
				    lt[1 + i] == '<' || lt[1 + i] == '>')
					return;
			memcpy(out, lt + 1, n);
			out[n] = '\0';
			return;
		}
		p = eol + 1;
	}
}
