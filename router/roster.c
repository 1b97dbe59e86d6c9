/* roster.c - write the configuration's queues and agents to Redis.
 *
 * The roster (agents' addresses, skills, languages, capacity, queues) and
 * the queue settings (strategy, service level) come from the configuration
 * file; presence and load live only in Redis.  At every connection and
 * reload the router hands the configured values to mailacd_sync, which
 * writes them without touching presence or load, so a reload never logs
 * an agent out or forgets what they hold. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn.h"
#include "log.h"
#include "rds.h"
#include "roster.h"

/* roster_org - one organisation's mailacd_sync call */
static int
roster_org(redisContext *c, const struct cfg_org *o, int *n, char *err,
    size_t errlen)
{
	const char **argv;
	char	**own, (*nums)[16];
	size_t	argc = 0, nown = 0, i;
	redisReply *r = NULL;
	int	rc = -1;

	argv = calloc(2 + 4 * o->nqueues + 6 * o->nagents, sizeof(*argv));
	own = calloc(3 * o->nagents + 1, sizeof(*own));
	nums = calloc(2 + o->nqueues + o->nagents, sizeof(*nums));
	if (argv == NULL || own == NULL || nums == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* four values per queue (library 3) */
	snprintf(nums[0], sizeof(nums[0]), "%zu:4", o->nqueues);
	argv[argc++] = nums[0];
	for (i = 0; i < o->nqueues; i++) {
		snprintf(nums[2 + i], sizeof(nums[0]), "%d",
		    o->queues[i].service_level);
		argv[argc++] = o->queues[i].name;
		argv[argc++] = cfg_strategy_name(o->queues[i].strategy);
		argv[argc++] = nums[2 + i];
		argv[argc++] = o->queues[i].delivery == CFG_DELIVERY_FORWARD ?
		    "forward" : "notify";
	}
	snprintf(nums[1], sizeof(nums[0]), "%zu", o->nagents);
	argv[argc++] = nums[1];
	for (i = 0; i < o->nagents; i++) {
		const struct cfg_agent *g = &o->agents[i];
		char	*num = nums[2 + o->nqueues + i];

		snprintf(num, sizeof(nums[0]), "%d", g->capacity);
		if ((own[nown++] = cfg_join(g->skills, g->nskills)) == NULL ||
		    (own[nown++] = cfg_join(g->languages,
		    g->nlanguages)) == NULL ||
		    (own[nown++] = cfg_join(g->queues, g->nqueues)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		argv[argc++] = g->id;
		argv[argc++] = g->address;
		argv[argc++] = own[nown - 3];
		argv[argc++] = own[nown - 2];
		argv[argc++] = num;
		argv[argc++] = own[nown - 1];
	}
	if (fn_call(c, "mailacd_sync", o->id, (int)argc, argv, &r, err,
	    errlen) != 0)
		goto out;
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(err, errlen, "%s: roster not written: %s", o->id,
		    r->str);
		goto out;
	}
	if (r->type == REDIS_REPLY_STRING && strstr(r->str,
	    "\"assigned\"") != NULL) {
		const char *p;

		for (p = r->str; (p = strstr(p, "\"agent\":")) != NULL; p++)
			(*n)++;
		log_info("%s: roster written; waiting work assigned: %s",
		    o->id, r->str);
	} else
		log_debug("%s: roster written: %zu queues, %zu agents", o->id,
		    o->nqueues, o->nagents);
	rc = 0;
out:
	if (r != NULL)
		freeReplyObject(r);
	for (i = 0; own != NULL && i < nown; i++)
		free(own[i]);
	free(own);
	free(argv);
	free(nums);
	return (rc);
}

/* roster_sync - every organisation */
int
roster_sync(redisContext *c, const struct cfg *cfg, int *n, char *err,
    size_t errlen)
{
	size_t	i;

	*n = 0;
	for (i = 0; i < cfg->norgs; i++)
		if (roster_org(c, &cfg->orgs[i], n, err, errlen) != 0)
			return (-1);
	return (0);
}
