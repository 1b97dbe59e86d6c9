/* domchk.c - the records a configured domain needs and what the DNS says
 * about them (see domchk.h), and the Redis hash that keeps the result.
 * No output, no logging: "mailacdctl domain" prints, the router logs. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dkimrec.h"
#include "domchk.h"
#include "dtoken.h"
#include "keys.h"
#include "rds.h"

#define DOMCHK_OWNER_LABEL "_mailacd"	/* the ownership record's name */
#define DOMCHK_BOUNCE_LABEL "bounce"	/* campaign bounce CNAME by default */

/* domchk_status_name - a record's status as "check" prints it */
const char *
domchk_status_name(int status)
{
	switch (status) {
	case DOMCHK_OK:
		return ("ok");
	case DOMCHK_MISSING:
		return ("missing");
	case DOMCHK_WRONG:
		return ("wrong");
	case DOMCHK_UNCHECKED:
		return ("unchecked");
	}
	return ("-");
}

/* domchk_domain_status - a domain's status word: passed, failed, unchecked */
const char *
domchk_domain_status(int status)
{
	return (status == DOMCHK_OK ? "passed" : status == DOMCHK_UNCHECKED ?
	    "unchecked" : "failed");
}

/* domchk_add - a new, empty item at the end of P; NULL when memory is short */
static struct domchk_rec *
domchk_add(struct domchk_plan *p, const char *id, int type,
    const char *purpose)
{
	struct domchk_rec *v, *r;

	if ((v = reallocarray(p->v, p->n + 1, sizeof(*v))) == NULL)
		return (NULL);
	p->v = v;
	r = &v[p->n++];
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->type = type;
	r->purpose = purpose;
	r->status = DOMCHK_NOTYET;
	return (r);
}

/* domchk_note - append a line of instructions, printf-style; 0 or -1 */
static int __attribute__((format(printf, 2, 3)))
domchk_note(struct domchk_plan *p, const char *fmt, ...)
{
	struct domchk_rec *r;
	va_list	ap;
	int	n;

	if ((r = domchk_add(p, "note", 0, NULL)) == NULL)
		return (-1);
	va_start(ap, fmt);
	n = vasprintf(&r->value, fmt, ap);
	va_end(ap);
	if (n < 0) {
		r->value = NULL;
		return (-1);
	}
	return (0);
}

/* domchk_name - "PREFIX.DOMAIN" (or DOMAIN when PREFIX is NULL) into R */
static void
domchk_name(struct domchk_rec *r, const char *prefix, const char *domain)
{
	if (prefix != NULL)
		snprintf(r->name, sizeof(r->name), "%s.%s", prefix, domain);
	else
		snprintf(r->name, sizeof(r->name), "%s", domain);
}

/* domchk_dkim_value - the TXT value publishing the public half of key K:
 * "v=DKIM1; k=rsa; p=" and the base64 of the DER SubjectPublicKeyInfo
 * (RFC 6376 3.6.1), or for Ed25519 "k=ed25519" and the raw 32 octets
 * (RFC 8463), as "mailacdctl dkim genkey" prints it; malloc'd, or NULL
 * with the reason in ERR */
