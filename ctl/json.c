/* json.c - a small streaming JSON writer: escaping and comma placement.
 * No allocation; the caller closes what it opens. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

/* json_init - an empty document writing to FP */
void
json_init(struct json *j, FILE *fp)
{
	memset(j, 0, sizeof(*j));
	j->fp = fp;
}

/* json_utf8 - length of the valid UTF-8 sequence at S (at most LEN
 * octets), or 0 when it is not one (overlong, surrogate, > U+10FFFF) */
static size_t
json_utf8(const unsigned char *s, size_t len)
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

/* json_str - S as a JSON string: escapes, UTF-8 through, bad octets U+FFFD */
void
json_str(FILE *fp, const char *s, size_t len)
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
			if ((n = json_utf8(p + i, len - i)) == 0) {
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

/* json_key - the comma before a value and, inside an object, its key */
static void
json_key(struct json *j, const char *key)
{
	if (j->count[j->depth]++ > 0)
		putc(',', j->fp);
	if (key != NULL) {
		json_str(j->fp, key, strlen(key));
		putc(':', j->fp);
	}
}

/* json_open - start an object or array */
void
json_open(struct json *j, const char *key, int bracket)
{
	if (j->depth > 0 || j->count[0] > 0)
		json_key(j, key);
	else
		j->count[0]++;
	putc(bracket, j->fp);
	if (j->depth < JSON_DEPTH - 1)
		j->count[++j->depth] = 0;
}

/* json_close - end the innermost object or array */
void
json_close(struct json *j, int bracket)
{
	putc(bracket, j->fp);
	if (j->depth > 0)
		j->depth--;
}

/* json_string - "key":"value", or null for NULL */
void
json_string(struct json *j, const char *key, const char *s)
{
	if (s == NULL) {
		json_null(j, key);
		return;
	}
	json_stringn(j, key, s, strlen(s));
}

/* json_stringn - "key":"value" from a counted string */
void
json_stringn(struct json *j, const char *key, const char *s, size_t len)
{
	json_key(j, key);
	json_str(j->fp, s, len);
}

/* json_int - "key":123 */
void
json_int(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	fprintf(j->fp, "%" PRId64, v);
}

/* json_bool - "key":true */
void
json_bool(struct json *j, const char *key, int v)
{
	json_key(j, key);
	fputs(v ? "true" : "false", j->fp);
}

/* json_null - "key":null */
void
json_null(struct json *j, const char *key)
{
	json_key(j, key);
	fputs("null", j->fp);
}

/* json_end - the newline that ends the document */
void
json_end(struct json *j)
{
	putc('\n', j->fp);
}
