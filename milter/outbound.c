/* outbound.c - mail the registered addresses and agents send.
 *
 * A message is outbound when its envelope sender is a registered address
 * that may send (enabled, direction outbound or both) or an agent's
 * workplace address, and its client is trusted (outbound.* in
 * mailacd.conf): from a trusted network, SMTP-AUTH authenticated, or
 * through a trusted MTA service.  This module decides everything about
 * it: which address it leaves as, the identity rule, the interaction it
 * answers, whether its domain may send now, and the ordered edits the
 * glue applies, the DKIM signature (sign.c) last, over the headers as
 * they leave (our X-MailACD-* headers removed) and the whole body.  The
 * same sender from an untrusted client gets nothing: no signature, no
 * change.  Redis is reached only through the caller's struct out_lookup;
 * nothing here logs: lines for the log are left as notes. */
#include <sys/socket.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "addr.h"
#include "dress.h"
#include "hdr.h"
#include "hours.h"
#include "keys.h"
#include "outbound.h"
#include "rds.h"
#include "rnd.h"
#include "token.h"

/* out_note - leave a line for the daemon's log */
static void out_note(struct out_msg *m, enum out_level level,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
out_note(struct out_msg *m, enum out_level level, const char *fmt, ...)
{
	va_list	ap;

	if (m->nnotes == OUT_NOTES)
		return;
	m->notes[m->nnotes].level = level;
	va_start(ap, fmt);
	vsnprintf(m->notes[m->nnotes].text, sizeof(m->notes[0].text), fmt,
	    ap);
	va_end(ap);
	m->nnotes++;
}

/* out_notes_clear - forget the notes that were logged */
void
out_notes_clear(struct out_msg *m)
{
	m->nnotes = 0;
}

/* out_sender - the registered address SENDER is, if it may send */
const struct cfg_address *
out_sender(const struct cfg *cfg, const char *sender)
{
	const struct cfg_address *ca = NULL;
	struct addr a;
	char	key[ADDR_MAX + 2], err[128];

	if (sender == NULL || addr_parse(sender, &a, err, sizeof(err)) != 0)
		return (NULL);
	ca = cfg_match_address(cfg, a.local, a.domain, key, sizeof(key));
	if (ca == NULL || !ca->enabled || !(ca->direction & CFG_DIR_OUTBOUND))
		return (NULL);
	return (ca);
}

/* out_trusted - why the client may send as our addresses, or NULL */
const char *
out_trusted(const struct cfg *cfg, const struct out_client *c, char *buf,
    size_t len)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };
	size_t	i;

	if (c->family == AF_INET6 && memcmp(c->addr, mapped, 12) == 0 &&
	    cfg_net_match(cfg, AF_INET, c->addr + 12))
		return ("network");
	if (c->family != 0 && cfg_net_match(cfg, c->family, c->addr))
		return ("network");
	if (cfg->outbound.trust_authenticated && c->auth != NULL &&
	    *c->auth != '\0')
		for (i = 0; i < cfg->outbound.ntrusted_logins; i++)
			if (strcasecmp(c->auth,
			    cfg->outbound.trusted_logins[i]) == 0)
				return ("authenticated");
	for (i = 0; c->daemon != NULL && i < cfg->outbound.ntrusted_daemons;
	    i++)
		if (strcmp(c->daemon, cfg->outbound.trusted_daemons[i]) == 0) {
			snprintf(buf, len, "daemon %s", c->daemon);
			return (buf);
		}
	return (NULL);
}

/* out_serves - does agent G serve the queue of channel address A? */
static int
out_serves(const struct cfg_agent *g, const struct cfg_address *a)
{
	size_t	i;

	if (g->org != a->org)
		return (0);
	/* a channel with a flow: the agents of any queue it routes to */
	for (i = 0; i < g->nqueues; i++)
		if (cfg_route_reaches(&a->route, g->queues[i]))
			return (1);
	return (0);
}

/* out_trusted_as - why client C may send as channel A or agent G: the
 * rules of out_trusted, or an SMTP AUTH login that is an agent's, for
 * that agent itself and the channels of its queues */
const char *
out_trusted_as(const struct cfg *cfg, const struct out_client *c,
    const struct cfg_address *a, const struct cfg_agent *g, char *buf,
    size_t len)
{
	const struct cfg_agent *who;
	const char *why;

	if ((why = out_trusted(cfg, c, buf, len)) != NULL)
		return (why);
	if (!cfg->outbound.trust_authenticated || c->auth == NULL ||
	    *c->auth == '\0' || (who = cfg_find_login(cfg, c->auth)) == NULL)
		return (NULL);
	if ((g != NULL && g == who) || (a != NULL && out_serves(who, a)))
		return ("authenticated agent");
	return (NULL);
}

/* out_signer - the DKIM signer for M's address, when its domain has a
 * key; a signer that cannot start marks M failed (tempfail at the end) */
static void
out_signer(struct out_msg *m)
{
	sign_free(m->sign);
	m->sign = NULL;
	/* its own server signs: ours would only sit beside it */
	if (m->from->smtp != NULL && !m->from->smtp->dkim)
		return;
	if (sign_new(m->from, m->jobid, &m->sign, m->err,
	    sizeof(m->err)) != 0)
		m->failed = 1;
}

/* out_agent - the agent whose workplace address SENDER is: one lookup in
 * the configuration's index (this runs for every message's sender) */
