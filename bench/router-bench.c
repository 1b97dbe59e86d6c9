/* router-bench.c - the router benchmark's driver: what one assignment
 * decision costs with 10,000 and with 1,000,000 interactions waiting.
 *
 * bench/router.sh runs it against a private redis-server and the real
 * mailacd-router, once per N:
 *
 *   router-bench conf    -p PORT [-s SEED] [-r RPQ]   > mailacd.conf
 *   router-bench preload -p PORT -n N [-s SEED] [-r RPQ]
 *   router-bench drain   -p PORT [-P ROUTER_PID] [-t SECONDS]
 *   router-bench run     -k K [-b BATCH] [-s SEED] [-r RPQ]
 *                        -p PORT -n N [-P ROUTER_PID] [-p PORT -n N ...]
 *
 * The model, the same for every N with the same seed: one organisation
 * "bench", 50 queues (longest-idle, least-busy and round-robin), 200
 * distinct requirement sets (a language or none, one to three of 12
 * skills), each queue receiving RPQ of them (default 20, so that every set
 * reaches 5 queues; -r 200: every set in every queue), and 1,000 agents in
 * three queues each with capacity 1 to 3, skills and languages such that
 * every (queue, requirement set) pair has an eligible agent and every agent
 * is eligible for something.
 *
 * conf writes the configuration (the roster included) for mailacd-router.
 * preload writes the roster with FCALL mailacd_sync (all agents offline)
 * and adds N + C entries, C the roster's total capacity, to the ingest
 * stream, shaped like the milter's; the router queues them.  drain waits
 * until the group "routers" has read and acknowledged everything.
 *
 * run takes every Redis given (one -p/-n/-P each, the same seed), makes
 * every agent available (FCALL mailacd_presence: each fills up to
 * capacity, leaving N waiting), then times K decisions per Redis, in
 * batches alternating between them (A B B A A B ...) so that a change in
 * the machine's load falls on every N alike.  A decision: close one
 * interaction an agent holds (FCALL mailacd_close, which frees capacity
 * and assigns that agent's next interaction in the same call), one round
 * trip each.  Between batches of BATCH decisions, untimed, every
 * interaction assigned is replaced by a new stream entry with the same
 * queue, requirements and priority, which the router queues: the number
 * of waiting interactions and their spread over the buckets stay as they
 * were.  Assignments are counted from the replies and checked against the
 * assignments stream; round trips are counted here and checked against
 * INFO commandstats (cmdstat_fcall) around every timed batch, which also
 * give Redis's CPU time (INFO cpu) and the commands the library ran.
 * Results are "key=value" lines on stdout, prefixed with N for run. */
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis.h>

#include "cfg.h"
#include "clock.h"
#include "fn.h"
#include "keys.h"
#include "rds.h"

#define B_ORG		"bench"
#define B_NQUEUES	50
#define B_NREQ		200
#define B_NAGENTS	1000
#define B_NSKILLS	12
#define B_NLANGS	5
#define B_AQUEUES	3	/* queues per agent */
#define B_CAPMAX	3
#define B_PIPE		1000	/* commands per pipelined round */
#define B_HELD		CFG_CAPACITY_MAX

static const char *b_langs[B_NLANGS] = { "en", "es", "fr", "de", "pt" };

struct b_req {
	int	lang;		/* index into b_langs, -1: any language */
	unsigned skills;	/* bit i: skill "sI" */
};

struct b_agent {
	unsigned skills;
	unsigned langs;
	int	cap;
	int	q[B_AQUEUES];
	int	nheld;
	char	held[B_HELD][33];
};

struct b_model {
	uint64_t seed;
	int	rpq;			/* requirement sets per queue */
	struct b_req req[B_NREQ];
	int	*qreq;			/* B_NQUEUES x rpq set indexes */
	struct b_agent ag[B_NAGENTS];
	long long captotal;
};

/* an interaction's attributes */
struct b_ix {
	int	q, r, prio;
};

static const char *b_prog = "router-bench";

/* b_die - print a message and exit */
static void __attribute__((noreturn, format(printf, 1, 2)))
b_die(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "%s: ", b_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* b_splitmix - one step of splitmix64 on *S */
static uint64_t
b_splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/* b_hash - a counter-based random number: stream SALT, element I */
static uint64_t
b_hash(uint64_t seed, uint64_t salt, uint64_t i)
{
	uint64_t s = seed * 0x2545f4914f6cdd1dULL + salt * 0x9e3779b97f4a7c15ULL +
	    i * 0xd1b54a32d192ed03ULL;

	b_splitmix(&s);
	return (b_splitmix(&s));
}

/* b_rnd - uniform in [0, N) from state *S */
static unsigned
b_rnd(uint64_t *s, unsigned n)
{
	return ((unsigned)(b_splitmix(s) % n));
}

/* b_now_ns - monotonic nanoseconds */
static long long
b_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
}

/* b_popcount - bits set in V */
static int
b_popcount(unsigned v)
{
	int	n = 0;

	for (; v != 0; v &= v - 1)
		n++;
	return (n);
}

/* b_eligible - may agent A take work of requirement set R? */
static int
b_eligible(const struct b_agent *a, const struct b_req *r)
{
	if (r->lang >= 0 && !(a->langs & (1u << r->lang)))
		return (0);
	return ((a->skills & r->skills) == r->skills);
}

/* b_serves - does agent A serve queue Q? */
static int
b_serves(const struct b_agent *a, int q)
{
	int	i;

	for (i = 0; i < B_AQUEUES; i++)
		if (a->q[i] == q)
			return (1);
	return (0);
}

