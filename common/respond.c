/* respond.c - compose acknowledgements and standard responses (see
 * respond.h), with GMime. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "cfg.h"
#include "respond.h"
#include "tmpl.h"

/* respond_fill - the values respond_compose supplies itself */
void
respond_fill(struct tmpl_vars *vars, const struct cfg_address *channel,
    time_t now, char *datebuf, size_t datelen)
{
	if (channel != NULL) {
		if (vars->v[TV_CHANNEL_ADDRESS] == NULL)
			vars->v[TV_CHANNEL_ADDRESS] = channel->address;
		if (vars->v[TV_CHANNEL_NAME] == NULL &&
		    channel->display_name != NULL &&
		    channel->display_name[0] != '\0')
			vars->v[TV_CHANNEL_NAME] = channel->display_name;
		if (vars->v[TV_ORGANIZATION] == NULL)
			vars->v[TV_ORGANIZATION] = channel->card != NULL ?
			    channel->card->organization : channel->org != NULL ?
			    channel->org->id : NULL;
	}
	if (vars->v[TV_DATE] == NULL) {
		tmpl_date(channel != NULL ? channel->org : NULL, now, datebuf,
		    datelen);
		vars->v[TV_DATE] = datebuf;
	}
}

/* respond_oneline - S with CR, LF and other controls turned into spaces,
 * for a header; malloc'd */