const struct cfg_agent *
out_agent(const struct cfg *cfg, const char *sender)
{
	char	buf[ADDR_MAX + 3];
	size_t	n;

	if (sender == NULL || (n = strlen(sender)) < 3 || n > ADDR_MAX + 2)
		return (NULL);
	if (sender[0] == '<' && sender[n - 1] == '>') {
		memcpy(buf, sender + 1, n - 2);
		buf[n - 2] = '\0';
	} else
		snprintf(buf, sizeof(buf), "%s", sender);
	return (cfg_find_agent(cfg, buf));
}

/* out_envfrom - keep envelope sender SENDER, brackets removed */
static void
out_envfrom(struct out_msg *m, const char *sender)
{
	size_t	n = sender != NULL ? strlen(sender) : 0;

	if (n >= 2 && sender[0] == '<' && sender[n - 1] == '>')
		snprintf(m->envfrom, sizeof(m->envfrom), "%.*s", (int)(n - 2),
		    sender + 1);
	else
		snprintf(m->envfrom, sizeof(m->envfrom), "%s",
		    sender != NULL ? sender : "");
}

/* out_start - outbound, ours from an untrusted client, or neither */
int
out_start(struct out_msg *m, const struct cfg *cfg,
    const struct out_client *c, const char *sender, const char *jobid)
{
	const struct cfg_address *a;
	const struct cfg_agent *g = NULL;
	char	buf[128];
	const char *why;

	out_reset(m);
	if ((a = out_sender(cfg, sender)) == NULL &&
	    (g = out_agent(cfg, sender)) == NULL)
		return (0);
	if ((why = out_trusted_as(cfg, c, a, g, buf, sizeof(buf))) == NULL) {
		out_note(m, OUT_WARN, "sender %s is %s but the client is not "
		    "trusted (outbound.*): not signed, not changed",
		    sender != NULL ? sender : "?",
		    a != NULL ? a->address : g->address);
		return (OUT_UNTRUSTED);
	}
	m->active = 1;
	m->from = a;
	m->agent = g;
	m->client = c;
	/* WHY may be BUF: keep only the static strings, name the daemon
	 * again when logging */
	m->why = strncmp(why, "daemon ", 7) == 0 ? "daemon" : why;
	snprintf(m->jobid, sizeof(m->jobid), "%s", jobid);
	out_envfrom(m, sender);
	if (a != NULL) {
		out_signer(m);
		if (m->failed)
			out_note(m, OUT_ERR, "%s", m->err);
	}
	return (1);
}

/* out_label - the sending address or agent */
const char *
out_label(const struct out_msg *m)
{
	if (m->from != NULL)
		return (m->from->address);
	if (m->agent != NULL)
		return (m->agent->address);
	return ("?");
}

/* out_fail - the signer refused: keep its first complaint ERR in M->err,
 * the message cannot be signed (a 4.3.0 at the end); 0 */
static int
out_fail(struct out_msg *m, const char *err)
{
	if (!m->failed)
		snprintf(m->err, sizeof(m->err), "%s", err);
	m->failed = 1;
	return (0);
}

/* out_header - keep one header until the end of headers; count ours */
int
out_header(struct out_msg *m, const char *name, const char *value)
{
	struct out_hdr *h;
	size_t	cap;

	/* the signer sees the headers as they leave: ours are removed */
	if (hdr_is_ours(name)) {
		if (strcasecmp(name, KEYS_H_DELIVERY) == 0)
			m->router = 1;	/* honoured in out_record only */
		return (edit_name_count(&m->ours, name));
	}
	if (m->nhdrs == m->hdrcap) {
		cap = m->hdrcap ? m->hdrcap * 2 : 16;
		if ((h = realloc(m->hdrs, cap * sizeof(*h))) == NULL)
			return (-1);
		m->hdrs = h;
		m->hdrcap = cap;
	}
	h = &m->hdrs[m->nhdrs];
	if ((h->name = strdup(name)) == NULL)
		return (-1);
	if ((h->value = strdup(value)) == NULL) {
		free(h->name);
		return (-1);
	}
	m->nhdrs++;
	return (0);
}

/* out_sign_header - "Name: value" to the signer, if it still signs;
 * 0, or -1 when memory is short */
static int
out_sign_header(struct out_msg *m, const char *name, const char *value)
{
	char	err[160];
	int	rc;

	if (m->sign == NULL || m->failed)
		return (0);
	if ((rc = sign_header(m->sign, name, value, err, sizeof(err))) ==
	    SIGN_NOMEM)
		return (-1);
	return (rc == 0 ? 0 : out_fail(m, err));
}

/* out_same - do addresses X and Y name the same mailbox under CFG's
 * matching rules? */
static int
out_same(const struct cfg *cfg, const char *x, const char *y)
{
	struct addr ax, ay;
	char	kx[ADDR_MAX + 2], ky[ADDR_MAX + 2], err[128];

	return (addr_parse(x, &ax, err, sizeof(err)) == 0 &&
	    addr_parse(y, &ay, err, sizeof(err)) == 0 &&
	    addr_key(ax.local, ax.domain, cfg->local_part_case_sensitive, NULL,
	    0, kx, sizeof(kx)) == 0 &&
	    addr_key(ay.local, ay.domain, cfg->local_part_case_sensitive, NULL,
	    0, ky, sizeof(ky)) == 0 && strcmp(kx, ky) == 0);
}

/* out_refuse - the 5.7.1 text for a From that is not A's */
static int
out_refuse(struct out_msg *m, const char *from, int nfrom)
{
	const struct cfg_address *a = m->from;
	char	mbox[ADDR_MAX + 1], text[512];

	if (from == NULL)
		snprintf(text, sizeof(text), "mailacd: mail from %s needs a "
		    "From header naming %s", a->address, a->address);
	else if (nfrom > 1)
		snprintf(text, sizeof(text), "mailacd: mail from %s must have "
		    "one From header, not %d", a->address, nfrom);
	else
		snprintf(text, sizeof(text), "mailacd: the From header must "
		    "be %s (the sending address), not %.200s", a->address,
		    hdr_mailbox(from, mbox, sizeof(mbox)) == 0 ? mbox :
		    "an address list");
	return ((m->refuse = strdup(text)) == NULL ? -1 : 0);
}

