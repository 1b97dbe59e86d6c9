/* handoff-bench.c - the milter's hand-off alone, as fast as Redis takes
 * it: how many hand-offs one Redis core serves.
 *
 *   handoff-bench -p PORT [-c CLIENTS] [-n PER_CLIENT] [-d DEPTH]
 *                 [-s COPY_BYTES] [-o ORG] [-t TAG]
 *
 * CLIENTS processes each connect to the Redis on 127.0.0.1:PORT and send
 * PER_CLIENT calls of mailacd_handoff, DEPTH at a time in one pipeline,
 * built by the milter's own constructor (fn_handoff, fn_field) with the
 * fields the milter writes for a new message from a person to a queue: a
 * seen key, an own thread key, the customer's open key and hourly rate
 * counter (limit 60, as milter.sender_rate_limit's default; customers are
 * many, so nobody reaches it), the participants set, and the 21 stream
 * fields.  With -s, each hand-off first stores a forward copy of
 * COPY_BYTES (HSET msg:HEX data size complete + EXPIRE, as the milter
 * does in forward mode) and passes stored = 1.  TAG makes the messages of
 * one run distinct from another's (default: the pid).
 *
 * Printed, one key=value a line: handoffs, errors (replies other than
 * "new"), seconds (wall clock of the whole run), rate (hand-offs a
 * second), redis_cpu_s (Redis's main thread, user + system, during the
 * run: INFO cpu), per_core (hand-offs per second of Redis main-thread
 * CPU: what one core serves when Redis is the bottleneck), fcall_us (INFO
 * commandstats: Redis's time in FCALL per call). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis.h>

#include "fn.h"
#include "keys.h"

static const char *hb_host = "127.0.0.1";
static int hb_port = 6379;

/* hb_die - say why and stop */
static void
hb_die(const char *what, const char *why)
{
	fprintf(stderr, "handoff-bench: %s: %s\n", what, why);
	exit(1);
}

/* hb_connect - a connection to the Redis under test, or die */
static redisContext *
hb_connect(void)
{
	redisContext *c = redisConnect(hb_host, hb_port);

	if (c == NULL || c->err)
		hb_die("connect", c != NULL ? c->errstr : "out of memory");
	return (c);
}

/* hb_now - monotonic seconds */
static double
hb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* hb_info - the number after "NAME:" in INFO SECTION, or -1 */
static double
hb_info(redisContext *c, const char *section, const char *name)
{
	redisReply *r = redisCommand(c, "INFO %s", section);
	char	pat[128];
	const char *p;
	double	v = -1;

	if (r == NULL)
		hb_die("INFO", c->errstr);
	snprintf(pat, sizeof(pat), "\n%s:", name);
	if (r->type == REDIS_REPLY_STRING && (p = strstr(r->str, pat)) != NULL)
		v = strtod(p + strlen(pat), NULL);
	freeReplyObject(r);
	return (v);
}

/* hb_fcall - cmdstat_fcall's calls and usec from INFO commandstats */
static void
hb_fcall(redisContext *c, double *calls, double *usec)
{
	redisReply *r = redisCommand(c, "INFO commandstats");
	const char *p;

	*calls = *usec = 0;
	if (r == NULL)
		hb_die("INFO", c->errstr);
	if (r->type == REDIS_REPLY_STRING &&
	    (p = strstr(r->str, "cmdstat_fcall:calls=")) != NULL) {
		*calls = strtod(p + 20, NULL);
		if ((p = strstr(p, "usec=")) != NULL)
			*usec = strtod(p + 5, NULL);
	}
	freeReplyObject(r);
}

/* hb_cpu - Redis's main-thread CPU seconds (all threads' on an older
 * Redis) */
static double
hb_cpu(redisContext *c)
{
	double	u = hb_info(c, "cpu", "used_cpu_user_main_thread");
	double	s = hb_info(c, "cpu", "used_cpu_sys_main_thread");

	if (u < 0 || s < 0) {
		u = hb_info(c, "cpu", "used_cpu_user");
		s = hb_info(c, "cpu", "used_cpu_sys");
	}
	return (u + s);
}

/* hb_hex - 64 hex digits naming message I of client K in run TAG, kind
 * W (a cheap stand-in for the milter's SHA-256 digests: only their
 * length and distinctness matter to Redis) */
