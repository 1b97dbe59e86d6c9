/* cfg_tmpl.c - the second pass over what composed mail needs of an
 * organisation: its date format and time zone, its library of responses,
 * and each address's acknowledgement, header, footer and contact card and
 * each agent's signature.  Template files are read and parsed here, at
 * load, so that a missing file, an unknown placeholder or an unclosed {{
 * is a configuration error naming both the template's line and the
 * setting that names the file.  Relative file names are taken from the
 * configuration file's folder.  Nothing is logged. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libconfig.h>

#include "cfg.h"
#include "cfg_int.h"
#include "hours.h"
#include "tmpl.h"

/* cfg_tmpl_path - FILE resolved against the folder of the configuration
 * file being loaded, in BUF */
static const char *
cfg_tmpl_path(struct cfg_load *ld, const char *file, char *buf, size_t len)
{
	const char *slash;

	if (file[0] == '/' || (slash = strrchr(ld->file, '/')) == NULL) {
		snprintf(buf, len, "%s", file);
		return (buf);
	}
	snprintf(buf, len, "%.*s/%s", (int)(slash - ld->file), ld->file, file);
	return (buf);
}

/* cfg_tmpl_file - parse the template named by member NAME of group G
 * (FILE, its value); NULL after an error about that setting */
static struct tmpl *
cfg_tmpl_file(struct cfg_load *ld, const config_setting_t *g,
    const char *name, const char *file, int html)
{
	const config_setting_t *s;
	char	path[4096], why[512], show[CFG_SHOW_MAX + 16];
	struct tmpl *t;
	int	line;

	if (file == NULL || (s = config_setting_get_member(g, name)) == NULL)
		return (NULL);
	cfg_tmpl_path(ld, file, path, sizeof(path));
	if ((t = tmpl_load(path, html, &line, why, sizeof(why))) != NULL)
		return (t);
	if (line > 0)
		cfg_err(ld, s, NULL, cfg_show(s, show, sizeof(show)),
		    "%s:%d: %s", path, line, why);
	else
		cfg_err(ld, s, NULL, cfg_show(s, show, sizeof(show)), "%s",
		    why);
	return (NULL);
}

/* cfg_tmpl_dress - the text and HTML templates of D (group G) */
static void
cfg_tmpl_dress(struct cfg_load *ld, struct cfg_dress *d,
    const config_setting_t *g)
{
	if (d->text_file == NULL && d->html_file == NULL) {
		cfg_err(ld, g, NULL, NULL, "needs text, html or both");
		return;
	}
	d->text = cfg_tmpl_file(ld, g, "text", d->text_file, 0);
	d->html = cfg_tmpl_file(ld, g, "html", d->html_file, 1);
}

/* cfg_tmpl_free_dress - free D's templates */
static void
cfg_tmpl_free_dress(struct cfg_dress *d)
{
	if (d == NULL)
		return;
	tmpl_free(d->text);
	tmpl_free(d->html);
	d->text = d->html = NULL;
}

/* cfg_tmpl_ack - the flow action A (group AS) acknowledges with a
 * response of O */
static void
cfg_tmpl_ack(struct cfg_load *ld, const struct cfg_org *o,
    const struct cfg_action *a, const config_setting_t *as)
{
	const config_setting_t *m;
	char	show[CFG_SHOW_MAX + 16];

	if (a == NULL || a->ack == NULL || as == NULL ||
	    (m = config_setting_get_member(as, "ack")) == NULL)
		return;
	if (cfg_response_find(o, a->ack) == NULL)
		cfg_err(ld, m, NULL, cfg_show(m, show, sizeof(show)),
		    "no such response in this organization");
}

