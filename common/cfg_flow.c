/* cfg_flow.c - the configuration of flows and business hours: the
 * conditions of a rule ("if" groups, read here because they nest), their
 * patterns compiled with PCRE2 and list files read at load, and the second
 * pass over an organisation's schedules and flows (names, queues,
 * schedules, calls without cycles and no deeper than CFG_FLOW_DEPTH).
 * Part of the loader (cfg_int.h); every mistake is a file:line error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "cfg.h"
#include "cfg_int.h"
#include "hours.h"

#define CFG_LIST_MAX	100000	/* entries of one list file */

/* What each condition name takes. */
enum cfg_cval {
	CFG_V_GROUPS,		/* all, any: a list of groups */
	CFG_V_GROUP,		/* not: a group */
	CFG_V_ADDRS,		/* addresses or /re/ */
	CFG_V_DOMAINS,
	CFG_V_FILE,
	CFG_V_TEXT,		/* text or /re/ */
	CFG_V_HEADER,		/* "Name" or "Name: text" or "Name: /re/" */
	CFG_V_TYPES,		/* true, or MIME types */
	CFG_V_SIZE,
	CFG_V_LANGS,
	CFG_V_BOOL,
	CFG_V_SCHED
};

static const struct {
	const char *name;
	int	kind;
	int	val;
} cfg_conds[] = {
	{ "all", CFG_C_ALL, CFG_V_GROUPS },
	{ "any", CFG_C_ANY, CFG_V_GROUPS },
	{ "not", CFG_C_NOT, CFG_V_GROUP },
	{ "sender", CFG_C_SENDER, CFG_V_ADDRS },
	{ "sender_domain", CFG_C_SENDER_DOMAIN, CFG_V_DOMAINS },
	{ "sender_list", CFG_C_SENDER_LIST, CFG_V_FILE },
	{ "from", CFG_C_FROM, CFG_V_ADDRS },
	{ "from_domain", CFG_C_FROM_DOMAIN, CFG_V_DOMAINS },
	{ "from_list", CFG_C_FROM_LIST, CFG_V_FILE },
	{ "subject", CFG_C_SUBJECT, CFG_V_TEXT },
	{ "header", CFG_C_HEADER, CFG_V_HEADER },
	{ "body", CFG_C_BODY, CFG_V_TEXT },
	{ "attachment", CFG_C_ATTACHMENT, CFG_V_TYPES },
	{ "size_above", CFG_C_SIZE_ABOVE, CFG_V_SIZE },
	{ "size_below", CFG_C_SIZE_BELOW, CFG_V_SIZE },
	{ "language", CFG_C_LANGUAGE, CFG_V_LANGS },
	{ "automatic", CFG_C_AUTOMATIC, CFG_V_BOOL },
	{ "within_hours", CFG_C_WITHIN_HOURS, CFG_V_SCHED },
	{ "outside_hours", CFG_C_OUTSIDE_HOURS, CFG_V_SCHED },
	{ "open_interaction", CFG_C_OPEN_INTERACTION, CFG_V_BOOL },
	{ NULL, 0, 0 }
};

/* The members of an "if" group, for the schema and the manual page (the
 * loader reads them in cfg_cond_walk). */
const struct cfg_key cfg_cond_keys[] = {
	{ .name = "all", .type = CFG_T_CUSTOM },
	{ .name = "any", .type = CFG_T_CUSTOM },
	{ .name = "not", .type = CFG_T_CUSTOM },
	{ .name = "sender", .type = CFG_T_CUSTOM },
	{ .name = "sender_domain", .type = CFG_T_CUSTOM },
	{ .name = "sender_list", .type = CFG_T_CUSTOM },
	{ .name = "from", .type = CFG_T_CUSTOM },
	{ .name = "from_domain", .type = CFG_T_CUSTOM },
	{ .name = "from_list", .type = CFG_T_CUSTOM },
	{ .name = "subject", .type = CFG_T_CUSTOM },
	{ .name = "header", .type = CFG_T_CUSTOM },
	{ .name = "body", .type = CFG_T_CUSTOM },
	{ .name = "attachment", .type = CFG_T_CUSTOM },
	{ .name = "size_above", .type = CFG_T_CUSTOM },
	{ .name = "size_below", .type = CFG_T_CUSTOM },
	{ .name = "language", .type = CFG_T_CUSTOM },
	{ .name = "automatic", .type = CFG_T_CUSTOM },
	{ .name = "within_hours", .type = CFG_T_CUSTOM },
	{ .name = "outside_hours", .type = CFG_T_CUSTOM },
	{ .name = "open_interaction", .type = CFG_T_CUSTOM },
	{ .name = NULL }
};

