/* dress.c - header, footer, signature, contact card and "#response"
 * lines in outbound mail (see dress.h), with GMime. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "cfg.h"
#include "dress.h"
#include "respond.h"
#include "tmpl.h"

#define DRESS_PARAM	"x-mailacd-dressed"
#define DRESS_CARD	"x-mailacd-card"

/* The texts of one dressing, rendered (NULL: none). */
struct dress_txt {
	char	*head[2], *foot[2], *sig[2];	/* [0] text, [1] html */
	const struct cfg_response *resp;	/* "#response NAME" found */
	char	*resp_txt[2];
	char	respname[CFG_NAME_MAX + 1];
	int	did_head, did_foot, did_sig, did_resp;
	int	resp_missed;	/* a text part kept its "#response" line */
};

/* dress_from_name - the display name of a From header */
int
dress_from_name(const char *from, char *buf, size_t len)
{
	InternetAddressList *l;
	InternetAddress *ia;
	const char *nm;
	int	rc = -1;

	if ((l = internet_address_list_parse(NULL, from)) == NULL)
		return (-1);
	if (internet_address_list_length(l) > 0 &&
	    (ia = internet_address_list_get_address(l, 0)) != NULL &&
	    (nm = internet_address_get_name(ia)) != NULL && *nm != '\0') {
		snprintf(buf, len, "%s", nm);
		rc = 0;
	}
	g_object_unref(l);
	return (rc);
}

/* dress_wanted - whether anything may be added to mail of A from G */
int
dress_wanted(const struct cfg_address *a, const struct cfg_agent *g)
{
	if (a == NULL)
		return (0);
	return (a->header != NULL || a->footer != NULL || a->card != NULL ||
	    (g != NULL && (g->signature != NULL ||
	    (a->org != NULL && a->org->nresponses > 0))));
}

/* dress_lf - S with CRLF and lone CR turned into LF, in place */
static void
dress_lf(char *s)
{
	char	*w = s;

	for (; *s != '\0'; s++) {
		if (*s == '\r') {
			if (s[1] != '\n')
				*w++ = '\n';
			continue;
		}
		*w++ = *s;
	}
	*w = '\0';
}

/* dress_render - T with V, LF line ends; NULL when T is NULL or memory
 * is short */
static char *
dress_render(const struct tmpl *t, const struct tmpl_vars *v)
{
	char	*s;

	if (t == NULL || (s = tmpl_render(t, v, NULL)) == NULL)
		return (NULL);
	dress_lf(s);
	return (s);
}

/* dress_sealed - why part O must not be touched (signed, encrypted), or
 * NULL */
static const char *
dress_sealed(GMimeObject *o)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);

	if (g_mime_content_type_is_type(ct, "multipart", "signed"))
		return ("signed (multipart/signed)");
	if (g_mime_content_type_is_type(ct, "multipart", "encrypted"))
		return ("encrypted (multipart/encrypted)");
	if (g_mime_content_type_is_type(ct, "application", "pkcs7-mime") ||
	    g_mime_content_type_is_type(ct, "application", "x-pkcs7-mime"))
		return ("S/MIME (application/pkcs7-mime)");
	if (g_mime_content_type_is_type(ct, "application", "pgp-encrypted"))
		return ("encrypted (application/pgp-encrypted)");
	return (NULL);
}

/* dress_inline_pgp - TEXT is inline PGP (signed or encrypted) */
static int
dress_inline_pgp(const char *text)
{
	return (strstr(text, "-----BEGIN PGP SIGNED MESSAGE-----") != NULL ||
	    strstr(text, "-----BEGIN PGP MESSAGE-----") != NULL);
}

/* dress_attachment - part O is an attachment, not the text */
static int
dress_attachment(GMimeObject *o)
{
	const char *d = g_mime_object_get_disposition(o);

	return (d != NULL && strcasecmp(d, "attachment") == 0);
}

/* dress_find - the first text/SUB part of the message's text under O:
 * the first part of mixed and related, the alternatives' parts */
static GMimeObject *
dress_find(GMimeObject *o, const char *sub)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	GMimeMultipart *mp;
	GMimeObject *f;
	int	i, n;

	if (GMIME_IS_MULTIPART(o)) {
		if (dress_sealed(o) != NULL)
			return (NULL);
		mp = GMIME_MULTIPART(o);
		n = g_mime_multipart_get_count(mp);
		if (g_mime_content_type_is_type(ct, "multipart",
		    "alternative")) {
			for (i = 0; i < n; i++)
				if ((f = dress_find(g_mime_multipart_get_part(mp,
				    i), sub)) != NULL)
					return (f);
			return (NULL);
		}
		/* mixed, related and the rest: the text is the first part */
		return (n > 0 ? dress_find(g_mime_multipart_get_part(mp, 0),
		    sub) : NULL);
	}
	if (GMIME_IS_TEXT_PART(o) && g_mime_content_type_is_type(ct, "text",
	    sub) && !dress_attachment(o))
		return (o);
	return (NULL);
}

