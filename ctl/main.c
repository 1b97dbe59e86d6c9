/* main.c - mailacdctl: the operator's command line.  Options, the
 * configuration, and the dispatch to one command.
 *
 * Output is written to a memory stream and copied to stdout only when the
 * command succeeded, so that a failure half way never leaves a partial
 * table or a truncated JSON document behind: stdout is complete or empty,
 * and stderr says why. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "agent.h"
#include "clock.h"
#include "dataset.h"
#include "ctl.h"
#include "dkimkey.h"
#include "flowtest.h"
#include "template.h"
#include "ix.h"
#include "list.h"
#include "json.h"
#include "postfix.h"
#include "queue.h"
#include "stats.h"
#include "status.h"
#include "testmail.h"
#include "watch.h"

#ifndef MAILACD_VERSION
#define MAILACD_VERSION "unknown"
#endif

/* One command: its name and the function that runs it.  A command that
 * stands alone reads no configuration and parses its own options: those
 * after its name are its own, not mailacdctl's.  So are those of a
 * command with options of its own, which reads the configuration. */
struct main_cmd {
	const char *name;
	int	(*run)(struct ctl *, int, char **);
	int	alone;
	int	own_opts;
};

static const struct main_cmd main_cmds[] = {
	{ "queues", queue_cmd, 0, 0 },
	{ "status", status_cmd, 0, 0 },
	{ "agents", agents_cmd, 0, 0 },
	{ "agent", agent_cmd, 0, 0 },
	{ "interaction", ix_cmd, 0, 0 },
	{ "interactions", list_cmd, 0, 1 },
	{ "stats", stats_cmd, 0, 1 },
	{ "watch", watch_cmd, 0, 0 },
	{ "dkim", dkimkey_cmd, 1, 1 },
	{ "domain", domain_cmd, 0, 1 },
	{ "mailbox", mailbox_cmd, 0, 0 },
	{ "flow", flowtest_cmd, 0, 1 },
	{ "template", template_cmd, 0, 1 },
	{ "postfix", postfix_cmd, 0, 1 },
	{ "test-email", testmail_cmd, 0, 0 },
	{ NULL, NULL, 0, 0 }
};

#define MAIN_INTERVAL	2.0	/* watch: default seconds between refreshes */
#define MAIN_INTERVAL_MIN 0.1
#define MAIN_INTERVAL_MAX 86400.0

/* usage - the synopsis and the commands on stderr, then exit 64 (asked
 * for with -h or --help: on stdout, exit 0) */
