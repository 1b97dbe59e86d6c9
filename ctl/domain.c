/* domain.c - "mailacdctl domain records DOMAIN" and "mailacdctl domain
 * check DOMAIN | --all".
 *
 * "records" prints every DNS record the administrator of a configured
 * domain must publish for what mailacd.conf says about it: the ownership
 * TXT record (the token of dtoken.h), the MX records of inbound mail (or,
 * for the redirect scenarios, what to set up on the company's own server
 * instead), the DKIM key's TXT record, and the bounce domain's MX and SPF
 * records or, for campaign and notification domains, its CNAME.  "check"
 * asks the DNS (dns.c) for each of them and says ok, missing, wrong or
 * unchecked ("could not check": a timeout or SERVFAIL is never "missing"),
 * and keeps the result in Redis, mailacd:{ORG}:domain:NAME, where the
 * milter, the router and "status" read it.
 *
 * The first half of the file knows nothing of output or Redis: a plan
 * (dom_plan_make) is the list of records of one domain, dom_check fills in
 * what the DNS said.  The second half prints and stores. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ctl.h"
#include "dns.h"
#include "dtoken.h"
#include "json.h"
#include "keys.h"
#include "tbl.h"

#define DOM_TTL		3600	/* the TTL the zone lines suggest */
#define DOM_STRING_MAX	255	/* octets of one DNS character-string */
#define DOM_NAME_MAX	(CFG_DOMAIN_MAX + 80)	/* a domain and a prefix */
#define DOM_MX_PREF	10
#define DOM_OWNER_LABEL	"_mailacd"	/* the ownership record's name */
#define DOM_BOUNCE_LABEL "bounce"	/* campaign bounce CNAME by default */

#define DOM_USAGE \
	"usage: mailacdctl [-c file] domain records [--json] [-o org] " \
	"domain\n" \
	"       mailacdctl [-c file] domain check [--json] [-o org] " \
	"[-s addr[@port]] domain | --all"

/* What a check found about one record. */
enum dom_status {
	DOM_NOTYET = -1,	/* not asked (yet) */
	DOM_OK = 0,
	DOM_MISSING = 1,
	DOM_WRONG = 2,
	DOM_UNCHECKED = 3	/* could not check */
};

/* One item of a plan: a record to publish, or (type 0) a line of
 * instructions for the administrator. */
struct dom_rec {
	const char *id;		/* "ownership", "mx", "dkim", "bounce-mx",
				   "bounce-spf", "bounce-cname"; "note" */
	int	type;		/* DNS_TXT, DNS_MX, DNS_CNAME; 0: a note */
	char	name[DOM_NAME_MAX];	/* lower case, no final dot */
	char	*value;		/* TXT: the text; CNAME: the target; a note:
				   its text; NULL for MX */
	char *const *hosts;	/* MX: the hosts (the configuration's) */
	size_t	nhosts;
	const char *purpose;
	const char *unset;	/* the setting whose absence leaves the value
				   unknown ("dns.mx_hosts"), or NULL */
	int	loose;		/* TXT: blanks do not matter (DKIM tags) */
	const char *prefix;	/* TXT: only answers that begin with it are
				   about this record ("v=spf1"), or NULL */
	/* filled by dom_check */
	int	status;		/* enum dom_status */
	char	**found;	/* what the DNS answered, as dns.h has it */
	size_t	nfound;
	char	reason[DNS_REASON_MAX];	/* missing, unchecked: why */
};

/* The records of one domain. */
struct dom_plan {
	const struct cfg_domain *d;
	struct dom_rec *v;
	size_t	n;
	int	status;		/* the domain's: DOM_OK (passed), DOM_WRONG
				   (failed, something missing or wrong),
				   DOM_UNCHECKED */
	int64_t	checked_at;
};

/* dom_status_name - a record's status as "check" prints it */
static const char *
dom_status_name(int status)
{
	switch (status) {
	case DOM_OK:
		return ("ok");
	case DOM_MISSING:
		return ("missing");
	case DOM_WRONG:
		return ("wrong");
	case DOM_UNCHECKED:
		return ("unchecked");
	}
	return ("-");
}

/* dom_domain_status - a domain's status word: passed, failed, unchecked */
static const char *
dom_domain_status(int status)
{
	return (status == DOM_OK ? "passed" : status == DOM_UNCHECKED ?
	    "unchecked" : "failed");
}

/* dom_add - a new, empty item at the end of P; NULL when memory is short */
static struct dom_rec *
dom_add(struct dom_plan *p, const char *id, int type, const char *purpose)
{
	struct dom_rec *v, *r;

	if ((v = reallocarray(p->v, p->n + 1, sizeof(*v))) == NULL)
		return (NULL);
	p->v = v;
	r = &v[p->n++];
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->type = type;
	r->purpose = purpose;
	r->status = DOM_NOTYET;
	return (r);
}