/* dress_any_sealed - why anything under O is signed or encrypted */
static const char *
dress_any_sealed(GMimeObject *o)
{
	const char *why;
	GMimeMultipart *mp;
	int	i, n;

	if ((why = dress_sealed(o)) != NULL)
		return (why);
	if (!GMIME_IS_MULTIPART(o))
		return (NULL);
	mp = GMIME_MULTIPART(o);
	n = g_mime_multipart_get_count(mp);
	for (i = 0; i < n; i++)
		if ((why = dress_any_sealed(g_mime_multipart_get_part(mp, i))) !=
		    NULL)
			return (why);
	return (NULL);
}

/* dress_has_card - a card of ours is attached under O */
static int
dress_has_card(GMimeObject *o)
{
	GMimeMultipart *mp;
	int	i, n;

	if (g_mime_object_get_content_type_parameter(o, DRESS_CARD) != NULL)
		return (1);
	if (!GMIME_IS_MULTIPART(o))
		return (0);
	mp = GMIME_MULTIPART(o);
	n = g_mime_multipart_get_count(mp);
	for (i = 0; i < n; i++)
		if (dress_has_card(g_mime_multipart_get_part(mp, i)))
			return (1);
	return (0);
}

/* dress_squash - S with runs of white space as one space, trimmed (to
 * find a signature whatever the client did to its lines); malloc'd */
static char *
dress_squash(const char *s)
{
	char	*o = malloc(strlen(s) + 1), *w = o;
	int	sp = 0;

	if (o == NULL)
		return (NULL);
	for (; *s != '\0'; s++) {
		if (isspace((unsigned char)*s) || (unsigned char)*s == 0xa0) {
			sp = (w != o);
			continue;
		}
		if (sp)
			*w++ = ' ';
		sp = 0;
		*w++ = *s;
	}
	*w = '\0';
	return (o);
}

/* dress_contains - NEEDLE's words appear in HAY in order, white space
 * aside */
static int
dress_contains(const char *hay, const char *needle)
{
	char	*h = dress_squash(hay), *n = dress_squash(needle);
	int	r = h != NULL && n != NULL && n[0] != '\0' && strstr(h, n) != NULL;

	free(h);
	free(n);
	return (r);
}

/* dress_buf - a growing string */
struct dress_buf {
	GString	*s;
};

/* dress_cat_line - append S to B, then a newline unless S ends in one */
static void
dress_cat_line(GString *b, const char *s)
{
	size_t	n;

	if (s == NULL || (n = strlen(s)) == 0)
		return;
	g_string_append(b, s);
	if (s[n - 1] != '\n')
		g_string_append_c(b, '\n');
}

/* dress_html_text - TEXT as HTML: escaped, line breaks as <br>; malloc'd */
static char *
dress_html_text(const char *text)
{
	char	*e = tmpl_html_escape(text), *p;
	GString	*b;

	if (e == NULL)
		return (NULL);
	b = g_string_new("<div>");
	for (p = e; *p != '\0'; p++) {
		if (*p == '\n')
			g_string_append(b, "<br>\n");
		else
			g_string_append_c(b, *p);
	}
	g_string_append(b, "</div>\n");
	free(e);
	return (g_string_free(b, FALSE));
}

/* dress_text_html - HTML as plain text, tags dropped, a line per block;
 * malloc'd */
static char *
dress_text_html(const char *html)
{
	GString	*b = g_string_new("");
	const char *p = html, *q;

	while (*p != '\0') {
		if (*p == '<') {
			if ((q = strchr(p, '>')) == NULL)
				break;
			if (strncasecmp(p, "<br", 3) == 0 ||
			    strncasecmp(p, "</p", 3) == 0 ||
			    strncasecmp(p, "</div", 5) == 0)
				g_string_append_c(b, '\n');
			p = q + 1;
			continue;
		}
		if (strncmp(p, "&amp;", 5) == 0) {
			g_string_append_c(b, '&');
			p += 5;
		} else if (strncmp(p, "&lt;", 4) == 0) {
			g_string_append_c(b, '<');
			p += 4;
		} else if (strncmp(p, "&gt;", 4) == 0) {
			g_string_append_c(b, '>');
			p += 4;
		} else if (strncmp(p, "&quot;", 6) == 0) {
			g_string_append_c(b, '"');
			p += 6;
		} else if (strncmp(p, "&#39;", 5) == 0) {
			g_string_append_c(b, '\'');
			p += 5;
		} else
			g_string_append_c(b, *p++);
	}
	return (g_string_free(b, FALSE));
}