/* b_model_make - the queues, requirement sets and roster for SEED */
static void
b_model_make(struct b_model *m, uint64_t seed, int rpq)
{
	uint64_t s = seed ^ 0x6d61696c61636421ULL;
	int	perm[B_NREQ], i, j, q, r, t;

	memset(m, 0, sizeof(*m));
	m->seed = seed;
	m->rpq = rpq;
	/* 200 distinct requirement sets */
	for (i = 0; i < B_NREQ; i++) {
		struct b_req *x = &m->req[i];
		int	dup;

		do {
			int	nsk = 1 + (int)b_rnd(&s, 3);

			x->lang = (int)b_rnd(&s, B_NLANGS + 1) - 1;
			x->skills = 0;
			while (b_popcount(x->skills) < nsk)
				x->skills |= 1u << b_rnd(&s, B_NSKILLS);
			for (dup = 0, j = 0; j < i && !dup; j++)
				dup = m->req[j].lang == x->lang &&
				    m->req[j].skills == x->skills;
		} while (dup);
	}
	/* RPQ of them per queue, each set reaching as many queues as any
	 * other (give or take one) */
	for (i = 0; i < B_NREQ; i++)
		perm[i] = i;
	for (i = B_NREQ - 1; i > 0; i--) {
		j = (int)b_rnd(&s, (unsigned)i + 1);
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	if ((m->qreq = calloc((size_t)B_NQUEUES * (size_t)rpq,
	    sizeof(*m->qreq))) == NULL)
		b_die("out of memory");
	for (q = 0; q < B_NQUEUES; q++)
		for (j = 0; j < rpq; j++)
			m->qreq[q * rpq + j] = perm[(q * rpq + j) % B_NREQ];
	/* the roster: every queue first of 20 agents, two more queues each */
	for (i = 0; i < B_NAGENTS; i++) {
		struct b_agent *a = &m->ag[i];

		for (j = 0; j < B_AQUEUES; j++)
			a->q[j] = -1;
		a->q[0] = i % B_NQUEUES;
		for (j = 1; j < B_AQUEUES; j++) {
			do
				q = (int)b_rnd(&s, B_NQUEUES);
			while (b_serves(a, q));
			a->q[j] = q;
		}
		a->langs = 1u << b_rnd(&s, B_NLANGS);
		if (b_rnd(&s, 2))
			a->langs |= 1u << b_rnd(&s, B_NLANGS);
		t = 4 + (int)b_rnd(&s, 5);
		while (b_popcount(a->skills) < t)
			a->skills |= 1u << b_rnd(&s, B_NSKILLS);
		a->cap = 1 + (int)b_rnd(&s, B_CAPMAX);
	}
	/* every (queue, set) pair has an eligible agent in the queue */
	for (q = 0; q < B_NQUEUES; q++)
		for (j = 0; j < rpq; j++) {
			const struct b_req *x = &m->req[m->qreq[q * rpq + j]];
			int	found = 0, n = 0, pick;

			for (i = 0; i < B_NAGENTS && !found; i++)
				found = b_serves(&m->ag[i], q) &&
				    b_eligible(&m->ag[i], x);
			if (found)
				continue;
			for (i = 0; i < B_NAGENTS; i++)
				n += b_serves(&m->ag[i], q);
			pick = (int)b_rnd(&s, (unsigned)n);
			for (i = 0; i < B_NAGENTS; i++)
				if (b_serves(&m->ag[i], q) && pick-- == 0)
					break;
			m->ag[i].skills |= x->skills;
			if (x->lang >= 0)
				m->ag[i].langs |= 1u << x->lang;
		}
	/* and every agent is eligible for some work */
	for (i = 0; i < B_NAGENTS; i++) {
		struct b_agent *a = &m->ag[i];
		int	found = 0, k;

		for (k = 0; k < B_AQUEUES && !found; k++)
			for (j = 0; j < rpq && !found; j++)
				found = b_eligible(a,
				    &m->req[m->qreq[a->q[k] * rpq + j]]);
		if (!found) {
			r = m->qreq[a->q[0] * rpq + (int)b_rnd(&s,
			    (unsigned)rpq)];
			a->skills |= m->req[r].skills;
			if (m->req[r].lang >= 0)
				a->langs |= 1u << m->req[r].lang;
		}
		m->captotal += a->cap;
	}
}

/* b_list - the names of the bits of V ("sI" or languages), comma
 * separated (QUOTE: each in double quotes, for the configuration) */
static void
b_list(char *buf, size_t len, unsigned v, int langs, int quote)
{
	size_t	off = 0;
	int	i, n = langs ? B_NLANGS : B_NSKILLS;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		char	name[16];

		if (!(v & (1u << i)))
			continue;
		if (langs)
			snprintf(name, sizeof(name), "%s", b_langs[i]);
		else
			snprintf(name, sizeof(name), "s%02d", i);
		off += (size_t)snprintf(buf + off, len - off, "%s%s%s%s",
		    off ? (quote ? ", " : ",") : "", quote ? "\"" : "", name,
		    quote ? "\"" : "");
		if (off >= len)
			b_die("list too long");
	}
}

/* b_strategy - queue Q's strategy: the three kinds, mixed */
static const char *
b_strategy(int q)
{
	return (q % 5 == 3 ? "least-busy" : q % 5 == 4 ? "round-robin" :
	    "longest-idle");
}

/* b_ix_attrs - queue, requirement set and priority of preloaded
 * interaction I */
static struct b_ix
b_ix_attrs(const struct b_model *m, long long i)
{
	uint64_t h = b_hash(m->seed, 1, (uint64_t)i);
	struct b_ix x;
	unsigned p;

	x.q = (int)(h % B_NQUEUES);
	x.r = m->qreq[x.q * m->rpq + (int)((h >> 16) % (unsigned)m->rpq)];
	p = (unsigned)((h >> 40) % 10);
	x.prio = p < 8 ? 0 : p == 8 ? 10 : 20;
	return (x);
}