static void cfg_cond_group(struct cfg_load *, const config_setting_t *,
		    struct cfg_cond *, int);

/* cfg_lower_ascii - fold S to lower case in place (ASCII) */
static void
cfg_lower_ascii(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* cfg_pat_compile - compile TEXT (LEN) into P->re, case-insensitive UTF-8
 * that tolerates invalid input; LITERAL: as plain text.  0, or -1 with
 * the reason reported at S */
static int
cfg_pat_compile(struct cfg_load *ld, const config_setting_t *s,
    struct cfg_pattern *p, const char *text, size_t len, int literal)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	int	code;
	char	show[CFG_SHOW_MAX + 16];

	p->re = pcre2_compile((PCRE2_SPTR)text, len, PCRE2_CASELESS |
	    PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
	    (literal ? PCRE2_LITERAL : 0), &code, &off, NULL);
	if (p->re == NULL) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		cfg_err(ld, s, NULL, cfg_show(s, show, sizeof(show)),
		    "regular expression does not compile: %s at offset %zu",
		    (const char *)msg, (size_t)off);
		return (-1);
	}
	/* JIT where the platform has it; the match limit still holds */
	(void)pcre2_jit_compile(p->re, PCRE2_JIT_COMPLETE);
	return (0);
}

/* cfg_pat_text - P from text pattern V of setting S: "/re/" or text */
static void
cfg_pat_text(struct cfg_load *ld, const config_setting_t *s,
    struct cfg_pattern *p, const char *v)
{
	size_t	n = strlen(v);
	char	show[CFG_SHOW_MAX + 16];

	if ((p->text = cfg_strdup(ld, v)) == NULL)
		return;
	if (n >= 2 && v[0] == '/' && v[n - 1] == '/')
		(void)cfg_pat_compile(ld, s, p, v + 1, n - 2, 0);
	else if (n == 0)
		cfg_err(ld, s, NULL, cfg_show(s, show, sizeof(show)),
		    "must not be empty");
	else
		(void)cfg_pat_compile(ld, s, p, v, n, 1);
}

/* cfg_cond_strings - the strings of setting S (a string, or a list or
 * array of them) as patterns of C, each made by the value kind VAL */