/* dress_response_line - the NAME of a "#response NAME" first line of
 * TEXT (white space and case of "#response" aside) into NAME; the
 * offsets of the line [*FROM, *TO) in TEXT; 1 when there is one */
static int
dress_response_line(const char *text, char *name, size_t len, size_t *from,
    size_t *to)
{
	const char *p = text, *s, *e;

	/* the first line with text on it */
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
	    (unsigned char)*p == 0xa0)
		p++;
	if (strncasecmp(p, "#response", 9) != 0 || (p[9] != ' ' &&
	    p[9] != '\t'))
		return (0);
	s = p + 9;
	while (*s == ' ' || *s == '\t')
		s++;
	for (e = s; *e != '\0' && !isspace((unsigned char)*e) && *e != '<' &&
	    *e != '&'; e++)
		;
	if (e == s || (size_t)(e - s) >= len) {
		snprintf(name, len, "%.*s", (int)(e - s >= (long)len ?
		    len - 1 : (size_t)(e - s)), s);
		*from = (size_t)(p - text);
		*to = (size_t)(e - text);
		return (1);
	}
	memcpy(name, s, (size_t)(e - s));
	name[e - s] = '\0';
	*from = (size_t)(p - text);
	/* the rest of the line goes with it */
	while (*e == ' ' || *e == '\t')
		e++;
	if (*e == '\r')
		e++;
	if (*e == '\n')
		e++;
	*to = (size_t)(e - text);
	return (1);
}

/* dress_html_body - where HTML's body content starts and ends */
static void
dress_html_body(const char *html, size_t *start, size_t *end)
{
	const char *b = strcasestr(html, "<body"), *p, *last = NULL;

	*start = 0;
	*end = strlen(html);
	if (b != NULL && (p = strchr(b, '>')) != NULL)
		*start = (size_t)(p + 1 - html);
	for (p = html + *start; (p = strcasestr(p, "</body")) != NULL; p++)
		last = p;
	if (last != NULL)
		*end = (size_t)(last - html);
}

/* dress_html_response - the "#response NAME" in HTML's body [S, E):
 * its offsets [*FROM, *TO); 1 when there */
static int
dress_html_response(const char *html, size_t s, size_t e, const char *name,
    size_t *from, size_t *to)
{
	const char *p, *q;
	size_t	n = strlen(name);

	for (p = html + s; (p = strcasestr(p, "#response")) != NULL &&
	    p < html + e; p++) {
		for (q = p + 9; *q == ' ' || *q == '\t'; q++)
			;
		if (q == p + 9 || strncmp(q, name, n) != 0 ||
		    (q[n] != '\0' && !isspace((unsigned char)q[n]) &&
		    q[n] != '<' && q[n] != '&'))
			continue;
		*from = (size_t)(p - html);
		*to = (size_t)(q + n - html);
		return (1);
	}
	return (0);
}

/* dress_text - TEXT (UTF-8, LF) of a text/plain (HTML 0) or text/html
 * (HTML 1) part with what D holds added; malloc'd */
static char *
dress_text(struct dress_txt *d, const char *text, int html)
{
	GString	*b = g_string_new("");
	size_t	s, e, rf = 0, rt = 0;
	char	name[CFG_NAME_MAX + 1], *rt_txt = NULL;
	const char *body = text;

	if (!html && d->resp != NULL && dress_response_line(text, name,
	    sizeof(name), &rf, &rt) && strcmp(name, d->respname) == 0) {
		rt_txt = d->resp_txt[html];
		d->did_resp = 1;
	} else
		rf = rt = 0;
	if (!html) {
		dress_cat_line(b, d->head[0]);
		if (d->head[0] != NULL)
			d->did_head = 1;
		if (rt_txt != NULL) {
			g_string_append_len(b, body, (gssize)rf);
			dress_cat_line(b, rt_txt);
			body += rt;
		}
		g_string_append(b, body);
		if (b->len > 0 && b->str[b->len - 1] != '\n')
			g_string_append_c(b, '\n');
		if (d->sig[0] != NULL) {
			dress_cat_line(b, d->sig[0]);
			d->did_sig = 1;
		}
		dress_cat_line(b, d->foot[0]);
		if (d->foot[0] != NULL)
			d->did_foot = 1;
		return (g_string_free(b, FALSE));
	}
	dress_html_body(text, &s, &e);
	if (d->resp != NULL && dress_html_response(text, s, e, d->respname,
	    &rf, &rt)) {
		rt_txt = d->resp_txt[1];
		d->did_resp = 1;
	} else
		rt_txt = NULL;
	g_string_append_len(b, text, (gssize)s);
	if (d->head[1] != NULL) {
		dress_cat_line(b, d->head[1]);
		d->did_head = 1;
	}
	if (rt_txt != NULL && rf >= s && rt <= e) {
		g_string_append_len(b, text + s, (gssize)(rf - s));
		g_string_append(b, rt_txt);
		s = rt;
	}
	g_string_append_len(b, text + s, (gssize)(e - s));
	if (d->sig[1] != NULL) {
		dress_cat_line(b, d->sig[1]);
		d->did_sig = 1;
	}
	if (d->foot[1] != NULL) {
		dress_cat_line(b, d->foot[1]);
		d->did_foot = 1;
	}
	g_string_append(b, text + e);
	return (g_string_free(b, FALSE));
}