/* out_may_send_as - may agent G send as channel address CA? */
static int
out_may_send_as(const struct cfg_agent *g, const struct cfg_address *ca)
{
	size_t	i;

	if (ca == NULL || !ca->enabled || !(ca->direction & CFG_DIR_OUTBOUND) ||
	    ca->org != g->org)
		return (0);
	for (i = 0; i < g->nqueues; i++)
		if (cfg_route_reaches(&ca->route, g->queues[i]))
			return (1);
	return (0);
}

/* out_channel - the next channel address the agent may send as: the
 * enabled outbound addresses of its organisation whose queue it serves */
static const struct cfg_address *
out_channel(const struct out_msg *m, const struct cfg *cfg, size_t *it)
{
	const struct cfg_org *o;
	size_t	i, j, n = 0;

	(void)cfg;
	if (m->agent == NULL || (o = m->agent->org) == NULL)
		return (NULL);
	for (i = 0; i < o->ndomains; i++)
		for (j = 0; j < o->domains[i].naddresses; j++)
			if (n++ == *it) {
				(*it)++;
				if (out_may_send_as(m->agent,
				    &o->domains[i].addresses[j]))
					return (&o->domains[i].addresses[j]);
			}
	return (NULL);
}

/* out_adopt - the agent's own mail leaves as channel address CA */
static int
out_adopt(struct out_msg *m, const struct cfg_address *ca)
{
	m->own = 0;
	m->adopted = 1;
	m->from = ca;
	out_signer(m);
	return (0);
}

/* out_resolve - an agent's message: the From header names the agent's
 * own address (M->own: passed untouched) or a channel address of one of
 * the agent's queues (M->from, and its signer), else M->refuse; 0 or -1 */
static int
out_resolve(struct out_msg *m, const struct cfg *cfg)
{
	const struct cfg_agent *g = m->agent;
	const struct cfg_address *ca;
	const char *from = NULL;
	char	mbox[ADDR_MAX + 1], key[ADDR_MAX + 2], text[512], err[128];
	struct addr pa;
	size_t	i;
	int	nfrom = 0;

	if (g == NULL || m->from != NULL)
		return (0);
	for (i = 0; i < m->nhdrs; i++)
		if (strcasecmp(m->hdrs[i].name, "From") == 0 && nfrom++ == 0)
			from = m->hdrs[i].value;
	if (from != NULL && nfrom == 1 &&
	    hdr_mailbox(from, mbox, sizeof(mbox)) == 0) {
		if (strcasecmp(mbox, g->address) == 0) {
			m->own = 1;
			return (0);
		}
		if (addr_parse(mbox, &pa, err, sizeof(err)) == 0 &&
		    (ca = cfg_match_address(cfg, pa.local, pa.domain, key,
		    sizeof(key))) != NULL && out_may_send_as(g, ca)) {
			m->from = ca;
			out_signer(m);
			return (0);
		}
	}
	snprintf(text, sizeof(text), "mailacd: agent %s may send as %s or as "
	    "an address of the queues %s serves, not %.200s", g->id,
	    g->address, g->id, from == NULL ? "without a From header" :
	    hdr_mailbox(from, mbox, sizeof(mbox)) == 0 ? mbox : "that From");
	return ((m->refuse = strdup(text)) == NULL ? -1 : 0);
}

/* out_token_key - the lookup key inbound matching yields for ADDRESS
 * with a tag (its registered address's key, else the untagged key a
 * catch-all records), into KEY; 0, or -1 when it is no address */
static int
out_token_key(const struct cfg *cfg, const char *address, char *key,
    size_t keylen)
{
	const struct cfg_address *ca;
	struct addr a;
	char	err[128];

	if (addr_canon(address, &a, err, sizeof(err)) != 0)
		return (-1);
	if ((ca = cfg_match_address(cfg, a.local, a.domain, key,
	    keylen)) != NULL)
		snprintf(key, keylen, "%s", ca->key);
	return (key[0] == '\0' ? -1 : 0);
}

/* out_tokenize - an answer to an interaction gets a Reply-To that names
 * it: local+TOKEN@domain, the token bound to that address (when a token
 * secret is configured and the local part stays within 64 octets); 0 or
 * -1 (memory) */
static int
out_tokenize(struct out_msg *m, const struct cfg *cfg)
{
	const char *at, *seps = cfg->subaddress_separators;
	char	tok[TOKEN_LEN + 1], key[ADDR_MAX + 2];
	size_t	len;
	long	days = cfg->milter.thread_ttl / 86400;

	if (m->reply.id[0] == '\0' || cfg->outbound.token_secret == NULL ||
	    seps == NULL || *seps == '\0' ||
	    (at = strrchr(m->reply_to, '@')) == NULL ||
	    (size_t)(at - m->reply_to) + 1 + TOKEN_LEN > ADDR_LOCAL_MAX)
		return (0);
	key[0] = '\0';
	if (out_token_key(cfg, m->reply_to, key, sizeof(key)) != 0 ||
	    token_make(cfg->outbound.token_secret, m->from->org->id, key,
	    m->reply.id, days > 0 ? days : 1, tok) != 0)
		return (0);
	len = strlen(m->reply_to) + TOKEN_LEN + 2;
	if ((m->reply_to_own = malloc(len)) == NULL)
		return (-1);
	snprintf(m->reply_to_own, len, "%.*s%c%s%s",
	    (int)(at - m->reply_to), m->reply_to, seps[0], tok, at);
	m->reply_to = m->reply_to_own;
	return (0);
}