static void
cfg_cond_strings(struct cfg_load *ld, const config_setting_t *s,
    struct cfg_cond *c, int val)
{
	const config_setting_t *e;
	struct cfg_pattern *p;
	char	show[CFG_SHOW_MAX + 16], why[256];
	const char *v, *colon, *msg;
	size_t	n, i, nl, hn;

	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		n = 1;
	else if (config_setting_type(s) == CONFIG_TYPE_LIST ||
	    config_setting_type(s) == CONFIG_TYPE_ARRAY)
		n = (size_t)config_setting_length(s);
	else {
		cfg_err(ld, s, NULL, cfg_show(s, show, sizeof(show)),
		    "must be a string or a list of strings, not %s",
		    cfg_type_name(config_setting_type(s)));
		return;
	}
	if (n == 0) {
		cfg_err(ld, s, NULL, NULL, "must not be empty");
		return;
	}
	if ((c->pat = cfg_calloc(ld, n, sizeof(*c->pat))) == NULL)
		return;
	c->npat = n;
	for (i = 0; i < n; i++) {
		e = config_setting_type(s) == CONFIG_TYPE_STRING ? s :
		    config_setting_get_elem(s, (unsigned)i);
		p = &c->pat[i];
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			cfg_err(ld, e, NULL, cfg_show(e, show, sizeof(show)),
			    "must be a string, not %s",
			    cfg_type_name(config_setting_type(e)));
			continue;
		}
		v = config_setting_get_string(e);
		nl = strlen(v);
		switch (val) {
		case CFG_V_ADDRS:
			if (nl >= 2 && v[0] == '/' && v[nl - 1] == '/') {
				cfg_pat_text(ld, e, p, v);
				break;
			}
			if (strchr(v, '@') == NULL || v[0] == '@' ||
			    v[nl - 1] == '@' || nl > CFG_ADDR_MAX) {
				cfg_err(ld, e, NULL, cfg_show(e, show,
				    sizeof(show)), "must be an address "
				    "(local@domain) or a /regular expression/");
				break;
			}
			if ((p->text = cfg_strdup(ld, v)) != NULL)
				cfg_lower_ascii(p->text);
			break;
		case CFG_V_DOMAINS:
			if ((msg = cfg_check_domain(v, why, sizeof(why))) !=
			    NULL) {
				cfg_err(ld, e, NULL, cfg_show(e, show,
				    sizeof(show)), "%s", msg);
				break;
			}
			if ((p->text = cfg_strdup(ld, v)) != NULL)
				cfg_lower_ascii(p->text);
			break;
		case CFG_V_TEXT:
			cfg_pat_text(ld, e, p, v);
			break;
		case CFG_V_HEADER:
			colon = strchr(v, ':');
			hn = colon != NULL ? (size_t)(colon - v) : nl;
			while (hn > 0 && v[hn - 1] == ' ')
				hn--;
			if (hn == 0 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz0123456789-_") < hn) {
				cfg_err(ld, e, NULL, cfg_show(e, show,
				    sizeof(show)), "must be a header name, or "
				    "\"Name: text\" or \"Name: /regular "
				    "expression/\"");
				break;
			}
			if ((p->header = cfg_calloc(ld, 1, hn + 1)) == NULL)
				break;
			memcpy(p->header, v, hn);
			if (colon == NULL)
				break;
			for (colon++; *colon == ' '; colon++)
				;
			cfg_pat_text(ld, e, p, colon);
			break;
		case CFG_V_TYPES:
			if ((colon = strchr(v, '/')) == NULL || colon == v ||
			    colon[1] == '\0' || strchr(colon + 1, '/') ||
			    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkl"
			    "mnopqrstuvwxyz0123456789-_.+/*") != nl) {
				cfg_err(ld, e, NULL, cfg_show(e, show,
				    sizeof(show)), "must be a MIME type such "
				    "as \"application/pdf\" or \"image/*\"");
				break;
			}
			if ((p->text = cfg_strdup(ld, v)) != NULL)
				cfg_lower_ascii(p->text);
			break;
		case CFG_V_LANGS:
			if (nl == 0 || (msg = cfg_check_lang(v, why,
			    sizeof(why))) != NULL) {
				cfg_err(ld, e, NULL, cfg_show(e, show,
				    sizeof(show)), "%s", nl ? msg :
				    "must be a language tag such as \"en\"");
				break;
			}
			if ((p->text = cfg_strdup(ld, v)) != NULL)
				cfg_lower_ascii(p->text);
			break;
		}
	}
}

/* cfg_list_cmp - qsort: two list entries */
static int
cfg_list_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* cfg_cond_file - read list file (setting S) into C: one address or domain
 * a line, "#" comments, lower case, sorted */
static void
cfg_cond_file(struct cfg_load *ld, const config_setting_t *s,
    struct cfg_cond *c)
{
	char	show[CFG_SHOW_MAX + 16], line[CFG_ADDR_MAX + 8], *p, **v;
	const char *path;
	FILE   *fp;
	size_t	cap = 0, lno = 0, n;

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cfg_err(ld, s, NULL, cfg_show(s, show, sizeof(show)),
		    "must be the path of a file, not %s",
		    cfg_type_name(config_setting_type(s)));
		return;
	}
	path = config_setting_get_string(s);
	cfg_show(s, show, sizeof(show));
	if (path[0] != '/') {
		cfg_err(ld, s, NULL, show, "must be an absolute path");
		return;
	}
	if ((fp = fopen(path, "re")) == NULL) {
		cfg_err(ld, s, NULL, show, "cannot read: %s", strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lno++;
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		n = strlen(line);
		if (n == sizeof(line) - 1 && line[n - 1] != '\n') {
			cfg_err(ld, s, NULL, show, "line %zu is longer than "
			    "%d octets", lno, CFG_ADDR_MAX);
			break;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
		    line[n - 1] == ' ' || line[n - 1] == '\t'))
			line[--n] = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '\0')
			continue;
		if (c->nlist >= CFG_LIST_MAX) {
			cfg_err(ld, s, NULL, show, "more than %d entries",
			    CFG_LIST_MAX);
			break;
		}
		if (c->nlist == cap) {
			cap = cap ? cap * 2 : 64;
			if ((v = realloc(c->list, cap * sizeof(*v))) == NULL) {
				ld->nomem = 1;
				break;
			}
			c->list = v;
		}
		if ((c->list[c->nlist] = cfg_strdup(ld, *p == '@' ? p + 1 : p))
		    == NULL)
			break;
		cfg_lower_ascii(c->list[c->nlist++]);
	}
	if (ferror(fp))
		cfg_err(ld, s, NULL, show, "cannot read: %s", strerror(errno));
	fclose(fp);
	if (c->nlist > 0)
		qsort(c->list, c->nlist, sizeof(*c->list), cfg_list_cmp);
}