/* dom_note - append a line of instructions, printf-style; 0 or -1 */
static int __attribute__((format(printf, 2, 3)))
dom_note(struct dom_plan *p, const char *fmt, ...)
{
	struct dom_rec *r;
	va_list	ap;
	int	n;

	if ((r = dom_add(p, "note", 0, NULL)) == NULL)
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

/* dom_name - "PREFIX.DOMAIN" (or DOMAIN when PREFIX is NULL) into R */
static void
dom_name(struct dom_rec *r, const char *prefix, const char *domain)
{
	if (prefix != NULL)
		snprintf(r->name, sizeof(r->name), "%s.%s", prefix, domain);
	else
		snprintf(r->name, sizeof(r->name), "%s", domain);
}

/* dom_dkim_value - the TXT value publishing the public half of key K:
 * "v=DKIM1; k=rsa; p=" and the base64 of the DER SubjectPublicKeyInfo
 * (RFC 6376 3.6.1), or for Ed25519 "k=ed25519" and the raw 32 octets
 * (RFC 8463), as "mailacdctl dkim genkey" prints it; malloc'd, or NULL
 * with the reason in ERR */
static char *
dom_dkim_value(const struct cfg_dkim *k, char *err, size_t errlen)
{
	unsigned char raw[32], *der = NULL;
	const unsigned char *pub;
	const char *tags;
	EVP_PKEY *pk = NULL;
	BIO	*b = NULL;
	char	*v = NULL;
	size_t	n, t;
	int	len;

	if (k->key == NULL || (b = BIO_new_mem_buf(k->key, -1)) == NULL ||
	    (pk = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL) {
		snprintf(err, errlen, "%s: cannot read the private key",
		    k->key_file);
		goto out;
	}
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519) {
		tags = "v=DKIM1; k=ed25519; p=";
		n = sizeof(raw);
		if (EVP_PKEY_get_raw_public_key(pk, raw, &n) != 1 ||
		    n != sizeof(raw)) {
			snprintf(err, errlen, "%s: no public key", k->key_file);
			goto out;
		}
		pub = raw;
	} else {
		tags = "v=DKIM1; k=rsa; p=";
		if ((len = i2d_PUBKEY(pk, &der)) <= 0) {
			snprintf(err, errlen, "%s: no public key", k->key_file);
			goto out;
		}
		pub = der;
		n = (size_t)len;
	}
	t = strlen(tags);
	if ((v = malloc(t + 4 * ((n + 2) / 3) + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	memcpy(v, tags, t);
	EVP_EncodeBlock((unsigned char *)v + t, pub, (int)n);
out:
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
	BIO_free(b);
	return (v);
}

/* dom_receives - D receives mail: an enabled address that takes inbound
 * mail, or a catch-all */
static int
dom_receives(const struct cfg_domain *d)
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

/* dom_relay - the relay's MX hosts for a sentence: "mx1.example,
 * mx2.example", or "the relay" when none are configured, into BUF */
static const char *
dom_relay(const struct cfg *cfg, char *buf, size_t len)
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

/* dom_mx - an MX item for NAME with the relay's hosts (or, when
 * dns.mx_hosts is not set, unknown); NULL when memory is short */
static struct dom_rec *
dom_mx(struct dom_plan *p, const struct cfg *cfg, const char *id,
    const char *name, const char *purpose)
{
	struct dom_rec *r;

	if ((r = dom_add(p, id, DNS_MX, purpose)) == NULL)
		return (NULL);
	dom_name(r, NULL, name);
	r->hosts = cfg->dns.mx_hosts;
	r->nhosts = cfg->dns.nmx_hosts;
	if (r->nhosts == 0)
		r->unset = "dns.mx_hosts";
	return (r);
}

/* dom_inbound - the items of inbound mail: MX records, or the
 * instructions of the redirect scenarios; 0 or -1 */
static int
dom_inbound(struct dom_plan *p, const struct cfg *cfg)
{
	const struct cfg_domain *d = p->d;
	char	relay[1024];
	size_t	i;
	int	redirect;

	if (!dom_receives(d))
		return (dom_note(p, "%s receives no mail here (no inbound "
		    "address, no catch-all): no MX record", d->name));
	redirect = d->inbound == CFG_INBOUND_REDIRECT ||
	    d->inbound == CFG_INBOUND_HOSTED_REDIRECT;
	if (d->inbound == CFG_INBOUND_HOSTED ||
	    d->inbound == CFG_INBOUND_HOSTED_REDIRECT)
		if (dom_note(p, "%s is a hosted subdomain of %s: its records "
		    "belong in the operator's zone", d->name,
		    cfg->dns.hosted_domain ? cfg->dns.hosted_domain : "?") != 0)
			return (-1);
	if (!redirect) {
		if (cfg->dns.nmx_hosts == 0 && dom_note(p, "the MX records of "
		    "%s point at the relay's hosts: set dns.mx_hosts in "
		    "mailacd.conf to print them", d->name) != 0)
			return (-1);
		return (dom_mx(p, cfg, "mx", d->name, "inbound mail to the "
		    "relay") != NULL ? 0 : -1);
	}
	if (d->inbound == CFG_INBOUND_REDIRECT) {
		if (dom_note(p, "inbound \"redirect\": no MX record for %s "
		    "here; the mail server that receives its mail keeps doing "
		    "so", d->name) != 0 ||
		    dom_note(p, "on that server, keep a copy of each message "
		    "to these addresses and redirect it, envelope recipient "
		    "unchanged, to %s:", dom_relay(cfg, relay,
		    sizeof(relay))) != 0)
			return (-1);
	} else if (dom_note(p, "inbound \"hosted-redirect\": no MX record "
	    "here; the operator's zone routes mail for %s to the relay",
	    d->name) != 0 ||
	    dom_note(p, "on your own mail server, keep a copy of each message "
	    "your customers send and redirect it to the registered address "
	    "it is for:") != 0)
		return (-1);
	for (i = 0; i < d->naddresses; i++)
		if (d->addresses[i].enabled &&
		    (d->addresses[i].direction & CFG_DIR_INBOUND) &&
		    dom_note(p, "  %s", d->addresses[i].address) != 0)
			return (-1);
	if (d->catch_all != NULL && dom_note(p, "  any other address of %s "
	    "(catch-all)", d->name) != 0)
		return (-1);
	return (dom_note(p, "mailacd then identifies the customer by the "
	    "header From/Reply-To (a redirect rewrites the envelope sender) "
	    "and the original recipient by the forwarding headers"));
}

/* dom_bounce - the items of the bounce domain: MX and SPF of a
 * contact-center domain's bounce_domain, or the CNAME of a campaign or
 * notification domain's (bounce.DOMAIN when it has none); 0 or -1 */
static int
dom_bounce(struct dom_plan *p, const struct cfg *cfg)
{
	const struct cfg_domain *d = p->d;
	struct dom_rec *r;

	if (d->kind != CFG_KIND_CONTACT_CENTER) {
		if ((r = dom_add(p, "bounce-cname", DNS_CNAME, "bounce domain "
		    "of campaign and notification mail")) == NULL)
			return (-1);
		if (d->bounce_domain != NULL)
			dom_name(r, NULL, d->bounce_domain);
		else
			dom_name(r, DOM_BOUNCE_LABEL, d->name);
		if (cfg->dns.bounce_target == NULL) {
			r->unset = "dns.bounce_target";
			return (dom_note(p, "the CNAME of %s points at the "
			    "relay's bounce host: set dns.bounce_target in "
			    "mailacd.conf to print it", r->name));
		}
		return ((r->value = strdup(cfg->dns.bounce_target)) != NULL ?
		    0 : -1);
	}
	if (d->bounce_domain == NULL)
		return (dom_note(p, "no bounce_domain: outbound mail keeps %s "
		    "as its envelope sender, whose own SPF record must allow "
		    "the relay", d->name));
	if (dom_mx(p, cfg, "bounce-mx", d->bounce_domain, "bounces reach the "
	    "relay") == NULL)
		return (-1);
	if (cfg->dns.nmx_hosts == 0 && dom_note(p, "the MX records of %s "
	    "point at the relay's hosts: set dns.mx_hosts in mailacd.conf to "
	    "print them", d->bounce_domain) != 0)
		return (-1);
	if ((r = dom_add(p, "bounce-spf", DNS_TXT, "SPF of the envelope "
	    "sender domain")) == NULL)
		return (-1);
	dom_name(r, NULL, d->bounce_domain);
	r->prefix = "v=spf1";
	if (cfg->dns.spf == NULL) {
		r->unset = "dns.spf";
		return (dom_note(p, "the SPF record of %s: set dns.spf in "
		    "mailacd.conf to print it", d->bounce_domain));
	}
	return ((r->value = strdup(cfg->dns.spf)) != NULL ? 0 : -1);
}

/* dom_plan_free - free what the plan holds (not the plan) */
static void
dom_plan_free(struct dom_plan *p)
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

/* dom_plan_make - every record domain D of CFG needs, in the order they
 * are printed; 0, or -1 with the reason in ERR (dom_plan_free() it
 * either way) */
static int
dom_plan_make(const struct cfg *cfg, const struct cfg_domain *d,
    struct dom_plan *p, char *err, size_t errlen)
{
	struct dom_rec *r;

	memset(p, 0, sizeof(*p));
	p->d = d;
	p->status = DOM_NOTYET;
	snprintf(err, errlen, "out of memory");
	if (d->require_verification) {
		if ((r = dom_add(p, "ownership", DNS_TXT, "ownership: proves "
		    "the domain is the organization's")) == NULL)
			return (-1);
		dom_name(r, DOM_OWNER_LABEL, d->name);
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
	if (dom_inbound(p, cfg) != 0)
		return (-1);
	if (d->dkim != NULL) {
		if ((r = dom_add(p, "dkim", DNS_TXT, "DKIM public key")) ==
		    NULL)
			return (-1);
		snprintf(r->name, sizeof(r->name), "%s._domainkey.%s",
		    d->dkim->selector, d->name);
		r->loose = 1;
		if ((r->value = dom_dkim_value(d->dkim, err, errlen)) == NULL)
			return (-1);
	}
	return (dom_bounce(p, cfg));
}

/* dom_escape - S as dns.h gives TXT answers: octets outside printable
 * ASCII, and "\", as \DDD; malloc'd or NULL */
static char *
dom_escape(const char *s)
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

/* dom_eq_loose - A and B are the same but for blanks */
static int
dom_eq_loose(const char *a, const char *b)
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

/* dom_mx_host - the host of an MX answer "PREF HOST" */
static const char *
dom_mx_host(const char *answer)
{
	const char *sp = strchr(answer, ' ');

	return (sp != NULL ? sp + 1 : answer);
}

/* dom_mx_same - the hosts of MX answers FOUND (N) are the hosts of R,
 * case, a final dot and preferences aside */
static int
dom_mx_same(const struct dom_rec *r, char *const *found, size_t n)
{
	size_t	i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < r->nhosts; j++)
			if (dns_name_eq(dom_mx_host(found[i]), r->hosts[j]))
				break;
		if (j == r->nhosts)
			return (0);
	}
	for (j = 0; j < r->nhosts; j++) {
		for (i = 0; i < n; i++)
			if (dns_name_eq(dom_mx_host(found[i]), r->hosts[j]))
				break;
		if (i == n)
			return (0);
	}
	return (1);
}

/* dom_compare - R's status from the answers in RES (DNS_FOUND); the
 * answers that are about R are kept in R->found; 0 or -1 */
static int
dom_compare(struct dom_rec *r, const struct dns_result *res)
{
	char	*want = NULL;
	size_t	i, plen;
	int	match = 0;

	if ((r->found = calloc(res->count + 1, sizeof(*r->found))) == NULL)
		return (-1);
	if (r->type == DNS_TXT && (want = dom_escape(r->value)) == NULL)
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
		if (r->type == DNS_TXT && (r->loose ? dom_eq_loose(a, want) :
		    strcmp(a, want) == 0))
			match = 1;
		if (r->type == DNS_CNAME && dns_name_eq(a, r->value))
			match = 1;
	}
	free(want);
	if (r->type == DNS_MX)
		match = dom_mx_same(r, res->answers, res->count);
	if (match)
		r->status = DOM_OK;
	else if (r->nfound == 0) {
		r->status = DOM_MISSING;
		snprintf(r->reason, sizeof(r->reason), "no %s record among the "
		    "%s records of %.180s", r->prefix != NULL ? r->prefix :
		    "such", dns_type_name(r->type), r->name);
	} else
		r->status = DOM_WRONG;
	return (0);
}

/* dom_check - ask DNS (NULL: it could not be made, DNSERR says why) for
 * every record of P and set their status and the domain's; 0, or -1 when
 * memory is short */
static int
dom_check(struct dns *dns, const char *dnserr, struct dom_plan *p)
{
	struct dns_result res;
	struct dom_rec *r;
	size_t	i;
	int	bad = 0, unchecked = 0;

	memset(&res, 0, sizeof(res));
	for (i = 0; i < p->n; i++) {
		r = &p->v[i];
		if (r->type == 0)
			continue;
		if (r->unset != NULL) {
			r->status = DOM_UNCHECKED;
			snprintf(r->reason, sizeof(r->reason), "%s is not set "
			    "in the configuration: nothing to compare with",
			    r->unset);
		} else if (dns == NULL) {
			r->status = DOM_UNCHECKED;
			snprintf(r->reason, sizeof(r->reason), "%s", dnserr);
		} else {
			switch (dns_lookup(dns, r->name, r->type, &res)) {
			case DNS_FOUND:
				if (dom_compare(r, &res) != 0) {
					dns_result_clear(&res);
					return (-1);
				}
				break;
			case DNS_MISSING:
				r->status = DOM_MISSING;
				snprintf(r->reason, sizeof(r->reason), "%s",
				    res.reason);
				break;
			default:
				r->status = DOM_UNCHECKED;
				snprintf(r->reason, sizeof(r->reason), "%s",
				    res.reason);
				break;
			}
			dns_result_clear(&res);
		}
		if (r->status == DOM_MISSING || r->status == DOM_WRONG)
			bad = 1;
		else if (r->status == DOM_UNCHECKED)
			unchecked = 1;
	}
	p->status = bad ? DOM_WRONG : unchecked ? DOM_UNCHECKED : DOM_OK;
	return (0);
}

/* dom_find_rec - the record ID of P, or NULL */
static const struct dom_rec *
dom_find_rec(const struct dom_plan *p, const char *id)
{
	size_t	i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].id, id) == 0)
			return (&p->v[i]);
	return (NULL);
}

