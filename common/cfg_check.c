/* cfg_check.c - the configuration loader's checks: the syntax of single
 * values (names, host names, socket specs, language tags, addresses,
 * UTF-8), which the schema tables in cfg.c call during the first pass, and
 * the second pass, which checks what needs context (an address lies in its
 * domain, a route names a queue of its organisation, nothing is defined
 * twice, a campaign domain is a subdomain, quotas hold) and builds the
 * lookup index.  The only I/O: DKIM key files, the mode and owner of the
 * configuration files (which must not give secrets away), and the Public
 * Suffix List (dpsl.c, loaded once). */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "addr.h"
#include "cfg.h"
#include "cfg_int.h"
#include "dpsl.h"
#include "sentinel.h"

#define CFG_LOWER	"abcdefghijklmnopqrstuvwxyz"
#define CFG_UPPER	"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define CFG_DIGIT	"0123456789"

/* cfg_utf8_len - length of the valid UTF-8 sequence at S, or 0; the code
 * point goes to CP */
size_t
cfg_utf8_len(const unsigned char *s, unsigned long *cp)
{
	size_t	n, i;
	unsigned long c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return (1);
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	} else
		return (0);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return (0);
	*cp = c;
	return (n);
}

/* cfg_check_str - the length and syntax problem of string V for K, or NULL */
const char *
cfg_check_str(const struct cfg_key *k, const char *v, char *buf, size_t len)
{
	size_t	n = strlen(v);

	if ((long long)n < k->min) {
		if (k->min == 1)
			return ("must not be empty");
		snprintf(buf, len, "must be at least %lld bytes long", k->min);
		return (buf);
	}
	if (k->max > 0 && (long long)n > k->max) {
		snprintf(buf, len, "must be at most %lld bytes long", k->max);
		return (buf);
	}
	return (k->check != NULL ? k->check(v, buf, len) : NULL);
}

/* cfg_is_in - 1 if every byte of S is in SET */
static int
cfg_is_in(const char *s, const char *set)
{
	return (s[strspn(s, set)] == '\0');
}

/* cfg_check_id - organisation ids go into Redis keys: [a-z0-9_-] */
const char *
cfg_check_id(const char *v, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	if (!cfg_is_in(v, CFG_LOWER CFG_DIGIT "_-"))
		return ("may contain only a-z, 0-9, \"_\" and \"-\"");
	return (NULL);
}

/* cfg_check_name - queue names and skills: [A-Za-z0-9._-] */
const char *
cfg_check_name(const char *v, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	if (!cfg_is_in(v, CFG_LOWER CFG_UPPER CFG_DIGIT "._-"))
		return ("may contain only A-Z, a-z, 0-9, \".\", \"_\" and \"-\"");
	return (NULL);
}

/* cfg_check_host - a host name or an IPv4 or IPv6 address */
const char *
cfg_check_host(const char *v, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	if (!cfg_is_in(v, CFG_LOWER CFG_UPPER CFG_DIGIT ".:_-"))
		return ("must be a host name or an IP address");
	return (NULL);
}

/* cfg_check_hostport - a Sentinel's HOST:PORT ([V6]:PORT) */
const char *
cfg_check_hostport(const char *v, char *buf, size_t len)
{
	char	host[CFG_DOMAIN_MAX + 1];
	int	port;

	if (sentinel_hostport(v, host, sizeof(host), &port) != 0)
		return ("must be HOST:PORT (an IPv6 address in brackets), "
		    "the port 1 to 65535");
	return (cfg_check_host(host, buf, len));
}

/* cfg_check_relay - smtp://HOST[:PORT] or smtps://HOST[:PORT] (IPv6
 * literals in brackets), nothing after */
const char *
cfg_check_relay(const char *v, char *buf, size_t len)
{
	const char *h, *e;
	char	*end;
	long	port;

	(void)buf;
	(void)len;
	if (strncmp(v, "smtp://", 7) == 0)
		h = v + 7;
	else if (strncmp(v, "smtps://", 8) == 0)
		h = v + 8;
	else
		return ("must be smtp://HOST[:PORT] or smtps://HOST[:PORT]");
	if (*h == '[') {
		if ((e = strchr(h, ']')) == NULL || e == h + 1 ||
		    strspn(h + 1, "0123456789abcdefABCDEF:.") !=
		    (size_t)(e - h - 1))
			return ("has a malformed [IPv6] host");
		e++;
	} else {
		e = h + strspn(h, CFG_LOWER CFG_UPPER CFG_DIGIT ".-_");
		if (e == h)
			return ("must name a host: smtp://HOST[:PORT]");
	}
	if (*e == ':') {
		errno = 0;
		port = strtol(e + 1, &end, 10);
		if (end == e + 1 || errno != 0 || port < 1 || port > 65535)
			return ("has a port that is not 1..65535");
		e = end;
	}
	if (*e == '/' && e[1] == '\0')
		e++;
	if (*e != '\0')
		return ("must be smtp://HOST[:PORT] or smtps://HOST[:PORT] "
		    "with nothing after");
	return (NULL);
}

/* cfg_check_dns_server - a DNS server as dns_new() takes it: an IPv4 or
 * IPv6 address (no brackets), optionally "@PORT" */
const char *
cfg_check_dns_server(const char *v, char *buf, size_t len)
{
	char	host[INET6_ADDRSTRLEN + 1], *end;
	unsigned char bin[16];
	const char *at;
	size_t	hl;
	long	port;

	(void)buf;
	(void)len;
	at = strrchr(v, '@');
	hl = at != NULL ? (size_t)(at - v) : strlen(v);
	if (hl == 0 || hl >= sizeof(host))
		goto bad;
	memcpy(host, v, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, bin) != 1 &&
	    inet_pton(AF_INET6, host, bin) != 1)
		goto bad;
	if (at != NULL) {
		errno = 0;
		port = strtol(at + 1, &end, 10);
		if (at[1] < '0' || at[1] > '9' || *end != '\0' || errno != 0 ||
		    port < 1 || port > 65535)
			return ("has a port that is not 1..65535");
	}
	return (NULL);
bad:
	return ("must be an IP address with an optional port after \"@\", "
	    "such as \"192.0.2.53\" or \"127.0.0.1@5353\"");
}

/* cfg_check_spf - an SPF record: "v=spf1 " and printable ASCII */
const char *
cfg_check_spf(const char *v, char *buf, size_t len)
{
	const char *p;

	(void)buf;
	(void)len;
	if (strncmp(v, "v=spf1 ", 7) != 0)
		return ("must begin with \"v=spf1 \", such as \"v=spf1 "
		    "a:mx.relay.example -all\"");
	for (p = v; *p != '\0'; p++)
		if (*p < ' ' || *p > '~')
			return ("may contain only printable ASCII characters");
	return (NULL);
}

/* cfg_check_acl_user - a Redis ACL user name: printable, no spaces (ACL
 * SETUSER takes it as one word) */
const char *
cfg_check_acl_user(const char *v, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	for (; *v != '\0'; v++)
		if ((unsigned char)*v <= ' ' || (unsigned char)*v > '~')
			return ("must be printable ASCII without spaces");
	return (NULL);
}

/* cfg_check_path - an absolute path */
const char *
cfg_check_path(const char *v, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return (v[0] == '/' ? NULL : "must be an absolute path");
}

/* cfg_parse_cidr - "ADDRESS/BITS" or a bare address into N */
int
cfg_parse_cidr(const char *v, struct cfg_net *n)
{
	char	buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	long	bits;
	int	max;

	if (strlen(v) >= sizeof(buf))
		return (-1);
	strcpy(buf, v);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, buf, n->addr) == 1) {
		n->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, n->addr) == 1) {
		n->family = AF_INET6;
		max = 128;
	} else
		return (-1);
	bits = max;
	if (slash != NULL) {
		bits = strtol(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || bits < 0 || bits > max)
			return (-1);
	}
	n->bits = (int)bits;
	return (0);
}

/* cfg_check_cidr - a network: 192.0.2.0/24, 2001:db8::/32, 127.0.0.1 */
const char *
cfg_check_cidr(const char *v, char *buf, size_t len)
{
	struct cfg_net n;

	(void)buf;
	(void)len;
	if (cfg_parse_cidr(v, &n) != 0)
		return ("must be an address or ADDRESS/BITS, such as "
		    "\"10.0.0.0/8\" or \"2001:db8::/32\"");
	return (NULL);
}

