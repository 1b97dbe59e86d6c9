/* domain.c - "mailacdctl domain records DOMAIN" and "mailacdctl domain
 * check DOMAIN | --all".
 *
 * "records" prints every DNS record the administrator of a configured
 * domain must publish for what mailacd.conf says about it: the ownership
 * TXT record (the token of dtoken.h), the MX records of inbound mail (or,
 * for the redirect scenarios, what to set up on the company's own server
 * instead), the DKIM key's TXT record, and the bounce domain's MX and SPF
 * records or, for campaign and notification domains, its CNAME.  "check"
 * asks the DNS (dns.c) for each of them and says ok, missing, wrong or
 * unchecked ("could not check": a timeout or SERVFAIL is never "missing"),
 * and keeps the result in Redis, mailacd:{ORG}:domain:NAME, where the
 * milter, the router and "status" read it.
 *
 * The first half of the file knows nothing of output or Redis: a plan
 * (domchk_plan_make) is the list of records of one domain, domchk_check fills in
 * what the DNS said.  The second half prints and stores. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "clock.h"
#include "ctl.h"
#include "dns.h"
#include "domchk.h"
#include "json.h"
#include "rds.h"
#include "tbl.h"

#define DOM_TTL		3600	/* the TTL the zone lines suggest */
#define DOM_STRING_MAX	255	/* octets of one DNS character-string */
#define DOM_MX_PREF	10

#define DOM_USAGE \
	"usage: mailacdctl [-c file] domain records [--json] [-o org] " \
	"domain\n" \
	"       mailacdctl [-c file] domain check [--json] [-o org] " \
	"[-s addr[@port]] domain | --all"

/* The command: output and Redis. */

/* dom_find - the configured domain NAME (any case, one final dot) of the
 * organisation of -o, if any; NULL after one line on stderr */
static const struct cfg_domain *
dom_find(struct ctl *ctl, const char *name)
{
	char	buf[CFG_DOMAIN_MAX + 2];
	const struct cfg_domain *d;
	size_t	len = strlen(name), i;

	if (len > 1 && name[len - 1] == '.')
		len--;
	if (len == 0 || len >= sizeof(buf)) {
		ctl_errx("no domain %s in the configuration", name);
		return (NULL);
	}
	for (i = 0; i < len; i++)
		buf[i] = name[i] >= 'A' && name[i] <= 'Z' ?
		    (char)(name[i] - 'A' + 'a') : name[i];
	buf[len] = '\0';
	if ((d = cfg_find_domain(ctl->cfg, buf)) == NULL) {
		ctl_errx("no domain %s in the configuration", buf);
		return (NULL);
	}
	if (!ctl_org_on(ctl, d->org)) {
		ctl_errx("no domain %s in organisation %s (it is %s's)", buf,
		    ctl->org->id, d->org->id);
		return (NULL);
	}
	return (d);
}

/* dom_zone_string - S as one or more quoted character-strings of at most
 * 255 octets, '"' and '\' escaped, on FP */
static void
dom_zone_string(FILE *fp, const char *s)
{
	size_t	len = strlen(s), n, i;

	do {
		n = len < DOM_STRING_MAX ? len : DOM_STRING_MAX;
		putc(' ', fp);
		putc('"', fp);
		for (i = 0; i < n; i++) {
			if (s[i] == '"' || s[i] == '\\')
				putc('\\', fp);
			putc(s[i], fp);
		}
		putc('"', fp);
		s += n;
		len -= n;
	} while (len > 0);
}