static char *
domchk_dkim_value(const struct cfg_dkim *k, char *err, size_t errlen)
{
	EVP_PKEY *pk = NULL;
	BIO	*b = NULL;
	char	*v = NULL;

	if (k->key == NULL || (b = BIO_new_mem_buf(k->key, -1)) == NULL ||
	    (pk = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL)
		snprintf(err, errlen, "%s: cannot read the private key",
		    k->key_file);
	else if (dkimrec_make(pk, &v) == DKIMREC_NOMEM)
		snprintf(err, errlen, "out of memory");
	else if (v == NULL)
		snprintf(err, errlen, "%s: no public key", k->key_file);
	EVP_PKEY_free(pk);
	BIO_free(b);
	return (v);
}

/* domchk_receives - D receives mail: an enabled address that takes inbound
 * mail, or a catch-all */
static int
domchk_receives(const struct cfg_domain *d)
{
	size_t	i;

	if (d->catch_all != NULL)
		return (1);
	for (i = 0; i < d->naddresses; i++)
		if (d->addresses[i].enabled &&
		    (d->addresses[i].direction & CFG_DIR_INBOUND))
			return (1);
	return (0);
}

/* domchk_relay - the relay's MX hosts for a sentence: "mx1.example,
 * mx2.example", or "the relay" when none are configured, into BUF */
static const char *
domchk_relay(const struct cfg *cfg, char *buf, size_t len)
{
	size_t	i, o = 0;

	if (cfg->dns.nmx_hosts == 0)
		return ("the relay (set dns.mx_hosts to name it here)");
	buf[0] = '\0';
	for (i = 0; i < cfg->dns.nmx_hosts && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s",
		    i > 0 ? ", " : "", cfg->dns.mx_hosts[i]);
	return (buf);
}

/* domchk_mx - an MX item for NAME with the relay's hosts (or, when
 * dns.mx_hosts is not set, unknown); NULL when memory is short */
static struct domchk_rec *
domchk_mx(struct domchk_plan *p, const struct cfg *cfg, const char *id,
    const char *name, const char *purpose)
{
	struct domchk_rec *r;

	if ((r = domchk_add(p, id, DNS_MX, purpose)) == NULL)
		return (NULL);
	domchk_name(r, NULL, name);
	r->hosts = cfg->dns.mx_hosts;
	r->nhosts = cfg->dns.nmx_hosts;
	if (r->nhosts == 0)
		r->unset = "dns.mx_hosts";
	return (r);
}

/* domchk_inbound - the items of inbound mail: MX records, or the
 * instructions of the redirect scenarios; 0 or -1 */
static int
domchk_inbound(struct domchk_plan *p, const struct cfg *cfg)
{
	const struct cfg_domain *d = p->d;
	char	relay[1024];
	size_t	i;
	int	redirect;

	if (!domchk_receives(d))
		return (domchk_note(p, "%s receives no mail here (no inbound "
		    "address, no catch-all): no MX record", d->name));
	redirect = d->inbound == CFG_INBOUND_REDIRECT ||
	    d->inbound == CFG_INBOUND_HOSTED_REDIRECT;
	if (d->inbound == CFG_INBOUND_HOSTED ||
	    d->inbound == CFG_INBOUND_HOSTED_REDIRECT)
		if (domchk_note(p, "%s is a hosted subdomain of %s: its records "
		    "belong in the operator's zone", d->name,
		    cfg->dns.hosted_domain ? cfg->dns.hosted_domain : "?") != 0)
			return (-1);
	if (!redirect) {
		if (cfg->dns.nmx_hosts == 0 && domchk_note(p, "the MX records of "
		    "%s point at the relay's hosts: set dns.mx_hosts in "
		    "mailacd.conf to print them", d->name) != 0)
			return (-1);
		return (domchk_mx(p, cfg, "mx", d->name, "inbound mail to the "
		    "relay") != NULL ? 0 : -1);
	}
	if (d->inbound == CFG_INBOUND_REDIRECT) {
		if (domchk_note(p, "inbound \"redirect\": no MX record for %s "
		    "here; the mail server that receives its mail keeps doing "
		    "so", d->name) != 0 ||
		    domchk_note(p, "on that server, keep a copy of each message "
		    "to these addresses and redirect it, envelope recipient "
		    "unchanged, to %s:", domchk_relay(cfg, relay,
		    sizeof(relay))) != 0)
			return (-1);
	} else if (domchk_note(p, "inbound \"hosted-redirect\": no MX record "
	    "here; the operator's zone routes mail for %s to the relay",
	    d->name) != 0 ||
	    domchk_note(p, "on your own mail server, keep a copy of each message "
	    "your customers send and redirect it to the registered address "
	    "it is for:") != 0)
		return (-1);
	for (i = 0; i < d->naddresses; i++)
		if (d->addresses[i].enabled &&
		    (d->addresses[i].direction & CFG_DIR_INBOUND) &&
		    domchk_note(p, "  %s", d->addresses[i].address) != 0)
			return (-1);
	if (d->catch_all != NULL && domchk_note(p, "  any other address of %s "
	    "(catch-all)", d->name) != 0)
		return (-1);
	return (domchk_note(p, "mailacd then identifies the customer by the "
	    "header From/Reply-To (a redirect rewrites the envelope sender) "
	    "and the original recipient by the forwarding headers"));
}

/* domchk_bounce - the items of the bounce domain: MX and SPF of a
 * contact-center domain's bounce_domain, or the CNAME of a campaign or
 * notification domain's (bounce.DOMAIN when it has none); 0 or -1 */
static int
domchk_bounce(struct domchk_plan *p, const struct cfg *cfg)
{
	const struct cfg_domain *d = p->d;
	struct domchk_rec *r;

	if (d->kind != CFG_KIND_CONTACT_CENTER) {
		if ((r = domchk_add(p, "bounce-cname", DNS_CNAME, "bounce domain "
		    "of campaign and notification mail")) == NULL)
			return (-1);
		if (d->bounce_domain != NULL)
			domchk_name(r, NULL, d->bounce_domain);
		else
			domchk_name(r, DOMCHK_BOUNCE_LABEL, d->name);
		if (cfg->dns.bounce_target == NULL) {
			char	name[DOMCHK_NAME_MAX];

			r->unset = "dns.bounce_target";
			/* domchk_note moves the records: R goes stale */
			snprintf(name, sizeof(name), "%s", r->name);
			return (domchk_note(p, "the CNAME of %s points at the "
			    "relay's bounce host: set dns.bounce_target in "
			    "mailacd.conf to print it", name));
		}
		return ((r->value = strdup(cfg->dns.bounce_target)) != NULL ?
		    0 : -1);
	}
	if (d->bounce_domain == NULL)
		return (domchk_note(p, "no bounce_domain: outbound mail keeps %s "
		    "as its envelope sender, whose own SPF record must allow "
		    "the relay", d->name));
	if (domchk_mx(p, cfg, "bounce-mx", d->bounce_domain, "bounces reach the "
	    "relay") == NULL)
		return (-1);
	if (cfg->dns.nmx_hosts == 0 && domchk_note(p, "the MX records of %s "
	    "point at the relay's hosts: set dns.mx_hosts in mailacd.conf to "
	    "print them", d->bounce_domain) != 0)
		return (-1);
	if ((r = domchk_add(p, "bounce-spf", DNS_TXT, "SPF of the envelope "
	    "sender domain")) == NULL)
		return (-1);
	domchk_name(r, NULL, d->bounce_domain);
	r->prefix = "v=spf1";
	if (cfg->dns.spf == NULL) {
		r->unset = "dns.spf";
		return (domchk_note(p, "the SPF record of %s: set dns.spf in "
		    "mailacd.conf to print it", d->bounce_domain));
	}
	return ((r->value = strdup(cfg->dns.spf)) != NULL ? 0 : -1);
}

/* domchk_plan_free - free what the plan holds (not the plan) */
void
domchk_plan_free(struct domchk_plan *p)
{
	size_t	i, j;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].value);
		for (j = 0; j < p->v[i].nfound; j++)
			free(p->v[i].found[j]);
		free(p->v[i].found);
	}
	free(p->v);
	memset(p, 0, sizeof(*p));
}

