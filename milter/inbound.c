/* inbound.c - decide what one inbound message becomes: an interaction per
 * registered recipient, with the header facts the router needs.
 *
 * The milter callbacks feed this module; it never talks to the MTA or to
 * Redis.  Idempotency: a message the MTA retries must map to the same
 * interactions, so each one is keyed on SHA-256(message identity, registered
 * address); the message identity is its Message-ID, or, without one, a hash
 * of the envelope sender, the non-trace headers and the body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pthread.h>

#include <openssl/evp.h>

#include "addr.h"
#include "authres.h"
#include "clock.h"
#include "hdr.h"
#include "hours.h"
#include "inbound.h"
#include "keys.h"
#include "token.h"
#include "rnd.h"

/* SHA-256 fetched once: an implicit fetch per digest costs more than the
 * digest itself in OpenSSL 3 */
static EVP_MD *inb_sha256;
static pthread_once_t inb_once = PTHREAD_ONCE_INIT;

/* inb_fetch - look SHA-256 up in the default provider, once */
static void
inb_fetch(void)
{
	inb_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* inb_md - the SHA-256 implementation to use */
static const EVP_MD *
inb_md(void)
{
	pthread_once(&inb_once, inb_fetch);
	return (inb_sha256 != NULL ? inb_sha256 : EVP_sha256());
}

/* inb_reset - free per-message state */
void
inb_reset(struct inb_msg *m)
{
	size_t	i;

	for (i = 0; i < m->nrcpts; i++) {
		free(m->rcpts[i].address);
		free(m->rcpts[i].rcpt);
	}
	free(m->rcpts);
	edit_names_reset(&m->ours);
	free(m->sender);
	free(m->message_id);
	free(m->in_reply_to);
	free(m->references);
	free(m->subject);
	free(m->from);
	free(m->reply_to);
	for (i = 0; i < m->nfwd; i++)
		free(m->fwd[i].value);
	for (i = 0; i < m->nauthres; i++)
		free(m->authres[i]);
	free(m->copy);
	inflow_reset(&m->flow);
	free(m->text.msgid);
	free(m->text.irt);
	free(m->text.refs);
	free(m->text.subject);
	free(m->text.from);
	free(m->text.sender);
	if (m->hash != NULL)
		EVP_MD_CTX_free(m->hash);
	memset(m, 0, sizeof(*m));
	strcpy(m->qid, "NOQUEUE");
}

/* inb_sender - start a message with its envelope sender */
int
inb_sender(struct inb_msg *m, const char *sender)
{
	free(m->sender);
	if ((m->sender = strdup(sender ? sender : "")) == NULL)
		return (-1);
	m->arrived_ms = clock_ms();
	m->auto_reason = hdr_auto_sender(m->sender);
	if (m->hash == NULL) {
		if ((m->hash = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestInit_ex(m->hash, inb_md(), NULL) != 1)
			return (-1);
	}
	EVP_DigestUpdate(m->hash, m->sender, strlen(m->sender) + 1);
	return (0);
}

/* inb_token - a reply token in the recipient's tag (support+TOKEN@...) */
static void
inb_token(const struct cfg *cfg, const struct addr *a, struct inb_rcpt *r)
{
	const char *seps = cfg->subaddress_separators, *tag;

	if (cfg->outbound.token_secret == NULL || seps == NULL || *seps == '\0' ||
	    (tag = strpbrk(a->local, seps)) == NULL)
		return;
	tag++;
	/* bound to the address it was issued for: billing+TOKEN@ does not
	 * open support@'s interaction */
	r->token = token_check(cfg->outbound.token_secret, r->org->id,
	    r->address, tag, strlen(tag), r->token_id);
	if (r->token != 1)
		r->token_id[0] = '\0';
}

/* inb_agent_rcpt - is A an agent's workplace address (any sub-address)? */
static int
inb_agent_rcpt(const struct cfg *cfg, const struct addr *a)
{
	char	key[ADDR_MAX + 2];

	if (addr_key(a->local, a->domain, cfg->local_part_case_sensitive,
	    NULL, 0, key, sizeof(key)) == 0 && cfg_find_agent(cfg, key))
		return (1);
	return (addr_key(a->local, a->domain, cfg->local_part_case_sensitive,
	    cfg->subaddress_separators, 1, key, sizeof(key)) == 0 &&
	    cfg_find_agent(cfg, key) != NULL);
}

/* inb_rcpt - one envelope recipient: registered address, catch-all, or not */
int
inb_rcpt(struct inb_msg *m, const struct cfg *cfg, const char *rcpt)
{
	struct addr a;
	char	key[ADDR_MAX + 2], err[128];
	const struct cfg_address *ca = NULL;
	const struct cfg_domain *cd;
	const struct cfg_route *route;
	const char *match = "address";
	struct inb_rcpt *r;
	size_t	i;
	int	rc;

	if ((rc = addr_canon(rcpt, &a, err, sizeof(err))) != 0) {
		char	dom[ADDR_MAX + 1];

		/* another domain's business; ours is refused, never passed
		 * unrecorded */
		if (addr_domain_of(rcpt, dom, sizeof(dom)) != 0 ||
		    cfg_find_domain(cfg, dom) == NULL)
			return (0);
		m->refuse_code = rc == ADDR_ELONG ? "550" : "501";
		snprintf(m->refuse_text, sizeof(m->refuse_text),
		    "mailacd: an address at %s that cannot be recorded: %s",
		    dom, err);
		return (INB_REFUSE);
	}
	/* exact first (an address may contain the separator), then untagged;
	 * KEY is left untagged for a catch-all */
	ca = cfg_match_address(cfg, a.local, a.domain, key, sizeof(key));
	if (ca == NULL && inb_agent_rcpt(cfg, &a)) {
		m->agents++;
		return (0);
	}
	if (ca != NULL) {
		if (!ca->enabled || !(ca->direction & CFG_DIR_INBOUND))
			return (0);
		route = &ca->route;
		cd = ca->domain;
		snprintf(key, sizeof(key), "%s", ca->key);
	} else {
		char	dom[ADDR_MAX + 1];

		for (i = 0; a.domain[i] != '\0'; i++)
			dom[i] = (char)((a.domain[i] >= 'A' &&
			    a.domain[i] <= 'Z') ? a.domain[i] + 32 : a.domain[i]);
		dom[i] = '\0';
		if ((cd = cfg_find_domain(cfg, dom)) == NULL ||
		    cd->catch_all == NULL)
			return (0);
		route = cd->catch_all;
		match = "catch-all";
		/* key already holds the untagged form */
	}
	for (i = 0; i < m->nrcpts; i++)
		if (strcmp(m->rcpts[i].address, key) == 0)
			return (1);
	if (m->nrcpts == m->rcpts_cap) {
		size_t	ncap = m->rcpts_cap ? m->rcpts_cap * 2 : 4;
		struct inb_rcpt *n = realloc(m->rcpts, ncap * sizeof(*n));

		if (n == NULL)
			return (-1);
		m->rcpts = n;
		m->rcpts_cap = ncap;
	}
	r = &m->rcpts[m->nrcpts];
	memset(r, 0, sizeof(*r));
	r->open = -1;
	r->org = cd->org;
	r->route = route;
	r->match = match;
	{
		const struct cfg_queue *q = route->queue != NULL ?
		    cfg_find_queue(cd->org, route->queue) : NULL;

		r->forward = q != NULL && q->delivery == CFG_DELIVERY_FORWARD;
		r->merge = q != NULL && q->new_thread == CFG_THREAD_MERGE;
		/* a flow's queue is known at the end: keep a copy when any
		 * queue of the organisation may want one */
		for (i = 0; route->flowp != NULL && i < cd->org->nqueues; i++)
			if (cd->org->queues[i].delivery == CFG_DELIVERY_FORWARD)
				r->forward = 1;
	}
	r->redirect = cd->inbound == CFG_INBOUND_REDIRECT ||
	    cd->inbound == CFG_INBOUND_HOSTED_REDIRECT;
	r->address = strdup(key);
	r->rcpt = strdup(rcpt);
	if (r->address == NULL || r->rcpt == NULL) {
		free(r->address);
		free(r->rcpt);
		return (-1);
	}
	inb_token(cfg, &a, r);
	m->nrcpts++;
	return (1);
}

/* inb_keep - remember the first value of a header we hand off */
static int
inb_keep(char **slot, const char *value)
{
	if (*slot != NULL)
		return (0);
	return ((*slot = strdup(value)) == NULL ? -1 : 0);
}

/* inb_is_trace - headers that change when the MTA retries delivery */
static int
inb_is_trace(const char *name)
{
	return (strcasecmp(name, "Received") == 0 ||
	    strcasecmp(name, "Return-Path") == 0 ||
	    strcasecmp(name, "X-Original-To") == 0 ||
	    strcasecmp(name, "Delivered-To") == 0 || hdr_is_ours(name));
}

/* inb_copy_add - append LEN octets to the stored copy; once it would
 * exceed the limit only the header section is kept */
static int
inb_copy_add(struct inb_msg *m, const char *data, size_t len)
{
	size_t	ncap;
	char	*n;

	/* nothing to add (a header with an empty name): the copy may have
	 * no buffer yet, and memcpy() to NULL is undefined even for 0 */
	if (!m->capture || !m->copy_complete || len == 0)
		return (0);
	if (m->copy_len + len > m->copy_max) {
		m->copy_complete = 0;
		if (m->copy_hdr > 0)
			m->copy_len = m->copy_hdr;
		return (0);
	}
	if (m->copy_len + len > m->copy_cap) {
		ncap = m->copy_cap ? m->copy_cap : 8192;
		while (ncap < m->copy_len + len)
			ncap *= 2;
		if (ncap > m->copy_max)
			ncap = m->copy_max;
		if ((n = realloc(m->copy, ncap)) == NULL)
			return (-1);
		m->copy = n;
		m->copy_cap = ncap;
	}
	memcpy(m->copy + m->copy_len, data, len);
	m->copy_len += len;
	return (0);
}

/* inb_copy_header - "Name: value" with CRLF line ends (the MTA folds with
 * a bare LF) into the copy */
static int
inb_copy_header(struct inb_msg *m, const char *name, const char *value)
{
	const char *p, *nl;

	if (inb_copy_add(m, name, strlen(name)) != 0 ||
	    inb_copy_add(m, ": ", 2) != 0)
		return (-1);
	for (p = value; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		size_t	n = (size_t)(nl - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (inb_copy_add(m, p, n) != 0 || inb_copy_add(m, "\r\n", 2))
			return (-1);
	}
	return (inb_copy_add(m, p, strlen(p)) != 0 ||
	    inb_copy_add(m, "\r\n", 2) != 0 ? -1 : 0);
}

/* inb_capture - keep a copy if a recipient's queue forwards */
void
inb_capture(struct inb_msg *m, size_t max)
{
	size_t	i;

	if (m->capture)
		return;
	for (i = 0; i < m->nrcpts; i++)
		if (m->rcpts[i].forward) {
			m->capture = 1;
			m->copy_complete = 1;
			m->copy_max = max;
			return;
		}
}

/* inb_flow_start - what the flows of the recipients read */
void
inb_flow_start(struct inb_msg *m, const struct cfg *cfg)
{
	const struct cfg_route *routes[64];
	size_t	i, n = 0;

	for (i = 0; i < m->nrcpts && n < 64; i++)
		if (m->rcpts[i].route->flowp != NULL)
			routes[n++] = m->rcpts[i].route;
	if (n > 0)
		inflow_start(&m->flow, cfg, routes, n);
}

/* inb_lower - ASCII lower case in place */
static void
inb_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

/* inb_customer - Reply-To (forwarded mail only), From, envelope sender */
int
inb_customer(const struct inb_msg *m, const struct inb_rcpt *r,
    char *out, size_t outlen)
{
	const char *s;
	size_t	n;

	/* replies go to Reply-To; for mail a forwarder redirected it is the
	 * customer's own choice of address, as the envelope is not */
	/* an address longer than RFC 5321 allows is no address, whatever
	 * room OUT has: the answer must not depend on the caller's buffer */
	if (r != NULL && r->redirect && m->reply_to != NULL &&
	    hdr_mailbox(m->reply_to, out, outlen) == 0 &&
	    strlen(out) <= ADDR_MAX) {
		inb_lower(out);
		return (0);
	}
	if (m->from == NULL || hdr_mailbox(m->from, out, outlen) != 0 ||
	    strlen(out) > ADDR_MAX) {
		s = m->sender != NULL ? m->sender : "";
		while (*s == '<' || *s == ' ')
			s++;
		n = strcspn(s, ">");
		if (n == 0 || n >= outlen || n > ADDR_MAX)
			return (-1);
		memcpy(out, s, n);
		out[n] = '\0';
	}
	inb_lower(out);
	return (0);
}

/* inb_from_authenticated - does our verifier vouch for the From? */
int
inb_from_authenticated(const struct inb_msg *m, const struct cfg *cfg)
{
	char	from[ADDR_MAX + 1];
	const char *at;
	size_t	i;
	int	rc;

	if (cfg->milter.authserv_id == NULL || m->from == NULL ||
	    hdr_mailbox(m->from, from, sizeof(from)) != 0 ||
	    (at = strrchr(from, '@')) == NULL)
		return (0);
	/* the topmost header of our verifier decides: it was added last */
	for (i = 0; i < m->nauthres; i++)
		if ((rc = authres_check(m->authres[i], cfg->milter.authserv_id,
		    at + 1)) != AUTHRES_OTHER)
			return (rc == AUTHRES_PASS);
	return (0);
}

/* inb_identity - the customer without sub-address */
int
inb_identity(const struct inb_msg *m, const struct inb_rcpt *r,
    const struct cfg *cfg, char *out, size_t outlen)
{
	char	*at;
	size_t	cut;
	const char *seps = cfg->subaddress_separators;

	if (inb_customer(m, r, out, outlen) != 0)
		return (-1);
	if ((at = strrchr(out, '@')) == NULL || seps == NULL || *seps == '\0')
		return (0);
	/* a separator in first position is part of the name, as matching */
	cut = strcspn(out + 1, seps) + 1;
	if (out + cut < at)
		memmove(out + cut, at, strlen(at) + 1);
	return (0);
}

/* inb_counted - what the hourly limit counts, per recipient */
void
inb_counted(struct inb_msg *m, const struct cfg *cfg)
{
	size_t	i;

	for (i = 0; i < m->nrcpts; i++)
		if (inb_rate_identity(m, &m->rcpts[i], cfg, m->rcpts[i].counted,
		    sizeof(m->rcpts[i].counted)) != 0)
			m->rcpts[i].counted[0] = '\0';
}

/* inb_rate_identity - the identity the hourly limit counts */
int
inb_rate_identity(const struct inb_msg *m, const struct inb_rcpt *r,
    const struct cfg *cfg, char *out, size_t outlen)
{
	size_t	n;

	if (inb_identity(m, r, cfg, out, outlen) != 0)
		return (-1);
	if (inb_from_authenticated(m, cfg))
		return (0);
	n = strlen(out);
	snprintf(out + n, outlen - n, " via %s",
	    m->client[0] != '\0' ? m->client : "local");
	return (0);
}

/* inb_original - the first forwarding header naming someone else */
int
inb_original(const struct inb_msg *m, const struct inb_rcpt *r,
    char *out, size_t outlen)
{
	char	rcpt[ADDR_MAX + 1];
	size_t	i, n;
	int	k;

	n = strcspn(r->rcpt + (r->rcpt[0] == '<'), ">");
	if (n >= sizeof(rcpt))
		n = sizeof(rcpt) - 1;
	memcpy(rcpt, r->rcpt + (r->rcpt[0] == '<'), n);
	rcpt[n] = '\0';
	for (k = 0; k < INB_FWD_KINDS; k++)
		for (i = 0; i < m->nfwd; i++) {
			/* past 254 octets it is no address, whatever room
			 * OUT has (as for the customer) */
			if (m->fwd[i].kind != k ||
			    hdr_mailbox(m->fwd[i].value, out, outlen) != 0 ||
			    strlen(out) > ADDR_MAX)
				continue;
			inb_lower(out);
			if (strcasecmp(out, r->address) != 0 &&
			    strcasecmp(out, rcpt) != 0)
				return (1);
		}
	if (outlen > 0)
		out[0] = '\0';
	return (0);
}

/* inb_fwd_kind - which forwarding header NAME is, or -1 */
static int
inb_fwd_kind(const char *name)
{
	static const char *const names[INB_FWD_KINDS] = {
		"X-Original-To", "Delivered-To", "Resent-To",
		"X-Forwarded-To", "X-Envelope-To",
	};
	int	k;

	for (k = 0; k < INB_FWD_KINDS; k++)
		if (strcasecmp(name, names[k]) == 0)
			return (k);
	return (-1);
}

/* inb_hash_value - a header value into the identity as MTAs may differ
 * on it: unfolded, without leading and trailing white space */
static void
inb_hash_value(void *hash, const char *value)
{
	const char *p = value, *e = value + strlen(value), *q;

	while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		e--;
	for (q = p; q < e; q++)
		if (*q == '\r' || *q == '\n') {
			if (q > p)
				EVP_DigestUpdate(hash, p, (size_t)(q - p));
			p = q + 1;
		}
	if (e > p)
		EVP_DigestUpdate(hash, p, (size_t)(e - p));
	EVP_DigestUpdate(hash, "", 1);
}

/* inb_header - record what the hand-off needs and which headers to drop */
int
inb_header(struct inb_msg *m, const char *name, const char *value)
{
	const char *why;
	int	rc = 0, kind;

	m->size += strlen(name) + strlen(value) + 4;
	if (strcasecmp(name, KEYS_H_LOOP) == 0)
		m->loops++;
	else if (strcasecmp(name, KEYS_H_DELIVERY) == 0)
		m->delivery++;
	/* the loop marker stays in the copy: a copy that comes round again
	 * carries one more */
	if ((!hdr_is_ours(name) || strcasecmp(name, KEYS_H_LOOP) == 0) &&
	    inb_copy_header(m, name, value) != 0)
		return (-1);
	if (hdr_is_ours(name))
		return (edit_name_count(&m->ours, name));
	/* flows never see our headers from outside: they steer nothing */
	if (inflow_header(&m->flow, name, value) != 0)
		return (-1);
	if (m->hash != NULL && !inb_is_trace(name)) {
		EVP_DigestUpdate(m->hash, name, strlen(name) + 1);
		inb_hash_value(m->hash, value);
	}
	if (strcasecmp(name, "Message-ID") == 0)
		rc = inb_keep(&m->message_id, value);
	else if (strcasecmp(name, "In-Reply-To") == 0)
		rc = inb_keep(&m->in_reply_to, value);
	else if (strcasecmp(name, "References") == 0)
		rc = inb_keep(&m->references, value);
	else if (strcasecmp(name, "Subject") == 0)
		rc = inb_keep(&m->subject, value);
	else if (strcasecmp(name, "From") == 0)
		rc = inb_keep(&m->from, value);
	else if (strcasecmp(name, "Reply-To") == 0)
		rc = inb_keep(&m->reply_to, value);
	else if (strcasecmp(name, "Authentication-Results") == 0) {
		if (m->nauthres < INB_AUTHRES_MAX &&
		    (m->authres[m->nauthres++] = strdup(value)) == NULL)
			return (-1);
	} else if ((kind = inb_fwd_kind(name)) >= 0 && m->nfwd < INB_FWD_MAX) {
		if ((m->fwd[m->nfwd].value = strdup(value)) == NULL)
			return (-1);
		m->fwd[m->nfwd++].kind = kind;
	}
	if (m->auto_reason == NULL && (why = hdr_auto_reason(name, value)))
		m->auto_reason = why;
	return (rc);
}

/* inb_eoh - note whether the message has a usable Message-ID */
int
inb_eoh(struct inb_msg *m)
{
	m->size += 2;
	m->hash_body = (m->message_id == NULL ||
	    strchr(m->message_id, '@') == NULL);
	if (m->capture && inb_copy_add(m, "\r\n", 2) != 0)
		return (-1);
	m->copy_hdr = m->copy_len;
	return (inflow_eoh(&m->flow));
}

/* inb_body - count and hash the body; the copy */
int
inb_body(struct inb_msg *m, const unsigned char *data, size_t len)
{
	m->size += len;
	if (m->hash != NULL)
		EVP_DigestUpdate(m->hash, data, len);
	if (inflow_body(&m->flow, data, len) != 0)
		return (-1);
	return (inb_copy_add(m, (const char *)data, len));
}

/* inb_hex - lower-case hex of LEN bytes into OUT (2*LEN+1) */
static void
inb_hex(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t	i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

/* inb_finish - random ids, and the keys that make a retry idempotent */
int
inb_finish(struct inb_msg *m, char *err, size_t errlen)
{
	unsigned char ident[EVP_MAX_MD_SIZE], seen[EVP_MAX_MD_SIZE];
	unsigned char content[EVP_MAX_MD_SIZE], both[2 * EVP_MAX_MD_SIZE];
	unsigned int identlen = 0, seenlen, clen = 0, mlen = 0;
	const char *mid;
	size_t	i;

	/* The identity is the content (envelope sender, headers but the
	 * trace and ours, body) and the Message-ID: an MTA retry of the same
	 * message meets its first hand-off, while another message under the
	 * same Message-ID is another interaction and cannot overwrite the
	 * first one's record or stored copy. */
	if (m->hash == NULL ||
	    EVP_DigestFinal_ex(m->hash, content, &clen) != 1)
		clen = 0;
	/* the Message-ID however the header was folded, unfolded once for
	 * the identity and the hand-off */
	if (m->message_id != NULL && m->text.msgid == NULL &&
	    (m->text.msgid = hdr_unfold(m->message_id, HDR_ID_MAX, 0)) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	if (clen > 0 && !m->hash_body && m->message_id != NULL) {
		mid = m->text.msgid;
		if (EVP_Digest(mid, strlen(mid), both, &mlen, inb_md(),
		    NULL) != 1)
			mlen = 0;
		memcpy(both + mlen, content, clen);
		if (mlen == 0 || EVP_Digest(both, mlen + clen, ident,
		    &identlen, inb_md(), NULL) != 1)
			identlen = 0;
	} else if (clen > 0) {
		memcpy(ident, content, clen);
		identlen = clen;
	}
	if (identlen == 0) {
		snprintf(err, errlen, "SHA-256 failed");
		return (-1);
	}
	for (i = 0; i < m->nrcpts; i++) {
		struct inb_rcpt *r = &m->rcpts[i];
		EVP_MD_CTX *c = EVP_MD_CTX_new();

		if (c == NULL || EVP_DigestInit_ex(c, inb_md(), NULL) != 1 ||
		    EVP_DigestUpdate(c, ident, identlen) != 1 ||
		    EVP_DigestUpdate(c, r->address, strlen(r->address)) != 1 ||
		    EVP_DigestFinal_ex(c, seen, &seenlen) != 1) {
			EVP_MD_CTX_free(c);
			snprintf(err, errlen, "SHA-256 failed");
			return (-1);
		}
		EVP_MD_CTX_free(c);
		inb_hex(seen, seenlen, r->seen);
		if (rnd_hex(r->id, INB_ID_LEN / 2) != 0) {
			snprintf(err, errlen, "OpenSSL RAND_bytes failed");
			return (-1);
		}
	}
	return (0);
}

/* inb_thread_key - hex SHA-256 of message id ID (LEN octets) and ADDR */
int
inb_thread_key(const char *id, size_t len, const char *addr, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int	rc = -1;

	if (c != NULL && EVP_DigestInit_ex(c, inb_md(), NULL) == 1 &&
	    EVP_DigestUpdate(c, id, len) == 1 &&
	    EVP_DigestUpdate(c, "\n", 1) == 1 &&
	    EVP_DigestUpdate(c, addr, strlen(addr)) == 1 &&
	    EVP_DigestFinal_ex(c, md, &mdlen) == 1 && mdlen == 32) {
		inb_hex(md, mdlen, out);
		rc = 0;
	}
	EVP_MD_CTX_free(c);
	return (rc);
}

/* inb_msgids - call FN for each <msg-id> of header value V, last first
 * when BACKWARDS; stops when FN returns nonzero */
void
inb_msgids(const char *v, int backwards,
    int (*fn)(const char *, size_t, void *), void *arg)
{
	const char *p, *e;

	if (v == NULL)
		return;
	if (!backwards) {
		for (p = v; (p = strchr(p, '<')) != NULL; p = e + 1) {
			if ((e = strchr(p, '>')) == NULL)
				return;
			if (fn(p, (size_t)(e - p + 1), arg))
				return;
		}
		return;
	}
	for (e = v + strlen(v); e > v; ) {
		for (e--; e > v && *e != '>'; e--)
			;
		if (*e != '>')
			return;
		for (p = e; p > v && *p != '<'; p--)
			;
		if (*p != '<')
			return;
		if (fn(p, (size_t)(e - p + 1), arg))
			return;
		e = p;
	}
}

/* What inb_threads' callback fills. */
struct inb_tctx {
	struct inb_threads *t;
	const char *addr;
	const char *own;
	size_t	ownlen;
	int	err;
};

/* inb_thread_ref - add one referenced id (not the message's own, once) */
static int
inb_thread_ref(const char *id, size_t len, void *arg)
{
	struct inb_tctx *x = arg;
	char	key[65];
	size_t	i;

	if (x->t->nrefs >= INB_THREAD_REFS)
		return (1);
	if (x->own != NULL && len == x->ownlen && memcmp(id, x->own, len) == 0)
		return (0);
	if (inb_thread_key(id, len, x->addr, key) != 0) {
		x->err = 1;
		return (1);
	}
	for (i = 0; i < x->t->nrefs; i++)
		if (strcmp(x->t->refs[i], key) == 0)
			return (0);
	memcpy(x->t->refs[x->t->nrefs++], key, sizeof(key));
	return (0);
}

/* inb_thread_own - the message's own id (the first <...>) */
static int
inb_thread_own(const char *id, size_t len, void *arg)
{
	struct inb_tctx *x = arg;

	x->own = id;
	x->ownlen = len;
	if (inb_thread_key(id, len, x->addr, x->t->own) != 0)
		x->err = 1;
	return (1);
}

/* inb_threads - the thread keys of M for R */
int
inb_threads(const struct inb_msg *m, const struct inb_rcpt *r,
    struct inb_threads *t)
{
	struct inb_tctx x = { t, r->address, NULL, 0, 0 };

	memset(t, 0, sizeof(*t));
	inb_msgids(m->message_id, 0, inb_thread_own, &x);
	inb_msgids(m->in_reply_to, 0, inb_thread_ref, &x);
	inb_msgids(m->references, 1, inb_thread_ref, &x);
	return (x.err ? -1 : 0);
}

/* inb_append - append "; name=value", folding when the line gets long;
 * a value that would break the header's grammar is quoted
 * (hdr_param_value); -1 when out of memory */
static int
inb_append(char *buf, size_t size, size_t *len, size_t *col,
    const char *name, const char *raw)
{
	char	*value;
	size_t	need;
	int	n;

	if ((value = hdr_param_value(raw)) == NULL)
		return (-1);
	need = strlen(name) + strlen(value) + 3;

	if (*col + need > 76) {
		n = snprintf(buf + *len, size - *len, ";\n\t%s=%s", name, value);
		*col = 8 + need - 2;
	} else {
		n = snprintf(buf + *len, size - *len, "; %s=%s", name, value);
		*col += need;
	}
	free(value);
	if (n > 0)
		*len = (*len + (size_t)n < size) ? *len + (size_t)n : size - 1;
	return (0);
}

/* inb_stamp - "ID; org=..; address=..; queue=..; priority=..; ...",
 * with a flow's tags last */
char *
inb_stamp(const struct inb_rcpt *r)
{
	const struct cfg_route *rt = r->route;
	size_t	size, len, col, i, ntags;
	char	prio[16], *buf, *skills, *tags;

	/* a quoted value may double */
	size = 256 + 2 * (strlen(r->org->id) + strlen(r->address) +
	    strlen(rt->queue) + strlen(rt->language));
	ntags = r->flowed ? r->fres.ntags : 0;
	for (i = 0, len = 0; i < rt->nskills; i++)
		len += strlen(rt->skills[i]) + 1;
	for (i = 0; i < ntags; i++)
		len += strlen(r->fres.tags[i]) + 1;
	size += 2 * len;
	if ((buf = malloc(size)) == NULL || (skills = malloc(len + 2)) ==
	    NULL) {
		free(buf);
		return (NULL);
	}
	skills[0] = '\0';
	for (i = 0, len = 0; i < rt->nskills; i++)
		len += (size_t)sprintf(skills + len, "%s%s", i ? "," : "",
		    rt->skills[i]);
	/* the tags after the skills' NUL, in the same allocation */
	tags = skills + len + 1;
	tags[0] = '\0';
	for (i = 0, len = 0; i < ntags; i++)
		len += (size_t)sprintf(tags + len, "%s%s", i ? "," : "",
		    r->fres.tags[i]);
	len = (size_t)snprintf(buf, size, "%s", r->id);
	col = sizeof(HDR_INTERACTION) + 1 + len;
	snprintf(prio, sizeof(prio), "%d", rt->priority);
	if (inb_append(buf, size, &len, &col, "org", r->org->id) != 0 ||
	    inb_append(buf, size, &len, &col, "address", r->address) != 0 ||
	    inb_append(buf, size, &len, &col, "queue", rt->queue) != 0 ||
	    inb_append(buf, size, &len, &col, "priority", prio) != 0 ||
	    (rt->language[0] != '\0' && inb_append(buf, size, &len, &col,
	    "language", rt->language) != 0) ||
	    (rt->nskills > 0 && inb_append(buf, size, &len, &col, "skills",
	    skills) != 0) ||
	    (ntags > 0 && inb_append(buf, size, &len, &col, "tags",
	    tags) != 0)) {
		free(skills);
		free(buf);
		return (NULL);
	}
	free(skills);
	return (buf);
}

/* inb_key_hex - hex SHA-256 of A, and LF + B when B is not "", into OUT
 * ("" when the digest fails) */
static void
inb_key_hex(const char *a, const char *b, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *c;

	out[0] = '\0';
	if ((c = EVP_MD_CTX_new()) == NULL)
		return;
	if (EVP_DigestInit_ex(c, inb_md(), NULL) == 1 &&
	    EVP_DigestUpdate(c, a, strlen(a)) == 1 &&
	    (*b == '\0' || (EVP_DigestUpdate(c, "\n", 1) == 1 &&
	    EVP_DigestUpdate(c, b, strlen(b)) == 1)) &&
	    EVP_DigestFinal_ex(c, md, &n) == 1 && n == 32)
		inb_hex(md, n, out);
	EVP_MD_CTX_free(c);
}

/* inb_verdict - pass, agent only, resent copy, loop, or route */
enum inb_verdict
inb_verdict(const struct inb_msg *m, int resent_trusted)
{
	int	resent = m->delivery > 0 && resent_trusted;

	if (m->nrcpts == 0)
		return (m->agents > 0 && !resent ? INB_AGENT : INB_PASS);
	if (resent)
		return (INB_RESENT);
	if (m->loops >= 2)
		return (INB_LOOP);
	return (INB_ROUTE);
}

/* inb_text_make - the header text the hand-off records, decoded and
 * bounded; 0 or -1 (memory) */
static int
inb_text_make(struct inb_msg *m)
{
	struct inb_text *t = &m->text;

	if (t->msgid == NULL)
		t->msgid = hdr_unfold(m->message_id ? m->message_id : "",
		    HDR_ID_MAX, 0);
	t->irt = hdr_unfold(m->in_reply_to ? m->in_reply_to : "", HDR_ID_MAX,
	    0);
	t->refs = hdr_unfold(m->references ? m->references : "",
	    HDR_REFS_MAX, 1);
	t->subject = hdr_decode_text(m->subject ? m->subject : "",
	    HDR_TEXT_MAX);
	t->from = hdr_decode_text(m->from ? m->from : "", HDR_TEXT_MAX);
	t->sender = hdr_unfold(m->sender ? m->sender : "", HDR_ID_MAX, 0);
	snprintf(t->arrived, sizeof(t->arrived), "%lld", m->arrived_ms);
	snprintf(t->size, sizeof(t->size), "%zu", m->size);
	t->hour = m->arrived_ms / 3600000;
	return (t->msgid == NULL || t->irt == NULL || t->refs == NULL ||
	    t->subject == NULL || t->from == NULL || t->sender == NULL ?
	    -1 : 0);
}

/* inb_flows - each recipient whose route names a flow gets the route
 * its flow decides; 0 or -1 (memory) */
static int
inb_flows(struct inb_msg *m, const struct cfg *cfg)
{
	struct inflow_env env;
	const struct cfg_queue *q;
	char	sender[ADDR_MAX + 1];
	size_t	i, n;

	if (!m->flow.active)
		return (0);
	n = strlen(m->sender != NULL ? m->sender : "");
	if (n >= 2 && m->sender[0] == '<' && m->sender[n - 1] == '>')
		snprintf(sender, sizeof(sender), "%.*s", (int)(n - 2),
		    m->sender + 1);
	else
		snprintf(sender, sizeof(sender), "%s", m->sender ? m->sender :
		    "");
	memset(&env, 0, sizeof(env));
	env.sender = sender;
	env.size = m->size;
	env.automatic = m->auto_reason != NULL;
	env.now = (time_t)(m->arrived_ms / 1000);
	for (i = 0; i < m->nrcpts; i++) {
		struct inb_rcpt *r = &m->rcpts[i];

		if (r->flowed || r->route->flowp == NULL)
			continue;
		env.open = r->open;
		if (inflow_eval(&m->flow, cfg, r->route, &env, &r->fres) != 0)
			return (-1);
		inflow_route(&r->fres, r->route, &r->eff);
		r->route = &r->eff;
		r->flowed = 1;
		q = cfg_find_queue(r->org, r->eff.queue);
		/* what an acknowledgement says about opening hours */
		if (q != NULL && q->sched != NULL &&
		    !hours_open(q->sched, env.now))
			r->opens = (long long)hours_next_open(q->sched, env.now);
		r->forward = r->forward && q != NULL &&
		    q->delivery == CFG_DELIVERY_FORWARD;
		r->merge = q != NULL && q->new_thread == CFG_THREAD_MERGE;
	}
	return (0);
}

/* inb_decide - everything the hand-off records, decided once */
int
inb_decide(struct inb_msg *m, const struct cfg *cfg, char *err,
    size_t errlen)
{
	size_t	i, j;
	int	vouched;

	if (inb_finish(m, err, errlen) != 0)
		return (-1);
	if (inb_text_make(m) != 0) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	inb_counted(m, cfg);
	vouched = inb_from_authenticated(m, cfg);
	for (i = 0; i < m->nrcpts; i++) {
		struct inb_rcpt *r = &m->rcpts[i];

		/* per recipient: a forwarded domain names the customer by
		 * header */
		if (inb_customer(m, r, r->customer, sizeof(r->customer)) != 0)
			r->customer[0] = '\0';
		if (inb_identity(m, r, cfg, r->identity,
		    sizeof(r->identity)) != 0)
			r->identity[0] = '\0';
		r->has_original = inb_original(m, r, r->original,
		    sizeof(r->original));
		if (inb_threads(m, r, &r->threads) != 0) {
			snprintf(err, errlen, "SHA-256 failed");
			return (-1);
		}
		inb_key_hex(r->counted, "", r->rate_key);
		inb_key_hex(r->customer, r->address, r->open_key);
		/* without a customer address there is nobody to count */
		r->limit = r->counted[0] != '\0' ?
		    cfg->milter.sender_rate_limit : 0;
		/* the first recipient of each organisation counts */
		for (r->counts = 1, j = 0; j < i && r->counts; j++)
			if (m->rcpts[j].org == r->org)
				r->counts = 0;
		/* a new thread merges only under a From our verifier
		 * vouched for */
		r->merge_new = r->merge && r->customer[0] != '\0' && vouched;
	}
	return (0);
}

/* inb_needs_open - a recipient's flow asks about an open interaction */
int
inb_needs_open(const struct inb_msg *m)
{
	size_t	i;

	for (i = 0; m->flow.active && i < m->nrcpts; i++)
		if (m->rcpts[i].route->flowp != NULL &&
		    (m->rcpts[i].route->flowp->needs & CFG_NEED_OPEN) &&
		    m->rcpts[i].customer[0] != '\0')
			return (1);
	return (0);
}

/* inb_route - the flows' routes; merging follows the queue they chose */
int
inb_route(struct inb_msg *m, const struct cfg *cfg, char *err,
    size_t errlen)
{
	size_t	i;
	int	vouched;

	if (!m->flow.active)
		return (0);
	if (inb_flows(m, cfg) != 0) {
		snprintf(err, errlen, "out of memory evaluating a flow");
		return (-1);
	}
	vouched = inb_from_authenticated(m, cfg);
	for (i = 0; i < m->nrcpts; i++) {
		struct inb_rcpt *r = &m->rcpts[i];

		if (r->flowed)
			r->merge_new = r->merge && r->customer[0] != '\0' &&
			    vouched;
	}
	return (0);
}

/* inb_edits - ours removed, then the routing headers */
int
inb_edits(const struct inb_msg *m, int stamp, struct edits *e)
{
	size_t	i;
	char	*v;
	int	rc;

	if (edit_remove_all(e, &m->ours, "remove X-MailACD headers") != 0)
		return (-1);
	for (i = 0; stamp && i < m->nrcpts; i++) {
		if (m->rcpts[i].limited)
			continue;
		if ((v = inb_stamp(&m->rcpts[i])) == NULL)
			return (-1);
		rc = edit_add(e, EDIT_HDR_ADD, HDR_INTERACTION, 0, v,
		    "add " HDR_INTERACTION);
		free(v);
		if (rc != 0)
			return (-1);
	}
	return (0);
}

/* inb_retries - interactions the hand-off found already recorded */
size_t
inb_retries(const struct inb_msg *m)
{
	size_t	i, n = 0;

	for (i = 0; i < m->nrcpts; i++)
		if (m->rcpts[i].retried)
			n++;
	return (n);
}