/* dom_zone - the plan as zone-file lines, notes as comments */
static void
dom_zone(FILE *fp, const struct domchk_plan *p)
{
	const struct domchk_rec *r;
	size_t	i, j;

	fprintf(fp, "; %s: organization %s, kind %s, inbound %s\n",
	    p->d->name, p->d->org->id, cfg_kind_name(p->d->kind),
	    cfg_inbound_name(p->d->inbound));
	for (i = 0; i < p->n; i++) {
		r = &p->v[i];
		if (r->type == 0) {
			fputs("; ", fp);
			tbl_text(fp, r->value);
			putc('\n', fp);
			continue;
		}
		if (r->unset != NULL)
			continue;	/* a note says what to set */
		switch (r->type) {
		case DNS_TXT:
			fprintf(fp, "%s. %d IN TXT", r->name, DOM_TTL);
			dom_zone_string(fp, r->value);
			putc('\n', fp);
			break;
		case DNS_MX:
			for (j = 0; j < r->nhosts; j++)
				fprintf(fp, "%s. %d IN MX %d %s.\n", r->name,
				    DOM_TTL, DOM_MX_PREF, r->hosts[j]);
			break;
		case DNS_CNAME:
			fprintf(fp, "%s. %d IN CNAME %s.\n", r->name, DOM_TTL,
			    r->value);
			break;
		}
	}
}

/* dom_table - the plan's records as a table: NAME TYPE VALUE PURPOSE;
 * 0, or -1 when memory is short */
static int
dom_table(FILE *fp, const struct domchk_plan *p)
{
	static const char *const head[] = { "NAME", "TYPE", "VALUE",
	    "PURPOSE" };
	const struct domchk_rec *r;
	const char *cell[4];
	char	val[DOMCHK_NAME_MAX + 16], unset[64];
	struct tbl *t;
	size_t	i, j;

	if ((t = tbl_new(4, head)) == NULL)
		return (-1);
	for (i = 0; i < p->n; i++) {
		r = &p->v[i];
		if (r->type == 0)
			continue;
		cell[0] = r->name;
		cell[1] = dns_type_name(r->type);
		cell[3] = r->purpose;
		if (r->unset != NULL) {
			snprintf(unset, sizeof(unset), "(set %s)", r->unset);
			cell[2] = unset;
			if (tbl_add(t, cell) != 0)
				goto nomem;
			continue;
		}
		if (r->type != DNS_MX) {
			cell[2] = r->value;
			if (tbl_add(t, cell) != 0)
				goto nomem;
			continue;
		}
		for (j = 0; j < r->nhosts; j++) {
			snprintf(val, sizeof(val), "%d %s", DOM_MX_PREF,
			    r->hosts[j]);
			cell[2] = val;
			if (tbl_add(t, cell) != 0)
				goto nomem;
		}
	}
	tbl_print(t, fp);
	tbl_free(t);
	return (0);
nomem:
	tbl_free(t);
	return (-1);
}

/* dom_json_values - the values R asks for, as the JSON array "values" */
static void
dom_json_values(struct jw *j, const struct domchk_rec *r)
{
	char	val[DOMCHK_NAME_MAX + 16];
	size_t	i;

	jw_open(j, "values", '[');
	if (r->unset == NULL && r->type == DNS_MX)
		for (i = 0; i < r->nhosts; i++) {
			snprintf(val, sizeof(val), "%d %s", DOM_MX_PREF,
			    r->hosts[i]);
			jw_string(j, NULL, val);
		}
	else if (r->unset == NULL)
		jw_string(j, NULL, r->value);
	jw_close(j, ']');
}

/* dom_json_records - the plan's items as JSON array elements */
static void
dom_json_records(struct jw *j, const struct domchk_plan *p)
{
	const struct domchk_rec *r;
	size_t	i;

	for (i = 0; i < p->n; i++) {
		r = &p->v[i];
		jw_open(j, NULL, '{');
		jw_string(j, "record", r->id);
		if (r->type == 0) {
			jw_string(j, "text", r->value);
			jw_close(j, '}');
			continue;
		}
		jw_string(j, "name", r->name);
		jw_string(j, "type", dns_type_name(r->type));
		jw_int(j, "ttl", DOM_TTL);
		dom_json_values(j, r);
		if (r->unset != NULL)
			jw_string(j, "unset", r->unset);
		jw_string(j, "purpose", r->purpose);
		jw_close(j, '}');
	}
}