/* domchk_plan_make - every record domain D of CFG needs, in the order they
 * are printed; 0, or -1 with the reason in ERR (domchk_plan_free() it
 * either way) */
int
domchk_plan_make(const struct cfg *cfg, const struct cfg_domain *d,
    struct domchk_plan *p, char *err, size_t errlen)
{
	struct domchk_rec *r;

	memset(p, 0, sizeof(*p));
	p->d = d;
	p->status = DOMCHK_NOTYET;
	snprintf(err, errlen, "out of memory");
	if (d->require_verification) {
		if ((r = domchk_add(p, "ownership", DNS_TXT, "ownership: proves "
		    "the domain is the organization's")) == NULL)
			return (-1);
		domchk_name(r, DOMCHK_OWNER_LABEL, d->name);
		if ((r->value = malloc(DTOKEN_LEN + 1)) == NULL)
			return (-1);
		if (cfg->dns.verification_secret == NULL ||
		    dtoken_make(cfg->dns.verification_secret, d->org->id,
		    d->name, r->value, DTOKEN_LEN + 1) != 0) {
			snprintf(err, errlen, "%s: cannot make the ownership "
			    "token (dns.verification_secret)", d->name);
			return (-1);
		}
	}
	if (domchk_inbound(p, cfg) != 0)
		return (-1);
	if (d->dkim != NULL) {
		if ((r = domchk_add(p, "dkim", DNS_TXT, "DKIM public key")) ==
		    NULL)
			return (-1);
		snprintf(r->name, sizeof(r->name), "%s._domainkey.%s",
		    d->dkim->selector, d->name);
		r->loose = 1;
		if ((r->value = domchk_dkim_value(d->dkim, err, errlen)) == NULL)
			return (-1);
	}
	return (domchk_bounce(p, cfg));
}

/* domchk_escape - S as dns.h gives TXT answers: octets outside printable
 * ASCII, and "\", as \DDD; malloc'd or NULL */