/* b_ix_id - interaction I's id: 16 random hex digits, then I in hex */
static void
b_ix_id(const struct b_model *m, long long i, char id[33])
{
	snprintf(id, 33, "%016llx%016llx",
	    (unsigned long long)b_hash(m->seed, 2, (uint64_t)i),
	    (unsigned long long)i);
}

/* b_ix_index - the I of an id made by b_ix_id, or -1 */
static long long
b_ix_index(const char *id)
{
	if (strlen(id) != 32)
		return (-1);
	return ((long long)strtoull(id + 16, NULL, 16));
}

/* b_connect - a context on 127.0.0.1:PORT */
static redisContext *
b_connect(int port)
{
	struct timeval tv = { 60, 0 };
	redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);

	if (c == NULL || c->err)
		b_die("redis 127.0.0.1:%d: %s", port, c ? c->errstr :
		    "out of memory");
	redisSetTimeout(c, tv);
	return (c);
}

/* b_cmd - one command; dies on a connection or error reply */
static redisReply *
b_cmd(redisContext *c, int argc, const char **argv)
{
	redisReply *r = redisCommandArgv(c, argc, argv, NULL);

	if (r == NULL)
		b_die("%s: %s", argv[0], c->errstr);
	if (r->type == REDIS_REPLY_ERROR)
		b_die("%s %s: %s", argv[0], argc > 1 ? argv[1] : "", r->str);
	return (r);
}

/* b_get - the next pipelined reply; dies on a connection or error reply */
static redisReply *
b_get(redisContext *c, const char *what)
{
	redisReply *r = NULL;

	if (redisGetReply(c, (void **)&r) != REDIS_OK || r == NULL)
		b_die("%s: %s", what, c->errstr);
	if (r->type == REDIS_REPLY_ERROR)
		b_die("%s: %s", what, r->str);
	return (r);
}

/* ---- conf --------------------------------------------------------------- */

static void
b_conf(const struct b_model *m, int port)
{
	char	sk[256], lg[64];
	int	q, i, j;

	printf("# mailacd.conf written by router-bench (seed %llu, %d "
	    "requirement sets per queue)\n", (unsigned long long)m->seed,
	    m->rpq);
	printf("redis = {\n\thost = \"127.0.0.1\";\n\tport = %d;\n"
	    "\tconnect_timeout_ms = 1000;\n\tcommand_timeout_ms = 30000;\n};\n",
	    port);
	printf("milter = {\n\tsocket = \"inet:8891@127.0.0.1\";\n};\n");
	printf("router = {\n\tconsumer = \"bench\";\n\tbatch = 100;\n"
	    "\tclaim_idle_ms = 1000;\n\tingest_retention = 0;\n};\n");
	printf("organizations = (\n  {\n    id = \"%s\";\n    queues = (\n",
	    B_ORG);
	for (q = 0; q < B_NQUEUES; q++)
		printf("      { name = \"q%02d\"; strategy = \"%s\"; "
		    "service_level = 3600; }%s\n", q, b_strategy(q),
		    q + 1 < B_NQUEUES ? "," : "");
	printf("    );\n    agents = (\n");
	for (i = 0; i < B_NAGENTS; i++) {
		const struct b_agent *a = &m->ag[i];

		b_list(sk, sizeof(sk), a->skills, 0, 1);
		b_list(lg, sizeof(lg), a->langs, 1, 1);
		printf("      { id = \"a%04d\"; address = \"a%04d@agents.bench."
		    "test\"; skills = [ %s ]; languages = [ %s ]; capacity = "
		    "%d; queues = [ ", i, i, sk, lg, a->cap);
		for (j = 0; j < B_AQUEUES; j++)
			printf("%s\"q%02d\"", j ? ", " : "", a->q[j]);
		printf(" ]; }%s\n", i + 1 < B_NAGENTS ? "," : "");
	}
	printf("    );\n  }\n);\n");
}

/* ---- preload ------------------------------------------------------------ */

/* b_sync - FCALL mailacd_sync with the roster (presence is kept: new
 * agents are offline) */
static void
b_sync(redisContext *c, const struct b_model *m)
{
	static char names[B_NQUEUES][16], ids[B_NAGENTS][16], addrs[B_NAGENTS][48],
	    sks[B_NAGENTS][64], lgs[B_NAGENTS][24], qs[B_NAGENTS][16];
	struct fn_cmd cmd;
	char	err[512];
	redisReply *r;
	int	q, i, j;

	fn_sync(&cmd, B_ORG, B_NQUEUES);
	for (q = 0; q < B_NQUEUES; q++) {
		snprintf(names[q], sizeof(names[q]), "q%02d", q);
		fn_sync_queue(&cmd, names[q], b_strategy(q), 3600, "notify");
	}
	fn_sync_agents(&cmd, B_NAGENTS);
	for (i = 0; i < B_NAGENTS; i++) {
		const struct b_agent *a = &m->ag[i];
		size_t	off = 0;

		snprintf(ids[i], sizeof(ids[i]), "a%04d", i);
		snprintf(addrs[i], sizeof(addrs[i]), "a%04d@agents.bench.test",
		    i);
		b_list(sks[i], sizeof(sks[i]), a->skills, 0, 0);
		b_list(lgs[i], sizeof(lgs[i]), a->langs, 1, 0);
		for (j = 0; j < B_AQUEUES; j++)
			off += (size_t)snprintf(qs[i] + off, sizeof(qs[i]) - off,
			    "%sq%02d", j ? "," : "", a->q[j]);
		fn_sync_agent(&cmd, ids[i], addrs[i], sks[i], lgs[i], a->cap,
		    qs[i]);
	}
	if (fn_run(c, &cmd, &r, err, sizeof(err)) != 0)
		b_die("mailacd_sync: %s", err);
	fn_cmd_free(&cmd);
	if (r->type == REDIS_REPLY_ERROR)
		b_die("mailacd_sync: %s", r->str);
	freeReplyObject(r);
}