/* dom_records - "domain records DOMAIN": zone lines, then the table, or
 * a JSON array; the exit status */
static int
dom_records(struct ctl *ctl, const char *name)
{
	const struct cfg_domain *d;
	struct domchk_plan p;
	char	err[512];
	struct jw j;
	int	st = 0;

	if ((d = dom_find(ctl, name)) == NULL)
		return (CTL_EX_NOTFOUND);
	if (domchk_plan_make(ctl->cfg, d, &p, err, sizeof(err)) != 0) {
		ctl_errx("%s", err);
		domchk_plan_free(&p);
		return (EX_SOFTWARE);
	}
	if (ctl->json) {
		jw_init(&j, ctl->out);
		jw_open(&j, NULL, '[');
		dom_json_records(&j, &p);
		jw_close(&j, ']');
		jw_end(&j);
	} else {
		dom_zone(ctl->out, &p);
		putc('\n', ctl->out);
		if (dom_table(ctl->out, &p) != 0) {
			ctl_errx("out of memory");
			st = EX_OSERR;
		}
	}
	domchk_plan_free(&p);
	return (st);
}

/* dom_print_check - one domain's result as text */
static void
dom_print_check(FILE *fp, const struct domchk_plan *p)
{
	const struct domchk_rec *r;
	char	want[4096];
	size_t	i, k;

	fprintf(fp, "%s: %s (organization %s)\n", p->d->name,
	    domchk_domain_status(p->status), p->d->org->id);
	for (i = 0; i < p->n; i++) {
		r = &p->v[i];
		if (r->type == 0)
			continue;
		fprintf(fp, "  %-13s %-10s %-6s %s\n", r->id,
		    domchk_status_name(r->status), dns_type_name(r->type),
		    r->name);
		if (r->status == DOMCHK_OK)
			continue;
		if (r->status == DOMCHK_UNCHECKED) {
			fputs("      could not check: ", fp);
			tbl_text(fp, r->reason);
			putc('\n', fp);
		} else if (r->status == DOMCHK_MISSING) {
			fputs("      found:    nothing (", fp);
			tbl_text(fp, r->reason);
			fputs(")\n", fp);
		}
		for (k = 0; k < r->nfound; k++) {
			fputs(r->type == DNS_TXT ? "      found:    \"" :
			    "      found:    ", fp);
			tbl_text(fp, r->found[k]);
			fputs(r->type == DNS_TXT ? "\"\n" : "\n", fp);
		}
		if (r->unset == NULL) {
			fputs("      expected: ", fp);
			tbl_text(fp, domchk_expected(r, want, sizeof(want)));
			putc('\n', fp);
		}
	}
}

/* dom_json_check - one domain's result as a JSON object; STORED: the
 * result is in Redis */
static void
dom_json_check(struct jw *j, const struct domchk_plan *p, int stored)
{
	const struct domchk_rec *r;
	size_t	i, k;

	jw_open(j, NULL, '{');
	jw_string(j, "domain", p->d->name);
	jw_string(j, "org", p->d->org->id);
	jw_string(j, "kind", cfg_kind_name(p->d->kind));
	jw_string(j, "inbound", cfg_inbound_name(p->d->inbound));
	jw_string(j, "status", domchk_domain_status(p->status));
	jw_int(j, "checked_at", p->checked_at);
	jw_bool(j, "stored", stored);
	jw_open(j, "records", '[');
	for (i = 0; i < p->n; i++) {
		r = &p->v[i];
		if (r->type == 0)
			continue;
		jw_open(j, NULL, '{');
		jw_string(j, "record", r->id);
		jw_string(j, "name", r->name);
		jw_string(j, "type", dns_type_name(r->type));
		jw_string(j, "status", domchk_status_name(r->status));
		dom_json_values(j, r);
		if (r->unset != NULL)
			jw_string(j, "unset", r->unset);
		jw_open(j, "found", '[');
		for (k = 0; k < r->nfound; k++)
			jw_string(j, NULL, r->found[k]);
		jw_close(j, ']');
		if (r->reason[0] != '\0')
			jw_string(j, "reason", r->reason);
		else
			jw_null(j, "reason");
		jw_close(j, '}');
	}
	jw_close(j, ']');
	jw_close(j, '}');
}

