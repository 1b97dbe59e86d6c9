/* json.c - a small streaming JSON writer: escaping and comma placement.
 * No allocation; the caller closes what it opens. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

/* jw_init - an empty document writing to FP */
void
jw_init(struct jw *j, FILE *fp)
{
	memset(j, 0, sizeof(*j));
	j->fp = fp;
}

/* jw_utf8 - length of the valid UTF-8 sequence at S (at most LEN
 * octets), or 0 when it is not one (overlong, surrogate, > U+10FFFF) */
static size_t
jw_utf8(const unsigned char *s, size_t len)
{
	size_t	n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return (1);
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return (0);
	if (n > len)
		return (0);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return (0);
	return (n);
}

/* jw_str - S as a JSON string: escapes, UTF-8 through, bad octets U+FFFD */
void
jw_str(FILE *fp, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t	i = 0, n;

	putc('"', fp);
	while (i < len) {
		unsigned char c = p[i];

		switch (c) {
		case '"':
			fputs("\\\"", fp);
			break;
		case '\\':
			fputs("\\\\", fp);
			break;
		case '\b':
			fputs("\\b", fp);
			break;
		case '\f':
			fputs("\\f", fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\r':
			fputs("\\r", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				fprintf(fp, "\\u%04x", c);
				break;
			}
			if ((n = jw_utf8(p + i, len - i)) == 0) {
				fputs("\\ufffd", fp);
				break;
			}
			fwrite(p + i, 1, n, fp);
			i += n;
			continue;
		}
		i++;
	}
	putc('"', fp);
}

/* jw_key - the comma before a value and, inside an object, its key */
static void
jw_key(struct jw *j, const char *key)
{
	if (j->count[j->depth]++ > 0)
		putc(',', j->fp);
	if (key != NULL) {
		jw_str(j->fp, key, strlen(key));
		putc(':', j->fp);
	}
}

/* jw_open - start an object or array */
void
jw_open(struct jw *j, const char *key, int bracket)
{
	if (j->depth > 0 || j->count[0] > 0)
		jw_key(j, key);
	else
		j->count[0]++;
	putc(bracket, j->fp);
	if (j->depth < JW_DEPTH - 1)
		j->count[++j->depth] = 0;
}

/* jw_close - end the innermost object or array */
void
jw_close(struct jw *j, int bracket)
{
	putc(bracket, j->fp);
	if (j->depth > 0)
		j->depth--;
}

/* jw_string - "key":"value", or null for NULL */
void
jw_string(struct jw *j, const char *key, const char *s)
{
	if (s == NULL) {
		jw_null(j, key);
		return;
	}
	jw_stringn(j, key, s, strlen(s));
}

/* jw_stringn - "key":"value" from a counted string */
void
jw_stringn(struct jw *j, const char *key, const char *s, size_t len)
{
	jw_key(j, key);
	jw_str(j->fp, s, len);
}

/* jw_int - "key":123 */
void
jw_int(struct jw *j, const char *key, int64_t v)
{
	jw_key(j, key);
	fprintf(j->fp, "%" PRId64, v);
}

/* jw_double - "key":0.666667; JSON has no NaN or infinity */
void
jw_double(struct jw *j, const char *key, double v)
{
	if (!(v > -1e300 && v < 1e300)) {
		jw_null(j, key);
		return;
	}
	jw_key(j, key);
	fprintf(j->fp, "%.6g", v);
}

/* jw_bool - "key":true */
void
jw_bool(struct jw *j, const char *key, int v)
{
	jw_key(j, key);
	fputs(v ? "true" : "false", j->fp);
}

/* jw_null - "key":null */
void
jw_null(struct jw *j, const char *key)
{
	jw_key(j, key);
	fputs("null", j->fp);
}

/* jw_end - the newline that ends the document */
void
jw_end(struct jw *j)
{
	putc('\n', j->fp);
}