/* b_xadd_append - queue one XADD of interaction I (attributes X) on C,
 * shaped like the milter's hand-off */
static void
b_xadd_append(redisContext *c, const struct b_model *m, const char *stream,
    long long i, struct b_ix x, long long arrived)
{
	char	id[33], queue[8], skills[64], prio[8], arr[24], sender[64],
		addr[64], msgid[80], subject[80], from[96], qid[24];
	const char *argv[3 + 2 * 20];
	int	argc = 0;
	unsigned cust = (unsigned)(b_hash(m->seed, 3, (uint64_t)i) % 100000);

	b_ix_id(m, i, id);
	snprintf(queue, sizeof(queue), "q%02d", x.q);
	b_list(skills, sizeof(skills), m->req[x.r].skills, 0, 0);
	snprintf(prio, sizeof(prio), "%d", x.prio);
	snprintf(arr, sizeof(arr), "%lld", arrived);
	snprintf(sender, sizeof(sender), "customer%u@mail.bench.test", cust);
	snprintf(addr, sizeof(addr), "%s-r%03d@support.bench.test", queue, x.r);
	snprintf(msgid, sizeof(msgid), "<%.16s.%lld@mail.bench.test>", id, i);
	snprintf(subject, sizeof(subject), "Order %lld: a question about "
	    "my invoice", 100000 + i);
	snprintf(from, sizeof(from), "Customer %u <customer%u@mail.bench.test>",
	    cust, cust);
	snprintf(qid, sizeof(qid), "4B%010llX", (unsigned long long)i);
	argv[argc++] = "XADD";
	argv[argc++] = stream;
	argv[argc++] = "*";
#define F(k, v)	do { argv[argc++] = (k); argv[argc++] = (v); } while (0)
	F(KEYS_F_VERSION, KEYS_SCHEMA);
	F(KEYS_F_ID, id);
	F(KEYS_F_ORG, B_ORG);
	F(KEYS_F_QUEUE, queue);
	F(KEYS_F_SKILLS, skills);
	F(KEYS_F_LANGUAGE, m->req[x.r].lang >= 0 ? b_langs[m->req[x.r].lang] :
	    "");
	F(KEYS_F_PRIORITY, prio);
	F(KEYS_F_ARRIVED, arr);
	F(KEYS_F_SENDER, sender);
	F(KEYS_F_ADDRESS, addr);
	F(KEYS_F_RCPT, addr);
	F(KEYS_F_MATCH, "address");
	F(KEYS_F_MSGID, msgid);
	F(KEYS_F_INREPLYTO, "");
	F(KEYS_F_REFERENCES, "");
	F(KEYS_F_SUBJECT, subject);
	F(KEYS_F_FROM, from);
	F(KEYS_F_SIZE, "4096");
	F(KEYS_F_QID, qid);
	F(KEYS_F_AUTO, "");
#undef F
	if (rds_append(c, argc, argv) != 0)
		b_die("XADD: out of memory");
}

static void
b_preload(redisContext *c, const struct b_model *m, long long n)
{
	char	stream[300], err[512];
	long long total = n + m->captotal, i, done = 0, t0, base;
	redisReply *r;

	if (fn_load(c, err, sizeof(err)) != 0)
		b_die("FUNCTION LOAD: %s", err);
	b_sync(c, m);
	keys_fmt(stream, sizeof(stream), KEYS_FMT_INGEST, B_ORG);
	t0 = b_now_ns();
	/* arrived one millisecond apart, the last one now */
	base = clock_ms() - total;
	while (done < total) {
		long long k = total - done < B_PIPE ? total - done : B_PIPE;

		for (i = 0; i < k; i++)
			b_xadd_append(c, m, stream, done + i,
			    b_ix_attrs(m, done + i), base + done + i);
		for (i = 0; i < k; i++) {
			r = b_get(c, "XADD");
			freeReplyObject(r);
		}
		done += k;
	}
	printf("preload_entries=%lld\n", total);
	printf("capacity_total=%lld\n", m->captotal);
	printf("xadd_ms=%.0f\n", (b_now_ns() - t0) / 1e6);
}

/* ---- drain -------------------------------------------------------------- */

/* b_drained - has the group "routers" read and acknowledged every entry
 * of the ingest stream?  -1: no group yet */
static int
b_drained(redisContext *c)
{
	char	stream[300], last[64] = "", delivered[64] = "";
	const char *xs[3] = { "XINFO", "STREAM", stream };
	const char *xg[3] = { "XINFO", "GROUPS", stream };
	long long pending = -1;
	redisReply *r;
	size_t	i, j;

	keys_fmt(stream, sizeof(stream), KEYS_FMT_INGEST, B_ORG);
	r = b_cmd(c, 3, xs);
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2)
		if (r->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(r->element[i]->str, "last-generated-id") == 0)
			snprintf(last, sizeof(last), "%s",
			    r->element[i + 1]->str);
	freeReplyObject(r);
	r = b_cmd(c, 3, xg);
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		redisReply *g = r->element[i];
		int	ours = 0;
		long long p = -1;
		char	d[64] = "";

		for (j = 0; g->type == REDIS_REPLY_ARRAY && j + 1 < g->elements;
		    j += 2) {
			redisReply *k = g->element[j], *v = g->element[j + 1];

			if (k->type != REDIS_REPLY_STRING)
				continue;
			if (strcmp(k->str, "name") == 0)
				ours = v->type == REDIS_REPLY_STRING &&
				    strcmp(v->str, KEYS_GROUP) == 0;
			else if (strcmp(k->str, "pending") == 0)
				p = v->integer;
			else if (strcmp(k->str, "last-delivered-id") == 0 &&
			    v->type == REDIS_REPLY_STRING)
				snprintf(d, sizeof(d), "%s", v->str);
		}
		if (ours) {
			pending = p;
			snprintf(delivered, sizeof(delivered), "%s", d);
		}
	}
	freeReplyObject(r);
	if (pending < 0)
		return (-1);
	return (pending == 0 && strcmp(last, delivered) == 0);
}