/* dom_store - the result of P into Redis (domchk_store); 0, or an exit
 * status after the reason on stderr */
static int
dom_store(struct ctl *ctl, const struct domchk_plan *p)
{
	char	err[512];
	int	st;

	if ((st = ctl_use(ctl, p->d->org->id)) != 0)
		return (st);
	if (domchk_store(ctl->rc, p, err, sizeof(err)) != 0) {
		ctl_errx("redis %s: %s", rds_describe(ctl->pool), err);
		return (EX_UNAVAILABLE);
	}
	return (0);
}

/* One "domain check" run. */
struct dom_run {
	struct ctl *ctl;
	struct dns *dns;	/* NULL: could not be made, see dnserr */
	char	dnserr[DNS_REASON_MAX];
	FILE	*out;		/* the report, copied to stdout at the end */
	struct jw j;
	int	nostore;	/* Redis failed once: do not try again */
	size_t	n[4];		/* domains passed, failed, unchecked */
};

/* dom_check_one - check, print and store domain D; 0, or an exit status
 * when memory is short */
static int
dom_check_one(struct dom_run *run, const struct cfg_domain *d)
{
	struct ctl *ctl = run->ctl;
	struct domchk_plan p;
	char	err[512];
	int	stored = 0;

	if (domchk_plan_make(ctl->cfg, d, &p, err, sizeof(err)) != 0) {
		ctl_errx("%s", err);
		domchk_plan_free(&p);
		return (EX_SOFTWARE);
	}
	if (domchk_check(run->dns, run->dnserr, &p) != 0) {
		ctl_errx("out of memory");
		domchk_plan_free(&p);
		return (EX_OSERR);
	}
	p.checked_at = clock_ms();
	if (!run->nostore) {
		if (dom_store(ctl, &p) == 0)
			stored = 1;
		else {
			ctl_drop(ctl);
			run->nostore = 1;
			ctl_errx("warning: the results are printed but not "
			    "stored in Redis");
		}
	}
	if (ctl->json)
		dom_json_check(&run->j, &p, stored);
	else
		dom_print_check(run->out, &p);
	run->n[p.status == DOMCHK_OK ? 0 : p.status == DOMCHK_UNCHECKED ? 2 : 1]++;
	domchk_plan_free(&p);
	return (0);
}

/* dom_check_cmd - "domain check NAME" or (NAME NULL) every configured
 * domain of the organisations this run looks at; the exit status */
