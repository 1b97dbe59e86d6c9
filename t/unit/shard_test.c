/* shard_test.c - organisations' own Redis groups in the configuration
 * (organizations.redis, router.organizations), the views made of them
 * and the pools per group (common/shard.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "shard.h"
#include "tap.h"

static char dir[] = "/tmp/shard_test.XXXXXX";
static char file[300];
static struct cfg_errors errs;

/* load - a configuration file with TOP (settings before the
 * organisations) and the organisations ORGS;
 * NULL with ERRS filled on failure */
static struct cfg *
load(const char *top, const char *orgs)
{
	FILE   *fp;

	cfg_errors_clear(&errs);
	snprintf(file, sizeof(file), "%s/mailacd.conf", dir);
	if ((fp = fopen(file, "w")) == NULL)
		return (NULL);
	fprintf(fp, "redis = { host = \"127.0.0.1\"; port = 7000; };\n"
	    "milter = { socket = \"inet:8891@127.0.0.1\"; };\n%s\n"
	    "organizations = (\n%s\n);\n", top, orgs);
	fclose(fp);
	chmod(file, 0600);
	return (cfg_load(file, &errs));
}

/* has_error - an error line that holds WANT (and "FILE:LINE:" first) */
static int
has_error(const char *want, int line)
{
	char	head[400];
	size_t	i;

	snprintf(head, sizeof(head), "%s:%d: ", file, line);
	for (i = 0; i < errs.n; i++)
		if (strstr(errs.msg[i], want) != NULL &&
		    strncmp(errs.msg[i], head, strlen(head)) == 0)
			return (1);
	for (i = 0; i < errs.n; i++)
		printf("# error: %s\n", errs.msg[i]);
	return (0);
}

#define ORG(id, extra) "{ id = \"" id "\"; queues = ( { name = \"q\"; } ); " extra " }"

