/* flow.c - evaluate flows on a message view (see flow.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "clock.h"
#include "flow.h"
#include "hours.h"

/* The state of one evaluation. */
struct flow_run {
	const struct cfg *cfg;
	const struct flow_msg *m;
	struct flow_result *res;
	struct flow_trace *tr;
	pcre2_match_data *md;
	pcre2_match_context *mc;
	long long deadline;	/* clock_mono_ms() */
	int	limit;		/* a limit was hit */
};

/* Answers of a condition. */
#define FLOW_NO		0
#define FLOW_YES	1
#define FLOW_LIMIT	-1

/* flow_trace_add - append a formatted line to TR (ignored when NULL) */
static void __attribute__((format(printf, 2, 3)))
flow_trace_add(struct flow_trace *tr, const char *fmt, ...)
{
	va_list	ap;
	char	line[512], *p;
	size_t	n;
	int	k;

	if (tr == NULL)
		return;
	va_start(ap, fmt);
	k = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	n = (size_t)k < sizeof(line) ? (size_t)k : sizeof(line) - 1;
	if (tr->len + n + 2 > tr->cap) {
		if ((p = realloc(tr->buf, tr->cap + n + 4096)) == NULL)
			return;
		tr->buf = p;
		tr->cap += n + 4096;
	}
	memcpy(tr->buf + tr->len, line, n);
	tr->len += n;
	tr->buf[tr->len++] = '\n';
	tr->buf[tr->len] = '\0';
}

/* flow_trace_free - free a trace's text */
void
flow_trace_free(struct flow_trace *tr)
{
	if (tr != NULL) {
		free(tr->buf);
		memset(tr, 0, sizeof(*tr));
	}
}

/* flow_re - match compiled pattern RE against S (LEN): FLOW_YES, FLOW_NO
 * or FLOW_LIMIT when the match limit or the deadline was hit */
static int
flow_re(struct flow_run *run, const void *re, const char *s, size_t len)
{
	int	rc;

	if (clock_mono_ms() > run->deadline) {
		run->limit = 1;
		snprintf(run->res->why, sizeof(run->res->why),
		    "flow.time_limit_ms (%d) spent",
		    run->cfg->flow.time_limit_ms);
		return (FLOW_LIMIT);
	}
	rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, run->md, run->mc);
	if (rc >= 0)
		return (FLOW_YES);
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT) {
		run->limit = 1;
		snprintf(run->res->why, sizeof(run->res->why),
		    "a regular expression hit flow.match_limit (%d)",
		    run->cfg->flow.match_limit);
		return (FLOW_LIMIT);
	}
	return (FLOW_NO);
}

/* flow_text - any of C's patterns matches S (LEN) */
static int
flow_text(struct flow_run *run, const struct cfg_cond *c, const char *s,
    size_t len)
{
	size_t	i;
	int	rc;

	for (i = 0; i < c->npat; i++) {
		if (c->pat[i].re == NULL)
			continue;
		if ((rc = flow_re(run, c->pat[i].re, s, len)) != FLOW_NO)
			return (rc);
	}
	return (FLOW_NO);
}

/* flow_address - address A is one of C's addresses or matches one of
 * its expressions */
static int
flow_address(struct flow_run *run, const struct cfg_cond *c, const char *a)
{
	size_t	i;
	int	rc;

	for (i = 0; i < c->npat; i++) {
		if (c->pat[i].re != NULL) {
			if ((rc = flow_re(run, c->pat[i].re, a, strlen(a))) !=
			    FLOW_NO)
				return (rc);
		} else if (c->pat[i].text != NULL &&
		    strcasecmp(c->pat[i].text, a) == 0)
			return (FLOW_YES);
	}
	return (FLOW_NO);
}

/* flow_under - domain D is DOM or lies under it */
static int
flow_under(const char *d, const char *dom)
{
	size_t	n = strlen(d), k = strlen(dom);

	if (n == k)
		return (strcasecmp(d, dom) == 0);
	return (n > k && d[n - k - 1] == '.' && strcasecmp(d + n - k, dom) == 0);
}

/* flow_domain - the domain of address A is one of C's or under one */
static int
flow_domain(const struct cfg_cond *c, const char *a)
{
	const char *d = strrchr(a, '@');
	size_t	i;

	if (d == NULL)
		return (FLOW_NO);
	for (i = 0; i < c->npat; i++)
		if (c->pat[i].text != NULL && flow_under(d + 1, c->pat[i].text))
			return (FLOW_YES);
	return (FLOW_NO);
}

