/* testmail.c - "mailacdctl test-email IDENTITY RECIPIENT", the "send me a
 * test email" of the hosted products: a short message sent as a channel
 * address or an agent through exactly the way that identity's mail
 * leaves — its own server with its own user and password when it has
 * one (as Postfix does with the maps of "postfix maps"), else the relay
 * of delivery.relay — with the router's SMTP client (common/smtp.c).
 * The server's answer is printed; the password never is. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <curl/curl.h>

#include "addr.h"
#include "hdr.h"
#include "ident.h"
#include "rnd.h"
#include "smtp.h"
#include "testmail.h"

/* testmail_text - the test message from ID to RCPT that leaves through
 * VIA (malloc'd, CRLF line ends), or NULL */
static char *
testmail_text(const struct ident *id, const char *rcpt, const char *via,
    size_t *lenp)
{
	const char *dn = id->channel != NULL ? id->channel->display_name : "";
	const char *at = strrchr(id->address, '@');
	char	date[64], rnd[33], *from, *text = NULL;
	time_t	now = time(NULL);
	struct tm tm;
	size_t	len = 0;
	FILE	*fp;

	/* RFC 5322 in UTC, whatever the locale: the names are spelled out */
	if (gmtime_r(&now, &tm) == NULL)
		return (NULL);
	snprintf(date, sizeof(date), "%s, %02d %s %d %02d:%02d:%02d +0000",
	    &"Sun\0Mon\0Tue\0Wed\0Thu\0Fri\0Sat"[tm.tm_wday * 4],
	    tm.tm_mday, &"Jan\0Feb\0Mar\0Apr\0May\0Jun\0Jul\0Aug\0Sep\0"
	    "Oct\0Nov\0Dec"[tm.tm_mon * 4], tm.tm_year + 1900, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	if (rnd_hex(rnd, 16) != 0 ||
	    (from = hdr_format_mailbox(dn, id->address)) == NULL)
		return (NULL);
	if ((fp = open_memstream(&text, &len)) == NULL) {
		free(from);
		return (NULL);
	}
	fprintf(fp, "From: %s\r\n"
	    "To: <%s>\r\n"
	    "Subject: mailacd test email from %s\r\n"
	    "Date: %s\r\n"
	    "Message-ID: <mailacd.test.%s@%s>\r\n"
	    "Auto-Submitted: auto-generated\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n"
	    "\r\n"
	    "This is a test message from mailacd.\r\n"
	    "It was sent as %s through %s.\r\n",
	    from, rcpt, id->address, date, rnd,
	    at != NULL ? at + 1 : "mailacd.invalid", id->address, via);
	free(from);
	if (fclose(fp) != 0) {
		free(text);
		return (NULL);
	}
	*lenp = len;
	return (text);
}

/* testmail_cmd - "test-email IDENTITY RECIPIENT" */
int
testmail_cmd(struct ctl *ctl, int argc, char **argv)
{
	struct smtp_server srv;
	struct smtp_reply rep;
	struct ident id;
	struct addr pa;
	enum smtp_result res;
	atomic_int stop = 0;
	char	why[SMTP_WHY_MAX + 64], err[128], *m;
	const char *user;
	size_t	len;

	if (argc != 3) {
		ctl_errx("usage: mailacdctl [-c file] test-email IDENTITY "
		    "RECIPIENT");
		return (EX_USAGE);
	}
	if (ident_find(ctl->cfg, argv[1], &id) != 0) {
		ctl_errx("test-email: %s is neither a registered address nor "
		    "an agent in %s", argv[1], ctl->file);
		return (CTL_EX_NOTFOUND);
	}
	if (strpbrk(argv[2], "\r\n<>") != NULL ||
	    addr_parse(argv[2], &pa, err, sizeof(err)) != 0) {
		ctl_errx("test-email: recipient %s: not an address", argv[2]);
		return (EX_USAGE);
	}
	if (id.smtp != NULL)
		smtp_server_own(&srv, id.smtp, ctl->cfg->delivery.timeout);
	else
		smtp_server_relay(&srv, &ctl->cfg->delivery);
	user = srv.user != NULL && *srv.user != '\0' ? srv.user : NULL;
	if ((m = testmail_text(&id, argv[2], srv.name, &len)) == NULL) {
		ctl_errx("test-email: out of memory");
		return (EX_OSERR);
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		free(m);
		ctl_errx("test-email: libcurl: initialisation failed");
		return (EX_OSERR);
	}
	res = smtp_send(&srv, id.address, argv[2], m, len, &stop, why,
	    sizeof(why), &rep);
	free(m);
	curl_global_cleanup();
	if (res == SMTP_SENT) {
		fprintf(ctl->out, "%s: sent to %s through %s%s%s%s: %s\n",
		    id.address, argv[2], srv.name, id.smtp != NULL ?
		    " (its own server)" : " (the relay)", user ? " as " : "",
		    user ? user : "", rep.line[0] ? rep.line : "accepted");
		return (0);
	}
	ctl_errx("test-email: %s to %s through %s%s%s: %s%s", id.address,
	    argv[2], srv.name, user ? " as " : "", user ? user : "", why,
	    rep.auth ? " (the server refused the user and password)" :
	    rep.tls ? " (TLS failed)" : "");
	if (rep.auth)
		return (EX_NOPERM);
	if (rep.tls)
		return (EX_PROTOCOL);
	return (res == SMTP_PERM ? EX_UNAVAILABLE : EX_TEMPFAIL);
}