/* The command: output and Redis. */

/* dom_find - the configured domain NAME (any case, one final dot) of the
 * organisation of -o, if any; NULL after one line on stderr */
static const struct cfg_domain *
dom_find(struct ctl *ctl, const char *name)
{
	char	buf[CFG_DOMAIN_MAX + 2];
	const struct cfg_domain *d;
	size_t	len = strlen(name), i;

	if (len > 1 && name[len - 1] == '.')
		len--;
	if (len == 0 || len >= sizeof(buf)) {
		ctl_errx("no domain %s in the configuration", name);
		return (NULL);
	}
	for (i = 0; i < len; i++)
		buf[i] = name[i] >= 'A' && name[i] <= 'Z' ?
		    (char)(name[i] - 'A' + 'a') : name[i];
	buf[len] = '\0';
	if ((d = cfg_find_domain(ctl->cfg, buf)) == NULL) {
		ctl_errx("no domain %s in the configuration", buf);
		return (NULL);
	}
	if (!ctl_org_on(ctl, d->org)) {
		ctl_errx("no domain %s in organisation %s (it is %s's)", buf,
		    ctl->org->id, d->org->id);
		return (NULL);
	}
	return (d);
}

/* dom_zone_string - S as one or more quoted character-strings of at most
 * 255 octets, '"' and '\' escaped, on FP */
