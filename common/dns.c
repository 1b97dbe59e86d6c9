/* dns.c - found / missing / failed answers to TXT, MX, CNAME and A
 * questions, through a recursive server (ldns). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include <ldns/ldns.h>

#include "dns.h"

#define DNS_EDNS_SIZE	4096
#define DNS_TRIES	2
#define DNS_MIN_MS	100	/* per try, when resolv.conf's servers share */

struct dns {
	ldns_resolver *res;
	char	where[128];	/* "127.0.0.1@5353", "resolv.conf", for reasons */
	int	try_ms;		/* one try at one server */
};

/* dns_type_name - the mnemonic of a supported type */
const char *
dns_type_name(int type)
{
	switch (type) {
	case DNS_A:
		return ("A");
	case DNS_CNAME:
		return ("CNAME");
	case DNS_MX:
		return ("MX");
	case DNS_TXT:
		return ("TXT");
	}
	return ("?");
}

/* dns_status_name - a word for a lookup status */
const char *
dns_status_name(int status)
{
	switch (status) {
	case DNS_FOUND:
		return ("found");
	case DNS_MISSING:
		return ("missing");
	}
	return ("failed");
}

/* dns_name_eq - compare domain names ignoring case and one trailing dot */
int
dns_name_eq(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b);

	if (la > 1 && a[la - 1] == '.')
		la--;
	if (lb > 1 && b[lb - 1] == '.')
		lb--;
	return (la == lb && strncasecmp(a, b, la) == 0);
}

/* dns_parse_server - "ADDR[@PORT]" into a nameserver rdf and a port */
static ldns_rdf *
dns_parse_server(const char *server, uint16_t *port, char *err,
    size_t errlen)
{
	char	host[INET6_ADDRSTRLEN + 1], *end;
	const char *at;
	unsigned char bin[16];
	size_t	hl;
	long	p = 53;

	at = strrchr(server, '@');
	hl = at ? (size_t)(at - server) : strlen(server);
	if (hl == 0 || hl >= sizeof(host)) {
		snprintf(err, errlen, "DNS server \"%s\": want ADDRESS or "
		    "ADDRESS@PORT", server);
		return (NULL);
	}
	memcpy(host, server, hl);
	host[hl] = '\0';
	if (at != NULL) {
		errno = 0;
		p = strtol(at + 1, &end, 10);
		if (at[1] == '\0' || *end != '\0' || errno != 0 || p < 1 ||
		    p > 65535) {
			snprintf(err, errlen, "DNS server \"%s\": the port "
			    "must be a number from 1 to 65535", server);
			return (NULL);
		}
	}
	*port = (uint16_t)p;
	if (inet_pton(AF_INET, host, bin) == 1)
		return (ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, bin));
	if (inet_pton(AF_INET6, host, bin) == 1)
		return (ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, 16, bin));
	snprintf(err, errlen, "DNS server \"%s\": \"%s\" is not an IPv4 or "
	    "IPv6 address", server, host);
	return (NULL);
}