/* b_drain - wait until drained (LIMIT seconds); the wait in ms */
static double
b_drain(redisContext *c, pid_t router, int limit)
{
	long long t0 = b_now_ns(), deadline = t0 + (long long)limit * 1000000000LL;
	int	d;

	while ((d = b_drained(c)) != 1) {
		if (router > 0 && kill(router, 0) != 0)
			b_die("mailacd-router (pid %ld) is gone", (long)router);
		if (b_now_ns() > deadline)
			b_die("the router did not drain the ingest stream in %d s",
			    limit);
		usleep(d < 0 ? 20000 : 1000);
	}
	return ((b_now_ns() - t0) / 1e6);
}

/* ---- run ---------------------------------------------------------------- */

/* What INFO says about the commands run and the CPU used. */
#define B_NCMD		96
struct b_snap {
	int	n;
	struct {
		char	name[48];
		long long calls, usec;
	}	c[B_NCMD];
	long long cpu;		/* user + system, microseconds */
};

/* One Redis (one N) under measurement. */
struct b_run {
	struct b_model *m;		/* own copy: agents hold work */
	redisContext *c;
	pid_t	router;
	long long n;
	uint64_t rng;			/* picks agents and interactions */
	char	schema[300], stream[300], astream[300];
	char	alast[64];		/* last assignments entry seen */
	long long next;			/* index of the next new interaction */
	long long preloaded;		/* indexes below: b_ix_attrs() */
	struct b_ix *tattr;		/* attributes of indexes >= preloaded */
	long long ntattr, captattr;
	struct b_ix *pend;		/* assigned since the last top-up */
	long long npend, cappend;
	long long unknown;		/* assigned ids not ours */
	/* the measurement */
	long long *lat;			/* ns of each timed decision */
	long long done, assigned, rt, wall, viaq, arrivals,
		topups, empty, w0, w1, pres_ns, pres_assigned;
	struct b_snap prof;		/* INFO over the timed batches */
};

/* b_attrs - attributes of interaction I */
static struct b_ix
b_attrs(struct b_run *br, long long i)
{
	struct b_ix none = { -1, -1, 0 };

	if (i >= 0 && i < br->preloaded)
		return (b_ix_attrs(br->m, i));
	if (i >= br->preloaded && i - br->preloaded < br->ntattr)
		return (br->tattr[i - br->preloaded]);
	return (none);
}

/* b_held_add - agent AGENT ("aNNNN") now holds interaction ID; what was
 * assigned is replaced at the next top-up */
static void
b_held_add(struct b_run *br, const char *agent, const char *id)
{
	struct b_agent *a;
	struct b_ix x;
	int	i;

	if (agent[0] != 'a' || (i = atoi(agent + 1)) < 0 || i >= B_NAGENTS)
		b_die("assignment to an unknown agent %s", agent);
	a = &br->m->ag[i];
	if (a->nheld >= B_HELD)
		b_die("agent %s holds more than %d", agent, B_HELD);
	snprintf(a->held[a->nheld++], sizeof(a->held[0]), "%s", id);
	x = b_attrs(br, b_ix_index(id));
	if (x.q < 0) {
		br->unknown++;
		return;
	}
	if (br->npend == br->cappend) {
		br->cappend = br->cappend ? 2 * br->cappend : 4096;
		if ((br->pend = realloc(br->pend, (size_t)br->cappend *
		    sizeof(*br->pend))) == NULL)
			b_die("out of memory");
	}
	br->pend[br->npend++] = x;
}

/* b_assigned - parse the "assigned" list of a library reply (JSON),
 * record each assignment; the count */
static int
b_assigned(struct b_run *br, const char *json)
{
	const char *p, *end, *o;
	int	n = 0;

	if ((p = strstr(json, "\"assigned\":[")) == NULL)
		return (0);
	p += strlen("\"assigned\":[");
	if ((end = strchr(p, ']')) == NULL)
		b_die("malformed reply: %s", json);
	for (o = p; (o = memchr(o, '{', (size_t)(end - o))) != NULL; o++) {
		const char *close = memchr(o, '}', (size_t)(end - o));
		const char *ip, *ap;
		char	id[33], agent[16];

		if (close == NULL)
			b_die("malformed reply: %s", json);
		ip = strstr(o, "\"id\":\"");
		ap = strstr(o, "\"agent\":\"");
		if (ip == NULL || ap == NULL || ip > close || ap > close ||
		    sscanf(ip + 6, "%32[0-9a-f]", id) != 1 ||
		    sscanf(ap + 9, "%15[^\"]", agent) != 1)
			b_die("malformed assignment in reply: %s", json);
		b_held_add(br, agent, id);
		n++;
		o = close;
	}
	return (n);
}

/* b_fcall - send library call CMD (built by fn.h), free it; the reply (a
 * string) */
static redisReply *
b_fcall(struct b_run *br, struct fn_cmd *cmd)
{
	redisReply *r;

	if (cmd->failed != NULL)
		b_die("%s: %s", cmd->argv[1], cmd->failed);
	r = b_cmd(br->c, cmd->argc, cmd->argv);
	if (r->type != REDIS_REPLY_STRING)
		b_die("%s: reply of type %d", cmd->argv[1], r->type);
	fn_cmd_free(cmd);
	return (r);
}