static void
dom_zone_string(FILE *fp, const char *s)
{
	size_t	len = strlen(s), n, i;

	do {
		n = len < DOM_STRING_MAX ? len : DOM_STRING_MAX;
		putc(' ', fp);
		putc('"', fp);
		for (i = 0; i < n; i++) {
			if (s[i] == '"' || s[i] == '\\')
				putc('\\', fp);
			putc(s[i], fp);
		}
		putc('"', fp);
		s += n;
		len -= n;
	} while (len > 0);
}

/* dom_zone - the plan as zone-file lines, notes as comments */
static void
dom_zone(FILE *fp, const struct dom_plan *p)
{
	const struct dom_rec *r;
	size_t	i, j;

	fprintf(fp, "; %s: organization %s, kind %s, inbound %s\n",
	    p->d->name, p->d->org->id, cfg_kind_name(p->d->kind),
	    cfg_inbound_name(p->d->inbound));
	for (i = 0; i < p->n; i++) {
		r = &p->v[i];
		if (r->type == 0) {
			fputs("; ", fp);
			tbl_text(fp, r->value);
			putc('\n', fp);
			continue;
		}
		if (r->unset != NULL)
			continue;	/* a note says what to set */
		switch (r->type) {
		case DNS_TXT:
			fprintf(fp, "%s. %d IN TXT", r->name, DOM_TTL);
			dom_zone_string(fp, r->value);
			putc('\n', fp);
			break;
		case DNS_MX:
			for (j = 0; j < r->nhosts; j++)
				fprintf(fp, "%s. %d IN MX %d %s.\n", r->name,
				    DOM_TTL, DOM_MX_PREF, r->hosts[j]);
			break;
		case DNS_CNAME:
			fprintf(fp, "%s. %d IN CNAME %s.\n", r->name, DOM_TTL,
			    r->value);
			break;
		}
	}
}