static int out_sign_hdrs(struct out_msg *);

/* out_decide - decide the header changes, then sign the headers as they
 * will leave (at the end of the message when it may be dressed) */
static int
out_decide(struct out_msg *m, const struct cfg *cfg)
{
	static const char *const marks[] = { NULL, "auto-generated",
	    "auto-replied" };
	const struct cfg_address *a = m->from;
	const char *from = NULL;
	char	mbox[ADDR_MAX + 1], rnd[33];
	size_t	i, len;
	int	nfrom = 0, ours, msgid = 0, autosub = 0;

	for (i = 0; i < m->nhdrs; i++) {
		if (strcasecmp(m->hdrs[i].name, "From") == 0 && nfrom++ == 0)
			from = m->hdrs[i].value;
		else if (strcasecmp(m->hdrs[i].name, "Reply-To") == 0)
			m->nreply_to++;
		else if (strcasecmp(m->hdrs[i].name, "Message-ID") == 0)
			msgid = 1;
		else if (strcasecmp(m->hdrs[i].name, "Auto-Submitted") == 0)
			autosub = 1;
	}
	m->nfrom = nfrom;
	ours = (from != NULL && nfrom == 1 &&
	    hdr_mailbox(from, mbox, sizeof(mbox)) == 0 &&
	    out_same(cfg, mbox, a->address));
	if (!ours && !a->rewrite_from && !m->adopted)
		return (out_refuse(m, from, nfrom));
	if (!ours || a->display_name[0] != '\0') {
		if ((m->new_from = hdr_format_mailbox(a->display_name,
		    a->address)) == NULL)
			return (-1);
		m->add_from = (from == NULL);
	}
	if (a->reply_to[0] != '\0')
		m->reply_to = a->reply_to;
	else
		m->nreply_to = 0;
	if (m->reply_to != NULL && out_tokenize(m, cfg) != 0)
		return (-1);
	/* RFC 5322 3.6.4: every message should have one; threading needs it */
	if (!msgid) {
		len = strlen(a->domain->name) + 40;
		if (rnd_hex(rnd, 16) != 0 || (m->new_msgid = malloc(len)) == NULL)
			return (-1);
		snprintf(m->new_msgid, len, "<%s@%s>", rnd, a->domain->name);
	}
	/* RFC 3834 5: automatic mail says so, unless the sender already did */
	if (!autosub && a->auto_submitted != CFG_AUTO_NO)
		m->auto_submitted = marks[a->auto_submitted];
	/* what may be added to the body changes it and its MIME headers:
	 * signing waits for the end of the message.  A resent copy (the
	 * router's forward mode) is someone else's message: never dressed */
	m->dress = dress_wanted(a, m->agent) &&
	    out_value(m, "Resent-Date") == NULL &&
	    out_value(m, "Resent-From") == NULL;
	return (m->dress ? 0 : out_sign_hdrs(m));
}

/* out_sign_hdrs - the headers as they will leave to the signer: ours
 * removed, From and Reply-To as decided, the MIME headers as dressed,
 * added headers last (where the MTA appends them); then the end of the
 * headers */
static int
out_sign_hdrs(struct out_msg *m)
{
	const struct dress_out *d = m->dressed.body != NULL ? &m->dressed :
	    NULL;
	const char *name, *value;
	char	err[160];
	size_t	i;
	int	from_done = 0, ct = 0, cte = 0, mv = 0;

	for (i = 0; i < m->nhdrs && m->sign != NULL && !m->failed; i++) {
		name = m->hdrs[i].name;
		value = m->hdrs[i].value;
		if (hdr_is_ours(name) || (m->reply_to != NULL &&
		    strcasecmp(name, "Reply-To") == 0))
			continue;
		if (strcasecmp(name, "From") == 0 && m->new_from != NULL) {
			if (from_done++ > 0)
				continue;	/* rewrite_from drops the rest */
			value = m->new_from;
		}
		if (strcasecmp(name, "MIME-Version") == 0)
			mv++;
		if (d != NULL && strcasecmp(name, "Content-Type") == 0 &&
		    ct++ == 0)
			value = d->ctype;
		if (d != NULL && strcasecmp(name, "Content-Transfer-Encoding") ==
		    0 && cte++ == 0) {
			if (d->cte == NULL)
				continue;
			value = d->cte;
		}
		if (out_sign_header(m, name, value) != 0 && !m->failed)
			return (-1);
	}
	if (m->add_from && out_sign_header(m, "From", m->new_from) != 0)
		return (-1);
	if (m->reply_to != NULL &&
	    out_sign_header(m, "Reply-To", m->reply_to) != 0)
		return (-1);
	if (m->reply.irt != NULL &&
	    out_sign_header(m, "In-Reply-To", m->reply.irt) != 0)
		return (-1);
	if (m->reply.refs != NULL &&
	    out_sign_header(m, "References", m->reply.refs) != 0)
		return (-1);
	if (m->new_msgid != NULL &&
	    out_sign_header(m, "Message-ID", m->new_msgid) != 0)
		return (-1);
	if (m->auto_submitted != NULL && out_sign_header(m, "Auto-Submitted",
	    m->auto_submitted) != 0)
		return (-1);
	/* the MIME headers a dressed body needs and did not have */
	if (d != NULL && ((!mv && out_sign_header(m, "MIME-Version",
	    "1.0") != 0) || (!ct && out_sign_header(m, "Content-Type",
	    d->ctype) != 0) || (!cte && d->cte != NULL &&
	    out_sign_header(m, "Content-Transfer-Encoding", d->cte) != 0)))
		return (-1);
	if (m->sign == NULL || m->failed)
		return (0);
	if (sign_eoh(m->sign, err, sizeof(err)) != 0)
		out_fail(m, err);
	return (0);
}

