/* autoreply.c - RFC 3834's rules for mailacd's automatic answers: which
 * messages get none (automatic mail, lists, bulk, bounces, our own), and
 * where an acknowledgement goes (Reply-To, else From; never the envelope
 * sender).  No I/O. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "autoreply.h"
#include "cfg.h"

/* autoreply_has - 1 if the comma-separated list VALUE names WORD (any
 * case, spaces around) */
static int
autoreply_has(const char *value, const char *word)
{
	size_t	wl = strlen(word), n;
	const char *p = value;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		n = strcspn(p, ",");
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' ||
		    p[n - 1] == '\r' || p[n - 1] == '\n'))
			n--;
		if (n == wl && strncasecmp(p, word, wl) == 0)
			return (1);
		p += strcspn(p, ",");
	}
	return (0);
}

/* autoreply_word - 1 if VALUE, trimmed, equals WORD in any case */
static int
autoreply_word(const char *value, const char *word)
{
	size_t	wl = strlen(word);

	while (*value == ' ' || *value == '\t')
		value++;
	if (strncasecmp(value, word, wl) != 0)
		return (0);
	value += wl;
	while (*value == ' ' || *value == '\t' || *value == '\r' ||
	    *value == '\n')
		value++;
	return (*value == '\0' || *value == ';' || *value == '(');
}

/* autoreply_auto_header - the usual marks of automatic mail */
const char *
autoreply_auto_header(const char *name, const char *value)
{
	if (strcasecmp(name, "Auto-Submitted") == 0)
		return (autoreply_word(value, "no") ? NULL : "auto-submitted");
	if (strcasecmp(name, "Precedence") == 0) {
		if (autoreply_word(value, "bulk") ||
		    autoreply_word(value, "junk") ||
		    autoreply_word(value, "list"))
			return ("precedence");
		return (NULL);
	}
	if (strcasecmp(name, "X-Autoreply") == 0 ||
	    strcasecmp(name, "X-Autorespond") == 0)
		return ("autoreply-header");
	if (strcasecmp(name, "Content-Type") == 0) {
		const char *p = value;

		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "multipart/report", 16) == 0 &&
		    strcasestr(p, "delivery-status") != NULL)
			return ("delivery-status");
	}
	return (NULL);
}

/* autoreply_auto_sender - null sender and mailer daemons */
const char *
autoreply_auto_sender(const char *sender)
{
	const char *p = sender;
	size_t	n;

	while (*p == '<' || *p == ' ')
		p++;
	n = strcspn(p, "@>");
	if (n == 0)
		return ("null-sender");
	if ((n == 13 && strncasecmp(p, "mailer-daemon", 13) == 0) ||
	    (n == 10 && strncasecmp(p, "postmaster", 10) == 0))
		return ("mailer-daemon");
	return (NULL);
}

/* autoreply_header - the marks of automatic, list and bulk mail */
const char *
autoreply_header(const char *name, const char *value)
{
	static const char *const lists[] = { "List-Id", "List-Unsubscribe",
	    "List-Post", "List-Help", "List-Subscribe", "List-Owner",
	    "List-Archive", "List-Unsubscribe-Post", NULL };
	const char *why;
	size_t	i;

	if ((why = autoreply_auto_header(name, value)) != NULL)
		return (why);
	for (i = 0; lists[i] != NULL; i++)
		if (strcasecmp(name, lists[i]) == 0)
			return ("list");
	if (strcasecmp(name, "X-Auto-Response-Suppress") == 0 &&
	    (autoreply_has(value, "All") || autoreply_has(value, "AutoReply") ||
	    autoreply_has(value, "OOF")))
		return ("auto-response-suppress");
	if (strcasecmp(name, "Content-Type") == 0 &&
	    strcasestr(value, "multipart/report") != NULL &&
	    strcasestr(value, "disposition-notification") != NULL)
		return ("delivery-status");
	return (NULL);
}