/* cfg_check_selector - a DKIM selector: DNS labels joined by dots */
const char *
cfg_check_selector(const char *v, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	if (!addr_valid_domain(v))
		return ("must be DNS labels (letters, digits, hyphens) joined "
		    "by dots, such as \"mail\" or \"2026.eu\"");
	return (NULL);
}

/* cfg_check_listen - HOST:PORT or [IPV6]:PORT to listen on (an address
 * or a host name; 0.0.0.0 or [::] for every address) */
const char *
cfg_check_listen(const char *v, char *buf, size_t len)
{
	const char *e;
	size_t	digits;
	long	port;

	(void)buf;
	(void)len;
	if (strstr(v, "://") != NULL)
		return ("must be HOST:PORT or [IPV6]:PORT, without a scheme");
	if (*v == '[') {
		if ((e = strchr(v, ']')) == NULL || e == v + 1 ||
		    strspn(v + 1, "0123456789abcdefABCDEF:.") !=
		    (size_t)(e - v - 1))
			return ("has a malformed [IPv6] address");
		e++;
	} else {
		e = v + strspn(v, CFG_LOWER CFG_UPPER CFG_DIGIT ".-_");
		if (e == v)
			return ("must be HOST:PORT or [IPV6]:PORT");
	}
	if (*e != ':')
		return ("must be HOST:PORT or [IPV6]:PORT (the port is "
		    "missing)");
	digits = strspn(e + 1, CFG_DIGIT);
	port = digits > 0 && digits <= 5 ? strtol(e + 1, NULL, 10) : 0;
	if (port < 1 || port > 65535 || e[1 + digits] != '\0')
		return ("the port must be a number from 1 to 65535");
	return (NULL);
}

/* cfg_check_milter - a libmilter socket: inet:PORT@HOST, inet6:PORT@HOST,
 * unix:/PATH or local:/PATH */
const char *
cfg_check_milter(const char *v, char *buf, size_t len)
{
	const char *p;
	size_t	digits;
	long	port;

	(void)buf;
	(void)len;
	if (strncmp(v, "unix:", 5) == 0 || strncmp(v, "local:", 6) == 0) {
		p = strchr(v, ':') + 1;
		if (*p != '/')
			return ("the socket path must be absolute");
		if (strlen(p) > CFG_UNIX_MAX)
			return ("the socket path is longer than 107 bytes");
		return (NULL);
	}
	if (strncmp(v, "inet:", 5) == 0)
		p = v + 5;
	else if (strncmp(v, "inet6:", 6) == 0)
		p = v + 6;
	else
		return ("must be inet:PORT@HOST, inet6:PORT@HOST, "
		    "unix:/PATH or local:/PATH");
	digits = strspn(p, CFG_DIGIT);
	port = digits > 0 && digits <= 5 ? strtol(p, NULL, 10) : 0;
	if (port < 1 || port > 65535 || (p[digits] != '@' && p[digits] != '\0'))
		return ("the port must be a number from 1 to 65535");
	if (p[digits] != '@' || p[digits + 1] == '\0')
		return ("the host is missing (PORT@HOST)");
	if (!cfg_is_in(p + digits + 1, CFG_LOWER CFG_UPPER CFG_DIGIT ".:_-[]"))
		return ("the host must be a host name or an IP address");
	return (NULL);
}

/* cfg_check_seps - sub-address separators: some of "+-_=." */
const char *
cfg_check_seps(const char *v, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	if (!cfg_is_in(v, CFG_SEPS))
		return ("may contain only \"+\", \"-\", \"_\", \"=\" and \".\"");
	return (NULL);
}

/* cfg_check_domain - a syntactically valid domain name; an
 * internationalised one is named in the A-labels recipients are compared
 * in */
const char *
cfg_check_domain(const char *v, char *buf, size_t len)
{
	char	ace[CFG_ADDR_MAX + 1], probe[CFG_ADDR_MAX + 8];
	const unsigned char *p;

	if (addr_valid_domain(v))
		return (NULL);
	for (p = (const unsigned char *)v; *p != '\0' && *p < 0x80; p++)
		;
	snprintf(probe, sizeof(probe), "x@%s", v);
	if (*p != '\0' && addr_domain_of(probe, ace, sizeof(ace)) == 0) {
		snprintf(buf, len, "is an internationalised name: write it in "
		    "A-labels, \"%s\" (recipients are compared in them)", ace);
		return (buf);
	}
	return ("is not a valid domain name");
}

/* cfg_check_lang - "" or a BCP 47 like [A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})* */
const char *
cfg_check_lang(const char *v, char *buf, size_t len)
{
	const char *p = v;
	size_t	n;
	int	first = 1;

	(void)buf;
	(void)len;
	if (*v == '\0')
		return (NULL);
	for (;;) {
		n = strspn(p, first ? CFG_LOWER CFG_UPPER :
		    CFG_LOWER CFG_UPPER CFG_DIGIT);
		if (n < 1 || n > 8)
			break;
		p += n;
		if (*p == '\0')
			return (NULL);
		if (*p++ != '-')
			break;
		first = 0;
	}
	return ("must be a language tag such as \"en\" or \"es-MX\"");
}

/* cfg_check_display - printable UTF-8 text for a header phrase */
const char *
cfg_check_display(const char *v, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)v;
	unsigned long cp;
	size_t	n;

	(void)buf;
	(void)len;
	while (*p != '\0') {
		if ((n = cfg_utf8_len(p, &cp)) == 0)
			return ("must be valid UTF-8");
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			return ("must not contain control characters");
		p += n;
	}
	return (NULL);
}

/* cfg_plain_problem - why V is not written as a bare local@domain, or NULL */
static const char *
cfg_plain_problem(const char *v)
{
	size_t	n = strlen(v);

	if (n == 0)
		return (NULL);
	if (v[0] == '<' || v[n - 1] == '>')
		return ("write it without angle brackets");
	if (v[0] == '@' && strchr(v, ':') != NULL)
		return ("source routes are not allowed");
	if (v[0] == '@')
		return ("the local part before the '@' is missing");
	if (v[0] == ' ' || v[0] == '\t' || v[n - 1] == ' ' || v[n - 1] == '\t')
		return ("leading or trailing blanks are not allowed");
	return (NULL);
}

/* cfg_check_mailbox - "" or a valid address */
const char *
cfg_check_mailbox(const char *v, char *buf, size_t len)
{
	struct addr a;
	const char *why;
	char	err[256];

	if (*v == '\0')
		return (NULL);
	if ((why = cfg_plain_problem(v)) == NULL &&
	    addr_parse(v, &a, err, sizeof(err)) == 0)
		return (NULL);
	snprintf(buf, len, "is not a valid address: %s", why ? why : err);
	return (buf);
}

/* cfg_relay_private - 1 if what is said to relay RELAY (a valid
 * delivery.relay) cannot be read on the way: TLS from the start
 * (smtps://), or a loopback host (127.0.0.0/8, ::1, localhost) */
static int
cfg_relay_private(const char *relay)
{
	char	host[256];
	const char *h;
	size_t	n;

	if (strncmp(relay, "smtps://", 8) == 0)
		return (1);
	h = relay + 7;		/* "smtp://" */
	if (*h == '[') {
		h++;
		n = strcspn(h, "]");
	} else
		n = strcspn(h, ":/");
	if (n == 0 || n >= sizeof(host))
		return (0);
	memcpy(host, h, n);
	host[n] = '\0';
	return (cfg_host_private(host));
}

/* cfg_host_private - 1 if HOST is a loopback address or localhost */
int
cfg_host_private(const char *host)
{
	unsigned char bin[16];

	if (cfg_casecmp(host, "localhost") == 0)
		return (1);
	if (inet_pton(AF_INET, host, bin) == 1)
		return (bin[0] == 127);
	if (inet_pton(AF_INET6, host, bin) == 1)
		return (IN6_IS_ADDR_LOOPBACK((struct in6_addr *)bin) ||
		    (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)bin) &&
		    bin[12] == 127));
	return (0);
}

/* cfg_check_auth - SMTP AUTH to the relay only where its credentials
 * cannot be read on the way: required STARTTLS, smtps:// or a loopback
 * relay.  "try" is not enough: a relay (or a man in the middle) that does
 * not offer STARTTLS would get them in clear text. */
