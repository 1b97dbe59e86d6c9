/* flowtest.c - "mailacdctl flow test": evaluate the flow of a registered
 * address on a message read from stdin, as the milter would, and say what
 * matched and where the message would go.  The administrator's dry run
 * before a reload (compare sieve-test and rspamc): the configuration in
 * -c, the message, the clock (or -t), and nothing else; Redis is not
 * touched, so open_interaction is taken as false and said so. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "addr.h"
#include "flow.h"
#include "flowlang.h"
#include "flowtest.h"
#include "hdr.h"
#include "hours.h"
#include "json.h"
#include "msgview.h"

#define FT_MAX	(64 * 1024 * 1024)	/* octets of message read */

/* ft_usage - the synopsis of flow test on stderr; EX_USAGE */
static int
ft_usage(void)
{
	fprintf(stderr, "usage: mailacdctl [-c file] [--json] flow test "
	    "[-o] [-f sender] [-t time] address < message\n"
	    "  -f sender  the envelope sender (default: the From address;\n"
	    "             \"\" is the null sender <>)\n"
	    "  -o         as if the customer had an open interaction here\n"
	    "  -t time    evaluate at this time: seconds since 1970 or\n"
	    "             YYYY-MM-DDTHH:MM[:SS]Z (default: now)\n");
	return (EX_USAGE);
}

/* ft_read - stdin into *BUF; its length, or -1 */
static long
ft_read(char **buf)
{
	size_t	cap = 65536, len = 0, n;
	char	*p = NULL, *q;

	for (;;) {
		if (p == NULL || len == cap) {
			if (p != NULL)
				cap *= 2;
			if (cap > FT_MAX + 1 || (q = realloc(p, cap + 1)) ==
			    NULL) {
				free(p);
				return (-1);
			}
			p = q;
		}
		n = fread(p + len, 1, cap - len, stdin);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(stdin) || len > FT_MAX) {
		free(p);
		return (-1);
	}
	p[len] = '\0';
	*buf = p;
	return ((long)len);
}

/* ft_time - "-t" as seconds since 1970; 0 or -1 */
static int
ft_time(const char *s, time_t *t)
{
	struct tm tm;
	char	*end;
	long long v;

	v = strtoll(s, &end, 10);
	if (end != s && *end == '\0' && v >= 0) {
		*t = (time_t)v;
		return (0);
	}
	memset(&tm, 0, sizeof(tm));
	if (((end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) != NULL &&
	    *end == '\0') || ((end = strptime(s, "%Y-%m-%dT%H:%MZ", &tm)) !=
	    NULL && *end == '\0')) {
		*t = timegm(&tm);
		return (0);
	}
	return (-1);
}

/* ft_route - the route of ADDRESS in the configuration, or NULL; its
 * organisation to *ORG */
static const struct cfg_route *
ft_route(const struct cfg *cfg, const char *address,
    const struct cfg_org **org)
{
	const struct cfg_address *ca;
	const struct cfg_domain *cd;
	struct addr a;
	char	key[ADDR_MAX + 2], err[128], dom[ADDR_MAX + 1];
	size_t	i;

	if (addr_canon(address, &a, err, sizeof(err)) != 0)
		return (NULL);
	if ((ca = cfg_match_address(cfg, a.local, a.domain, key,
	    sizeof(key))) != NULL) {
		*org = ca->org;
		return (&ca->route);
	}
	for (i = 0; a.domain[i] != '\0' && i + 1 < sizeof(dom); i++)
		dom[i] = (char)(a.domain[i] >= 'A' && a.domain[i] <= 'Z' ?
		    a.domain[i] + 32 : a.domain[i]);
	dom[i] = '\0';
	if ((cd = cfg_find_domain(cfg, dom)) == NULL || cd->catch_all == NULL)
		return (NULL);
	*org = cd->org;
	return (cd->catch_all);
}

/* ft_bounded - the length of what the milter keeps of MSG (LEN): its
 * header and 4 x text_limit KiB of its body */
static size_t
ft_bounded(const char *msg, size_t len, size_t body_max)
{
	const char *e;
	size_t	hdr;

	if ((e = strstr(msg, "\n\n")) != NULL)
		hdr = (size_t)(e - msg) + 2;
	else if ((e = strstr(msg, "\r\n\r\n")) != NULL)
		hdr = (size_t)(e - msg) + 4;
	else
		return (len);
	return (len - hdr > body_max ? hdr + body_max : len);
}