/* dress_set - give text part O the content TEXT (UTF-8, LF), in its
 * charset when that can hold it (else UTF-8) and its transfer encoding
 * (7bit becomes quoted-printable for 8-bit text); ADDED goes into the
 * marker.  0 or -1 */
static int
dress_set(GMimeObject *o, const char *text, const char *added)
{
	GMimePart *part = GMIME_PART(o);
	GMimeContentEncoding enc = g_mime_part_get_content_encoding(part);
	const char *cs = g_mime_object_get_content_type_parameter(o,
	    "charset");
	char	*conv = NULL, *crlf = NULL, *csdup;
	const char *bytes;
	gsize	n, w;
	GMimeStream *st;
	GMimeDataWrapper *dw;
	const unsigned char *p;
	int	eight = 0;
	GString	*g;

	for (p = (const unsigned char *)text; *p != '\0'; p++)
		if (*p >= 0x80)
			eight = 1;
	if (cs == NULL || strcasecmp(cs, "us-ascii") == 0 ||
	    strcasecmp(cs, "ascii") == 0)
		cs = eight ? "utf-8" : "us-ascii";
	csdup = g_strdup(cs);
	if (g_ascii_strcasecmp(csdup, "utf-8") != 0 && eight &&
	    (conv = g_convert(text, -1, csdup, "UTF-8", NULL, &w, NULL)) ==
	    NULL) {
		g_free(csdup);
		csdup = g_strdup("utf-8");
	}
	bytes = conv != NULL ? conv : text;
	n = conv != NULL ? w : strlen(text);
	if (enc == GMIME_CONTENT_ENCODING_DEFAULT ||
	    enc == GMIME_CONTENT_ENCODING_7BIT)
		enc = eight ? GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE :
		    GMIME_CONTENT_ENCODING_7BIT;
	if (enc == GMIME_CONTENT_ENCODING_BASE64) {
		/* canonical text form inside base64: CRLF (RFC 2045 6.8) */
		g = g_string_sized_new(n + n / 16 + 2);
		for (w = 0; w < n; w++) {
			if (bytes[w] == '\n')
				g_string_append_c(g, '\r');
			g_string_append_c(g, bytes[w]);
		}
		n = g->len;
		crlf = g_string_free(g, FALSE);
		bytes = crlf;
	}
	st = g_mime_stream_mem_new_with_buffer(bytes, n);
	dw = g_mime_data_wrapper_new_with_stream(st,
	    GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, dw);
	g_object_unref(dw);
	g_object_unref(st);
	g_mime_part_set_content_encoding(part, enc);
	g_mime_object_set_content_type_parameter(o, "charset", csdup);
	g_mime_object_set_content_type_parameter(o, DRESS_PARAM, added);
	g_free(csdup);
	g_free(conv);
	g_free(crlf);
	return (0);
}

/* dress_get_text - the text of part O in UTF-8 (g_free): decoded
 * straight when its charset is UTF-8 or ASCII and its octets are valid
 * UTF-8 (GMime would convert UTF-8 to UTF-8 through iconv), else through
 * GMime's charset conversion */
