/* addr.c - parse and normalise RFC 5321/5322 mailbox addresses. No I/O.
 *
 * The milter sees envelope paths exactly as the client sent them; operators
 * write addresses in the configuration.  Both go through addr_key() so that
 * they meet in one normalised form. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"

/* addr_lower - ASCII lower case; 8-bit (SMTPUTF8) bytes stay as they are */
static char
addr_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
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
	p = in;
	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (p < end && *p == '<') {
		if (end[-1] != '>') {
			snprintf(err, errlen, "unbalanced angle brackets");
			return (-1);
		}
		p++;
		end--;
	}
	/* RFC 5321 source route "@a,@b:user@dom": ignore the route */
	if (p < end && *p == '@') {
		q = memchr(p, ':', (size_t)(end - p));
		if (q == NULL) {
			snprintf(err, errlen, "malformed source route");
			return (-1);
		}
		p = q + 1;
	}
	if (p == end) {
		snprintf(err, errlen, "null address");
		return (-1);
	}
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
		else if (!quoted && *q == '@')
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