/* cfg_cond_member - condition M (a member of an "if" group) into C */
static void
cfg_cond_member(struct cfg_load *ld, const config_setting_t *m,
    struct cfg_cond *c, int depth)
{
	const config_setting_t *e;
	const char *name = config_setting_name(m);
	char	show[CFG_SHOW_MAX + 16];
	size_t	i, n;
	int	k;

	for (k = 0; cfg_conds[k].name != NULL; k++)
		if (strcmp(cfg_conds[k].name, name) == 0)
			break;
	c->where = m;
	c->line = (int)config_setting_source_line(m);
	if (cfg_conds[k].name == NULL) {
		cfg_err(ld, m, NULL, NULL, "unknown condition");
		c->kind = CFG_C_ALL;	/* empty: harmless */
		return;
	}
	c->kind = cfg_conds[k].kind;
	switch (cfg_conds[k].val) {
	case CFG_V_GROUPS:
		if (config_setting_type(m) != CONFIG_TYPE_LIST) {
			cfg_err(ld, m, NULL, NULL, "must be a list of groups "
			    "( { ... }, { ... } ), not %s",
			    cfg_type_name(config_setting_type(m)));
			return;
		}
		if ((n = (size_t)config_setting_length(m)) == 0) {
			cfg_err(ld, m, NULL, NULL, "must not be empty");
			return;
		}
		if ((c->sub = cfg_calloc(ld, n, sizeof(*c->sub))) == NULL)
			return;
		c->nsub = n;
		for (i = 0; i < n; i++) {
			e = config_setting_get_elem(m, (unsigned)i);
			c->sub[i].kind = CFG_C_ALL;
			c->sub[i].where = e;
			c->sub[i].line = (int)config_setting_source_line(e);
			if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
				cfg_err(ld, e, NULL, cfg_show(e, show,
				    sizeof(show)), "must be a group, not %s",
				    cfg_type_name(config_setting_type(e)));
				continue;
			}
			cfg_cond_group(ld, e, &c->sub[i], depth + 1);
		}
		break;
	case CFG_V_GROUP:
		if (config_setting_type(m) != CONFIG_TYPE_GROUP) {
			cfg_err(ld, m, NULL, cfg_show(m, show, sizeof(show)),
			    "must be a group { ... }, not %s",
			    cfg_type_name(config_setting_type(m)));
			return;
		}
		if ((c->sub = cfg_calloc(ld, 1, sizeof(*c->sub))) == NULL)
			return;
		c->nsub = 1;
		c->sub->kind = CFG_C_ALL;
		c->sub->where = m;
		c->sub->line = c->line;
		cfg_cond_group(ld, m, c->sub, depth + 1);
		break;
	case CFG_V_ADDRS:
	case CFG_V_DOMAINS:
	case CFG_V_TEXT:
	case CFG_V_HEADER:
	case CFG_V_LANGS:
		cfg_cond_strings(ld, m, c, cfg_conds[k].val);
		break;
	case CFG_V_TYPES:
		if (config_setting_type(m) == CONFIG_TYPE_BOOL)
			c->num = config_setting_get_bool(m);
		else
			cfg_cond_strings(ld, m, c, CFG_V_TYPES);
		break;
	case CFG_V_FILE:
		cfg_cond_file(ld, m, c);
		break;
	case CFG_V_SIZE:
		if (config_setting_type(m) != CONFIG_TYPE_INT &&
		    config_setting_type(m) != CONFIG_TYPE_INT64) {
			cfg_err(ld, m, NULL, cfg_show(m, show, sizeof(show)),
			    "must be a number of octets, not %s",
			    cfg_type_name(config_setting_type(m)));
			return;
		}
		c->num = config_setting_get_int64(m);
		if (c->num < 0)
			cfg_err(ld, m, NULL, cfg_show(m, show, sizeof(show)),
			    "must not be negative");
		break;
	case CFG_V_BOOL:
		if (config_setting_type(m) != CONFIG_TYPE_BOOL) {
			cfg_err(ld, m, NULL, cfg_show(m, show, sizeof(show)),
			    "must be true or false, not %s",
			    cfg_type_name(config_setting_type(m)));
			return;
		}
		c->num = config_setting_get_bool(m);
		break;
	case CFG_V_SCHED:
		if (config_setting_type(m) != CONFIG_TYPE_STRING) {
			cfg_err(ld, m, NULL, cfg_show(m, show, sizeof(show)),
			    "must be the name of a schedule, not %s",
			    cfg_type_name(config_setting_type(m)));
			return;
		}
		c->sched_name = cfg_strdup(ld, config_setting_get_string(m));
		break;
	}
}