/* dom_table - the plan's records as a table: NAME TYPE VALUE PURPOSE;
 * 0, or -1 when memory is short */
static int
dom_table(FILE *fp, const struct dom_plan *p)
{
	static const char *const head[] = { "NAME", "TYPE", "VALUE",
	    "PURPOSE" };
	const struct dom_rec *r;
	const char *cell[4];
	char	val[DOM_NAME_MAX + 16], unset[64];
	struct tbl *t;
	size_t	i, j;

	if ((t = tbl_new(4, head)) == NULL)
		return (-1);
	for (i = 0; i < p->n; i++) {
		r = &p->v[i];
		if (r->type == 0)
			continue;
		cell[0] = r->name;
		cell[1] = dns_type_name(r->type);
		cell[3] = r->purpose;
		if (r->unset != NULL) {
			snprintf(unset, sizeof(unset), "(set %s)", r->unset);
			cell[2] = unset;
			if (tbl_add(t, cell) != 0)
				goto nomem;
			continue;
		}
		if (r->type != DNS_MX) {
			cell[2] = r->value;
			if (tbl_add(t, cell) != 0)
				goto nomem;
			continue;
		}
		for (j = 0; j < r->nhosts; j++) {
			snprintf(val, sizeof(val), "%d %s", DOM_MX_PREF,
			    r->hosts[j]);
			cell[2] = val;
			if (tbl_add(t, cell) != 0)
				goto nomem;
		}
	}
	tbl_print(t, fp);
	tbl_free(t);
	return (0);
nomem:
	tbl_free(t);
	return (-1);
}