static char *
domchk_escape(const char *s)
{
	char	*e, *o;

	if ((e = malloc(strlen(s) * 4 + 1)) == NULL)
		return (NULL);
	for (o = e; *s != '\0'; s++) {
		if (*s == '\\' || (unsigned char)*s < 0x20 ||
		    (unsigned char)*s > 0x7e)
			o += sprintf(o, "\\%03u", (unsigned char)*s);
		else
			*o++ = *s;
	}
	*o = '\0';
	return (e);
}

/* domchk_eq_loose - A and B are the same but for blanks */
static int
domchk_eq_loose(const char *a, const char *b)
{
	for (;;) {
		while (*a == ' ' || *a == '\t')
			a++;
		while (*b == ' ' || *b == '\t')
			b++;
		if (*a != *b)
			return (0);
		if (*a == '\0')
			return (1);
		a++;
		b++;
	}
}

/* domchk_mx_host - the host of an MX answer "PREF HOST" */
static const char *
domchk_mx_host(const char *answer)
{
	const char *sp = strchr(answer, ' ');

	return (sp != NULL ? sp + 1 : answer);
}

/* domchk_mx_same - the hosts of MX answers FOUND (N) are the hosts of R,
 * case, a final dot and preferences aside */
static int
domchk_mx_same(const struct domchk_rec *r, char *const *found, size_t n)
{
	size_t	i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < r->nhosts; j++)
			if (dns_name_eq(domchk_mx_host(found[i]), r->hosts[j]))
				break;
		if (j == r->nhosts)
			return (0);
	}
	for (j = 0; j < r->nhosts; j++) {
		for (i = 0; i < n; i++)
			if (dns_name_eq(domchk_mx_host(found[i]), r->hosts[j]))
				break;
		if (i == n)
			return (0);
	}
	return (1);
}

/* domchk_compare - R's status from the answers in RES (DNS_FOUND); the
 * answers that are about R are kept in R->found; 0 or -1 */
static int
domchk_compare(struct domchk_rec *r, const struct dns_result *res)
{
	char	*want = NULL;
	size_t	i, plen;
	int	match = 0;

	if ((r->found = calloc(res->count + 1, sizeof(*r->found))) == NULL)
		return (-1);
	if (r->type == DNS_TXT && (want = domchk_escape(r->value)) == NULL)
		return (-1);
	plen = r->prefix != NULL ? strlen(r->prefix) : 0;
	for (i = 0; i < res->count; i++) {
		const char *a = res->answers[i];

		/* SPF: other TXT records share the name */
		if (r->prefix != NULL && (strncasecmp(a, r->prefix,
		    plen) != 0 || (a[plen] != ' ' && a[plen] != '\0')))
			continue;
		if ((r->found[r->nfound] = strdup(a)) == NULL) {
			free(want);
			return (-1);
		}
		r->nfound++;
		if (r->type == DNS_TXT && (r->loose ? domchk_eq_loose(a, want) :
		    strcmp(a, want) == 0))
			match = 1;
		if (r->type == DNS_CNAME && dns_name_eq(a, r->value))
			match = 1;
	}
	free(want);
	if (r->type == DNS_MX)
		match = domchk_mx_same(r, res->answers, res->count);
	if (match)
		r->status = DOMCHK_OK;
	else if (r->nfound == 0) {
		r->status = DOMCHK_MISSING;
		snprintf(r->reason, sizeof(r->reason), "no %s record among the "
		    "%s records of %.180s", r->prefix != NULL ? r->prefix :
		    "such", dns_type_name(r->type), r->name);
	} else
		r->status = DOMCHK_WRONG;
	return (0);
}

/* domchk_check - ask DNS (NULL: it could not be made, DNSERR says why) for
 * every record of P and set their status and the domain's; 0, or -1 when
 * memory is short */
int
domchk_check(struct dns *dns, const char *dnserr, struct domchk_plan *p)
{
	struct dns_result res;
	struct domchk_rec *r;
	size_t	i;
	int	bad = 0, unchecked = 0;

	memset(&res, 0, sizeof(res));
	for (i = 0; i < p->n; i++) {
		r = &p->v[i];
		if (r->type == 0)
			continue;
		if (r->unset != NULL) {
			r->status = DOMCHK_UNCHECKED;
			snprintf(r->reason, sizeof(r->reason), "%s is not set "
			    "in the configuration: nothing to compare with",
			    r->unset);
		} else if (dns == NULL) {
			r->status = DOMCHK_UNCHECKED;
			snprintf(r->reason, sizeof(r->reason), "%s", dnserr);
		} else {
			switch (dns_lookup(dns, r->name, r->type, &res)) {
			case DNS_FOUND:
				if (domchk_compare(r, &res) != 0) {
					dns_result_clear(&res);
					return (-1);
				}
				break;
			case DNS_MISSING:
				r->status = DOMCHK_MISSING;
				snprintf(r->reason, sizeof(r->reason), "%s",
				    res.reason);
				break;
			default:
				r->status = DOMCHK_UNCHECKED;
				snprintf(r->reason, sizeof(r->reason), "%s",
				    res.reason);
				break;
			}
			dns_result_clear(&res);
		}
		if (r->status == DOMCHK_MISSING || r->status == DOMCHK_WRONG)
			bad = 1;
		else if (r->status == DOMCHK_UNCHECKED)
			unchecked = 1;
	}
	p->status = bad ? DOMCHK_WRONG : unchecked ? DOMCHK_UNCHECKED : DOMCHK_OK;
	return (0);
}

