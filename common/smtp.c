/* smtp.c - submit one message to the relay of delivery.relay, or to an
 * identity's own server, with libcurl: the SMTP client of the router's
 * forward mode and fetcher, and of mailacdctl test-email (so it lives in
 * common/, as the mailbox client does).  No Redis here, no logging: the
 * caller decides what a failure means for the interaction (retry.c,
 * deliver.c).
 *
 * One session per message.  curl's error alone says little ("RCPT failed:
 * 550"), so the relay's answers are watched through the debug callback and
 * the last failing one is kept: it goes into the log and the interaction,
 * and its code tells a refusal for good (5xx) from a try-again (4xx, no
 * answer). */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "ident.h"
#include "smtp.h"

#define SMTP_TIMEOUT	60	/* seconds a submission takes at most when
				   delivery.timeout is not set */

/* The answers of the relay seen during one submission. */
struct smtp_answers {
	char	last[SMTP_WHY_MAX];	/* the last failing answer (4xx, 5xx)
					   of the latest command */
	int	code;
	char	good[SMTP_WHY_MAX];	/* the last other answer (not 221) */
	int	good_code;
};

/* The message being uploaded. */
struct smtp_upload {
	const char *p;
	size_t	len, off;
};

/* What the progress callback watches. */
struct smtp_watch {
	atomic_int *stop;	/* the caller's: nonzero aborts */
};

/* smtp_relay_name - RELAY without a user:password@ part, for logs */
void
smtp_relay_name(const char *relay, char *out, size_t outlen)
{
	const char *scheme, *host, *at;

	scheme = strstr(relay, "://");
	host = scheme != NULL ? scheme + 3 : relay;
	at = strchr(host, '@');
	if (at != NULL && (strchr(host, '/') == NULL ||
	    at < strchr(host, '/')))
		snprintf(out, outlen, "%.*s%s", (int)(host - relay), relay,
		    at + 1);
	else
		snprintf(out, outlen, "%s", relay);
}

/* smtp_read - curl: the next bytes of the message */
static size_t
smtp_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct smtp_upload *u = arg;
	size_t	n = size * nitems;

	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(buf, u->p + u->off, n);
	u->off += n;
	return (n);
}

/* smtp_progress - curl: abort the submission when the caller stops */
static int
smtp_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct smtp_watch *w = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return (atomic_load(w->stop) != 0);
}

/* smtp_trace - curl: keep the relay's failing answer to the latest
 * command (the 221 to QUIT does not count) */
static int
smtp_trace(CURL *h, curl_infotype type, char *data, size_t size,
    void *arg)
{
	struct smtp_answers *t = arg;
	size_t	n, i;
	char	*out;
	int	code;

	(void)h;
	if (type != CURLINFO_HEADER_IN || size < 3 || data[0] < '1' ||
	    data[0] > '5' || data[1] < '0' || data[1] > '9' ||
	    data[2] < '0' || data[2] > '9')
		return (0);
	code = (data[0] - '0') * 100 + (data[1] - '0') * 10 + data[2] - '0';
	if (code == 221)
		return (0);
	out = code < 400 ? t->good : t->last;
	n = size;
	while (n > 0 && (data[n - 1] == '\n' || data[n - 1] == '\r'))
		n--;
	if (n >= SMTP_WHY_MAX)
		n = SMTP_WHY_MAX - 1;
	for (i = 0; i < n; i++)
		out[i] = (data[i] < ' ' || data[i] == 0x7f) ? ' ' : data[i];
	out[n] = '\0';
	if (code < 400) {
		t->last[0] = '\0';
		t->good_code = code;
	}
	t->code = code;
	return (0);
}

/* smtp_server_relay - S is the relay of DC (delivery.*) */
void
smtp_server_relay(struct smtp_server *s, const struct cfg_delivery *dc)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->url, sizeof(s->url), "%s", dc->relay != NULL ? dc->relay :
	    "");
	smtp_relay_name(s->url, s->name, sizeof(s->name));
	s->starttls = dc->starttls;
	s->tls_verify = dc->tls_verify;
	s->ca_file = dc->ca_file;
	s->user = dc->username;
	s->password = dc->password;
	s->timeout = dc->timeout;
}

/* smtp_server_own - S is identity server M: smtps:// for implicit TLS,
 * else smtp:// with STARTTLS required or (loopback only, the loader
 * checks) none; an IPv6 address in brackets */
void
smtp_server_own(struct smtp_server *s, const struct cfg_smtp *m,
    int timeout)
{
	int	v6 = strchr(m->server, ':') != NULL;

	memset(s, 0, sizeof(*s));
	snprintf(s->url, sizeof(s->url), "%s://%s%s%s:%d",
	    m->tls == CFG_MBOX_TLS_IMPLICIT ? "smtps" : "smtp", v6 ? "[" : "",
	    m->server, v6 ? "]" : "", m->port);
	snprintf(s->name, sizeof(s->name), "%s", s->url);
	s->starttls = m->tls == CFG_MBOX_TLS_STARTTLS ? CFG_TLS_REQUIRE :
	    CFG_TLS_NO;
	s->tls_verify = m->tls_verify;
	s->ca_file = m->ca_file;
	s->user = m->user;
	s->password = m->password;
	s->timeout = timeout;
}

/* smtp_server_as - the server and envelope sender of mail sent as
 * registered address ADDRESS */
