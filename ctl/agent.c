/* agent.c - "mailacdctl agents" and "mailacdctl agent ID PRESENCE".
 *
 * The roster comes from the configuration; mailacd-router writes it to
 * Redis (mailacd:{org}:agent:ID, the set mailacd:{org}:agents) at every
 * start and reload, and presence, load and the time of the last change of
 * workload live in Redis only.  "agents" shows both sides, so that an
 * agent configured but not yet written, or written but since removed from
 * the file (and perhaps still holding work), is visible.  "agent" changes
 * presence through the function library: one atomic call that also hands
 * an agent who becomes available the waiting work they can take. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "agent.h"
#include "fn.h"
#include "json.h"
#include "tbl.h"

/* agent_field - the value of field NAME in an HGETALL reply, or NULL */
static const char *
agent_field(const redisReply *h, const char *name)
{
	size_t	i;

	for (i = 0; i + 1 < h->elements; i += 2)
		if (h->element[i]->type == REDIS_REPLY_STRING &&
		    h->element[i + 1]->type == REDIS_REPLY_STRING &&
		    strcmp(h->element[i]->str, name) == 0)
			return (h->element[i + 1]->str);
	return (NULL);
}

/* agent_num - a decimal field that is not negative, or -1 */
static long long
agent_num(const char *s)
{
	char	*end;
	long long v;

	if (s == NULL || *s == '\0')
		return (-1);
	errno = 0;
	v = strtoll(s, &end, 10);
	return (*end != '\0' || errno != 0 || v < 0 ? -1 : v);
}

/* agent_dup - a copy of S, or NULL for NULL; -1 when memory is short */
static int
agent_dup(const char *s, char **out)
{
	*out = NULL;
	if (s == NULL)
		return (0);
	return ((*out = strdup(s)) == NULL ? -1 : 0);
}

/* agent_find - the agent ID of L, or NULL */
static struct agent_info *
agent_find(const struct agent_list *l, const char *id)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].id, id) == 0)
			return (&l->v[i]);
	return (NULL);
}

/* agent_add - append agent ID (configured as CFG) unless listed; 0 or -1 */
static int
agent_add(struct agent_list *l, const char *id, const struct cfg_agent *cfg)
{
	struct agent_info *v;

	if (agent_find(l, id) != NULL)
		return (0);
	if ((v = reallocarray(l->v, l->n + 1, sizeof(*v))) == NULL)
		return (-1);
	l->v = v;
	memset(&v[l->n], 0, sizeof(v[l->n]));
	if ((v[l->n].id = strdup(id)) == NULL)
		return (-1);
	v[l->n].cfg = cfg;
	v[l->n].capacity = v[l->n].since = v[l->n].presence_at = -1;
	l->n++;
	return (0);
}

/* agent_str_cmp - qsort: C strings */
static int
agent_str_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* agent_strings - the strings of array reply R, sorted, into *V and *N;
 * 0 or -1 when memory is short (a reply that is no array of strings gives
 * nothing) */
static int
agent_strings(const redisReply *r, char ***v, size_t *n)
{
	size_t	i;

	*v = NULL;
	*n = 0;
	if (r->type != REDIS_REPLY_ARRAY || r->elements == 0)
		return (0);
	if ((*v = calloc(r->elements, sizeof(**v))) == NULL)
		return (-1);
	for (i = 0; i < r->elements; i++) {
		if (r->element[i]->type != REDIS_REPLY_STRING ||
		    strlen(r->element[i]->str) != r->element[i]->len)
			continue;
		if (((*v)[*n] = strdup(r->element[i]->str)) == NULL)
			return (-1);
		(*n)++;
	}
	qsort(*v, *n, sizeof(**v), agent_str_cmp);
	return (0);
}

