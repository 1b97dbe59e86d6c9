/* handoff.c - hand a message's interactions to Redis, idempotently.
 *
 * One call of the library function mailacd_handoff per interaction does the
 * whole decision atomically (common/mailacd.lua): check the schema version,
 * return the id already recorded for this (message, address) if any, else
 * take the id of the interaction the message answers (thread keys) or the
 * new one, XADD the entry to the organisation's ingest stream and remember
 * the id.  All of a message's calls are pipelined, so a message costs one
 * round trip however many registered recipients it has.  The keys of one
 * call share the {org} hash tag, as Redis Cluster requires.
 *
 * Organisations may live in different Redis groups (shard.h): a message
 * to several is handed off to each group in turn, one round trip each,
 * and accepted only when every group took its part.  When one fails the
 * message is tempfailed; the parts already recorded are found again
 * (same ids) when the MTA retries, as for any retry.
 *
 * With redis.wait_replicas, WAIT follows the calls in the same round trip:
 * the message is accepted only when that many replicas hold what the
 * calls wrote (a retried message's call refreshes its "seen" key, so it
 * too writes, and WAIT covers the first attempt's writes).  Otherwise the
 * hand-off fails and the milter tempfails; the MTA's retry finds the
 * interaction recorded, or, after a fail-over that lost it, records it
 * again. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "fn.h"
#include "handoff.h"
#include "hdr.h"
#include "keys.h"
#include "shard.h"

#define HANDOFF_KEYLEN	400

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

/* handoff_append - queue mailacd_handoff for interaction R, after its
 * stored copy if it gets one; everything it sends was decided by
 * inb_decide */