/* dom_json_values - the values R asks for, as the JSON array "values" */
static void
dom_json_values(struct jw *j, const struct dom_rec *r)
{
	char	val[DOM_NAME_MAX + 16];
	size_t	i;

	jw_open(j, "values", '[');
	if (r->unset == NULL && r->type == DNS_MX)
		for (i = 0; i < r->nhosts; i++) {
			snprintf(val, sizeof(val), "%d %s", DOM_MX_PREF,
			    r->hosts[i]);
			jw_string(j, NULL, val);
		}
	else if (r->unset == NULL)
		jw_string(j, NULL, r->value);
	jw_close(j, ']');
}

/* dom_json_records - the plan's items as JSON array elements */
static void
dom_json_records(struct jw *j, const struct dom_plan *p)
{
	const struct dom_rec *r;
	size_t	i;

	for (i = 0; i < p->n; i++) {
		r = &p->v[i];
		jw_open(j, NULL, '{');
		jw_string(j, "record", r->id);
		if (r->type == 0) {
			jw_string(j, "text", r->value);
			jw_close(j, '}');
			continue;
		}
		jw_string(j, "name", r->name);
		jw_string(j, "type", dns_type_name(r->type));
		jw_int(j, "ttl", DOM_TTL);
		dom_json_values(j, r);
		if (r->unset != NULL)
			jw_string(j, "unset", r->unset);
		jw_string(j, "purpose", r->purpose);
		jw_close(j, '}');
	}
}

/* dom_records - "domain records DOMAIN": zone lines, then the table, or
 * a JSON array; the exit status */
static int
dom_records(struct ctl *ctl, const char *name)
{
	const struct cfg_domain *d;
	struct dom_plan p;
	char	err[512];
	struct jw j;
	int	st = 0;

	if ((d = dom_find(ctl, name)) == NULL)
		return (CTL_EX_NOTFOUND);
	if (dom_plan_make(ctl->cfg, d, &p, err, sizeof(err)) != 0) {
		ctl_errx("%s", err);
		dom_plan_free(&p);
		return (EX_SOFTWARE);
	}
	if (ctl->json) {
		jw_init(&j, ctl->out);
		jw_open(&j, NULL, '[');
		dom_json_records(&j, &p);
		jw_close(&j, ']');
		jw_end(&j);
	} else {
		dom_zone(ctl->out, &p);
		putc('\n', ctl->out);
		if (dom_table(ctl->out, &p) != 0) {
			ctl_errx("out of memory");
			st = EX_OSERR;
		}
	}
	dom_plan_free(&p);
	return (st);
}

/* dom_expected - what R asks for, one line, into BUF */
static const char *
dom_expected(const struct dom_rec *r, char *buf, size_t len)
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

/* dom_print_check - one domain's result as text */
static void
dom_print_check(FILE *fp, const struct dom_plan *p)
{
	const struct dom_rec *r;
	char	want[4096];
	size_t	i, k;

	fprintf(fp, "%s: %s (organization %s)\n", p->d->name,
	    dom_domain_status(p->status), p->d->org->id);
	for (i = 0; i < p->n; i++) {
		r = &p->v[i];
		if (r->type == 0)
			continue;
		fprintf(fp, "  %-13s %-10s %-6s %s\n", r->id,
		    dom_status_name(r->status), dns_type_name(r->type),
		    r->name);
		if (r->status == DOM_OK)
			continue;
		if (r->status == DOM_UNCHECKED) {
			fputs("      could not check: ", fp);
			tbl_text(fp, r->reason);
			putc('\n', fp);
		} else if (r->status == DOM_MISSING) {
			fputs("      found:    nothing (", fp);
			tbl_text(fp, r->reason);
			fputs(")\n", fp);
		}
		for (k = 0; k < r->nfound; k++) {
			fputs(r->type == DNS_TXT ? "      found:    \"" :
			    "      found:    ", fp);
			tbl_text(fp, r->found[k]);
			fputs(r->type == DNS_TXT ? "\"\n" : "\n", fp);
		}
		if (r->unset == NULL) {
			fputs("      expected: ", fp);
			tbl_text(fp, dom_expected(r, want, sizeof(want)));
			putc('\n', fp);
		}
	}
}

/* dom_json_check - one domain's result as a JSON object; STORED: the
 * result is in Redis */
static void
dom_json_check(struct jw *j, const struct dom_plan *p, int stored)
{
	const struct dom_rec *r;
	size_t	i, k;

	jw_open(j, NULL, '{');
	jw_string(j, "domain", p->d->name);
	jw_string(j, "org", p->d->org->id);
	jw_string(j, "kind", cfg_kind_name(p->d->kind));
	jw_string(j, "inbound", cfg_inbound_name(p->d->inbound));
	jw_string(j, "status", dom_domain_status(p->status));
	jw_int(j, "checked_at", p->checked_at);
	jw_bool(j, "stored", stored);
	jw_open(j, "records", '[');
	for (i = 0; i < p->n; i++) {
		r = &p->v[i];
		if (r->type == 0)
			continue;
		jw_open(j, NULL, '{');
		jw_string(j, "record", r->id);
		jw_string(j, "name", r->name);
		jw_string(j, "type", dns_type_name(r->type));
		jw_string(j, "status", dom_status_name(r->status));
		dom_json_values(j, r);
		if (r->unset != NULL)
			jw_string(j, "unset", r->unset);
		jw_open(j, "found", '[');
		for (k = 0; k < r->nfound; k++)
			jw_string(j, NULL, r->found[k]);
		jw_close(j, ']');
		if (r->reason[0] != '\0')
			jw_string(j, "reason", r->reason);
		else
			jw_null(j, "reason");
		jw_close(j, '}');
	}
	jw_close(j, ']');
	jw_close(j, '}');
}