static void
cfg_check_auth(struct cfg_load *ld, const config_t *lc)
{
	const struct cfg_delivery *d = &ld->cfg->delivery;
	const config_setting_t *s;
	char	show[CFG_SHOW_MAX + 16], buf[8];

	if (d->username == NULL || d->starttls == CFG_TLS_REQUIRE ||
	    d->relay == NULL || cfg_check_relay(d->relay, buf, sizeof(buf)) !=
	    NULL || cfg_relay_private(d->relay) ||
	    (s = config_lookup(lc, "delivery.username")) == NULL)
		return;
	cfg_err(ld, s, NULL, cfg_show(s, show, sizeof(show)), "SMTP AUTH "
	    "would send it and the password in clear text to %s "
	    "(delivery.starttls = \"%s\"): set delivery.starttls = "
	    "\"require\", use an smtps:// relay, or a relay on loopback "
	    "(127.0.0.0/8, ::1, localhost)", d->relay,
	    d->starttls == CFG_TLS_TRY ? "try" : "no");
}

/* The second pass: what a value alone cannot tell. */

/* One name seen in the second pass, for duplicate checks and the index. */
struct cfg_seen {
	const char *key;
	const config_setting_t *where;	/* the setting that holds the name */
	void	*obj;
	size_t	seq;
};

/* A growing array of seen names. */
struct cfg_seenv {
	struct cfg_seen *v;
	size_t	n;
	size_t	cap;
};

/* cfg_seen_add - remember name KEY held by setting WHERE for object OBJ */
static void
cfg_seen_add(struct cfg_load *ld, struct cfg_seenv *sv, const char *key,
    const config_setting_t *where, void *obj)
{
	struct cfg_seen *v;
	size_t	cap;

	if (sv->n == sv->cap) {
		cap = sv->cap ? sv->cap * 2 : 16;
		if ((v = realloc(sv->v, cap * sizeof(*v))) == NULL) {
			ld->nomem = 1;
			return;
		}
		sv->v = v;
		sv->cap = cap;
	}
	sv->v[sv->n].key = key;
	sv->v[sv->n].where = where;
	sv->v[sv->n].obj = obj;
	sv->v[sv->n].seq = sv->n;
	sv->n++;
}

/* cfg_seen_cmp - order names case-sensitively, then by appearance */
static int
cfg_seen_cmp(const void *a, const void *b)
{
	const struct cfg_seen *x = a, *y = b;
	int	c;

	if ((c = strcmp(x->key, y->key)) != 0)
		return (c);
	return (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* cfg_seen_casecmp - order names ignoring ASCII case, then by appearance */
static int
cfg_seen_casecmp(const void *a, const void *b)
{
	const struct cfg_seen *x = a, *y = b;
	int	c;

	if ((c = cfg_casecmp(x->key, y->key)) != 0)
		return (c);
	return (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* cfg_seen_dups - sort SV with CMP and report each later copy of a name;
 * AS_ADDRESS phrases the message for addresses */
static void
cfg_seen_dups(struct cfg_load *ld, struct cfg_seenv *sv,
    int (*cmp)(const void *, const void *), int as_address)
{
	char	show[CFG_SHOW_MAX + 16], first[CFG_SHOW_MAX + 16], at[512];
	size_t	i, f = 0;

	if (sv->n == 0)
		return;
	qsort(sv->v, sv->n, sizeof(*sv->v), cmp);
	for (i = 1; i < sv->n; i++) {
		if (cmp == cfg_seen_casecmp ?
		    cfg_casecmp(sv->v[i].key, sv->v[f].key) != 0 :
		    strcmp(sv->v[i].key, sv->v[f].key) != 0) {
			f = i;
			continue;
		}
		cfg_where(ld, sv->v[f].where, sv->v[i].where, at, sizeof(at));
		cfg_show(sv->v[i].where, show, sizeof(show));
		if (as_address) {
			cfg_show(sv->v[f].where, first, sizeof(first));
			cfg_err(ld, sv->v[i].where, NULL, show,
			    "same address as %s %s", first, at);
		} else
			cfg_err(ld, sv->v[i].where, NULL, show,
			    "already defined %s", at);
	}
}

/* cfg_has_queue - 1 if NAME is in the sorted queue names QV */
static int
cfg_has_queue(const struct cfg_seenv *qv, const char *name)
{
	size_t	lo = 0, hi = qv->n, mid;
	int	c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(name, qv->v[mid].key)) == 0)
			return (1);
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (0);
}

/* cfg_check_route - a route of organisation O names a queue of it (QV
 * sorted; NULL when the queues could not be read) or a flow of it; RS is
 * its group */
static void
cfg_check_route(struct cfg_load *ld, const struct cfg_org *o,
    struct cfg_route *r, const config_setting_t *rs,
    const struct cfg_seenv *qv)
{
	const config_setting_t *qs, *fs;
	char	show[CFG_SHOW_MAX + 16];

	qs = config_setting_get_member(rs, "queue");
	fs = config_setting_get_member(rs, "flow");
	if (qs != NULL && fs != NULL)
		cfg_err(ld, rs, NULL, NULL,
		    "queue and flow cannot both be set");
	if (qs == NULL && fs == NULL)
		cfg_err(ld, rs, NULL, NULL, "needs a queue or a flow");
	if (qs != NULL && r->queue != NULL && qv != NULL &&
	    config_setting_type(qs) == CONFIG_TYPE_STRING &&
	    !cfg_has_queue(qv, r->queue))
		cfg_err(ld, qs, NULL, cfg_show(qs, show, sizeof(show)),
		    "no such queue in this organization");
	if (qs == NULL)
		cfg_flow_route(ld, o, r, rs);
}

/* cfg_check_address - address A of domain D (group AS) is valid, lies in
 * D and has a lookup key; the key goes to AV */
static void
cfg_check_address(struct cfg_load *ld, struct cfg_address *a,
    const struct cfg_domain *d, const config_setting_t *as,
    struct cfg_seenv *av)
{
	const struct cfg *cfg = ld->cfg;
	const config_setting_t *s;
	char	show[CFG_SHOW_MAX + 16], err[256], key[CFG_ADDR_MAX * 2 + 8];
	const char *at, *why;
	struct addr pa;
	size_t	n;

	s = config_setting_get_member(as, "address");
	if (a->address == NULL || s == NULL ||
	    config_setting_type(s) != CONFIG_TYPE_STRING || a->address[0] == '\0')
		return;
	cfg_show(s, show, sizeof(show));
	if ((n = strlen(a->address)) > CFG_ADDR_MAX) {
		cfg_err(ld, s, NULL, show, "is %zu octets long, more than %d",
		    n, CFG_ADDR_MAX);
		return;
	}
	if ((at = strrchr(a->address, '@')) != NULL &&
	    (size_t)(at - a->address) > CFG_LOCAL_MAX) {
		cfg_err(ld, s, NULL, show,
		    "the local part is %zu octets long, more than %d",
		    (size_t)(at - a->address), CFG_LOCAL_MAX);
		return;
	}
	if ((why = cfg_plain_problem(a->address)) != NULL ||
	    addr_parse(a->address, &pa, err, sizeof(err)) != 0) {
		cfg_err(ld, s, NULL, show, "is not a valid address: %s",
		    why ? why : err);
		return;
	}
	if (d->name != NULL && addr_valid_domain(d->name) &&
	    cfg_casecmp(pa.domain, d->name) != 0)
		cfg_err(ld, s, NULL, show,
		    "domain \"%s\" is not the enclosing domain \"%s\"",
		    pa.domain, d->name);
	if (addr_key(pa.local, pa.domain, cfg->local_part_case_sensitive,
	    cfg->subaddress_separators ? cfg->subaddress_separators : "", 0,
	    key, sizeof(key)) != 0) {
		cfg_err(ld, s, NULL, show, "has no lookup key");
		return;
	}
	if ((a->key = cfg_strdup(ld, key)) != NULL)
		cfg_seen_add(ld, av, a->key, s, a);
}

#define CFG_KEY_MAX	65536	/* a PEM private key is far smaller */

/* cfg_key_nopass - the pass-phrase callback of PEM_read_bio_PrivateKey:
 * note that the key is encrypted and give no pass-phrase, so that OpenSSL
 * never prompts at the terminal */
static int
cfg_key_nopass(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	*(int *)u = 1;
	return (-1);
}

/* cfg_key_link - "is a symbolic link to TARGET, which " when PATH is
 * one, else "", into BUF: what the messages about a key file begin with */
static const char *
cfg_key_link(const char *path, char *buf, size_t len)
{
	struct stat st;
	char	*target, raw[CFG_PATH_MAX];
	ssize_t	n;

	buf[0] = '\0';
	if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode))
		return (buf);
	if ((target = realpath(path, NULL)) != NULL)
		snprintf(buf, len, "is a symbolic link to %s, which ", target);
	else if ((n = readlink(path, raw, sizeof(raw) - 1)) >= 0) {
		raw[n] = '\0';
		snprintf(buf, len, "is a symbolic link to %s, which ", raw);
	}
	free(target);
	return (buf);
}

