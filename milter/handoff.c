/* handoff.c - hand a message's interactions to Redis, idempotently.
 *
 * One Lua script per interaction does the whole decision atomically: check
 * the schema version, return the id already recorded for this (message,
 * address) if any, else take the id of the interaction the message answers
 * (thread keys) or the new one, XADD the entry to the organisation's ingest
 * stream and remember the id.  All of a message's calls are pipelined, so a
 * message costs one round trip however many registered recipients it has.
 * The keys of one call share the {org} hash tag, as Redis Cluster requires. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handoff.h"
#include "keys.h"

/* KEYS: schema, seen, ingest, msg (the stored copy), open (the customer's
 * last interaction at this address), rate (the customer's hourly count),
 * [own thread key], referenced thread keys...
 * ARGV: schema, ttl, id, thread ttl, own (1: KEYS[7] is the message's own
 * thread key, set only when unset: another message reusing a Message-ID
 * does not take it over), token id ("" or the interaction a valid reply token in the
 * recipient names), rate limit (0: none), count (1: this call counts the
 * message against the limit, once per organisation), merge (1: the queue
 * merges a customer's new thread into their open interaction), stored (1:
 * KEYS[4] holds the copy), auto ("" for mail from a person), participants
 * (1: a Message-ID joins its interaction only for a participant, the
 * others open a new one naming it in "related"), identity (the customer
 * without sub-address: a participant of what it starts), field, value, ...
 * A message that answers a message of an interaction (a reply token, or its
 * In-Reply-To or References naming one we recorded for the same registered
 * address) carries that interaction's id: the router then treats it as a
 * follow-up.  Returns {code, id}: 0 already handed off (MTA retry), 1 new,
 * 3 reply, 5 merged into the open interaction, or {4, count}: the customer
 * is over the hourly limit, nothing is handed off. */
static const char handoff_lua[] =
    "local v = redis.call('GET', KEYS[1])\n"
    "if v and v ~= ARGV[1] then\n"
    "  return redis.error_reply('MAILACDSCHEMA stored data has schema ' .."
    " v .. ', this milter writes schema ' .. ARGV[1])\n"
    "end\n"
    "if not v then redis.call('SET', KEYS[1], ARGV[1]) end\n"
    "local seen = redis.call('GET', KEYS[2])\n"
    "if seen then return {0, seen} end\n"
    "local limit = tonumber(ARGV[7])\n"
    "if limit > 0 then\n"
    "  local n\n"
    "  if ARGV[8] == '1' then\n"
    "    n = redis.call('INCR', KEYS[6])\n"
    "    if n == 1 then redis.call('EXPIRE', KEYS[6], 7200) end\n"
    "  else\n"
    "    n = tonumber(redis.call('GET', KEYS[6]) or '0')\n"
    "  end\n"
    "  if n > limit then\n"
    "    redis.call('DEL', KEYS[4])\n"
    "    return {4, tostring(n)}\n"
    "  end\n"
    "end\n"
    "local id, code, related = ARGV[3], 1, nil\n"
    "local first = ARGV[5] == '1' and 8 or 7\n"
    "local function people(x)\n"
    "  return (string.gsub(KEYS[1], 'schema$', 'people:' .. x))\n"
    "end\n"
    "if ARGV[6] ~= '' then\n"
    "  id = ARGV[6]; code = 3\n"
    "else\n"
    "  for i = first, #KEYS do\n"
    "    local t = redis.call('GET', KEYS[i])\n"
    "    if t then\n"
    "      local pk = people(t)\n"
    "      if ARGV[12] == '1' and redis.call('EXISTS', pk) == 1 and\n"
    "          redis.call('SISMEMBER', pk, ARGV[13]) == 0 then\n"
    "        related = t\n"
    "      else\n"
    "        id = t; code = 3\n"
    "      end\n"
    "      break\n"
    "    end\n"
    "  end\n"
    "end\n"
    "if code == 1 and ARGV[9] == '1' then\n"
    "  local o = redis.call('GET', KEYS[5])\n"
    "  if o then\n"
    "    local ix = string.gsub(KEYS[1], 'schema$', 'ix:' .. o)\n"
    "    if redis.call('HGET', ix, 'state') ~= 'closed' then\n"
    "      id = o; code = 5\n"
    "    end\n"
    "  end\n"
    "end\n"
    "local f = {}\n"
    "for i = 14, #ARGV - 1, 2 do\n"
    "  f[#f + 1] = ARGV[i]\n"
    "  f[#f + 1] = (ARGV[i] == 'id') and id or ARGV[i + 1]\n"
    "end\n"
    "if ARGV[10] == '1' then\n"
    "  f[#f + 1] = 'msg'\n"
    "  f[#f + 1] = string.match(KEYS[4], ':msg:(.*)$')\n"
    "end\n"
    "if code == 5 then\n"
    "  f[#f + 1] = 'merged'\n"
    "  f[#f + 1] = '1'\n"
    "end\n"
    "if related then\n"
    "  f[#f + 1] = 'related'\n"
    "  f[#f + 1] = related\n"
    "end\n"
    "redis.call('XADD', KEYS[3], '*', unpack(f))\n"
    "redis.call('SET', KEYS[2], id, 'EX', tonumber(ARGV[2]))\n"
    "if first == 8 then\n"
    "  redis.call('SET', KEYS[7], id, 'EX', tonumber(ARGV[4]), 'NX')\n"
    "end\n"
    "if ARGV[11] == '' then\n"
    "  redis.call('SET', KEYS[5], id, 'EX', tonumber(ARGV[4]))\n"
    "end\n"
    "if ARGV[13] ~= '' and code ~= 5 then\n"
    "  redis.call('SADD', people(id), ARGV[13])\n"
    "  redis.call('EXPIRE', people(id), tonumber(ARGV[4]))\n"
    "end\n"
    "return {code, id}\n";

