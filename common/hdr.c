/* hdr.c - message header helpers: our header names, auto-reply detection,
 * RFC 2047 decoding (through GMime) and unfolding.  No I/O. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "autoreply.h"
#include "hdr.h"

/* hdr_is_ours - header names that only mailacd may write */
int
hdr_is_ours(const char *name)
{
	return (strncasecmp(name, HDR_PREFIX, sizeof(HDR_PREFIX) - 1) == 0);
}

/* hdr_init - initialise GMime once */
void
hdr_init(void)
{
	g_mime_init();
}

/* hdr_utf8_cut - largest length <= MAX that does not split a character */
size_t
hdr_utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return (len);
	len = max;
	while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
		len--;
	return (len);
}

/* hdr_unfold - remove CR/LF of folded lines, trim, bound the length */
char *
hdr_unfold(const char *raw, size_t max, int keep_tail)
{
	size_t	len = strlen(raw), i, n = 0, start;
	char	*out;

	if ((out = malloc(len + 1)) == NULL)
		return (NULL);
	for (i = 0; i < len; i++) {
		if (raw[i] == '\r' || raw[i] == '\n')
			continue;
		if (raw[i] == '\t')
			out[n++] = ' ';
		else
			out[n++] = raw[i];
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	for (start = 0; out[start] == ' '; start++)
		;
	if (n - start > max) {
		if (keep_tail) {
			/* keep whole message ids: start after a space */
			size_t	from = n - max;

			while (from < n && out[from - 1] != ' ')
				from++;
			start = from;
		} else
			n = start + hdr_utf8_cut(out + start, n - start, max);
	}
	memmove(out, out + start, n - start);
	out[n - start] = '\0';
	return (out);
}

/* hdr_fold_ids - fold a list of message ids so no line passes 998 */
char *
hdr_fold_ids(const char *name, const char *ids)
{
	size_t	len = strlen(ids), col = strlen(name) + 2, n = 0, w;
	const char *p = ids, *e;
	char	*out;

	/* at most one separator (LF TAB) per id plus the ids themselves */
	if ((out = malloc(2 * len + 1)) == NULL)
		return (NULL);
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && *e != ' ' && *e != '\t' &&
		    *e != '\r' && *e != '\n'; e++)
			;
		w = (size_t)(e - p);
		if (w + 1 > HDR_LINE_MAX || (n == 0 && col + w > HDR_LINE_MAX)) {
			p = e;		/* cannot be written on any line */
			continue;
		}
		if (n > 0 && col + 1 + w > HDR_LINE_FOLD) {
			out[n++] = '\n';
			out[n++] = '\t';
			col = 1;
		} else if (n > 0) {
			out[n++] = ' ';
			col++;
		}
		memcpy(out + n, p, w);
		n += w;
		col += w;
		p = e;
	}
	out[n] = '\0';
	return (out);
}

/* hdr_param_value - a bare value, or a quoted-string when it needs one */
char *
hdr_param_value(const char *value)
{
	const unsigned char *p;
	char	*out, *o;
	int	bare = *value != '\0';

	for (p = (const unsigned char *)value; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f || *p == ';' || *p == '"' ||
		    *p == '\\')
			bare = 0;
	if (bare)
		return (strdup(value));
	if ((out = malloc(2 * strlen(value) + 3)) == NULL)
		return (NULL);
	o = out;
	*o++ = '"';
	for (p = (const unsigned char *)value; *p != '\0'; p++) {
		if ((*p < ' ' && *p != '\t') || *p == 0x7f)
			continue;
		if (*p == '"' || *p == '\\')
			*o++ = '\\';
		*o++ = (char)*p;
	}
	*o++ = '"';
	*o = '\0';
	return (out);
}

/* hdr_decode_text - decode encoded words and 8-bit text into UTF-8 */
char *
hdr_decode_text(const char *raw, size_t max)
{
	char	*unfolded, *dec, *out;
	size_t	len;

	if ((unfolded = hdr_unfold(raw, strlen(raw), 0)) == NULL)
		return (NULL);
	dec = g_mime_utils_header_decode_text(NULL, unfolded);
	free(unfolded);
	if (dec == NULL)
		return (strdup(""));
	/* raw 8-bit text shaped like UTF-8 comes back as it was, even with
	 * leads past U+10FFFF (F5..F7): the hand-off promises UTF-8 */
	if (!g_utf8_validate(dec, -1, NULL)) {
		char	*valid = g_utf8_make_valid(dec, -1);

		g_free(dec);
		dec = valid;
	}
	/* decoded text may carry control characters; the hand-off must not */
	for (char *p = dec; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	len = hdr_utf8_cut(dec, strlen(dec), max);
	if ((out = malloc(len + 1)) != NULL) {
		memcpy(out, dec, len);
		out[len] = '\0';
	}
	g_free(dec);
	return (out);
}

/* hdr_auto_reason - recognise the usual marks of automatic mail (the
 * rules live with the other RFC 3834 rules in autoreply.c) */
const char *
hdr_auto_reason(const char *name, const char *value)
{
	return (autoreply_auto_header(name, value));
}

/* hdr_auto_sender - null sender and mailer daemons */
const char *
hdr_auto_sender(const char *sender)
{
	return (autoreply_auto_sender(sender));
}

/* hdr_mailbox - the single mailbox of a From/Reply-To value */
int
hdr_mailbox(const char *raw, char *out, size_t outlen)
{
	InternetAddressList *l;
	InternetAddress *ia;
	const char *a;
	int	rc = -1;

	if ((l = internet_address_list_parse(NULL, raw)) == NULL)
		return (-1);
	if (internet_address_list_length(l) == 1 &&
	    (ia = internet_address_list_get_address(l, 0)) != NULL &&
	    INTERNET_ADDRESS_IS_MAILBOX(ia) &&
	    (a = internet_address_mailbox_get_addr(
	    INTERNET_ADDRESS_MAILBOX(ia))) != NULL && strlen(a) < outlen &&
	    strchr(a, '@') != NULL) {
		strcpy(out, a);
		rc = 0;
	}
	g_object_unref(l);
	return (rc);
}

/* hdr_format_mailbox - "Name <addr>" as a header value, the name a
 * quoted or RFC 2047 (UTF-8) encoded phrase as GMime sees fit */
char *
hdr_format_mailbox(const char *name, const char *addr)
{
	char	*p, *out;
	size_t	len;

	if (name == NULL || *name == '\0')
		return (strdup(addr));
	if ((p = g_mime_utils_header_encode_phrase(NULL, name, "UTF-8")) ==
	    NULL)
		return (NULL);
	len = strlen(p) + strlen(addr) + 4;
	if ((out = malloc(len)) != NULL)
		snprintf(out, len, "%s <%s>", p, addr);
	g_free(p);
	return (out);
}