/* cfg_check_dkim - domain D's key file (group DS) exists, is ours alone
 * to read, and holds an unencrypted RSA (>= 1024 bits) or Ed25519 private
 * key, which is kept.  A symbolic link is followed (keys are rotated that
 * way); what it points to must pass the same checks. */
static void
cfg_check_dkim(struct cfg_load *ld, struct cfg_dkim *k,
    const config_setting_t *ds)
{
	const config_setting_t *s;
	char	show[CFG_SHOW_MAX + 16], link[CFG_PATH_MAX + 32];
	struct stat st;
	EVP_PKEY *pk = NULL;
	BIO	*bio = NULL;
	char	*text = NULL;
	ssize_t	n;
	int	fd, encrypted = 0;

	if (k->key_file == NULL || k->key_file[0] != '/' ||
	    (s = config_setting_get_member(ds, "key_file")) == NULL)
		return;
	cfg_show(s, show, sizeof(show));
	cfg_key_link(k->key_file, link, sizeof(link));
	/* O_NONBLOCK: a FIFO must not hang the loader; fstat refuses it */
	if ((fd = open(k->key_file, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		cfg_err(ld, s, NULL, show, "%scannot be read: %s", link,
		    strerror(errno));
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		cfg_err(ld, s, NULL, show, "%sis not a regular file", link);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		cfg_err(ld, s, NULL, show, "%scan be read by group or others "
		    "(mode %04o): a private key must be mode 0600 or 0400",
		    link, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_size <= 0 || st.st_size > CFG_KEY_MAX ||
	    (text = calloc(1, (size_t)st.st_size + 1)) == NULL) {
		cfg_err(ld, s, NULL, show, "%sis empty or too large for a key",
		    link);
		goto out;
	}
	if ((n = read(fd, text, (size_t)st.st_size)) != st.st_size) {
		cfg_err(ld, s, NULL, show, "%scannot be read: %s", link,
		    n < 0 ? strerror(errno) : "short read");
		goto out;
	}
	/* an encrypted key (PKCS#8 "ENCRYPTED PRIVATE KEY" or a traditional
	 * PEM with "Proc-Type: 4,ENCRYPTED") calls the callback, which
	 * answers without a pass-phrase instead of prompting */
	if ((bio = BIO_new_mem_buf(text, (int)n)) == NULL ||
	    (pk = PEM_read_bio_PrivateKey(bio, NULL, cfg_key_nopass,
	    &encrypted)) == NULL) {
		ERR_clear_error();
		if (encrypted || strstr(text, "ENCRYPTED") != NULL)
			cfg_err(ld, s, NULL, show, "%sis encrypted (pass-phrase "
			    "protected); mailacd needs an unencrypted key: "
			    "openssl pkey -in %s -out NEW.key (mode 0600), and "
			    "name NEW.key here", link, k->key_file);
		else
			cfg_err(ld, s, NULL, show, "%sdoes not hold a PEM "
			    "private key (make one with \"mailacdctl dkim "
			    "genkey\")", link);
		goto out;
	}
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519) {
		/* measured: libopendkim 2.11.0~beta2 (Debian 12) leaks about
		 * 470 bytes on every Ed25519 signature; a daemon cannot */
		cfg_err(ld, s, NULL, show, "%sholds an Ed25519 key, which "
		    "Debian 12's libopendkim leaks memory signing with: use an "
		    "RSA key (mailacdctl dkim genkey -t rsa)", link);
		goto out;
	} else if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA) {
		k->bits = EVP_PKEY_get_bits(pk);
		if (k->bits < 1024) {
			cfg_err(ld, s, NULL, show, "%sholds a %d-bit RSA "
			    "key; DKIM verifiers want at least 1024 (2048 is "
			    "usual)", link, k->bits);
			goto out;
		}
	} else {
		cfg_err(ld, s, NULL, show, "%sholds a key of a type DKIM "
		    "does not use (want RSA or Ed25519)", link);
		goto out;
	}
	k->key = text;
	text = NULL;
out:
	if (text != NULL) {
		OPENSSL_cleanse(text, (size_t)st.st_size);
		free(text);
	}
	EVP_PKEY_free(pk);
	BIO_free(bio);
	close(fd);
}

/* cfg_check_agent - agent G (group GS) of organisation O: a valid
 * workplace address (its key goes to WV), at least one queue, each a queue
 * of O (QV sorted; NULL when the queues could not be read) */
static void
cfg_check_agent(struct cfg_load *ld, struct cfg_agent *g,
    const config_setting_t *gs, const struct cfg_seenv *qv,
    struct cfg_seenv *wv)
{
	const config_setting_t *s, *e;
	char	show[CFG_SHOW_MAX + 16], err[256];
	const char *why;
	struct addr pa;
	size_t	i, n;

	if ((s = config_setting_get_member(gs, "address")) != NULL &&
	    g->address != NULL && config_setting_type(s) == CONFIG_TYPE_STRING) {
		cfg_show(s, show, sizeof(show));
		if ((n = strlen(g->address)) > CFG_ADDR_MAX)
			cfg_err(ld, s, NULL, show,
			    "is %zu octets long, more than %d", n, CFG_ADDR_MAX);
		else if ((why = cfg_plain_problem(g->address)) != NULL ||
		    addr_parse(g->address, &pa, err, sizeof(err)) != 0)
			cfg_err(ld, s, NULL, show, "is not a valid address: %s",
			    why ? why : err);
		else
			cfg_seen_add(ld, wv, g->address, s, g);
	}
	if ((s = config_setting_get_member(gs, "queues")) == NULL ||
	    (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST))
		return;
	if (g->nqueues == 0)
		cfg_err(ld, s, NULL, NULL, "needs at least one queue");
	for (i = 0; qv != NULL && i < g->nqueues; i++)
		if (g->queues[i] != NULL && !cfg_has_queue(qv, g->queues[i]) &&
		    (e = config_setting_get_elem(s, (unsigned)i)) != NULL)
			cfg_err(ld, e, NULL, cfg_show(e, show, sizeof(show)),
			    "no such queue in this organization");
}

/* cfg_lower - lower-case ASCII letters of S in place */
static void
cfg_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* cfg_group_elem - element I of list L if it is a group, else NULL */
const config_setting_t *
cfg_group_elem(const config_setting_t *l, size_t i)
{
	const config_setting_t *e;

	if (l == NULL || (e = config_setting_get_elem(l, (unsigned)i)) == NULL ||
	    config_setting_type(e) != CONFIG_TYPE_GROUP)
		return (NULL);
	return (e);
}

/* cfg_under - 1 if domain name A lies strictly under domain name B (both
 * lower case) */
static int
cfg_under(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b);

	return (la > lb + 1 && a[la - lb - 1] == '.' &&
	    strcmp(a + la - lb, b) == 0);
}

/* cfg_check_domain_dns - the settings of domain D (group DE) about its
 * DNS and its sending: the rate limit resolved from the kind, a hosted
 * domain under dns.hosted_domain, a campaign or notification domain a
 * subdomain by the Public Suffix List, the ownership secret, the address
 * quota MAXADDR (0: none) */
