/* cfg_test.c - unit tests of the configuration loader (common/cfg*.c).
 *
 * Usage: cfg_test DIR, where DIR holds the fixtures (t/data/cfg).  Each
 * broken fixture is loaded and its complete list of errors compared line by
 * line; a few more cases are written to a temporary directory. */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "cfg.h"
#include "tap.h"

/* the last line of a written configuration with domains: they need the
 * key of the ownership tokens */
#define DNS_SECRET \
	"dns = { verification_secret = \"test-secret-0123456789\"; };\n"

static const char *dir;		/* the fixtures (copies) */
static const char *srcdir;	/* where they came from, in the tree */
static char tmpdir[256];

/* libconfig 1.5 leaks its string buffer when a syntax error follows a
 * string; that is not ours to find. */
const char *__lsan_default_suppressions(void);

/* __lsan_default_suppressions - leaks LeakSanitizer should not report */
const char *
__lsan_default_suppressions(void)
{
	return ("leak:strbuf_append\n");
}

/* fixture - the path of fixture NAME */
static const char *
fixture(const char *name)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return (path);
}

/* expect_errors_at - load PATH, which must fail with exactly WANT (NULL
 * terminated; "LINE: msg" or "msg", the file name is prefixed here) */
static void
expect_errors_at(const char *path, const char *label, const char *const *want)
{
	struct cfg_errors errs = { 0 };
	struct cfg *cfg;
	char	full[2048];
	size_t	n, i;

	cfg = cfg_load(path, &errs);
	ok(cfg == NULL, "%s: refused", label);
	for (n = 0; want[n] != NULL; n++)
		;
	is_int(errs.n, n, "%s: %zu errors", label, n);
	for (i = 0; i < n || i < errs.n; i++) {
		full[0] = '\0';
		if (i < n)
			snprintf(full, sizeof(full), "%s%s%s", path,
			    want[i][0] >= '0' && want[i][0] <= '9' ? ":" : ": ",
			    want[i]);
		is_str(i < errs.n ? errs.msg[i] : NULL, i < n ? full : NULL,
		    "%s: error %zu", label, i + 1);
	}
	cfg_unref(cfg);
	cfg_errors_clear(&errs);
}

/* expect_errors - fixture NAME must fail with exactly WANT */
static void
expect_errors(const char *name, const char *const *want)
{
	expect_errors_at(fixture(name), name, want);
}

/* load_ok - load PATH, which must succeed */
static struct cfg *
load_ok(const char *path, const char *label)
{
	struct cfg_errors errs = { 0 };
	struct cfg *cfg;
	size_t	i;

	cfg = cfg_load(path, &errs);
	ok(cfg != NULL && errs.n == 0, "%s: loads", label);
	for (i = 0; i < errs.n; i++)
		printf("#   %s\n", errs.msg[i]);
	cfg_errors_clear(&errs);
	return (cfg);
}

/* write_tmp - write TEXT to NAME in the temporary directory, mode 0640;
 * its path */
