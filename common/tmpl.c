/* tmpl.c - parse and render templates (see tmpl.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cfg.h"
#include "tmpl.h"

static const char *const tmpl_names[TV_NVARS] = {
	[TV_CUSTOMER_NAME] = "customer.name",
	[TV_CUSTOMER_ADDRESS] = "customer.address",
	[TV_INTERACTION_ID] = "interaction.id",
	[TV_REFERENCE] = "interaction.reference",
	[TV_SUBJECT] = "interaction.subject",
	[TV_QUEUE] = "queue",
	[TV_AGENT_NAME] = "agent.name",
	[TV_CHANNEL_ADDRESS] = "channel.address",
	[TV_CHANNEL_NAME] = "channel.name",
	[TV_ORGANIZATION] = "organization",
	[TV_DATE] = "date",
	[TV_INTERACTION_DATE] = "interaction.date",
	[TV_WAIT] = "wait.expected",
	[TV_OPENS] = "opens",
};

/* One piece of a template: literal text (var < 0) or a placeholder. */
struct tmpl_seg {
	int	var;		/* enum tmpl_var, or -1 for text */
	char	*text;		/* the literal, or the fallback (NULL: none) */
	size_t	len;
};

struct tmpl {
	int	html;
	struct tmpl_seg *seg;
	size_t	nseg;
	size_t	fixed;		/* octets of literal text, a size hint */
	unsigned uses;		/* bit V: placeholder V appears */
};

/* a dynamic string */
struct tmpl_buf {
	char	*s;
	size_t	len, cap;
	int	oom;
};