static char *
dress_get_text(GMimeObject *o)
{
	const char *cs = g_mime_object_get_content_type_parameter(o,
	    "charset");
	GMimeDataWrapper *dw = g_mime_part_get_content(GMIME_PART(o));
	GMimeStream *ms;
	GByteArray *ba;
	char	*s = NULL;

	if (dw != NULL && (cs == NULL || g_ascii_strcasecmp(cs, "utf-8") == 0 ||
	    g_ascii_strcasecmp(cs, "us-ascii") == 0)) {
		ms = g_mime_stream_mem_new();
		if (g_mime_data_wrapper_write_to_stream(dw, ms) >= 0) {
			ba = g_mime_stream_mem_get_byte_array(
			    GMIME_STREAM_MEM(ms));
			if (g_utf8_validate((const char *)ba->data,
			    (gssize)ba->len, NULL) &&
			    memchr(ba->data, '\0', ba->len) == NULL)
				s = g_strndup((const char *)ba->data, ba->len);
		}
		g_object_unref(ms);
		if (s != NULL)
			return (s);
	}
	return (g_mime_text_part_get_text(GMIME_TEXT_PART(o)));
}

/* dress_part - dress text part O (HTML or not); 1 when it changed, 0
 * when it was dressed before, -1 when it is inline PGP (sealed) */
static int
dress_part(struct dress_txt *d, GMimeObject *o, int html)
{
	char	*text, *out, added[64];
	int	h = d->did_head, f = d->did_foot, s = d->did_sig;
	int	r = d->did_resp;

	if (g_mime_object_get_content_type_parameter(o, DRESS_PARAM) != NULL)
		return (0);
	if ((text = dress_get_text(o)) == NULL)
		return (0);
	if (dress_inline_pgp(text)) {
		g_free(text);
		return (-1);
	}
	dress_lf(text);
	d->did_head = d->did_foot = d->did_sig = d->did_resp = 0;
	out = dress_text(d, text, html);
	g_free(text);
	snprintf(added, sizeof(added), "%s%s%s%s", d->did_head ? "header," :
	    "", d->did_sig ? "signature," : "", d->did_foot ? "footer," : "",
	    d->did_resp ? "response," : "");
	if (d->resp != NULL && !d->did_resp)
		d->resp_missed = 1;
	if (added[0] == '\0') {
		g_free(out);
		d->did_head = h, d->did_foot = f, d->did_sig = s;
		d->did_resp = r;
		return (0);
	}
	added[strlen(added) - 1] = '\0';
	dress_set(o, out, added);
	g_free(out);
	d->did_head |= h, d->did_foot |= f, d->did_sig |= s, d->did_resp |= r;
	return (1);
}

/* dress_fold_line - append the vCard content line S to B, folded at 75
 * octets without cutting a UTF-8 character (RFC 6350 3.2) */
static void
dress_fold_line(GString *b, const char *s)
{
	size_t	n = strlen(s), col = 0, i, k;

	for (i = 0; i < n; i += k) {
		k = 1;
		while (i + k < n && ((unsigned char)s[i + k] & 0xC0) == 0x80)
			k++;
		if (col + k > 75) {
			g_string_append(b, "\r\n ");
			col = 1;
		}
		g_string_append_len(b, s + i, (gssize)k);
		col += k;
	}
	g_string_append(b, "\r\n");
}

/* dress_vesc - V escaped as a vCard text value (RFC 6350 3.4) */
static char *
dress_vesc(const char *v)
{
	GString	*b = g_string_new("");

	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == ',' || *v == ';')
			g_string_append_c(b, '\\');
		if (*v == '\n') {
			g_string_append(b, "\\n");
			continue;
		}
		if ((unsigned char)*v < 0x20)
			continue;
		g_string_append_c(b, *v);
	}
	return (g_string_free(b, FALSE));
}

/* dress_vline - one property NAME:VALUE (VALUE escaped) to B */
static void
dress_vline(GString *b, const char *name, const char *value)
{
	char	*e, *l;

	if (value == NULL || *value == '\0')
		return;
	e = dress_vesc(value);
	l = g_strdup_printf("%s:%s", name, e);
	dress_fold_line(b, l);
	g_free(l);
	g_free(e);
}