static const char *
write_tmp(const char *name, const char *text)
{
	static char path[512];
	FILE   *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((fp = fopen(path, "w")) == NULL || fchmod(fileno(fp), 0640) != 0) {
		printf("Bail out! cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	fputs(text, fp);
	fclose(fp);
	return (path);
}

/* remove_tmp - remove NAME from the temporary directory */
static void
remove_tmp(const char *name)
{
	char	path[512];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
}

/* copy_fixtures - copy every file of DIR into FIX (in the temporary
 * directory) with mode 0640 (git checks them out 0644, and the loader
 * refuses secrets others can read); FIX becomes DIR */
static void
copy_fixtures(void)
{
	static char fix[512];
	char	from[1024], to[1024], buf[8192];
	struct dirent *de;
	DIR	*d;
	FILE	*in, *out;
	size_t	n;

	snprintf(fix, sizeof(fix), "%s/fixtures", tmpdir);
	if (mkdir(fix, 0700) != 0 || (d = opendir(dir)) == NULL) {
		printf("Bail out! cannot copy the fixtures of %s to %s: %s\n",
		    dir, fix, strerror(errno));
		exit(1);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(from, sizeof(from), "%s/%s", dir, de->d_name);
		snprintf(to, sizeof(to), "%s/%s", fix, de->d_name);
		if ((in = fopen(from, "r")) == NULL ||
		    (out = fopen(to, "w")) == NULL ||
		    fchmod(fileno(out), 0640) != 0) {
			printf("Bail out! cannot copy %s to %s: %s\n", from, to,
			    strerror(errno));
			exit(1);
		}
		while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
			fwrite(buf, 1, n, out);
		fclose(in);
		if (fclose(out) != 0) {
			printf("Bail out! cannot write %s: %s\n", to,
			    strerror(errno));
			exit(1);
		}
	}
	closedir(d);
	dir = fix;
}

/* remove_fixtures - remove the copies copy_fixtures made */
static void
remove_fixtures(void)
{
	char	path[1024];
	struct dirent *de;
	DIR	*d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* key_of - the lookup key of ADDRESS with the given matching settings */
static const char *
key_of(const char *address, int case_sensitive, const char *seps,
    int strip_tag)
{
	static char key[600];
	struct addr a;
	char	err[128];

	if (addr_parse(address, &a, err, sizeof(err)) != 0 ||
	    addr_key(a.local, a.domain, case_sensitive, seps, strip_tag, key,
	    sizeof(key)) != 0)
		return ("(no key)");
	return (key);
}

/* test_good - a full configuration: every value where it belongs */
static void
test_good(void)
{
	const struct cfg_address *a;
	const struct cfg_domain *d;
	const struct cfg_org *o;
	struct cfg *cfg;

	if ((cfg = load_ok(fixture("good.conf"), "good.conf")) == NULL)
		return;
	is_str(cfg->file, fixture("good.conf"), "file name kept");
	is_int(cfg->refs, 1, "one reference");
	is_str(cfg->redis.host, "redis.internal", "redis.host");
	is_int(cfg->redis.port, 6380, "redis.port");
	ok(cfg->redis.socket == NULL, "redis.socket unset");
	is_str(cfg->redis.password, "s3cret", "redis.password");
	is_int(cfg->redis.database, 2, "redis.database");
	is_int(cfg->redis.connect_timeout_ms, 250, "redis.connect_timeout_ms");
	is_int(cfg->redis.command_timeout_ms, 750, "redis.command_timeout_ms");
	is_str(cfg->milter.socket, "unix:/run/mailacd/milter.sock",
	    "milter.socket");
	is_int(cfg->milter.on_redis_failure, CFG_FAIL_ACCEPT,
	    "milter.on_redis_failure");
	is_int(cfg->milter.dedup_ttl, 86400, "milter.dedup_ttl");
	is_int(cfg->milter.no_reply_steps, 0, "milter.no_reply_steps");
	is_int(cfg->local_part_case_sensitive, 0, "local_part_case_sensitive");
	is_str(cfg->subaddress_separators, "+-", "subaddress_separators");

	is_int(cfg->norgs, 3, "three organizations");
	o = &cfg->orgs[0];
	is_str(o->id, "acme", "first org id");
	is_int(o->line, 20, "org line");
	is_int(o->nqueues, 3, "acme has three queues");
	is_str(o->queues[2].name, "sales", "third queue");
	is_int(o->queues[2].line, 22, "queue line");
	is_int(o->ndomains, 2, "acme has two domains");
	d = &o->domains[0];
	is_str(d->name, "example.com", "domain name stored lower case");
	ok(d->org == o, "domain points to its org");
	is_int(d->line, 24, "domain line");
	ok(d->catch_all != NULL, "catch-all set");
	if (d->catch_all != NULL) {
		is_str(d->catch_all->queue, "support", "catch-all queue");
		ok(d->catch_all->flow == NULL, "catch-all has no flow");
		is_int(d->catch_all->nskills, 1, "catch-all skills");
		is_str(d->catch_all->skills[0], "general", "catch-all skill");
		is_str(d->catch_all->language, "en", "catch-all language");
		is_int(d->catch_all->priority, 1, "catch-all priority");
	}
	is_int(d->naddresses, 3, "three addresses");
	a = &d->addresses[0];
	is_str(a->address, "Support@Example.com", "address kept as written");
	is_str(a->key, "support@example.com", "address key normalised");
	is_int(a->line, 28, "address line");
	is_str(a->route.queue, "support", "queue");
	is_int(a->route.nskills, 2, "two skills");
	is_str(a->route.skills[1], "en", "second skill");
	is_str(a->route.language, "en", "language");
	is_int(a->route.priority, 10, "priority");
	is_str(a->display_name, "Acme Support", "display_name");
	is_str(a->reply_to, "support@example.com", "reply_to");
	is_int(a->direction, CFG_DIR_BOTH, "direction both");
	is_int(a->enabled, 1, "enabled");
	ok(a->domain == d && a->org == o, "address points to domain and org");
	a = &d->addresses[1];
	is_str(a->display_name, "Acme Facturaci\xc3\xb3n", "UTF-8 display_name");
	is_str(a->route.language, "en-GB", "language with region");
	is_int(a->route.priority, 1000, "priority at its maximum");
	is_int(a->direction, CFG_DIR_INBOUND, "direction inbound");
	a = &d->addresses[2];
	is_int(a->direction, CFG_DIR_OUTBOUND, "direction outbound");
	is_int(a->enabled, 0, "disabled address");
	is_int(a->route.nskills, 0, "no skills");
	/* defaults of an address that sets only what it must */
	a = &o->domains[1].addresses[0];
	is_str(a->address, "help@example.org", "second domain's address");
	is_str(a->route.language, "", "language defaults to any");
	is_int(a->route.priority, 0, "priority defaults to 0");
	is_str(a->display_name, "", "display_name defaults to empty");
	is_str(a->reply_to, "", "reply_to defaults to empty");
	is_int(a->direction, CFG_DIR_BOTH, "direction defaults to both");
	is_int(a->enabled, 1, "enabled defaults to true");
	ok(o->domains[1].catch_all == NULL, "no catch-all");
	o = &cfg->orgs[1];
	is_str(o->id, "beta-2", "second org id");
	is_str(o->domains[0].catch_all->queue, "Front.Desk_1",
	    "catch-all-only domain");
	is_int(o->domains[0].naddresses, 0, "domain without addresses");
	is_int(o->queues[0].strategy, CFG_STRAT_ROUND_ROBIN, "queue strategy");
	is_int(o->queues[0].service_level, 3600, "queue service_level");
	is_int(o->queues[1].strategy, CFG_STRAT_LONGEST_IDLE,
	    "strategy defaults to longest-idle");
	is_int(o->queues[1].service_level, 0, "no service level by default");
	is_str(cfg_strategy_name(o->queues[0].strategy), "round-robin",
	    "strategy name");
	ok(cfg_find_queue(o, "q2") == &o->queues[1], "cfg_find_queue");
	ok(cfg_find_queue(o, "Q2") == NULL, "queue names are case-sensitive");
	ok(cfg_find_org(cfg, "beta-2") == o, "cfg_find_org");
	is_int(o->queues[0].delivery, CFG_DELIVERY_FORWARD,
	    "queue delivery inherited from the organization");
	is_int(o->queues[1].delivery, CFG_DELIVERY_NOTIFY,
	    "queue delivery set on the queue");
	is_int(o->queues[0].new_thread, CFG_THREAD_MERGE, "new_thread merge");
	is_int(o->queues[1].new_thread, CFG_THREAD_NEW, "new_thread default");
	ok(o->queues[0].org == o, "queue knows its organization");
	is_int(cfg->orgs[0].queues[0].delivery, CFG_DELIVERY_NOTIFY,
	    "delivery defaults to notify");
	is_str(cfg->delivery.relay, "smtps://[2001:db8::25]:465",
	    "delivery.relay");
	is_int(cfg->delivery.starttls, CFG_TLS_REQUIRE, "delivery.starttls");
	is_int(cfg->delivery.tls_verify, 0, "delivery.tls_verify");
	is_str(cfg->delivery.sender, "ops@example.com", "delivery.sender");
	is_int(cfg->delivery.max_attempts, 4, "delivery.max_attempts");
	is_int(cfg->delivery.max_size, 1048576, "delivery.max_size");
	is_int(cfg->delivery.retention, 1209600, "delivery.retention default");
	is_int(cfg->milter.sender_rate_limit, 60,
	    "milter.sender_rate_limit default");
	{
		unsigned char a4[4], a6[16];
		struct {
			const char *addr;
			int	want;
		} nets[] = {
			{ "10.255.1.2", 1 }, { "11.0.0.1", 0 },
			{ "192.0.2.7", 1 }, { "192.0.2.8", 0 },
			{ "198.51.100.127", 1 }, { "198.51.100.128", 0 },
			{ "2001:db8:1:ffff::1", 1 }, { "2001:db8:2::1", 0 },
			{ "::ffff:10.0.0.1", 0 }
		};
		size_t	n;

		is_int(cfg->outbound.trust_authenticated, 0,
		    "outbound.trust_authenticated");
		is_int((long)cfg->outbound.ntrusted_daemons, 2,
		    "outbound.trusted_daemons");
		for (n = 0; n < sizeof(nets) / sizeof(nets[0]); n++) {
			if (inet_pton(AF_INET, nets[n].addr, a4) == 1)
				is_int(cfg_net_match(cfg, AF_INET, a4),
				    nets[n].want, "trusted network: %s",
				    nets[n].addr);
			else if (inet_pton(AF_INET6, nets[n].addr, a6) == 1)
				is_int(cfg_net_match(cfg, AF_INET6, a6),
				    nets[n].want, "trusted network: %s",
				    nets[n].addr);
		}
	}
	is_int(o->nagents, 2, "two agents");
	if (o->nagents == 2) {
		struct cfg_agent *g = &o->agents[0];

		is_str(g->id, "ann.lee", "agent id");
		is_str(g->address, "Ann.Lee@beta.example.net",
		    "agent address kept as written");
		is_int(g->nskills, 2, "agent skills");
		is_str(g->skills[1], "VIP", "agent skill");
		is_int(g->nlanguages, 2, "agent languages");
		is_str(g->languages[1], "pt-BR", "agent language");
		is_int(g->capacity, 25, "capacity at its maximum");
		is_int(g->nqueues, 2, "agent queues");
		ok(g->org == o, "agent points to its org");
		g = &o->agents[1];
		is_int(g->capacity, 1, "capacity defaults to 1");
		is_int(g->nskills + g->nlanguages, 0, "no skills, no languages");
		ok(cfg_find_agent(cfg, "ann.lee@BETA.example.net") ==
		    &o->agents[0], "cfg_find_agent: by address, case ignored");
		ok(cfg_find_agent(cfg, "bo@beta.example.net") == &o->agents[1],
		    "cfg_find_agent: the second agent");
		ok(cfg_find_agent(cfg, "nobody@beta.example.net") == NULL,
		    "cfg_find_agent: not an agent");
	}

	/* domains: kinds, inbound scenarios, verification, rates, quotas */
	d = &cfg->orgs[0].domains[0];
	is_int(d->kind, CFG_KIND_CONTACT_CENTER, "kind defaults to contact-center");
	is_int(d->inbound, CFG_INBOUND_MX, "inbound defaults to mx");
	is_int(d->require_verification, 1, "require_verification defaults to true");
	is_int(d->rate_limit, CFG_RATE_CONTACT_CENTER,
	    "a contact-center domain has no rate limit by default");
	is_int(cfg->orgs[0].max_domains, 0, "max_domains defaults to unlimited");
	is_int(cfg->orgs[0].max_addresses_per_domain, 0,
	    "max_addresses_per_domain defaults to unlimited");
	o = &cfg->orgs[2];
	is_str(o->id, "gamma", "third org");
	is_int(o->max_domains, 5, "max_domains");
	is_int(o->max_addresses_per_domain, 2,
	    "max_addresses_per_domain: exactly at the limit loads");
	is_int(o->ndomains, 5, "gamma has five domains");
	if (o->ndomains == 5) {
		d = &o->domains[1];
		is_int(d->kind, CFG_KIND_CAMPAIGN, "kind campaign");
		is_int(d->rate_limit, CFG_RATE_CAMPAIGN,
		    "a campaign domain: 1200 a minute by default");
		is_int(d->naddresses, 0, "a campaign domain needs no addresses");
		d = &o->domains[2];
		is_int(d->kind, CFG_KIND_NOTIFICATION, "kind notification");
		is_int(d->inbound, CFG_INBOUND_REDIRECT, "inbound redirect");
		is_int(d->require_verification, 0, "require_verification false");
		is_int(d->rate_limit, 50, "rate_limit as set");
		d = &o->domains[3];
		is_int(d->inbound, CFG_INBOUND_HOSTED, "inbound hosted");
		d = &o->domains[4];
		is_str(d->name, "gamma2.mail.operator.example",
		    "a hosted name in lower case");
		is_int(d->inbound, CFG_INBOUND_HOSTED_REDIRECT,
		    "inbound hosted-redirect");
		is_int(d->rate_limit, 0, "rate_limit 0 set on a campaign domain");
		is_str(cfg_kind_name(o->domains[2].kind), "notification",
		    "cfg_kind_name");
		is_str(cfg_inbound_name(d->inbound), "hosted-redirect",
		    "cfg_inbound_name");
		ok(cfg_find_domain(cfg, "news.gamma-mail.example") ==
		    &o->domains[1], "a campaign domain is indexed");
	}
	is_str(cfg->dns.verification_secret, "good-secret-0123456789",
	    "dns.verification_secret");
	is_str(cfg->dns.server, "2001:db8::53@5353", "dns.server");
	is_int(cfg->dns.timeout_ms, 500, "dns.timeout_ms");
	is_int(cfg->dns.nmx_hosts, 2, "dns.mx_hosts: two");
	if (cfg->dns.nmx_hosts == 2)
		is_str(cfg->dns.mx_hosts[0], "mx1.relay.example",
		    "dns.mx_hosts in lower case");
	is_str(cfg->dns.spf, "v=spf1 a:mx1.relay.example -all", "dns.spf");
	is_str(cfg->dns.bounce_target, "bounce.relay.example",
	    "dns.bounce_target in lower case");
	is_str(cfg->dns.hosted_domain, "mail.operator.example",
	    "dns.hosted_domain in lower case");
	is_int(cfg->dns.recheck_interval, 0, "dns.recheck_interval 0: never");
	is_int(cfg->dns.activation_period, 60, "dns.activation_period");

	/* lookups */
	a = cfg_find_address(cfg, "support@example.com");
	ok(a == &cfg->orgs[0].domains[0].addresses[0],
	    "find support@example.com by key");
	a = cfg_find_address(cfg, key_of("SUPPORT@EXAMPLE.COM", 0, "+-", 0));
	ok(a != NULL && strcmp(a->address, "Support@Example.com") == 0,
	    "find by the key of SUPPORT@EXAMPLE.COM");
	ok(cfg_find_address(cfg, key_of("support+x@example.com", 0, "+-", 0))
	    == NULL, "a tagged address has its own key");
	a = cfg_find_address(cfg, key_of("support-x@example.com", 0, "+-", 1));
	ok(a != NULL && strcmp(a->address, "Support@Example.com") == 0,
	    "the tag-stripped key finds the address");
	a = cfg_find_address(cfg, "help@example.org");
	ok(a != NULL && a->domain == &cfg->orgs[0].domains[1],
	    "find an address of the second domain");
	ok(cfg_find_address(cfg, "ventas@example.com") != NULL,
	    "disabled addresses are indexed too");
	ok(cfg_find_address(cfg, "nobody@example.com") == NULL,
	    "unknown address not found");
	ok(cfg_find_address(cfg, "") == NULL, "empty key not found");
	d = cfg_find_domain(cfg, "example.com");
	ok(d == &cfg->orgs[0].domains[0], "find example.com");
	d = cfg_find_domain(cfg, "beta.example.net");
	ok(d != NULL && d->org == &cfg->orgs[1], "find beta.example.net");
	ok(cfg_find_domain(cfg, "example.org") != NULL, "find example.org");
	ok(cfg_find_domain(cfg, "example.net") == NULL,
	    "unknown domain not found");
	ok(cfg_find_domain(cfg, "sub.example.com") == NULL,
	    "subdomain not found");
	cfg_unref(cfg);
}

/* test_minimal - only the required settings: every default */
static void
test_minimal(void)
{
	struct cfg *cfg;

	if ((cfg = load_ok(fixture("minimal.conf"), "minimal.conf")) == NULL)
		return;
	is_str(cfg->redis.host, "127.0.0.1", "default redis.host");
	is_int(cfg->redis.port, 6379, "default redis.port");
	ok(cfg->redis.socket == NULL, "default redis.socket: none");
	ok(cfg->redis.password == NULL, "default redis.password: none");
	is_int(cfg->redis.database, 0, "default redis.database");
	is_int(cfg->redis.connect_timeout_ms, 500,
	    "default redis.connect_timeout_ms");
	is_int(cfg->redis.command_timeout_ms, 1000,
	    "default redis.command_timeout_ms");
	is_str(cfg->milter.socket, "inet:8891@127.0.0.1", "milter.socket");
	is_int(cfg->milter.on_redis_failure, CFG_FAIL_TEMPFAIL,
	    "default milter.on_redis_failure");
	is_int(cfg->milter.dedup_ttl, 604800, "default milter.dedup_ttl");
	is_int(cfg->milter.no_reply_steps, 1, "default milter.no_reply_steps");
	ok(cfg->router.consumer == NULL, "default router.consumer: none");
	is_int(cfg->router.batch, 100, "default router.batch");
	is_int(cfg->router.block_ms, 2000, "default router.block_ms");
	is_int(cfg->router.claim_idle_ms, 60000, "default router.claim_idle_ms");
	ok(cfg->router.metrics_listen == NULL,
	    "default router.metrics_listen: none (no metrics)");
	is_int(cfg->local_part_case_sensitive, 0,
	    "default local_part_case_sensitive");
	is_str(cfg->subaddress_separators, "+",
	    "default subaddress_separators");
	ok(cfg->dns.verification_secret == NULL,
	    "default dns.verification_secret: none");
	ok(cfg->dns.server == NULL, "default dns.server: resolv.conf");
	is_int(cfg->dns.timeout_ms, 2000, "default dns.timeout_ms");
	is_int(cfg->dns.nmx_hosts, 0, "default dns.mx_hosts: none");
	ok(cfg->dns.spf == NULL && cfg->dns.bounce_target == NULL &&
	    cfg->dns.hosted_domain == NULL,
	    "default dns.spf, bounce_target, hosted_domain: none");
	is_int(cfg->dns.recheck_interval, 86400, "default dns.recheck_interval");
	is_int(cfg->dns.activation_period, 7200,
	    "default dns.activation_period");
	is_int(cfg->norgs, 1, "one org");
	is_int(cfg->orgs[0].ndomains, 0, "no domains");
	ok(cfg_find_address(cfg, "a@example.com") == NULL,
	    "no addresses to find");
	ok(cfg_find_domain(cfg, "example.com") == NULL, "no domains to find");
	cfg_unref(cfg);
}

/* test_variants - case-sensitive keys, a Redis socket, the shipped example */
static void
test_variants(void)
{
	const struct cfg_address *a;
	const struct cfg_domain *d;
	struct cfg *cfg;
	char	path[1024];

	if ((cfg = load_ok(fixture("case-sensitive.conf"),
	    "case-sensitive.conf")) != NULL) {
		is_int(cfg->local_part_case_sensitive, 1,
		    "local_part_case_sensitive");
		is_str(cfg->subaddress_separators, "", "sub-addressing off");
		a = cfg_find_address(cfg, "Support@example.com");
		ok(a != NULL && strcmp(a->route.queue, "a") == 0,
		    "Support@ is its own address");
		a = cfg_find_address(cfg, "support@example.com");
		ok(a != NULL && strcmp(a->route.queue, "b") == 0,
		    "support@ is another address, domain lower-cased");
		ok(cfg_find_address(cfg, "SUPPORT@example.com") == NULL,
		    "SUPPORT@ is not registered");
		cfg_unref(cfg);
	}
	if ((cfg = load_ok(fixture("redis-socket.conf"),
	    "redis-socket.conf")) != NULL) {
		ok(cfg->redis.host == NULL, "no host with a socket");
		is_str(cfg->redis.socket, "/run/redis/redis-server.sock",
		    "redis.socket");
		is_str(cfg->milter.socket, "local:/run/mailacd/milter.sock",
		    "local: milter socket");
		cfg_unref(cfg);
	}
	snprintf(path, sizeof(path), "%s/../../../conf/mailacd.conf", srcdir);
	if ((cfg = load_ok(path, "conf/mailacd.conf")) != NULL) {
		is_str(cfg->redis.host, "127.0.0.1", "example: redis host");
		is_int(cfg->redis.port, 6379, "example: redis port");
		is_str(cfg->milter.socket, "inet:8891@127.0.0.1",
		    "example: milter socket");
		is_int(cfg->norgs, 1, "example: one org");
		is_str(cfg->orgs[0].id, "acme", "example: acme");
		is_int(cfg->orgs[0].nqueues, 3, "example: three queues");
		d = cfg_find_domain(cfg, "example.com");
		ok(d != NULL && d->catch_all != NULL &&
		    d->catch_all->queue == NULL &&
		    d->catch_all->flowp != NULL &&
		    strcmp(d->catch_all->flow, "triage") == 0 &&
		    strcmp(d->catch_all->flowp->dflt->queue, "support") == 0,
		    "example: example.com has a catch-all to the flow triage, "
		    "which ends in support");
		ok(cfg->orgs[0].nschedules == 1 &&
		    cfg_find_queue(&cfg->orgs[0], "support")->sched ==
		    &cfg->orgs[0].schedules[0], "example: support has the "
		    "office's hours");
		a = cfg_find_address(cfg, "ventas@example.com");
		ok(a != NULL && strcmp(a->route.queue, "sales") == 0 &&
		    strcmp(a->route.language, "es") == 0,
		    "example: ventas@ goes to sales in Spanish");
		a = cfg_find_address(cfg, "billing@example.com");
		ok(a != NULL && strcmp(a->route.queue, "billing") == 0 &&
		    strcmp(a->route.language, "en") == 0,
		    "example: billing@ goes to billing in English");
		ok(cfg_find_address(cfg, "support@example.com") != NULL,
		    "example: support@");
		is_int(cfg->orgs[0].nagents, 3, "example: three agents");
		is_int(cfg->orgs[0].queues[1].strategy, CFG_STRAT_LEAST_BUSY,
		    "example: billing is least-busy");
		cfg_unref(cfg);
	}
}

/* test_refs - references: the last unref frees, NULL is fine */
static void
test_refs(void)
{
	struct cfg *cfg, *r;

	if ((cfg = load_ok(fixture("minimal.conf"), "refs")) == NULL)
		return;
	r = cfg_ref(cfg);
	ok(r == cfg, "cfg_ref returns its argument");
	is_int(cfg->refs, 2, "two references");
	cfg_ref(cfg);
	is_int(cfg->refs, 3, "three references");
	cfg_unref(cfg);
	cfg_unref(cfg);
	is_int(cfg->refs, 1, "one reference left");
	ok(cfg_find_domain(cfg, "x") == NULL, "still usable");
	cfg_unref(cfg);		/* freed here; the sanitizer build checks */
	cfg_unref(NULL);
	ok(cfg_ref(NULL) == NULL, "cfg_ref(NULL) and cfg_unref(NULL) are fine");
}

/* test_error_files - one fixture per kind of error */
static void
test_error_files(void)
{
	static const char *const unknown[] = {
		"2: redis.hots: unknown setting",
		"4: routing: unknown setting",
		"7: organizations[acme].queues[support].weight: unknown setting",
		"10: organizations[acme].domains[example.com].catch_all.prio: "
		    "unknown setting",
		"14: organizations[acme].domains[example.com]"
		    ".addresses[support@example.com].colour: unknown setting",
		NULL
	};
	static const char *const wrong_type[] = {
		"2: redis.port = \"6379\": must be an integer, not a string",
		"2: redis.database = 1.5: must be an integer, not a floating "
		    "point number",
		"3: milter.socket = 8891: must be a string, not an integer",
		"4: matching.local_part_case_sensitive = \"no\": must be true or "
		    "false, not a string",
		"7: organizations[acme].queues: must be a list of groups, "
		    "not a group",
		"9: organizations[acme].domains[#0] = \"example.com\": must be "
		    "a group, not a string",
		"11: organizations[acme].domains[example.com].catch_all = "
		    "\"support\": must be a group, not a string",
		"15: organizations[acme].domains[example.com]"
		    ".addresses[support@example.com].skills = \"general\": "
		    "must be a list of strings, not a string",
		"16: organizations[acme].domains[example.com]"
		    ".addresses[support@example.com].priority = \"10\": "
		    "must be an integer, not a string",
		"17: organizations[acme].domains[example.com]"
		    ".addresses[support@example.com].enabled = 1: "
		    "must be true or false, not an integer",
		"21: organizations[acme].domains[example.com]"
		    ".addresses[sales@example.com].skills[#1] = 5: "
		    "must be a string, not an integer",
		NULL
	};
	static const char *const priority[] = {
		"8: organizations[acme].domains[example.com].catch_all.priority "
		    "= -1: must be between 0 and 1000",
		"12: organizations[acme].domains[example.com]"
		    ".addresses[support@example.com].priority = 1001: "
		    "must be between 0 and 1000",
		NULL
	};
	static const char *const bounds[] = {
		"3: redis.port = 65536: must be between 1 and 65535",
		"4: redis.database = 4294967296: must be between 0 and 1000000",
		"5: redis.connect_timeout_ms = 0: must be between 1 and 60000",
		"6: redis.command_timeout_ms = 60001: must be between 1 and "
		    "60000",
		"7: redis.password: must not be empty",
		"11: milter.dedup_ttl = 59: must be between 60 and 31536000",
		"14: organizations[an-organization-id-that-is-much-longer-than-"
		    "sixty-four-characters].id = \"an-organization-id-that-is-"
		    "much-longer-than-sixty-four-characters\": must be at most "
		    "64 bytes long",
		"15: organizations[an-organization-id-that-is-much-longer-than-"
		    "sixty-four-characters].queues[#0].name = \"\": must not be "
		    "empty",
		NULL
	};
	static const char *const addr_domain[] = {
		"10: organizations[acme].domains[example.com]"
		    ".addresses[support@example.org].address = "
		    "\"support@example.org\": domain \"example.org\" is not the "
		    "enclosing domain \"example.com\"",
		"11: organizations[acme].domains[example.com]"
		    ".addresses[help@sub.example.com].address = "
		    "\"help@sub.example.com\": domain \"sub.example.com\" is not "
		    "the enclosing domain \"example.com\"",
		NULL
	};
	static const char *const dup_addr[] = {
		"11: organizations[acme].domains[example.com]"
		    ".addresses[Support@EXAMPLE.com].address = "
		    "\"Support@EXAMPLE.com\": same address as "
		    "\"support@example.com\" at line 9",
		"13: organizations[acme].domains[example.com]"
		    ".addresses[support@example.com].address = "
		    "\"support@example.com\": same address as "
		    "\"support@example.com\" at line 9",
		NULL
	};
	static const char *const dup_addr_orgs[] = {
		"15: organizations[beta].domains[example.com].name = "
		    "\"example.com\": already defined at line 7",
		"16: organizations[beta].domains[example.com]"
		    ".addresses[SUPPORT@example.com].address = "
		    "\"SUPPORT@example.com\": same address as "
		    "\"support@example.com\" at line 8",
		NULL
	};
	static const char *const dup_domain[] = {
		"9: organizations[acme].domains[example.com].name = "
		    "\"example.com\": already defined at line 7",
		"14: organizations[beta].domains[EXAMPLE.com].name = "
		    "\"EXAMPLE.com\": already defined at line 7",
		NULL
	};
	static const char *const dup_org[] = {
		"6: organizations[acme].id = \"acme\": already defined at line 4",
		NULL
	};
	static const char *const dup_queue[] = {
		"8: organizations[acme].queues[support].name = \"support\": "
		    "already defined at line 6",
		NULL
	};
	static const char *const addr_long[] = {
		"10: organizations[acme].domains[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbb"
		    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.cccccccccccccccccccccccc"
		    "ccccccccccccccccccccccccccccccccccccccc.com].addresses[#1]"
		    ".address = \"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
		    "yyyyyyyyyyy@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
		    "bbbbbbbbbbbbbbbbbbb.cccccccccccc...\": is 255 octets long, "
		    "more than 254",
		NULL
	};
	static const char *const local_long[] = {
		"10: organizations[acme].domains[example.com].addresses[mmmmmmmm"
		    "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"
		    "@example.com].address = \"mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"
		    "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm@example.com\": the local part "
		    "is 65 octets long, more than 64",
		NULL
	};
	static const char *const addr_syntax[] = {
		"9: organizations[acme].domains[example.com].addresses[support]"
		    ".address = \"support\": is not a valid address: no domain",
		"10: organizations[acme].domains[example.com].addresses[#1]"
		    ".address = \"sup port@example.com\": is not a valid address: "
		    "invalid character in local part",
		"11: organizations[acme].domains[example.com]"
		    ".addresses[<support@example.com>].address = "
		    "\"<support@example.com>\": is not a valid address: write it "
		    "without angle brackets",
		"12: organizations[acme].domains[example.com]"
		    ".addresses[@example.com].address = \"@example.com\": is not "
		    "a valid address: the local part before the '@' is missing",
		"13: organizations[acme].domains[example.com]"
		    ".addresses[support@exa_mple.com].address = "
		    "\"support@exa_mple.com\": is not a valid address: invalid "
		    "domain",
		"14: organizations[acme].domains[example.com].addresses[#5]"
		    ".address = \"\\\"un terminated@example.com\": is not a valid "
		    "address: unterminated quoted string",
		"15: organizations[acme].domains[example.com].addresses[#6]"
		    ".address = \"\": must not be empty",
		"16: organizations[acme].domains[example.com]"
		    ".addresses[ventas@@example.com].address = "
		    "\"ventas@@example.com\": is not a valid address: more than "
		    "one '@'",
		"17: organizations[acme].domains[example.com]"
		    ".addresses[@relay.example:support@example.com].address = "
		    "\"@relay.example:support@example.com\": is not a valid "
		    "address: source routes are not allowed",
		NULL
	};
	static const char *const no_queue[] = {
		"8: organizations[acme].domains[example.com].catch_all.queue = "
		    "\"general\": no such queue in this organization",
		"11: organizations[acme].domains[example.com]"
		    ".addresses[sales@example.com].queue = \"desk\": no such "
		    "queue in this organization",
		NULL
	};
	static const char *const flow[] = {
		"8: organizations[acme].domains[example.com].catch_all: needs a "
		    "queue or a flow",
		"10: organizations[acme].domains[example.com]"
		    ".addresses[a@example.com].flow = \"triage\": no such flow "
		    "in this organization",
		"11: organizations[acme].domains[example.com]"
		    ".addresses[b@example.com]: queue and flow cannot both be set",
		"12: organizations[acme].domains[example.com]"
		    ".addresses[c@example.com]: needs a queue or a flow",
		NULL
	};
	static const char *const flows[] = {
		"6: organizations[acme].schedules[office].timezone ="
		    " \"Mars/Olympus\": unknown time zone: use an IANA name such"
		    " as \"Europe/Madrid\" (see /usr/share/zoneinfo)",
		"7: organizations[acme].schedules[office].hours[#0] ="
		    " \"mon-fry 09:00-18:00\": unknown day after \"-\" in"
		    " \"mon-fry\"",
		"7: organizations[acme].schedules[office].hours[#1] = \"sat"
		    " 14:00-10:00\": ends at or before it starts (write hours"
		    " past midnight as a second entry for the next day)",
		"8: organizations[acme].schedules[office].holidays[#0] ="
		    " \"2026-02-30\": must be a date YYYY-MM-DD",
		"10: organizations[acme].queues[support].schedule ="
		    " \"offic\": no such schedule in this organization",
		"14: organizations[acme].flows[a].rules[#0].if.subject ="
		    " \"/([a-z/\": regular expression does not compile: missing"
		    " terminating ] for character class at offset 5",
		"14: organizations[acme].flows[a].rules[#0].if.colour:"
		    " unknown condition",
		"14: organizations[acme].flows[a].rules[#0].if.within_hours"
		    " = \"nope\": no such schedule in this organization",
		"14: organizations[acme].flows[a].rules[#0].queue ="
		    " \"nosuch\": no such queue in this organization",
		"19: organizations[acme].flows[b].rules[#0].call: flows call"
		    " each other in a cycle: a -> b -> a",
		"20: organizations[acme].flows[c].default.call = \"zzz\": no"
		    " such flow in this organization",
		"22: organizations[acme].domains[example.com].addresses[help@"
		    "example.com].flow = \"b\": flow b's default sets no queue:"
		    " a flow that an address names must end in one",
		"22: organizations[acme].domains[example.com].addresses[x@exa"
		    "mple.com].flow = \"none\": no such flow in this organization",
		NULL
	};
	static const char *const flows_depth[] = {
		"7: organizations[acme].flows[f0]: calls flows more than 10"
		    " deep",
		"8: organizations[acme].flows[f1]: calls flows more than 10"
		    " deep",
		NULL
	};
	static const char *const flows_conds[] = {
		"9: organizations[acme].flows[a].rules[#0].if.any: must be a"
		    " list of groups ( { ... }, { ... } ), not a group",
		"10: organizations[acme].flows[a].rules[#1].if.all: must not"
		    " be empty",
		"10: organizations[acme].flows[a].rules[#1].if.not = \"x\":"
		    " must be a group { ... }, not a string",
		"11: organizations[acme].flows[a].rules[#2].if.sender ="
		    " \"nobody\": must be an address (local@domain) or a"
		    " /regular expression/",
		"11: organizations[acme].flows[a].rules[#2].if.from_domain[#0"
		    "] = \"not a domain\": is not a valid domain name",
		"12: organizations[acme].flows[a].rules[#3].if.header ="
		    " \"Bad Name: x\": must be a header name, or \"Name: text\""
		    " or \"Name: /regular expression/\"",
		"12: organizations[acme].flows[a].rules[#3].if.attachment ="
		    " \"pdf\": must be a MIME type such as \"application/pdf\""
		    " or \"image/*\"",
		"13: organizations[acme].flows[a].rules[#4].if.size_above ="
		    " \"big\": must be a number of octets, not a string",
		"13: organizations[acme].flows[a].rules[#4].if.automatic ="
		    " 1: must be true or false, not an integer",
		"13: organizations[acme].flows[a].rules[#4].if.language[#0]"
		    " = \"\": must be a language tag such as \"en\"",
		"14: organizations[acme].flows[a].rules[#5].if.sender_list ="
		    " \"relative.txt\": must be an absolute path",
		"14: organizations[acme].flows[a].rules[#5].if.from_list ="
		    " \"/nonexistent/list\": cannot read: No such file or"
		    " directory",
		"15: organizations[acme].flows[a].rules[#6].if.body[#0] ="
		    " \"\": must not be empty",
		"15: organizations[acme].flows[a].rules[#6].if.body[#1] = 3:"
		    " must be a string, not an integer",
		"15: organizations[acme].flows[a].rules[#6].if.within_hours"
		    " = 5: must be the name of a schedule, not an integer",
		"16: organizations[acme].flows[a].rules[#7].if ="
		    " \"subject\": must be a group of conditions { ... }, not a"
		    " string",
		"16: organizations[acme].flows[a].rules[#7].add_skills:"
		    " cannot be used together with skills (which replaces them)",
		"17: organizations[acme].flows[a].rules[x].add_priority:"
		    " cannot be used together with priority (which replaces it)",
		"18: organizations[acme].flows[a].rules[x].tags[#0] = \"has"
		    " space\": may contain only A-Z, a-z, 0-9, \".\", \"_\" and"
		    " \"-\"",
		"18: organizations[acme].flows[a].rules[x].name = \"x\":"
		    " already defined at line 17",
		"22: organizations[acme].flows[a].default: required setting"
		    " is missing",
		"22: organizations[acme].flows[a].name = \"a\": already"
		    " defined at line 7",
		NULL
	};
	static const char *const redis_both[] = {
		"4: redis.socket: cannot be used together with redis.host",
		NULL
	};
	static const char *const outbound[] = {
	"3: outbound.trusted_networks[#1] = \"10.1.2.3/33\": must be an "
	    "address or ADDRESS/BITS, such as \"10.0.0.0/8\" or "
	    "\"2001:db8::/32\"",
	"3: outbound.trusted_networks[#2] = \"not-a-net\": must be an "
	    "address or ADDRESS/BITS, such as \"10.0.0.0/8\" or "
	    "\"2001:db8::/32\"",
	"4: outbound.trusted_daemons[#1] = \"bad name\": may contain only "
	    "A-Z, a-z, 0-9, \".\", \"_\" and \"-\"",
	"7: organizations[acme].domains[a.example].dkim.key_file = "
	    "\"/nonexistent/mailacd.key\": cannot be read: No such file or "
	    "directory",
	"8: organizations[acme].domains[b.example].dkim.selector = \"-bad-\": "
	    "must be DNS labels (letters, digits, hyphens) joined by dots, such "
	    "as \"mail\" or \"2026.eu\"",
	"8: organizations[acme].domains[b.example].dkim.key_file = "
	    "\"/etc/passwd\": can be read by group or others (mode 0644): a "
	    "private key must be mode 0600 or 0400",
	"9: organizations[acme].domains[c.example].dkim.key_file = "
	    "\"relative.key\": must be an absolute path",
	"10: organizations[acme].domains[d.example].dkim.selector: required "
	    "setting is missing",
	"10: organizations[acme].domains[d.example].dkim.key_file = \"/etc\": "
	    "is not a regular file",
	NULL
};

static const char *const agent_loop[] = {
	"7: organizations[acme].agents[ana].address = "
	    "\"Support+x@Example.com\": is the registered address "
	    "support@example.com: mail given to the agent would come back "
	    "into a queue (a mail loop)",
	"8: organizations[acme].agents[ben].address = \"ben@example.net\": "
	    "is the registered address BEN@example.net: mail given to the "
	    "agent would come back into a queue (a mail loop)",
	NULL
};

static const char *const agents[] = {
	"5: organizations[acme].queues[support].strategy = \"random\": "
	    "must be \"longest-idle\", \"least-busy\" or \"round-robin\"",
	"5: organizations[acme].queues[support].service_level = -1: must be "
	    "between 0 and 2592000",
	"8: organizations[acme].agents[alice].id = \"alice\": already "
	    "defined at line 7",
	"8: organizations[acme].agents[alice].address = \"Alice@Example.com\": "
	    "same address as \"alice@example.com\" at line 7",
	"9: organizations[acme].agents[bob].address = \"not an address\": is "
	    "not a valid address: invalid character in local part",
	"9: organizations[acme].agents[bob].queues[#0] = \"sales\": no such "
	    "queue in this organization",
	"10: organizations[acme].agents[bob].languages[#0] = \"english!\": "
	    "must be a language tag such as \"en\" or \"es-MX\"",
	"10: organizations[acme].agents[bob].capacity = 26: must be between 1 "
	    "and 25",
	"11: organizations[acme].agents[carol].queues: needs at least one queue",
	"12: organizations[acme].agents[#4].id: required setting is missing",
	"12: organizations[acme].agents[#4].skills[#1] = \"a\": listed twice",
	NULL
};

#define MBOX_ADDR "organizations[acme].domains[acme.example].addresses["
static const char *const mailbox[] = {
	"3: fetch.relay = \"imap://relay.example\": must be "
	    "smtp://HOST[:PORT] or smtps://HOST[:PORT]",
	"3: fetch.retry_max: is 60 seconds, shorter than fetch.retry_min "
	    "(600)",
	"6: " MBOX_ADDR "a@acme.example].mailbox.password: required setting is "
	    "missing (or password_file)",
	"7: " MBOX_ADDR "b@acme.example].mailbox.password_file: password and "
	    "password_file exclude each other: keep one",
	"7: " MBOX_ADDR "b@acme.example].mailbox.move_to: required setting is missing "
	    "(after = \"move\")",
	"8: " MBOX_ADDR "c@acme.example].mailbox.after = \"seen\": POP3 has no folders "
	    "and no flags: only \"delete\"",
	"8: " MBOX_ADDR "c@acme.example].mailbox.folder = \"Other\": POP3 has no "
	    "folders: only \"INBOX\"",
	"9: " MBOX_ADDR "d@acme.example].mailbox.folder = \"Caf\\\"e\": must be "
	    "printable ASCII without '\"' and '\\'",
	"9: " MBOX_ADDR "d@acme.example].mailbox.move_to = \"X\": goes with after = "
	    "\"move\" only",
	"9: " MBOX_ADDR "d@acme.example].mailbox.tls = \"none\": the user and password "
	    "would cross the network in clear text to imap.example.net: use "
	    "\"implicit\" or \"starttls\" (\"none\" is for a server on "
	    "loopback)",
	"10: " MBOX_ADDR "e@acme.example].mailbox.poll_interval = 0: must be between 1 "
	    "and 86400",
	"10: " MBOX_ADDR "e@acme.example].mailbox.password_file = \"/nonexistent/pass\": "
	    "cannot be read: No such file or directory",
	"10: " MBOX_ADDR "e@acme.example].mailbox: the address takes no inbound mail "
	    "(direction = \"outbound\"): nothing to pull",
	NULL
};

static const char *const delivery[] = {
	"2: milter.sender_rate_limit = -1: must be between 0 and 1000000",
	"3: delivery.relay = \"http://relay.example:25\": must be "
	    "smtp://HOST[:PORT] or smtps://HOST[:PORT]",
	"3: delivery.starttls = \"always\": must be \"no\", \"try\" or "
	    "\"require\"",
	"3: delivery.sender = \"Support@ACME.example\": is a registered "
	    "address: the copies would be taken for its outbound mail",
	"4: delivery.max_size = 1000: must be between 65536 and 536870912",
	"4: delivery.retry_max: is 60 seconds, shorter than "
	    "delivery.retry_min (600)",
	"4: delivery.password: needs delivery.username",
	"5: organizations[acme].delivery = \"email\": must be \"notify\" or "
	    "\"forward\"",
	"6: organizations[acme].queues[support].delivery = \"Forward\": must "
	    "be \"notify\" or \"forward\"",
	"6: organizations[acme].queues[support].new_thread = \"join\": must "
	    "be \"new\" or \"merge\"",
	NULL
};

static const char *const milter_socket[] = {
		"2: milter.socket = \"tcp:8891@127.0.0.1\": must be "
		    "inet:PORT@HOST, inet6:PORT@HOST, unix:/PATH or local:/PATH",
		NULL
	};
	static const char *const enums[] = {
		"2: milter.on_redis_failure = \"reject\": must be \"tempfail\" "
		    "or \"accept\"",
		"9: organizations[acme].domains[example.com]"
		    ".addresses[a@example.com].direction = \"in\": must be "
		    "\"inbound\", \"outbound\" or \"both\"",
		"10: organizations[acme].domains[example.com]"
		    ".addresses[b@example.com].direction = \"Both\": must be "
		    "\"inbound\", \"outbound\" or \"both\"",
		NULL
	};
	static const char *const missing[] = {
		"2: milter.socket: required setting is missing",
		"4: organizations[#0].id: required setting is missing",
		"6: organizations[beta].queues[#1].name: required setting is "
		    "missing",
		"8: organizations[beta].domains[#0].name: required setting is "
		    "missing",
		"8: organizations[beta].domains[#0].addresses[#0].address: "
		    "required setting is missing",
		"11: organizations[gamma].queues: required setting is missing",
		NULL
	};
	static const char *const no_orgs[] = {
		"milter.socket: required setting is missing",
		"organizations: required setting is missing",
		NULL
	};
	static const char *const empty_orgs[] = {
		"3: organizations: must not be empty",
		NULL
	};
	static const char *const syntax[] = {
		"3: syntax error",
		NULL
	};
	static const char *const syntax_dup[] = {
		"4: syntax error: duplicate setting name",
		NULL
	};
	static const char *const names[] = {
		"2: redis.host = \"redis host\": must be a host name or an IP "
		    "address",
		"4: matching.subaddress_separators = \"+#\": may contain only "
		    "\"+\", \"-\", \"_\", \"=\" and \".\"",
		"6: organizations[Acme].id = \"Acme\": may contain only a-z, 0-9, "
		    "\"_\" and \"-\"",
		"7: organizations[Acme].queues[#0].name = \"first queue\": may "
		    "contain only A-Z, a-z, 0-9, \".\", \"_\" and \"-\"",
		"9: organizations[Acme].domains[-bad-.example.com].name = "
		    "\"-bad-.example.com\": is not a valid domain name",
		"14: organizations[Acme].domains[example.com]"
		    ".addresses[a@example.com].skills[#2] = \"en\": listed twice",
		"14: organizations[Acme].domains[example.com]"
		    ".addresses[a@example.com].skills[#3] = \"two words\": may "
		    "contain only A-Z, a-z, 0-9, \".\", \"_\" and \"-\"",
		"15: organizations[Acme].domains[example.com]"
		    ".addresses[a@example.com].language = \"en-\": must be a "
		    "language tag such as \"en\" or \"es-MX\"",
		"16: organizations[Acme].domains[example.com]"
		    ".addresses[a@example.com].display_name = \"Bell\\x07\": "
		    "must not contain control characters",
		"17: organizations[Acme].domains[example.com]"
		    ".addresses[a@example.com].reply_to = \"not an address\": is "
		    "not a valid address: invalid character in local part",
		"21: organizations[Acme].domains[example.com]"
		    ".addresses[b@example.com].language = \"en_US\": must be a "
		    "language tag such as \"en\" or \"es-MX\"",
		"22: organizations[Acme].domains[example.com]"
		    ".addresses[b@example.com].display_name = \"Caf\\xe9\": must "
		    "be valid UTF-8",
		"23: organizations[Acme].domains[example.com]"
		    ".addresses[b@example.com].reply_to = \"<b@example.com>\": is "
		    "not a valid address: write it without angle brackets",
		NULL
	};
	static const char *const skills_max[] = {
		"10: organizations[acme].domains[example.com].catch_all.skills: "
		    "at most 15 skills, not 16",
		"21: organizations[acme].domains[example.com]"
		    ".addresses[support@example.com].skills: at most 15 skills, "
		    "not 16",
		"27: organizations[acme].domains[example.com]"
		    ".addresses[list@example.com].skills: at most 15 skills, "
		    "not 20",
		NULL
	};
	static const char *const dns[] = {
		"4: dns.verification_secret: must be at least 16 bytes long",
		"5: dns.server = \"dns.example@53\": must be an IP address "
		    "with an optional port after \"@\", such as \"192.0.2.53\" "
		    "or \"127.0.0.1@5353\"",
		"6: dns.timeout_ms = 50: must be between 100 and 30000",
		"7: dns.mx_hosts[#1] = \"-bad-.example\": is not a valid "
		    "domain name",
		"7: dns.mx_hosts[#2] = \"mx1.relay.example\": listed twice",
		"8: dns.spf = \"spf1 -all\": must begin with \"v=spf1 \", "
		    "such as \"v=spf1 a:mx.relay.example -all\"",
		"9: dns.bounce_target = \"bounce target\": is not a valid "
		    "domain name",
		"10: dns.hosted_domain = \"mail..operator.example\": is not a "
		    "valid domain name",
		"11: dns.recheck_interval = 60: must be 0 or between 300 and "
		    "2592000",
		"12: dns.activation_period = -1: must be between 0 and 2592000",
		"13: dns.resolver: unknown setting",
		NULL
	};
	static const char *const domains[] = {
		"6: organizations[acme].domains[example.co.uk].kind = "
		    "\"campaign\": example.co.uk is a registrable domain (the "
		    "public suffix is co.uk): a campaign domain must be a "
		    "subdomain such as news.example.co.uk",
		"7: organizations[acme].domains[co.uk].kind = \"notification\": "
		    "co.uk is a public suffix: a campaign domain must be a "
		    "subdomain of a domain you registered, such as "
		    "news.example.co.uk",
		"12: organizations[acme].domains[acme.example].inbound = "
		    "\"hosted\": acme.example is not a subdomain of "
		    "dns.hosted_domain (mail.operator.example)",
		"13: organizations[acme].domains[mail.operator.example].inbound "
		    "= \"hosted-redirect\": mail.operator.example is not a "
		    "subdomain of dns.hosted_domain (mail.operator.example)",
		"14: organizations[acme].domains[x.example.net].kind = "
		    "\"marketing\": must be \"contact-center\", \"campaign\" or "
		    "\"notification\"",
		"14: organizations[acme].domains[x.example.net].inbound = "
		    "\"pop3\": must be \"mx\", \"redirect\", \"hosted\" or "
		    "\"hosted-redirect\"",
		"14: organizations[acme].domains[x.example.net].rate_limit = "
		    "1000001: must be between 0 and 1000000",
		"15: organizations[acme].domains[y.example.net]"
		    ".require_verification = \"yes\": must be true or false, "
		    "not a string",
		NULL
	};
	static const char *const hosted[] = {
		"6: organizations[acme].domains[acme.mail.operator.example]"
		    ".inbound = \"hosted\": needs dns.hosted_domain, the "
		    "operator's domain that hosted subdomains live under",
		"7: organizations[acme].domains[acme2.mail.operator.example]"
		    ".inbound = \"hosted-redirect\": needs dns.hosted_domain, the "
		    "operator's domain that hosted subdomains live under",
		NULL
	};
	static const char *const verification[] = {
		"7: organizations[acme].domains[b.example].require_verification "
		    "= true: needs dns.verification_secret (the key of the "
		    "ownership tokens)",
		NULL
	};
	static const char *const quotas[] = {
		"7: organizations[acme].domains: 3 domains, more than "
		    "max_domains (2)",
		"13: organizations[acme].domains[b.example].addresses: 4 "
		    "addresses, more than max_addresses_per_domain (3)",
		"19: organizations[beta].max_domains = -1: must be between 0 "
		    "and 1000000",
		NULL
	};
	static const char *const nofile[] = {
		"cannot read: No such file or directory",
		NULL
	};

	expect_errors("unknown-key.conf", unknown);
	expect_errors("wrong-type.conf", wrong_type);
	expect_errors("priority-range.conf", priority);
	expect_errors("bounds.conf", bounds);
	expect_errors("addr-domain.conf", addr_domain);
	expect_errors("dup-addr.conf", dup_addr);
	expect_errors("dup-addr-orgs.conf", dup_addr_orgs);
	expect_errors("dup-domain.conf", dup_domain);
	expect_errors("dup-org.conf", dup_org);
	expect_errors("dup-queue.conf", dup_queue);
	expect_errors("addr-long.conf", addr_long);
	expect_errors("local-long.conf", local_long);
	expect_errors("addr-syntax.conf", addr_syntax);
	expect_errors("no-queue.conf", no_queue);
	expect_errors("flow.conf", flow);
	expect_errors("flows.conf", flows);
	expect_errors("flows-depth.conf", flows_depth);
	expect_errors("flows-conds.conf", flows_conds);
	expect_errors("redis-both.conf", redis_both);
	expect_errors("milter-socket.conf", milter_socket);
	expect_errors("agents.conf", agents);
	expect_errors("agent-loop.conf", agent_loop);
	expect_errors("outbound.conf", outbound);
	expect_errors("delivery.conf", delivery);
	expect_errors("mailbox.conf", mailbox);
	expect_errors("enums.conf", enums);
	expect_errors("missing.conf", missing);
	expect_errors("no-orgs.conf", no_orgs);
	expect_errors("empty-orgs.conf", empty_orgs);
	expect_errors("syntax.conf", syntax);
	expect_errors("syntax-dup.conf", syntax_dup);
	expect_errors("names.conf", names);
	expect_errors("skills-max.conf", skills_max);
	expect_errors("dns.conf", dns);
	expect_errors("domains.conf", domains);
	expect_errors("hosted.conf", hosted);
	expect_errors("verification.conf", verification);
	expect_errors("quotas.conf", quotas);
	expect_errors("does-not-exist.conf", nofile);
}

/* test_many_errors - one file, many mistakes, all reported in file order */
static void
test_many_errors(void)
{
	static const char *const want[] = {
		"4: redis.socket: cannot be used together with redis.host",
		"5: redis.port = 0: must be between 1 and 65535",
		"6: redis.timeout: unknown setting",
		"9: milter.socket = \"inet:8891\": the host is missing (PORT@HOST)",
		"10: milter.on_redis_failure = \"bounce\": must be \"tempfail\" "
		    "or \"accept\"",
		"12: matching.local_part_case_sensitive = \"false\": must be true "
		    "or false, not a string",
		"15: organizations[acme].queues[support].name = \"support\": "
		    "already defined earlier on the same line",
		"18: organizations[acme].domains[example.com].catch_all.queue = "
		    "\"nowhere\": no such queue in this organization",
		"20: organizations[acme].domains[example.com]"
		    ".addresses[support@example.com].priority = 1001: must be "
		    "between 0 and 1000",
		"21: organizations[acme].domains[example.com]"
		    ".addresses[support@example.net].address = "
		    "\"support@example.net\": domain \"example.net\" is not the "
		    "enclosing domain \"example.com\"",
		"22: organizations[acme].domains[example.com]"
		    ".addresses[SUPPORT@example.com].flow = \"triage\": no such "
		    "flow in this organization",
		"22: organizations[acme].domains[example.com]"
		    ".addresses[SUPPORT@example.com].address = "
		    "\"SUPPORT@example.com\": same address as "
		    "\"support@example.com\" at line 20",
		"23: organizations[acme].domains[example.com]"
		    ".addresses[x@example.com].direction = \"sideways\": must be "
		    "\"inbound\", \"outbound\" or \"both\"",
		"24: organizations[acme].domains[example.com].addresses[#4]"
		    ".address: required setting is missing",
		"29: organizations[acme].id = \"acme\": already defined at line 14",
		"30: organizations[acme].queues: must not be empty",
		"31: organizations[acme].domains[EXAMPLE.COM].name = "
		    "\"EXAMPLE.COM\": already defined at line 17",
		NULL
	};

	expect_errors("many-errors.conf", want);
}

/* with_socket - a configuration whose milter.socket is SOCK */
static const char *
with_socket(const char *sock)
{
	static char text[1024];

	snprintf(text, sizeof(text),
	    "milter = { socket = \"%s\"; };\n"
	    "organizations = ( { id = \"a\"; queues = ( { name = \"q\"; } ); } );\n",
	    sock);
	return (write_tmp("socket.conf", text));
}

/* with_listen - a configuration whose router.metrics_listen is ADDR */
static const char *
with_listen(const char *addr)
{
	static char text[1024];

	snprintf(text, sizeof(text),
	    "router = { metrics_listen = \"%s\"; };\n"
	    "milter = { socket = \"inet:8891@127.0.0.1\"; };\n"
	    "organizations = ( { id = \"a\"; queues = ( { name = \"q\"; } ); } );\n",
	    addr);
	return (write_tmp("listen.conf", text));
}

/* test_metrics_listen - the addresses the metrics may listen on */
static void
test_metrics_listen(void)
{
	static const char *const good[] = {
		"127.0.0.1:9580", "0.0.0.0:1", "localhost:65535",
		"[::1]:9580", "[::]:9580", "metrics.example.com:9580", NULL
	};
	static const struct {
		const char *addr, *why;
	} bad[] = {
		{ "127.0.0.1", "must be HOST:PORT or [IPV6]:PORT (the port is "
		  "missing)" },
		{ "127.0.0.1:", "the port must be a number from 1 to 65535" },
		{ "127.0.0.1:0", "the port must be a number from 1 to 65535" },
		{ "127.0.0.1:65536",
		  "the port must be a number from 1 to 65535" },
		{ "127.0.0.1:95 80",
		  "the port must be a number from 1 to 65535" },
		{ ":9580", "must be HOST:PORT or [IPV6]:PORT" },
		{ "::1:9580", "must be HOST:PORT or [IPV6]:PORT" },
		{ "[::1]9580", "must be HOST:PORT or [IPV6]:PORT (the port is "
		  "missing)" },
		{ "[]:9580", "has a malformed [IPv6] address" },
		{ "[::g]:9580", "has a malformed [IPv6] address" },
		{ "http://127.0.0.1:9580", "must be HOST:PORT or [IPV6]:PORT, "
		  "without a scheme" },
		{ "", "must not be empty" },
		{ NULL, NULL }
	};
	struct cfg_errors errs = { 0 };
	const char *want[2];
	char	msg[512];
	struct cfg *cfg;
	int	i;

	for (i = 0; good[i] != NULL; i++) {
		cfg = cfg_load(with_listen(good[i]), &errs);
		ok(cfg != NULL && errs.n == 0,
		    "router.metrics_listen %s accepted", good[i]);
		if (cfg != NULL)
			is_str(cfg->router.metrics_listen, good[i],
			    "stored as written");
		cfg_unref(cfg);
		cfg_errors_clear(&errs);
	}
	want[1] = NULL;
	for (i = 0; bad[i].addr != NULL; i++) {
		snprintf(msg, sizeof(msg), "1: router.metrics_listen = \"%s\": "
		    "%s", bad[i].addr, bad[i].why);
		want[0] = msg;
		expect_errors_at(with_listen(bad[i].addr), bad[i].addr, want);
	}
}

/* test_milter_sockets - the forms libmilter accepts, and the others */
static void
test_milter_sockets(void)
{
	static const char *const good[] = {
		"inet:8891@127.0.0.1", "inet:1@localhost",
		"inet:65535@mail.example.com", "inet6:8891@::1",
		"unix:/run/mailacd/milter.sock", "local:/var/run/m.sock", NULL
	};
	static const struct {
		const char *sock, *why;
	} bad[] = {
		{ "inet:0@127.0.0.1", "the port must be a number from 1 to 65535" },
		{ "inet:65536@127.0.0.1",
		  "the port must be a number from 1 to 65535" },
		{ "inet:http@127.0.0.1",
		  "the port must be a number from 1 to 65535" },
		{ "inet:8891", "the host is missing (PORT@HOST)" },
		{ "inet6:8891@", "the host is missing (PORT@HOST)" },
		{ "inet:8891@bad host",
		  "the host must be a host name or an IP address" },
		{ "unix:milter.sock", "the socket path must be absolute" },
		{ "8891", "must be inet:PORT@HOST, inet6:PORT@HOST, unix:/PATH "
		  "or local:/PATH" },
		{ "", "must not be empty" },
		{ NULL, NULL }
	};
	struct cfg_errors errs = { 0 };
	const char *path, *want[2];
	char	msg[512], longsock[200];
	struct cfg *cfg;
	int	i;

	for (i = 0; good[i] != NULL; i++) {
		cfg = cfg_load(with_socket(good[i]), &errs);
		ok(cfg != NULL && errs.n == 0, "milter.socket %s accepted",
		    good[i]);
		if (cfg != NULL)
			is_str(cfg->milter.socket, good[i], "stored as written");
		cfg_unref(cfg);
		cfg_errors_clear(&errs);
	}
	want[1] = NULL;
	for (i = 0; bad[i].sock != NULL; i++) {
		path = with_socket(bad[i].sock);
		snprintf(msg, sizeof(msg), "1: milter.socket = \"%s\": %s",
		    bad[i].sock, bad[i].why);
		want[0] = msg;
		expect_errors_at(path, bad[i].sock, want);
	}
	memset(longsock, 'x', sizeof(longsock));
	memcpy(longsock, "unix:/", 6);
	longsock[5 + 108] = '\0';	/* a path of 108 bytes */
	path = with_socket(longsock);
	snprintf(msg, sizeof(msg), "1: milter.socket = \"%s\": the socket path "
	    "is longer than 107 bytes", longsock);
	want[0] = msg;
	expect_errors_at(path, "unix: path of 108 bytes", want);
	longsock[5 + 107] = '\0';
	cfg = cfg_load(with_socket(longsock), &errs);
	ok(cfg != NULL, "unix: path of 107 bytes accepted");
	cfg_unref(cfg);
	cfg_errors_clear(&errs);
}

/* with_dns - a configuration whose dns group holds SETTING */
static const char *
with_dns(const char *setting)
{
	static char text[1024];

	snprintf(text, sizeof(text),
	    "milter = { socket = \"inet:8891@127.0.0.1\"; };\n"
	    "dns = { %s };\n"
	    "organizations = ( { id = \"a\"; queues = ( { name = \"q\"; } ); } );\n",
	    setting);
	return (write_tmp("dns.conf", text));
}

/* test_dns_values - dns.server and dns.spf, the forms taken and refused */
static void
test_dns_values(void)
{
	static const char *const good[] = {
		"server = \"192.0.2.53\";", "server = \"127.0.0.1@5353\";",
		"server = \"::1\";", "server = \"2001:db8::53@53\";",
		"server = \"127.0.0.1@65535\";", "spf = \"v=spf1 -all\";",
		"spf = \"v=spf1 ip4:192.0.2.0/24 include:_spf.example ~all\";",
		"recheck_interval = 300;", "recheck_interval = 2592000;",
		"activation_period = 0;", "timeout_ms = 100;",
		"timeout_ms = 30000;", NULL
	};
	static const struct {
		const char *setting, *want;
	} bad[] = {
		{ "server = \"127.0.0.1@0\";", "dns.server = \"127.0.0.1@0\": "
		  "has a port that is not 1..65535" },
		{ "server = \"127.0.0.1@65536\";", "dns.server = "
		  "\"127.0.0.1@65536\": has a port that is not 1..65535" },
		{ "server = \"127.0.0.1@\";", "dns.server = \"127.0.0.1@\": "
		  "has a port that is not 1..65535" },
		{ "server = \"[::1]@53\";", "dns.server = \"[::1]@53\": must "
		  "be an IP address with an optional port after \"@\", such as "
		  "\"192.0.2.53\" or \"127.0.0.1@5353\"" },
		{ "server = \"@53\";", "dns.server = \"@53\": must be an IP "
		  "address with an optional port after \"@\", such as "
		  "\"192.0.2.53\" or \"127.0.0.1@5353\"" },
		{ "server = \"\";", "dns.server = \"\": must not be empty" },
		{ "spf = \"v=spf1\";", "dns.spf = \"v=spf1\": must begin with "
		  "\"v=spf1 \", such as \"v=spf1 a:mx.relay.example -all\"" },
		{ "spf = \"v=spf1 a:caf\xc3\xa9.example -all\";", "dns.spf = "
		  "\"v=spf1 a:caf\xc3\xa9.example -all\": may contain only "
		  "printable ASCII characters" },
		{ "recheck_interval = 299;", "dns.recheck_interval = 299: must "
		  "be 0 or between 300 and 2592000" },
		{ "recheck_interval = 2592001;", "dns.recheck_interval = "
		  "2592001: must be 0 or between 300 and 2592000" },
		{ "activation_period = 2592001;", "dns.activation_period = "
		  "2592001: must be between 0 and 2592000" },
		{ "timeout_ms = 99;", "dns.timeout_ms = 99: must be between 100 "
		  "and 30000" },
		{ "mx_hosts = [ ];", NULL },
		{ NULL, NULL }
	};
	struct cfg_errors errs = { 0 };
	const char *want[2];
	char	msg[512];
	struct cfg *cfg;
	int	i;

	for (i = 0; good[i] != NULL; i++) {
		cfg = cfg_load(with_dns(good[i]), &errs);
		ok(cfg != NULL && errs.n == 0, "dns { %s } accepted", good[i]);
		cfg_unref(cfg);
		cfg_errors_clear(&errs);
	}
	want[1] = NULL;
	for (i = 0; bad[i].setting != NULL; i++) {
		if (bad[i].want == NULL) {
			/* an empty list is no list: nothing to complain of */
			cfg = cfg_load(with_dns(bad[i].setting), &errs);
			ok(cfg != NULL && cfg->dns.nmx_hosts == 0,
			    "dns { %s } is no MX host", bad[i].setting);
			cfg_unref(cfg);
			cfg_errors_clear(&errs);
			continue;
		}
		snprintf(msg, sizeof(msg), "2: %s", bad[i].want);
		want[0] = msg;
		expect_errors_at(with_dns(bad[i].setting), bad[i].setting, want);
	}
}

/* with_delivery - a configuration whose delivery group holds SETTING */
static const char *
with_delivery(const char *setting)
{
	static char text[1024];

	snprintf(text, sizeof(text),
	    "milter = { socket = \"inet:8891@127.0.0.1\"; };\n"
	    "delivery = { %s };\n"
	    "organizations = ( { id = \"a\"; queues = ( { name = \"q\"; } ); } );\n",
	    setting);
	return (write_tmp("auth.conf", text));
}

/* test_delivery_auth - SMTP AUTH without STARTTLS only over smtps:// or
 * to a loopback relay */
static void
test_delivery_auth(void)
{
	static const char *const good[] = {
		"relay = \"smtp://relay.example:587\"; username = \"r\"; "
		    "starttls = \"require\";",
		"relay = \"smtps://relay.example\"; username = \"r\";",
		"relay = \"smtp://127.0.0.1:25\"; username = \"r\";",
		"relay = \"smtp://127.1.2.3\"; username = \"r\";",
		"relay = \"smtp://[::1]:25\"; username = \"r\";",
		"relay = \"smtp://[::ffff:127.0.0.1]:25\"; username = \"r\";",
		"relay = \"smtp://LocalHost:25/\"; username = \"r\";",
		"relay = \"smtp://127.0.0.1:25\"; username = \"r\"; "
		    "starttls = \"try\";",
		"username = \"r\";",	/* the default relay, 127.0.0.1 */
		"relay = \"smtp://relay.example:25\";",	/* no AUTH */
		NULL
	};
	static const char *const bad[] = {
		"smtp://relay.example:587", "smtp://192.0.2.25",
		"smtp://[2001:db8::25]:25", "smtp://[::ffff:192.0.2.1]",
		"smtp://127.example", "smtp://localhost.example", NULL
	};
	static const char *const mode[] = { "no", "try" };
	struct cfg_errors errs = { 0 };
	const char *want[2];
	char	setting[256], msg[512];
	struct cfg *cfg;
	int	i, j;

	for (i = 0; good[i] != NULL; i++) {
		cfg = cfg_load(with_delivery(good[i]), &errs);
		ok(cfg != NULL && errs.n == 0, "delivery { %s } accepted",
		    good[i]);
		cfg_unref(cfg);
		cfg_errors_clear(&errs);
	}
	want[1] = NULL;
	for (i = 0; bad[i] != NULL; i++)
		for (j = 0; j < 2; j++) {
			snprintf(setting, sizeof(setting), "relay = \"%s\"; "
			    "username = \"router\"; starttls = \"%s\";",
			    bad[i], mode[j]);
			snprintf(msg, sizeof(msg), "2: delivery.username = "
			    "\"router\": SMTP AUTH would send it and the "
			    "password in clear text to %s (delivery.starttls = "
			    "\"%s\"): set delivery.starttls = \"require\", use "
			    "an smtps:// relay, or a relay on loopback "
			    "(127.0.0.0/8, ::1, localhost)", bad[i], mode[j]);
			want[0] = msg;
			expect_errors_at(with_delivery(setting), setting,
			    want);
		}
}

/* with_redis - a configuration whose redis group holds SETTING */
static const char *
with_redis(const char *setting)
{
	static char text[1024];

	snprintf(text, sizeof(text),
	    "redis = { %s };\n"
	    "milter = { socket = \"inet:8891@127.0.0.1\"; };\n"
	    "organizations = ( { id = \"a\"; queues = ( { name = \"q\"; } ); } );\n",
	    setting);
	return (write_tmp("redis.conf", text));
}

/* test_sentinel - redis.sentinels and master_name go together, replace
 * host, port and socket; WAIT ends before the command's timeout */
static void
test_sentinel(void)
{
	static const struct {
		const char *setting, *msg;
	} bad[] = {
		{ "sentinels = [ \"127.0.0.1:26379\" ];",
		  "1: redis.sentinels: needs redis.master_name" },
		{ "master_name = \"m\";",
		  "1: redis.master_name: needs redis.sentinels" },
		{ "sentinel_password = \"s\";",
		  "1: redis.sentinel_password: needs redis.sentinels" },
		{ "username = \"mailacd\";",
		  "1: redis.username: needs redis.password" },
		{ "username = \"a b\"; password = \"p\";",
		  "1: redis.username = \"a b\": must be printable ASCII "
		  "without spaces" },
		{ "sentinels = [ \"h:1\", \"h:2\", \"h:3\" ]; master_name = "
		  "\"m\"; sentinel_username = \"s\";",
		  "1: redis.sentinel_username: needs redis.sentinel_password" },
		{ "sentinels = [ \"127.0.0.1\" ]; master_name = \"m\";",
		  "1: redis.sentinels[#0] = \"127.0.0.1\": must be HOST:PORT (an "
		  "IPv6 address in brackets), the port 1 to 65535" },
		{ "sentinels = [ \"h:0\" ]; master_name = \"m\";",
		  "1: redis.sentinels[#0] = \"h:0\": must be HOST:PORT (an "
		  "IPv6 address in brackets), the port 1 to 65535" },
		{ "sentinels = [ \"::1:26379\" ]; master_name = \"m\";",
		  "1: redis.sentinels[#0] = \"::1:26379\": must be HOST:PORT (an "
		  "IPv6 address in brackets), the port 1 to 65535" },
		{ "sentinels = [ \"a b:1\" ]; master_name = \"m\";",
		  "1: redis.sentinels[#0] = \"a b:1\": must be a host name or "
		  "an IP address" },
		{ "sentinels = [ \"h:1\" ]; master_name = \"m\"; "
		  "host = \"h\";",
		  "1: redis.host: cannot be used together with redis.sentinels "
		  "(the Sentinels name the master)" },
		{ "sentinels = [ \"h:1\" ]; master_name = \"m\"; port = 1;",
		  "1: redis.port: cannot be used together with redis.sentinels "
		  "(the Sentinels name the master)" },
		{ "wait_replicas = 1; wait_timeout_ms = 1000;",
		  "1: redis.wait_timeout_ms: is 1000 ms, not shorter than "
		  "redis.command_timeout_ms (1000): the connection would time "
		  "out before WAIT answers" },
		{ "wait_replicas = 1; command_timeout_ms = 300;",
		  "1: redis.wait_replicas: needs redis.wait_timeout_ms (500 ms) "
		  "shorter than redis.command_timeout_ms (300)" },
		{ "wait_replicas = 17;",
		  "1: redis.wait_replicas = 17: must be between 0 and 16" },
		{ NULL, NULL }
	};
	struct cfg_errors errs = { 0 };
	const char *want[2];
	struct cfg *cfg;
	int	i;

	cfg = cfg_load(with_redis("sentinels = [ \"127.0.0.1:26379\", "
	    "\"[::1]:26380\", \"s3.example:26381\" ]; master_name = "
	    "\"mymaster\"; sentinel_password = \"x\"; wait_replicas = 1; "
	    "wait_timeout_ms = 200;"), &errs);
	ok(cfg != NULL && errs.n == 0, "three Sentinels, a name, WAIT 1");
	if (cfg != NULL) {
		is_int((int)cfg->redis.nsentinels, 3, "three Sentinels");
		is_str(cfg->redis.sentinels[1], "[::1]:26380", "in order");
		is_str(cfg->redis.master_name, "mymaster", "the master's name");
		is_str(cfg->redis.sentinel_password, "x", "their password");
		ok(cfg->redis.host == NULL, "no host of its own");
		is_int(cfg->redis.wait_replicas, 1, "wait_replicas");
		is_int(cfg->redis.wait_timeout_ms, 200, "wait_timeout_ms");
	}
	cfg_unref(cfg);
	cfg_errors_clear(&errs);
	want[1] = NULL;
	for (i = 0; bad[i].setting != NULL; i++) {
		want[0] = bad[i].msg;
		expect_errors_at(with_redis(bad[i].setting), bad[i].setting,
		    want);
	}
	remove_tmp("redis.conf");
}

/* owner_of - "user:group" of PATH as the loader names them */
static const char *
owner_of(const char *path)
{
	static char buf[160];
	struct passwd *pw;
	struct group *gr;
	struct stat st;

	if (stat(path, &st) != 0)
		return ("?");
	pw = getpwuid(st.st_uid);
	gr = getgrgid(st.st_gid);
	if (pw != NULL && gr != NULL)
		snprintf(buf, sizeof(buf), "%s:%s", pw->pw_name, gr->gr_name);
	else
		snprintf(buf, sizeof(buf), "%lu:%lu", (unsigned long)st.st_uid,
		    (unsigned long)st.st_gid);
	return (buf);
}

/* with_mode - TEXT written to NAME with MODE; its path */
static const char *
with_mode(const char *name, const char *text, mode_t mode)
{
	const char *path = write_tmp(name, text);

	if (chmod(path, mode) != 0) {
		printf("Bail out! chmod %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return (path);
}

/* test_file_mode - the configuration file is writable by its owner only;
 * one that holds a secret is not readable by others; one without secrets
 * may be */
static void
test_file_mode(void)
{
	static const char secret[] =
	    "milter = { socket = \"inet:8891@127.0.0.1\"; };\n"
	    "redis = { password = \"s3cret-password\"; };\n"
	    "organizations = ( { id = \"a\"; queues = ( { name = \"q\"; } ); } );\n";
	static const char plain[] =
	    "milter = { socket = \"inet:8891@127.0.0.1\"; };\n"
	    "organizations = ( { id = \"a\"; queues = ( { name = \"q\"; } ); } );\n";
	static const mode_t good[] = { 0640, 0600, 0400, 0440, 0 };
	struct cfg_errors errs = { 0 };
	char	rd[1024], wr[1024], inc[512], full[2048], text[1024];
	const char *want[3], *path;
	struct cfg *cfg;
	int	i;

	for (i = 0; good[i] != 0; i++) {
		snprintf(full, sizeof(full), "a secret, mode %04o",
		    (unsigned)good[i]);
		cfg_unref(load_ok(with_mode("mode.conf", secret, good[i]), full));
	}
	cfg_unref(load_ok(with_mode("mode.conf", plain, 0644),
	    "no secret, mode 0644 (readable by all)"));

	path = with_mode("mode.conf", secret, 0644);
	snprintf(rd, sizeof(rd), "2: redis.password: is a secret, but %s can "
	    "be read by others (mode 0644, %s): expected e.g. root:mailacd "
	    "0640 (readable by the owner and the group the daemons run as "
	    "only)", path, owner_of(path));
	want[0] = rd;
	want[1] = NULL;
	expect_errors_at(path, "a secret, mode 0644", want);
	path = with_mode("mode.conf", secret, 0604);
	snprintf(rd, sizeof(rd), "2: redis.password: is a secret, but %s can "
	    "be read by others (mode 0604, %s): expected e.g. root:mailacd "
	    "0640 (readable by the owner and the group the daemons run as "
	    "only)", path, owner_of(path));
	expect_errors_at(path, "a secret, mode 0604", want);

	path = with_mode("mode.conf", plain, 0660);
	snprintf(wr, sizeof(wr), "can be written by group or others (mode "
	    "0660, %s): whoever can change it can redirect mail; expected "
	    "e.g. root:mailacd 0640 (writable by the owner only, readable by "
	    "the owner and the group the daemons run as only)",
	    owner_of(path));
	want[0] = wr;
	expect_errors_at(path, "no secret, mode 0660", want);

	path = with_mode("mode.conf", secret, 0666);
	snprintf(wr, sizeof(wr), "can be written by group or others (mode "
	    "0666, %s): whoever can change it can redirect mail; expected "
	    "e.g. root:mailacd 0640 (writable by the owner only, readable by "
	    "the owner and the group the daemons run as only)",
	    owner_of(path));
	snprintf(rd, sizeof(rd), "2: redis.password: is a secret, but %s can "
	    "be read by others (mode 0666, %s): expected e.g. root:mailacd "
	    "0640 (readable by the owner and the group the daemons run as "
	    "only)", path, owner_of(path));
	want[0] = wr;
	want[1] = rd;
	want[2] = NULL;
	expect_errors_at(path, "a secret, mode 0666", want);

	/* a secret in an included file: that file's mode counts */
	path = with_mode("inc.conf", "redis = { password = \"s3cret-password\"; };\n",
	    0644);
	snprintf(inc, sizeof(inc), "%s", path);
	snprintf(text, sizeof(text), "@include \"%s\"\n%s", inc, plain);
	path = with_mode("mode.conf", text, 0644);
	cfg = cfg_load(path, &errs);
	snprintf(full, sizeof(full), "%s:1: redis.password: is a secret, but "
	    "%s can be read by others (mode 0644, %s): expected e.g. "
	    "root:mailacd 0640 (readable by the owner and the group the "
	    "daemons run as only)", inc, inc, owner_of(inc));
	ok(cfg == NULL && errs.n == 1, "a secret in an included file of mode "
	    "0644: refused, one error");
	is_str(errs.n > 0 ? errs.msg[0] : NULL, full, "naming the included "
	    "file");
	cfg_unref(cfg);
	cfg_errors_clear(&errs);
	snprintf(text, sizeof(text), "%s", path);	/* a static buffer */
	(void)with_mode("inc.conf", "redis = { password = \"s3cret-password\"; };\n",
	    0640);
	cfg_unref(load_ok(text, "a secret in an included file of mode 0640, "
	    "the main file 0644"));
	remove_tmp("inc.conf");
	remove_tmp("mode.conf");
}

/* test_literals - integers libconfig 1.5 would silently cut to 32 bits */
static void
test_literals(void)
{
	static const char *const want[] = {
		"3: milter.dedup_ttl = 4294967396: must be between 60 and "
		    "31536000",
		"6: organizations[a].domains[example.com].addresses[x@example.com]"
		    ".priority = 4294967297: must be between 0 and 1000",
		NULL
	};
	const char *path;

	/* 4294967396 = 2^32 + 100 and 4294967297 = 2^32 + 1: both would
	 * pass as 100 and 1; the catch-all priority 7 on the same line as
	 * the address priority must not be confused with it */
	path = write_tmp("literal.conf",
	    "milter = { socket = \"inet:8891@127.0.0.1\";\n"
	    "  on_redis_failure = \"tempfail\";\n"
	    "  dedup_ttl = 4294967396; };\n"
	    "organizations = ( { id = \"a\"; queues = ( { name = \"q\"; } );\n"
	    "  domains = ( { name = \"example.com\";\n"
	    "  catch_all = { queue = \"q\"; priority = 7; }; addresses = ( "
	    "{ address = \"x@example.com\"; queue = \"q\"; "
	    "priority = 4294967297; } ); } ); } );\n" DNS_SECRET);
	expect_errors_at(path, "32-bit overflow", want);
}

/* test_skills_max - a route may have CFG_SKILLS_MAX skills of the longest
 * length: the milter writes them all into one header field */
static void
test_skills_max(void)
{
	char	text[4096], skill[CFG_NAME_MAX + 1];
	size_t	len, i;
	struct cfg *cfg;
	const struct cfg_address *a;

	len = (size_t)snprintf(text, sizeof(text),
	    "milter = { socket = \"inet:8891@127.0.0.1\"; };\n"
	    "organizations = ( { id = \"a\"; queues = ( { name = \"q\"; } );\n"
	    "  domains = ( { name = \"example.com\"; addresses = (\n"
	    "  { address = \"x@example.com\"; queue = \"q\"; skills = [");
	for (i = 0; i < CFG_SKILLS_MAX; i++) {
		memset(skill, 'a' + (int)i, CFG_NAME_MAX);
		skill[CFG_NAME_MAX] = '\0';
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    "%s\n    \"%s\"", i ? "," : "", skill);
	}
	snprintf(text + len, sizeof(text) - len, " ]; } ); } ); } );\n"
	    DNS_SECRET);
	cfg = load_ok(write_tmp("skills.conf", text), "15 skills of 64 bytes");
	a = cfg != NULL ? cfg_find_address(cfg, "x@example.com") : NULL;
	ok(a != NULL && a->route.nskills == CFG_SKILLS_MAX,
	    "all %d skills kept", CFG_SKILLS_MAX);
	cfg_unref(cfg);
}

/* test_large - tens of thousands of addresses load and are all found */
static void
test_large(void)
{
	enum { NDOM = 200, NADDR = 100 };
	struct cfg *cfg;
	const struct cfg_address *a;
	char	path[512], name[128];
	FILE   *fp;
	clock_t	t0;
	int	i, j, missing = 0;

	snprintf(path, sizeof(path), "%s/large.conf", tmpdir);
	if ((fp = fopen(path, "w")) == NULL || fchmod(fileno(fp), 0640) != 0) {
		ok(0, "cannot write %s", path);
		return;
	}
	fprintf(fp, "milter = { socket = \"inet:8891@127.0.0.1\"; };\n"
	    "organizations = ( { id = \"big\"; queues = ( { name = \"q\"; } );\n"
	    "domains = (\n");
	for (i = 0; i < NDOM; i++) {
		fprintf(fp, "%s{ name = \"d%d.example\"; addresses = (\n",
		    i ? "," : "", i);
		for (j = 0; j < NADDR; j++)
			fprintf(fp, "%s{ address = \"User%d@D%d.example\"; "
			    "queue = \"q\"; priority = %d; }\n", j ? "," : "", j,
			    i, j % 1001);
		fprintf(fp, "); }\n");
	}
	fprintf(fp, "); } );\n" DNS_SECRET);
	fclose(fp);
	t0 = clock();
	cfg = load_ok(path, "20000 addresses");
	printf("# loaded in %.3f s of CPU\n",
	    (double)(clock() - t0) / CLOCKS_PER_SEC);
	if (cfg == NULL)
		return;
	for (i = 0; i < NDOM; i++)
		for (j = 0; j < NADDR; j++) {
			snprintf(name, sizeof(name), "user%d@d%d.example", j, i);
			a = cfg_find_address(cfg, name);
			if (a == NULL || a->route.priority != j % 1001)
				missing++;
		}
	is_int(missing, 0, "every address found by its key");
	snprintf(name, sizeof(name), "d%d.example", NDOM - 1);
	ok(cfg_find_domain(cfg, name) != NULL, "last domain found");
	ok(cfg_find_address(cfg, "user100@d0.example") == NULL,
	    "an address past the end not found");
	cfg_unref(cfg);
}

/* collect - cfg_schema_each callback: count paths, note a few */
static void
collect(const char *path, void *arg)
{
	int    *seen = arg;

	seen[0]++;
	if (strcmp(path, "redis.host") == 0)
		seen[1]++;
	if (strcmp(path, "milter.socket") == 0)
		seen[2]++;
	if (strcmp(path, "organizations.queues.name") == 0)
		seen[3]++;
	if (strcmp(path, "organizations.domains.addresses.priority") == 0)
		seen[4]++;
	if (strcmp(path, "organizations.domains.catch_all.queue") == 0)
		seen[5]++;
	if (strcmp(path, "matching.subaddress_separators") == 0)
		seen[6]++;
}

/* test_schema - cfg_schema_each lists every setting once */
static void
test_schema(void)
{
	int	seen[7] = { 0 }, i;

	cfg_schema_each(collect, seen);
	is_int(seen[0], 251, "251 settings in the schema");
	for (i = 1; i < 7; i++)
		is_int(seen[i], 1, "schema path %d listed once", i);
}

/* test_errors_api - the error list outside cfg_load */
static void
test_errors_api(void)
{
	struct cfg_errors errs = { 0 };
	int	i;

	for (i = 0; i < 20; i++)
		cfg_errors_add(&errs, "error %d of %s", i, "many");
	is_int(errs.n, 20, "twenty lines kept");
	is_str(errs.msg[19], "error 19 of many", "formatted");
	cfg_errors_clear(&errs);
	is_int(errs.n, 0, "cleared");
	cfg_errors_add(&errs, "again");
	is_str(errs.msg[0], "again", "reusable after clear");
	cfg_errors_clear(&errs);
	ok(cfg_load(fixture("dup-org.conf"), NULL) == NULL,
	    "a NULL error list is allowed");
}

/* main - run every test against the fixtures in argv[1] */
/* test_unservable - a route no agent of its queue can take loads, with a
 * warning naming what is missing; a configuration without such routes has
 * none */
static void
test_unservable(void)
{
	static const char *const want[] = {
		"12: organizations[acme].domains[example.com].catch_all: "
		    "warning: routes to queue empty, which no agent serves: "
		    "its interactions would wait forever",
		"15: organizations[acme].domains[example.com]"
		    ".addresses[ventas@example.com]: warning: requires skill "
		    "\"comercal\", which no agent of queue sales holds: its "
		    "interactions would wait forever",
		"16: organizations[acme].domains[example.com]"
		    ".addresses[es@example.com]: warning: requires language "
		    "\"Spanish\", which no agent of queue sales speaks (they "
		    "speak es, en): its interactions would wait forever",
		"17: organizations[acme].domains[example.com]"
		    ".addresses[both@example.com]: warning: no single agent of "
		    "queue sales has every skill and the language it requires: "
		    "its interactions would wait forever",
		NULL
	};
	struct cfg *cfg;
	char	full[2048];
	size_t	i;

	if ((cfg = load_ok(fixture("unservable.conf"), "unservable.conf")) ==
	    NULL)
		return;
	is_int(cfg->warnings.n, 4, "unservable.conf: 4 warnings");
	for (i = 0; want[i] != NULL; i++) {
		snprintf(full, sizeof(full), "%s:%s",
		    fixture("unservable.conf"), want[i]);
		is_str(i < cfg->warnings.n ? cfg->warnings.msg[i] : NULL, full,
		    "unservable.conf: warning %zu", i + 1);
	}
	cfg_unref(cfg);
	if ((cfg = load_ok(fixture("good.conf"), "good.conf")) == NULL)
		return;
	is_int(cfg->warnings.n, 0, "good.conf: every route can be served");
	for (i = 0; i < cfg->warnings.n; i++)
		printf("#   %s\n", cfg->warnings.msg[i]);
	cfg_unref(cfg);
}

int
main(int argc, char **argv)
{
	const char *t;

	if (argc != 2) {
		fprintf(stderr, "usage: cfg_test FIXTURE-DIR\n");
		return (2);
	}
	dir = srcdir = argv[1];
	t = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/cfg_test.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", tmpdir, strerror(errno));
		return (1);
	}
	copy_fixtures();

	test_good();
	test_unservable();
	test_minimal();
	test_variants();
	test_refs();
	test_error_files();
	test_many_errors();
	test_milter_sockets();
	test_metrics_listen();
	test_dns_values();
	test_delivery_auth();
	test_sentinel();
	test_file_mode();
	test_literals();
	test_skills_max();
	test_large();
	test_schema();
	test_errors_api();

	remove_tmp("socket.conf");
	remove_tmp("literal.conf");
	remove_tmp("dns.conf");
	remove_tmp("auth.conf");
	remove_tmp("skills.conf");
	remove_tmp("large.conf");
	remove_fixtures();
	rmdir(tmpdir);
	return (done_testing());
}