/* dns_new - a resolver for SERVER or resolv.conf, with bounded waits */
struct dns *
dns_new(const char *server, int timeout_ms, char *err, size_t errlen)
{
	struct dns *dns;
	struct timeval tv;
	ldns_status st;
	ldns_rdf *ns;
	uint16_t port = 53;
	size_t	nns;

	if (timeout_ms <= 0) {
		snprintf(err, errlen, "DNS timeout %d ms: must be positive",
		    timeout_ms);
		return (NULL);
	}
	if ((dns = calloc(1, sizeof(*dns))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	if (server == NULL || *server == '\0') {
		st = ldns_resolver_new_frm_file(&dns->res, NULL);
		if (st != LDNS_STATUS_OK) {
			snprintf(err, errlen, "cannot use /etc/resolv.conf: %s",
			    ldns_get_errorstr_by_id(st));
			free(dns);
			return (NULL);
		}
		snprintf(dns->where, sizeof(dns->where), "the servers of "
		    "/etc/resolv.conf");
	} else {
		if ((ns = dns_parse_server(server, &port, err, errlen)) == NULL) {
			free(dns);
			return (NULL);
		}
		if ((dns->res = ldns_resolver_new()) == NULL ||
		    ldns_resolver_push_nameserver(dns->res, ns) !=
		    LDNS_STATUS_OK) {
			snprintf(err, errlen, "out of memory");
			ldns_rdf_deep_free(ns);
			dns_free(dns);
			return (NULL);
		}
		ldns_rdf_deep_free(ns);
		ldns_resolver_set_port(dns->res, port);
		snprintf(dns->where, sizeof(dns->where), "%s", server);
	}
	if ((nns = ldns_resolver_nameserver_count(dns->res)) == 0) {
		snprintf(err, errlen, "no DNS server in /etc/resolv.conf");
		dns_free(dns);
		return (NULL);
	}
	/* The tries of all servers together fit in about 2 x timeout_ms. */
	dns->try_ms = timeout_ms / (int)nns;
	if (nns > 1 && dns->try_ms < DNS_MIN_MS)
		dns->try_ms = DNS_MIN_MS;
	tv.tv_sec = dns->try_ms / 1000;
	tv.tv_usec = (dns->try_ms % 1000) * 1000;
	ldns_resolver_set_timeout(dns->res, tv);
	ldns_resolver_set_retry(dns->res, DNS_TRIES);
	ldns_resolver_set_retrans(dns->res, 0);	/* no sleep between tries */
	ldns_resolver_set_recursive(dns->res, true);
	ldns_resolver_set_dnssec(dns->res, false);
	ldns_resolver_set_defnames(dns->res, false);
	ldns_resolver_set_dnsrch(dns->res, false);
	ldns_resolver_set_random(dns->res, false);
	ldns_resolver_set_fail(dns->res, false);
	ldns_resolver_set_fallback(dns->res, true);
	ldns_resolver_set_igntc(dns->res, false);
	ldns_resolver_set_usevc(dns->res, false);
	ldns_resolver_set_edns_udp_size(dns->res, DNS_EDNS_SIZE);
	return (dns);
}

/* dns_free - the resolver and its sockets */
void
dns_free(struct dns *dns)
{
	if (dns == NULL)
		return;
	if (dns->res != NULL)
		ldns_resolver_deep_free(dns->res);
	free(dns);
}

/* dns_result_clear - free the answers, empty the result */
void
dns_result_clear(struct dns_result *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->count; i++)
		free(r->answers[i]);
	free(r->answers);
	free(r->canonical);
	memset(r, 0, sizeof(*r));
}

/* dns_set - set STATUS and a reason; returns STATUS */
static int
dns_set(struct dns_result *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
dns_set(struct dns_result *r, int status, const char *fmt, ...)
{
	va_list	ap;

	r->status = status;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	return (status);
}

/* dns_name_str - a dname in presentation form, lower case, without the
 * trailing dot (the root stays "."); NULL when out of memory */
static char *
dns_name_str(const ldns_rdf *rdf)
{
	char   *s, *p;
	size_t	n;

	if ((s = ldns_rdf2str(rdf)) == NULL)
		return (NULL);
	for (p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	n = strlen(s);
	if (n > 1 && s[n - 1] == '.')
		s[n - 1] = '\0';
	return (s);
}

/* dns_print - NAME as dns_name_str has it, into BUF; returns BUF */
static const char *
dns_print(const ldns_rdf *name, char *buf, size_t len)
{
	char   *s;

	s = dns_name_str(name);
	snprintf(buf, len, "%s", s ? s : "the name");
	free(s);
	return (buf);
}

/* dns_txt_str - the character-strings of a TXT record joined, octets
 * outside printable ASCII and "\" as \DDD */
static char *
dns_txt_str(const ldns_rr *rr)
{
	const uint8_t *d;
	char   *s, *p;
	size_t	i, j, len, total = 1;

	for (i = 0; i < ldns_rr_rd_count(rr); i++)
		total += 4 * ldns_rdf_size(ldns_rr_rdf(rr, i));
	if ((s = malloc(total)) == NULL)
		return (NULL);
	p = s;
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		d = ldns_rdf_data(ldns_rr_rdf(rr, i));
		len = ldns_rdf_size(ldns_rr_rdf(rr, i));
		if (len == 0 || d[0] != len - 1)
			continue;
		for (j = 1; j < len; j++) {
			if (d[j] >= 0x20 && d[j] < 0x7f && d[j] != '\\')
				*p++ = (char)d[j];
			else
				p += sprintf(p, "\\%03u", d[j]);
		}
	}
	*p = '\0';
	return (s);
}

/* dns_rr_str - one answer of type TYPE as dns.h describes it */
static char *
dns_rr_str(const ldns_rr *rr, int type)
{
	char   *host, *s;
	size_t	n;

	if (type == DNS_TXT)
		return (dns_txt_str(rr));
	if (ldns_rr_rd_count(rr) < 1)
		return (NULL);
	switch (type) {
	case DNS_A:
		return (ldns_rdf2str(ldns_rr_rdf(rr, 0)));
	case DNS_CNAME:
		return (dns_name_str(ldns_rr_rdf(rr, 0)));
	case DNS_MX:
		if (ldns_rr_rd_count(rr) < 2 ||
		    (host = dns_name_str(ldns_rr_rdf(rr, 1))) == NULL)
			return (NULL);
		n = strlen(host) + 8;
		if ((s = malloc(n)) != NULL)
			snprintf(s, n, "%u",
			    ldns_rdf2native_int16(ldns_rr_rdf(rr, 0)));
		if (s != NULL)
			snprintf(s + strlen(s), n - strlen(s), " %s", host);
		free(host);
		return (s);
	}
	return (NULL);
}

/* dns_rr_malformed - what is wrong with the RDATA of RR, of TYPE, or
 * NULL when dns_rr_str can read it.  ldns accepts an RDLENGTH of 0 for
 * any type and leaves the record without fields, and an MX may come with
 * its preference only. */
static const char *
dns_rr_malformed(const ldns_rr *rr, int type)
{
	const ldns_rdf *f;
	size_t	i, n = ldns_rr_rd_count(rr);

	if (n == 0)
		return ("empty RDATA");
	for (i = 0; i < n; i++) {
		if ((f = ldns_rr_rdf(rr, i)) == NULL || ldns_rdf_size(f) == 0)
			return ("truncated RDATA");
		/* a character-string: its length octet, then that many */
		if (type == DNS_TXT &&
		    ldns_rdf_data(f)[0] != ldns_rdf_size(f) - 1)
			return ("truncated RDATA (a character-string shorter "
			    "than its length)");
	}
	if (type == DNS_MX && n < 2)
		return ("truncated RDATA (a preference without a host)");
	if (type == DNS_A && ldns_rdf_size(ldns_rr_rdf(rr, 0)) != 4)
		return ("truncated RDATA (not 4 octets)");
	return (NULL);
}

/* dns_collect - the answers of TYPE owned by NAME in PKT; -1 out of
 * memory, -2 a malformed record (*WHY says how), else how many */
static int
dns_collect(const ldns_pkt *pkt, const ldns_rdf *name, int type,
    struct dns_result *r, const char **why)
{
	const ldns_rr_list *an = ldns_pkt_answer(pkt);
	const ldns_rr *rr;
	char  **v, *s;
	size_t	i;

	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		rr = ldns_rr_list_rr(an, i);
		if ((int)ldns_rr_get_type(rr) != type ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
		    ldns_dname_compare(ldns_rr_owner(rr), name) != 0)
			continue;
		if ((*why = dns_rr_malformed(rr, type)) != NULL)
			return (-2);
		if ((s = dns_rr_str(rr, type)) == NULL)
			return (-1);
		if ((v = realloc(r->answers, (r->count + 1) *
		    sizeof(*v))) == NULL) {
			free(s);
			return (-1);
		}
		r->answers = v;
		r->answers[r->count++] = s;
	}
	return ((int)r->count);
}

/* dns_cname_of - the target of NAME's CNAME in PKT, or NULL */
static const ldns_rdf *
dns_cname_of(const ldns_pkt *pkt, const ldns_rdf *name)
{
	const ldns_rr_list *an = ldns_pkt_answer(pkt);
	const ldns_rr *rr;
	size_t	i;

	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
		    ldns_rr_rd_count(rr) >= 1 &&
		    ldns_dname_compare(ldns_rr_owner(rr), name) == 0)
			return (ldns_rr_rdf(rr, 0));
	}
	return (NULL);
}