/* out_adopt_find - an agent who writes as themselves to answer a
 * customer of one of their queues: the answer goes out as that channel's
 * mail (From, Reply-To, signature, recorded on the interaction) so that
 * the customer's next message comes back through mailacd.  A Redis
 * failure marks M for a temporary failure. */
static void
out_adopt_find(struct out_msg *m, const struct cfg *cfg,
    const struct out_lookup *look)
{
	const struct cfg_address *ca;
	const char *irt, *refs;
	char	err[512];
	size_t	it = 0;

	irt = out_value(m, "In-Reply-To");
	refs = out_value(m, "References");
	if (irt == NULL && refs == NULL)
		return;
	while ((ca = out_channel(m, cfg, &it)) != NULL) {
		if (look->find(look->arg, ca, NULL, irt, refs, &m->reply, err,
		    sizeof(err)) != RDS_OK) {
			out_note(m, OUT_WARN, "redis %s: cannot look up the "
			    "interaction agent %s answers: %s; tempfail",
			    look->where, m->agent->id, err);
			m->tempfail = 1;
			return;
		}
		if (m->reply.id[0] != '\0') {
			out_adopt(m, ca);
			return;
		}
	}
}

/* out_gate - may the sending address's domain send now (verified, not
 * held, within its rate)?  0, or -1 (memory); a Redis failure marks M
 * for a temporary failure */
static int
out_gate(struct out_msg *m, const struct cfg *cfg,
    const struct out_lookup *look, long long now_ms)
{
	const struct cfg_domain *d = m->from->domain;
	char	hold[512], err[512];

	if (look->gate(look->arg, cfg, d, now_ms, hold, sizeof(hold), err,
	    sizeof(err)) != RDS_OK) {
		out_note(m, OUT_WARN, "redis %s: cannot check domain %s before "
		    "sending: %s; tempfail", look->where, d->name, err);
		m->tempfail = 1;
		return (0);
	}
	if (hold[0] != '\0' && (m->hold = strdup(hold)) == NULL)
		return (-1);
	return (0);
}

/* out_eoh - the end of headers: which address, which interaction, may the
 * domain send, and the header changes (a refused message, an agent's own
 * address need nothing more) */
int
out_eoh(struct out_msg *m, const struct cfg *cfg,
    const struct out_lookup *look, long long now_ms)
{
	char	err[512];

	if (!m->active)
		return (0);
	if (out_resolve(m, cfg) != 0)
		return (-1);
	if (m->own)
		out_adopt_find(m, cfg, look);
	if (m->from != NULL && m->refuse == NULL && !m->adopted &&
	    look->find(look->arg, m->from, out_value(m, HDR_INTERACTION),
	    out_value(m, "In-Reply-To"), out_value(m, "References"),
	    &m->reply, err, sizeof(err)) != RDS_OK) {
		out_note(m, OUT_WARN, "redis %s: cannot look up the interaction "
		    "answered: %s; tempfail", look->where, err);
		m->tempfail = 1;
	}
	if (m->from != NULL && m->refuse == NULL && !m->tempfail &&
	    out_gate(m, cfg, look, now_ms) != 0)
		return (-1);
	if (m->refuse != NULL || m->own || m->from == NULL)
		return (0);
	return (out_decide(m, cfg));
}

/* out_value - the first header NAME */
const char *
out_value(const struct out_msg *m, const char *name)
{
	size_t	i;

	for (i = 0; i < m->nhdrs; i++)
		if (strcasecmp(m->hdrs[i].name, name) == 0)
			return (m->hdrs[i].value);
	return (NULL);
}

/* out_msgid - the Message-ID the message leaves with */
const char *
out_msgid(const struct out_msg *m)
{
	return (m->new_msgid != NULL ? m->new_msgid :
	    out_value(m, "Message-ID"));
}

/* out_bounce - the envelope sender on the bounce domain */
const char *
out_bounce(const struct out_msg *m, char *buf, size_t len)
{
	const char *at;

	if (m->from == NULL || m->from->domain->bounce_domain == NULL ||
	    (at = strrchr(m->from->address, '@')) == NULL)
		return (NULL);
	snprintf(buf, len, "<%.*s@%s>", (int)(at - m->from->address),
	    m->from->address, m->from->domain->bounce_domain);
	return (buf);
}

/* out_undress - give up dressing M: the headers, and the body kept so
 * far, to the signer; 0 or -1 */
static int
out_undress(struct out_msg *m)
{
	char	err[160];

	m->dress = 0;
	if (out_sign_hdrs(m) != 0)
		return (-1);
	if (m->sign != NULL && !m->failed && m->bodylen > 0 &&
	    sign_body(m->sign, (unsigned char *)m->body, m->bodylen, err,
	    sizeof(err)) != 0)
		out_fail(m, err);
	free(m->body);
	m->body = NULL;
	m->bodylen = m->bodycap = 0;
	return (0);
}