/* agent_free_strings - what agent_strings() made */
static void
agent_free_strings(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* agent_roster - the ids of Redis' roster the configuration lacks */
static int
agent_roster(struct ctl *ctl, const char *org, struct agent_list *l)
{
	char	key[CTL_KEY_MAX], **ids;
	redisReply *r;
	size_t	n, i;
	int	st = 0;

	if (keys_fmt(key, sizeof(key), KEYS_FMT_AGENTS, org) != 0) {
		ctl_errx("organisation %s: key too long", org);
		return (EX_SOFTWARE);
	}
	if ((r = ctl_command(ctl, &st, "SMEMBERS", key, "SMEMBERS %s",
	    key)) == NULL)
		return (st);
	if (agent_strings(r, &ids, &n) != 0)
		st = EX_OSERR;
	for (i = 0; i < n && st == 0; i++)
		if (agent_add(l, ids[i], NULL) != 0)
			st = EX_OSERR;
	agent_free_strings(ids, n);
	freeReplyObject(r);
	return (st);
}

/* What agent_scan's callback collects. */
struct agent_scan_arg {
	size_t	plen;		/* length of "mailacd:{ORG}:agent:" */
	char	**ids;
	size_t	n;
};

/* agent_scan_key - keep the id of agent hash KEY (not agent:ID:ix...) */
static int
agent_scan_key(const char *key, void *arg)
{
	struct agent_scan_arg *a = arg;
	const char *id;
	char	**nv;

	if (strlen(key) <= a->plen || !ctl_name_ok(id = key + a->plen))
		return (0);
	if ((nv = reallocarray(a->ids, a->n + 1, sizeof(*nv))) == NULL)
		return (-1);
	a->ids = nv;
	if ((nv[a->n] = strdup(id)) == NULL)
		return (-1);
	a->n++;
	return (0);
}

/* agent_scan - every other agent hash of ORG, in id order */
static int
agent_scan(struct ctl *ctl, const char *org, struct agent_list *l)
{
	struct agent_scan_arg sa = { 0, NULL, 0 };
	char	pat[CTL_KEY_MAX], **ids;
	size_t	n, i;
	int	st;

	if (keys_fmt(pat, sizeof(pat), KEYS_FMT_AGENT, org, "*") != 0) {
		ctl_errx("organisation %s: key too long", org);
		return (EX_SOFTWARE);
	}
	sa.plen = strlen(pat) - 1;
	st = ctl_scan(ctl, pat, "hash", agent_scan_key, &sa);
	ids = sa.ids;
	n = sa.n;
	if (st != 0)
		goto out;
	if (n > 1)
		qsort(ids, n, sizeof(*ids), agent_str_cmp);
	for (i = 0; i < n && st == 0; i++)
		if (agent_add(l, ids[i], NULL) != 0)
			st = EX_OSERR;
out:
	agent_free_strings(ids, n);
	return (st);
}

/* agent_fill - the hash and the interactions of agent A */
static int
agent_fill(struct ctl *ctl, const char *org, struct agent_info *a)
{
	char	key[CTL_KEY_MAX], ixkey[CTL_KEY_MAX];
	redisReply *r;
	const char *roster;
	int	st = 0;

	if (keys_fmt(key, sizeof(key), KEYS_FMT_AGENT, org, a->id) != 0 ||
	    keys_fmt(ixkey, sizeof(ixkey), KEYS_FMT_AGENT_IX, org,
	    a->id) != 0) {
		ctl_errx("agent %s of %s: key too long", a->id, org);
		return (EX_SOFTWARE);
	}
	if ((r = ctl_hgetall(ctl, &st, key)) == NULL)
		return (st);
	if (r->elements > 0) {
		a->in_redis = 1;
		roster = agent_field(r, "roster");
		a->roster = roster == NULL || strcmp(roster, "0") != 0;
		a->capacity = agent_num(agent_field(r, "capacity"));
		a->since = agent_num(agent_field(r, "since"));
		a->presence_at = agent_num(agent_field(r, "presence_at"));
		if (agent_dup(agent_field(r, "address"), &a->address) != 0 ||
		    agent_dup(agent_field(r, "presence"),
		    &a->presence) != 0 ||
		    agent_dup(agent_field(r, "skills"), &a->skills) != 0 ||
		    agent_dup(agent_field(r, "languages"),
		    &a->languages) != 0 ||
		    agent_dup(agent_field(r, "queues"), &a->queues) != 0 ||
		    agent_dup(agent_field(r, "last"), &a->last) != 0)
			st = EX_OSERR;
	}
	freeReplyObject(r);
	if (st != 0)
		return (st);
	if ((r = ctl_command(ctl, &st, "SMEMBERS", ixkey, "SMEMBERS %s",
	    ixkey)) == NULL)
		return (st);
	if (agent_strings(r, &a->ix, &a->nix) != 0)
		st = EX_OSERR;
	freeReplyObject(r);
	return (st);
}

/* agent_read - configured, then Redis' roster, then (ALL) the rest */
int
agent_read(struct ctl *ctl, const struct cfg_org *o, int all,
    struct agent_list *l)
{
	size_t	i;
	int	st;

	memset(l, 0, sizeof(*l));
	for (i = 0; i < o->nagents; i++)
		if (agent_add(l, o->agents[i].id, &o->agents[i]) != 0)
			return (EX_OSERR);
	if ((st = agent_roster(ctl, o->id, l)) != 0)
		return (st);
	if (all && (st = agent_scan(ctl, o->id, l)) != 0)
		return (st);
	for (i = 0; i < l->n; i++)
		if ((st = agent_fill(ctl, o->id, &l->v[i])) != 0)
			return (st);
	return (0);
}

/* agent_info_free - what agent A owns */
static void
agent_info_free(struct agent_info *a)
{
	free(a->id);
	free(a->address);
	free(a->presence);
	free(a->skills);
	free(a->languages);
	free(a->queues);
	free(a->last);
	agent_free_strings(a->ix, a->nix);
}

/* agent_list_free - every agent and the array */
void
agent_list_free(struct agent_list *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		agent_info_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* agent_in_list - NAME is an element of the comma-separated LIST */
static int
agent_in_list(const char *list, const char *name)
{
	size_t	n = strlen(name);
	const char *p;

	for (p = list; p != NULL && *p != '\0'; ) {
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return (1);
		if ((p = strchr(p, ',')) != NULL)
			p++;
	}
	return (0);
}

/* agent_serves - QUEUE in the agent's queues */
int
agent_serves(const struct agent_info *a, const char *queue)
{
	size_t	i;

	if (a->in_redis)
		return (agent_in_list(a->queues, queue));
	for (i = 0; a->cfg != NULL && i < a->cfg->nqueues; i++)
		if (strcmp(a->cfg->queues[i], queue) == 0)
			return (1);
	return (0);
}

/* agent_profile - skills, languages and queues as Redis has them, or as
 * the file has them before the router wrote them; NULL when short of
 * memory (*OWN: the caller frees the three) */
static int
agent_profile(const struct agent_info *a, char *p[3], int *own)
{
	*own = 0;
	if (a->in_redis || a->cfg == NULL) {
		p[0] = a->skills;
		p[1] = a->languages;
		p[2] = a->queues;
		return (0);
	}
	*own = 1;
	p[0] = cfg_join(a->cfg->skills, a->cfg->nskills);
	p[1] = cfg_join(a->cfg->languages, a->cfg->nlanguages);
	p[2] = cfg_join(a->cfg->queues, a->cfg->nqueues);
	return (p[0] && p[1] && p[2] ? 0 : -1);
}

/* agent_note - what is unusual about A, or "" */
static const char *
agent_note(const struct agent_info *a)
{
	if (a->cfg != NULL && !a->in_redis)
		return ("not in Redis yet");
	if (a->cfg != NULL && !a->roster)
		return ("not in Redis' roster yet");
	if (a->cfg == NULL && a->roster)
		return ("not configured");
	if (a->cfg == NULL)
		return ("off the roster");
	return ("");
}

/* agent_row - one agent as a table row */
static int
agent_row(struct ctl *ctl, struct tbl *t, const struct agent_info *a)
{
	char	load[48], idle[32], *p[3];
	const char *cells[8];
	int	own, st = 0;

	if (agent_profile(a, p, &own) != 0) {
		st = EX_OSERR;
		goto out;
	}
	if (a->capacity >= 0)
		snprintf(load, sizeof(load), "%zu/%lld", a->nix, a->capacity);
	else
		snprintf(load, sizeof(load), "%zu/?", a->nix);
	cells[0] = a->id;
	cells[1] = a->in_redis ? (a->presence ? a->presence : "?") : NULL;
	cells[2] = a->in_redis || a->nix > 0 ? load : NULL;
	cells[3] = p[2] && *p[2] ? p[2] : NULL;
	cells[4] = p[0] && *p[0] ? p[0] : NULL;
	cells[5] = p[1] && *p[1] ? p[1] : NULL;
	cells[6] = a->since >= 0 ? ctl_wait(ctl->now_ms - a->since, idle,
	    sizeof(idle)) : NULL;
	cells[7] = agent_note(a);
	if (tbl_add(t, cells) != 0)
		st = EX_OSERR;
out:
	if (own) {
		free(p[0]);
		free(p[1]);
		free(p[2]);
	}
	return (st);
}

/* agent_json_list - the comma-separated LIST as a JSON array KEY */
static void
agent_json_list(struct jw *j, const char *key, const char *list)
{
	const char *p, *e;

	jw_open(j, key, '[');
	for (p = list; p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, ",");
		if (e > p)
			jw_stringn(j, NULL, p, (size_t)(e - p));
	}
	jw_close(j, ']');
}

/* agent_json_ms - a time or duration in milliseconds, or null */
static void
agent_json_ms(struct jw *j, const char *key, int64_t v)
{
	if (v >= 0)
		jw_int(j, key, v);
	else
		jw_null(j, key);
}

/* agent_json - one agent as a JSON object */
static int
agent_json(struct ctl *ctl, struct jw *j, const struct agent_info *a,
    const char *key)
{
	char	*p[3];
	size_t	i;
	int	own, st = 0;

	if (agent_profile(a, p, &own) != 0) {
		st = EX_OSERR;
		goto out;
	}
	jw_open(j, key, '{');
	jw_string(j, "id", a->id);
	jw_bool(j, "configured", a->cfg != NULL);
	jw_bool(j, "in_redis", a->in_redis);
	jw_bool(j, "roster", a->roster);
	jw_string(j, "address", a->in_redis || a->cfg == NULL ?
	    a->address : a->cfg->address);
	jw_string(j, "presence", a->presence);
	agent_json_ms(j, "presence_at_ms", a->presence_at);
	jw_int(j, "load", (int64_t)a->nix);
	if (a->capacity >= 0)
		jw_int(j, "capacity", a->capacity);
	else if (!a->in_redis && a->cfg != NULL)
		jw_int(j, "capacity", a->cfg->capacity);
	else
		jw_null(j, "capacity");
	agent_json_list(j, "queues", p[2]);
	agent_json_list(j, "skills", p[0]);
	agent_json_list(j, "languages", p[1]);
	agent_json_ms(j, "since_ms", a->since);
	agent_json_ms(j, "idle_ms", a->since >= 0 ? ctl->now_ms - a->since :
	    -1);
	jw_string(j, "last", a->last);
	jw_open(j, "interactions", '[');
	for (i = 0; i < a->nix; i++)
		jw_string(j, NULL, a->ix[i]);
	jw_close(j, ']');
	jw_close(j, '}');
out:
	if (own) {
		free(p[0]);
		free(p[1]);
		free(p[2]);
	}
	return (st);
}

/* agents_org - one organisation's table or JSON object */
static int
agents_org(struct ctl *ctl, const struct cfg_org *o, struct jw *j,
    int first)
{
	static const char *const head[] = { "AGENT", "PRESENCE", "LOAD",
	    "QUEUES", "SKILLS", "LANGUAGES", "IDLE", "NOTE" };
	struct agent_list l;
	struct tbl *t = NULL;
	size_t	i;
	int	st;

	if ((st = ctl_schema(ctl, o->id)) != 0)
		return (st);
	if ((st = agent_read(ctl, o, 1, &l)) != 0)
		goto out;
	if (j != NULL) {
		jw_open(j, NULL, '{');
		jw_string(j, "org", o->id);
		jw_open(j, "agents", '[');
		for (i = 0; i < l.n && st == 0; i++)
			st = agent_json(ctl, j, &l.v[i], NULL);
		jw_close(j, ']');
		jw_close(j, '}');
		goto out;
	}
	if ((t = tbl_new(8, head)) == NULL) {
		st = EX_OSERR;
		goto out;
	}
	for (i = 0; i < l.n && st == 0; i++)
		st = agent_row(ctl, t, &l.v[i]);
	if (st == 0) {
		if (!first)
			putc('\n', ctl->out);
		fputs("organisation ", ctl->out);
		tbl_text(ctl->out, o->id);
		putc('\n', ctl->out);
		if (l.n > 0)
			tbl_print(t, ctl->out);
		else
			fputs("  no agents\n", ctl->out);
	}
out:
	tbl_free(t);
	agent_list_free(&l);
	return (st);
}

/* agents_cmd - every organisation (or the one of -o) */
int
agents_cmd(struct ctl *ctl, int argc, char **argv)
{
	struct jw js, *j = NULL;
	size_t	i;
	int	st = 0, first = 1;

	(void)argv;
	if (argc != 1) {
		ctl_errx("agents takes no arguments");
		return (EX_USAGE);
	}
	if (ctl->json) {
		j = &js;
		jw_init(j, ctl->out);
		jw_open(j, NULL, '{');
		jw_int(j, "now_ms", ctl->now_ms);
		jw_open(j, "organizations", '[');
	}
	for (i = 0; i < ctl->cfg->norgs && st == 0; i++) {
		if (!ctl_org_on(ctl, &ctl->cfg->orgs[i]))
			continue;
		st = agents_org(ctl, &ctl->cfg->orgs[i], j, first);
		first = 0;
	}
	if (j != NULL) {
		jw_close(j, ']');
		jw_close(j, '}');
		jw_end(j);
	}
	if (st == EX_OSERR)
		ctl_errx("out of memory");
	return (st);
}

/* agent_org - the organisation of agent ID: -o, or the one configuration
 * entry; NULL with *STATUS set after a line on stderr */
static const struct cfg_org *
agent_org(struct ctl *ctl, const char *id, int *status)
{
	const struct cfg_org *found = NULL, *o;
	char	list[512];
	size_t	i, k, n = 0, len = 0;

	if (ctl->org != NULL)
		return (ctl->org);
	list[0] = '\0';
	for (i = 0; i < ctl->cfg->norgs; i++) {
		o = &ctl->cfg->orgs[i];
		for (k = 0; k < o->nagents; k++)
			if (strcmp(o->agents[k].id, id) == 0)
				break;
		if (k == o->nagents)
			continue;
		found = o;
		if (len < sizeof(list))
			len += (size_t)snprintf(list + len, sizeof(list) - len,
			    "%s%s", n > 0 ? ", " : "", o->id);
		n++;
	}
	if (n == 1)
		return (found);
	if (n == 0) {
		ctl_errx("agent %s: not in the roster of any configured "
		    "organisation", id);
		*status = CTL_EX_NOTFOUND;
	} else {
		ctl_errx("agent %s is in several organisations (%s): choose "
		    "one with -o", id, list);
		*status = EX_USAGE;
	}
	return (NULL);
}

/* agent_configured - ID is in O's roster in the file */
static int
agent_configured(const struct cfg_org *o, const char *id)
{
	size_t	k;

	for (k = 0; k < o->nagents; k++)
		if (strcmp(o->agents[k].id, id) == 0)
			return (1);
	return (0);
}

/* agent_holds - "  holds ID (QUEUE, SUBJECT)" on FP for each interaction A
 * holds, or as the JSON array "holds" */
static int
agent_holds(struct ctl *ctl, struct jw *j, FILE *fp, const char *org,
    const struct agent_info *a)
{
	char	key[CTL_KEY_MAX];
	redisReply *r;
	size_t	i;
	int	st = 0;

	if (j != NULL)
		jw_open(j, "holds", '[');
	for (i = 0; i < a->nix && st == 0; i++) {
		if (keys_fmt(key, sizeof(key), KEYS_FMT_IX, org, a->ix[i]) != 0)
			continue;
		if ((r = ctl_command(ctl, &st, "HMGET", key,
		    "HMGET %s queue subject assigned", key)) == NULL)
			break;
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 3) {
			const char *q = r->element[0]->str;
			const char *subj = r->element[1]->str;

			if (j != NULL) {
				jw_open(j, NULL, '{');
				jw_string(j, "id", a->ix[i]);
				jw_string(j, "queue", q);
				jw_string(j, "subject", subj);
				jw_close(j, '}');
			} else {
				fputs("  holds ", fp);
				tbl_text(fp, a->ix[i]);
				fputs(" (", fp);
				tbl_text(fp, q ? q : "?");
				if (subj != NULL) {
					fputs(", ", fp);
					tbl_text(fp, subj);
				}
				fputs(")\n", fp);
			}
		}
		freeReplyObject(r);
	}
	if (j != NULL)
		jw_close(j, ']');
	return (st);
}