/* cfg_cond_group - the members of group G into the ALL node C */
static void
cfg_cond_group(struct cfg_load *ld, const config_setting_t *g,
    struct cfg_cond *c, int depth)
{
	size_t	i, n = (size_t)config_setting_length(g);

	if (depth > 32) {
		cfg_err(ld, g, NULL, NULL, "conditions nest deeper than 32");
		return;
	}
	if (n == 0)
		return;
	if ((c->sub = cfg_calloc(ld, n, sizeof(*c->sub))) == NULL)
		return;
	c->nsub = n;
	for (i = 0; i < n; i++)
		cfg_cond_member(ld, config_setting_get_elem(g, (unsigned)i),
		    &c->sub[i], depth);
}

/* cfg_cond_walk - an "if" group into a condition tree */
void
cfg_cond_walk(struct cfg_load *ld, const struct cfg_key *k,
    const config_setting_t *s, void *obj)
{
	struct cfg_cond *c;
	char	show[CFG_SHOW_MAX + 16];

	if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
		cfg_err(ld, s, NULL, cfg_show(s, show, sizeof(show)),
		    "must be a group of conditions { ... }, not %s",
		    cfg_type_name(config_setting_type(s)));
		return;
	}
	if ((c = cfg_calloc(ld, 1, sizeof(*c))) == NULL)
		return;
	c->kind = CFG_C_ALL;
	c->where = s;
	c->line = (int)config_setting_source_line(s);
	memcpy((char *)obj + k->off, &c, sizeof(c));
	cfg_cond_group(ld, s, c, 0);
}

/* cfg_cond_free - free what node C holds (not C) */
static void
cfg_cond_free(struct cfg_cond *c)
{
	size_t	i;

	for (i = 0; i < c->nsub && c->sub != NULL; i++)
		cfg_cond_free(&c->sub[i]);
	free(c->sub);
	for (i = 0; i < c->npat && c->pat != NULL; i++) {
		free(c->pat[i].text);
		free(c->pat[i].header);
		if (c->pat[i].re != NULL)
			pcre2_code_free(c->pat[i].re);
	}
	free(c->pat);
	for (i = 0; i < c->nlist; i++)
		free(c->list[i]);
	free(c->list);
	free(c->sched_name);
}

/* cfg_cond_release - free the tree cfg_cond_walk stored */
void
cfg_cond_release(const struct cfg_key *k, void *obj)
{
	struct cfg_cond *c;

	memcpy(&c, (char *)obj + k->off, sizeof(c));
	if (c != NULL) {
		cfg_cond_free(c);
		free(c);
	}
}

/* cfg_long_cmp - qsort: two dates */
static int
cfg_long_cmp(const void *a, const void *b)
{
	long	x = *(const long *)a, y = *(const long *)b;

	return (x < y ? -1 : x > y);
}

/* cfg_schedule_check - schedule S (group SS): time zone, hours, holidays */
static void
cfg_schedule_check(struct cfg_load *ld, struct cfg_schedule *s,
    const config_setting_t *ss)
{
	const config_setting_t *m;
	char	show[CFG_SHOW_MAX + 16], why[256];
	size_t	i;

	if (s->timezone != NULL &&
	    (m = config_setting_get_member(ss, "timezone")) != NULL &&
	    (s->tz = hours_tz_new(s->timezone)) == NULL)
		cfg_err(ld, m, NULL, cfg_show(m, show, sizeof(show)),
		    "unknown time zone: use an IANA name such as "
		    "\"Europe/Madrid\" (see /usr/share/zoneinfo)");
	m = config_setting_get_member(ss, "hours");
	if (s->nhours > 0 && m != NULL &&
	    (s->iv = cfg_calloc(ld, s->nhours, sizeof(*s->iv))) != NULL)
		for (i = 0; i < s->nhours; i++)
			if (s->hours[i] != NULL && hours_parse_hours(
			    s->hours[i], &s->iv[i], why, sizeof(why)) != 0)
				cfg_err(ld, config_setting_get_elem(m,
				    (unsigned)i), NULL, cfg_show(
				    config_setting_get_elem(m, (unsigned)i),
				    show, sizeof(show)), "%s", why);
	m = config_setting_get_member(ss, "holidays");
	if (s->nholidays > 0 && m != NULL &&
	    (s->hdays = cfg_calloc(ld, s->nholidays, sizeof(*s->hdays))) !=
	    NULL) {
		for (i = 0; i < s->nholidays; i++)
			if (s->holidays[i] != NULL && hours_parse_date(
			    s->holidays[i], &s->hdays[i]) != 0)
				cfg_err(ld, config_setting_get_elem(m,
				    (unsigned)i), NULL, cfg_show(
				    config_setting_get_elem(m, (unsigned)i),
				    show, sizeof(show)), "must be a date "
				    "YYYY-MM-DD");
		qsort(s->hdays, s->nholidays, sizeof(*s->hdays), cfg_long_cmp);
	}
}