/* dress_vcard - the vCard 4.0 of channel A */
char *
dress_vcard(const struct cfg_address *a)
{
	const struct cfg_card *c = a->card;
	GString	*b, *tel;
	const char *p, *fn;
	char	*s, *r;

	if (c == NULL)
		return (NULL);
	b = g_string_new("BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:org\r\n");
	fn = a->display_name != NULL && a->display_name[0] != '\0' ?
	    a->display_name : c->organization;
	dress_vline(b, "FN", fn);
	dress_vline(b, "ORG", c->organization);
	dress_vline(b, "EMAIL;TYPE=work", a->address);
	if (c->phone != NULL) {
		/* a tel: URI (RFC 3966): the digits and a leading + */
		tel = g_string_new("tel:");
		for (p = c->phone; *p != '\0'; p++)
			if (isdigit((unsigned char)*p) || (*p == '+' &&
			    tel->len == 4))
				g_string_append_c(tel, *p);
		s = g_string_free(tel, FALSE);
		r = g_strdup_printf("TEL;VALUE=uri;TYPE=work:%s", s);
		dress_fold_line(b, r);
		g_free(r);
		g_free(s);
	}
	if (c->url != NULL) {
		r = g_strdup_printf("URL:%s", c->url);
		dress_fold_line(b, r);
		g_free(r);
	}
	dress_vline(b, "TITLE", c->title);
	dress_vline(b, "NOTE", c->note);
	g_string_append(b, "END:VCARD\r\n");
	s = g_string_free(b, FALSE);
	r = strdup(s);
	g_free(s);
	return (r);
}

/* dress_card_part - the text/vcard attachment of channel A */
static GMimeObject *
dress_card_part(const struct cfg_address *a)
{
	GMimePart *p;
	GMimeStream *st;
	GMimeDataWrapper *dw;
	char	*v, *fname;
	const char *nm;
	size_t	i;

	if ((v = dress_vcard(a)) == NULL)
		return (NULL);
	p = g_mime_part_new_with_type("text", "vcard");
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(p), "charset",
	    "utf-8");
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(p), DRESS_CARD,
	    "1");
	st = g_mime_stream_mem_new_with_buffer(v, strlen(v));
	dw = g_mime_data_wrapper_new_with_stream(st,
	    GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(p, dw);
	g_object_unref(dw);
	g_object_unref(st);
	g_mime_part_set_content_encoding(p, g_mime_part_get_best_content_encoding(
	    p, GMIME_ENCODING_CONSTRAINT_7BIT));
	nm = a->display_name != NULL && a->display_name[0] != '\0' ?
	    a->display_name : a->card->organization;
	fname = g_strdup_printf("%s.vcf", nm);
	for (i = 0; fname[i] != '\0'; i++)
		if (fname[i] == '/' || fname[i] == '\\' || fname[i] == '"')
			fname[i] = '_';
	g_mime_part_set_filename(p, fname);
	g_free(fname);
	free(v);
	return (GMIME_OBJECT(p));
}

/* dress_txt_free - forget what D rendered */
static void
dress_txt_free(struct dress_txt *d)
{
	int	i;

	for (i = 0; i < 2; i++) {
		free(d->head[i]);
		free(d->foot[i]);
		free(d->sig[i]);
		free(d->resp_txt[i]);
	}
}

/* dress_prepare - render what IN adds into D; the response named by the
 * first text part's "#response NAME" line, if any, into D->resp (0), or
 * DRESS_UNKNOWN with WHY when that name is not in the library */
static int
dress_prepare(const struct dress_in *in, struct dress_txt *d,
    GMimeObject *top, char *why, size_t whylen)
{
	struct tmpl_vars v = in->vars;
	const struct cfg_address *a = in->channel;
	const struct cfg_response *r;
	GMimeObject *o;
	char	date[128], *text, name[CFG_NAME_MAX + 1], *tmp;
	size_t	f, t;

	if (v.v[TV_AGENT_NAME] == NULL && in->agent != NULL)
		v.v[TV_AGENT_NAME] = in->agent->name != NULL ?
		    in->agent->name : in->agent->id;
	respond_fill(&v, a, in->now, date, sizeof(date));
	if (a->header != NULL) {
		d->head[0] = dress_render(a->header->text, &v);
		d->head[1] = dress_render(a->header->html, &v);
	}
	if (a->footer != NULL) {
		d->foot[0] = dress_render(a->footer->text, &v);
		d->foot[1] = dress_render(a->footer->html, &v);
	}
	if (in->agent != NULL && in->agent->signature != NULL) {
		d->sig[0] = dress_render(in->agent->signature->text, &v);
		d->sig[1] = dress_render(in->agent->signature->html, &v);
	}
	if (!in->responses)
		return (0);
	name[0] = '\0';
	if ((o = dress_find(top, "plain")) != NULL &&
	    (text = dress_get_text(o)) != NULL) {
		if (!dress_response_line(text, name, sizeof(name), &f, &t))
			name[0] = '\0';
		g_free(text);
	}
	if (name[0] == '\0' && (o = dress_find(top, "html")) != NULL &&
	    (text = dress_get_text(o)) != NULL) {
		dress_html_body(text, &f, &t);
		tmp = dress_text_html(text + f);
		if (tmp == NULL || !dress_response_line(tmp, name, sizeof(name),
		    &f, &t))
			name[0] = '\0';
		g_free(tmp);
		g_free(text);
	}
	if (name[0] == '\0')
		return (0);
	if ((r = cfg_response_find(a->org, name)) == NULL) {
		snprintf(why, whylen, "#response %s: no such response in "
		    "organization %s", name, a->org->id);
		return (DRESS_UNKNOWN);
	}
	d->resp = r;
	snprintf(d->respname, sizeof(d->respname), "%s", name);
	d->resp_txt[0] = dress_render(r->text, &v);
	d->resp_txt[1] = dress_render(r->html, &v);
	if (d->resp_txt[0] == NULL && d->resp_txt[1] != NULL)
		d->resp_txt[0] = dress_text_html(d->resp_txt[1]);
	if (d->resp_txt[1] == NULL && d->resp_txt[0] != NULL)
		d->resp_txt[1] = dress_html_text(d->resp_txt[0]);
	return (0);
}