/* flow_list_has - S is in C's sorted list */
static int
flow_list_has(const struct cfg_cond *c, const char *s)
{
	size_t	lo = 0, hi = c->nlist, mid;
	int	k;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((k = strcmp(s, c->list[mid])) == 0)
			return (1);
		if (k < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (0);
}

/* flow_list - address A (lower case) or its domain or a parent domain of
 * it is in C's list */
static int
flow_list(const struct cfg_cond *c, const char *a)
{
	char	low[CFG_ADDR_MAX + 1];
	const char *d;
	size_t	i;

	if (*a == '\0' || strlen(a) > CFG_ADDR_MAX)
		return (FLOW_NO);
	for (i = 0; a[i] != '\0'; i++)
		low[i] = (char)(a[i] >= 'A' && a[i] <= 'Z' ? a[i] - 'A' + 'a' :
		    a[i]);
	low[i] = '\0';
	if (flow_list_has(c, low))
		return (FLOW_YES);
	for (d = strrchr(low, '@'); d != NULL; d = strchr(d + 1, '.'))
		if (d[1] != '\0' && flow_list_has(c, d + 1))
			return (FLOW_YES);
	return (FLOW_NO);
}

/* flow_header - one of C's "Name" or "Name: pattern" holds */
static int
flow_header(struct flow_run *run, const struct cfg_cond *c)
{
	const struct flow_msg *m = run->m;
	size_t	i, j;
	int	rc;

	for (i = 0; i < c->npat; i++) {
		if (c->pat[i].header == NULL)
			continue;
		for (j = 0; j < m->nhdrs; j++) {
			if (strcasecmp(m->hdrs[j].name, c->pat[i].header) != 0)
				continue;
			if (c->pat[i].re == NULL)
				return (FLOW_YES);
			if ((rc = flow_re(run, c->pat[i].re, m->hdrs[j].value,
			    strlen(m->hdrs[j].value))) != FLOW_NO)
				return (rc);
		}
	}
	return (FLOW_NO);
}

/* flow_types - an attachment of one of C's types, or of a whole type */
static int
flow_types(const struct cfg_cond *c, const struct flow_msg *m)
{
	size_t	i, j, n;

	if (c->npat == 0)
		return ((m->ntypes > 0) == (c->num != 0) ? FLOW_YES : FLOW_NO);
	for (i = 0; i < c->npat; i++) {
		if (c->pat[i].text == NULL)
			continue;
		n = strlen(c->pat[i].text);
		for (j = 0; j < m->ntypes; j++)
			if (n >= 2 && strcmp(c->pat[i].text + n - 2, "/*") == 0 ?
			    strncasecmp(m->types[j], c->pat[i].text, n - 1) == 0 :
			    strcasecmp(m->types[j], c->pat[i].text) == 0)
				return (FLOW_YES);
	}
	return (FLOW_NO);
}

/* flow_language - the detected language, sure enough, is one of C's */
static int
flow_language(struct flow_run *run, const struct cfg_cond *c)
{
	const struct flow_msg *m = run->m;
	size_t	i, n;

	if (m->lang == NULL || m->lang[0] == '\0' || !m->lang_reliable ||
	    m->lang_confidence < run->cfg->flow.language_confidence)
		return (FLOW_NO);
	for (i = 0; i < c->npat; i++) {
		if (c->pat[i].text == NULL)
			continue;
		/* "es" holds for a detected "es" or "es-MX" and the reverse */
		n = strcspn(c->pat[i].text, "-");
		if (strncasecmp(c->pat[i].text, m->lang, n) == 0 &&
		    (m->lang[n] == '\0' || m->lang[n] == '-'))
			return (FLOW_YES);
	}
	return (FLOW_NO);
}

/* flow_cond - whether condition C holds */
static int
flow_cond(struct flow_run *run, const struct cfg_cond *c)
{
	const struct flow_msg *m = run->m;
	size_t	i;
	int	rc;

	if (clock_mono_ms() > run->deadline) {
		run->limit = 1;
		snprintf(run->res->why, sizeof(run->res->why),
		    "flow.time_limit_ms (%d) spent",
		    run->cfg->flow.time_limit_ms);
		return (FLOW_LIMIT);
	}
	switch (c->kind) {
	case CFG_C_ALL:
		for (i = 0; i < c->nsub; i++)
			if ((rc = flow_cond(run, &c->sub[i])) != FLOW_YES)
				return (rc);
		return (FLOW_YES);
	case CFG_C_ANY:
		for (i = 0; i < c->nsub; i++)
			if ((rc = flow_cond(run, &c->sub[i])) != FLOW_NO)
				return (rc);
		return (FLOW_NO);
	case CFG_C_NOT:
		if (c->nsub == 0)
			return (FLOW_NO);
		rc = flow_cond(run, &c->sub[0]);
		return (rc == FLOW_LIMIT ? rc : !rc);
	case CFG_C_SENDER:
		return (flow_address(run, c, m->sender));
	case CFG_C_FROM:
		return (flow_address(run, c, m->from));
	case CFG_C_SENDER_DOMAIN:
		return (flow_domain(c, m->sender));
	case CFG_C_FROM_DOMAIN:
		return (flow_domain(c, m->from));
	case CFG_C_SENDER_LIST:
		return (flow_list(c, m->sender));
	case CFG_C_FROM_LIST:
		return (flow_list(c, m->from));
	case CFG_C_SUBJECT:
		return (flow_text(run, c, m->subject, strlen(m->subject)));
	case CFG_C_HEADER:
		return (flow_header(run, c));
	case CFG_C_BODY:
		return (flow_text(run, c, m->text != NULL ? m->text : "",
		    m->text != NULL ? m->textlen : 0));
	case CFG_C_ATTACHMENT:
		return (flow_types(c, m));
	case CFG_C_SIZE_ABOVE:
		return ((long long)m->size > c->num);
	case CFG_C_SIZE_BELOW:
		return ((long long)m->size < c->num);
	case CFG_C_LANGUAGE:
		return (flow_language(run, c));
	case CFG_C_AUTOMATIC:
		return ((m->automatic != 0) == (c->num != 0));
	case CFG_C_WITHIN_HOURS:
		return (c->sched != NULL && hours_open(c->sched, m->now));
	case CFG_C_OUTSIDE_HOURS:
		return (c->sched != NULL && !hours_open(c->sched, m->now));
	case CFG_C_OPEN_INTERACTION:
		return ((m->open > 0) == (c->num != 0));
	}
	return (FLOW_NO);
}

/* flow_has - S is among the N strings of V */
static int
flow_has(const char *const *v, size_t n, const char *s)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return (1);
	return (0);
}