/* cfg_tmpl_check - the second pass over O's composed mail */
void
cfg_tmpl_check(struct cfg_load *ld, struct cfg_org *o,
    const config_setting_t *os)
{
	const config_setting_t *rl, *re, *s, *dl, *de, *al, *ae, *gl, *ge;
	const config_setting_t *fl, *fe, *ul;
	struct cfg_response *r;
	struct cfg_address *a;
	GDateTime *dt;
	gchar	*out;
	char	why[512], show[CFG_SHOW_MAX + 16], at[512];
	size_t	i, j, k;
	int	line;

	if (o->timezone != NULL &&
	    (s = config_setting_get_member(os, "timezone")) != NULL &&
	    (o->tz = hours_tz_new(o->timezone)) == NULL)
		cfg_err(ld, s, NULL, cfg_show(s, show, sizeof(show)),
		    "unknown time zone (an IANA name such as "
		    "\"Europe/Madrid\")");
	if (o->timezone != NULL && o->tz == NULL &&
	    config_setting_get_member(os, "timezone") == NULL)
		o->tz = hours_tz_new(o->timezone);
	if (o->date_format != NULL &&
	    (s = config_setting_get_member(os, "date_format")) != NULL) {
		dt = g_date_time_new_from_unix_utc(0);
		out = dt != NULL ? g_date_time_format(dt, o->date_format) :
		    NULL;
		if (dt != NULL && out == NULL)
			cfg_err(ld, s, NULL, cfg_show(s, show, sizeof(show)),
			    "not a valid date format (GLib's "
			    "g_date_time_format conversions: %%Y-%%m-%%d ...)");
		g_free(out);
		if (dt != NULL)
			g_date_time_unref(dt);
	}

	rl = config_setting_get_member(os, "responses");
	for (i = 0; i < o->nresponses; i++) {
		r = &o->responses[i];
		r->org = o;
		if ((re = cfg_group_elem(rl, i)) == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (r->name != NULL && o->responses[j].name != NULL &&
			    strcmp(r->name, o->responses[j].name) == 0 &&
			    (s = config_setting_get_member(re, "name")) !=
			    NULL) {
				cfg_where(ld, cfg_group_elem(rl, j), re, at,
				    sizeof(at));
				cfg_err(ld, s, NULL, cfg_show(s, show,
				    sizeof(show)), "already defined %s", at);
				break;
			}
		if (r->text_file == NULL && r->html_file == NULL)
			cfg_err(ld, re, NULL, NULL, "needs text, html or both");
		if (r->subject_src != NULL &&
		    (s = config_setting_get_member(re, "subject")) != NULL &&
		    (r->subject = tmpl_parse(r->subject_src,
		    strlen(r->subject_src), 0, &line, why, sizeof(why))) ==
		    NULL)
			cfg_err(ld, s, NULL, cfg_show(s, show, sizeof(show)),
			    "%s", why);
		r->text = cfg_tmpl_file(ld, re, "text", r->text_file, 0);
		r->html = cfg_tmpl_file(ld, re, "html", r->html_file, 1);
	}

	dl = config_setting_get_member(os, "domains");
	for (i = 0; i < o->ndomains; i++) {
		if ((de = cfg_group_elem(dl, i)) == NULL)
			continue;
		al = config_setting_get_member(de, "addresses");
		for (j = 0; j < o->domains[i].naddresses; j++) {
			a = &o->domains[i].addresses[j];
			if ((ae = cfg_group_elem(al, j)) == NULL)
				continue;
			if (a->ack != NULL &&
			    (s = config_setting_get_member(ae, "ack")) !=
			    NULL && (a->ackp = cfg_response_find(o, a->ack)) ==
			    NULL)
				cfg_err(ld, s, NULL, cfg_show(s, show,
				    sizeof(show)),
				    "no such response in this organization");
			if (a->header != NULL && (s =
			    config_setting_get_member(ae, "header")) != NULL)
				cfg_tmpl_dress(ld, a->header, s);
			if (a->footer != NULL && (s =
			    config_setting_get_member(ae, "footer")) != NULL)
				cfg_tmpl_dress(ld, a->footer, s);
		}
	}

	gl = config_setting_get_member(os, "agents");
	for (i = 0; i < o->nagents; i++)
		if (o->agents[i].signature != NULL &&
		    (ge = cfg_group_elem(gl, i)) != NULL &&
		    (s = config_setting_get_member(ge, "signature")) != NULL)
			cfg_tmpl_dress(ld, o->agents[i].signature, s);

	/* the flows' acknowledgements name responses of the library */
	fl = config_setting_get_member(os, "flows");
	for (i = 0; i < o->nflows; i++) {
		if ((fe = cfg_group_elem(fl, i)) == NULL)
			continue;
		ul = config_setting_get_member(fe, "rules");
		for (k = 0; k < o->flows[i].nrules; k++)
			cfg_tmpl_ack(ld, o, &o->flows[i].rules[k].act,
			    cfg_group_elem(ul, k));
		cfg_tmpl_ack(ld, o, o->flows[i].dflt,
		    config_setting_get_member(fe, "default"));
	}
}

/* cfg_tmpl_free - O's templates and time zone */
void
cfg_tmpl_free(struct cfg_org *o)
{
	size_t	i, j;

	hours_tz_free(o->tz);
	o->tz = NULL;
	for (i = 0; o->responses != NULL && i < o->nresponses; i++) {
		tmpl_free(o->responses[i].subject);
		tmpl_free(o->responses[i].text);
		tmpl_free(o->responses[i].html);
	}
	for (i = 0; o->domains != NULL && i < o->ndomains; i++)
		for (j = 0; o->domains[i].addresses != NULL &&
		    j < o->domains[i].naddresses; j++) {
			cfg_tmpl_free_dress(o->domains[i].addresses[j].header);
			cfg_tmpl_free_dress(o->domains[i].addresses[j].footer);
		}
	for (i = 0; o->agents != NULL && i < o->nagents; i++)
		cfg_tmpl_free_dress(o->agents[i].signature);
}
