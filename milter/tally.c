/* tally.c - the milter's counters, kept in the process and added to Redis
 * in batches.
 *
 * What the milter decides without Redis (a mail loop, a signature, a
 * refusal), or cannot tell Redis at that moment (a temporary failure
 * because Redis is down), must not cost a round trip per message: each
 * decision adds one to a per-process, per-organisation count here (a
 * mutex and a few comparisons), and the milter's watcher thread
 * (durable.c) adds the counts to mailacd:{ORG}:counters once a second
 * with HINCRBY, all in one pipeline, on the connection it opens anyway.
 * A count leaves the process only when Redis has acknowledged it, so
 * those made while Redis is down arrive once it is back; those of a
 * milter that is killed before its next flush (at most about a second's)
 * are lost.  The hand-off's own counts (handed off, rate-limited) are
 * made by mailacd_handoff, in the same call. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "rds.h"
#include "tally.h"

/* The counts of one organisation not yet in Redis. */
struct tally_org {
	char	*org;
	long long n[TALLY_N];
};

/* the hash fields, in enum tally_what order */
static const char *const tally_fields[TALLY_N] = {
	KEYS_F_CNT_TEMPFAILED, KEYS_F_CNT_LOOPS, KEYS_F_CNT_SIGNED,
	KEYS_F_CNT_REFUSED
};

static pthread_mutex_t tally_lock = PTHREAD_MUTEX_INITIALIZER;
/* one flush at a time: two would send the same counts */
static pthread_mutex_t tally_flushing = PTHREAD_MUTEX_INITIALIZER;
static struct tally_org *tally_v;
static size_t tally_n, tally_cap;

/* tally_find - the entry of ORG, made if missing (under the lock); NULL
 * when memory is short */
static struct tally_org *
tally_find(const char *org)
{
	struct tally_org *v;
	size_t	i, cap;

	for (i = 0; i < tally_n; i++)
		if (strcmp(tally_v[i].org, org) == 0)
			return (&tally_v[i]);
	if (tally_n == tally_cap) {
		cap = tally_cap ? 2 * tally_cap : 8;
		if ((v = reallocarray(tally_v, cap, sizeof(*v))) == NULL)
			return (NULL);
		tally_v = v;
		tally_cap = cap;
	}
	memset(&tally_v[tally_n], 0, sizeof(tally_v[tally_n]));
	if ((tally_v[tally_n].org = strdup(org)) == NULL)
		return (NULL);
	return (&tally_v[tally_n++]);
}

/* tally_add - one more under the lock */
void
tally_add(const char *org, enum tally_what what)
{
	struct tally_org *t;

	if (org == NULL || what < 0 || what >= TALLY_N)
		return;
	pthread_mutex_lock(&tally_lock);
	if ((t = tally_find(org)) != NULL)
		t->n[what]++;
	pthread_mutex_unlock(&tally_lock);
}

/* tally_pending - the sum of the counts waiting */
long long
tally_pending(const char *org)
{
	long long sum = 0;
	size_t	i;
	int	k;

	pthread_mutex_lock(&tally_lock);
	for (i = 0; i < tally_n; i++)
		if (org == NULL || strcmp(tally_v[i].org, org) == 0)
			for (k = 0; k < TALLY_N; k++)
				sum += tally_v[i].n[k];
	pthread_mutex_unlock(&tally_lock);
	return (sum);
}

/* tally_flush - a snapshot of the counts, sent; each count Redis
 * acknowledged is taken off what waits (counts made meanwhile stay) */
static int tally_send(redisContext *c, const struct cfg *cfg, char *err,
		    size_t errlen);

int
tally_flush(redisContext *c, const struct cfg *cfg, char *err, size_t errlen)
{
	int	rc;

	pthread_mutex_lock(&tally_flushing);
	rc = tally_send(c, cfg, err, errlen);
	pthread_mutex_unlock(&tally_flushing);
	return (rc);
}

/* tally_send - tally_flush, one flush at a time */
static int
tally_send(redisContext *c, const struct cfg *cfg, char *err, size_t errlen)
{
	struct tally_org *snap;
	char	key[300], num[24];
	const char *argv[4];
	redisReply *r;
	size_t	i, n, sent = 0, got;
	int	k, rc = 0;

	pthread_mutex_lock(&tally_lock);
	n = tally_n;
	if ((snap = calloc(n + 1, sizeof(*snap))) == NULL) {
		pthread_mutex_unlock(&tally_lock);
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	for (i = 0; i < n; i++) {
		snap[i].org = tally_v[i].org;	/* entries are never freed */
		/* another Redis group's counts go on its own connection */
		if (cfg == NULL || cfg_find_org(cfg, snap[i].org) != NULL)
			memcpy(snap[i].n, tally_v[i].n, sizeof(snap[i].n));
	}
	pthread_mutex_unlock(&tally_lock);
	for (i = 0; i < n; i++)
		for (k = 0; k < TALLY_N; k++) {
			if (snap[i].n[k] == 0)
				continue;
			if (keys_fmt(key, sizeof(key), KEYS_FMT_COUNTERS,
			    snap[i].org) != 0) {
				snap[i].n[k] = 0;	/* cannot be spelled */
				continue;
			}
			snprintf(num, sizeof(num), "%lld", snap[i].n[k]);
			argv[0] = "HINCRBY";
			argv[1] = key;
			argv[2] = tally_fields[k];
			argv[3] = num;
			if (rds_append(c, 4, argv) != 0) {
				snprintf(err, errlen, "out of memory");
				free(snap);
				return (-1);
			}
			sent++;
		}
	/* the answers come in the order sent: walk the snapshot again */
	got = 0;
	for (i = 0; i < n && got < sent; i++)
		for (k = 0; k < TALLY_N && got < sent; k++) {
			if (snap[i].n[k] == 0)
				continue;
			r = NULL;
			if (redisGetReply(c, (void **)&r) != REDIS_OK ||
			    r == NULL) {
				/* the rest is in doubt: it stays pending */
				rds_error(c, r, err, errlen);
				free(snap);
				return (-1);
			}
			got++;
			if (r->type == REDIS_REPLY_ERROR) {
				if (rc == 0)
					rds_error(c, r, err, errlen);
				rc = -1;
			} else {
				pthread_mutex_lock(&tally_lock);
				tally_v[i].n[k] -= snap[i].n[k];
				pthread_mutex_unlock(&tally_lock);
			}
			freeReplyObject(r);
		}
	free(snap);
	return (rc);
}