static void
cfg_check_domain_dns(struct cfg_load *ld, struct cfg_domain *d,
    const config_setting_t *de, int maxaddr)
{
	const struct cfg *cfg = ld->cfg;
	const char *hd = cfg->dns.hosted_domain;
	const config_setting_t *s;
	char	show[CFG_SHOW_MAX + 16], why[512];
	int	named;

	if (d->rate_limit < 0)
		d->rate_limit = d->kind == CFG_KIND_CAMPAIGN ?
		    CFG_RATE_CAMPAIGN : d->kind == CFG_KIND_NOTIFICATION ?
		    CFG_RATE_NOTIFICATION : CFG_RATE_CONTACT_CENTER;
	named = d->name != NULL && addr_valid_domain(d->name);
	if (named && (d->inbound == CFG_INBOUND_HOSTED ||
	    d->inbound == CFG_INBOUND_HOSTED_REDIRECT) &&
	    (s = config_setting_get_member(de, "inbound")) != NULL) {
		if (hd == NULL)
			cfg_err(ld, s, NULL, cfg_show(s, show, sizeof(show)),
			    "needs dns.hosted_domain, the operator's domain "
			    "that hosted subdomains live under");
		else if (addr_valid_domain(hd) && !cfg_under(d->name, hd))
			cfg_err(ld, s, NULL, cfg_show(s, show, sizeof(show)),
			    "%s is not a subdomain of dns.hosted_domain (%s)",
			    d->name, hd);
	}
	if (named && d->kind != CFG_KIND_CONTACT_CENTER &&
	    (s = config_setting_get_member(de, "kind")) != NULL &&
	    dpsl_check_subdomain(d->name, why, sizeof(why)) != 0)
		cfg_err(ld, s, NULL, cfg_show(s, show, sizeof(show)), "%s", why);
	/* verification is on once the operator has a secret for the
	 * tokens: without one only an explicit "true" is a mistake */
	if (d->require_verification && cfg->dns.verification_secret == NULL) {
		if ((s = config_setting_get_member(de,
		    "require_verification")) != NULL)
			cfg_err(ld, s, NULL, "true", "needs "
			    "dns.verification_secret (the key of the ownership "
			    "tokens)");
		d->require_verification = 0;
	}
	if (maxaddr > 0 && d->naddresses > (size_t)maxaddr &&
	    (s = config_setting_get_member(de, "addresses")) != NULL)
		cfg_err(ld, s, NULL, NULL, "%zu addresses, more than "
		    "max_addresses_per_domain (%d)", d->naddresses, maxaddr);
}

/* cfg_in_list - 1 if S is one of the N strings of V, case ignored */
static int
cfg_in_list(char *const *v, size_t n, const char *s)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (v[i] != NULL && cfg_casecmp(v[i], s) == 0)
			return (1);
	return (0);
}

/* cfg_route_servable - warn at WHERE when no agent of organisation O can
 * ever take what route R sends to its queue: nobody serves the queue, a
 * skill or the language nobody of the queue has, or nobody who has them
 * all.  An organisation without agents is not checked. */
static void
cfg_route_servable(struct cfg_load *ld, const struct cfg_org *o,
    const struct cfg_route *r, const config_setting_t *where)
{
	const struct cfg_agent *g;
	char	langs[256];
	size_t	i, k, nserve = 0, off = 0;
	int	all, lang;

	if (o->nagents == 0 || r->queue == NULL)
		return;
	langs[0] = '\0';
	for (i = 0; i < o->nagents; i++) {
		g = &o->agents[i];
		if (!cfg_in_list(g->queues, g->nqueues, r->queue))
			continue;
		nserve++;
		all = r->language == NULL || r->language[0] == '\0' ||
		    cfg_in_list(g->languages, g->nlanguages, r->language);
		for (k = 0; all && k < r->nskills; k++)
			all = cfg_in_list(g->skills, g->nskills, r->skills[k]);
		if (all)
			return;
		for (k = 0; k < g->nlanguages && off < sizeof(langs); k++)
			if (strstr(langs, g->languages[k]) == NULL)
				off += (size_t)snprintf(langs + off,
				    sizeof(langs) - off, "%s%s",
				    off ? ", " : "", g->languages[k]);
	}
	if (nserve == 0) {
		cfg_warn(ld, where, "routes to queue %s, which no agent "
		    "serves: its interactions would wait forever", r->queue);
		return;
	}
	for (k = 0; k < r->nskills; k++) {
		for (i = 0; i < o->nagents; i++) {
			g = &o->agents[i];
			if (cfg_in_list(g->queues, g->nqueues, r->queue) &&
			    cfg_in_list(g->skills, g->nskills, r->skills[k]))
				break;
		}
		if (i == o->nagents) {
			cfg_warn(ld, where, "requires skill \"%s\", which no "
			    "agent of queue %s holds: its interactions would "
			    "wait forever", r->skills[k], r->queue);
			return;
		}
	}
	lang = r->language == NULL || r->language[0] == '\0';
	for (i = 0; !lang && i < o->nagents; i++) {
		g = &o->agents[i];
		lang = cfg_in_list(g->queues, g->nqueues, r->queue) &&
		    cfg_in_list(g->languages, g->nlanguages, r->language);
	}
	if (!lang)
		cfg_warn(ld, where, "requires language \"%s\", which no agent "
		    "of queue %s speaks (%s%s): its interactions would wait "
		    "forever", r->language, r->queue,
		    langs[0] ? "they speak " : "they list no language",
		    langs);
	else
		cfg_warn(ld, where, "no single agent of queue %s has every "
		    "skill and the language it requires: its interactions "
		    "would wait forever", r->queue);
}

/* cfg_action_servable - warn at WHERE when action A of a flow of O sets
 * a queue (and calls no other flow, which may change it) with skills or a
 * language no agent of that queue has; what the address adds or the
 * detected language sets is not known here */
static void
cfg_action_servable(struct cfg_load *ld, const struct cfg_org *o,
    const struct cfg_action *a, const config_setting_t *where)
{
	struct cfg_route r;

	if (a->queue == NULL || a->call != NULL || a->close || where == NULL)
		return;
	memset(&r, 0, sizeof(r));
	r.queue = a->queue;
	r.skills = a->skills != NULL ? a->skills : a->add_skills;
	r.nskills = a->skills != NULL ? a->nskills : a->nadd_skills;
	r.language = a->language;
	cfg_route_servable(ld, o, &r, where);
}

/* cfg_flows_servable - what each rule and default of O's flows (in OS)
 * route to, someone of its queue must be able to take */
static void
cfg_flows_servable(struct cfg_load *ld, const struct cfg_org *o,
    const config_setting_t *os)
{
	const config_setting_t *fl, *fs, *rl;
	const struct cfg_flow *f;
	size_t	i, r;

	fl = config_setting_get_member(os, "flows");
	for (i = 0; fl != NULL && i < o->nflows; i++) {
		f = &o->flows[i];
		if ((fs = cfg_group_elem(fl, i)) == NULL)
			continue;
		rl = config_setting_get_member(fs, "rules");
		for (r = 0; rl != NULL && r < f->nrules; r++)
			cfg_action_servable(ld, o, &f->rules[r].act,
			    cfg_group_elem(rl, r));
		if (f->dflt != NULL)
			cfg_action_servable(ld, o, f->dflt,
			    config_setting_get_member(fs, "default"));
	}
}

/* cfg_check_org - check organisation O (group OS); its domains go to DV,
 * its addresses to AV */
static void
cfg_check_org(struct cfg_load *ld, struct cfg_org *o,
    const config_setting_t *os, struct cfg_seenv *dv, struct cfg_seenv *av,
    struct cfg_seenv *wv)
{
	const config_setting_t *ql, *dl, *al, *gl, *e, *de, *ae, *s;
	struct cfg_seenv qv = { NULL, 0, 0 }, *qvp = NULL;
	struct cfg_seenv gv = { NULL, 0, 0 };
	struct cfg_domain *d;
	struct cfg_address *a;
	size_t	i, j;

	ql = config_setting_get_member(os, "queues");
	for (i = 0; i < o->nqueues; i++) {
		o->queues[i].org = o;
		if (o->queues[i].delivery == CFG_DELIVERY_INHERIT)
			o->queues[i].delivery = o->delivery;
	}
	for (i = 0; i < o->nqueues; i++)
		if ((e = cfg_group_elem(ql, i)) != NULL &&
		    o->queues[i].name != NULL &&
		    (s = config_setting_get_member(e, "name")) != NULL)
			cfg_seen_add(ld, &qv, o->queues[i].name, s, &o->queues[i]);
	cfg_seen_dups(ld, &qv, cfg_seen_cmp, 0);
	/* a queues setting of the wrong type: routes cannot be checked */
	if (ql != NULL && (config_setting_type(ql) == CONFIG_TYPE_LIST ||
	    config_setting_type(ql) == CONFIG_TYPE_ARRAY))
		qvp = &qv;

	/* schedules and flows before the routes that name them */
	cfg_flow_check(ld, o, os);
	/* responses, templates and what names them */
	cfg_tmpl_check(ld, o, os);