/* dns_query - send one question; FAILED (reason set) or 0 with *PKT */
static int
dns_query(struct dns *dns, const ldns_rdf *name, int type, ldns_pkt **pkt,
    struct dns_result *r)
{
	ldns_pkt *q = NULL, *a = NULL;
	ldns_rr_list *qd;
	ldns_status st;
	char	qs[DNS_REASON_MAX];
	int	ok;

	*pkt = NULL;
	/* ldns marks a server that did not answer once as unreachable for
	 * the life of the resolver: every lookup gives each its chance */
	for (size_t i = 0; i < ldns_resolver_nameserver_count(dns->res); i++)
		ldns_resolver_set_nameserver_rtt(dns->res, i,
		    LDNS_RESOLV_RTT_MIN);
	st = ldns_resolver_prepare_query_pkt(&q, dns->res, name,
	    (ldns_rr_type)type, LDNS_RR_CLASS_IN, LDNS_RD);
	if (st != LDNS_STATUS_OK)
		return (dns_set(r, DNS_FAILED, "cannot make the query: %s",
		    ldns_get_errorstr_by_id(st)));
	st = ldns_resolver_send_pkt(&a, dns->res, q);
	if (st != LDNS_STATUS_OK || a == NULL) {
		ldns_pkt_free(q);
		ldns_pkt_free(a);
		/* ldns says ERR when a TCP retry is refused */
		if (st == LDNS_STATUS_NETWORK_ERR || st == LDNS_STATUS_ERR)
			return (dns_set(r, DNS_FAILED, "no answer from %s "
			    "(%d tries of %d ms): %s", dns->where, DNS_TRIES,
			    dns->try_ms, ldns_get_errorstr_by_id(st)));
		return (dns_set(r, DNS_FAILED, "unreadable answer from %s: "
		    "%s", dns->where, ldns_get_errorstr_by_id(st)));
	}
	ok = ldns_pkt_id(a) == ldns_pkt_id(q);
	ldns_pkt_free(q);
	if (!ok) {
		ldns_pkt_free(a);
		return (dns_set(r, DNS_FAILED, "an answer from %s with "
		    "another query id", dns->where));
	}
	/* Not the answer to our question: a confused or forged reply. */
	qd = ldns_pkt_question(a);
	ok = ldns_pkt_qr(a) && ldns_rr_list_rr_count(qd) == 1 &&
	    (int)ldns_rr_get_type(ldns_rr_list_rr(qd, 0)) == type &&
	    ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(qd, 0)),
	    name) == 0;
	if (!ok) {
		ldns_pkt_free(a);
		return (dns_set(r, DNS_FAILED, "%s answered another question "
		    "than %s %s", dns->where, dns_print(name, qs, sizeof(qs)),
		    dns_type_name(type)));
	}
	if (ldns_pkt_tc(a)) {
		ldns_pkt_free(a);
		return (dns_set(r, DNS_FAILED, "truncated answer from %s "
		    "(and none over TCP)", dns->where));
	}
	*pkt = a;
	return (0);
}

