/* sentinel_test.c - unit tests for Sentinel discovery (common/sentinel.c)
 * and the pool's use of it (common/rds.c), against the fake Sentinels and
 * nodes of t/lib/fake-sentinel.py (t/0112-sentinel.t starts them and
 * names the file that lists their ports in SENTINEL_PORTS). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "rds.h"
#include "sentinel.h"
#include "tap.h"

#define NLISTEN	32

static char names[NLISTEN][32];
static int ports[NLISTEN];
static int nlisten;

/* port - the port of fake listener NAME */
static int
port(const char *name)
{
	int	i;

	for (i = 0; i < nlisten; i++)
		if (strcmp(names[i], name) == 0)
			return (ports[i]);
	fprintf(stderr, "no listener %s\n", name);
	exit(2);
}

/* load - read "NAME PORT" lines */
static void
load(const char *file)
{
	FILE	*f;

	if ((f = fopen(file, "r")) == NULL) {
		perror(file);
		exit(2);
	}
	while (nlisten < NLISTEN &&
	    fscanf(f, "%31s %d", names[nlisten], &ports[nlisten]) == 2)
		nlisten++;
	fclose(f);
}

static char *hosts[8];
static int sports[8];

/* conf - a sentinel_conf over the listeners named in LIST (space
 * separated; "closed" is a port nobody listens on) */
static void
conf(struct sentinel_conf *sc, const char *list, int closed)
{
	char	buf[200], *p, *save = NULL;

	memset(sc, 0, sizeof(*sc));
	snprintf(buf, sizeof(buf), "%s", list);
	for (p = strtok_r(buf, " ", &save); p != NULL && sc->n < 8;
	    p = strtok_r(NULL, " ", &save)) {
		hosts[sc->n] = "127.0.0.1";
		sports[sc->n] = strcmp(p, "closed") == 0 ? closed : port(p);
		sc->n++;
	}
	sc->hosts = hosts;
	sc->ports = sports;
	sc->name = "mymaster";
	sc->connect_tv.tv_sec = 1;
	sc->command_tv.tv_usec = 300000;
}

/* find - sentinel_find over LIST; 1 when found, the context freed */
static int
find(struct sentinel_conf *sc, size_t first, struct sentinel_found *f,
    char *err, size_t errlen)
{
	redisContext *c;

	memset(f, 0, sizeof(*f));
	err[0] = '\0';
	if ((c = sentinel_find(sc, first, f, err, errlen)) == NULL)
		return (0);
	redisFree(c);
	return (1);
}

/* count - how many commands listener NAME has answered */
static long long
count(const char *name)
{
	redisContext *c = redisConnect("127.0.0.1", port(name));
	redisReply *r;
	long long n = -1;

	if (c != NULL && c->err == 0 &&
	    (r = redisCommand(c, "FAKE.COUNT")) != NULL) {
		if (r->type == REDIS_REPLY_INTEGER)
			n = r->integer;
		freeReplyObject(r);
	}
	if (c != NULL)
		redisFree(c);
	return (n);
}

/* reply - a string reply of S (for the parser's tests) */
static redisReply *
reply(const char *s)
{
	redisReply *r = calloc(1, sizeof(*r));

	r->type = REDIS_REPLY_STRING;
	r->str = strdup(s);
	r->len = strlen(s);
	return (r);
}

/* message - ["message", CHANNEL, TEXT] */
static redisReply *
message(const char *channel, const char *text)
{
	redisReply *r = calloc(1, sizeof(*r));

	r->type = REDIS_REPLY_ARRAY;
	r->elements = 3;
	r->element = calloc(3, sizeof(*r->element));
	r->element[0] = reply("message");
	r->element[1] = reply(channel);
	r->element[2] = reply(text);
	return (r);
}

static pthread_mutex_t said_lock = PTHREAD_MUTEX_INITIALIZER;
static char said[4096];

/* say - collect what the pool would log */
static void
say(int warn, const char *msg, void *arg)
{
	size_t	n;

	(void)arg;
	(void)warn;
	pthread_mutex_lock(&said_lock);
	n = strlen(said);
	snprintf(said + n, sizeof(said) - n, "%s\n", msg);
	pthread_mutex_unlock(&said_lock);
}

/* pool_over - a pool over the Sentinels named in LIST */
static struct rds_pool *
pool_over(const char *list, struct cfg_redis *rc, char **v)
{
	char	buf[200], *p, *save = NULL;
	size_t	n = 0;

	memset(rc, 0, sizeof(*rc));
	snprintf(buf, sizeof(buf), "%s", list);
	for (p = strtok_r(buf, " ", &save); p != NULL && n < 4;
	    p = strtok_r(NULL, " ", &save)) {
		v[n] = malloc(32);
		snprintf(v[n], 32, "127.0.0.1:%d", port(p));
		n++;
	}
	rc->sentinels = v;
	rc->nsentinels = n;
	rc->master_name = "mymaster";
	rc->connect_timeout_ms = 1000;
	rc->command_timeout_ms = 300;
	return (rds_pool_new(rc));
}

