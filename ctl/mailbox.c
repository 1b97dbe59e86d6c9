/* mailbox.c - mailacdctl's view of the mailboxes addresses pull their
 * mail from: "mailbox test ADDRESS", the Test Connection (connect, log
 * in, open the folder, count what is to be pulled, with common/mbox.c as
 * the router's fetcher does), and the lines "mailacdctl status" shows
 * from the fetcher's last look (mailacd:{ORG}:mailbox:ADDRESS). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <curl/curl.h>

#include "ctl.h"
#include "json.h"
#include "mbox.h"

/* mailbox_find - the configured address ADDR (case ignored) with a
 * mailbox, or NULL */
static const struct cfg_address *
mailbox_find(const struct cfg *cfg, const char *addr)
{
	const struct cfg_address *a;
	size_t	i, j, k;

	for (i = 0; i < cfg->norgs; i++)
		for (j = 0; j < cfg->orgs[i].ndomains; j++)
			for (k = 0; k < cfg->orgs[i].domains[j].naddresses;
			    k++) {
				a = &cfg->orgs[i].domains[j].addresses[k];
				if (strcasecmp(a->address, addr) == 0)
					return (a);
			}
	return (NULL);
}

/* mailbox_exit - the sysexits status for a failure of class C */
static int
mailbox_exit(enum mbox_class c)
{
	switch (c) {
	case MBOX_OK:
		return (0);
	case MBOX_AUTH:
		return (EX_NOPERM);
	case MBOX_FOLDER:
		return (EX_UNAVAILABLE);
	case MBOX_TLS:
		return (EX_PROTOCOL);
	case MBOX_CONNECT:
		return (EX_TEMPFAIL);
	default:
		return (EX_UNAVAILABLE);
	}
}

/* mailbox_cmd - "mailbox test ADDRESS": one session, what it found */
int
mailbox_cmd(struct ctl *ctl, int argc, char **argv)
{
	const struct cfg_address *a;
	const struct cfg_mailbox *m;
	char	why[MBOX_WHY_MAX];
	unsigned long *ids = NULL;
	enum mbox_class c;
	struct mbox *b;
	size_t	n = 0;

	if (argc != 3 || strcmp(argv[1], "test") != 0) {
		ctl_errx("usage: mailacdctl [-c file] mailbox test ADDRESS");
		return (EX_USAGE);
	}
	if ((a = mailbox_find(ctl->cfg, argv[2])) == NULL) {
		ctl_errx("mailbox test: %s is not a configured address",
		    argv[2]);
		return (CTL_EX_NOTFOUND);
	}
	if ((m = a->mailbox) == NULL) {
		ctl_errx("mailbox test: %s has no mailbox", a->address);
		return (CTL_EX_NOTFOUND);
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		ctl_errx("mailbox test: libcurl: initialisation failed");
		return (EX_OSERR);
	}
	if ((b = mbox_open(m, ctl->cfg->fetch.timeout, NULL)) == NULL) {
		curl_global_cleanup();
		ctl_errx("mailbox test: out of memory");
		return (EX_OSERR);
	}
	c = mbox_list(b, &ids, &n, why, sizeof(why));
	mbox_close(b);
	free(ids);
	curl_global_cleanup();
	if (c != MBOX_OK) {
		ctl_errx("mailbox test: %s: %s %s:%d: %s (%s)", a->address,
		    m->protocol == CFG_MBOX_POP3 ? "POP3" : "IMAP", m->server,
		    m->port, why, mbox_class_name(c));
		return (mailbox_exit(c));
	}
	fprintf(ctl->out, "%s: %s %s:%d as %s, %s: connected, logged in, "
	    "folder %s open, %zu message%s to pull\n", a->address,
	    m->protocol == CFG_MBOX_POP3 ? "POP3" : "IMAP", m->server,
	    m->port, m->user, m->tls == CFG_MBOX_TLS_IMPLICIT ? "TLS" :
	    m->tls == CFG_MBOX_TLS_STARTTLS ? "STARTTLS" : "no TLS",
	    m->protocol == CFG_MBOX_POP3 ? "INBOX" : m->folder, n,
	    n == 1 ? "" : "s");
	return (0);
}