/* domchk_find_rec - the record ID of P, or NULL */
const struct domchk_rec *
domchk_find_rec(const struct domchk_plan *p, const char *id)
{
	size_t	i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].id, id) == 0)
			return (&p->v[i]);
	return (NULL);
}

/* domchk_expected - what R asks for, one line, into BUF */
const char *
domchk_expected(const struct domchk_rec *r, char *buf, size_t len)
{
	size_t	i, o = 0;

	if (r->type == DNS_MX) {
		buf[0] = '\0';
		for (i = 0; i < r->nhosts && o < len; i++)
			o += (size_t)snprintf(buf + o, len - o, "%s%s",
			    i > 0 ? ", " : "", r->hosts[i]);
		if (o < len)
			snprintf(buf + o, len - o, " (any preference)");
		return (buf);
	}
	if (r->type == DNS_TXT)
		snprintf(buf, len, "\"%s\"", r->value);
	else
		snprintf(buf, len, "%s", r->value);
	return (buf);
}

/* domchk_summary - "ownership=ok mx=missing ..." (ALL) or the ids missing or
 * wrong, into BUF */
void
domchk_summary(const struct domchk_plan *p, int all, char *buf, size_t len)
{
	const struct domchk_rec *r;
	size_t	i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < p->n && o < len; i++) {
		r = &p->v[i];
		if (r->type == 0 || (!all && r->status != DOMCHK_MISSING &&
		    r->status != DOMCHK_WRONG))
			continue;
		if (all)
			o += (size_t)snprintf(buf + o, len - o, "%s%s=%s",
			    o > 0 ? " " : "", r->id,
			    domchk_status_name(r->status));
		else
			o += (size_t)snprintf(buf + o, len - o, "%s%s",
			    o > 0 ? " " : "", r->id);
	}
}

/* domchk_store - HSET the result, HSETNX verified_at when ownership passed */
int
domchk_store(redisContext *c, const struct domchk_plan *p, char *err,
    size_t errlen)
{
	const struct domchk_rec *own = domchk_find_rec(p, "ownership");
	char	key[DOMCHK_NAME_MAX + CFG_NAME_MAX + 32], recs[512], failed[512];
	char	at[32], why[256];
	const char *verb = "HSET";
	redisReply *r;

	if (keys_fmt(key, sizeof(key), KEYS_FMT_DOMAIN, p->d->org->id,
	    p->d->name) != 0) {
		snprintf(err, errlen, "domain %s: key too long", p->d->name);
		return (-1);
	}
	domchk_summary(p, 1, recs, sizeof(recs));
	domchk_summary(p, 0, failed, sizeof(failed));
	snprintf(at, sizeof(at), "%" PRId64, p->checked_at);
	r = redisCommand(c, "HSET %s " KEYS_F_DOM_STATUS " %s "
	    KEYS_F_DOM_CHECKED_AT " %s " KEYS_F_DOM_OWNERSHIP " %s "
	    KEYS_F_DOM_RECORDS " %s " KEYS_F_DOM_FAILED " %s", key,
	    domchk_domain_status(p->status), at, own != NULL ?
	    domchk_status_name(own->status) : "not-required", recs, failed);
	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		goto fail;
	freeReplyObject(r);
	if (own == NULL || own->status != DOMCHK_OK)
		return (0);
	/* the first time only: the activation period counts from it */
	verb = "HSETNX";
	r = redisCommand(c, "HSETNX %s " KEYS_F_DOM_VERIFIED_AT " %s", key, at);
	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		goto fail;
	freeReplyObject(r);
	return (0);
fail:
	rds_error(c, r, why, sizeof(why));
	snprintf(err, errlen, "%s %s: %s", verb, key, why);
	if (r != NULL)
		freeReplyObject(r);
	return (-1);
}