static void __attribute__((noreturn))
usage_exit(int asked)
{
	fprintf(asked ? stdout : stderr,
	    "usage: mailacdctl [-hV] [-c file] [-o org] [--json] command "
	    "[argument ...]\n"
	    "       mailacdctl [-c file] [-o org] [-i seconds] [--count n] "
	    "[--json] watch\n"
	    "       mailacdctl [-c file] [--json] [--strict] -n | check\n"
	    "       mailacdctl [--json] dkim genkey [-f] [-b bits] [-d dir] "
	    "[-t rsa|ed25519]\n"
	    "                  domain selector\n"
	    "       mailacdctl [-c file] [--json] domain records [-o org] "
	    "domain\n"
	    "       mailacdctl [-c file] [--json] domain check [-o org] "
	    "[-s addr[@port]]\n"
	    "                  domain | --all\n"
	    "       mailacdctl [-c file] [--json] flow test [-f sender] "
	    "[-t time] address\n"
	    "                  < message\n"
	    "       mailacdctl [-c file] template preview address "
	    "[--agent id]\n"
	    "                  [--response name | --ack]\n"
	    "       mailacdctl [-c file] postfix maps [--dir dir] "
	    "[--postfix-config dir]\n"
	    "                  [--no-postmap]\n"
	    "  -c file      configuration (default %s)\n"
	    "  -o org       this organisation only\n"
	    "  -i seconds   watch: seconds between refreshes (default 2)\n"
	    "  --count n    watch: stop after n refreshes\n"
	    "  --json       machine-readable JSON on stdout\n"
	    "  -n           check the configuration and exit (same as "
	    "\"check\")\n"
	    "  --strict     check: warnings are errors\n"
	    "  -V           print the version and exit\n"
	    "commands:\n"
	    "  check                           check the configuration\n"
	    "  queues                          every queue: waiting, oldest, "
	    "next\n"
	    "  status                          per organisation and queue: "
	    "waiting, assigned,\n"
	    "                                  agents, service level, "
	    "dead-lettered, ingest\n"
	    "  agents                          every agent: presence, load, "
	    "queues, skills, idle\n"
	    "  agent ID                        one agent and what they "
	    "hold\n"
	    "  agent ID available|away|offline [--requeue]\n"
	    "                                  set an agent's presence "
	    "(--requeue: put\n"
	    "                                  back what they hold)\n"
	    "  interaction show ID             one interaction's record\n"
	    "  interaction close ID            close it; its agent takes the "
	    "next one\n"
	    "  interaction transfer ID QUEUE [--skills LIST] [--language "
	    "TAG]\n"
	    "                                  put it into QUEUE with its id "
	    "and rank\n"
	    "  interaction priority ID N       a new priority (0..1000), one "
	    "re-insert\n"
	    "  interaction respond ID NAME     send standard response NAME to "
	    "its customer\n"
	    "  stats [--queue Q] [--from DAY] [--to DAY] [--by hour|day]\n"
	    "                                  per queue: offered, assigned, "
	    "service level,\n"
	    "                                  waits, handling time, by UTC "
	    "day or hour\n"
	    "  watch                           the status, redrawn every -i "
	    "seconds\n"
	    "  dkim genkey DOMAIN SELECTOR     make a DKIM key in -d dir "
	    "(default\n"
	    "                                  %s), print its DNS record; "
	    "no\n"
	    "                                  configuration needed\n"
	    "  domain records DOMAIN           the DNS records DOMAIN must "
	    "publish\n"
	    "  domain check [-s addr[@port]] DOMAIN | --all\n"
	    "                                  ask the DNS for them: ok, "
	    "missing, wrong\n"
	    "  mailbox test ADDRESS            connect to ADDRESS's mailbox, "
	    "log in,\n"
	    "                                  open its folder, count its "
	    "messages\n"
	    "  flow test ADDRESS < MESSAGE     the rules of ADDRESS's flow "
	    "that match, the\n"
	    "                                  language, the schedules, the "
	    "route; a dry run\n"
	    "  template preview ADDRESS [--agent ID] [--response NAME | "
	    "--ack]\n"
	    "                                  the raw message a customer "
	    "would get: a\n"
	    "                                  dressed sample reply, a "
	    "response, the ack\n"
	    "  postfix maps [--dir DIR] [--no-postmap]\n"
	    "                                  Postfix's sender-dependent "
	    "maps for the\n"
	    "                                  identities' own servers "
	    "(default DIR\n"
	    "                                  " POSTFIX_DIR ")\n"
	    "  test-email IDENTITY RECIPIENT   send a test message as a "
	    "channel address\n"
	    "                                  or an agent the way its mail "
	    "leaves\n",
	    CFG_DEFAULT_FILE, DKIMKEY_DIR);
	exit(asked ? 0 : EX_USAGE);
}

/* usage - a usage mistake: the synopsis on stderr, exit 64 */
static void __attribute__((noreturn))
usage(void)
{
	usage_exit(0);
}

/* main_interval - the argument of -i: seconds, fractions allowed */
static double
main_interval(const char *s)
{
	char	*end;
	double	v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 ||
	    !(v >= MAIN_INTERVAL_MIN && v <= MAIN_INTERVAL_MAX)) {
		ctl_errx("-i %s: want seconds from %g to %g", s,
		    MAIN_INTERVAL_MIN, MAIN_INTERVAL_MAX);
		usage();
	}
	return (v);
}