/* out_body - a piece of the body to the signer, or kept to be dressed */
int
out_body(struct out_msg *m, const unsigned char *data, size_t len)
{
	char	err[160], *nb;
	size_t	cap;

	if (m->dress && m->bodylen + len > DRESS_MAX) {
		out_note(m, OUT_INFO, "outbound from %s: larger than %d octets: "
		    "not dressed", out_label(m), DRESS_MAX);
		if (out_undress(m) != 0)
			return (-1);
	}
	if (m->dress && len > 0) {
		if (m->bodylen + len + 1 > m->bodycap) {
			cap = m->bodycap ? m->bodycap : 65536;
			while (cap < m->bodylen + len + 1)
				cap *= 2;
			if ((nb = realloc(m->body, cap)) == NULL)
				return (-1);
			m->body = nb;
			m->bodycap = cap;
		}
		memcpy(m->body + m->bodylen, data, len);
		m->bodylen += len;
		return (0);
	}
	if (m->sign == NULL || m->failed || len == 0)
		return (0);
	if (sign_body(m->sign, data, len, err, sizeof(err)) != 0)
		out_fail(m, err);
	return (0);
}

/* out_signature - the DKIM-Signature value (caller frees), NULL with
 * M->err on failure; *UNSIGNED is set when the domain has no key (then
 * NULL is not a failure) */
static char *
out_signature(struct out_msg *m, int *unsigned_)
{
	char	err[160], *sig;

	*unsigned_ = (m->sign == NULL && !m->failed && m->err[0] == '\0');
	if (m->sign == NULL || m->failed) {
		if (m->err[0] == '\0' && !*unsigned_)
			snprintf(m->err, sizeof(m->err), "no DKIM signer");
		return (NULL);
	}
	if ((sig = sign_finish(m->sign, err, sizeof(err))) == NULL &&
	    err[0] != '\0')
		out_fail(m, err);
	return (sig);
}

/* out_strip - every X-MailACD-* header that came with the message
 * removed, highest index first so that the remaining indexes stay valid;
 * 0 or -1 */
static int
out_strip(const struct out_msg *m, struct edits *e)
{
	return (edit_remove_all(e, &m->ours, "remove X-MailACD headers"));
}

/* out_dress_edits - the dressed body and the MIME headers it needs */
static int
out_dress_edits(const struct out_msg *m, struct edits *e)
{
	const struct dress_out *d = &m->dressed;
	const char *ct = out_value(m, "Content-Type");
	const char *cte = out_value(m, "Content-Transfer-Encoding");

	if (out_value(m, "MIME-Version") == NULL && edit_add(e, EDIT_HDR_ADD,
	    "MIME-Version", 0, "1.0", "add MIME-Version") != 0)
		return (-1);
	if (edit_add(e, ct != NULL ? EDIT_HDR_CHANGE : EDIT_HDR_ADD,
	    "Content-Type", 1, d->ctype, "change Content-Type") != 0)
		return (-1);
	if ((cte != NULL || d->cte != NULL) && edit_add(e, cte != NULL ?
	    EDIT_HDR_CHANGE : EDIT_HDR_ADD, "Content-Transfer-Encoding", 1,
	    d->cte, "change Content-Transfer-Encoding") != 0)
		return (-1);
	return (edit_add_body(e, d->body, d->bodylen, "replace the body"));
}

/* out_edits - the changes out_eoh decided, in the order they are made:
 * ours removed, From, Reply-To, threading, Message-ID, Auto-Submitted,
 * the copy recipient, the envelope sender; 0 or -1 */
static int
out_edits(const struct out_msg *m, struct edits *e)
{
	const struct cfg_address *a = m->from;
	char	buf[2 * CFG_ADDR_MAX + 8];
	const char *bounce;
	int	i;

	if (out_strip(m, e) != 0)
		return (-1);
	if (m->new_from != NULL && !m->add_from) {
		if (edit_add(e, EDIT_HDR_CHANGE, "From", 1, m->new_from,
		    "change From") != 0)
			return (-1);
		for (i = m->nfrom; i >= 2; i--)
			if (edit_add(e, EDIT_HDR_CHANGE, "From", i, NULL,
			    "remove a second From") != 0)
				return (-1);
	}
	if (m->add_from && edit_add(e, EDIT_HDR_ADD, "From", 0, m->new_from,
	    "add From") != 0)
		return (-1);
	for (i = m->nreply_to; i >= 1; i--)
		if (edit_add(e, EDIT_HDR_CHANGE, "Reply-To", i, NULL,
		    "remove Reply-To") != 0)
			return (-1);
	if ((m->reply_to != NULL && edit_add(e, EDIT_HDR_ADD, "Reply-To", 0,
	    m->reply_to, "add Reply-To") != 0) ||
	    (m->reply.irt != NULL && edit_add(e, EDIT_HDR_ADD, "In-Reply-To",
	    0, m->reply.irt, "add In-Reply-To") != 0) ||
	    (m->reply.refs != NULL && edit_add(e, EDIT_HDR_ADD, "References",
	    0, m->reply.refs, "add References") != 0) ||
	    (m->new_msgid != NULL && edit_add(e, EDIT_HDR_ADD, "Message-ID", 0,
	    m->new_msgid, "add Message-ID") != 0) ||
	    (m->auto_submitted != NULL && edit_add(e, EDIT_HDR_ADD,
	    "Auto-Submitted", 0, m->auto_submitted, "add Auto-Submitted") != 0))
		return (-1);
	if (m->dressed.body != NULL && out_dress_edits(m, e) != 0)
		return (-1);
	if (a->copy_to[0] != '\0') {
		snprintf(buf, sizeof(buf), "<%s>", a->copy_to);
		if (edit_add(e, EDIT_RCPT_ADD, NULL, 0, buf,
		    "add the copy recipient") != 0)
			return (-1);
	}
	if ((bounce = out_bounce(m, buf, sizeof(buf))) != NULL &&
	    edit_add(e, EDIT_FROM_CHANGE, NULL, 0, bounce,
	    "change the envelope sender") != 0)
		return (-1);
	/* an address with its own server: Postfix picks the server and the
	 * account by the envelope sender, so an agent's mail sent as the
	 * channel must carry the channel's */
	if (bounce == NULL && a->smtp != NULL &&
	    strcasecmp(m->envfrom, a->address) != 0) {
		snprintf(buf, sizeof(buf), "<%s>", a->address);
		if (edit_add(e, EDIT_FROM_CHANGE, NULL, 0, buf,
		    "change the envelope sender to the account's") != 0)
			return (-1);
	}
	return (0);
}