static char handoff_sha[41];

#define HANDOFF_FIELDS	24
#define HANDOFF_KEYS	(7 + INB_THREAD_REFS)
#define HANDOFF_ARGC	(3 + HANDOFF_KEYS + 13 + 2 * HANDOFF_FIELDS)
#define HANDOFF_KEYLEN	400

/* handoff_init - SHA-1 of the script for EVALSHA */
void
handoff_init(void)
{
	rds_script_sha(handoff_lua, handoff_sha);
}

/* handoff_stores - does R get a stored copy? */
#define handoff_stores(m, r)	((r)->forward && (m)->capture)

/* handoff_copy - queue HSET + EXPIRE of the stored copy under KEY */
static int
handoff_copy(redisContext *c, const struct inb_msg *m, const char *key,
    int retention)
{
	const char *argv[8];
	size_t	len[8];
	char	size[24], ttl[16];
	int	i;

	snprintf(size, sizeof(size), "%zu", m->size);
	snprintf(ttl, sizeof(ttl), "%d", retention);
	argv[0] = "HSET";
	argv[1] = key;
	argv[2] = KEYS_F_MSG_DATA;
	argv[3] = m->copy != NULL ? m->copy : "";
	argv[4] = KEYS_F_MSG_SIZE;
	argv[5] = size;
	argv[6] = KEYS_F_MSG_COMPLETE;
	argv[7] = m->copy_complete ? "1" : "0";
	for (i = 0; i < 8; i++)
		len[i] = strlen(argv[i]);
	len[3] = m->copy_complete ? m->copy_len : m->copy_hdr;
	if (redisAppendCommandArgv(c, 8, argv, len) != REDIS_OK)
		return (-1);
	argv[0] = "EXPIRE";
	argv[2] = ttl;
	for (i = 0; i < 3; i++)
		len[i] = strlen(argv[i]);
	return (redisAppendCommandArgv(c, 3, argv, len) == REDIS_OK ? 0 : -1);
}

/* handoff_append - queue one EVALSHA (or EVAL) for interaction R, after
 * its stored copy if it gets one; everything it sends was decided by
 * inb_decide */