static void
hb_hex(char out[65], const char *tag, int k, long i, char w)
{
	unsigned long long h = 1469598103934665603ULL;
	char	seed[128];
	int	j, n;

	n = snprintf(seed, sizeof(seed), "%s/%d/%ld/%c", tag, k, i, w);
	for (j = 0; j < 4; j++) {
		int	m;

		for (m = 0; m < n; m++)
			h = (h ^ (unsigned char)seed[m]) * 1099511628211ULL;
		h ^= (unsigned long long)j * 0x9e3779b97f4a7c15ULL;
		snprintf(out + j * 16, 17, "%016llx", h);
	}
}

/* hb_client - client K: PER hand-offs, DEPTH per round trip; exit
 * status 0, errors to stderr (counted by the parent from the output) */
static int
hb_client(int k, long per, int depth, long copy, const char *org,
    const char *tag)
{
	redisContext *c = hb_connect();
	char	*data = NULL, size[24];
	long	i = 0, errors = 0;
	int	d, q;

	if (copy > 0) {
		if ((data = malloc((size_t)copy)) == NULL)
			hb_die("malloc", "out of memory");
		for (q = 0; q < copy; q++)
			data[q] = (q % 78 == 77) ? '\n' : 'a' + q % 26;
		snprintf(size, sizeof(size), "%ld", copy);
	}
	while (i < per) {
		int	sent = 0;

		for (d = 0; d < depth && i < per; d++, i++) {
			char	seen[65], own[65], open[65], rate[65], id[33];
			char	msgid[160], subj[64], cust[96], qid[16], msgkey[256];
			char	arrived[24];
			struct fn_handoff h;
			struct fn_cmd cmd;
			long	cu = (k * per + i) % 200000;

			hb_hex(seen, tag, k, i, 's');
			hb_hex(own, tag, k, i, 't');
			hb_hex(open, tag, (int)(cu % 1000), cu, 'o');
			hb_hex(rate, tag, (int)(cu % 1000), cu, 'r');
			memcpy(id, seen + 32, 32);
			id[32] = '\0';
			snprintf(msgid, sizeof(msgid),
			    "<%s.%d.%ld.CAF7d2x9QeA@mail.customer%ld.example>",
			    tag, k, i, cu % 5000);
			snprintf(subj, sizeof(subj), "Order %ld: where is my parcel?", i);
			snprintf(cust, sizeof(cust), "customer%ld@customer%ld.example",
			    cu, cu % 5000);
			snprintf(qid, sizeof(qid), "4X%07lX", (k * per + i) & 0xfffffff);
			snprintf(arrived, sizeof(arrived), "%lld",
			    (long long)time(NULL) * 1000);
			if (copy > 0) {
				const char *argv[8] = { "HSET", msgkey, KEYS_F_MSG_DATA,
				    data, KEYS_F_MSG_SIZE, size, KEYS_F_MSG_COMPLETE, "1" };
				size_t	len[8];
				const char *ex[3] = { "EXPIRE", msgkey, "1209600" };

				snprintf(msgkey, sizeof(msgkey), KEYS_FMT_MSG, org, seen);
				for (q = 0; q < 8; q++)
					len[q] = strlen(argv[q]);
				len[3] = (size_t)copy;
				redisAppendCommandArgv(c, 8, argv, len);
				redisAppendCommandArgv(c, 3, ex, NULL);
				sent += 2;
			}
			memset(&h, 0, sizeof(h));
			h.seen = seen;
			h.open = open;
			h.rate = rate;
			h.hour = time(NULL) / 3600;
			h.own = own;
			h.seen_ttl = 604800;
			h.thread_ttl = 7776000;
			h.id = id;
			h.token = "";
			h.rate_limit = 60;
			h.count = 1;
			h.stored = copy > 0;
			h.auto_reason = "";
			h.participants = 1;
			h.identity = cust;
			fn_handoff(&cmd, org, &h);
			fn_field(&cmd, KEYS_F_VERSION, KEYS_SCHEMA);
			fn_field(&cmd, KEYS_F_ID, id);
			fn_field(&cmd, KEYS_F_ORG, org);
			fn_field(&cmd, KEYS_F_QUEUE, "support");
			fn_field(&cmd, KEYS_F_SKILLS, "general,email");
			fn_field(&cmd, KEYS_F_LANGUAGE, "en");
			fn_field(&cmd, KEYS_F_PRIORITY, "10");
			fn_field(&cmd, KEYS_F_ARRIVED, arrived);
			fn_field(&cmd, KEYS_F_SENDER, cust);
			fn_field(&cmd, KEYS_F_ADDRESS, "support@example.com");
			fn_field(&cmd, KEYS_F_RCPT, "support@example.com");
			fn_field(&cmd, KEYS_F_MATCH, "address");
			fn_field(&cmd, KEYS_F_MSGID, msgid);
			fn_field(&cmd, KEYS_F_INREPLYTO, "");
			fn_field(&cmd, KEYS_F_REFERENCES, "");
			fn_field(&cmd, KEYS_F_SUBJECT, subj);
			fn_field(&cmd, KEYS_F_FROM, cust);
			fn_field(&cmd, KEYS_F_SIZE, copy > 0 ? size : "4096");
			fn_field(&cmd, KEYS_F_QID, qid);
			fn_field(&cmd, KEYS_F_AUTO, "");
			fn_field(&cmd, KEYS_F_CUSTOMER, cust);
			if (fn_append(c, &cmd) != 0)
				hb_die("fn_append", cmd.failed != NULL ? cmd.failed :
				    "cannot queue the call");
			fn_cmd_free(&cmd);
			sent++;
		}
		for (q = 0; q < sent; q++) {
			redisReply *r = NULL;

			if (redisGetReply(c, (void **)&r) != REDIS_OK || r == NULL)
				hb_die("reply", c->errstr);
			/* the hand-off's reply is {code, id}; 1 = new */
			if (r->type == REDIS_REPLY_ERROR) {
				if (errors++ < 3)
					fprintf(stderr, "handoff-bench: %s\n", r->str);
			} else if (r->type == REDIS_REPLY_ARRAY &&
			    (r->elements != 2 ||
			    r->element[0]->type != REDIS_REPLY_INTEGER ||
			    r->element[0]->integer != 1))
				errors++;
			freeReplyObject(r);
		}
	}
	printf("client_errors=%ld\n", errors);
	fflush(stdout);
	free(data);
	redisFree(c);
	return (0);
}