/* flow_apply - action A on the result */
static void
flow_apply(struct flow_run *run, const struct cfg_action *a)
{
	struct flow_result *res = run->res;
	size_t	i;
	int	p;

	if (a->queue != NULL)
		res->queue = a->queue;
	if (a->skills != NULL) {
		res->nskills = 0;
		for (i = 0; i < a->nskills && i < CFG_SKILLS_MAX; i++)
			res->skills[res->nskills++] = a->skills[i];
	}
	for (i = 0; i < a->nadd_skills; i++)
		if (res->nskills < CFG_SKILLS_MAX &&
		    !flow_has(res->skills, res->nskills, a->add_skills[i]))
			res->skills[res->nskills++] = a->add_skills[i];
	if (a->language != NULL) {
		res->language = a->language;
		res->detected = 0;
	}
	if (a->priority >= 0)
		res->priority = a->priority;
	if (a->add_priority != 0) {
		p = res->priority + a->add_priority;
		res->priority = p < 0 ? 0 : p > CFG_PRIORITY_MAX ?
		    CFG_PRIORITY_MAX : p;
	}
	for (i = 0; i < a->ntags; i++)
		if (res->ntags < FLOW_TAGS_MAX &&
		    !flow_has(res->tags, res->ntags, a->tags[i]))
			res->tags[res->ntags++] = a->tags[i];
	if (a->ack != NULL)
		res->ack = a->ack;
	if (a->close)
		res->close = 1;
}

/* flow_note - add "FLOW/RULE" to the result's path */
static void
flow_note(struct flow_result *res, const char *flow, const char *rule)
{
	size_t	n = strlen(res->path);

	snprintf(res->path + n, sizeof(res->path) - n, "%s%s/%s",
	    n > 0 ? " > " : "", flow, rule);
}