/* main_count - the argument of --count: a positive whole number */
static long
main_count(const char *s)
{
	char	*end;
	long	v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || v < 1) {
		ctl_errx("--count %s: want a whole number from 1 to %ld", s,
		    LONG_MAX);
		usage();
	}
	return (v);
}

/* main_json_errs - E as the array KEY of objects: file, line, setting,
 * value, message (each null when not known) and text, the whole line */
static void
main_json_errs(struct jw *j, const char *key, const struct cfg_errors *e)
{
	const struct cfg_where *w;
	size_t	i;

	jw_open(j, key, '[');
	for (i = 0; i < e->n; i++) {
		w = &e->at[i];
		jw_open(j, NULL, '{');
		jw_string(j, "file", w->file);
		if (w->line > 0)
			jw_int(j, "line", w->line);
		else
			jw_null(j, "line");
		jw_string(j, "setting", w->setting);
		jw_string(j, "value", w->value);
		jw_string(j, "message", w->message);
		jw_string(j, "text", e->msg[i]);
		jw_close(j, '}');
	}
	jw_close(j, ']');
}

/* main_load - load and validate the configuration; 0 or EX_CONFIG after
 * printing every error on stderr (and, for JSON_ERRS, as JSON on stdout) */
static int
main_load(struct ctl *ctl, int json_errs)
{
	struct cfg_errors errs = { 0 };
	struct jw j;
	size_t	i;

	if ((ctl->cfg = cfg_load(ctl->file, &errs)) != NULL)
		return (0);
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	if (json_errs) {
		jw_init(&j, stdout);
		jw_open(&j, NULL, '{');
		jw_bool(&j, "ok", 0);
		main_json_errs(&j, "errors", &errs);
		jw_close(&j, '}');
		jw_end(&j);
	}
	cfg_errors_clear(&errs);
	return (EX_CONFIG);
}

/* main_strict - check --strict found warnings: each is an error; EX_CONFIG
 * (and, with --json, the errors as JSON on stdout) */
static int
main_strict(struct ctl *ctl)
{
	struct jw j;
	size_t	i;

	for (i = 0; i < ctl->cfg->warnings.n; i++)
		fprintf(stderr, "%s\n", ctl->cfg->warnings.msg[i]);
	if (ctl->json) {
		jw_init(&j, stdout);
		jw_open(&j, NULL, '{');
		jw_bool(&j, "ok", 0);
		main_json_errs(&j, "errors", &ctl->cfg->warnings);
		jw_close(&j, '}');
		jw_end(&j);
	}
	cfg_unref(ctl->cfg);
	return (EX_CONFIG);
}

/* main_find - the command NAME, or NULL */
static const struct main_cmd *
main_find(const char *name)
{
	size_t	i;

	for (i = 0; main_cmds[i].name != NULL; i++)
		if (strcmp(name, main_cmds[i].name) == 0)
			return (&main_cmds[i]);
	return (NULL);
}

/* main_word - the first operand of ARGV, the command, found before
 * getopt_long() runs by skipping options and their arguments as it would;
 * NULL when there is none */
static const char *
main_word(int argc, char **argv)
{
	const char *p;
	size_t	len;
	int	i;

	for (i = 1; i < argc; i++) {
		p = argv[i];
		if (strcmp(p, "--") == 0)
			return (i + 1 < argc ? argv[i + 1] : NULL);
		if (p[0] != '-' || p[1] == '\0')
			return (p);
		if (p[1] == '-') {
			/* --count N, or an abbreviation of it */
			len = strlen(p);
			if (len >= 3 && strchr(p, '=') == NULL &&
			    strncmp(p, "--count", len) == 0)
				i++;
			continue;
		}
		/* -n, -nc FILE, -cFILE: -c, -i and -o take an argument */
		for (p++; *p != '\0'; p++)
			if (strchr("cio", *p) != NULL) {
				if (p[1] == '\0')
					i++;
				break;
			}
	}
	return (NULL);
}