	dl = config_setting_get_member(os, "domains");
	for (i = 0; i < o->ndomains; i++) {
		d = &o->domains[i];
		d->org = o;
		if ((de = cfg_group_elem(dl, i)) == NULL)
			continue;
		if (d->name != NULL) {
			cfg_lower(d->name);
			if ((s = config_setting_get_member(de, "name")) != NULL &&
			    addr_valid_domain(d->name))
				cfg_seen_add(ld, dv, d->name, s, d);
		}
		if (d->catch_all != NULL &&
		    (s = config_setting_get_member(de, "catch_all")) != NULL)
			cfg_check_route(ld, o, d->catch_all, s, qvp);
		if (d->dkim != NULL &&
		    (s = config_setting_get_member(de, "dkim")) != NULL)
			cfg_check_dkim(ld, d->dkim, s);
		al = config_setting_get_member(de, "addresses");
		for (j = 0; j < d->naddresses; j++) {
			a = &d->addresses[j];
			a->domain = d;
			a->org = o;
			if ((ae = cfg_group_elem(al, j)) == NULL)
				continue;
			cfg_check_address(ld, a, d, ae, av);
			cfg_check_route(ld, o, &a->route, ae, qvp);
			if (a->mailbox != NULL && (s =
			    config_setting_get_member(ae, "mailbox")) != NULL)
				cfg_check_mbox(ld, a, s);
			if (a->smtp != NULL && (s =
			    config_setting_get_member(ae, "smtp")) != NULL) {
				cfg_check_smtp(ld, a->smtp, s);
				if (d->bounce_domain != NULL && a->smtp->server)
					cfg_warn(ld, s, "with bounce_domain, "
					    "the envelope sender is on %s, "
					    "which %s may refuse to send as "
					    "(a provider takes the account's "
					    "own address)", d->bounce_domain,
					    a->smtp->server);
			}
		}
		cfg_check_domain_dns(ld, d, de, o->max_addresses_per_domain);
	}
	if (o->max_domains > 0 && o->ndomains > (size_t)o->max_domains &&
	    dl != NULL)
		cfg_err(ld, dl, NULL, NULL, "%zu domains, more than "
		    "max_domains (%d)", o->ndomains, o->max_domains);

	gl = config_setting_get_member(os, "agents");
	for (i = 0; i < o->nagents; i++) {
		o->agents[i].org = o;
		if ((e = cfg_group_elem(gl, i)) == NULL)
			continue;
		if (o->agents[i].id != NULL &&
		    (s = config_setting_get_member(e, "id")) != NULL)
			cfg_seen_add(ld, &gv, o->agents[i].id, s, &o->agents[i]);
		cfg_check_agent(ld, &o->agents[i], e, qvp, wv);
		if (o->agents[i].smtp != NULL &&
		    (s = config_setting_get_member(e, "smtp")) != NULL)
			cfg_check_smtp(ld, o->agents[i].smtp, s);
	}
	cfg_seen_dups(ld, &gv, cfg_seen_cmp, 0);
	free(gv.v);
	free(qv.v);

	/* what every route sends, someone of its queue must be able to take */
	for (i = 0; i < o->ndomains; i++) {
		d = &o->domains[i];
		if ((de = cfg_group_elem(dl, i)) == NULL)
			continue;
		if (d->catch_all != NULL &&
		    (s = config_setting_get_member(de, "catch_all")) != NULL)
			cfg_route_servable(ld, o, d->catch_all, s);
		al = config_setting_get_member(de, "addresses");
		for (j = 0; j < d->naddresses; j++)
			if ((ae = cfg_group_elem(al, j)) != NULL)
				cfg_route_servable(ld, o, &d->addresses[j].route,
				    ae);
	}
	cfg_flows_servable(ld, o, os);
}

/* cfg_check_sender - the envelope sender of resent copies must not be one
 * the milter takes for outbound mail (its From rule would refuse them) */
static void
cfg_check_sender(struct cfg_load *ld, const config_t *lc)
{
	const struct cfg *cfg = ld->cfg;
	const config_setting_t *s;
	struct addr a;
	char	key[CFG_ADDR_MAX + 1], err[256], show[CFG_SHOW_MAX + 8];

	if (cfg->index == NULL || cfg->delivery.sender == NULL ||
	    *cfg->delivery.sender == '\0' ||
	    addr_parse(cfg->delivery.sender, &a, err, sizeof(err)) != 0 ||
	    (s = config_lookup(lc, "delivery.sender")) == NULL)
		return;
	if (cfg_match_address(cfg, a.local, a.domain, key, sizeof(key)) != NULL)
		cfg_err(ld, s, NULL, cfg_show(s, show, sizeof(show)),
		    "is a registered "
		    "address: the copies would be taken for its outbound mail");
	else if (cfg_find_agent(cfg, cfg->delivery.sender) != NULL)
		cfg_err(ld, s, NULL, cfg_show(s, show, sizeof(show)),
		    "is an agent's "
		    "address: the copies would be taken for the agent's mail");
}

#define CFG_SECRETS_MAX	512	/* secret settings looked at */

/* cfg_secret_walk - the settings under GRP that table KEYS marks secret,
 * groups and lists of groups included, into V (of MAX; *N so far) */
static void
cfg_secret_walk(const struct cfg_key *keys, const config_setting_t *grp,
    const config_setting_t **v, size_t *n, size_t max)
{
	const config_setting_t *s, *e;
	unsigned i;

	for (; keys->name != NULL; keys++) {
		if ((s = config_setting_get_member(grp, keys->name)) == NULL)
			continue;
		if (keys->flags & CFG_K_SECRET) {
			if (*n < max)
				v[(*n)++] = s;
		} else if (keys->type == CFG_T_GROUP &&
		    config_setting_type(s) == CONFIG_TYPE_GROUP)
			cfg_secret_walk(keys->sub, s, v, n, max);
		else if (keys->type == CFG_T_LIST &&
		    config_setting_type(s) == CONFIG_TYPE_LIST)
			for (i = 0; (e = config_setting_get_elem(s, i)) != NULL;
			    i++)
				if (config_setting_type(e) == CONFIG_TYPE_GROUP)
					cfg_secret_walk(keys->sub, e, v, n, max);
	}
}

/* cfg_owner - "user:group" for UID and GID (numbers where no name is
 * known), into BUF */
static const char *
cfg_owner(uid_t uid, gid_t gid, char *buf, size_t len)
{
	struct passwd pw, *pp = NULL;
	struct group gr, *gp = NULL;
	char	pwbuf[2048], grbuf[4096], u[64], g[64];

	if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &pp) == 0 && pp != NULL)
		snprintf(u, sizeof(u), "%s", pp->pw_name);
	else
		snprintf(u, sizeof(u), "%lu", (unsigned long)uid);
	if (getgrgid_r(gid, &gr, grbuf, sizeof(grbuf), &gp) == 0 && gp != NULL)
		snprintf(g, sizeof(g), "%s", gp->gr_name);
	else
		snprintf(g, sizeof(g), "%lu", (unsigned long)gid);
	snprintf(buf, len, "%s:%s", u, g);
	return (buf);
}

/* cfg_check_file_mode - FILE (mode MODE, owned by UID:GID) is writable by
 * its owner only and, when it holds secret SECRET (NULL: none), not
 * readable by others */
static void
cfg_check_file_mode(struct cfg_load *ld, const char *file, mode_t mode,
    uid_t uid, gid_t gid, const config_setting_t *secret)
{
	char	own[160];

	if (mode & (S_IWGRP | S_IWOTH))
		cfg_err_file(ld, file, 0, "can be written by group or others "
		    "(mode %04o, %s): whoever can change it can redirect mail; "
		    "expected e.g. root:mailacd 0640 (writable by the owner "
		    "only, readable by the owner and the group the daemons run "
		    "as only)", (unsigned)(mode & 07777),
		    cfg_owner(uid, gid, own, sizeof(own)));
	if (secret != NULL && (mode & S_IROTH))
		cfg_err(ld, secret, NULL, NULL, "is a secret, but %s can be "
		    "read by others (mode %04o, %s): expected e.g. "
		    "root:mailacd 0640 (readable by the owner and the group "
		    "the daemons run as only)", file,
		    (unsigned)(mode & 07777),
		    cfg_owner(uid, gid, own, sizeof(own)));
}

/* cfg_check_secrets - the configuration file must be writable by its
 * owner only, and a file that holds a secret (a setting marked
 * CFG_K_SECRET: passwords, HMAC keys) readable by its owner and group
 * only.  A file without secrets may be readable by all: it holds
 * addresses and routes, which the mail itself shows. */