/* b_snap_find - the entry for command NAME in S (added when ADD), or -1 */
static int
b_snap_find(struct b_snap *s, const char *name, int add)
{
	int	i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->c[i].name, name) == 0)
			return (i);
	if (!add || s->n == B_NCMD)
		return (-1);
	snprintf(s->c[s->n].name, sizeof(s->c[0].name), "%s", name);
	s->c[s->n].calls = s->c[s->n].usec = 0;
	return (s->n++);
}

/* b_stats - INFO commandstats and cpu into S */
static void
b_stats(redisContext *c, struct b_snap *s)
{
	const char *argv[3] = { "INFO", "commandstats", "cpu" };
	redisReply *r = b_cmd(c, 3, argv);
	const char *p = r->str;
	const char *u = strstr(r->str, "used_cpu_user:");
	const char *y = strstr(r->str, "used_cpu_sys:");

	s->n = 0;
	while ((p = strstr(p, "cmdstat_")) != NULL) {
		char	name[48];
		long long calls, usec;
		int	i;

		if (sscanf(p, "cmdstat_%47[^:]:calls=%lld,usec=%lld", name,
		    &calls, &usec) == 3 && (i = b_snap_find(s, name, 1)) >= 0) {
			s->c[i].calls = calls;
			s->c[i].usec = usec;
		}
		p += 8;
	}
	if (u == NULL || y == NULL)
		b_die("INFO cpu: no used_cpu_user/used_cpu_sys");
	s->cpu = (long long)((strtod(u + 14, NULL) + strtod(y + 13, NULL)) *
	    1e6 + 0.5);
	freeReplyObject(r);
}

/* b_snap_add - add what happened between snapshots S0 and S1 to ACC */
static void
b_snap_add(struct b_snap *acc, const struct b_snap *s0,
    const struct b_snap *s1)
{
	int	i, j, k;

	for (i = 0; i < s1->n; i++) {
		long long c0 = 0, u0 = 0;

		for (j = 0; j < s0->n; j++)
			if (strcmp(s0->c[j].name, s1->c[i].name) == 0) {
				c0 = s0->c[j].calls;
				u0 = s0->c[j].usec;
			}
		if (s1->c[i].calls == c0 ||
		    (k = b_snap_find(acc, s1->c[i].name, 1)) < 0)
			continue;
		acc->c[k].calls += s1->c[i].calls - c0;
		acc->c[k].usec += s1->c[i].usec - u0;
	}
	acc->cpu += s1->cpu - s0->cpu;
}

/* b_waiting - interactions waiting over all queues (ZCARD each) */
static long long
b_waiting(struct b_run *br)
{
	char	key[B_NQUEUES][300];
	long long n = 0;
	int	q;

	for (q = 0; q < B_NQUEUES; q++) {
		char	name[16];
		const char *argv[2] = { "ZCARD", key[q] };

		snprintf(name, sizeof(name), "q%02d", q);
		keys_fmt(key[q], sizeof(key[q]), KEYS_FMT_QUEUE, B_ORG, name);
		if (rds_append(br->c, 2, argv) != 0)
			b_die("out of memory");
	}
	for (q = 0; q < B_NQUEUES; q++) {
		redisReply *r = b_get(br->c, "ZCARD");

		n += r->integer;
		freeReplyObject(r);
	}
	return (n);
}

/* b_tail - read the assignments stream after the last entry seen: count
 * those made the way HOW ("queue": an agent who freed up took waiting
 * work) into *COUNTED; record the others (the router's arrivals, assigned
 * at once to an agent with room) as held, counted in *OTHERS */
static void
b_tail(struct b_run *br, const char *how_count, long long *counted,
    long long *others)
{
	for (;;) {
		char	start[80];
		const char *argv[6] = { "XRANGE", br->astream, start, "+",
		    "COUNT", "1000" };
		redisReply *r;
		size_t	i, j;

		snprintf(start, sizeof(start), "(%s", br->alast);
		r = b_cmd(br->c, 6, argv);
		if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
			freeReplyObject(r);
			return;
		}
		for (i = 0; i < r->elements; i++) {
			redisReply *e = r->element[i], *f = e->element[1];
			const char *id = "", *agent = "", *how = "";

			snprintf(br->alast, sizeof(br->alast), "%s",
			    e->element[0]->str);
			for (j = 0; j + 1 < f->elements; j += 2) {
				const char *k = f->element[j]->str;

				if (strcmp(k, "id") == 0)
					id = f->element[j + 1]->str;
				else if (strcmp(k, "agent") == 0)
					agent = f->element[j + 1]->str;
				else if (strcmp(k, "how") == 0)
					how = f->element[j + 1]->str;
			}
			if (strcmp(how, how_count) == 0)
				(*counted)++;
			else {
				(*others)++;
				b_held_add(br, agent, id);
			}
		}
		freeReplyObject(r);
	}
}

/* b_tail_start - the assignments stream's last entry, to read from */
static void
b_tail_start(struct b_run *br)
{
	const char *argv[6] = { "XREVRANGE", br->astream, "+", "-", "COUNT",
	    "1" };
	redisReply *r = b_cmd(br->c, 6, argv);

	snprintf(br->alast, sizeof(br->alast), "0-0");
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 1)
		snprintf(br->alast, sizeof(br->alast), "%s",
		    r->element[0]->element[0]->str);
	freeReplyObject(r);
}

/* b_topup - one new stream entry per interaction assigned since the last
 * top-up, same queue, requirements and priority, arriving now; wait until
 * the router has queued them */
