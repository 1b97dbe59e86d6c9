/* openlook.c - ask Redis whether customers have an open interaction
 * (see openlook.h).  Read only: the library function mailacd_open_find. */
#include <stdio.h>

#include "fn.h"
#include "openlook.h"
#include "shard.h"

/* openlook_one - R's answer on a pooled connection; RDS_OK or RDS_RETRY */
static int
openlook_one(struct rds_pool *pool, struct inb_rcpt *r, char *err,
    size_t errlen)
{
	const char *key = r->open_key;
	struct fn_cmd cmd;
	redisContext *c;
	redisReply *rep = NULL;
	int	fresh, attempt, rc = RDS_RETRY;

	fn_open_find(&cmd, r->org->id, &key, 1);
	for (attempt = 0; attempt < 2 && rc != RDS_OK; attempt++) {
		if ((c = rds_get(pool, &fresh, err, errlen)) == NULL)
			break;
		if (fn_run(c, &cmd, &rep, err, errlen) == 0 &&
		    rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 &&
		    rep->element[0]->type == REDIS_REPLY_INTEGER) {
			r->open = rep->element[0]->integer == 1;
			rc = RDS_OK;
		} else if (rep != NULL)
			rds_error(c, rep, err, errlen);
		if (rep != NULL)
			freeReplyObject(rep);
		rep = NULL;
		/* an idle connection may have died with a restart: once
		 * more on a fresh one */
		rds_put(pool, c, rc != RDS_OK && c->err != 0);
		if (fresh)
			break;
	}
	fn_cmd_free(&cmd);
	return (rc);
}

/* openlook_run - every recipient whose flow asks, each on its
 * organisation's pool */
int
openlook_run(struct shard *sh, struct inb_msg *m, char *err,
    size_t errlen)
{
	size_t	i;
	int	rc = RDS_OK;

	for (i = 0; i < m->nrcpts; i++) {
		struct inb_rcpt *r = &m->rcpts[i];

		if (r->route->flowp == NULL ||
		    !(r->route->flowp->needs & CFG_NEED_OPEN) ||
		    r->customer[0] == '\0')
			continue;
		if (openlook_one(shard_pool(sh, r->org), r, err, errlen) != RDS_OK)
			rc = RDS_RETRY;
	}
	return (rc);
}