/* cfg_cond_check - the schedules named in tree C exist in O; the needs of
 * the tree into *NEEDS */
static void
cfg_cond_check(struct cfg_load *ld, const struct cfg_org *o,
    struct cfg_cond *c, int *needs)
{
	size_t	i;
	char	show[CFG_SHOW_MAX + 16];

	switch (c->kind) {
	case CFG_C_HEADER:
		*needs |= CFG_NEED_HEADERS;
		break;
	case CFG_C_BODY:
	case CFG_C_ATTACHMENT:
		*needs |= CFG_NEED_TEXT;
		break;
	case CFG_C_LANGUAGE:
		*needs |= CFG_NEED_TEXT | CFG_NEED_LANGUAGE;
		break;
	case CFG_C_OPEN_INTERACTION:
		*needs |= CFG_NEED_OPEN;
		break;
	case CFG_C_WITHIN_HOURS:
	case CFG_C_OUTSIDE_HOURS:
		if (c->sched_name != NULL && (c->sched =
		    cfg_find_schedule(o, c->sched_name)) == NULL)
			cfg_err(ld, c->where, NULL, cfg_show(c->where, show,
			    sizeof(show)), "no such schedule in this "
			    "organization");
		break;
	}
	for (i = 0; i < c->nsub && c->sub != NULL; i++)
		cfg_cond_check(ld, o, &c->sub[i], needs);
}

/* cfg_action_check - action A (in group AS) names queues and flows of O */
static void
cfg_action_check(struct cfg_load *ld, const struct cfg_org *o,
    struct cfg_action *a, const config_setting_t *as)
{
	const config_setting_t *m;
	char	show[CFG_SHOW_MAX + 16];

	if (a->queue != NULL && cfg_find_queue(o, a->queue) == NULL &&
	    (m = config_setting_get_member(as, "queue")) != NULL)
		cfg_err(ld, m, NULL, cfg_show(m, show, sizeof(show)),
		    "no such queue in this organization");
	if (a->call != NULL && (m = config_setting_get_member(as, "call")) !=
	    NULL && (a->callee = cfg_find_flow(o, a->call)) == NULL)
		cfg_err(ld, m, NULL, cfg_show(m, show, sizeof(show)),
		    "no such flow in this organization");
	if (a->skills != NULL && a->add_skills != NULL &&
	    (m = config_setting_get_member(as, "add_skills")) != NULL)
		cfg_err(ld, m, NULL, NULL, "cannot be used together with "
		    "skills (which replaces them)");
	if (a->priority >= 0 && a->add_priority != 0 &&
	    (m = config_setting_get_member(as, "add_priority")) != NULL)
		cfg_err(ld, m, NULL, NULL, "cannot be used together with "
		    "priority (which replaces it)");
}

/* cfg_flow_depth - the longest chain of calls from F, at most LIMIT + 1;
 * a cycle back to a flow on STACK (N deep) is reported once at the call
 * that closes it, and counts as too deep */