/* dress_mime_only - the Content-* headers of the message at MSG (LEN
 * octets), a blank line and its body; malloc'd, *OUTLEN its length */
static char *
dress_mime_only(const char *msg, size_t len, size_t *outlen)
{
	const char *p = msg, *end = msg + len, *nl;
	char	*o = malloc(len + 3), *w = o;
	int	keep = 0;

	if (o == NULL)
		return (NULL);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl != NULL ? nl + 1 : end;
		if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))
			break;		/* the blank line */
		if (*p != ' ' && *p != '\t')
			keep = strncasecmp(p, "Content-", 8) == 0;
		if (keep) {
			memcpy(w, p, (size_t)(nl - p));
			w += nl - p;
		}
		p = nl;
	}
	if (p >= end) {
		*w++ = '\r';
		*w++ = '\n';
	}
	memcpy(w, p, (size_t)(end - p));
	w += end - p;
	*outlen = (size_t)(w - o);
	return (o);
}

/* dress_message - dress the message at MSG */
enum dress_rc
dress_message(const struct dress_in *in, const char *msg, size_t len,
    struct dress_out *out, char *why, size_t whylen)
{
	struct dress_txt d;
	GMimeStream *st = NULL, *ms = NULL;
	GMimeParser *ps = NULL;
	GMimeObject *top = NULL, *tp, *hp, *card;
	GMimeMultipart *mp;
	GMimeFormatOptions *fo = NULL;
	GMimeContentType *ct;
	GByteArray *ba;
	const char *sealed, *e;
	char	*text;
	enum dress_rc rc = DRESS_SAME;
	int	changed = 0, r, sig_there = 0;
	char	*mime, boundary[64];
	size_t	mimelen, i;
	unsigned long hash = 5381;