/* tmpl_buf_add - append N octets of P */
static void
tmpl_buf_add(struct tmpl_buf *b, const char *p, size_t n)
{
	char	*ns;
	size_t	ncap;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		ncap = b->cap ? b->cap : 256;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		if ((ns = realloc(b->s, ncap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->s = ns;
		b->cap = ncap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* tmpl_buf_html - append N octets of P escaped for HTML */
static void
tmpl_buf_html(struct tmpl_buf *b, const char *p, size_t n)
{
	size_t	i, from = 0;
	const char *rep;

	for (i = 0; i < n; i++) {
		switch (p[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		tmpl_buf_add(b, p + from, i - from);
		tmpl_buf_add(b, rep, strlen(rep));
		from = i + 1;
	}
	tmpl_buf_add(b, p + from, n - from);
}

/* tmpl_var_name - the placeholder's name of V */
const char *
tmpl_var_name(enum tmpl_var v)
{
	return ((unsigned)v < TV_NVARS ? tmpl_names[v] : "?");
}

/* tmpl_lookup - the variable named by N octets at P, or -1 */
static int
tmpl_lookup(const char *p, size_t n)
{
	int	i;

	for (i = 0; i < TV_NVARS; i++)
		if (strlen(tmpl_names[i]) == n && memcmp(tmpl_names[i], p, n) == 0)
			return (i);
	return (-1);
}

/* tmpl_add_seg - append a segment to T; -1 when out of memory */
static int
tmpl_add_seg(struct tmpl *t, int var, const char *p, size_t n, int has)
{
	struct tmpl_seg *ns, *s;

	if (var < 0 && n == 0)
		return (0);
	if (var < 0 && t->nseg > 0 && t->seg[t->nseg - 1].var < 0) {
		/* join adjacent literals (an escaped "{{" splits them) */
		s = &t->seg[t->nseg - 1];
		if ((s->text = realloc(s->text, s->len + n + 1)) == NULL)
			return (-1);
		memcpy(s->text + s->len, p, n);
		s->len += n;
		s->text[s->len] = '\0';
		t->fixed += n;
		return (0);
	}
	if ((ns = realloc(t->seg, (t->nseg + 1) * sizeof(*ns))) == NULL)
		return (-1);
	t->seg = ns;
	s = &t->seg[t->nseg];
	s->var = var;
	s->len = n;
	s->text = NULL;
	if (var < 0 || has) {
		if ((s->text = malloc(n + 1)) == NULL)
			return (-1);
		memcpy(s->text, p, n);
		s->text[n] = '\0';
	}
	t->nseg++;
	if (var < 0)
		t->fixed += n;
	else
		t->uses |= 1u << var;
	return (0);
}

/* tmpl_parse - parse SRC into segments */
struct tmpl *
tmpl_parse(const char *src, size_t len, int html, int *line, char *why,
    size_t whylen)
{
	struct tmpl *t;
	const char *p = src, *end = src + len, *lit = src, *q, *name, *nend;
	const char *fb, *fbend;
	int	ln = 1, var;

	*line = 0;
	if (len > TMPL_MAX_SIZE) {
		snprintf(why, whylen, "template is larger than %d octets",
		    TMPL_MAX_SIZE);
		return (NULL);
	}
	if (memchr(src, '\0', len) != NULL) {
		*line = 1;
		for (q = src; *q != '\0'; q++)
			if (*q == '\n')
				(*line)++;
		snprintf(why, whylen, "template contains a NUL octet");
		return (NULL);
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return (NULL);
	}
	t->html = html ? 1 : 0;
	while (p < end) {
		if (*p == '\n') {
			ln++;
			p++;
			continue;
		}
		if (*p == '\\' && end - p >= 3 && p[1] == '{' && p[2] == '{') {
			/* \{{ : a literal "{{" */
			if (tmpl_add_seg(t, -1, lit, (size_t)(p - lit), 0) < 0)
				goto oom;
			lit = p + 1;
			p += 3;
			continue;
		}
		if (!(*p == '{' && end - p >= 2 && p[1] == '{')) {
			p++;
			continue;
		}
		if (tmpl_add_seg(t, -1, lit, (size_t)(p - lit), 0) < 0)
			goto oom;
		/* the placeholder ends at the first "}}" on this line */
		for (q = p + 2; q < end && *q != '\n'; q++)
			if (q[0] == '}' && q + 1 < end && q[1] == '}')
				break;
		if (q >= end || *q == '\n') {
			*line = ln;
			snprintf(why, whylen, "unclosed {{ (a placeholder ends "
			    "with }} on its line; write \\{{ for a literal {{)");
			goto fail;
		}
		name = p + 2;
		fb = memchr(name, '|', (size_t)(q - name));
		nend = fb != NULL ? fb : q;
		while (name < nend && (*name == ' ' || *name == '\t'))
			name++;
		while (nend > name && (nend[-1] == ' ' || nend[-1] == '\t'))
			nend--;
		if (name == nend) {
			*line = ln;
			snprintf(why, whylen, "empty placeholder {{}}");
			goto fail;
		}
		if ((var = tmpl_lookup(name, (size_t)(nend - name))) < 0) {
			*line = ln;
			snprintf(why, whylen, "unknown placeholder {{%.*s}} "
			    "(known: customer.name, customer.address, "
			    "interaction.id, interaction.reference, "
			    "interaction.subject, interaction.date, queue, "
			    "agent.name, channel.address, channel.name, "
			    "organization, date, wait.expected, opens)",
			    (int)(nend - name > 64 ? 64 : nend - name), name);
			goto fail;
		}
		fbend = q;
		if (fb != NULL)
			fb++;
		if (tmpl_add_seg(t, var, fb, fb ? (size_t)(fbend - fb) : 0,
		    fb != NULL) < 0)
			goto oom;
		p = q + 2;
		lit = p;
	}
	if (tmpl_add_seg(t, -1, lit, (size_t)(p - lit), 0) < 0)
		goto oom;
	return (t);
oom:
	snprintf(why, whylen, "out of memory");
	*line = ln;
fail:
	tmpl_free(t);
	return (NULL);
}

/* tmpl_load - read PATH whole and parse it */
struct tmpl *
tmpl_load(const char *path, int html, int *line, char *why, size_t whylen)
{
	FILE	*f;
	char	*buf;
	size_t	n;
	struct tmpl *t;

	*line = 0;
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(why, whylen, "cannot open %s: %s", path,
		    strerror(errno));
		return (NULL);
	}
	if ((buf = malloc(TMPL_MAX_SIZE + 1)) == NULL) {
		fclose(f);
		snprintf(why, whylen, "out of memory");
		return (NULL);
	}
	n = fread(buf, 1, TMPL_MAX_SIZE + 1, f);
	if (ferror(f)) {
		snprintf(why, whylen, "cannot read %s: %s", path,
		    strerror(errno));
		fclose(f);
		free(buf);
		return (NULL);
	}
	fclose(f);
	t = tmpl_parse(buf, n, html, line, why, whylen);
	free(buf);
	return (t);
}

/* tmpl_render - T with VARS */
char *
tmpl_render(const struct tmpl *t, const struct tmpl_vars *vars, size_t *lenp)
{
	struct tmpl_buf b = { NULL, 0, 0, 0 };
	const struct tmpl_seg *s;
	const char *v;
	size_t	i, n;

	tmpl_buf_add(&b, "", 0);
	for (i = 0; i < t->nseg; i++) {
		s = &t->seg[i];
		if (s->var < 0) {
			tmpl_buf_add(&b, s->text, s->len);
			continue;
		}
		v = vars != NULL ? vars->v[s->var] : NULL;
		if (v == NULL && s->text != NULL) {
			v = s->text;
			n = s->len;
		} else
			n = v != NULL ? strlen(v) : 0;
		if (v == NULL)
			continue;
		if (t->html)
			tmpl_buf_html(&b, v, n);
		else
			tmpl_buf_add(&b, v, n);
	}
	if (b.oom) {
		free(b.s);
		return (NULL);
	}
	if (lenp != NULL)
		*lenp = b.len;
	return (b.s);
}

/* tmpl_free - release T */
void
tmpl_free(struct tmpl *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nseg; i++)
		free(t->seg[i].text);
	free(t->seg);
	free(t);
}

/* tmpl_uses - whether T has placeholder V */
int
tmpl_uses(const struct tmpl *t, enum tmpl_var v)
{
	return (t != NULL && (unsigned)v < TV_NVARS &&
	    (t->uses & (1u << v)) != 0);
}

/* tmpl_html - whether T is an HTML template */
int
tmpl_html(const struct tmpl *t)
{
	return (t != NULL && t->html);
}

/* tmpl_html_escape - S escaped for HTML */
char *
tmpl_html_escape(const char *s)
{
	struct tmpl_buf b = { NULL, 0, 0, 0 };

	tmpl_buf_add(&b, "", 0);
	tmpl_buf_html(&b, s, strlen(s));
	if (b.oom) {
		free(b.s);
		return (NULL);
	}
	return (b.s);
}

/* tmpl_date - T formatted in O's date format and time zone */
void
tmpl_date(const struct cfg_org *o, time_t t, char *buf, size_t len)
{
	GDateTime *utc, *loc;
	GTimeZone *tz = o != NULL ? o->tz : NULL;
	const char *fmt = o != NULL && o->date_format != NULL ?
	    o->date_format : TMPL_DATE_FORMAT;
	gchar	*s;

	if (len == 0)
		return;
	buf[0] = '\0';
	if ((utc = g_date_time_new_from_unix_utc((gint64)t)) == NULL)
		return;
	loc = tz != NULL ? g_date_time_to_timezone(utc, tz) :
	    g_date_time_ref(utc);
	g_date_time_unref(utc);
	if (loc == NULL)
		return;
	if ((s = g_date_time_format(loc, fmt)) != NULL) {
		snprintf(buf, len, "%s", s);
		g_free(s);
	}
	g_date_time_unref(loc);
}