int
main(void)
{
	struct cfg *cfg, *v;
	struct shard *sh;

	if (mkdtemp(dir) == NULL)
		return (1);

	/* no organisation names a Redis: one group, the top-level one */
	cfg = load("", ORG("a", "") "," ORG("b", ""));
	ok(cfg != NULL, "a configuration without organizations.redis loads");
	if (cfg != NULL) {
		is_int(cfg->ngroups, 1, "one Redis group");
		ok(cfg->groups[0] == &cfg->redis, "group 0 is the top-level redis");
		is_int(cfg->orgs[1].group, 0, "organisation b is in group 0");
		ok(cfg->orgs[0].served && cfg->orgs[1].served,
		    "without router.organizations the router serves all");
	}
	cfg_unref(cfg);

	/* two organisations name the same Redis, one names none, one names
	 * the top-level one's address and settings */
	cfg = load("router = { organizations = [ \"b\", \"c\" ]; };",
	    ORG("a", "") ",\n"
	    ORG("b", "redis = { host = \"10.0.0.2\"; port = 7001; };") ",\n"
	    ORG("c", "redis = { host = \"10.0.0.2\"; port = 7001; };") ",\n"
	    ORG("d", "redis = { host = \"127.0.0.1\"; port = 7000; };") ",\n"
	    ORG("e", "redis = { socket = \"/run/redis/e.sock\"; database = 2; };"));
	ok(cfg != NULL, "organisations with their own redis load");
	if (cfg != NULL) {
		is_int(cfg->ngroups, 3, "three groups: top-level, 10.0.0.2:7001, "
		    "the socket");
		is_int(cfg->orgs[0].group, 0, "a (no redis): group 0");
		is_int(cfg->orgs[1].group, 1, "b: group 1");
		is_int(cfg->orgs[2].group, 1, "c names the same Redis: group 1");
		is_int(cfg->orgs[3].group, 0, "d names the top-level Redis: group 0");
		is_int(cfg->orgs[4].group, 2, "e: group 2");
		is_int(cfg->groups[1]->port, 7001, "group 1's port");
		is_str(cfg->groups[1]->host, "10.0.0.2", "group 1's host");
		ok(cfg->groups[2]->host == NULL, "a socket group has no host");
		is_int(cfg->groups[2]->database, 2, "group 2's database");
		ok(!cfg->orgs[0].served && cfg->orgs[1].served &&
		    cfg->orgs[2].served && !cfg->orgs[3].served,
		    "router.organizations marks b and c served, a and d not");

		v = cfg_view(cfg, 1, 0);
		ok(v != NULL, "a view of group 1");
		if (v != NULL) {
			is_int(v->norgs, 2, "  it lists two organisations");
			is_str(v->orgs[0].id, "b", "  b");
			is_str(v->orgs[1].id, "c", "  and c");
			is_int(v->redis.port, 7001, "  its redis is group 1's");
			ok(cfg_find_org(v, "a") == NULL, "  a is not in it");
		}
		cfg_unref(v);
		v = cfg_view(cfg, 0, 1);
		ok(v != NULL && v->norgs == 0,
		    "the served view of group 0 is empty (a, d not served)");
		cfg_unref(v);
		v = cfg_view(cfg, 0, 0);
		ok(v != NULL && v->norgs == 2 && v->redis.port == 7000,
		    "the whole view of group 0: a and d on port 7000");
		cfg_unref(v);

		sh = shard_new(cfg, 0);
		ok(sh != NULL, "a pool per group");
		if (sh != NULL) {
			is_int(shard_count(sh), 3, "  three pools");
			ok(shard_pool(sh, &cfg->orgs[2]) == shard_at(sh, 1),
			    "  c's pool is group 1's");
			ok(shard_pool(sh, &cfg->orgs[3]) == shard_at(sh, 0),
			    "  d's pool is group 0's");
			is_str(rds_describe(shard_at(sh, 1)), "10.0.0.2:7001",
			    "  group 1's pool connects to 10.0.0.2:7001");
			is_str(rds_describe(shard_at(sh, 2)),
			    "/run/redis/e.sock", "  group 2's to its socket");
			is_int(shard_view(sh, 2)->norgs, 1,
			    "  group 2's view lists e");
		}
		shard_free(sh);
	}
	cfg_unref(cfg);

	/* Sentinels listed in another order are the same group */
	cfg = load("", ORG("a", "redis = { sentinels = [ \"s1:26379\", "
	    "\"s2:26379\", \"s3:26379\" ]; master_name = \"m\"; };") ",\n"
	    ORG("b", "redis = { sentinels = [ \"s3:26379\", \"s1:26379\", "
	    "\"s2:26379\" ]; master_name = \"m\"; };") ",\n"
	    ORG("c", "redis = { sentinels = [ \"s3:26379\", \"s1:26379\", "
	    "\"s2:26379\" ]; master_name = \"other\"; };"));
	ok(cfg != NULL && cfg->ngroups == 3 && cfg->orgs[0].group == 1 &&
	    cfg->orgs[1].group == 1 && cfg->orgs[2].group == 2,
	    "the same Sentinels and master share a group; another master "
	    "does not");
	cfg_unref(cfg);

	/* the same Redis with other settings */
	cfg = load("", ORG("a", "redis = { host = \"r\"; port = 7001; };") ",\n"
	    ORG("b", "redis = { host = \"r\"; port = 7001; password = "
	    "\"secret\"; };"));
	ok(cfg == NULL && has_error("organizations[b].redis: reaches the same "
	    "Redis as organizations[a].redis with other settings", 6), "the same Redis with another password: file:line "
	    "error");
	cfg = load("", ORG("a", "redis = { host = \"127.0.0.1\"; port = 7000; "
	    "wait_replicas = 1; wait_timeout_ms = 100; };"));
	ok(cfg == NULL && has_error("reaches the same Redis as the top-level "
	    "redis group", 5), "the top-level Redis with another wait_replicas: "
	    "error");

	/* the top-level group's checks apply to an organisation's */
	cfg = load("", ORG("a", "") ",\n"
	    ORG("b", "redis = { host = \"r\";\n socket = \"/run/r.sock\"; };"));
	ok(cfg == NULL && has_error("organizations[b].redis.socket: cannot be "
	    "used together with redis.host", 7), "host and socket: error at "
	    "the socket's line");
	cfg = load("", ORG("a", "redis = {\n port = 70000; };"));
	ok(cfg == NULL && has_error("organizations[a].redis.port = 70000: "
	    "must be between 1 and 65535", 6), "a port out of bounds");
	cfg = load("", ORG("a", "redis = {\n sentinels = [ \"s1:1\", \"s2:1\", "
	    "\"s3:1\" ]; };"));
	ok(cfg == NULL && has_error("organizations[a].redis.sentinels: needs "
	    "redis.master_name", 6), "sentinels without master_name");
	cfg = load("", ORG("a", "redis = {\n hots = \"r\"; };"));
	ok(cfg == NULL && has_error("organizations[a].redis.hots: unknown "
	    "setting", 6), "an unknown setting in an organisation's redis");

	/* router.organizations must name organisations */
	cfg = load("router = {\n organizations = [ \"a\", \"zz\" ]; };",
	    ORG("a", ""));
	ok(cfg == NULL && has_error("router.organizations", 4) &&
	    has_error("\"zz\": no such organisation", 4),
	    "router.organizations naming an unknown organisation");

	cfg_errors_clear(&errs);
	unlink(file);
	rmdir(dir);
	return (done_testing());
}