/* autoreply_address - robots by their local part */
const char *
autoreply_address(const char *addr)
{
	static const char *const exact[] = { "noreply", "no-reply",
	    "no_reply", "donotreply", "do-not-reply", "do_not_reply",
	    "dontreply", "dont-reply", "nobody", "bounce", "bounces",
	    "listserv", "majordomo", "mailman", NULL };
	static const char *const prefixes[] = { "noreply", "no-reply",
	    "no_reply", "donotreply", "do-not-reply", "bounce-", "bounces-",
	    "bounces+", "owner-", NULL };
	const char *why, *p = addr;
	size_t	n, i, pl;

	if (addr == NULL)
		return ("null-sender");
	if ((why = autoreply_auto_sender(addr)) != NULL)
		return (why);
	while (*p == '<' || *p == ' ')
		p++;
	n = strcspn(p, "@>");
	for (i = 0; exact[i] != NULL; i++)
		if (n == strlen(exact[i]) && strncasecmp(p, exact[i], n) == 0)
			return ("noreply-address");
	for (i = 0; prefixes[i] != NULL; i++) {
		pl = strlen(prefixes[i]);
		if (n > pl && strncasecmp(p, prefixes[i], pl) == 0)
			return ("noreply-address");
	}
	if (n > 8 && strncasecmp(p + n - 8, "-request", 8) == 0)
		return ("noreply-address");
	return (NULL);
}

/* autoreply_mailbox - "Name <a@b>": the last <...> is the address */
int
autoreply_mailbox(const char *from, char *name, size_t namelen,
    char *addr, size_t addrlen)
{
	const char *lt, *gt, *s, *e;
	size_t	n;

	name[0] = '\0';
	addr[0] = '\0';
	if (from == NULL)
		return (-1);
	lt = strrchr(from, '<');
	gt = lt != NULL ? strchr(lt, '>') : NULL;
	if (lt != NULL && gt != NULL) {
		s = lt + 1;
		n = (size_t)(gt - s);
		for (e = from; e < lt && (*e == ' ' || *e == '\t'); e++)
			;
		/* the name: what comes before, trimmed and unquoted */
		while (lt > e && (lt[-1] == ' ' || lt[-1] == '\t'))
			lt--;
		if (lt - e >= 2 && *e == '"' && lt[-1] == '"') {
			e++;
			lt--;
		}
		snprintf(name, namelen, "%.*s", (int)(lt - e), e);
	} else {
		for (s = from; *s == ' ' || *s == '\t'; s++)
			;
		n = strcspn(s, " \t\r\n");
		if (s[n] != '\0' && s[n + strspn(s + n, " \t\r\n")] != '\0')
			return (-1);	/* two words, no brackets */
	}
	if (n == 0 || n >= addrlen || n > ADDR_MAX ||
	    memchr(s, '@', n) == NULL || memchr(s, ',', n) != NULL ||
	    memchr(s, ' ', n) != NULL)
		return (-1);
	memcpy(addr, s, n);
	addr[n] = '\0';
	return (0);
}

/* autoreply_ours - is ADDR one of CFG's registered addresses or agents? */
static int
autoreply_ours(const struct cfg *cfg, const char *addr)
{
	struct addr a;
	char	key[ADDR_MAX + 2], err[128];

	if (cfg_find_agent(cfg, addr) != NULL)
		return (1);
	return (addr_parse(addr, &a, err, sizeof(err)) == 0 &&
	    cfg_match_address(cfg, a.local, a.domain, key,
	    sizeof(key)) != NULL);
}

/* autoreply_decide - the rules in the order a reader would check them */
const char *
autoreply_decide(const struct cfg *cfg, const struct autoreply_in *in,
    char *to, size_t tolen, char *name, size_t namelen)
{
	char	fname[256], faddr[ADDR_MAX + 1];
	const char *why;

	to[0] = '\0';
	name[0] = '\0';
	if (in->stopped)
		return ("stopped by a flow");
	if (in->merged)
		return ("merged into an open interaction");
	if (in->automatic != NULL && *in->automatic != '\0')
		return (in->automatic);
	if (in->noreply != NULL && *in->noreply != '\0')
		return (in->noreply);
	/* a bounce's envelope sender is never the one answered; the null
	 * sender marks the message automatic in any case */
	if ((why = autoreply_address(in->sender)) != NULL)
		return (why);
	if (autoreply_mailbox(in->from, fname, sizeof(fname), faddr,
	    sizeof(faddr)) != 0)
		return ("no From address");
	if ((why = autoreply_address(faddr)) != NULL)
		return (why);
	if (autoreply_ours(cfg, faddr))
		return ("our own address");
	if (in->reply_to != NULL && *in->reply_to != '\0') {
		if ((why = autoreply_address(in->reply_to)) != NULL)
			return (why);
		if (autoreply_ours(cfg, in->reply_to))
			return ("our own address");
		if (strlen(in->reply_to) >= tolen ||
		    strchr(in->reply_to, '@') == NULL)
			return ("no Reply-To address");
		snprintf(to, tolen, "%s", in->reply_to);
	} else if (strlen(faddr) < tolen)
		snprintf(to, tolen, "%s", faddr);
	else
		return ("no From address");
	snprintf(name, namelen, "%s", fname);
	return (NULL);
}