static void
cfg_check_secrets(struct cfg_load *ld, const config_t *lc)
{
	const config_setting_t *sec[CFG_SECRETS_MAX];
	const config_setting_t *main_secret = NULL;
	const char *file, *other;
	struct stat st;
	size_t	n = 0, i, j;

	cfg_secret_walk(cfg_top_keys, config_root_setting(lc), sec, &n,
	    CFG_SECRETS_MAX);
	for (i = 0; i < n; i++) {
		if ((file = config_setting_source_file(sec[i])) == NULL) {
			if (main_secret == NULL)
				main_secret = sec[i];
			continue;
		}
		/* an included file: once, by the first secret it holds */
		for (j = 0; j < i; j++)
			if ((other = config_setting_source_file(sec[j])) !=
			    NULL && strcmp(other, file) == 0)
				break;
		if (j == i && stat(file, &st) == 0 && S_ISREG(st.st_mode))
			cfg_check_file_mode(ld, file, st.st_mode, st.st_uid,
			    st.st_gid, sec[i]);
	}
	if (ld->have_stat)
		cfg_check_file_mode(ld, ld->file, ld->mode, ld->uid, ld->gid,
		    main_secret);
}

/* cfg_seen_key - bsearch helper: KEY against a seen name */
static int
cfg_seen_key(const void *key, const void *elem)
{
	return (strcmp(key, ((const struct cfg_seen *)elem)->key));
}

/* cfg_check_loops - a workplace address (WV) that is a registered address
 * (AV, sorted by key), as the milter matches one (exactly, then without
 * its sub-address), would send what is given to its agent back into a
 * queue, and make the agent's own mail look like the channel's: refused
 * as a mail loop */
static void
cfg_check_loops(struct cfg_load *ld, const struct cfg_seenv *wv,
    const struct cfg_seenv *av)
{
	const struct cfg *cfg = ld->cfg;
	const struct cfg_seen *hit = NULL;
	char	show[CFG_SHOW_MAX + 16], key[CFG_ADDR_MAX * 2 + 8], err[256];
	struct addr pa;
	size_t	i;
	int	strip;

	for (i = 0; av->n > 0 && i < wv->n; i++) {
		if (addr_parse(wv->v[i].key, &pa, err, sizeof(err)) != 0)
			continue;
		for (strip = 0; strip < 2; strip++) {
			hit = NULL;
			if (addr_key(pa.local, pa.domain,
			    cfg->local_part_case_sensitive,
			    cfg->subaddress_separators, strip, key,
			    sizeof(key)) == 0 && (hit = bsearch(key, av->v,
			    av->n, sizeof(*av->v), cfg_seen_key)) != NULL)
				break;
		}
		if (hit == NULL)
			continue;
		cfg_show(wv->v[i].where, show, sizeof(show));
		cfg_err(ld, wv->v[i].where, NULL, show,
		    "is the registered address %s: mail given to the agent "
		    "would come back into a queue (a mail loop)",
		    ((const struct cfg_address *)hit->obj)->address);
	}
}

/* cfg_check_redis - a redis group RS read into RC: host or socket, not
 * both; the Sentinel settings go together and replace host, port and
 * socket; WAIT must end before the command times out */
static void
cfg_check_redis(struct cfg_load *ld, struct cfg_redis *rc,
    const config_setting_t *rs)
{
	static const char *const direct[] = { "host", "port", "socket" };
	const config_setting_t *s;
	size_t	i;

	if (rs != NULL && config_setting_type(rs) == CONFIG_TYPE_GROUP &&
	    config_setting_get_member(rs, "host") != NULL &&
	    (s = config_setting_get_member(rs, "socket")) != NULL)
		cfg_err(ld, s, NULL, NULL,
		    "cannot be used together with redis.host");
	if (rc->socket != NULL) {
		free(rc->host);
		rc->host = NULL;
	}
	if (rs == NULL || config_setting_type(rs) != CONFIG_TYPE_GROUP)
		return;
	if (rc->nsentinels > 0 && rc->master_name == NULL &&
	    (s = config_setting_get_member(rs, "sentinels")) != NULL)
		cfg_err(ld, s, NULL, NULL, "needs redis.master_name");
	if (rc->nsentinels == 0 && rc->master_name != NULL &&
	    (s = config_setting_get_member(rs, "master_name")) != NULL)
		cfg_err(ld, s, NULL, NULL, "needs redis.sentinels");
	if (rc->nsentinels == 0 && rc->sentinel_password != NULL &&
	    (s = config_setting_get_member(rs, "sentinel_password")) != NULL)
		cfg_err(ld, s, NULL, NULL, "needs redis.sentinels");
	if (rc->username != NULL && rc->password == NULL &&
	    (s = config_setting_get_member(rs, "username")) != NULL)
		cfg_err(ld, s, NULL, NULL, "needs redis.password");
	if (rc->sentinel_username != NULL && rc->sentinel_password == NULL &&
	    (s = config_setting_get_member(rs, "sentinel_username")) != NULL)
		cfg_err(ld, s, NULL, NULL, "needs redis.sentinel_password");
	if (rc->wait_replicas > 0 &&
	    rc->wait_timeout_ms >= rc->command_timeout_ms &&
	    (s = config_setting_get_member(rs, "wait_timeout_ms")) != NULL)
		cfg_err(ld, s, NULL, NULL, "is %d ms, not shorter than "
		    "redis.command_timeout_ms (%d): the connection would time "
		    "out before WAIT answers", rc->wait_timeout_ms,
		    rc->command_timeout_ms);
	if (rc->wait_replicas > 0 &&
	    rc->wait_timeout_ms >= rc->command_timeout_ms &&
	    config_setting_get_member(rs, "wait_timeout_ms") == NULL &&
	    (s = config_setting_get_member(rs, "wait_replicas")) != NULL)
		cfg_err(ld, s, NULL, NULL, "needs redis.wait_timeout_ms (%d "
		    "ms) shorter than redis.command_timeout_ms (%d)",
		    rc->wait_timeout_ms, rc->command_timeout_ms);
	if (rc->nsentinels == 0)
		return;
	for (i = 0; i < sizeof(direct) / sizeof(direct[0]); i++)
		if ((s = config_setting_get_member(rs, direct[i])) != NULL)
			cfg_err(ld, s, NULL, NULL, "cannot be used together "
			    "with redis.sentinels (the Sentinels name the "
			    "master)");
	free(rc->host);
	rc->host = NULL;
}

/* cfg_str_eq - two optional strings are the same (IGN: ASCII case
 * ignored) */
static int
cfg_str_eq(const char *a, const char *b, int ign)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (ign ? cfg_casecmp(a, b) == 0 : strcmp(a, b) == 0);
}

/* cfg_redis_target - A and B reach the same Redis data: the same socket,
 * host and port, or Sentinels and master (in any order), and database */
static int
cfg_redis_target(const struct cfg_redis *a, const struct cfg_redis *b)
{
	size_t	i, j;

	if (a->database != b->database || a->nsentinels != b->nsentinels)
		return (0);
	if (a->nsentinels == 0)
		return (cfg_str_eq(a->socket, b->socket, 0) &&
		    cfg_str_eq(a->host, b->host, 1) &&
		    (a->socket != NULL || a->port == b->port));
	if (!cfg_str_eq(a->master_name, b->master_name, 0))
		return (0);
	for (i = 0; i < a->nsentinels; i++) {
		for (j = 0; j < b->nsentinels; j++)
			if (cfg_str_eq(a->sentinels[i], b->sentinels[j], 1))
				break;
		if (j == b->nsentinels)
			return (0);
	}
	return (1);
}

/* cfg_redis_same - A and B are the same Redis with the same settings */
static int
cfg_redis_same(const struct cfg_redis *a, const struct cfg_redis *b)
{
	return (cfg_redis_target(a, b) &&
	    cfg_str_eq(a->password, b->password, 0) &&
	    cfg_str_eq(a->username, b->username, 0) &&
	    cfg_str_eq(a->sentinel_password, b->sentinel_password, 0) &&
	    cfg_str_eq(a->sentinel_username, b->sentinel_username, 0) &&
	    a->connect_timeout_ms == b->connect_timeout_ms &&
	    a->command_timeout_ms == b->command_timeout_ms &&
	    a->wait_replicas == b->wait_replicas &&
	    a->wait_timeout_ms == b->wait_timeout_ms);
}

/* cfg_check_groups - each organisation's own redis read and checked like
 * the top-level one; organisations that name the same Redis share one
 * group, and the same Redis under other settings is an error; the
 * organisations router.organizations names exist */