static int
handoff_append(redisContext *c, const struct inb_msg *m,
    const struct inb_rcpt *r, const struct cfg *cfg)
{
	const struct cfg_route *rt = r->route;
	const struct inb_text *t = &m->text;
	const struct inb_threads *th = &r->threads;
	const char *refs[INB_THREAD_REFS];
	char	prio[16], msgkey[HANDOFF_KEYLEN], *skills, *tags = NULL;
	char	conf[16], opens[24], replyto[ADDR_MAX + 1];
	struct fn_handoff h;
	struct fn_cmd cmd;
	size_t	i;
	int	rc;

	if ((skills = cfg_join(rt->skills, rt->nskills)) == NULL)
		return (-1);
	if (handoff_stores(m, r) && (keys_fmt(msgkey, sizeof(msgkey),
	    KEYS_FMT_MSG, r->org->id, r->seen) != 0 ||
	    handoff_copy(c, m, msgkey, cfg->delivery.retention) != 0)) {
		free(skills);
		return (-1);
	}
	for (i = 0; i < th->nrefs && i < INB_THREAD_REFS; i++)
		refs[i] = th->refs[i];
	memset(&h, 0, sizeof(h));
	h.seen = r->seen;
	h.open = r->open_key;
	h.rate = r->rate_key;
	h.hour = t->hour;
	h.own = th->own;
	h.refs = refs;
	h.nrefs = i;
	h.seen_ttl = cfg->milter.dedup_ttl;
	h.thread_ttl = cfg->milter.thread_ttl;
	h.id = r->id;
	h.token = r->token_id;
	h.rate_limit = r->limit;
	h.count = r->counts;
	h.merge = r->merge_new;
	h.stored = handoff_stores(m, r);
	h.auto_reason = m->auto_reason;
	h.participants = cfg->milter.thread_join == CFG_JOIN_PARTICIPANT;
	h.identity = r->identity;
	snprintf(prio, sizeof(prio), "%d", rt->priority);
	fn_handoff(&cmd, r->org->id, &h);
	fn_field(&cmd, KEYS_F_VERSION, KEYS_SCHEMA);
	fn_field(&cmd, KEYS_F_ID, r->id);
	fn_field(&cmd, KEYS_F_ORG, r->org->id);
	fn_field(&cmd, KEYS_F_QUEUE, rt->queue);
	fn_field(&cmd, KEYS_F_SKILLS, skills);
	fn_field(&cmd, KEYS_F_LANGUAGE, rt->language);
	fn_field(&cmd, KEYS_F_PRIORITY, prio);
	fn_field(&cmd, KEYS_F_ARRIVED, t->arrived);
	fn_field(&cmd, KEYS_F_SENDER, t->sender);
	fn_field(&cmd, KEYS_F_ADDRESS, r->address);
	fn_field(&cmd, KEYS_F_RCPT, r->rcpt);
	fn_field(&cmd, KEYS_F_MATCH, r->match);
	fn_field(&cmd, KEYS_F_MSGID, t->msgid);
	fn_field(&cmd, KEYS_F_INREPLYTO, t->irt);
	fn_field(&cmd, KEYS_F_REFERENCES, t->refs);
	fn_field(&cmd, KEYS_F_SUBJECT, t->subject);
	fn_field(&cmd, KEYS_F_FROM, t->from);
	fn_field(&cmd, KEYS_F_SIZE, t->size);
	fn_field(&cmd, KEYS_F_QID, m->qid);
	fn_field(&cmd, KEYS_F_AUTO, m->auto_reason ? m->auto_reason : "");
	fn_field(&cmd, KEYS_F_CUSTOMER, r->customer);
	/* what an acknowledgement needs: why none may go, where it goes */
	if (m->noreply != NULL || m->loops > 0)
		fn_field(&cmd, KEYS_F_NOREPLY, m->noreply != NULL ?
		    m->noreply : "mailacd-loop");
	if (m->reply_to != NULL && hdr_mailbox(m->reply_to, replyto,
	    sizeof(replyto)) == 0)
		fn_field(&cmd, KEYS_F_REPLY_TO, replyto);
	if (r->has_original || r->redirect)
		fn_field(&cmd, KEYS_F_ORIGINAL_RCPT, r->original);
	if (r->flowed) {
		fn_field(&cmd, KEYS_F_FLOW, r->fres.path);
		if (r->fres.ntags > 0 && (tags = cfg_join((char **)(uintptr_t)
		    r->fres.tags, r->fres.ntags)) == NULL) {
			fn_cmd_free(&cmd);
			free(skills);
			return (-1);
		}
		if (tags != NULL)
			fn_field(&cmd, KEYS_F_TAGS, tags);
		if (r->fres.ack != NULL)
			fn_field(&cmd, KEYS_F_ACK, r->fres.ack);
		if (r->fres.close)
			fn_field(&cmd, KEYS_F_STOPPED, "1");
		if (r->opens > 0) {
			snprintf(opens, sizeof(opens), "%lld", r->opens);
			fn_field(&cmd, KEYS_F_OPENS, opens);
		}
	}
	if (r->flowed && m->flow.lang_done) {
		snprintf(conf, sizeof(conf), "%d", m->flow.lang_confidence);
		fn_field(&cmd, KEYS_F_DETECTED, m->flow.lang);
		fn_field(&cmd, KEYS_F_CONFIDENCE, conf);
	}
	rc = fn_append(c, &cmd);
	fn_cmd_free(&cmd);
	free(tags);
	free(skills);
	return (rc);
}

/* handoff_wait_append - queue WAIT for redis.wait_replicas replicas;
 * it confirms every write this connection made before it */
static int
handoff_wait_append(redisContext *c, const struct cfg_redis *rc)
{
	char	n[16], ms[16];
	const char *argv[3] = { "WAIT", n, ms };

	snprintf(n, sizeof(n), "%d", rc->wait_replicas);
	snprintf(ms, sizeof(ms), "%d", rc->wait_timeout_ms);
	return (rds_append(c, 3, argv));
}

/* handoff_wait_reply - WAIT's answer: 0 when enough replicas hold the
 * hand-off, -1 with ERR (unless FAILED: the first error stays) */