/* mailbox_field - string field I of reply R, or "" */
static const char *
mailbox_field(const redisReply *r, size_t i)
{
	return (r->element[i]->type == REDIS_REPLY_STRING ?
	    r->element[i]->str : "");
}

/* mailbox_status - one line per mailbox of organisation O from the
 * fetcher's last look, or a JSON array "mailboxes" into J (not NULL) */
int
mailbox_status(struct ctl *ctl, const struct cfg_org *o, struct jw *j)
{
	const struct cfg_address *a;
	char	key[CTL_KEY_MAX], at[64];
	redisReply *r;
	size_t	d, k;
	int	st, any = 0;

	for (d = 0; d < o->ndomains; d++)
		for (k = 0; k < o->domains[d].naddresses; k++) {
			a = &o->domains[d].addresses[k];
			if (a->mailbox == NULL)
				continue;
			if (keys_fmt(key, sizeof(key), KEYS_FMT_MAILBOX, o->id,
			    a->key) != 0)
				return (EX_SOFTWARE);
			if ((r = ctl_command(ctl, &st, "HMGET", key, "HMGET %s "
			    KEYS_F_MB_STATUS " " KEYS_F_MB_CLASS " "
			    KEYS_F_MB_ERROR " " KEYS_F_MB_CHECKED_AT " "
			    KEYS_F_MB_PULLED " " KEYS_F_MB_WAITING " "
			    KEYS_F_MB_REFUSED, key)) == NULL)
				return (st);
			if (r->type != REDIS_REPLY_ARRAY || r->elements != 7) {
				st = ctl_failed(ctl, "HMGET", key, r);
				freeReplyObject(r);
				return (st);
			}
			if (j != NULL) {
				if (!any)
					jw_open(j, "mailboxes", '[');
				jw_open(j, NULL, '{');
				jw_string(j, "address", a->address);
				jw_string(j, "status", *mailbox_field(r, 0) ?
				    mailbox_field(r, 0) : "unchecked");
				jw_string(j, "class", mailbox_field(r, 1));
				jw_string(j, "error", mailbox_field(r, 2));
				jw_int(j, "checked_at",
				    strtoll(mailbox_field(r, 3), NULL, 10));
				jw_int(j, "pulled",
				    strtoll(mailbox_field(r, 4), NULL, 10));
				jw_int(j, "waiting",
				    strtoll(mailbox_field(r, 5), NULL, 10));
				jw_int(j, "refused",
				    strtoll(mailbox_field(r, 6), NULL, 10));
				jw_close(j, '}');
			} else if (*mailbox_field(r, 0) == '\0')
				fprintf(ctl->out, "  mailbox        %s: not "
				    "looked at yet\n", a->address);
			else if (strcmp(mailbox_field(r, 0), "ok") == 0)
				fprintf(ctl->out, "  mailbox        %s: ok, "
				    "%s pulled, %s waiting, %s refused, "
				    "checked %s\n", a->address,
				    *mailbox_field(r, 4) ? mailbox_field(r, 4) :
				    "0", mailbox_field(r, 5),
				    *mailbox_field(r, 6) ? mailbox_field(r, 6) :
				    "0", ctl_time(strtoll(mailbox_field(r, 3),
				    NULL, 10), at, sizeof(at)));
			else
				fprintf(ctl->out, "  mailbox        %s: FAILING "
				    "(%s) %s, checked %s\n", a->address,
				    mailbox_field(r, 1), mailbox_field(r, 2),
				    ctl_time(strtoll(mailbox_field(r, 3), NULL,
				    10), at, sizeof(at)));
			any = 1;
			freeReplyObject(r);
		}
	if (j != NULL && any)
		jw_close(j, ']');
	return (0);
}