/* dns_rcode_str - a name for a response code */
static const char *
dns_rcode_str(ldns_pkt_rcode rc)
{
	switch (rc) {
	case LDNS_RCODE_FORMERR:
		return ("FORMERR");
	case LDNS_RCODE_SERVFAIL:
		return ("SERVFAIL");
	case LDNS_RCODE_NOTIMPL:
		return ("NOTIMP");
	case LDNS_RCODE_REFUSED:
		return ("REFUSED");
	default:
		break;
	}
	return ("an unexpected response code");
}

/* dns_lookup - ask, follow CNAMEs, sort the answer into three */
int
dns_lookup(struct dns *dns, const char *name, int type,
    struct dns_result *r)
{
	ldns_rdf *cur, *next;
	const ldns_rdf *target;
	ldns_pkt *pkt;
	ldns_pkt_rcode rc;
	char	qs[DNS_REASON_MAX];
	const char *why = NULL;
	size_t	nl;
	int	hops = 0, n, walked;

	r->status = DNS_FAILED;
	r->count = 0;
	r->answers = NULL;
	r->canonical = NULL;
	r->reason[0] = '\0';
	if (type != DNS_A && type != DNS_CNAME && type != DNS_MX &&
	    type != DNS_TXT)
		return (dns_set(r, DNS_FAILED, "record type %d not supported",
		    type));
	nl = strlen(name);
	if (nl == 0 || nl > 254 || (nl == 254 && name[253] != '.') ||
	    strchr(name, '\\') != NULL || strstr(name, "..") != NULL ||
	    name[0] == '.' || (cur = ldns_dname_new_frm_str(name)) == NULL)
		return (dns_set(r, DNS_FAILED, "\"%s\" is not a valid domain "
		    "name", name));
	for (;;) {
		if (dns_query(dns, cur, type, &pkt, r) != 0)
			break;
		rc = ldns_pkt_get_rcode(pkt);
		if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) {
			dns_set(r, DNS_FAILED, "%s from %s", dns_rcode_str(rc),
			    dns->where);
			ldns_pkt_free(pkt);
			break;
		}
		/* Walk the chain the server gave: a resolver gives it whole
		 * (RFC 1034 4.3.2), an authoritative server may stop at its
		 * zone's edge, and then the last target is asked for. */
		walked = 0;
		while ((n = dns_collect(pkt, cur, type, r, &why)) == 0 &&
		    type != DNS_CNAME &&
		    (target = dns_cname_of(pkt, cur)) != NULL) {
			if (++hops > DNS_CNAME_MAX) {
				n = -3;
				break;
			}
			if ((next = ldns_rdf_clone(target)) == NULL) {
				n = -1;
				break;
			}
			ldns_rdf_deep_free(cur);
			cur = next;
			walked = 1;
		}
		ldns_pkt_free(pkt);
		if (n == 0 && walked)
			continue;
		if (n > 0)
			dns_set(r, DNS_FOUND, "%d %s record%s", n,
			    dns_type_name(type), n > 1 ? "s" : "");
		else if (n == -1) {
			dns_result_clear(r);
			dns_set(r, DNS_FAILED, "out of memory");
		} else if (n == -2) {
			dns_result_clear(r);
			dns_set(r, DNS_FAILED, "malformed %s record from %s: %s",
			    dns_type_name(type), dns->where, why);
		} else if (n == -3)
			dns_set(r, DNS_FAILED, "more than %d CNAMEs (a loop?)",
			    DNS_CNAME_MAX);
		else if (rc == LDNS_RCODE_NXDOMAIN)
			dns_set(r, DNS_MISSING, "NXDOMAIN: %s does not exist",
			    dns_print(cur, qs, sizeof(qs)));
		else
			dns_set(r, DNS_MISSING, "no %s record (%s exists)",
			    dns_type_name(type), dns_print(cur, qs, sizeof(qs)));
		break;
	}
	if (hops > 0 && (r->canonical = dns_name_str(cur)) == NULL &&
	    r->status == DNS_FOUND) {
		dns_result_clear(r);
		dns_set(r, DNS_FAILED, "out of memory");
	}
	ldns_rdf_deep_free(cur);
	return (r->status);
}
