/* addr.c - parse and normalise RFC 5321/5322 mailbox addresses. No I/O.
 *
 * The milter sees envelope paths exactly as the client sent them; operators
 * write addresses in the configuration.  Both go through addr_key() so that
 * they meet in one normalised form. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>

#include "addr.h"

/* addr_lower - ASCII lower case; 8-bit (SMTPUTF8) bytes stay as they are */
static char
addr_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* addr_strip - IN without surrounding white space, angle brackets and an
 * RFC 5321 source route: [*P, *E); 0, or -1 with ERR */
static int
addr_strip(const char *in, const char **pp, const char **pe, char *err,
    size_t errlen)
{
	const char *p = in, *e, *q;

	while (*p == ' ' || *p == '\t')
		p++;
	e = p + strlen(p);
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (p < e && *p == '<') {
		if (e - p < 2 || e[-1] != '>') {
			snprintf(err, errlen, "unbalanced angle brackets");
			return (-1);
		}
		p++;
		e--;
	}
	if (p < e && *p == '@') {
		if ((q = memchr(p, ':', (size_t)(e - p))) == NULL) {
			snprintf(err, errlen, "malformed source route");
			return (-1);
		}
		p = q + 1;
	}
	if (p == e) {
		snprintf(err, errlen, "null address");
		return (-1);
	}
	*pp = p;
	*pe = e;
	return (0);
}

/* addr_parse - split an envelope path into local part and domain */
int
addr_parse(const char *in, struct addr *out, char *err, size_t errlen)
{
	const char *p, *end, *at, *q;
	size_t	llen, dlen;
	int	quoted = 0;

	if (in == NULL) {
		snprintf(err, errlen, "no address");
		return (-1);
	}
	if (addr_strip(in, &p, &end, err, errlen) != 0)
		return (-1);
	if ((size_t)(end - p) > ADDR_MAX) {
		snprintf(err, errlen, "address longer than %d octets", ADDR_MAX);
		return (-1);
	}
	/* find the '@' that ends the local part, honouring a quoted string */
	at = NULL;
	for (q = p; q < end; q++) {
		if (*q == '\\' && quoted && q + 1 < end) {
			q++;
			continue;
		}
		if (*q == '"')
			quoted = !quoted;
		else if (!quoted && *q == '@' && at != NULL) {
			/* "a@@b", "a@b@c": an '@' of the local part must be
			 * quoted, and a domain holds none */
			snprintf(err, errlen, "more than one '@'");
			return (-1);
		} else if (!quoted && *q == '@')
			at = q;
		else if (!quoted && ((unsigned char)*q < 0x21 || *q == 0x7f ||
		    strchr("<>()[],;:", *q) != NULL) && at == NULL) {
			snprintf(err, errlen, "invalid character in local part");
			return (-1);
		}
	}
	if (quoted) {
		snprintf(err, errlen, "unterminated quoted string");
		return (-1);
	}
	if (at == NULL) {
		snprintf(err, errlen, "no domain");
		return (-1);
	}
	llen = (size_t)(at - p);
	dlen = (size_t)(end - at - 1);
	if (llen == 0) {
		snprintf(err, errlen, "empty local part");
		return (-1);
	}
	if (llen > ADDR_LOCAL_MAX) {
		snprintf(err, errlen, "local part longer than %d octets",
		    ADDR_LOCAL_MAX);
		return (-1);
	}
	if (dlen == 0) {
		snprintf(err, errlen, "empty domain");
		return (-1);
	}
	memcpy(out->local, p, llen);
	out->local[llen] = '\0';
	memcpy(out->domain, at + 1, dlen);
	out->domain[dlen] = '\0';
	if (out->domain[0] != '[' && !addr_valid_domain(out->domain)) {
		snprintf(err, errlen, "invalid domain");
		return (-1);
	}
	return (0);
}

/* addr_domain_canon - domain D (LEN octets) without a trailing dot, in
 * A-labels and lower case, into OUT; 0, or ADDR_ESYNTAX with ERR */