static int
handoff_append(redisContext *c, const struct inb_msg *m,
    const struct inb_rcpt *r, const struct cfg *cfg, int use_eval)
{
	const struct cfg_route *rt = r->route;
	const struct inb_text *t = &m->text;
	const struct inb_threads *th = &r->threads;
	const char *argv[HANDOFF_ARGC];
	char	ttl[16], tttl[16], prio[16], nkeys[24], limit[16], *skills;
	char	keys[HANDOFF_KEYS][HANDOFF_KEYLEN];
	size_t	i, nk = 0;
	int	n = 0, rc;

	if ((skills = cfg_join(rt->skills, rt->nskills)) == NULL)
		return (-1);
	if (keys_fmt(keys[nk++], HANDOFF_KEYLEN, KEYS_FMT_SCHEMA, r->org->id) ||
	    keys_fmt(keys[nk++], HANDOFF_KEYLEN, KEYS_FMT_SEEN, r->org->id,
	    r->seen) ||
	    keys_fmt(keys[nk++], HANDOFF_KEYLEN, KEYS_FMT_INGEST, r->org->id) ||
	    keys_fmt(keys[nk++], HANDOFF_KEYLEN, KEYS_FMT_MSG, r->org->id,
	    r->seen) ||
	    keys_fmt(keys[nk++], HANDOFF_KEYLEN, KEYS_FMT_OPEN, r->org->id,
	    r->open_key) ||
	    keys_fmt(keys[nk++], HANDOFF_KEYLEN, KEYS_FMT_RATE, r->org->id,
	    r->rate_key, t->hour) ||
	    (handoff_stores(m, r) && handoff_copy(c, m, keys[3],
	    cfg->delivery.retention) != 0) ||
	    (th->own[0] != '\0' && keys_fmt(keys[nk++], HANDOFF_KEYLEN,
	    KEYS_FMT_THREAD, r->org->id, th->own))) {
		free(skills);
		return (-1);
	}
	for (i = 0; i < th->nrefs; i++)
		if (keys_fmt(keys[nk++], HANDOFF_KEYLEN, KEYS_FMT_THREAD,
		    r->org->id, th->refs[i])) {
			free(skills);
			return (-1);
		}
	snprintf(ttl, sizeof(ttl), "%d", cfg->milter.dedup_ttl);
	snprintf(tttl, sizeof(tttl), "%d", cfg->milter.thread_ttl);
	snprintf(limit, sizeof(limit), "%d", r->limit);
	snprintf(prio, sizeof(prio), "%d", rt->priority);
	snprintf(nkeys, sizeof(nkeys), "%zu", nk);

	argv[n++] = use_eval ? "EVAL" : "EVALSHA";
	argv[n++] = use_eval ? handoff_lua : handoff_sha;
	argv[n++] = nkeys;
	for (i = 0; i < nk; i++)
		argv[n++] = keys[i];
	argv[n++] = KEYS_SCHEMA;
	argv[n++] = ttl;
	argv[n++] = r->id;
	argv[n++] = tttl;
	argv[n++] = th->own[0] != '\0' ? "1" : "0";
	argv[n++] = r->token_id;
	argv[n++] = limit;
	argv[n++] = r->counts ? "1" : "0";
	argv[n++] = r->merge_new ? "1" : "0";
	argv[n++] = handoff_stores(m, r) ? "1" : "0";
	argv[n++] = m->auto_reason ? m->auto_reason : "";
	argv[n++] = cfg->milter.thread_join == CFG_JOIN_PARTICIPANT ? "1" :
	    "0";
	argv[n++] = r->identity;
#define FIELD(k, v)	do { argv[n++] = (k); argv[n++] = (v); } while (0)
	FIELD(KEYS_F_VERSION, KEYS_SCHEMA);
	FIELD(KEYS_F_ID, r->id);
	FIELD(KEYS_F_ORG, r->org->id);
	FIELD(KEYS_F_QUEUE, rt->queue);
	FIELD(KEYS_F_SKILLS, skills);
	FIELD(KEYS_F_LANGUAGE, rt->language);
	FIELD(KEYS_F_PRIORITY, prio);
	FIELD(KEYS_F_ARRIVED, t->arrived);
	FIELD(KEYS_F_SENDER, t->sender);
	FIELD(KEYS_F_ADDRESS, r->address);
	FIELD(KEYS_F_RCPT, r->rcpt);
	FIELD(KEYS_F_MATCH, r->match);
	FIELD(KEYS_F_MSGID, t->msgid);
	FIELD(KEYS_F_INREPLYTO, t->irt);
	FIELD(KEYS_F_REFERENCES, t->refs);
	FIELD(KEYS_F_SUBJECT, t->subject);
	FIELD(KEYS_F_FROM, t->from);
	FIELD(KEYS_F_SIZE, t->size);
	FIELD(KEYS_F_QID, m->qid);
	FIELD(KEYS_F_AUTO, m->auto_reason ? m->auto_reason : "");
	FIELD(KEYS_F_CUSTOMER, r->customer);
	if (r->has_original || r->redirect)
		FIELD(KEYS_F_ORIGINAL_RCPT, r->original);
#undef FIELD
	rc = rds_append(c, n, argv);
	free(skills);
	return (rc);
}