int
main(void)
{
	struct sentinel_conf sc;
	struct sentinel_found f;
	struct cfg_redis rc;
	struct rds_pool *pool;
	redisContext *c, *sub;
	redisReply *r;
	const char *set[3] = { "SET", "k", "v" };
	char	err[2048], want[200], host[SENTINEL_HOST_MAX], *v[4];
	int	closed, p, i, rcode, fresh;
	long long before;

	if (getenv("SENTINEL_PORTS") == NULL) {
		printf("1..0 # SKIP run through t/0112-sentinel.t\n");
		return (0);
	}
	load(getenv("SENTINEL_PORTS"));
	closed = port("closed");

	/* a Sentinel naming a replica is passed over */
	conf(&sc, "s_slave s_master", closed);
	ok(find(&sc, 0, &f, err, sizeof(err)), "a replica named: the next "
	    "Sentinel's master is found (%s)", err);
	is_int(f.port, port("n_master"), "the master's port");
	is_int((int)f.via, 1, "named by the second Sentinel");

	/* a stale answer: the master named is gone */
	conf(&sc, "s_dead s_master", closed);
	ok(find(&sc, 0, &f, err, sizeof(err)), "a master that is gone: the "
	    "next Sentinel's is found (%s)", err);
	is_int(f.port, port("n_master"), "the live master's port");

	/* the only answer is a replica */
	conf(&sc, "s_slave", closed);
	ok(!find(&sc, 0, &f, err, sizeof(err)), "a replica alone is no "
	    "master");
	snprintf(want, sizeof(want), "names 127.0.0.1:%d, whose ROLE is "
	    "slave", port("n_slave"));
	ok(strstr(err, want) != NULL, "the reason names it: %s", err);

	/* nothing: silence, no such master, nobody listening */
	conf(&sc, "s_silent s_nil closed", closed);
	ok(!find(&sc, 0, &f, err, sizeof(err)), "no Sentinel answers: none "
	    "found");
	snprintf(want, sizeof(want), "sentinel 127.0.0.1:%d: timeout",
	    port("s_silent"));
	ok(strstr(err, want) != NULL, "the silent one is named: %s", err);
	ok(strstr(err, "does not know master mymaster") != NULL,
	    "the one without the master says so: %s", err);
	snprintf(want, sizeof(want), "sentinel 127.0.0.1:%d: Connection "
	    "refused", closed);
	ok(strstr(err, want) != NULL, "the closed one is named: %s", err);

	/* FIRST: whom to ask first */
	conf(&sc, "s_master s_ro", closed);
	ok(find(&sc, 1, &f, err, sizeof(err)) && f.port == port("n_ro") &&
	    f.via == 1, "asking from the second Sentinel on, it answers");

	/* AUTH to the Sentinels and to the data nodes */
	conf(&sc, "s_auth", closed);
	ok(!find(&sc, 0, &f, err, sizeof(err)) && strstr(err, "NOAUTH"),
	    "no Sentinel password: refused (%s)", err);
	sc.password = "wrong";
	ok(!find(&sc, 0, &f, err, sizeof(err)) && strstr(err, "WRONGPASS"),
	    "a wrong one: refused (%s)", err);
	sc.password = "sentpw";
	ok(!find(&sc, 0, &f, err, sizeof(err)) && strstr(err,
	    "ROLE failed: NOAUTH"), "the data node wants its own (%s)", err);
	sc.data_password = "datapw";
	ok(find(&sc, 0, &f, err, sizeof(err)) && f.port == port("n_auth"),
	    "both passwords: found (%s)", err);

	/* ACL users: AUTH USER PASSWORD to each */
	conf(&sc, "s_user", closed);
	sc.password = "sentpw";
	ok(!find(&sc, 0, &f, err, sizeof(err)) && strstr(err, "WRONGPASS"),
	    "a Sentinel with an ACL user: the password alone is refused (%s)",
	    err);
	sc.user = "watch";
	sc.data_password = "datapw";
	ok(!find(&sc, 0, &f, err, sizeof(err)) && strstr(err,
	    "ROLE failed: NOAUTH") == NULL && strstr(err, "WRONGPASS"),
	    "... with its user it answers; the data node wants its own (%s)",
	    err);
	sc.data_user = "app";
	ok(find(&sc, 0, &f, err, sizeof(err)) && f.port == port("n_user"),
	    "both users: found (%s)", err);

	/* +switch-master messages */
	r = message("+switch-master", "mymaster 10.0.0.1 6379 10.0.0.2 6380");
	ok(sentinel_switch_parse(r, "mymaster", host, sizeof(host), &p) &&
	    strcmp(host, "10.0.0.2") == 0 && p == 6380,
	    "a switch is parsed: %s %d", host, p);
	ok(!sentinel_switch_parse(r, "other", host, sizeof(host), &p),
	    "another master's switch is not ours");
	freeReplyObject(r);
	r = message("+sdown", "mymaster 10.0.0.1 6379 10.0.0.2 6380");
	ok(!sentinel_switch_parse(r, "mymaster", host, sizeof(host), &p),
	    "another channel is not a switch");
	freeReplyObject(r);
	r = message("+switch-master", "mymaster 10.0.0.1 6379 10.0.0.2");
	ok(!sentinel_switch_parse(r, "mymaster", host, sizeof(host), &p),
	    "a short message is not a switch");
	freeReplyObject(r);
	r = message("+switch-master", "mymaster 1 2 3 70000");
	ok(!sentinel_switch_parse(r, "mymaster", host, sizeof(host), &p),
	    "a port past 65535 is not a switch");
	freeReplyObject(r);

	conf(&sc, "s_switch", closed);
	sub = sentinel_subscribe(&sc, 0, err, sizeof(err));
	ok(sub != NULL, "subscribed (%s)", sub ? "" : err);
	rcode = 0;
	for (i = 0; sub != NULL && i < 50 && rcode == 0; i++) {
		rcode = sentinel_poll(sub, "mymaster", host, sizeof(host), &p);
		if (rcode == 0)
			usleep(50000);
	}
	is_int(rcode, 1, "the switch arrives");
	is_int(p, port("n_slave"), "to the address announced");
	if (sub != NULL)
		redisFree(sub);

	/* the pool: found, READONLY forgets it, asked again */
	pool = pool_over("s_ro s_master", &rc, v);
	rds_pool_say(pool, say, NULL);
	c = rds_get(pool, &fresh, err, sizeof(err));
	ok(c != NULL && fresh, "the pool connects through the Sentinels (%s)",
	    c ? "" : err);
	rds_where(pool, err, sizeof(err));
	snprintf(want, sizeof(want), "127.0.0.1:%d (master mymaster, named "
	    "by sentinel 127.0.0.1:%d)", port("n_ro"), port("s_ro"));
	is_str(err, want, "rds_where says where and who said so");
	ok(strstr(said, "confirmed by ROLE") != NULL, "and tells: %s", said);
	before = count("s_ro");
	ok(c != NULL && rds_cmd(c, 3, set, err, sizeof(err)) == NULL &&
	    strncmp(err, "READONLY", 8) == 0, "a write answered READONLY");
	rds_put(pool, c, 0);
	ok(strstr(said, "READONLY; asking the Sentinels again") != NULL,
	    "which is told: %s", said);
	rds_where(pool, err, sizeof(err));
	ok(strstr(err, "being looked up again") != NULL, "the master is "
	    "forgotten: %s", err);
	c = rds_get(pool, &fresh, err, sizeof(err));
	ok(c != NULL && fresh, "the next borrower gets a new connection");
	is_int((int)count("s_ro"), (int)before + 2, "after asking the "
	    "Sentinel again");
	rds_put(pool, c, 0);
	rds_pool_free(pool);
	for (i = 0; i < (int)rc.nsentinels; i++)
		free(v[i]);

	/* the pool: +switch-master makes it ask again */
	said[0] = '\0';
	pool = pool_over("s_switch", &rc, v);
	rds_pool_say(pool, say, NULL);
	c = rds_get(pool, &fresh, err, sizeof(err));
	ok(c != NULL, "connected through the announcing Sentinel");
	rds_put(pool, c, 0);
	for (i = 0; i < 40 && strstr(said, "+switch-master") == NULL; i++) {
		usleep(50000);
		if ((c = rds_get(pool, &fresh, err, sizeof(err))) != NULL)
			rds_put(pool, c, 0);
	}
	snprintf(want, sizeof(want), "+switch-master to 127.0.0.1:%d; asking "
	    "the Sentinels again", port("n_slave"));
	ok(strstr(said, want) != NULL, "a switch makes the pool ask again: %s",
	    said);
	rds_pool_free(pool);
	for (i = 0; i < (int)rc.nsentinels; i++)
		free(v[i]);

	/* the pool: nobody names a master */
	pool = pool_over("s_nil", &rc, v);
	c = rds_get(pool, &fresh, err, sizeof(err));
	ok(c == NULL && strstr(err, "connect master mymaster: no master "
	    "mymaster: sentinel ") != NULL, "no master: the reason (%s)", err);
	rds_pool_free(pool);
	for (i = 0; i < (int)rc.nsentinels; i++)
		free(v[i]);
	return (done_testing());
}