/* agent_show - "agent ID": the agents table's row of one agent and what
 * they hold */
static int
agent_show(struct ctl *ctl, const struct cfg_org *o, const char *id)
{
	static const char *const head[] = { "AGENT", "PRESENCE", "LOAD",
	    "QUEUES", "SKILLS", "LANGUAGES", "IDLE", "NOTE" };
	struct agent_list l;
	struct agent_info *a;
	struct tbl *t = NULL;
	struct jw js;
	int	st;

	if ((st = ctl_schema(ctl, o->id)) != 0)
		return (st);
	if ((st = agent_read(ctl, o, 1, &l)) != 0)
		goto out;
	if ((a = agent_find(&l, id)) == NULL) {
		ctl_errx("no agent \"%s\"%s%s%s", id,
		    ctl->cfg->norgs > 1 ? " (organisation " : "",
		    ctl->cfg->norgs > 1 ? o->id : "",
		    ctl->cfg->norgs > 1 ? ")" : "");
		st = CTL_EX_NOTFOUND;
		goto out;
	}
	if (ctl->json) {
		jw_init(&js, ctl->out);
		jw_open(&js, NULL, '{');
		jw_string(&js, "org", o->id);
		if ((st = agent_json(ctl, &js, a, "agent")) == 0)
			st = agent_holds(ctl, &js, NULL, o->id, a);
		jw_close(&js, '}');
		jw_end(&js);
		goto out;
	}
	if ((t = tbl_new(8, head)) == NULL || agent_row(ctl, t, a) != 0) {
		st = EX_OSERR;
		goto out;
	}
	if (ctl->cfg->norgs > 1) {
		fputs("organisation ", ctl->out);
		tbl_text(ctl->out, o->id);
		putc('\n', ctl->out);
	}
	tbl_print(t, ctl->out);
	st = agent_holds(ctl, NULL, ctl->out, o->id, a);
out:
	tbl_free(t);
	agent_list_free(&l);
	return (st);
}

