/* msgview.c - decode a message for flows with GMime (see msgview.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "flow.h"
#include "hdr.h"
#include "msgview.h"

/* msgview_lower - fold S to lower case in place (ASCII) */
static void
msgview_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* msgview_add - append LEN octets of text to V, within LIMIT */
static void
msgview_add(struct msgview *v, const char *s, size_t len, size_t limit)
{
	/* an empty part (a body not kept) may come as NULL */
	if (len == 0 || s == NULL || v->textlen >= limit)
		return;
	len = hdr_utf8_cut(s, len, limit - v->textlen);
	memcpy(v->text + v->textlen, s, len);
	v->textlen += len;
	v->text[v->textlen] = '\0';
}

/* The entities worth knowing when all one does is search words. */
static const struct {
	const char *name;
	const char *utf8;
} msgview_entities[] = {
	{ "amp", "&" }, { "lt", "<" }, { "gt", ">" }, { "quot", "\"" },
	{ "apos", "'" }, { "nbsp", " " }, { "aacute", "\xc3\xa1" },
	{ "eacute", "\xc3\xa9" }, { "iacute", "\xc3\xad" },
	{ "oacute", "\xc3\xb3" }, { "uacute", "\xc3\xba" },
	{ "ntilde", "\xc3\xb1" }, { "uuml", "\xc3\xbc" },
	{ "ouml", "\xc3\xb6" }, { "auml", "\xc3\xa4" }, { "szlig", "\xc3\x9f" },
	{ "ccedil", "\xc3\xa7" }, { "egrave", "\xc3\xa8" },
	{ "agrave", "\xc3\xa0" }, { "euro", "\xe2\x82\xac" },
	{ "iexcl", "\xc2\xa1" }, { "iquest", "\xc2\xbf" },
	{ NULL, NULL }
};

/* msgview_put - append N octets of S to OUT at *O within CAP */
static void
msgview_put(char *out, size_t cap, size_t *o, const char *s, size_t n)
{
	if (*o + n + 1 > cap)
		return;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
}

/* msgview_entity - decode the entity at H[I] ('&') into OUT; the octets
 * it took, or 0 when it is none */
static size_t
msgview_entity(const char *h, size_t len, size_t i, char *out, size_t cap,
    size_t *o)
{
	char	name[12], utf8[8];
	size_t	j, n;
	unsigned long cp;
	int	k;

	for (j = i + 1; j < len && j - i <= sizeof(name) && h[j] != ';'; j++)
		;
	if (j >= len || h[j] != ';' || j - i - 1 == 0 ||
	    j - i - 1 >= sizeof(name))
		return (0);
	n = j - i - 1;
	memcpy(name, h + i + 1, n);
	name[n] = '\0';
	if (name[0] == '#') {
		cp = name[1] == 'x' || name[1] == 'X' ?
		    strtoul(name + 2, NULL, 16) : strtoul(name + 1, NULL, 10);
		if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return (0);
		k = g_unichar_to_utf8((gunichar)cp, utf8);
		msgview_put(out, cap, o, utf8, (size_t)k);
		return (n + 2);
	}
	for (k = 0; msgview_entities[k].name != NULL; k++)
		if (strcmp(msgview_entities[k].name, name) == 0) {
			msgview_put(out, cap, o, msgview_entities[k].utf8,
			    strlen(msgview_entities[k].utf8));
			return (n + 2);
		}
	return (0);
}

