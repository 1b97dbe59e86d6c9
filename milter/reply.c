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

#include "hdr.h"
#include "inbound.h"
#include "keys.h"
#include "reply.h"

/* KEYS: schema, thread keys...  ARGV: id from our header or "".
 * Returns {} or {id, the customer's last Message-ID, its References}. */
static const char reply_find_lua[] =
    "local id = ARGV[1]\n"
    "if id == '' then\n"
    "  for i = 2, #KEYS do\n"
    "    local t = redis.call('GET', KEYS[i])\n"
    "    if t then id = t; break end\n"
    "  end\n"
    "end\n"
    "if id == '' then return {} end\n"
    "local p = string.sub(KEYS[1], 1, #KEYS[1] - 6)\n"
    "local h = redis.call('HMGET', p .. 'ix:' .. id, 'state', 'message_id',"
    " 'last_message_id', 'references', 'last_references')\n"
    "if not h[1] then return {} end\n"
    "return { id, h[3] or h[2] or '', h[5] or h[4] or '' }\n";

/* KEYS: ix, thread key of the reply.  ARGV: Message-ID, by, ttl, id. */
static const char reply_record_lua[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
    "local t = redis.call('TIME')\n"
    "redis.call('HSET', KEYS[1], 'last_reply_at', tonumber(t[1]) * 1000 +"
    " math.floor(tonumber(t[2]) / 1000), 'last_reply_message_id', ARGV[1],"
    " 'last_reply_by', ARGV[2])\n"
    "redis.call('HINCRBY', KEYS[1], 'replies', 1)\n"
    "redis.call('SET', KEYS[2], ARGV[4], 'EX', tonumber(ARGV[3]))\n"
    "return 1\n";

#define REPLY_KEYS	(1 + 2 * INB_THREAD_REFS)
#define REPLY_KEYLEN	300

/* The thread keys of the ids a reply answers. */
struct reply_keys {
	char	keys[REPLY_KEYS][REPLY_KEYLEN];
	int	n;
	const char *org, *addr;
};

/* reply_key - one more thread key, the referenced message ID (LEN) */
static int
reply_key(const char *id, size_t len, void *arg)
{
	struct reply_keys *k = arg;
	char	hex[65];

	if (k->n >= REPLY_KEYS)
		return (1);
	if (inb_thread_key(id, len, k->addr, hex) == 0 &&
	    keys_fmt(k->keys[k->n], REPLY_KEYLEN, KEYS_FMT_THREAD, k->org,
	    hex) == 0)
		k->n++;
	return (k->n - 1 >= INB_THREAD_REFS);
}

/* reply_eval - one EVAL of LUA on a pooled connection: the reply, or NULL
 * with ERR (*RC = RDS_RETRY) */
static redisReply *
reply_eval(struct rds_pool *pool, const char *lua, int nkeys,
    const char **keys, int nargs, const char **args, char *err,
    size_t errlen)
{
	const char *argv[3 + REPLY_KEYS + 8];
	char	nk[16];
	redisContext *c;
	redisReply *r;
	int	fresh, argc = 0, i, attempt;

	snprintf(nk, sizeof(nk), "%d", nkeys);
	argv[argc++] = "EVAL";
	argv[argc++] = lua;
	argv[argc++] = nk;
	for (i = 0; i < nkeys; i++)
		argv[argc++] = keys[i];
	for (i = 0; i < nargs; i++)
		argv[argc++] = args[i];
	for (attempt = 0; attempt < 2; attempt++) {
		if ((c = rds_get(pool, &fresh, err, errlen)) == NULL)
			return (NULL);
		r = redisCommandArgv(c, argc, argv, NULL);
		if (r != NULL && r->type != REDIS_REPLY_ERROR) {
			rds_put(pool, c, 0);
			return (r);
		}
		rds_error(c, r, err, errlen);
		if (r != NULL) {
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

/* reply_find - the interaction an outbound message answers */
int
reply_find(struct rds_pool *pool, const struct cfg_address *a,
    const char *ixhdr, const char *irt, const char *refs, struct reply *r,
    char *err, size_t errlen)
{
	struct reply_keys k;
	const char *keys[REPLY_KEYS], *args[1];
	char	id[33] = "", *s, *u;
	redisReply *rep;
	size_t	n;
	int	i;

	reply_reset(r);
	k.n = 1;
	k.org = a->org->id;
	k.addr = a->key;
	if (keys_fmt(k.keys[0], REPLY_KEYLEN, KEYS_FMT_SCHEMA, a->org->id))
		return (RDS_OK);
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
	if (id[0] == '\0' && k.n == 1)
		return (RDS_OK);
	for (i = 0; i < k.n; i++)
		keys[i] = k.keys[i];
	args[0] = id;
	if ((rep = reply_eval(pool, reply_find_lua, k.n, keys, 1, args, err,
	    errlen)) == NULL)
		return (RDS_RETRY);
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 3 &&
	    rep->element[0]->type == REDIS_REPLY_STRING &&
	    rep->element[0]->len == 32) {
		const char *mid = rep->element[1]->str ? rep->element[1]->str : "";
		const char *crefs = rep->element[2]->str ? rep->element[2]->str :
		    "";

		memcpy(r->id, rep->element[0]->str, 32);
		r->id[32] = '\0';
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
	char	kix[REPLY_KEYLEN], kth[REPLY_KEYLEN], hex[65], ttl[16];
	const char *keys[2] = { kix, kth }, *args[4];
	const char *lt, *gt;
	redisReply *rep;

	if (r->id[0] == '\0' || msgid == NULL)
		return (RDS_OK);
	if ((lt = strchr(msgid, '<')) == NULL || (gt = strchr(lt, '>')) == NULL ||
	    inb_thread_key(lt, (size_t)(gt - lt + 1), a->key, hex) != 0 ||
	    keys_fmt(kix, sizeof(kix), KEYS_FMT_IX, a->org->id, r->id) ||
	    keys_fmt(kth, sizeof(kth), KEYS_FMT_THREAD, a->org->id, hex))
		return (RDS_OK);
	snprintf(ttl, sizeof(ttl), "%d", thread_ttl);
	args[0] = msgid;
	args[1] = by;
	args[2] = ttl;
	args[3] = r->id;
	if ((rep = reply_eval(pool, reply_record_lua, 2, keys, 4, args, err,
	    errlen)) == NULL)
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
	memset(r, 0, sizeof(*r));
}