static void
cfg_check_groups(struct cfg_load *ld, const config_t *lc)
{
	struct cfg *cfg = ld->cfg;
	const config_setting_t *ol, *os, *rs, *s, *e;
	const struct cfg_redis *rc;
	size_t	i, g, k;

	ol = config_lookup(lc, "organizations");
	if ((cfg->groups = cfg_calloc(ld, cfg->norgs + 1,
	    sizeof(*cfg->groups))) == NULL)
		return;
	cfg->groups[0] = &cfg->redis;
	cfg->ngroups = 1;
	for (i = 0; i < cfg->norgs; i++) {
		cfg->orgs[i].group = 0;
		if ((rc = cfg->orgs[i].redis) == NULL)
			continue;
		os = cfg_group_elem(ol, i);
		rs = os != NULL ? config_setting_get_member(os, "redis") : NULL;
		cfg_check_redis(ld, cfg->orgs[i].redis, rs);
		for (g = 0; g < cfg->ngroups; g++)
			if (cfg_redis_target(cfg->groups[g], rc))
				break;
		if (g < cfg->ngroups && !cfg_redis_same(cfg->groups[g], rc) &&
		    rs != NULL) {
			for (k = 0; g > 0 && k < i; k++)
				if (cfg->orgs[k].redis == cfg->groups[g])
					break;
			cfg_err(ld, rs, NULL, NULL, "reaches the same Redis as "
			    "%s%s%s with other settings (password, timeouts, "
			    "wait_replicas): give both the same", g == 0 ?
			    "the top-level redis group" : "organizations[",
			    g == 0 || cfg->orgs[k].id == NULL ? "" :
			    cfg->orgs[k].id, g == 0 ? "" : "].redis");
		}
		if (g == cfg->ngroups)
			cfg->groups[cfg->ngroups++] = rc;
		cfg->orgs[i].group = g;
	}
	s = config_lookup(lc, "router.organizations");
	for (i = 0; i < cfg->norgs; i++)
		cfg->orgs[i].served = cfg->router.norganizations == 0;
	for (i = 0; i < cfg->router.norganizations; i++) {
		const char *id = cfg->router.organizations[i];
		char	show[CFG_SHOW_MAX + 16];

		if (id == NULL)
			continue;
		for (k = 0; k < cfg->norgs; k++)
			if (cfg->orgs[k].id != NULL &&
			    strcmp(cfg->orgs[k].id, id) == 0)
				cfg->orgs[k].served = 1;
		if (cfg_find_org(cfg, id) == NULL && s != NULL &&
		    (e = config_setting_get_elem(s, (unsigned)i)) != NULL)
			cfg_err(ld, e, NULL, cfg_show(e, show, sizeof(show)),
			    "no such organisation");
	}
}

/* cfg_check_outbox - an acknowledgement needs a channel that sends: a
 * warning, as the router queues it anyway and gives it up */
static void
cfg_check_outbox(struct cfg_load *ld, const config_t *lc)
{
	const config_setting_t *ol, *os, *dl, *ds, *al, *as, *s;
	const struct cfg_address *a;
	const struct cfg_org *o;
	size_t	i, j, k;

	ol = config_lookup(lc, "organizations");
	for (i = 0; i < ld->cfg->norgs; i++) {
		o = &ld->cfg->orgs[i];
		if ((os = cfg_group_elem(ol, i)) == NULL)
			continue;
		dl = config_setting_get_member(os, "domains");
		for (j = 0; j < o->ndomains; j++) {
			if ((ds = cfg_group_elem(dl, j)) == NULL)
				continue;
			al = config_setting_get_member(ds, "addresses");
			for (k = 0; k < o->domains[j].naddresses; k++) {
				a = &o->domains[j].addresses[k];
				if (a->ack == NULL || (a->enabled &&
				    (a->direction & CFG_DIR_OUTBOUND)) ||
				    (as = cfg_group_elem(al, k)) == NULL ||
				    (s = config_setting_get_member(as,
				    "ack")) == NULL)
					continue;
				cfg_warn(ld, s, "%s does not send (enabled, "
				    "direction): its acknowledgements are "
				    "given up", a->address);
			}
		}
	}
}

/* cfg_check_model - the second pass: checks that need context, then the
 * lookup index */
void
cfg_check_model(struct cfg_load *ld, const config_t *lc)
{
	struct cfg *cfg = ld->cfg;
	const config_setting_t *rs, *ol, *os, *s;
	struct cfg_seenv ov = { NULL, 0, 0 }, dv = { NULL, 0, 0 };
	struct cfg_seenv av = { NULL, 0, 0 }, wv = { NULL, 0, 0 };
	struct cfg_index *ix;
	size_t	i;

	for (i = 0; i < cfg->dns.nmx_hosts; i++)
		if (cfg->dns.mx_hosts[i] != NULL)
			cfg_lower(cfg->dns.mx_hosts[i]);
	if (cfg->dns.bounce_target != NULL)
		cfg_lower(cfg->dns.bounce_target);
	if (cfg->dns.hosted_domain != NULL)
		cfg_lower(cfg->dns.hosted_domain);
	rs = config_lookup(lc, "redis");
	cfg_check_redis(ld, &cfg->redis, rs);
	if (cfg->delivery.retry_max < cfg->delivery.retry_min &&
	    (s = config_lookup(lc, "delivery.retry_max")) != NULL)
		cfg_err(ld, s, NULL, NULL, "is %d seconds, shorter than "
		    "delivery.retry_min (%d)", cfg->delivery.retry_max,
		    cfg->delivery.retry_min);
	if (cfg->fetch.retry_max < cfg->fetch.retry_min &&
	    (s = config_lookup(lc, "fetch.retry_max")) != NULL)
		cfg_err(ld, s, NULL, NULL, "is %d seconds, shorter than "
		    "fetch.retry_min (%d)", cfg->fetch.retry_max,
		    cfg->fetch.retry_min);
	if (cfg->delivery.password != NULL && cfg->delivery.username == NULL &&
	    (s = config_lookup(lc, "delivery.password")) != NULL)
		cfg_err(ld, s, NULL, NULL, "needs delivery.username");
	cfg_check_auth(ld, lc);
	if (cfg->outbound.ntrusted_networks > 0 &&
	    (cfg->outbound.nets = cfg_calloc(ld,
	    cfg->outbound.ntrusted_networks, sizeof(*cfg->outbound.nets))) !=
	    NULL)
		for (i = 0; i < cfg->outbound.ntrusted_networks; i++)
			if (cfg->outbound.trusted_networks[i] != NULL)
				(void)cfg_parse_cidr(
				    cfg->outbound.trusted_networks[i],
				    &cfg->outbound.nets[i]);

	ol = config_lookup(lc, "organizations");
	for (i = 0; i < cfg->norgs; i++) {
		if ((os = cfg_group_elem(ol, i)) == NULL)
			continue;
		if (cfg->orgs[i].id != NULL &&
		    (s = config_setting_get_member(os, "id")) != NULL)
			cfg_seen_add(ld, &ov, cfg->orgs[i].id, s, &cfg->orgs[i]);
		cfg_check_org(ld, &cfg->orgs[i], os, &dv, &av, &wv);
	}
	cfg_check_groups(ld, lc);
	/* an agent's workplace address identifies them when they send */
	cfg_seen_dups(ld, &wv, cfg_seen_casecmp, 1);
	cfg_seen_dups(ld, &ov, cfg_seen_cmp, 0);
	cfg_seen_dups(ld, &dv, cfg_seen_casecmp, 0);
	cfg_seen_dups(ld, &av, cfg_seen_cmp, 1);
	cfg_check_loops(ld, &wv, &av);

	if ((ix = cfg_calloc(ld, 1, sizeof(*ix))) != NULL) {
		cfg->index = ix;
		if (av.n > 0 &&
		    (ix->addrs = cfg_calloc(ld, av.n, sizeof(*ix->addrs))) != NULL) {
			for (i = 0; i < av.n; i++)
				ix->addrs[i] = av.v[i].obj;
			ix->naddrs = av.n;
		}
		if (dv.n > 0 && (ix->domains = cfg_calloc(ld, dv.n,
		    sizeof(*ix->domains))) != NULL) {
			for (i = 0; i < dv.n; i++)
				ix->domains[i] = dv.v[i].obj;
			ix->ndomains = dv.n;
		}
		/* sorted by cfg_seen_dups, case ignored */
		if (wv.n > 0 && (ix->agents = cfg_calloc(ld, wv.n,
		    sizeof(*ix->agents))) != NULL) {
			for (i = 0; i < wv.n; i++)
				ix->agents[i] = wv.v[i].obj;
			ix->nagents = wv.n;
		}
	}
	free(wv.v);
	free(ov.v);
	free(dv.v);
	free(av.v);
	cfg_check_sender(ld, lc);
	cfg_check_secrets(ld, lc);
	cfg_check_outbox(ld, lc);
}