/* dom_summary - "ownership=ok mx=missing ..." (ALL) or the ids missing or
 * wrong, into BUF */
static void
dom_summary(const struct dom_plan *p, int all, char *buf, size_t len)
{
	const struct dom_rec *r;
	size_t	i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < p->n && o < len; i++) {
		r = &p->v[i];
		if (r->type == 0 || (!all && r->status != DOM_MISSING &&
		    r->status != DOM_WRONG))
			continue;
		if (all)
			o += (size_t)snprintf(buf + o, len - o, "%s%s=%s",
			    o > 0 ? " " : "", r->id,
			    dom_status_name(r->status));
		else
			o += (size_t)snprintf(buf + o, len - o, "%s%s",
			    o > 0 ? " " : "", r->id);
	}
}

/* dom_store - the result of P into mailacd:{ORG}:domain:NAME; 0, or an
 * exit status after the reason on stderr */
static int
dom_store(struct ctl *ctl, const struct dom_plan *p)
{
	const struct dom_rec *own = dom_find_rec(p, "ownership");
	char	key[CTL_KEY_MAX], recs[512], failed[512], at[32];
	redisReply *r;
	int	st;

	if (keys_fmt(key, sizeof(key), KEYS_FMT_DOMAIN, p->d->org->id,
	    p->d->name) != 0) {
		ctl_errx("domain %s: key too long", p->d->name);
		return (EX_SOFTWARE);
	}
	dom_summary(p, 1, recs, sizeof(recs));
	dom_summary(p, 0, failed, sizeof(failed));
	snprintf(at, sizeof(at), "%" PRId64, p->checked_at);
	if ((r = ctl_command(ctl, &st, "HSET", key,
	    "HSET %s " KEYS_F_DOM_STATUS " %s " KEYS_F_DOM_CHECKED_AT " %s "
	    KEYS_F_DOM_OWNERSHIP " %s " KEYS_F_DOM_RECORDS " %s "
	    KEYS_F_DOM_FAILED " %s", key, dom_domain_status(p->status), at,
	    own != NULL ? dom_status_name(own->status) : "not-required", recs,
	    failed)) == NULL)
		return (st);
	freeReplyObject(r);
	if (own == NULL || own->status != DOM_OK)
		return (0);
	/* the first time only: the activation period counts from it */
	if ((r = ctl_command(ctl, &st, "HSETNX", key,
	    "HSETNX %s " KEYS_F_DOM_VERIFIED_AT " %s", key, at)) == NULL)
		return (st);
	freeReplyObject(r);
	return (0);
}

/* One "domain check" run. */
struct dom_run {
	struct ctl *ctl;
	struct dns *dns;	/* NULL: could not be made, see dnserr */
	char	dnserr[DNS_REASON_MAX];
	FILE	*out;		/* the report, copied to stdout at the end */
	struct jw j;
	int	nostore;	/* Redis failed once: do not try again */
	size_t	n[4];		/* domains passed, failed, unchecked */
};

/* dom_check_one - check, print and store domain D; 0, or an exit status
 * when memory is short */
static int
dom_check_one(struct dom_run *run, const struct cfg_domain *d)
{
	struct ctl *ctl = run->ctl;
	struct dom_plan p;
	char	err[512];
	int	stored = 0;

	if (dom_plan_make(ctl->cfg, d, &p, err, sizeof(err)) != 0) {
		ctl_errx("%s", err);
		dom_plan_free(&p);
		return (EX_SOFTWARE);
	}
	if (dom_check(run->dns, run->dnserr, &p) != 0) {
		ctl_errx("out of memory");
		dom_plan_free(&p);
		return (EX_OSERR);
	}
	p.checked_at = ctl_now();
	if (!run->nostore) {
		if (dom_store(ctl, &p) == 0)
			stored = 1;
		else {
			ctl_drop(ctl);
			run->nostore = 1;
			ctl_errx("warning: the results are printed but not "
			    "stored in Redis");
		}
	}
	if (ctl->json)
		dom_json_check(&run->j, &p, stored);
	else
		dom_print_check(run->out, &p);
	run->n[p.status == DOM_OK ? 0 : p.status == DOM_UNCHECKED ? 2 : 1]++;
	dom_plan_free(&p);
	return (0);
}

/* dom_check_cmd - "domain check NAME" or (NAME NULL) every configured
 * domain of the organisations this run looks at; the exit status */