/* flow_run - evaluate F (DEPTH calls in); FLOW_LIMIT when a limit hit */
static int
flow_run(struct flow_run *run, const struct cfg_flow *f, int depth)
{
	const struct cfg_rule *r;
	const struct cfg_action *a = NULL;
	char	label[CFG_NAME_MAX + 8];
	size_t	i;
	int	rc = FLOW_NO;

	for (i = 0; i < f->nrules; i++) {
		r = &f->rules[i];
		if (r->name != NULL)
			snprintf(label, sizeof(label), "%s", r->name);
		else
			snprintf(label, sizeof(label), "#%zu", i);
		rc = r->cond != NULL ? flow_cond(run, r->cond) : FLOW_YES;
		flow_trace_add(run->tr, "%*sflow %s rule %s (line %d): %s",
		    depth * 2, "", f->name, label, r->line, rc == FLOW_YES ?
		    "matched" : rc == FLOW_NO ? "no" : "limit hit");
		if (rc == FLOW_LIMIT)
			return (rc);
		if (rc == FLOW_YES) {
			a = &r->act;
			flow_note(run->res, f->name, label);
			break;
		}
	}
	if (a == NULL) {
		a = f->dflt;
		flow_trace_add(run->tr, "%*sflow %s: default", depth * 2, "",
		    f->name);
		flow_note(run->res, f->name, "default");
	}
	if (a == NULL)
		return (FLOW_NO);
	flow_apply(run, a);
	if (a->callee != NULL && depth < CFG_FLOW_DEPTH) {
		flow_trace_add(run->tr, "%*sflow %s calls %s", depth * 2, "",
		    f->name, a->callee->name);
		return (flow_run(run, a->callee, depth + 1));
	}
	return (FLOW_NO);
}

/* flow_start - RES as route R sets it, with the detected language where R
 * sets none */
static void
flow_start(const struct cfg *cfg, const struct cfg_route *r,
    const struct flow_msg *m, struct flow_result *res)
{
	size_t	i;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < r->nskills && i < CFG_SKILLS_MAX; i++)
		res->skills[res->nskills++] = r->skills[i];
	res->language = r->language != NULL ? r->language : "";
	res->priority = r->priority;
	if (res->language[0] == '\0' && m->lang != NULL && m->lang[0] != '\0' &&
	    m->lang_reliable &&
	    m->lang_confidence >= cfg->flow.language_confidence) {
		res->language = m->lang;
		res->detected = 1;
	}
}

/* flow_eval - route R's flow on M */
int
flow_eval(const struct cfg *cfg, const struct cfg_route *r,
    const struct flow_msg *m, struct flow_result *res,
    struct flow_trace *tr)
{
	const struct cfg_flow *f = r->flowp;
	struct flow_run run;
	char	why[sizeof(res->why)];
	int	rc = 0;

	flow_start(cfg, r, m, res);
	if (f == NULL)
		return (0);
	memset(&run, 0, sizeof(run));
	run.cfg = cfg;
	run.m = m;
	run.res = res;
	run.tr = tr;
	run.deadline = clock_mono_ms() + cfg->flow.time_limit_ms;
	run.md = pcre2_match_data_create(1, NULL);
	run.mc = pcre2_match_context_create(NULL);
	if (run.md == NULL || run.mc == NULL)
		rc = -1;
	else {
		pcre2_set_match_limit(run.mc, (uint32_t)cfg->flow.match_limit);
		pcre2_set_depth_limit(run.mc, (uint32_t)cfg->flow.match_limit);
		(void)flow_run(&run, f, 0);
	}
	if (rc != 0 || run.limit) {
		/* the default, as if no rule had held */
		snprintf(why, sizeof(why), "%s", rc != 0 ? "out of memory" :
		    res->why);
		flow_start(cfg, r, m, res);
		snprintf(res->why, sizeof(res->why), "%s", why);
		res->fallback = 1;
		flow_trace_add(tr, "limit: %s; the default of flow %s applies",
		    why, f->name);
		snprintf(res->path, sizeof(res->path), "%s/default", f->name);
		if (f->dflt != NULL) {
			run.res = res;
			flow_apply(&run, f->dflt);
		}
	}
	if (res->queue == NULL && f->dflt != NULL)
		res->queue = f->dflt->queue;
	pcre2_match_data_free(run.md);
	pcre2_match_context_free(run.mc);
	return (rc);
}
