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
	struct fn_cmd cmd;
	char	**own;
	size_t	nown = 0, i;
	redisReply *r = NULL;
	int	rc = -1;

	fn_sync(&cmd, o->id, o->nqueues);
	if ((own = calloc(3 * o->nagents + 1, sizeof(*own))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < o->nqueues; i++)
		fn_sync_queue(&cmd, o->queues[i].name,
		    cfg_strategy_name(o->queues[i].strategy),
		    o->queues[i].service_level,
		    o->queues[i].delivery == CFG_DELIVERY_FORWARD ?
		    "forward" : "notify");
	fn_sync_agents(&cmd, o->nagents);
	for (i = 0; i < o->nagents; i++) {
		const struct cfg_agent *g = &o->agents[i];

		if ((own[nown++] = cfg_join(g->skills, g->nskills)) == NULL ||
		    (own[nown++] = cfg_join(g->languages,
		    g->nlanguages)) == NULL ||
		    (own[nown++] = cfg_join(g->queues, g->nqueues)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		fn_sync_agent(&cmd, g->id, g->address, own[nown - 3],
		    own[nown - 2], g->capacity, own[nown - 1]);
	}
	if (fn_run(c, &cmd, &r, err, errlen) != 0)
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
	fn_cmd_free(&cmd);
	for (i = 0; own != NULL && i < nown; i++)
		free(own[i]);
	free(own);
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