static int
addr_domain_canon(const char *d, size_t len, char *out, size_t outlen,
    char *err, size_t errlen)
{
	char	*tmp, *ace = NULL;
	size_t	i;
	int	rc, utf8 = 0;

	if (len > 0 && d[len - 1] == '.')
		len--;
	if (len == 0) {
		snprintf(err, errlen, "empty domain");
		return (ADDR_ESYNTAX);
	}
	if (d[0] == '[') {
		char	lit[64];
		unsigned char bin[16];
		size_t	n = len - 2;

		/* RFC 5321 4.1.3: [IPv4] or [IPv6:address], nothing else */
		if (len < 3 || len >= outlen || d[len - 1] != ']' ||
		    n >= sizeof(lit)) {
			snprintf(err, errlen, "invalid address literal");
			return (ADDR_ESYNTAX);
		}
		memcpy(lit, d + 1, n);
		lit[n] = '\0';
		if (strncasecmp(lit, "IPv6:", 5) == 0 ?
		    inet_pton(AF_INET6, lit + 5, bin) != 1 :
		    inet_pton(AF_INET, lit, bin) != 1) {
			snprintf(err, errlen, "invalid address literal");
			return (ADDR_ESYNTAX);
		}
		for (i = 0; i < len; i++)
			out[i] = addr_lower(d[i]);
		out[len] = '\0';
		return (0);
	}
	for (i = 0; i < len; i++)
		utf8 |= (unsigned char)d[i] >= 0x80;
	if (utf8) {
		if ((tmp = strndup(d, len)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return (ADDR_ESYNTAX);
		}
		rc = idn2_lookup_u8((const uint8_t *)tmp, (uint8_t **)&ace,
		    IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
		free(tmp);
		if (rc != IDN2_OK) {
			snprintf(err, errlen, "invalid internationalised "
			    "domain: %s", idn2_strerror(rc));
			return (ADDR_ESYNTAX);
		}
		snprintf(out, outlen, "%s", ace);
		len = strlen(ace);
		idn2_free(ace);
		if (len >= outlen) {
			snprintf(err, errlen, "domain longer than %zu octets",
			    outlen - 1);
			return (ADDR_ESYNTAX);
		}
	} else {
		if (len >= outlen) {
			snprintf(err, errlen, "domain longer than %zu octets",
			    outlen - 1);
			return (ADDR_ESYNTAX);
		}
		for (i = 0; i < len; i++)
			out[i] = addr_lower(d[i]);
		out[len] = '\0';
	}
	for (i = 0; out[i] != '\0'; i++)
		out[i] = addr_lower(out[i]);
	if (!addr_valid_domain(out)) {
		snprintf(err, errlen, "invalid domain");
		return (ADDR_ESYNTAX);
	}
	return (0);
}

/* addr_atext - an RFC 5322 atext octet, or UTF-8 (RFC 6531) */
static int
addr_atext(unsigned char c)
{
	return (isalnum(c) || c >= 0x80 ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL));
}

/* addr_dot_atom - S (N octets) is atext separated by single dots */
static int
addr_dot_atom(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return (0);
	for (i = 0; i < n; i++)
		if (s[i] == '.' ? s[i + 1] == '.' : !addr_atext((unsigned char)s[i]))
			return (0);
	return (1);
}

/* addr_canon - one spelling for every way of writing an address */
int
addr_canon(const char *in, struct addr *out, char *err, size_t errlen)
{
	char	content[ADDR_MAX + 1];
	const char *p, *e, *at, *q;
	size_t	n = 0, i, o;
	int	rc;

	if (in == NULL) {
		snprintf(err, errlen, "no address");
		return (ADDR_ESYNTAX);
	}
	if (addr_strip(in, &p, &e, err, errlen) != 0)
		return (ADDR_ESYNTAX);
	if ((size_t)(e - p) > 2 * ADDR_MAX) {
		snprintf(err, errlen, "address longer than %d octets", ADDR_MAX);
		return (ADDR_ELONG);
	}
	if (*p == '"') {
		/* Quoted-string: qtextSMTP or quoted-pairSMTP, UTF-8 too */
		for (q = p + 1; q < e && *q != '"'; q++) {
			unsigned char c = (unsigned char)*q;

			if (c == '\\' && q + 1 < e) {
				c = (unsigned char)*++q;
				if (c < 32 || c == 127) {
					snprintf(err, errlen, "control "
					    "character in quoted local part");
					return (ADDR_ESYNTAX);
				}
			} else if (c < 32 || c == 127 || c == '\\') {
				snprintf(err, errlen, "control character in "
				    "quoted local part");
				return (ADDR_ESYNTAX);
			}
			if (n >= sizeof(content) - 1) {
				snprintf(err, errlen, "local part longer than "
				    "%d octets", ADDR_LOCAL_MAX);
				return (ADDR_ELONG);
			}
			content[n++] = (char)c;
		}
		if (q >= e || q + 1 >= e || q[1] != '@') {
			snprintf(err, errlen, "malformed quoted local part");
			return (ADDR_ESYNTAX);
		}
		at = q + 1;
	} else {
		if ((at = memchr(p, '@', (size_t)(e - p))) == NULL) {
			/* the last '@' would be a local part with '@' */
			snprintf(err, errlen, "no domain");
			return (ADDR_ESYNTAX);
		}
		n = (size_t)(at - p);
		if (n >= sizeof(content) || !addr_dot_atom(p, n)) {
			snprintf(err, errlen, n >= sizeof(content) ?
			    "local part longer than %d octets" :
			    "invalid character in local part", ADDR_LOCAL_MAX);
			return (n >= sizeof(content) ? ADDR_ELONG :
			    ADDR_ESYNTAX);
		}
		memcpy(content, p, n);
	}
	content[n] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "empty local part");
		return (ADDR_ESYNTAX);
	}
	if (n > ADDR_LOCAL_MAX) {
		snprintf(err, errlen, "local part longer than %d octets",
		    ADDR_LOCAL_MAX);
		return (ADDR_ELONG);
	}
	if (addr_dot_atom(content, n))
		memcpy(out->local, content, n + 1);
	else {
		/* the one quoted form: quote and backslash escaped */
		o = 0;
		out->local[o++] = '"';
		for (i = 0; i < n; i++) {
			if (content[i] == '"' || content[i] == '\\')
				out->local[o++] = '\\';
			out->local[o++] = content[i];
		}
		out->local[o++] = '"';
		out->local[o] = '\0';
	}
	if ((rc = addr_domain_canon(at + 1, (size_t)(e - at - 1), out->domain,
	    sizeof(out->domain), err, errlen)) != 0)
		return (rc);
	if (strlen(out->local) + 1 + strlen(out->domain) > ADDR_MAX) {
		snprintf(err, errlen, "address longer than %d octets", ADDR_MAX);
		return (ADDR_ELONG);
	}
	return (0);
}