/* out_record - note the reply on the interaction it answers; 0, or -1
 * when Redis cannot take it (a note says why) */
static int
out_record(struct out_msg *m, const struct cfg *cfg,
    const struct out_lookup *look)
{
	const struct cfg_address *a = m->from;
	const struct out_client *c = m->client;
	char	err[512], *mid = NULL;
	const char *by = c != NULL && c->auth != NULL && *c->auth ? c->auth :
	    m->agent != NULL ? m->agent->id : a->address;

	if (m->reply.id[0] == '\0')
		return (0);
	/* the router's own mail, from a client trusted as any channel (an
	 * agent's login cannot make its reply unrecorded) */
	if (m->router && m->agent == NULL && m->why != NULL &&
	    strcmp(m->why, "authenticated agent") != 0) {
		out_note(m, OUT_INFO, "the router's own mail for interaction "
		    "%s: recorded by the router", m->reply.id);
		return (0);
	}
	if (out_msgid(m) != NULL)
		mid = hdr_unfold(out_msgid(m), HDR_ID_MAX, 0);
	if (look->record(look->arg, a, &m->reply, mid, by,
	    cfg->milter.thread_ttl, err, sizeof(err)) != RDS_OK) {
		free(mid);
		out_note(m, OUT_WARN, "redis %s: cannot record the reply to "
		    "interaction %s: %s; tempfail", look->where, m->reply.id,
		    err);
		return (-1);
	}
	out_note(m, OUT_INFO, "reply to interaction %s from %s by %s "
	    "message-id=%s%s", m->reply.id, a->address, by, mid ? mid : "-",
	    m->reply.irt ? " (threaded)" : "");
	free(mid);
	return (0);
}

/* out_dress - dress M's kept body as the interaction it answers says
 * (the card on its first reply), then give the headers and body as they
 * leave to the signer; OUT_SEND, OUT_REFUSE (an unknown "#response"),
 * or -1 (memory) */
static int
out_dress(struct out_msg *m)
{
	const struct cfg_address *a = m->from;
	struct dress_in in;
	const struct cfg_queue *q;
	char	why[512], ref[16], name[256], when[128], err[160], *subj = NULL;
	char	opens[128];
	time_t	t;
	char	*msg, *w;
	const char *p;
	size_t	i, n, cap;
	int	rc;

	/* the MIME headers, a blank line, the body */
	cap = m->bodylen + 8;
	for (i = 0; i < m->nhdrs; i++)
		if (strncasecmp(m->hdrs[i].name, "Content-", 8) == 0)
			cap += strlen(m->hdrs[i].name) + 2 * strlen(
			    m->hdrs[i].value) + 4;
	if ((msg = malloc(cap)) == NULL)
		return (-1);
	w = msg;
	for (i = 0; i < m->nhdrs; i++) {
		if (strncasecmp(m->hdrs[i].name, "Content-", 8) != 0)
			continue;
		w += sprintf(w, "%s:", m->hdrs[i].name);
		if (m->hdrs[i].value[0] != ' ')
			*w++ = ' ';
		for (p = m->hdrs[i].value; *p != '\0'; p++) {
			if (*p == '\n' && (p == m->hdrs[i].value || p[-1] != '\r'))
				*w++ = '\r';
			*w++ = *p;
		}
		*w++ = '\r';
		*w++ = '\n';
	}
	*w++ = '\r';
	*w++ = '\n';
	if (m->bodylen > 0)
		memcpy(w, m->body, m->bodylen);
	n = (size_t)(w - msg) + m->bodylen;

	memset(&in, 0, sizeof(in));
	in.channel = a;
	in.agent = m->agent;
	in.responses = m->agent != NULL;
	in.now = time(NULL);
	if (m->reply.id[0] != '\0') {
		/* the introduction: the interaction's first reply */
		in.card = (m->reply.replies == 0);
		in.vars.v[TV_INTERACTION_ID] = m->reply.id;
		keys_ref(m->reply.id, ref);
		in.vars.v[TV_REFERENCE] = ref;
		in.vars.v[TV_CUSTOMER_ADDRESS] = m->reply.customer;
		if (m->reply.from != NULL && dress_from_name(m->reply.from,
		    name, sizeof(name)) == 0)
			in.vars.v[TV_CUSTOMER_NAME] = name;
		if (m->reply.subject != NULL &&
		    (subj = hdr_decode_text(m->reply.subject, 512)) != NULL)
			in.vars.v[TV_SUBJECT] = subj;
		in.vars.v[TV_QUEUE] = m->reply.queue;
		if (m->reply.queue != NULL &&
		    (q = cfg_find_queue(a->org, m->reply.queue)) != NULL &&
		    q->sched != NULL &&
		    (t = hours_next_open(q->sched, in.now)) != 0) {
			tmpl_date(a->org, t, opens, sizeof(opens));
			in.vars.v[TV_OPENS] = opens;
		}
		if (m->reply.arrived_ms > 0) {
			tmpl_date(a->org, (time_t)(m->reply.arrived_ms / 1000),
			    when, sizeof(when));
			in.vars.v[TV_INTERACTION_DATE] = when;
		}
	}
	rc = dress_message(&in, msg, n, &m->dressed, why, sizeof(why));
	free(msg);
	free(subj);
	switch (rc) {
	case DRESS_UNKNOWN:
		out_note(m, OUT_WARN, "outbound from %s refused: %s",
		    out_label(m), why);
		if ((m->refuse = malloc(strlen(why) + 24)) == NULL)
			return (-1);
		sprintf(m->refuse, "%s; nothing was sent", why);
		return (OUT_REFUSE);
	case DRESS_CHANGED:
		out_note(m, OUT_INFO, "outbound from %s %s", out_label(m), why);
		break;
	case DRESS_SEALED:
		out_note(m, OUT_INFO, "outbound from %s not dressed: %s",
		    out_label(m), why);
		break;
	case DRESS_ERROR:
		out_note(m, OUT_WARN, "outbound from %s not dressed: %s",
		    out_label(m), why);
		break;
	default:
		break;
	}
	m->dress = 0;
	if (out_sign_hdrs(m) != 0)
		return (-1);
	p = m->dressed.body != NULL ? m->dressed.body : m->body;
	n = m->dressed.body != NULL ? m->dressed.bodylen : m->bodylen;
	if (m->sign != NULL && !m->failed && n > 0 && sign_body(m->sign,
	    (const unsigned char *)p, n, err, sizeof(err)) != 0)
		out_fail(m, err);
	return (OUT_SEND);
}

