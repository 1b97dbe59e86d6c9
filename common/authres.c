/* authres.c - read Authentication-Results (RFC 8601) for one question: did
 * the relay's own verifier authenticate the From domain?
 *
 * Only a header whose authserv-id is the configured one counts (headers
 * of that kind from outside must be removed by that verifier, as RFC 8601
 * section 5 asks).  Comments are dropped, results and properties compared
 * without regard to case.  Alignment is relaxed (RFC 7489): the same
 * registrable domain by the Public Suffix List, or the same name when the
 * list cannot tell.  No I/O. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authres.h"
#include "dpsl.h"

#define AUTHRES_MAX	8192

/* authres_strip - VALUE without comments and line breaks, lower case, in
 * OUT (AUTHRES_MAX); -1 when too long */
static int
authres_strip(const char *value, char *out)
{
	size_t	n = 0;
	int	depth = 0, quoted = 0;

	for (; *value != '\0'; value++) {
		char	c = *value;

		if (c == '\\' && value[1] != '\0' && (quoted || depth)) {
			value++;
			if (!depth && n < AUTHRES_MAX - 1)
				out[n++] = value[0];
			continue;
		}
		if (!quoted && c == '(') {
			depth++;
			continue;
		}
		if (!quoted && c == ')' && depth > 0) {
			depth--;
			continue;
		}
		if (depth > 0)
			continue;
		if (c == '"') {
			quoted = !quoted;
			continue;
		}
		if (c == '\r' || c == '\n' || c == '\t')
			c = ' ';
		if (n >= AUTHRES_MAX - 1)
			return (-1);
		out[n++] = (char)tolower((unsigned char)c);
	}
	out[n] = '\0';
	return (0);
}

/* authres_aligned - the same registrable domain (or the same name) */
static int
authres_aligned(const char *a, const char *b)
{
	const char *ra, *rb;
	size_t	la = strlen(a), lb = strlen(b);

	while (la > 0 && a[la - 1] == '.')
		la--;
	while (lb > 0 && b[lb - 1] == '.')
		lb--;
	if (la == lb && strncasecmp(a, b, la) == 0 && la > 0)
		return (1);
	if ((ra = dpsl_registrable(a)) == NULL ||
	    (rb = dpsl_registrable(b)) == NULL)
		return (0);
	la = strlen(ra);
	lb = strlen(rb);
	while (la > 0 && ra[la - 1] == '.')
		la--;
	while (lb > 0 && rb[lb - 1] == '.')
		lb--;
	return (la == lb && strncasecmp(ra, rb, la) == 0);
}

/* authres_domain - the domain of property value V (an address or a name) */
static const char *
authres_domain(const char *v)
{
	const char *at = strrchr(v, '@');

	return (at != NULL ? at + 1 : v);
}

/* authres_resinfo - one "method=result prop=value ..." clause (lower
 * case, comments gone): does it vouch for FROM? */
static int
authres_resinfo(char *clause, const char *from)
{
	char	*save = NULL, *tok, *method = NULL, *result = NULL, *eq;
	int	pass = 0, aligned = 0;

	for (tok = strtok_r(clause, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		if ((eq = strchr(tok, '=')) == NULL)
			continue;
		*eq++ = '\0';
		if (method == NULL) {
			method = tok;
			result = eq;
			pass = strcmp(result, "pass") == 0;
			continue;
		}
		if (!pass)
			break;
		if (strcmp(method, "dmarc") == 0 &&
		    strcmp(tok, "header.from") == 0)
			aligned |= authres_aligned(authres_domain(eq), from) &&
			    strcasecmp(authres_domain(eq), from) == 0;
		else if (strcmp(method, "dkim") == 0 &&
		    (strcmp(tok, "header.d") == 0 ||
		    strcmp(tok, "header.i") == 0))
			aligned |= authres_aligned(authres_domain(eq), from);
		else if (strcmp(method, "spf") == 0 &&
		    strcmp(tok, "smtp.mailfrom") == 0)
			aligned |= authres_aligned(authres_domain(eq), from);
	}
	return (pass && aligned);
}

/* authres_check - does our verifier's header vouch for FROM_DOMAIN? */
int
authres_check(const char *value, const char *authserv,
    const char *from_domain)
{
	char	*buf, *p, *clause, *save = NULL;
	size_t	n;
	int	rc = AUTHRES_NONE;

	if (value == NULL || authserv == NULL || *authserv == '\0')
		return (AUTHRES_OTHER);
	if ((buf = malloc(AUTHRES_MAX)) == NULL)
		return (AUTHRES_NONE);
	if (authres_strip(value, buf) != 0) {
		free(buf);
		return (AUTHRES_NONE);
	}
	/* authserv-id [version] ; resinfo ; resinfo ... */
	for (p = buf; *p == ' '; p++)
		;
	n = strcspn(p, " ;");
	if (n != strlen(authserv) || strncasecmp(p, authserv, n) != 0) {
		free(buf);
		return (AUTHRES_OTHER);
	}
	if ((p = strchr(p, ';')) == NULL || from_domain == NULL ||
	    *from_domain == '\0') {
		free(buf);
		return (AUTHRES_NONE);
	}
	for (clause = strtok_r(p + 1, ";", &save); clause != NULL;
	    clause = strtok_r(NULL, ";", &save))
		if (authres_resinfo(clause, from_domain)) {
			rc = AUTHRES_PASS;
			break;
		}
	free(buf);
	return (rc);
}