static int
cfg_flow_depth(struct cfg_load *ld, const struct cfg_flow *f,
    const struct cfg_flow **stack, int n, const config_setting_t *fl,
    const struct cfg_org *o)
{
	const struct cfg_action *a;
	const config_setting_t *fs, *rs, *as, *cs;
	char	chain[1024];
	size_t	i;
	int	d, best = 0, j, k;

	for (j = 0; j < n; j++)
		if (stack[j] == f)
			return (CFG_FLOW_DEPTH + 100);
	if (n > CFG_FLOW_DEPTH)
		return (1);
	stack[n] = f;
	fs = cfg_group_elem(fl, (size_t)(f - o->flows));
	for (i = 0; i <= f->nrules; i++) {
		a = i < f->nrules ? &f->rules[i].act : f->dflt;
		if (a == NULL || a->callee == NULL)
			continue;
		for (j = 0; j <= n; j++)
			if (stack[j] == a->callee)
				break;
		if (j <= n) {
			/* the call that closes a cycle, reported when the
			 * walk started at the cycle's first flow */
			for (k = 1; k <= n && stack[k] > stack[0]; k++)
				;
			if (j == 0 && k > n && fs != NULL) {
				rs = i < f->nrules ? cfg_group_elem(
				    config_setting_get_member(fs, "rules"), i) :
				    config_setting_get_member(fs, "default");
				as = rs;
				cs = as != NULL ? config_setting_get_member(as,
				    "call") : NULL;
				chain[0] = '\0';
				for (k = 0; k <= n; k++) {
					cfg_append(chain, sizeof(chain),
					    stack[k]->name);
					cfg_append(chain, sizeof(chain), " -> ");
				}
				cfg_append(chain, sizeof(chain),
				    a->callee->name);
				if (cs != NULL)
					cfg_err(ld, cs, NULL, NULL, "flows call "
					    "each other in a cycle: %s", chain);
			}
			best = CFG_FLOW_DEPTH + 100;
			continue;
		}
		d = 1 + cfg_flow_depth(ld, a->callee, stack, n + 1, fl, o);
		if (d > best)
			best = d;
	}
	return (best);
}

/* cfg_flow_needs - what F needs, with the flows it calls (no cycles) */
static int
cfg_flow_needs(const struct cfg_flow *f, int depth)
{
	const struct cfg_action *a;
	size_t	i;
	int	n = f->needs;

	if (depth > CFG_FLOW_DEPTH)
		return (n);
	for (i = 0; i <= f->nrules; i++) {
		a = i < f->nrules ? &f->rules[i].act : f->dflt;
		if (a != NULL && a->callee != NULL)
			n |= cfg_flow_needs(a->callee, depth + 1);
	}
	return (n);
}