/* out_eom - refuse a From that is not ours, hold what the gate held;
 * else the reply recorded, the signature made and the edits listed */
int
out_eom(struct out_msg *m, const struct cfg *cfg,
    const struct out_lookup *look, struct edits *e)
{
	const struct cfg_address *a = m->from;
	const char *dn;
	char	*sig;
	int	nokey, rc;

	if (m->tempfail)
		return (OUT_TEMPFAIL);
	if (m->refuse != NULL) {
		out_note(m, OUT_WARN, "outbound from %s refused: %s",
		    out_label(m), m->refuse);
		return (OUT_REFUSE);
	}
	if (m->hold != NULL) {
		out_note(m, OUT_WARN, "outbound from %s held: %s; tempfail",
		    out_label(m), m->hold);
		return (OUT_HOLD);
	}
	if (m->own || a == NULL) {
		snprintf(m->done, sizeof(m->done), "agent %s writes as %s: no "
		    "channel rules, not signed", m->agent ? m->agent->id : "?",
		    out_label(m));
		return (out_strip(m, e) != 0 ? -1 : OUT_SEND);
	}
	if (m->dress && (rc = out_dress(m)) != OUT_SEND)
		return (rc);
	if (out_edits(m, e) != 0)
		return (-1);
	if (out_record(m, cfg, look) != 0)
		return (OUT_TEMPFAIL);
	dn = m->client != NULL && m->client->daemon != NULL &&
	    strcmp(m->why, "daemon") == 0 ? m->client->daemon : "";
	sig = out_signature(m, &nokey);
	if (sig == NULL && nokey && a->smtp != NULL && !a->smtp->dkim) {
		snprintf(m->done, sizeof(m->done), "outbound from %s (trusted: "
		    "%s%s%s): not signed, its server %s signs (smtp.dkim = "
		    "false)", a->address, m->why, *dn ? " " : "", dn,
		    a->smtp->server);
		return (OUT_SEND);
	}
	if (sig == NULL && nokey) {
		snprintf(m->done, sizeof(m->done), "outbound from %s (trusted: "
		    "%s%s%s): domain %s has no dkim key, not signed",
		    a->address, m->why, *dn ? " " : "", dn, a->domain->name);
		return (OUT_SEND);
	}
	if (sig == NULL) {
		out_note(m, OUT_ERR, "outbound from %s: %s; tempfail",
		    a->address, m->err);
		return (OUT_SIGNFAIL);
	}
	rc = edit_add(e, EDIT_HDR_INSERT, "DKIM-Signature", 0, sig,
	    "add DKIM-Signature");
	free(sig);
	if (rc != 0)
		return (-1);
	m->signed_ = 1;
	snprintf(m->done, sizeof(m->done), "outbound from %s (trusted: "
	    "%s%s%s) signed d=%s s=%s%s%s%s%s", a->address, m->why,
	    *dn ? " " : "", dn, a->domain->name, a->domain->dkim->selector,
	    m->reply_to ? " reply-to=" : "", m->reply_to ? m->reply_to : "",
	    a->copy_to[0] ? " copy=" : "", a->copy_to);
	return (OUT_SEND);
}

/* out_text - the refusal or the hold */
const char *
out_text(const struct out_msg *m)
{
	return (m->refuse != NULL ? m->refuse : m->hold != NULL ? m->hold :
	    "");
}

/* out_reset - forget the message */
void
out_reset(struct out_msg *m)
{
	size_t	i;

	sign_free(m->sign);
	for (i = 0; i < m->nhdrs; i++) {
		free(m->hdrs[i].name);
		free(m->hdrs[i].value);
	}
	free(m->hdrs);
	edit_names_reset(&m->ours);
	free(m->hold);
	free(m->refuse);
	free(m->new_from);
	free(m->new_msgid);
	free(m->reply_to_own);
	free(m->body);
	dress_out_free(&m->dressed);
	reply_reset(&m->reply);
	memset(m, 0, sizeof(*m));
}