/* main_run - find and run the command ARGV[0] */
static int
main_run(struct ctl *ctl, int argc, char **argv)
{
	const struct main_cmd *c;

	if ((c = main_find(argv[0])) != NULL)
		return (c->run(ctl, argc, argv));
	ctl_errx("unknown command %s", argv[0]);
	usage();
}

/* main_check_group - Redis group G's persistence settings and what
 * they risk: the object NAME (NULL: an array element) into J, or a line
 * on stderr when J is NULL; an unreachable Redis is said, not an error */
static void
main_check_group(struct ctl *ctl, size_t g, struct jw *j, const char *name)
{
	static const char *const verdicts[] = { "safe", "at risk", "unknown" };
	struct dataset_persist p;
	struct rds_pool *pool;
	redisContext *c = NULL;
	char	err[512] = "", line[512] = "", where[700] = "?";
	int	fresh, v = -1;

	if ((pool = rds_pool_new(ctl->cfg->groups[g])) != NULL &&
	    (c = rds_get(pool, &fresh, err, sizeof(err))) != NULL &&
	    dataset_persist_read(c, &p, err, sizeof(err)) == 0)
		v = dataset_persist_verdict(&p, line, sizeof(line));
	if (pool == NULL)
		snprintf(err, sizeof(err), "out of memory");
	else
		rds_where(pool, where, sizeof(where));
	if (j != NULL) {
		jw_open(j, name, '{');
		jw_string(j, "server", pool ? where : NULL);
		jw_bool(j, "reachable", v >= 0);
		if (v >= 0) {
			jw_string(j, "persistence", verdicts[v]);
			jw_string(j, "description", line);
			if (p.aof >= 0)
				jw_bool(j, "appendonly", p.aof);
			jw_string(j, "appendfsync", p.fsync[0] ? p.fsync :
			    NULL);
			jw_string(j, "save", p.config ? p.save : NULL);
			jw_int(j, "replicas", p.replicas);
		} else
			jw_string(j, "error", err);
		jw_close(j, '}');
	} else if (v == DATASET_SAFE)
		ctl_errx("redis %s: persistence: %s", where, line);
	else if (v >= 0)
		ctl_errx("warning: redis %s: persistence: %s", where, line);
	else
		ctl_errx("redis %s: %s; persistence not checked", where, err);
	if (c != NULL)
		rds_put(pool, c, 1);
	rds_pool_free(pool);
}

/* main_check_redis - after "configuration OK": each Redis group's
 * persistence settings (stderr, or the "redis" object of --json, the
 * top-level group, and "redis_groups" when organisations name their own);
 * the exit status stays 0 */
static void
main_check_redis(struct ctl *ctl)
{
	struct jw j;
	size_t	g, i;

	if (!ctl->json) {
		printf("configuration OK\n");
		fflush(stdout);
		for (i = 0; i < ctl->cfg->warnings.n; i++)
			fprintf(stderr, "%s\n", ctl->cfg->warnings.msg[i]);
		for (g = 0; g < ctl->cfg->ngroups; g++)
			main_check_group(ctl, g, NULL, NULL);
		return;
	}
	jw_init(&j, stdout);
	jw_open(&j, NULL, '{');
	jw_bool(&j, "ok", 1);
	jw_open(&j, "errors", '[');
	jw_close(&j, ']');
	main_json_errs(&j, "warnings", &ctl->cfg->warnings);
	main_check_group(ctl, 0, &j, "redis");
	if (ctl->cfg->ngroups > 1) {
		jw_open(&j, "redis_groups", '[');
		for (g = 0; g < ctl->cfg->ngroups; g++)
			main_check_group(ctl, g, &j, NULL);
		jw_close(&j, ']');
	}
	jw_close(&j, '}');
	jw_end(&j);
}