/* cfg_flow_check - the second pass over O's schedules and flows */
void
cfg_flow_check(struct cfg_load *ld, struct cfg_org *o,
    const config_setting_t *os)
{
	const config_setting_t *sl, *fl, *fs, *rl, *rs, *s, *e;
	const struct cfg_flow *stack[CFG_FLOW_DEPTH + 2];
	struct cfg_flow *f;
	char	show[CFG_SHOW_MAX + 16], at[512];
	size_t	i, j, r;
	int	d, *needs;

	sl = config_setting_get_member(os, "schedules");
	for (i = 0; i < o->nschedules; i++) {
		o->schedules[i].org = o;
		if ((e = cfg_group_elem(sl, i)) == NULL)
			continue;
		cfg_schedule_check(ld, &o->schedules[i], e);
		for (j = 0; j < i; j++)
			if (o->schedules[i].name != NULL &&
			    o->schedules[j].name != NULL &&
			    strcmp(o->schedules[i].name,
			    o->schedules[j].name) == 0 &&
			    (s = config_setting_get_member(e, "name")) !=
			    NULL) {
				cfg_where(ld, cfg_group_elem(sl, j), e, at,
				    sizeof(at));
				cfg_err(ld, s, NULL, cfg_show(s, show,
				    sizeof(show)), "already defined %s", at);
				break;
			}
	}
	e = config_setting_get_member(os, "queues");
	for (i = 0; i < o->nqueues; i++)
		if (o->queues[i].schedule != NULL && (o->queues[i].sched =
		    cfg_find_schedule(o, o->queues[i].schedule)) == NULL &&
		    (s = cfg_group_elem(e, i)) != NULL &&
		    (s = config_setting_get_member(s, "schedule")) != NULL)
			cfg_err(ld, s, NULL, cfg_show(s, show, sizeof(show)),
			    "no such schedule in this organization");

	fl = config_setting_get_member(os, "flows");
	for (i = 0; i < o->nflows; i++) {
		f = &o->flows[i];
		f->org = o;
		if ((fs = cfg_group_elem(fl, i)) == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (f->name != NULL && o->flows[j].name != NULL &&
			    strcmp(f->name, o->flows[j].name) == 0 &&
			    (s = config_setting_get_member(fs, "name")) !=
			    NULL) {
				cfg_where(ld, cfg_group_elem(fl, j), fs, at,
				    sizeof(at));
				cfg_err(ld, s, NULL, cfg_show(s, show,
				    sizeof(show)), "already defined %s", at);
				break;
			}
		needs = &f->needs;
		rl = config_setting_get_member(fs, "rules");
		for (r = 0; r < f->nrules; r++) {
			if ((rs = cfg_group_elem(rl, r)) == NULL)
				continue;
			if (f->rules[r].cond != NULL)
				cfg_cond_check(ld, o, f->rules[r].cond, needs);
			cfg_action_check(ld, o, &f->rules[r].act, rs);
			for (j = 0; j < r; j++)
				if (f->rules[r].name != NULL &&
				    f->rules[j].name != NULL &&
				    strcmp(f->rules[r].name,
				    f->rules[j].name) == 0 &&
				    (s = config_setting_get_member(rs,
				    "name")) != NULL) {
					cfg_where(ld, cfg_group_elem(rl, j), rs,
					    at, sizeof(at));
					cfg_err(ld, s, NULL, cfg_show(s, show,
					    sizeof(show)), "already defined %s",
					    at);
					break;
				}
		}
		if (f->dflt != NULL &&
		    (s = config_setting_get_member(fs, "default")) != NULL)
			cfg_action_check(ld, o, f->dflt, s);
	}
	for (i = 0; i < o->nflows; i++) {
		f = &o->flows[i];
		if ((fs = cfg_group_elem(fl, i)) == NULL)
			continue;
		d = cfg_flow_depth(ld, f, stack, 0, fl, o);
		if (d > CFG_FLOW_DEPTH && d < CFG_FLOW_DEPTH + 100)
			cfg_err(ld, fs, NULL, NULL, "calls flows more than %d "
			    "deep", CFG_FLOW_DEPTH);
	}
	if (ld->nerr == 0)
		for (i = 0; i < o->nflows; i++)
			o->flows[i].needs = cfg_flow_needs(&o->flows[i], 0);
}

/* cfg_flow_route - route R names a flow of O whose default has a queue */
void
cfg_flow_route(struct cfg_load *ld, const struct cfg_org *o,
    struct cfg_route *r, const config_setting_t *rs)
{
	const config_setting_t *fs;
	char	show[CFG_SHOW_MAX + 16];

	if (r->flow == NULL ||
	    (fs = config_setting_get_member(rs, "flow")) == NULL ||
	    config_setting_type(fs) != CONFIG_TYPE_STRING)
		return;
	cfg_show(fs, show, sizeof(show));
	if ((r->flowp = cfg_find_flow(o, r->flow)) == NULL)
		cfg_err(ld, fs, NULL, show,
		    "no such flow in this organization");
	else if (r->flowp->dflt != NULL && r->flowp->dflt->queue == NULL)
		cfg_err(ld, fs, NULL, show, "flow %s's default sets no queue: "
		    "a flow that an address names must end in one",
		    r->flowp->name);
}

/* cfg_flow_free - what the schema does not own of O's schedules */
void
cfg_flow_free(struct cfg_org *o)
{
	size_t	i;

	for (i = 0; i < o->nschedules && o->schedules != NULL; i++) {
		free(o->schedules[i].iv);
		free(o->schedules[i].hdays);
		hours_tz_free(o->schedules[i].tz);
	}
}

/* cfg_flow_reach - 1 when flow F (DEPTH calls in) can route to QUEUE */
static int
cfg_flow_reach(const struct cfg_flow *f, const char *queue, int depth)
{
	const struct cfg_action *a;
	size_t	i;

	if (f == NULL || depth > CFG_FLOW_DEPTH)
		return (0);
	for (i = 0; i <= f->nrules; i++) {
		a = i < f->nrules ? &f->rules[i].act : f->dflt;
		if (a == NULL)
			continue;
		if (a->queue != NULL && strcmp(a->queue, queue) == 0)
			return (1);
		if (a->callee != NULL &&
		    cfg_flow_reach(a->callee, queue, depth + 1))
			return (1);
	}
	return (0);
}

/* cfg_route_reaches - route R can send mail to QUEUE */
int
cfg_route_reaches(const struct cfg_route *r, const char *queue)
{
	if (r->queue != NULL)
		return (strcmp(r->queue, queue) == 0);
	return (cfg_flow_reach(r->flowp, queue, 0));
}