static int
dom_check_cmd(struct ctl *ctl, const char *name, const char *server)
{
	const struct cfg_domain *d = NULL;
	struct dom_run run;
	char	*buf = NULL;
	size_t	len = 0, i, k, total;
	int	st = 0;

	if (name != NULL && (d = dom_find(ctl, name)) == NULL)
		return (CTL_EX_NOTFOUND);
	memset(&run, 0, sizeof(run));
	run.ctl = ctl;
	if (server == NULL)
		server = ctl->cfg->dns.server;
	if ((run.dns = dns_new(server, ctl->cfg->dns.timeout_ms, run.dnserr,
	    sizeof(run.dnserr))) == NULL)
		ctl_errx("DNS: %s", run.dnserr);
	if ((run.out = open_memstream(&buf, &len)) == NULL) {
		dns_free(run.dns);
		ctl_errx("out of memory");
		return (EX_OSERR);
	}
	if (ctl->json) {
		jw_init(&run.j, run.out);
		jw_open(&run.j, NULL, '[');
	}
	if (d != NULL)
		st = dom_check_one(&run, d);
	for (i = 0; d == NULL && st == 0 && i < ctl->cfg->norgs; i++) {
		if (!ctl_org_on(ctl, &ctl->cfg->orgs[i]))
			continue;
		for (k = 0; st == 0 && k < ctl->cfg->orgs[i].ndomains; k++)
			st = dom_check_one(&run, &ctl->cfg->orgs[i].domains[k]);
	}
	total = run.n[0] + run.n[1] + run.n[2];
	if (ctl->json) {
		jw_close(&run.j, ']');
		jw_end(&run.j);
	} else if (d == NULL)
		fprintf(run.out, "%zu domain%s: %zu passed, %zu failed, %zu "
		    "unchecked\n", total, total == 1 ? "" : "s", run.n[0],
		    run.n[1], run.n[2]);
	dns_free(run.dns);
	if (fclose(run.out) != 0 && st == 0) {
		ctl_errx("out of memory");
		st = EX_OSERR;
	}
	if (st == 0) {
		/* main() copies ctl->out only on success: a failed check
		 * is a result, printed here */
		if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0) {
			ctl_errx("stdout: write error");
			st = EX_IOERR;
		} else if (run.n[1] > 0)
			st = 1;
		else if (run.n[2] > 0)
			st = CTL_EX_UNCHECKED;
	}
	free(buf);
	return (st);
}

/* dom_usage - the synopsis on stderr; 64 */
static int
dom_usage(void)
{
	fprintf(stderr, "%s\n", DOM_USAGE);
	return (EX_USAGE);
}

/* domain_cmd - "domain records|check": options, then the subcommand */
int
domain_cmd(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *server = NULL, *sub;
	char	err[DNS_REASON_MAX];
	struct dns *dns;
	int	ch, all = 0, check;

	if (argc < 2) {
		ctl_errx("domain: missing subcommand (records or check)");
		return (dom_usage());
	}
	sub = argv[1];
	if (strcmp(sub, "records") == 0)
		check = 0;
	else if (strcmp(sub, "check") == 0)
		check = 1;
	else {
		ctl_errx("domain: unknown subcommand %s", sub);
		return (dom_usage());
	}
	argc--;
	argv++;
	/* 0: GNU getopt starts afresh (main() parsed with "+") */
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":ho:s:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'a':
			all = 1;
			break;
		case 'j':
			ctl->json = 1;
			break;
		case 'o':
			if ((ctl->org = cfg_find_org(ctl->cfg, optarg)) ==
			    NULL) {
				ctl_errx("-o %s: no such organisation in %s",
				    optarg, ctl->file);
				return (EX_USAGE);
			}
			break;
		case 's':
			server = optarg;
			break;
		case ':':
			ctl_errx("domain %s: option -%c needs an argument", sub,
			    optopt);
			return (dom_usage());
		case '?':
			if (optopt != 0)
				ctl_errx("domain %s: unknown option -%c", sub,
				    optopt);
			else
				ctl_errx("domain %s: unknown option %s", sub,
				    argv[optind - 1]);
			return (dom_usage());
		case 'h':
		default:
			return (dom_usage());
		}
	}
	argc -= optind;
	argv += optind;
	if (!check && (all || server != NULL)) {
		ctl_errx("domain records: --all and -s are options of check");
		return (dom_usage());
	}
	if (all ? argc != 0 : argc != 1) {
		ctl_errx("domain %s: name one domain%s", sub,
		    check ? ", or --all" : "");
		return (dom_usage());
	}
	if (server != NULL) {
		/* a bad -s is a usage error, not "could not check" */
		if ((dns = dns_new(server, ctl->cfg->dns.timeout_ms, err,
		    sizeof(err))) == NULL) {
			ctl_errx("-s %s: %s", server, err);
			return (EX_USAGE);
		}
		dns_free(dns);
	}
	if (!check)
		return (dom_records(ctl, argv[0]));
	return (dom_check_cmd(ctl, all ? NULL : argv[0], server));
}