int
main(int argc, char **argv)
{
	int	ch, clients = 4, depth = 32, k, st, failed = 0;
	long	per = 10000, copy = 0;
	const char *org = "bench";
	char	tag[32], err[256];
	redisContext *c;
	double	t0, t1, cpu0, cpu1, n0, u0, n1, u1;

	snprintf(tag, sizeof(tag), "hb%ld", (long)getpid());
	while ((ch = getopt(argc, argv, "p:c:n:d:s:o:t:")) != -1) {
		switch (ch) {
		case 'p': hb_port = atoi(optarg); break;
		case 'c': clients = atoi(optarg); break;
		case 'n': per = atol(optarg); break;
		case 'd': depth = atoi(optarg); break;
		case 's': copy = atol(optarg); break;
		case 'o': org = optarg; break;
		case 't': snprintf(tag, sizeof(tag), "%s", optarg); break;
		default:
			fprintf(stderr, "usage: handoff-bench -p PORT [-c CLIENTS] "
			    "[-n PER_CLIENT] [-d DEPTH] [-s COPY_BYTES] [-o ORG] "
			    "[-t TAG]\n");
			return (2);
		}
	}
	if (clients < 1 || per < 1 || depth < 1 || copy < 0)
		hb_die("arguments", "CLIENTS, PER_CLIENT and DEPTH must be >= 1");
	c = hb_connect();
	if (fn_load(c, err, sizeof(err)) != 0)
		hb_die("loading the function library", err);
	cpu0 = hb_cpu(c);
	hb_fcall(c, &n0, &u0);
	t0 = hb_now();
	fflush(stdout);
	for (k = 0; k < clients; k++) {
		pid_t	p = fork();

		if (p < 0)
			hb_die("fork", "failed");
		if (p == 0)
			_exit(hb_client(k, per, depth, copy, org, tag));
	}
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed++;
	t1 = hb_now();
	cpu1 = hb_cpu(c);
	hb_fcall(c, &n1, &u1);
	printf("handoffs=%ld\n", (long)clients * per);
	printf("clients=%d\ndepth=%d\ncopy_bytes=%ld\n", clients, depth, copy);
	printf("failed_clients=%d\n", failed);
	printf("seconds=%.3f\n", t1 - t0);
	printf("rate=%.0f\n", clients * per / (t1 - t0));
	printf("redis_cpu_s=%.3f\n", cpu1 - cpu0);
	printf("per_core=%.0f\n", cpu1 > cpu0 ? clients * per / (cpu1 - cpu0) : 0);
	printf("fcall_us=%.1f\n", n1 > n0 ? (u1 - u0) / (n1 - n0) : 0);
	redisFree(c);
	return (failed ? 1 : 0);
}