/* handoff_round - send all calls, read all replies; 0, 1 (NOSCRIPT: try
 * again with EVAL) or -1 with ERR */
static int
handoff_round(redisContext *c, struct inb_msg *m, const struct cfg *cfg,
    int use_eval, char *err, size_t errlen)
{
	size_t	i;
	int	noscript = 0, failed = 0, k;

	for (i = 0; i < m->nrcpts; i++)
		if (handoff_append(c, m, &m->rcpts[i], cfg, use_eval) != 0) {
			snprintf(err, errlen, "cannot build the command");
			return (-1);
		}
	for (i = 0; i < m->nrcpts; i++) {
		redisReply *r = NULL;

		/* HSET and EXPIRE of the stored copy come first */
		for (k = handoff_stores(m, &m->rcpts[i]) ? 0 : 2; k < 3; k++) {
			if (redisGetReply(c, (void **)&r) != REDIS_OK ||
			    r == NULL) {
				rds_error(c, r, err, errlen);
				return (-1);
			}
			if (k == 2)
				break;
			if (r->type == REDIS_REPLY_ERROR && !failed) {
				rds_error(c, r, err, errlen);
				failed = 1;
			}
			freeReplyObject(r);
		}
		m->rcpts[i].limited = 0;
		m->rcpts[i].retried = 0;
		if (r->type == REDIS_REPLY_ERROR &&
		    strncmp(r->str, "NOSCRIPT", 8) == 0)
			noscript = 1;
		else if (r->type == REDIS_REPLY_ERROR) {
			if (!failed)
				rds_error(c, r, err, errlen);
			failed = 1;
		} else if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
		    r->element[1]->type == REDIS_REPLY_STRING &&
		    r->element[1]->len == INB_ID_LEN) {
			memcpy(m->rcpts[i].id, r->element[1]->str, INB_ID_LEN);
			m->rcpts[i].id[INB_ID_LEN] = '\0';
			m->rcpts[i].retried = r->element[0]->integer == 0;
			m->rcpts[i].reply = r->element[0]->integer == 3;
			m->rcpts[i].merged = r->element[0]->integer == 5;
		} else if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
		    r->element[0]->type == REDIS_REPLY_INTEGER &&
		    r->element[0]->integer == 4) {
			m->rcpts[i].limited = 1;
		} else if (!failed) {
			snprintf(err, errlen, "unexpected reply from the script");
			failed = 1;
		}
		freeReplyObject(r);
	}
	if (failed)
		return (-1);
	return (noscript ? 1 : 0);
}

/* handoff_send - borrow a connection, run the script for every rcpt */
int
handoff_send(struct rds_pool *pool, struct inb_msg *m, const struct cfg *cfg,
    char *err, size_t errlen)
{
	redisContext *c;
	int	fresh, rc, attempt, broken;

	for (attempt = 0; attempt < 2; attempt++) {
		err[0] = '\0';
		if ((c = rds_get(pool, &fresh, err, errlen)) == NULL)
			break;
		rc = handoff_round(c, m, cfg, 0, err, errlen);
		if (rc == 1)	/* script not cached on this server yet */
			rc = handoff_round(c, m, cfg, 1, err, errlen);
		if (rc == 0) {
			rds_put(pool, c, 0);
			return (RDS_OK);
		}
		/* a script error (schema) leaves the connection healthy;
		 * an idle one may have died with a Redis restart: one more
		 * try on a fresh connection then, never more */
		broken = c->err != 0;
		rds_put(pool, c, broken);
		if (fresh || !broken)
			break;
	}
	return (RDS_RETRY);
}
