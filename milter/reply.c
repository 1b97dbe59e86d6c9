/* reply.c - outbound mail that answers an interaction.
 *
 * An agent's answer is recognised by the interaction id an internal
 * client wrote into X-MailACD-Interaction, or by the Message-IDs it
 * answers: the milter recorded each customer message's Message-ID per
 * registered address (mailacd:{org}:thread:HEX, see inbound.c), so the
 * first In-Reply-To or References entry found there names the interaction.
 * A reply without threading headers gets In-Reply-To and References
 * pointing at the customer's last message.  Once the reply is accepted,
 * the interaction records it (who, when, which Message-ID) and the reply's
 * own Message-ID is remembered, so the customer's answer to it joins the
 * interaction too.  One round trip to look up, one to record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn.h"
#include "hdr.h"
#include "inbound.h"
#include "keys.h"
#include "reply.h"

#define REPLY_KEYS	(2 * INB_THREAD_REFS)

/* The thread keys (their HEX) of the ids a reply answers. */
struct reply_keys {
	char	hex[REPLY_KEYS][65];
	const char *ptr[REPLY_KEYS];
	int	n;
	const char *addr;
};

/* reply_key - one more thread key, the referenced message ID (LEN) */
static int
reply_key(const char *id, size_t len, void *arg)
{
	struct reply_keys *k = arg;

	if (k->n >= REPLY_KEYS)
		return (1);
	if (inb_thread_key(id, len, k->addr, k->hex[k->n]) == 0) {
		k->ptr[k->n] = k->hex[k->n];
		k->n++;
	}
	return (k->n >= INB_THREAD_REFS);
}

/* reply_run - CMD on a pooled connection (the library loaded when Redis
 * lacks it): the reply, or NULL with ERR (an error reply too) */
static redisReply *
reply_run(struct rds_pool *pool, const struct fn_cmd *cmd, char *err,
    size_t errlen)
{
	redisContext *c;
	redisReply *r;
	int	fresh, attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if ((c = rds_get(pool, &fresh, err, errlen)) == NULL)
			return (NULL);
		if (fn_run(c, cmd, &r, err, errlen) == 0 &&
		    r->type != REDIS_REPLY_ERROR) {
			rds_put(pool, c, 0);
			return (r);
		}
		if (r != NULL) {
			rds_error(c, r, err, errlen);
			freeReplyObject(r);
			rds_put(pool, c, 0);
			return (NULL);
		}
		/* an idle connection may have died with a restart: once
		 * more on a fresh one */
		rds_put(pool, c, 1);
		if (fresh)
			break;
	}
	return (NULL);
}

/* reply_drop_empty - no header for a value left empty (no id fitted) */
static void
reply_drop_empty(char **v)
{
	if (*v != NULL && **v == '\0') {
		free(*v);
		*v = NULL;
	}
}

/* reply_str - element I of REP as a malloc'd string, NULL when empty */
static int
reply_str(const redisReply *rep, size_t i, char **out)
{
	const redisReply *e = rep->element[i];

	*out = NULL;
	if (e->type != REDIS_REPLY_STRING || e->len == 0)
		return (0);
	return ((*out = strndup(e->str, e->len)) == NULL ? -1 : 0);
}

/* reply_more - what the record says of the interaction (library 9): the
 * replies so far, the customer, subject, queue and arrival; 0 or -1 */
static int
reply_more(struct reply *r, const redisReply *rep)
{
	char	*s;

	if (reply_str(rep, 3, &s) != 0)
		return (-1);
	r->replies = s != NULL ? strtol(s, NULL, 10) : 0;
	free(s);
	if (reply_str(rep, 8, &s) != 0)
		return (-1);
	r->arrived_ms = s != NULL ? strtoll(s, NULL, 10) : 0;
	free(s);
	return (reply_str(rep, 4, &r->from) != 0 ||
	    reply_str(rep, 5, &r->customer) != 0 ||
	    reply_str(rep, 6, &r->subject) != 0 ||
	    reply_str(rep, 7, &r->queue) != 0 ? -1 : 0);
}