/* ft_text - the report as text */
static void
ft_text(struct ctl *ctl, const char *address, const struct cfg_org *org,
    const struct cfg_route *r, const struct flow_msg *m,
    const struct flow_result *res, const struct flow_trace *tr)
{
	FILE   *o = ctl->out;
	const char *p, *e;
	char	at[64], next[64];
	time_t	t;
	size_t	i;

	fprintf(o, "address    %s (organization %s, %s %s)\n", address,
	    org->id, r->flowp ? "flow" : "queue", r->flowp ? r->flow :
	    r->queue);
	if (m->lang[0] != '\0')
		fprintf(o, "language   %s, confidence %d%s\n", m->lang,
		    m->lang_confidence, m->lang_reliable ? "" :
		    " (unsure: not used)");
	else
		fprintf(o, "language   none detected\n");
	for (i = 0; i < org->nschedules; i++) {
		const struct cfg_schedule *s = &org->schedules[i];

		hours_format(s, m->now, at, sizeof(at));
		if (hours_open(s, m->now))
			fprintf(o, "schedule   %s: open (%s)\n", s->name, at);
		else if ((t = hours_next_open(s, m->now)) != 0) {
			hours_format(s, t, next, sizeof(next));
			fprintf(o, "schedule   %s: closed (%s), opens %s\n",
			    s->name, at, next);
		} else
			fprintf(o, "schedule   %s: closed (%s), not open "
			    "within 28 days\n", s->name, at);
	}
	if (r->flowp != NULL && (r->flowp->needs & CFG_NEED_OPEN))
		fprintf(o, "note       open_interaction is not read from "
		    "Redis here: taken as %s\n", m->open > 0 ? "true (-o)" :
		    "false (-o: as true)");
	if (tr->buf != NULL) {
		fprintf(o, "rules\n");
		for (p = tr->buf; *p != '\0'; p = e + 1) {
			if ((e = strchr(p, '\n')) == NULL)
				break;
			fprintf(o, "  %.*s\n", (int)(e - p), p);
		}
	}
	if (res->fallback)
		fprintf(o, "limit      %s: the default applied\n", res->why);
	fprintf(o, "result\n  queue      %s\n  skills     ",
	    res->queue ? res->queue : "-");
	for (i = 0; i < res->nskills; i++)
		fprintf(o, "%s%s", i ? "," : "", res->skills[i]);
	fprintf(o, "%s\n  language   %s%s\n  priority   %d\n  tags       ",
	    res->nskills ? "" : "-", res->language[0] ? res->language : "-",
	    res->detected ? " (detected)" : "", res->priority);
	for (i = 0; i < res->ntags; i++)
		fprintf(o, "%s%s", i ? "," : "", res->tags[i]);
	fprintf(o, "%s\n  ack        %s\n  stopped    %s\n",
	    res->ntags ? "" : "-", res->ack ? res->ack : "-",
	    res->close ? "yes (recorded on a closed interaction; the mail "
	    "is delivered)" : "no");
}

/* ft_json - the report as JSON */
static void
ft_json(struct ctl *ctl, const char *address, const struct cfg_org *org,
    const struct cfg_route *r, const struct flow_msg *m,
    const struct flow_result *res, const struct flow_trace *tr)
{
	struct jw j;
	time_t	t;
	size_t	i;

	jw_init(&j, ctl->out);
	jw_open(&j, NULL, '{');
	jw_string(&j, "address", address);
	jw_string(&j, "organization", org->id);
	jw_string(&j, "flow", r->flowp ? r->flow : NULL);
	jw_open(&j, "detected", '{');
	jw_string(&j, "language", m->lang);
	jw_int(&j, "confidence", m->lang_confidence);
	jw_bool(&j, "reliable", m->lang_reliable);
	jw_close(&j, '}');
	jw_open(&j, "schedules", '[');
	for (i = 0; i < org->nschedules; i++) {
		jw_open(&j, NULL, '{');
		jw_string(&j, "name", org->schedules[i].name);
		jw_bool(&j, "open", hours_open(&org->schedules[i], m->now));
		t = hours_next_open(&org->schedules[i], m->now);
		if (t != 0)
			jw_int(&j, "opens", (int64_t)t);
		else
			jw_null(&j, "opens");
		jw_close(&j, '}');
	}
	jw_close(&j, ']');
	jw_string(&j, "trace", tr->buf ? tr->buf : "");
	jw_string(&j, "path", res->path);
	jw_bool(&j, "fallback", res->fallback);
	if (res->fallback)
		jw_string(&j, "why", res->why);
	jw_string(&j, "queue", res->queue);
	jw_open(&j, "skills", '[');
	for (i = 0; i < res->nskills; i++)
		jw_string(&j, NULL, res->skills[i]);
	jw_close(&j, ']');
	jw_string(&j, "language", res->language);
	jw_bool(&j, "language_detected", res->detected);
	jw_int(&j, "priority", res->priority);
	jw_open(&j, "tags", '[');
	for (i = 0; i < res->ntags; i++)
		jw_string(&j, NULL, res->tags[i]);
	jw_close(&j, ']');
	jw_string(&j, "ack", res->ack);
	jw_bool(&j, "stopped", res->close);
	jw_close(&j, '}');
	jw_end(&j);
}