static long long
b_topup(struct b_run *br)
{
	long long i, k, now = clock_ms(), n = br->npend;

	for (i = 0; i < n; i += k) {
		long long j;

		k = n - i < B_PIPE ? n - i : B_PIPE;
		for (j = 0; j < k; j++) {
			struct b_ix x = br->pend[i + j];

			if (br->ntattr == br->captattr) {
				br->captattr = br->captattr ? 2 * br->captattr :
				    4096;
				if ((br->tattr = realloc(br->tattr,
				    (size_t)br->captattr *
				    sizeof(*br->tattr))) == NULL)
					b_die("out of memory");
			}
			br->tattr[br->ntattr++] = x;
			b_xadd_append(br->c, br->m, br->stream, br->next++, x,
			    now);
		}
		for (j = 0; j < k; j++)
			freeReplyObject(b_get(br->c, "XADD"));
	}
	br->npend = 0;
	if (n > 0)
		b_drain(br->c, br->router, 600);
	return (n);
}

static int
b_cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x < y ? -1 : x > y);
}

/* b_run_init - connect to 127.0.0.1:PORT, where N + capacity interactions
 * were preloaded and queued */
static void
b_run_init(struct b_run *br, uint64_t seed, int rpq, int port, long long n,
    pid_t router, long long k)
{
	memset(br, 0, sizeof(*br));
	if ((br->m = calloc(1, sizeof(*br->m))) == NULL ||
	    (br->lat = calloc((size_t)k, sizeof(*br->lat))) == NULL)
		b_die("out of memory");
	b_model_make(br->m, seed, rpq);
	br->c = b_connect(port);
	br->router = router;
	br->n = n;
	br->rng = seed ^ 0x72756e72756e7275ULL;
	br->preloaded = n + br->m->captotal;
	br->next = br->preloaded;
	keys_fmt(br->schema, sizeof(br->schema), KEYS_FMT_SCHEMA, B_ORG);
	keys_fmt(br->stream, sizeof(br->stream), KEYS_FMT_INGEST, B_ORG);
	snprintf(br->astream, sizeof(br->astream), "mailacd:{%s}:assignments",
	    B_ORG);
}

/* b_run_presence - every agent available: each fills up to capacity,
 * which leaves N waiting */
static void
b_run_presence(struct b_run *br)
{
	long long t0, dummy = 0;
	char	agent[16];
	int	i;

	b_tail_start(br);
	t0 = b_now_ns();
	for (i = 0; i < B_NAGENTS; i++) {
		struct fn_cmd cmd;
		redisReply *r;

		snprintf(agent, sizeof(agent), "a%04d", i);
		fn_presence(&cmd, B_ORG, agent, "available");
		r = b_fcall(br, &cmd);
		br->pres_assigned += b_assigned(br, r->str);
		freeReplyObject(r);
	}
	br->pres_ns = b_now_ns() - t0;
	/* the capacity was preloaded on top of N: no top-up for these */
	br->npend = 0;
	b_tail(br, "queue", &dummy, &br->arrivals);
	br->arrivals = 0;
	br->w0 = b_waiting(br);
}

/* b_run_batch - NB timed decisions, then the untimed top-up */
static void
b_run_batch(struct b_run *br, long long nb)
{
	static struct b_snap s0, s1;
	long long j;

	b_stats(br->c, &s0);
	for (j = 0; j < nb; j++) {
		struct b_agent *a;
		struct fn_cmd cmd;
		redisReply *r;
		char	id[33];
		long long ts, ns;
		int	tries = 0, h;

		/* a random agent holding work, one of theirs at random */
		do
			a = &br->m->ag[b_rnd(&br->rng, B_NAGENTS)];
		while (a->nheld == 0 && ++tries < 100000);
		if (a->nheld == 0)
			b_die("no agent holds any work");
		h = (int)b_rnd(&br->rng, (unsigned)a->nheld);
		snprintf(id, sizeof(id), "%s", a->held[h]);
		memmove(a->held[h], a->held[h + 1],
		    (size_t)(a->nheld - h - 1) * sizeof(a->held[0]));
		a->nheld--;
		fn_close(&cmd, B_ORG, id, "bench");
		ts = b_now_ns();
		r = b_fcall(br, &cmd);
		ns = b_now_ns() - ts;
		br->rt++;
		br->lat[br->done++] = ns;
		br->wall += ns;
		h = b_assigned(br, r->str);
		br->assigned += h;
		br->empty += h == 0;
		freeReplyObject(r);
	}
	b_stats(br->c, &s1);
	/* INFO itself is no FCALL: the FCALLs are our closes alone unless
	 * something else called the library meanwhile */
	b_snap_add(&br->prof, &s0, &s1);
	/* cross-check with the assignments stream */
	b_tail(br, "queue", &br->viaq, &br->arrivals);
	br->topups += b_topup(br);
	/* arrivals the router assigned at once (an agent had room) */
	b_tail(br, "queue", &br->viaq, &br->arrivals);
}

static int
b_cmp_usec(const void *a, const void *b)
{
	const long long x = ((const long long *)a)[1];
	const long long y = ((const long long *)b)[1];

	return (x > y ? -1 : x < y);
}