/* reply_find - the interaction an outbound message answers */
int
reply_find(struct rds_pool *pool, const struct cfg_address *a,
    const char *ixhdr, const char *irt, const char *refs, struct reply *r,
    char *err, size_t errlen)
{
	struct reply_keys k;
	struct fn_cmd cmd;
	char	id[33] = "", *s, *u;
	redisReply *rep;
	size_t	n;

	reply_reset(r);
	k.n = 0;
	k.addr = a->key;
	/* our own header: "ID; org=..." */
	if (ixhdr != NULL) {
		while (*ixhdr == ' ' || *ixhdr == '\t')
			ixhdr++;
		n = strspn(ixhdr, "0123456789abcdef");
		if (n == 32) {
			memcpy(id, ixhdr, 32);
			id[32] = '\0';
		}
	}
	inb_msgids(irt, 0, reply_key, &k);
	inb_msgids(refs, 1, reply_key, &k);
	if (id[0] == '\0' && k.n == 0)
		return (RDS_OK);
	fn_reply_find(&cmd, a->org->id, id, k.ptr, (size_t)k.n);
	rep = reply_run(pool, &cmd, err, errlen);
	fn_cmd_free(&cmd);
	if (rep == NULL)
		return (RDS_RETRY);
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements >= 3 &&
	    rep->element[0]->type == REDIS_REPLY_STRING &&
	    rep->element[0]->len == 32) {
		const char *mid = rep->element[1]->str ? rep->element[1]->str : "";
		const char *crefs = rep->element[2]->str ? rep->element[2]->str :
		    "";

		memcpy(r->id, rep->element[0]->str, 32);
		r->id[32] = '\0';
		if (rep->elements >= 9 && reply_more(r, rep) != 0)
			goto nomem;
		/* folded as we add them: built from customers' ids, they
		 * could pass the 998-octet line limit */
		if (*mid != '\0' && irt == NULL &&
		    (r->irt = hdr_fold_ids("In-Reply-To", mid)) == NULL)
			goto nomem;
		if (*mid != '\0' && refs == NULL) {
			n = strlen(crefs) + strlen(mid) + 2;
			if ((s = malloc(n)) == NULL)
				goto nomem;
			snprintf(s, n, "%s%s%s", crefs, *crefs ? " " : "", mid);
			u = hdr_unfold(s, HDR_REFS_MAX, 1);
			free(s);
			if (u == NULL)
				goto nomem;
			r->refs = hdr_fold_ids("References", u);
			free(u);
			if (r->refs == NULL)
				goto nomem;
		}
		reply_drop_empty(&r->irt);
		reply_drop_empty(&r->refs);
	}
	freeReplyObject(rep);
	return (RDS_OK);
nomem:
	freeReplyObject(rep);
	snprintf(err, errlen, "out of memory");
	return (RDS_RETRY);
}

/* reply_record - the reply went out: note it on its interaction */
int
reply_record(struct rds_pool *pool, const struct cfg_address *a,
    const struct reply *r, const char *msgid, const char *by,
    int thread_ttl, char *err, size_t errlen)
{
	struct fn_cmd cmd;
	char	hex[65];
	const char *lt, *gt;
	redisReply *rep;

	if (r->id[0] == '\0' || msgid == NULL)
		return (RDS_OK);
	if ((lt = strchr(msgid, '<')) == NULL || (gt = strchr(lt, '>')) == NULL ||
	    inb_thread_key(lt, (size_t)(gt - lt + 1), a->key, hex) != 0)
		return (RDS_OK);
	fn_reply_record(&cmd, a->org->id, r->id, hex, msgid, by, thread_ttl);
	rep = reply_run(pool, &cmd, err, errlen);
	fn_cmd_free(&cmd);
	if (rep == NULL)
		return (RDS_RETRY);
	freeReplyObject(rep);
	return (RDS_OK);
}

/* reply_reset - forget R */
void
reply_reset(struct reply *r)
{
	free(r->irt);
	free(r->refs);
	free(r->from);
	free(r->customer);
	free(r->subject);
	free(r->queue);
	memset(r, 0, sizeof(*r));
}