/* addr_domain_of - the domain part, canonical where it can be */
int
addr_domain_of(const char *in, char *out, size_t outlen)
{
	const char *p, *e, *at = NULL, *q;
	char	err[128];

	if (in == NULL || addr_strip(in, &p, &e, err, sizeof(err)) != 0)
		return (-1);
	for (q = p; q < e; q++)
		if (*q == '@')
			at = q;
	if (at == NULL || addr_domain_canon(at + 1, (size_t)(e - at - 1), out,
	    outlen, err, sizeof(err)) != 0)
		return (-1);
	return (0);
}

/* addr_key - build the normalised lookup key local@domain */
int
addr_key(const char *local, const char *domain, int case_sensitive,
    const char *seps, int strip_tag, char *key, size_t keylen)
{
	size_t	llen, dlen, i;

	llen = strlen(local);
	/* a separator in first position is part of the name, not a tag */
	if (strip_tag && seps != NULL && *seps != '\0' && llen > 1) {
		size_t	cut = strcspn(local + 1, seps) + 1;

		if (cut < llen)
			llen = cut;
	}
	dlen = strlen(domain);
	if (llen + 1 + dlen + 1 > keylen)
		return (-1);
	for (i = 0; i < llen; i++)
		key[i] = case_sensitive ? local[i] : addr_lower(local[i]);
	key[llen] = '@';
	for (i = 0; i < dlen; i++)
		key[llen + 1 + i] = addr_lower(domain[i]);
	key[llen + 1 + dlen] = '\0';
	return (0);
}

/* addr_valid_domain - letters, digits and hyphens in dot-separated labels */
int
addr_valid_domain(const char *name)
{
	const char *p;
	size_t	label = 0, total;

	total = strlen(name);
	if (total == 0 || total > 253)
		return (0);
	for (p = name; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return (0);
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-')
			return (0);
		if (*p == '-' && label == 0)
			return (0);
		if (++label > 63)
			return (0);
	}
	return (label > 0 && p[-1] != '-');
}