	memset(out, 0, sizeof(*out));
	memset(&d, 0, sizeof(d));
	why[0] = '\0';
	if (in->channel == NULL || !dress_wanted(in->channel, in->agent))
		return (DRESS_SAME);
	if (len > DRESS_MAX) {
		snprintf(why, whylen, "larger than %d octets: not dressed",
		    DRESS_MAX);
		return (DRESS_SAME);
	}
	/* only the MIME headers: the top part carries nothing else, so that
	 * wrapping it (the card) moves no From or Subject into it */
	if ((mime = dress_mime_only(msg, len, &mimelen)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return (DRESS_ERROR);
	}
	for (i = 0; i < len; i++)
		hash = hash * 33 + (unsigned char)msg[i];
	st = g_mime_stream_mem_new_with_buffer(mime, mimelen);
	free(mime);
	ps = g_mime_parser_new_with_stream(st);
	g_mime_parser_set_format(ps, GMIME_FORMAT_MESSAGE);
	top = g_mime_parser_construct_part(ps, NULL);
	if (top == NULL) {
		snprintf(why, whylen, "cannot parse the message's MIME "
		    "structure");
		rc = DRESS_ERROR;
		goto done;
	}
	if ((sealed = dress_any_sealed(top)) != NULL) {
		snprintf(why, whylen, "%s: left untouched", sealed);
		rc = DRESS_SEALED;
		goto done;
	}
	if ((r = dress_prepare(in, &d, top, why, whylen)) != 0) {
		rc = (enum dress_rc)r;
		goto done;
	}
	tp = dress_find(top, "plain");
	hp = dress_find(top, "html");
	/* the agent's client put the signature there already */
	if ((d.sig[0] != NULL || d.sig[1] != NULL) && (tp != NULL ||
	    hp != NULL)) {
		text = tp != NULL ? dress_get_text(tp) : NULL;
		if (text != NULL && d.sig[0] != NULL &&
		    dress_contains(text, d.sig[0]))
			sig_there = 1;
		g_free(text);
		text = hp != NULL ? dress_get_text(hp) : NULL;
		if (text != NULL && d.sig[1] != NULL &&
		    dress_contains(text, d.sig[1]))
			sig_there = 1;
		g_free(text);
		if (sig_there) {
			free(d.sig[0]);
			free(d.sig[1]);
			d.sig[0] = d.sig[1] = NULL;
		}
	}
	if (tp != NULL && (r = dress_part(&d, tp, 0)) != 0) {
		if (r < 0)
			goto inline_pgp;
		changed = 1;
	}
	if (hp != NULL && (r = dress_part(&d, hp, 1)) != 0) {
		if (r < 0)
			goto inline_pgp;
		changed = 1;
	}
	if (in->card && in->channel->card != NULL && !dress_has_card(top)) {
		card = dress_card_part(in->channel);
		ct = g_mime_object_get_content_type(top);
		if (GMIME_IS_MULTIPART(top) && g_mime_content_type_is_type(ct,
		    "multipart", "mixed"))
			g_mime_multipart_add(GMIME_MULTIPART(top), card);
		else {
			mp = g_mime_multipart_new_with_subtype("mixed");
			/* the same message dressed twice: the same bytes */
			snprintf(boundary, sizeof(boundary),
			    "=_mailacd_card_%016lx", hash);
			g_mime_multipart_set_boundary(mp, boundary);
			g_mime_multipart_add(mp, top);
			g_mime_multipart_add(mp, card);
			g_object_unref(top);
			top = GMIME_OBJECT(mp);
		}
		g_object_unref(card);
		changed = 1;
		snprintf(out->what + strlen(out->what), sizeof(out->what) -
		    strlen(out->what), "card ");
	}
	snprintf(out->what + strlen(out->what), sizeof(out->what) -
	    strlen(out->what), "%s%s%s", d.did_head ? "header " : "",
	    d.did_sig ? "signature " : sig_there ? "(signature there) " : "",
	    d.did_foot ? "footer " : "");
	if (d.did_resp)
		snprintf(out->what + strlen(out->what), sizeof(out->what) -
		    strlen(out->what), "response=%s ", d.respname);
	if (d.resp != NULL && (!d.did_resp || d.resp_missed)) {
		/* found in a part it could not be replaced in: refuse rather
		 * than let the line reach the customer */
		snprintf(why, whylen, "#response %s: the line could not be "
		    "replaced", d.respname);
		rc = DRESS_UNKNOWN;
		goto done;
	}
	if (!changed)
		goto done;
	if (out->what[0] != '\0')
		out->what[strlen(out->what) - 1] = '\0';

	fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	ms = g_mime_stream_mem_new();
	if (g_mime_object_write_content_to_stream(top, fo, ms) < 0) {
		snprintf(why, whylen, "cannot write the dressed body");
		rc = DRESS_ERROR;
		goto done;
	}
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(ms));
	out->body = malloc(ba->len + 1);
	out->ctype = g_mime_content_type_encode(
	    g_mime_object_get_content_type(top), fo);
	e = GMIME_IS_PART(top) ? g_mime_content_encoding_to_string(
	    g_mime_part_get_content_encoding(GMIME_PART(top))) : NULL;
	out->cte = e != NULL ? g_strdup(e) : NULL;
	if (out->body == NULL || out->ctype == NULL) {
		dress_out_free(out);
		snprintf(why, whylen, "out of memory");
		rc = DRESS_ERROR;
		goto done;
	}
	memcpy(out->body, ba->data, ba->len);
	out->body[ba->len] = '\0';
	out->bodylen = ba->len;
	/* a header value handed to the MTA folds with LF alone (the MTA
	 * adds the CR) */
	g_strstrip(out->ctype);
	dress_lf(out->ctype);
	rc = DRESS_CHANGED;
	snprintf(why, whylen, "dressed: %s", out->what);
	goto done;
inline_pgp:
	snprintf(why, whylen, "inline PGP: left untouched");
	rc = DRESS_SEALED;
done:
	dress_txt_free(&d);
	if (ms != NULL)
		g_object_unref(ms);
	if (fo != NULL)
		g_mime_format_options_free(fo);
	if (top != NULL)
		g_object_unref(top);
	if (ps != NULL)
		g_object_unref(ps);
	if (st != NULL)
		g_object_unref(st);
	return (rc);
}

/* dress_out_free - free OUT */
void
dress_out_free(struct dress_out *out)
{
	free(out->body);
	g_free(out->ctype);
	g_free(out->cte);
	memset(out, 0, sizeof(*out));
}
