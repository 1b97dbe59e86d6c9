/* main.c - mailacdctl: the operator's command line.  Options, the
 * configuration, and the dispatch to one command.
 *
 * Output is written to a memory stream and copied to stdout only when the
 * command succeeded, so that a failure half way never leaves a partial
 * table or a truncated JSON document behind: stdout is complete or empty,
 * and stderr says why. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "ctl.h"
#include "ix.h"
#include "json.h"
#include "queue.h"
#include "status.h"

#ifndef MAILACD_VERSION
#define MAILACD_VERSION "unknown"
#endif

/* One command: its name and the function that runs it. */
struct main_cmd {
	const char *name;
	int	(*run)(struct ctl *, int, char **);
};

static const struct main_cmd main_cmds[] = {
	{ "queues", queue_cmd },
	{ "status", status_cmd },
	{ "interaction", ix_cmd },
	{ NULL, NULL }
};

/* commands that are planned but not written yet */
static const char *const main_planned[] = { "agents", "agent", "watch",
	NULL };

/* usage - the synopsis and the commands, then exit 64 */
static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: mailacdctl [-hV] [-c file] [--json] command [argument ...]\n"
	    "       mailacdctl [-c file] -n\n"
	    "  -c file    configuration (default %s)\n"
	    "  --json     machine-readable JSON on stdout\n"
	    "  -n         check the configuration and exit (same as \"check\")\n"
	    "  -V         print the version and exit\n"
	    "commands:\n"
	    "  check                    check the configuration\n"
	    "  queues                   every queue: waiting, oldest, next\n"
	    "  status                   per organisation: waiting, "
	    "dead-lettered, ingest\n"
	    "  interaction show ID      one interaction's record\n",
	    CFG_DEFAULT_FILE);
	exit(EX_USAGE);
}

/* main_now - the wall clock in Unix milliseconds */
static int64_t
main_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* main_load - load and validate the configuration; 0 or EX_CONFIG after
 * printing every error on stderr (and, for JSON_ERRS, as JSON on stdout) */
static int
main_load(struct ctl *ctl, int json_errs)
{
	struct cfg_errors errs = { 0 };
	struct json j;
	size_t	i;

	if ((ctl->cfg = cfg_load(ctl->file, &errs)) != NULL)
		return (0);
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	if (json_errs) {
		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_bool(&j, "ok", 0);
		json_open(&j, "errors", '[');
		for (i = 0; i < errs.n; i++)
			json_string(&j, NULL, errs.msg[i]);
		json_close(&j, ']');
		json_close(&j, '}');
		json_end(&j);
	}
	cfg_errors_clear(&errs);
	return (EX_CONFIG);
}

/* main_run - find and run the command ARGV[0] */
static int
main_run(struct ctl *ctl, int argc, char **argv)
{
	size_t	i;

	for (i = 0; main_planned[i] != NULL; i++)
		if (strcmp(argv[0], main_planned[i]) == 0) {
			ctl_errx("%s: not implemented yet", argv[0]);
			return (EX_USAGE);
		}
	for (i = 0; main_cmds[i].name != NULL; i++)
		if (strcmp(argv[0], main_cmds[i].name) == 0)
			return (main_cmds[i].run(ctl, argc, argv));
	ctl_errx("unknown command %s", argv[0]);
	usage();
}

/* main - options, configuration, one command; the exit status */
int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl ctl;
	char	*buf = NULL;
	size_t	len = 0;
	int	ch, check = 0, st;

	memset(&ctl, 0, sizeof(ctl));
	ctl.file = CFG_DEFAULT_FILE;
	while ((ch = getopt_long(argc, argv, "c:hnV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			ctl.file = optarg;
			break;
		case 'j':
			ctl.json = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'V':
			printf("mailacdctl %s\n", MAILACD_VERSION);
			return (0);
		case 'h':
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

	if ((st = main_load(&ctl, check && ctl.json)) != 0)
		return (st);
	if (check) {
		if (ctl.json)
			printf("{\"ok\":true,\"errors\":[]}\n");
		else
			printf("configuration OK\n");
		cfg_unref(ctl.cfg);
		return (0);
	}
	if ((ctl.out = open_memstream(&buf, &len)) == NULL) {
		ctl_errx("out of memory");
		cfg_unref(ctl.cfg);
		return (EX_OSERR);
	}
	ctl.now_ms = main_now();
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
	if (ctl.rc != NULL)
		rds_put(ctl.pool, ctl.rc, 1);
	rds_pool_free(ctl.pool);
	cfg_unref(ctl.cfg);
	return (st);
}