/* msgview_html - tags out, entities decoded */
size_t
msgview_html(const char *h, size_t len, char *out, size_t cap)
{
	size_t	i = 0, o = 0, e, n;
	const char *skip = NULL;

	if (cap == 0)
		return (0);
	out[0] = '\0';
	while (i < len && o + 1 < cap) {
		if (h[i] == '<') {
			/* a comment ends at -->, a tag at > */
			if (len - i >= 4 && memcmp(h + i, "<!--", 4) == 0) {
				for (e = i + 4; e + 2 < len &&
				    memcmp(h + e, "-->", 3) != 0; e++)
					;
				i = e + 3;
				continue;
			}
			for (e = i + 1; e < len && h[e] != '>'; e++)
				;
			n = e - i - 1;
			if (skip != NULL) {
				if (n > strlen(skip) && h[i + 1] == '/' &&
				    strncasecmp(h + i + 2, skip,
				    strlen(skip)) == 0)
					skip = NULL;
			} else if (n >= 6 && strncasecmp(h + i + 1, "script",
			    6) == 0)
				skip = "script";
			else if (n >= 5 && strncasecmp(h + i + 1, "style",
			    5) == 0)
				skip = "style";
			else if (n >= 2 && (strncasecmp(h + i + 1, "br", 2) ==
			    0 || strncasecmp(h + i + 1, "/p", 2) == 0 ||
			    (n >= 4 && strncasecmp(h + i + 1, "/div", 4) == 0)))
				msgview_put(out, cap, &o, "\n", 1);
			else if (o > 0 && out[o - 1] != ' ' &&
			    out[o - 1] != '\n')
				/* a tag separates words, once */
				msgview_put(out, cap, &o, " ", 1);
			i = e + 1;
			continue;
		}
		if (skip != NULL) {
			i++;
			continue;
		}
		if (h[i] == '&' && (n = msgview_entity(h, len, i, out, cap,
		    &o)) > 0) {
			i += n;
			continue;
		}
		msgview_put(out, cap, &o, h + i, 1);
		i++;
	}
	return (o);
}

/* msgview_content - the decoded content of PART as UTF-8 (transfer
 * encoding undone, its charset converted); g_byte_array_free it */
static GByteArray *
msgview_content(GMimePart *part)
{
	GMimeDataWrapper *w;
	GMimeStream *mem, *filt;
	GMimeFilter *cs;
	GByteArray *ba;
	const char *charset;

	if ((w = g_mime_part_get_content(part)) == NULL)
		return (NULL);
	mem = g_mime_stream_mem_new();
	filt = g_mime_stream_filter_new(mem);
	charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part),
	    "charset");
	if (charset != NULL && g_ascii_strcasecmp(charset, "utf-8") != 0 &&
	    g_ascii_strcasecmp(charset, "us-ascii") != 0 &&
	    (cs = g_mime_filter_charset_new(charset, "UTF-8")) != NULL) {
		g_mime_stream_filter_add(GMIME_STREAM_FILTER(filt), cs);
		g_object_unref(cs);
	}
	(void)g_mime_data_wrapper_write_to_stream(w, filt);
	(void)g_mime_stream_flush(filt);
	g_object_unref(filt);
	/* the array outlives the stream: ours to free */
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	g_object_unref(mem);
	return (ba);
}

/* msgview_walk - the text and attachments of OBJ and below into V */
static void
msgview_walk(GMimeObject *obj, struct msgview *v, size_t limit, int depth)
{
	GMimeContentType *ct;
	GByteArray *ba;
	char	*type, *html;
	size_t	n;
	int	i, count, text, attach;

	if (obj == NULL || depth > 20)
		return;
	if (GMIME_IS_MULTIPART(obj)) {
		count = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
		for (i = 0; i < count; i++)
			msgview_walk(g_mime_multipart_get_part(
			    GMIME_MULTIPART(obj), i), v, limit, depth + 1);
		return;
	}
	ct = g_mime_object_get_content_type(obj);
	type = ct != NULL ? g_mime_content_type_get_mime_type(ct) : NULL;
	if (type == NULL)
		return;
	text = g_mime_content_type_is_type(ct, "text", "plain") ||
	    g_mime_content_type_is_type(ct, "text", "html");
	attach = GMIME_IS_MESSAGE_PART(obj) || !GMIME_IS_PART(obj) || !text ||
	    g_mime_part_is_attachment(GMIME_PART(obj));
	if (attach) {
		if (v->ntypes < MSGVIEW_TYPES_MAX &&
		    (v->types[v->ntypes] = strdup(type)) != NULL)
			msgview_lower(v->types[v->ntypes++]);
		g_free(type);
		return;
	}
	g_free(type);
	if (v->textlen >= limit || (ba = msgview_content(GMIME_PART(obj))) ==
	    NULL)
		return;
	if (v->textlen > 0)
		msgview_add(v, "\n", 1, limit);
	if (g_mime_content_type_is_type(ct, "text", "html")) {
		n = limit - v->textlen + 1;
		if ((html = malloc(n)) != NULL) {
			n = msgview_html((const char *)ba->data, ba->len, html,
			    n);
			msgview_add(v, html, n, limit);
			free(html);
		}
	} else
		msgview_add(v, (const char *)ba->data, ba->len, limit);
	g_byte_array_free(ba, TRUE);
}