/* b_run_report - "N key=value" lines */
static void
b_run_report(struct b_run *br)
{
	long long n = br->n, k = br->done, a = br->assigned, fc = 0, fus = 0;
	long long order[B_NCMD][2];
	int	i, f;

	br->w1 = b_waiting(br);
	qsort(br->lat, (size_t)k, sizeof(*br->lat), b_cmp_ll);
	if ((f = b_snap_find(&br->prof, "fcall", 0)) >= 0) {
		fc = br->prof.c[f].calls;
		fus = br->prof.c[f].usec;
	}
#define R(key, fmt, v)	printf("%lld " key "=" fmt "\n", n, v)
	R("decisions", "%lld", k);
	R("assignments", "%lld", a);
	R("assignments_stream", "%lld", br->viaq);
	R("closes_without_assignment", "%lld", br->empty);
	R("arrival_assignments", "%lld", br->arrivals);
	R("unknown_ids", "%lld", br->unknown);
	R("waiting_start", "%lld", br->w0);
	R("waiting_end", "%lld", br->w1);
	R("topups", "%lld", br->topups);
	R("round_trips", "%lld", br->rt);
	R("server_fcalls", "%lld", fc);
	R("rt_per_assignment", "%.4f", a ? (double)br->rt / a : 0);
	R("server_rt_per_assignment", "%.4f", a ? (double)fc / a : 0);
	R("us_per_assignment", "%.2f", a ? br->wall / 1e3 / a : 0);
	R("assignments_per_s", "%.1f", br->wall ? a * 1e9 / br->wall : 0);
	R("server_us_per_assignment", "%.2f", a ? (double)fus / a : 0);
	R("redis_cpu_us_per_assignment", "%.2f",
	    a ? (double)br->prof.cpu / a : 0);
	R("p50_us", "%.1f", br->lat[k / 2] / 1e3);
	R("p99_us", "%.1f", br->lat[(k * 99) / 100] / 1e3);
	R("presence_ms", "%.1f", br->pres_ns / 1e6);
	R("presence_assignments", "%lld", br->pres_assigned);
#undef R
	/* the commands the library ran per decision, costliest first */
	for (i = 0; i < br->prof.n; i++) {
		order[i][0] = i;
		order[i][1] = br->prof.c[i].usec;
	}
	qsort(order, (size_t)br->prof.n, sizeof(order[0]), b_cmp_usec);
	for (i = 0; i < br->prof.n; i++) {
		const char *name = br->prof.c[order[i][0]].name;
		long long c = br->prof.c[order[i][0]].calls;
		long long u = br->prof.c[order[i][0]].usec;

		if (strcmp(name, "info") == 0)
			continue;
		printf("%lld cmd.%s=%.2f,%.2f,%.1f\n", n, name, (double)c / k,
		    c ? (double)u / c : 0, (double)u / k);
	}
}

/* b_run_free - close and free */
static void
b_run_free(struct b_run *br)
{
	redisFree(br->c);
	free(br->m->qreq);
	free(br->m);
	free(br->lat);
	free(br->tattr);
	free(br->pend);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: router-bench conf    -p PORT [-s SEED] [-r RPQ]\n"
	    "       router-bench preload -p PORT -n N [-s SEED] [-r RPQ]\n"
	    "       router-bench drain   -p PORT [-P ROUTER_PID] [-t SECONDS]\n"
	    "       router-bench run     -k K [-b BATCH] [-s SEED] [-r RPQ]\n"
	    "                            -p PORT -n N [-P ROUTER_PID] ...\n"
	    "run: one -p/-n(/-P) per Redis; batches alternate between them\n");
	exit(2);
}

#define B_MAXRUN	4

int
main(int argc, char **argv)
{
	static struct b_model model;
	static struct b_run runs[B_MAXRUN];
	const char *cmd;
	long long n[B_MAXRUN], k = 20000, round;
	int	ch, port[B_MAXRUN], np = 0, nn = 0, npid = 0, rpq = 20,
		batch = 1000, limit = 1800, i;
	uint64_t seed = 1;
	pid_t	router[B_MAXRUN] = { 0 };
	redisContext *c;
	char	err[512];

	if (argc < 2)
		usage();
	cmd = argv[1];
	optind = 2;
	while ((ch = getopt(argc, argv, "b:k:n:p:P:r:s:t:")) != -1) {
		switch (ch) {
		case 'b':
			batch = atoi(optarg);
			break;
		case 'k':
			k = atoll(optarg);
			break;
		case 'n':
			if (nn == B_MAXRUN)
				usage();
			n[nn++] = atoll(optarg);
			break;
		case 'p':
			if (np == B_MAXRUN)
				usage();
			port[np++] = atoi(optarg);
			break;
		case 'P':
			if (npid == B_MAXRUN)
				usage();
			router[npid++] = (pid_t)atol(optarg);
			break;
		case 'r':
			rpq = atoi(optarg);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 10);
			break;
		case 't':
			limit = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || np < 1 || rpq < 1 || rpq > B_NREQ ||
	    batch < 1 || k < 1)
		usage();
	for (i = 0; i < np; i++)
		if (port[i] <= 0 || port[i] > 65535)
			usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(cmd, "conf") == 0) {
		b_model_make(&model, seed, rpq);
		b_conf(&model, port[0]);
		free(model.qreq);
		return (0);
	}
	if (strcmp(cmd, "preload") == 0) {
		if (nn != 1 || n[0] < 0)
			usage();
		b_model_make(&model, seed, rpq);
		c = b_connect(port[0]);
		b_preload(c, &model, n[0]);
		redisFree(c);
		free(model.qreq);
		return (0);
	}
	if (strcmp(cmd, "drain") == 0) {
		c = b_connect(port[0]);
		printf("drain_ms=%.0f\n", b_drain(c, router[0], limit));
		redisFree(c);
		return (0);
	}
	if (strcmp(cmd, "run") != 0 || nn != np || (npid != 0 && npid != np))
		usage();
	for (i = 0; i < np; i++) {
		if (n[i] < 0)
			usage();
		b_run_init(&runs[i], seed, rpq, port[i], n[i], router[i], k);
		if (fn_load(runs[i].c, err, sizeof(err)) != 0)
			b_die("FUNCTION LOAD: %s", err);
		b_run_presence(&runs[i]);
	}
	/* batches alternate, A B B A A B ..., so that a change in the
	 * machine's load falls on every N alike */
	for (round = 0; runs[0].done < k; round++)
		for (i = 0; i < np; i++) {
			struct b_run *br = &runs[round % 2 ? np - 1 - i : i];
			long long nb = k - br->done < batch ? k - br->done :
			    batch;

			b_run_batch(br, nb);
		}
	for (i = 0; i < np; i++) {
		b_run_report(&runs[i]);
		b_run_free(&runs[i]);
	}
	return (0);
}