/* main - options, configuration, one command; the exit status */
int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "count", required_argument, NULL, 'C' },
		{ "strict", no_argument, NULL, 'S' },
		{ "requeue", no_argument, NULL, 'R' },
		{ "skills", required_argument, NULL, 'K' },
		{ "language", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl ctl;
	const struct main_cmd *cmd;
	const char *org = NULL, *word;
	char	*buf = NULL;
	size_t	len = 0;
	int	ch, check = 0, watch_opts = 0, alone, st, strict = 0;

	memset(&ctl, 0, sizeof(ctl));
	ctl.file = CFG_DEFAULT_FILE;
	ctl.interval = MAIN_INTERVAL;
	/* A command that stands alone gets every argument after its name:
	 * "+" stops getopt_long() there instead of permuting. */
	cmd = (word = main_word(argc, argv)) != NULL ? main_find(word) : NULL;
	alone = cmd != NULL && cmd->alone;
	while ((ch = getopt_long(argc, argv, cmd != NULL && cmd->own_opts ?
	    "+c:hi:no:V" : "c:hi:no:V", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			ctl.file = optarg;
			break;
		case 'C':
			ctl.count = main_count(optarg);
			watch_opts = 1;
			break;
		case 'i':
			ctl.interval = main_interval(optarg);
			watch_opts = 1;
			break;
		case 'j':
			ctl.json = 1;
			break;
		case 'o':
			org = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'S':
			strict = 1;
			break;
		case 'R':
			ctl.requeue = 1;
			break;
		case 'K':
			ctl.skills = optarg;
			break;
		case 'L':
			ctl.language = optarg;
			break;
		case 'V':
			printf("mailacdctl %s\n", MAILACD_VERSION);
			return (0);
		case 'h':
			usage_exit(1);
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0 && strcmp(argv[0], "check") == 0) {
		if (argc != 1)
			usage();
		check = 1;
		argc = 0;
	}
	if (check ? argc != 0 : argc == 0)
		usage();
	if ((ctl.skills != NULL || ctl.language != NULL) && (check ||
	    strcmp(argv[0], "interaction") != 0 || argc < 2 ||
	    strcmp(argv[1], "transfer") != 0)) {
		ctl_errx("--skills and --language are options of interaction "
		    "transfer only");
		return (EX_USAGE);
	}
	if (ctl.requeue && (check || strcmp(argv[0], "agent") != 0)) {
		ctl_errx("--requeue is an option of agent only");
		return (EX_USAGE);
	}
	if (strict && !check) {
		ctl_errx("--strict is an option of check only");
		return (EX_USAGE);
	}
	if (watch_opts && (check || strcmp(argv[0], "watch") != 0)) {
		ctl_errx("-i and --count are options of watch only");
		return (EX_USAGE);
	}

	if (alone) {
		/* no configuration: -c is not read */
		if (org != NULL) {
			ctl_errx("-o is not an option of %s: it reads no "
			    "configuration", argv[0]);
			return (EX_USAGE);
		}
	} else if ((st = main_load(&ctl, check && ctl.json)) != 0)
		return (st);
	if (org != NULL && !check &&
	    (ctl.org = cfg_find_org(ctl.cfg, org)) == NULL) {
		ctl_errx("-o %s: no such organisation in %s", org, ctl.file);
		cfg_unref(ctl.cfg);
		return (EX_USAGE);
	}
	if (check && strict && ctl.cfg->warnings.n > 0)
		return (main_strict(&ctl));
	if (check) {
		main_check_redis(&ctl);
		cfg_unref(ctl.cfg);
		return (0);
	}
	if ((ctl.out = open_memstream(&buf, &len)) == NULL) {
		ctl_errx("out of memory");
		cfg_unref(ctl.cfg);
		return (EX_OSERR);
	}
	ctl.now_ms = clock_ms();
	st = main_run(&ctl, argc, argv);
	if (fclose(ctl.out) != 0 && st == 0) {
		ctl_errx("out of memory");
		st = EX_OSERR;
	}
	if (st == 0 && (fwrite(buf, 1, len, stdout) != len ||
	    fflush(stdout) != 0)) {
		ctl_errx("stdout: write error");
		st = EX_IOERR;
	}
	free(buf);
	ctl_close(&ctl);
	cfg_unref(ctl.cfg);
	return (st);
}