/* msgview_parse - decode DATA into V */
int
msgview_parse(const char *data, size_t len, size_t text_limit,
    struct msgview *v)
{
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;
	GMimeHeaderList *hl;
	GMimeHeader *h;
	const char *name, *raw, *why;
	size_t	i;
	int	n;

	memset(v, 0, sizeof(*v));
	if ((v->text = malloc(text_limit + 1)) == NULL)
		return (-1);
	v->text[0] = '\0';
	stream = g_mime_stream_mem_new_with_buffer(data, len);
	parser = g_mime_parser_new_with_stream(stream);
	g_object_unref(stream);
	msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	if (msg == NULL)
		return ((v->subject = strdup("")) != NULL ? 0 : -1);
	hl = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	n = hl != NULL ? g_mime_header_list_get_count(hl) : 0;
	if (n > MSGVIEW_HDRS_MAX)
		n = MSGVIEW_HDRS_MAX;
	if (n > 0 && (v->hdrs = calloc((size_t)n, sizeof(*v->hdrs))) == NULL)
		goto fail;
	for (i = 0; i < (size_t)n; i++) {
		h = g_mime_header_list_get_header_at(hl, (int)i);
		name = g_mime_header_get_name(h);
		raw = g_mime_header_get_raw_value(h);
		if (name == NULL || raw == NULL)
			continue;
		if ((v->hdrs[v->nhdrs].name = strdup(name)) == NULL ||
		    (v->hdrs[v->nhdrs].value = hdr_decode_text(raw,
		    MSGVIEW_VALUE_MAX)) == NULL) {
			free(v->hdrs[v->nhdrs].name);
			goto fail;
		}
		if (v->subject == NULL && strcasecmp(name, "Subject") == 0 &&
		    (v->subject = strdup(v->hdrs[v->nhdrs].value)) == NULL)
			goto fail;
		if (v->from[0] == '\0' && strcasecmp(name, "From") == 0 &&
		    hdr_mailbox(raw, v->from, sizeof(v->from)) == 0)
			msgview_lower(v->from);
		if ((why = hdr_auto_reason(name, v->hdrs[v->nhdrs].value)) !=
		    NULL)
			v->automatic = 1;
		v->nhdrs++;
	}
	if (v->subject == NULL && (v->subject = strdup("")) == NULL)
		goto fail;
	msgview_walk(g_mime_message_get_mime_part(msg), v, text_limit, 0);
	g_object_unref(msg);
	return (0);
fail:
	g_object_unref(msg);
	msgview_free(v);
	return (-1);
}

/* msgview_free - free what V holds */
void
msgview_free(struct msgview *v)
{
	size_t	i;

	for (i = 0; i < v->nhdrs; i++) {
		free(v->hdrs[i].name);
		free(v->hdrs[i].value);
	}
	free(v->hdrs);
	for (i = 0; i < v->ntypes; i++)
		free(v->types[i]);
	free(v->subject);
	free(v->text);
	memset(v, 0, sizeof(*v));
}

/* msgview_flow_msg - the view as the flow engine's message */
int
msgview_flow_msg(const struct msgview *v, struct flow_msg *m,
    struct flow_hdr **hdrs)
{
	struct flow_hdr *h = NULL;
	size_t	i;

	if (v->nhdrs > 0 && (h = calloc(v->nhdrs, sizeof(*h))) == NULL)
		return (-1);
	for (i = 0; i < v->nhdrs; i++) {
		h[i].name = v->hdrs[i].name;
		h[i].value = v->hdrs[i].value;
	}
	memset(m, 0, sizeof(*m));
	m->from = v->from;
	m->subject = v->subject;
	m->hdrs = h;
	m->nhdrs = v->nhdrs;
	m->text = v->text;
	m->textlen = v->textlen;
	m->types = v->types;
	m->ntypes = v->ntypes;
	m->automatic = v->automatic;
	*hdrs = h;
	return (0);
}