static int
handoff_wait_reply(redisContext *c, const struct cfg_redis *rc, int failed,
    char *err, size_t errlen)
{
	redisReply *r = NULL;
	int	ret = 0;

	if (redisGetReply(c, (void **)&r) != REDIS_OK || r == NULL) {
		rds_error(c, r, err, errlen);
		return (-1);
	}
	if (r->type != REDIS_REPLY_INTEGER) {
		if (!failed)
			rds_error(c, r, err, errlen);
		ret = -1;
	} else if (r->integer < rc->wait_replicas) {
		if (!failed)
			snprintf(err, errlen, "WAIT: %lld of %d replica%s "
			    "confirmed the hand-off within %d ms "
			    "(redis.wait_replicas)", r->integer,
			    rc->wait_replicas, rc->wait_replicas == 1 ? "" :
			    "s", rc->wait_timeout_ms);
		ret = -1;
	}
	freeReplyObject(r);
	return (ret);
}

/* handoff_round - send the calls of group G's recipients (and WAIT),
 * read all replies; 0, 1 (Redis lacks the library: load it and try
 * again) or -1 with ERR */
static int
handoff_round(redisContext *c, struct inb_msg *m, const struct cfg *cfg,
    size_t g, char *err, size_t errlen)
{
	const struct cfg_redis *rc = cfg->groups[g];
	size_t	i;
	int	noscript = 0, failed = 0, k;
	int	waits = rc->wait_replicas > 0;

	for (i = 0; i < m->nrcpts; i++)
		if (m->rcpts[i].org->group == g &&
		    handoff_append(c, m, &m->rcpts[i], cfg) != 0) {
			snprintf(err, errlen, "cannot build the command");
			return (-1);
		}
	if (waits && handoff_wait_append(c, rc) != 0) {
		snprintf(err, errlen, "cannot build the command");
		return (-1);
	}
	for (i = 0; i < m->nrcpts; i++) {
		redisReply *r = NULL;

		if (m->rcpts[i].org->group != g)
			continue;

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
		    strstr(r->str, "Function not found") != NULL)
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
			snprintf(err, errlen, "unexpected reply from "
			    "mailacd_handoff");
			failed = 1;
		}
		freeReplyObject(r);
	}
	if (waits && !noscript &&
	    handoff_wait_reply(c, rc, failed, err, errlen) != 0)
		failed = 1;
	else if (waits && noscript)
		(void)handoff_wait_reply(c, rc, 1, err, errlen);
	if (failed)
		return (-1);
	return (noscript ? 1 : 0);
}

/* handoff_group - borrow a connection of group G, one mailacd_handoff
 * per recipient of that group */
static int
handoff_group(struct rds_pool *pool, struct inb_msg *m, const struct cfg *cfg,
    size_t g, char *err, size_t errlen)
{
	redisContext *c;
	int	fresh, rc, attempt, broken;

	for (attempt = 0; attempt < 2; attempt++) {
		err[0] = '\0';
		if ((c = rds_get(pool, &fresh, err, errlen)) == NULL)
			break;
		rc = handoff_round(c, m, cfg, g, err, errlen);
		/* a Redis without the library (no router has loaded it yet,
		 * or it lost it): load it, once, and send again */
		if (rc == 1 && fn_load(c, err, errlen) == 0)
			rc = handoff_round(c, m, cfg, g, err, errlen);
		else if (rc == 1)
			rc = -1;
		if (rc == 0) {
			rds_put(pool, c, 0);
			return (RDS_OK);
		}
		/* an error reply (schema) leaves the connection healthy;
		 * an idle one may have died with a Redis restart: one more
		 * try on a fresh connection then, never more */
		broken = c->err != 0;
		rds_put(pool, c, broken);
		if (fresh || !broken)
			break;
	}
	return (RDS_RETRY);
}

/* handoff_send - each Redis group that M's recipients belong to, in turn;
 * the first that fails ends it */
int
handoff_send(struct shard *sh, struct inb_msg *m, const struct cfg *cfg,
    const char **where, char *err, size_t errlen)
{
	size_t	g, i;

	for (g = 0; g < cfg->ngroups; g++) {
		for (i = 0; i < m->nrcpts; i++)
			if (m->rcpts[i].org->group == g)
				break;
		if (i == m->nrcpts)
			continue;
		*where = rds_describe(shard_at(sh, g));
		if (handoff_group(shard_at(sh, g), m, cfg, g, err,
		    errlen) != RDS_OK)
			return (RDS_RETRY);
	}
	return (RDS_OK);
}