/* flowtest_cmd - the dry run */
int
flowtest_cmd(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cfg_route *r;
	const struct cfg_org *org = NULL;
	struct flow_result res;
	struct flow_trace tr = { 0 };
	struct flow_hdr *hdrs = NULL;
	struct flow_msg m;
	struct msgview v;
	const char *sender = NULL;
	char	*msg = NULL, lang[8];
	time_t	now = time(NULL);
	size_t	i, limit;
	long	len;
	int	ch, conf = 0, sure = 0, given, open = -1;

	if (argc < 2 || strcmp(argv[1], "test") != 0) {
		ctl_errx("flow: %s", argc < 2 ? "missing subcommand (test)" :
		    "unknown subcommand");
		return (ft_usage());
	}
	argc--;
	argv++;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":of:t:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'o':
			open = 1;
			break;
		case 'f':
			sender = optarg;
			break;
		case 't':
			if (ft_time(optarg, &now) != 0) {
				ctl_errx("flow test: -t %s: not a time "
				    "(seconds, or YYYY-MM-DDTHH:MM:SSZ)",
				    optarg);
				return (ft_usage());
			}
			break;
		case 'j':
			ctl->json = 1;
			break;
		default:
			ctl_errx("flow test: unknown option or missing "
			    "argument");
			return (ft_usage());
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1) {
		ctl_errx("flow test: name one address");
		return (ft_usage());
	}
	if ((r = ft_route(ctl->cfg, argv[0], &org)) == NULL) {
		ctl_errx("flow test: %s is not a registered address nor at a "
		    "domain with a catch-all in %s", argv[0], ctl->file);
		return (CTL_EX_NOTFOUND);
	}
	if ((len = ft_read(&msg)) < 0) {
		ctl_errx("flow test: cannot read the message from stdin (at "
		    "most %d octets)", FT_MAX);
		return (EX_IOERR);
	}
	hdr_init();
	limit = (size_t)ctl->cfg->flow.text_limit * 1024;
	if (msgview_parse(msg, ft_bounded(msg, (size_t)len, limit * 4), limit,
	    &v) != 0 || msgview_flow_msg(&v, &m, &hdrs) != 0) {
		free(msg);
		ctl_errx("out of memory");
		return (EX_OSERR);
	}
	flowlang_detect(v.text, v.textlen, limit, lang, sizeof(lang), &conf,
	    &sure);
	/* without -f, the sender is the From address, and no null sender
	 * (which would make every message automatic) */
	given = sender != NULL;
	if (sender == NULL)
		sender = v.from;
	m.sender = sender;
	m.size = (size_t)len;
	m.lang = lang;
	m.lang_confidence = conf;
	m.lang_reliable = sure;
	m.automatic = v.automatic || (given && hdr_auto_sender(sender) != NULL);
	m.open = open;
	m.now = now;
	if (r->flowp != NULL)
		(void)flow_eval(ctl->cfg, r, &m, &res, &tr);
	else {
		memset(&res, 0, sizeof(res));
		res.queue = r->queue;
		for (i = 0; i < r->nskills && i < CFG_SKILLS_MAX; i++)
			res.skills[res.nskills++] = r->skills[i];
		res.language = r->language;
		res.priority = r->priority;
	}
	if (ctl->json)
		ft_json(ctl, argv[0], org, r, &m, &res, &tr);
	else
		ft_text(ctl, argv[0], org, r, &m, &res, &tr);
	flow_trace_free(&tr);
	free(hdrs);
	msgview_free(&v);
	free(msg);
	return (0);
}