static int
dom_check_cmd(struct ctl *ctl, const char *name, const char *server)
{
	const struct cfg_domain *d = NULL;
	struct dom_run run;
	char	*buf = NULL;
	size_t	len = 0, i, k, total;
	int	st = 0;

	if (name != NULL && (d = dom_find(ctl, name)) == NULL)
		return (CTL_EX_NOTFOUND);
	memset(&run, 0, sizeof(run));
	run.ctl = ctl;
	if (server == NULL)
		server = ctl->cfg->dns.server;
	if ((run.dns = dns_new(server, ctl->cfg->dns.timeout_ms, run.dnserr,
	    sizeof(run.dnserr))) == NULL)
		ctl_errx("DNS: %s", run.dnserr);
	if ((run.out = open_memstream(&buf, &len)) == NULL) {
		dns_free(run.dns);
		ctl_errx("out of memory");
		return (EX_OSERR);
	}
	if (ctl->json) {
		jw_init(&run.j, run.out);
		jw_open(&run.j, NULL, '[');
	}
	if (d != NULL)
		st = dom_check_one(&run, d);
	for (i = 0; d == NULL && st == 0 && i < ctl->cfg->norgs; i++) {
		if (!ctl_org_on(ctl, &ctl->cfg->orgs[i]))
			continue;
		for (k = 0; st == 0 && k < ctl->cfg->orgs[i].ndomains; k++)
			st = dom_check_one(&run, &ctl->cfg->orgs[i].domains[k]);
	}
	total = run.n[0] + run.n[1] + run.n[2];
	if (ctl->json) {
		jw_close(&run.j, ']');
		jw_end(&run.j);
	} else if (d == NULL)
		fprintf(run.out, "%zu domain%s: %zu passed, %zu failed, %zu "
		    "unchecked\n", total, total == 1 ? "" : "s", run.n[0],
		    run.n[1], run.n[2]);
	dns_free(run.dns);
	if (fclose(run.out) != 0 && st == 0) {
		ctl_errx("out of memory");
		st = EX_OSERR;
	}
	if (st == 0) {
		/* main() copies ctl->out only on success: a failed check
		 * is a result, printed here */
		if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0) {
			ctl_errx("stdout: write error");
			st = EX_IOERR;
		} else if (run.n[1] > 0)
			st = 1;
		else if (run.n[2] > 0)
			st = CTL_EX_UNCHECKED;
	}
	free(buf);
	return (st);
}

/* dom_usage - the synopsis on stderr; 64 */
static int
dom_usage(void)
{
	fprintf(stderr, "%s\n", DOM_USAGE);
	return (EX_USAGE);
}

/* domain_cmd - "domain records|check": options, then the subcommand */
int
domain_cmd(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *server = NULL, *sub;
	char	err[DNS_REASON_MAX];
	struct dns *dns;
	int	ch, all = 0, check;

	if (argc < 2) {
		ctl_errx("domain: missing subcommand (records or check)");
		return (dom_usage());
	}
	sub = argv[1];
	if (strcmp(sub, "records") == 0)
		check = 0;
	else if (strcmp(sub, "check") == 0)
		check = 1;
	else {
		ctl_errx("domain: unknown subcommand %s", sub);
		return (dom_usage());
	}
	argc--;
	argv++;
	/* 0: GNU getopt starts afresh (main() parsed with "+") */
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":ho:s:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'a':
			all = 1;
			break;
		case 'j':
			ctl->json = 1;
			break;
		case 'o':
			if ((ctl->org = cfg_find_org(ctl->cfg, optarg)) ==
			    NULL) {
				ctl_errx("-o %s: no such organisation in %s",
				    optarg, ctl->file);
				return (EX_USAGE);
			}
			break;
		case 's':
			server = optarg;
			break;
		case ':':
			ctl_errx("domain %s: option -%c needs an argument", sub,
			    optopt);
			return (dom_usage());
		case '?':
			if (optopt != 0)
				ctl_errx("domain %s: unknown option -%c", sub,
				    optopt);
			else
				ctl_errx("domain %s: unknown option %s", sub,
				    argv[optind - 1]);
			return (dom_usage());
		case 'h':
		default:
			return (dom_usage());
		}
	}
	argc -= optind;
	argv += optind;
	if (!check && (all || server != NULL)) {
		ctl_errx("domain records: --all and -s are options of check");
		return (dom_usage());
	}
	if (all ? argc != 0 : argc != 1) {
		ctl_errx("domain %s: name one domain%s", sub,
		    check ? ", or --all" : "");
		return (dom_usage());
	}
	if (server != NULL) {
		/* a bad -s is a usage error, not "could not check" */
		if ((dns = dns_new(server, ctl->cfg->dns.timeout_ms, err,
		    sizeof(err))) == NULL) {
			ctl_errx("-s %s: %s", server, err);
			return (EX_USAGE);
		}
		dns_free(dns);
	}
	if (!check)
		return (dom_records(ctl, argv[0]));
	return (dom_check_cmd(ctl, all ? NULL : argv[0], server));
}