static char *
respond_oneline(const char *s)
{
	char	*o, *p;

	if ((o = strdup(s != NULL ? s : "")) == NULL)
		return (NULL);
	for (p = o; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return (o);
}

/* respond_id_ok - ID is one "<...>" message id without white space or
 * controls */
static int
respond_id_ok(const char *id)
{
	size_t	n = strlen(id), i;

	if (n < 3 || n > 900 || id[0] != '<' || id[n - 1] != '>')
		return (0);
	for (i = 0; i < n; i++)
		if ((unsigned char)id[i] <= 0x20 || id[i] == 0x7f ||
		    (i > 0 && i < n - 1 && (id[i] == '<' || id[i] == '>')))
			return (0);
	return (1);
}

/* respond_part - a text part of SUBTYPE holding TEXT: UTF-8 (or ASCII),
 * quoted-printable or base64 as GMime finds best for 7-bit transport */
static GMimeObject *
respond_part(const char *subtype, const char *text)
{
	GMimeTextPart *tp;

	tp = g_mime_text_part_new_with_subtype(subtype);
	g_mime_text_part_set_text(tp, text);
	g_mime_part_set_content_encoding(GMIME_PART(tp),
	    g_mime_part_get_best_content_encoding(GMIME_PART(tp),
	    GMIME_ENCODING_CONSTRAINT_7BIT));
	return (GMIME_OBJECT(tp));
}

/* respond_compose - the whole message for IN */
char *
respond_compose(const struct respond_in *in, size_t *lenp, char *why,
    size_t whylen)
{
	const struct cfg_response *r = in->response;
	struct tmpl_vars v = in->vars;
	char	date[128], *subj = NULL, *s = NULL, *text = NULL, *html = NULL;
	char	*refs = NULL, *out = NULL, boundary[80], *name = NULL;
	GMimeMessage *m = NULL;
	GMimeObject *body = NULL, *tp, *hp;
	GMimeMultipart *mp;
	GMimeFormatOptions *fo = NULL;
	GMimeStream *ms = NULL;
	GByteArray *ba;
	GDateTime *dt;
	unsigned long h = 5381;
	const char *p;
	size_t	n;

	if (r == NULL || in->channel == NULL || in->to == NULL ||
	    in->to[0] == '\0' || strchr(in->to, '@') == NULL ||
	    strpbrk(in->to, " \t\r\n<>,;\"") != NULL) {
		snprintf(why, whylen, "no response, channel or valid recipient");
		return (NULL);
	}
	if (in->message_id == NULL || !respond_id_ok(in->message_id)) {
		snprintf(why, whylen, "Message-ID must be one <id>");
		return (NULL);
	}
	if (in->in_reply_to != NULL && !respond_id_ok(in->in_reply_to)) {
		snprintf(why, whylen, "In-Reply-To must be one <id>");
		return (NULL);
	}
	respond_fill(&v, in->channel, in->now, date, sizeof(date));
	if ((s = tmpl_render(r->subject, &v, NULL)) == NULL ||
	    (subj = respond_oneline(s)) == NULL ||
	    (r->text != NULL && (text = tmpl_render(r->text, &v, NULL)) ==
	    NULL) ||
	    (r->html != NULL && (html = tmpl_render(r->html, &v, NULL)) ==
	    NULL))
		goto oom;

	m = g_mime_message_new(FALSE);
	if ((name = respond_oneline(in->channel->display_name)) == NULL)
		goto oom;
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, name,
	    in->channel->address);
	free(name);
	if ((name = respond_oneline(in->to_name)) == NULL)
		goto oom;
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, name, in->to);
	free(name);
	name = NULL;
	g_mime_message_set_subject(m, subj, "utf-8");
	dt = g_date_time_new_from_unix_utc((gint64)in->now);
	g_mime_message_set_date(m, dt);
	g_date_time_unref(dt);
	n = strlen(in->message_id);
	free(s);
	if ((s = strndup(in->message_id + 1, n - 2)) == NULL)
		goto oom;
	g_mime_message_set_message_id(m, s);
	if (in->in_reply_to != NULL) {
		g_mime_object_set_header(GMIME_OBJECT(m), "In-Reply-To",
		    in->in_reply_to, NULL);
		/* theirs, then the message answered (RFC 5322 3.6.4) */
		n = (in->references != NULL ? strlen(in->references) : 0) +
		    strlen(in->in_reply_to) + 2;
		if ((refs = malloc(n)) == NULL)
			goto oom;
		snprintf(refs, n, "%s%s%s", in->references != NULL ?
		    in->references : "", in->references != NULL &&
		    in->references[0] != '\0' ? " " : "", in->in_reply_to);
		for (n = 0; refs[n] != '\0'; n++)
			if (refs[n] == '\r' || refs[n] == '\n' ||
			    refs[n] == '\t')
				refs[n] = ' ';
		g_mime_object_set_header(GMIME_OBJECT(m), "References", refs,
		    NULL);
	}
	if (in->automatic)
		g_mime_object_set_header(GMIME_OBJECT(m), "Auto-Submitted",
		    "auto-replied", NULL);
	g_mime_object_set_header(GMIME_OBJECT(m), "MIME-Version", "1.0", NULL);

	/* a boundary that is the same on every retry of this message */
	for (p = in->message_id; *p != '\0'; p++)
		h = h * 33 + (unsigned char)*p;
	snprintf(boundary, sizeof(boundary), "=_mailacd_%016lx_=", h);
	tp = text != NULL ? respond_part("plain", text) : NULL;
	hp = html != NULL ? respond_part("html", html) : NULL;
	if (tp != NULL && hp != NULL) {
		mp = g_mime_multipart_new_with_subtype("alternative");
		g_mime_multipart_set_boundary(mp, boundary);
		g_mime_multipart_add(mp, tp);
		g_mime_multipart_add(mp, hp);
		g_object_unref(tp);
		g_object_unref(hp);
		body = GMIME_OBJECT(mp);
	} else
		body = tp != NULL ? tp : hp;
	if (body == NULL) {
		snprintf(why, whylen, "response %s has neither text nor html",
		    r->name);
		goto fail;
	}
	g_mime_message_set_mime_part(m, body);
	g_object_unref(body);

	fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	ms = g_mime_stream_mem_new();
	if (g_mime_object_write_to_stream(GMIME_OBJECT(m), fo, ms) < 0) {
		snprintf(why, whylen, "cannot write the message");
		goto fail;
	}
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(ms));
	if ((out = malloc(ba->len + 1)) == NULL)
		goto oom;
	memcpy(out, ba->data, ba->len);
	out[ba->len] = '\0';
	if (lenp != NULL)
		*lenp = ba->len;
	goto done;
oom:
	snprintf(why, whylen, "out of memory");
fail:
	free(out);
	out = NULL;
done:
	if (ms != NULL)
		g_object_unref(ms);
	if (fo != NULL)
		g_mime_format_options_free(fo);
	if (m != NULL)
		g_object_unref(m);
	free(name);
	free(refs);
	free(s);
	free(subj);
	free(text);
	free(html);
	return (out);
}