const char *
smtp_server_as(struct smtp_server *s, const struct cfg *cfg,
    const char *address)
{
	const struct cfg_smtp *own;

	if ((own = ident_channel_smtp(cfg, address)) != NULL) {
		smtp_server_own(s, own, cfg->delivery.timeout);
		return (address);
	}
	smtp_server_relay(s, &cfg->delivery);
	return (cfg->delivery.sender != NULL ? cfg->delivery.sender : "");
}

/* smtp_send - one SMTP session with libcurl: MAIL FROM SENDER, RCPT TO,
 * DATA; the class of a failure from the server's last failing answer, or
 * from curl's error when there was none */
enum smtp_result
smtp_send(const struct smtp_server *s, const char *sender, const char *rcpt,
    const char *m, size_t len, atomic_int *stop, char *why, size_t whylen,
    struct smtp_reply *rep)
{
	struct smtp_upload up = { m, len, 0 };
	struct smtp_watch watch = { stop };
	struct smtp_answers tr;
	struct curl_slist *rcpts;
	char	from[CFG_ADDR_MAX + 3], to[CFG_ADDR_MAX + 3];
	char	ebuf[CURL_ERROR_SIZE];
	long	code = 0, use_ssl;
	CURLcode res;
	CURL	*h;

	memset(&tr, 0, sizeof(tr));
	if (rep != NULL)
		memset(rep, 0, sizeof(*rep));
	why[0] = '\0';
	ebuf[0] = '\0';
	snprintf(from, sizeof(from), "<%s>", sender != NULL ? sender : "");
	snprintf(to, sizeof(to), "<%s>", rcpt);
	if ((h = curl_easy_init()) == NULL) {
		snprintf(why, whylen, "curl: out of memory");
		return (SMTP_TEMP);
	}
	if ((rcpts = curl_slist_append(NULL, to)) == NULL) {
		curl_easy_cleanup(h);
		snprintf(why, whylen, "curl: out of memory");
		return (SMTP_TEMP);
	}
	use_ssl = s->starttls == CFG_TLS_REQUIRE ? (long)CURLUSESSL_ALL :
	    s->starttls == CFG_TLS_TRY ? (long)CURLUSESSL_TRY :
	    (long)CURLUSESSL_NONE;
	curl_easy_setopt(h, CURLOPT_URL, s->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, smtp_read);
	curl_easy_setopt(h, CURLOPT_READDATA, &up);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_USE_SSL, use_ssl);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, s->tls_verify ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, s->tls_verify ? 2L : 0L);
	if (s->ca_file != NULL && *s->ca_file != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, s->ca_file);
	if (s->user != NULL && *s->user != '\0') {
		curl_easy_setopt(h, CURLOPT_USERNAME, s->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, s->password != NULL ?
		    s->password : "");
	}
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)(s->timeout > 0 ?
	    s->timeout : SMTP_TIMEOUT));
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, smtp_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &watch);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, smtp_trace);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, &tr);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	res = curl_easy_perform(h);
	if (res != CURLE_OK && tr.last[0] == '\0')
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(h);
	curl_slist_free_all(rcpts);
	if (rep != NULL) {
		if (tr.last[0] != '\0') {
			snprintf(rep->line, sizeof(rep->line), "%s", tr.last);
			rep->code = tr.code;
		} else if (tr.good[0] != '\0') {
			snprintf(rep->line, sizeof(rep->line), "%s", tr.good);
			rep->code = tr.good_code;
		}
		rep->auth = res == CURLE_LOGIN_DENIED;
		rep->tls = res == CURLE_SSL_CONNECT_ERROR ||
		    res == CURLE_PEER_FAILED_VERIFICATION ||
		    res == CURLE_SSL_CACERT_BADFILE ||
		    res == CURLE_SSL_CERTPROBLEM || res == CURLE_SSL_CIPHER ||
		    res == CURLE_USE_SSL_FAILED;
	}
	if (res == CURLE_OK)
		return (SMTP_SENT);
	if (res == CURLE_ABORTED_BY_CALLBACK && atomic_load(stop))
		return (SMTP_STOPPED);
	if (tr.last[0] != '\0') {
		/* "RCPT failed: 550" + "550 5.1.1 ...": the code once */
		size_t	n = strlen(ebuf);

		if (n > 5 && strncmp(ebuf + n - 5, ": ", 2) == 0 &&
		    strncmp(ebuf + n - 3, tr.last, 3) == 0)
			ebuf[n - 5] = '\0';
		code = tr.code;
		snprintf(why, whylen, "%.150s: %.250s", ebuf[0] != '\0' ?
		    ebuf : curl_easy_strerror(res), tr.last);
	} else
		snprintf(why, whylen, "%s", ebuf[0] != '\0' ? ebuf :
		    curl_easy_strerror(res));
	/* no answer at all, or none to wait for: whatever came before */
	if (res == CURLE_COULDNT_CONNECT || res == CURLE_COULDNT_RESOLVE_HOST ||
	    res == CURLE_OPERATION_TIMEDOUT || res == CURLE_GOT_NOTHING ||
	    res == CURLE_ABORTED_BY_CALLBACK)
		return (SMTP_TEMP);
	return (code >= 500 && code <= 599 ? SMTP_PERM : SMTP_TEMP);
}

/* smtp_submit - smtp_send from delivery.sender through the relay of DC */
enum smtp_result
smtp_submit(const struct cfg_delivery *dc, const char *rcpt, const char *m,
    size_t len, atomic_int *stop, char *why, size_t whylen)
{
	struct smtp_server s;

	smtp_server_relay(&s, dc);
	return (smtp_send(&s, dc->sender, rcpt, m, len, stop, why, whylen,
	    NULL));
}