/* agent_cmd - set presence; what changed and what was assigned (or, with
 * no presence, show the agent) */
int
agent_cmd(struct ctl *ctl, int argc, char **argv)
{
	static const char *const presences[] = { "available", "away",
	    "offline", NULL };
	const struct cfg_org *o;
	const char *was, *now;
	struct agent_info held;
	struct fn_cmd cmd;
	struct jw js;
	json_t	*a, *rq;
	int64_t	load, cap;
	size_t	i;
	int	st = 0;

	if (argc != 3 && argc != 2) {
		ctl_errx("usage: agent ID [available|away|offline "
		    "[--requeue]]");
		return (EX_USAGE);
	}
	if (!ctl_name_ok(argv[1])) {
		ctl_errx("agent: %s is not an agent id (1 to 64 of A-Z a-z "
		    "0-9 . _ -)", argv[1]);
		return (EX_USAGE);
	}
	if (argc == 2) {
		if (ctl->requeue) {
			ctl_errx("agent %s: --requeue goes with away or "
			    "offline", argv[1]);
			return (EX_USAGE);
		}
		if ((o = agent_org(ctl, argv[1], &st)) == NULL)
			return (st);
		return (agent_show(ctl, o, argv[1]));
	}
	/* presence words in any case: Away, OFFLINE */
	for (i = 0; presences[i] != NULL; i++)
		if (strcasecmp(argv[2], presences[i]) == 0)
			break;
	if (presences[i] == NULL) {
		ctl_errx("agent %s: presence must be available, away or "
		    "offline, not %s", argv[1], argv[2]);
		return (EX_USAGE);
	}
	if (ctl->requeue && i == 0) {
		ctl_errx("agent %s: --requeue goes with away or offline, not "
		    "available", argv[1]);
		return (EX_USAGE);
	}
	if ((o = agent_org(ctl, argv[1], &st)) == NULL)
		return (st);
	if (ctl->requeue)
		fn_presence_requeue(&cmd, o->id, argv[1], presences[i],
		    "operator");
	else
		fn_presence(&cmd, o->id, argv[1], presences[i]);
	if ((st = ctl_fcall(ctl, o->id, &cmd,
	    agent_configured(o, argv[1]) ? "; the configuration has the "
	    "agent: has mailacd-router written the roster yet?" : NULL,
	    &a)) != 0)
		return (st);
	was = json_string_value(json_object_get(a, "was"));
	now = json_string_value(json_object_get(a, "presence"));
	rq = json_object_get(a, "requeued");
	if (ctl_jint(a, "load", &load) != 0)
		load = -1;
	if (ctl_jint(a, "capacity", &cap) != 0)
		cap = -1;
	/* away or offline and still holding work: say what */
	memset(&held, 0, sizeof(held));
	held.id = argv[1];
	held.capacity = held.since = held.presence_at = -1;
	if (i != 0 && load > 0 && (st = agent_fill(ctl, o->id, &held)) != 0)
		goto out;
	if (ctl->json) {
		jw_init(&js, ctl->out);
		jw_open(&js, NULL, '{');
		jw_string(&js, "org", o->id);
		jw_string(&js, "agent", argv[1]);
		jw_string(&js, "presence", now);
		jw_string(&js, "was", was);
		jw_bool(&js, "changed", was == NULL || now == NULL ||
		    strcmp(was, now) != 0);
		agent_json_ms(&js, "load", load);
		agent_json_ms(&js, "capacity", cap);
		jw_open(&js, "requeued", '[');
		for (i = 0; json_is_array(rq) && i < json_array_size(rq); i++)
			jw_string(&js, NULL, json_string_value(
			    json_array_get(rq, i)));
		jw_close(&js, ']');
		st = agent_holds(ctl, &js, NULL, o->id, &held);
		ctl_assigned(ctl, &js, a);
		jw_close(&js, '}');
		jw_end(&js);
	} else {
		fputs("agent ", ctl->out);
		tbl_text(ctl->out, argv[1]);
		if (ctl->cfg->norgs > 1) {
			fputs(" of ", ctl->out);
			tbl_text(ctl->out, o->id);
		}
		if (was != NULL && now != NULL && strcmp(was, now) == 0)
			fputs(": already ", ctl->out);
		else {
			fputs(": ", ctl->out);
			tbl_text(ctl->out, was ? was : "?");
			fputs(" -> ", ctl->out);
		}
		tbl_text(ctl->out, now ? now : "?");
		fprintf(ctl->out, " (load %lld/%lld)\n", (long long)load,
		    (long long)cap);
		for (i = 0; json_is_array(rq) && i < json_array_size(rq); i++) {
			fputs("requeued ", ctl->out);
			tbl_text(ctl->out, json_string_value(json_array_get(rq,
			    i)));
			putc('\n', ctl->out);
		}
		if (held.nix > 0) {
			ctl_errx("warning: agent %s still holds %zu "
			    "interaction%s; --requeue puts %s back in %s "
			    "queue%s", argv[1], held.nix,
			    held.nix == 1 ? "" : "s",
			    held.nix == 1 ? "it" : "them",
			    held.nix == 1 ? "its" : "their",
			    held.nix == 1 ? "" : "s");
			st = agent_holds(ctl, NULL, stderr, o->id, &held);
		}
		ctl_assigned(ctl, NULL, a);
	}
out:
	held.id = NULL;
	agent_info_free(&held);
	json_decref(a);
	return (st);
}
