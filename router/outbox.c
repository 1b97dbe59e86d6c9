/* outbox.c - the router's own mail: acknowledgements and standard
 * responses.
 *
 * The function library writes a job to mailacd:{ORG}:outbox when a new
 * interaction is to be acknowledged (mailacd_ingest, in the same call that
 * creates it) or when someone asks for a standard response
 * (mailacd_respond); the message's facts are in its hash out:JOB.  This
 * thread of mailacd-router reads those streams through the consumer group
 * "routers", composes each message from the organisation's response
 * (respond.c), and submits it through delivery.relay with the channel as
 * MAIL FROM: the relay's milter takes it as the channel's outbound mail,
 * dresses and DKIM-signs it.  A header X-MailACD-Delivery tells the milter
 * that the router records the message itself; the milter removes it.
 *
 * Same bytes on every attempt: before the first one the Message-ID and
 * then the composed message are written into out:JOB (HSETNX), and every
 * attempt, by this router or another that took the job over, sends what
 * is stored there.  A job is acknowledged only once mailacd_sent recorded
 * the message (timeline "acked" or "responded") or mailacd_unsent gave it
 * up; a router killed between the relay's 250 and mailacd_sent leaves the
 * job pending and another router sends the same bytes again (at least
 * once, never two different messages).  Temporary failures wait for the
 * retry policy of forward mode (retry.c, delivery.retry_*), in the
 * pending list, as deliver.c's jobs do. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis.h>
#include <openssl/evp.h>

#include "addr.h"
#include "clock.h"
#include "fn.h"
#include "keys.h"
#include "log.h"
#include "outbox.h"
#include "rds.h"
#include "relink.h"
#include "respond.h"
#include "retry.h"
#include "rnd.h"
#include "smtp.h"
#include "stream.h"
#include "tmpl.h"

/* The thread's state. */
struct outbox_state {
	struct cfg *cfg;
	struct relink link;
	redisContext *c;	/* link.c during a turn */
	struct stream_set *streams;	/* the outbox of each organisation */
	char	relay[300];	/* delivery.relay without user info */
	long long next_due;	/* wall ms of the next retry seen, 0: none */
	long long turn;		/* monotonic ms the turn began */
	long long next_claim;	/* monotonic ms the take-over is due */
	int	budget;		/* the turn ran out of time: read again */
};

/* The fields of one out:JOB hash (pointers into the reply). */
struct outbox_msg {
	const char *kind, *id, *response, *to, *name, *address, *queue;
	const char *agent, *subject, *in_reply_to, *references, *wait;
	const char *opens, *arrived, *created, *state, *attempts, *next;
	const char *message_id, *data;
	size_t	datalen;
};

/* One job: an entry of an outbox stream. */
struct outbox_job {
	const struct cfg_org *org;
	const char *key;	/* its stream */
	const char *entry;	/* its id there */
	const char *job;
	char	kout[300];
};

/* one thread per Redis group the router serves */
#define OUTBOX_MAX	64
static pthread_t outbox_tid[OUTBOX_MAX];
static struct outbox_state *outbox_cur[OUTBOX_MAX];
static size_t outbox_n;
static atomic_int outbox_stopping;

/* outbox_needed - responses somewhere, and a relay to send them */
int
outbox_needed(const struct cfg *cfg)
{
	size_t	i;

	if (cfg->delivery.relay == NULL || *cfg->delivery.relay == '\0')
		return (0);
	for (i = 0; i < cfg->norgs; i++)
		if (cfg->orgs[i].nresponses > 0)
			return (1);
	return (0);
}

/* outbox_publish - mailacd_responses for every organisation */
int
outbox_publish(redisContext *c, const struct cfg *cfg, char *err,
    size_t errlen)
{
	const struct cfg_org *o;
	const char **names;
	struct fn_cmd cmd;
	redisReply *r = NULL;
	size_t	i, j;
	int	rc = 0;

	for (i = 0; i < cfg->norgs && rc == 0; i++) {
		o = &cfg->orgs[i];
		if ((names = calloc(o->nresponses + 1, sizeof(*names))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return (-1);
		}
		for (j = 0; j < o->nresponses; j++)
			names[j] = o->responses[j].name;
		fn_responses(&cmd, o->id, names, o->nresponses);
		rc = fn_run(c, &cmd, &r, err, errlen);
		fn_cmd_free(&cmd);
		free(names);
		if (rc == 0 && r->type == REDIS_REPLY_ERROR) {
			snprintf(err, errlen, "mailacd_responses: %s", r->str);
			rc = -1;
		}
		if (r != NULL)
			freeReplyObject(r);
		r = NULL;
	}
	return (rc);
}

/* outbox_wait_text - minutes under an hour and a half, else hours */
char *
outbox_wait_text(long long secs, char *buf, size_t len)
{
	long long n;

	if (secs < 60)
		snprintf(buf, len, "less than a minute");
	else if (secs < 5400) {
		n = (secs + 30) / 60;
		snprintf(buf, len, "about %lld minute%s", n, n == 1 ? "" : "s");
	} else {
		n = (secs + 1800) / 3600;
		snprintf(buf, len, "about %lld hours", n);
	}
	return (buf);
}

/* outbox_thread_key - SHA-256 of "<id>" "\n" address, in hex */
int
outbox_thread_key(const char *msgid, const char *addr, char out[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int	rc = -1;

	if (c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(c, msgid, strlen(msgid)) == 1 &&
	    EVP_DigestUpdate(c, "\n", 1) == 1 &&
	    EVP_DigestUpdate(c, addr, strlen(addr)) == 1 &&
	    EVP_DigestFinal_ex(c, md, &mdlen) == 1 && mdlen == 32) {
		for (i = 0; i < mdlen; i++) {
			out[2 * i] = digits[md[i] >> 4];
			out[2 * i + 1] = digits[md[i] & 15];
		}
		out[2 * mdlen] = '\0';
		rc = 0;
	}
	EVP_MD_CTX_free(c);
	return (rc);
}

/* outbox_str - S, or NULL when it is NULL or empty */
static const char *
outbox_str(const char *s)
{
	return (s != NULL && *s != '\0' ? s : NULL);
}

/* outbox_fields - the out:JOB hash of reply R into M */
static void
outbox_fields(const redisReply *r, struct outbox_msg *m)
{
	static const struct { const char *name; size_t off; } f[] = {
#define F(x)	{ #x, offsetof(struct outbox_msg, x) }
		F(kind), F(id), F(response), F(to), F(name), F(address),
		F(queue), F(agent), F(subject), F(in_reply_to), F(references),
		F(wait), F(opens), F(arrived), F(created), F(state),
		F(attempts), F(next), F(message_id), F(data)
#undef F
	};
	size_t	i, k;

	memset(m, 0, sizeof(*m));
	if (r->type != REDIS_REPLY_ARRAY)
		return;
	for (i = 0; i + 1 < r->elements; i += 2) {
		if (r->element[i]->type != REDIS_REPLY_STRING ||
		    r->element[i + 1]->type != REDIS_REPLY_STRING)
			continue;
		for (k = 0; k < sizeof(f) / sizeof(f[0]); k++)
			if (strcmp(r->element[i]->str, f[k].name) == 0)
				*(const char **)((char *)m + f[k].off) =
				    r->element[i + 1]->str;
		if (strcmp(r->element[i]->str, "data") == 0)
			m->datalen = r->element[i + 1]->len;
	}
}

/* outbox_channel - the registered address ADDRESS (a lookup key) */
static const struct cfg_address *
outbox_channel(const struct cfg *cfg, const char *address)
{
	struct addr a;
	char	key[ADDR_MAX + 2], err[128];

	if (address == NULL || addr_parse(address, &a, err, sizeof(err)) != 0)
		return (NULL);
	return (cfg_match_address(cfg, a.local, a.domain, key, sizeof(key)));
}

/* outbox_agent_name - the display name of agent ID of O, or ID */
static const char *
outbox_agent_name(const struct cfg_org *o, const char *id)
{
	size_t	i;

	if (id == NULL || *id == '\0')
		return (NULL);
	for (i = 0; i < o->nagents; i++)
		if (strcmp(o->agents[i].id, id) == 0)
			return (o->agents[i].name != NULL ?
			    o->agents[i].name : o->agents[i].id);
	return (id);
}

/* outbox_compose - message M of job J as it must leave, with MSGID and
 * our delivery header first; NULL with WHY (a reason to give up) */
static char *
outbox_compose(struct outbox_state *d, const struct outbox_job *j,
    const struct outbox_msg *m, const char *msgid, size_t *lenp, char *why,
    size_t whylen)
{
	const struct cfg_org *o = j->org;
	const struct cfg_address *ch;
	struct respond_in in;
	char	ref[KEYS_REF_LEN + 1], waitbuf[64], opensbuf[128], ixdate[128];
	char	head[200], *body, *out;
	size_t	blen, hlen;
	int	ack = m->kind != NULL && strcmp(m->kind, "ack") == 0;

	/* by id: O may be a Redis group's view of the organisation */
	if ((ch = outbox_channel(d->cfg, m->address)) == NULL ||
	    strcmp(ch->org->id, o->id) != 0) {
		snprintf(why, whylen, "the channel %s is not in the "
		    "configuration", m->address ? m->address : "?");
		return (NULL);
	}
	if (!ch->enabled || !(ch->direction & CFG_DIR_OUTBOUND)) {
		snprintf(why, whylen, "the channel %s does not send "
		    "(enabled, direction)", ch->address);
		return (NULL);
	}
	memset(&in, 0, sizeof(in));
	if (m->response == NULL ||
	    (in.response = cfg_response_find(o, m->response)) == NULL) {
		snprintf(why, whylen, "no response %s in the configuration",
		    m->response ? m->response : "?");
		return (NULL);
	}
	in.cfg = d->cfg;
	in.channel = ch;
	in.to = m->to;
	in.to_name = outbox_str(m->name);
	in.in_reply_to = outbox_str(m->in_reply_to);
	in.references = outbox_str(m->references);
	in.automatic = ack;
	in.message_id = msgid;
	/* the time the job was made: the same Date on every attempt */
	in.now = (time_t)(strtoll(m->created ? m->created : "0", NULL, 10) /
	    1000);
	if (in.now <= 0)
		in.now = time(NULL);
	keys_ref(m->id ? m->id : "", ref);
	in.vars.v[TV_CUSTOMER_NAME] = outbox_str(m->name);
	in.vars.v[TV_CUSTOMER_ADDRESS] = m->to;
	in.vars.v[TV_INTERACTION_ID] = m->id;
	in.vars.v[TV_REFERENCE] = ref;
	in.vars.v[TV_SUBJECT] = outbox_str(m->subject);
	in.vars.v[TV_QUEUE] = outbox_str(m->queue);
	in.vars.v[TV_AGENT_NAME] = outbox_agent_name(o, m->agent);
	if (outbox_str(m->arrived) != NULL) {
		tmpl_date(o, (time_t)(strtoll(m->arrived, NULL, 10) / 1000),
		    ixdate, sizeof(ixdate));
		in.vars.v[TV_INTERACTION_DATE] = ixdate;
	}
	if (outbox_str(m->wait) != NULL)
		in.vars.v[TV_WAIT] = outbox_wait_text(strtoll(m->wait, NULL,
		    10), waitbuf, sizeof(waitbuf));
	if (outbox_str(m->opens) != NULL) {
		tmpl_date(o, (time_t)strtoll(m->opens, NULL, 10), opensbuf,
		    sizeof(opensbuf));
		in.vars.v[TV_OPENS] = opensbuf;
	}
	if ((body = respond_compose(&in, &blen, why, whylen)) == NULL)
		return (NULL);
	/* the milter removes it; it says the router records the message */
	hlen = (size_t)snprintf(head, sizeof(head), KEYS_H_DELIVERY ": %s %s"
	    "\r\n", ack ? "ack" : "response", m->id ? m->id : "-");
	if ((out = malloc(hlen + blen + 1)) == NULL) {
		free(body);
		snprintf(why, whylen, "out of memory");
		return (NULL);
	}
	memcpy(out, head, hlen);
	memcpy(out + hlen, body, blen + 1);
	free(body);
	*lenp = hlen + blen;
	return (out);
}

/* outbox_xack - acknowledge job J's entry */
static int
outbox_xack(struct outbox_state *d, const struct outbox_job *j, char *err,
    size_t errlen)
{
	const char *argv[4] = { "XACK", j->key, KEYS_GROUP, j->entry };
	redisReply *r;

	if ((r = rds_cmd(d->c, 4, argv, err, errlen)) == NULL)
		return (-1);
	freeReplyObject(r);
	return (0);
}

/* outbox_due - remember the earliest retry still to come */
static void
outbox_due(struct outbox_state *d, long long at)
{
	if (d->next_due == 0 || at < d->next_due)
		d->next_due = at;
}

/* outbox_call - run CMD (freed); 0, or -1 with ERR (an error reply too) */
static int
outbox_call(struct outbox_state *d, struct fn_cmd *cmd, long long *n,
    char *err, size_t errlen)
{
	redisReply *r = NULL;
	int	rc = fn_run(d->c, cmd, &r, err, errlen);

	fn_cmd_free(cmd);
	if (rc != 0)
		return (-1);
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(err, errlen, "%s", r->str);
		rc = -1;
	} else if (n != NULL)
		*n = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
	freeReplyObject(r);
	return (rc);
}

/* outbox_failed - attempt ATTEMPTS (1 the first) of job J failed WHY:
 * due again by the retry policy, or given up (PERM, or attempts used) */
static int
outbox_failed(struct outbox_state *d, const struct outbox_job *j,
    const struct outbox_msg *m, long long attempts, int perm,
    const char *why, char *err, size_t errlen)
{
	struct retry_plan p;
	struct fn_cmd cmd;

	retry_plan(&d->cfg->delivery, attempts, perm ? RETRY_PERM :
	    RETRY_TEMP, clock_ms(), &p);
	fn_unsent(&cmd, j->org->id, j->job, j->entry, why, p.give_up ? 0 :
	    p.at);
	if (outbox_call(d, &cmd, NULL, err, errlen) != 0)
		return (-1);
	if (p.give_up)
		log_errx("%s: %s %s to <%s> given up after %lld attempt%s: %s",
		    m->id ? m->id : j->job, m->kind ? m->kind : "message",
		    m->response ? m->response : "?", m->to ? m->to : "?",
		    attempts, attempts == 1 ? "" : "s", why);
	else {
		log_warnx("%s: %s %s to <%s> via %s not sent (attempt %lld of "
		    "%lld): %s; next try in %lld s", m->id ? m->id : j->job,
		    m->kind ? m->kind : "message", m->response ?
		    m->response : "?", m->to ? m->to : "?", d->relay, attempts,
		    p.max, why, p.wait_ms / 1000);
		outbox_due(d, p.at);
	}
	return (0);
}

/* outbox_hget - one field of J's hash into OUT ("" if none); 0 or -1 */
static int
outbox_hget(struct outbox_state *d, const struct outbox_job *j,
    const char *field, char *out, size_t outlen, char *err, size_t errlen)
{
	const char *argv[3] = { "HGET", j->kout, field };
	redisReply *r;

	if ((r = rds_cmd(d->c, 3, argv, err, errlen)) == NULL)
		return (-1);
	out[0] = '\0';
	if (r->type == REDIS_REPLY_STRING)
		snprintf(out, outlen, "%s", r->str);
	freeReplyObject(r);
	return (0);
}

/* outbox_setnx - HSETNX one field of J's hash (LEN octets of V) */
static int
outbox_setnx(struct outbox_state *d, const struct outbox_job *j,
    const char *field, const char *v, size_t len, char *err, size_t errlen)
{
	const char *argv[4] = { "HSETNX", j->kout, field, v };
	size_t	lens[4];
	redisReply *r;

	lens[0] = 6;
	lens[1] = strlen(j->kout);
	lens[2] = strlen(field);
	lens[3] = len;
	r = redisCommandArgv(d->c, 4, argv, lens);
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		rds_error(d->c, r, err, errlen);
		if (r != NULL)
			freeReplyObject(r);
		return (-1);
	}
	freeReplyObject(r);
	return (0);
}

/* outbox_prepare - the Message-ID, then the composed message, stored
 * once in J's hash; 1 when stored (read the hash again), 0 when it cannot
 * be composed (given up), -1 with ERR */
static int
outbox_prepare(struct outbox_state *d, const struct outbox_job *j,
    const struct outbox_msg *m, char *err, size_t errlen)
{
	const struct cfg_address *ch = outbox_channel(d->cfg, m->address);
	char	rnd[33], msgid[400], why[SMTP_WHY_MAX];
	const char *dom = ch != NULL ? ch->domain->name : "mailacd.invalid";
	char	*msg;
	size_t	len;
	long long attempts = strtoll(m->attempts ? m->attempts : "0", NULL,
	    10);

	if (m->message_id == NULL) {
		if (rnd_hex(rnd, 16) != 0) {
			snprintf(err, errlen, "no random bytes for a "
			    "Message-ID");
			return (-1);
		}
		snprintf(msgid, sizeof(msgid), "<%s.%s@%s>", rnd,
		    m->kind != NULL && strcmp(m->kind, "ack") == 0 ? "ack" :
		    "response", dom);
		if (outbox_setnx(d, j, "message_id", msgid, strlen(msgid), err,
		    errlen) != 0 || outbox_hget(d, j, "message_id", msgid,
		    sizeof(msgid), err, errlen) != 0)
			return (-1);
	} else
		snprintf(msgid, sizeof(msgid), "%s", m->message_id);
	if ((msg = outbox_compose(d, j, m, msgid, &len, why,
	    sizeof(why))) == NULL) {
		if (outbox_failed(d, j, m, attempts + 1, 1, why, err,
		    errlen) != 0)
			return (-1);
		return (0);
	}
	if (outbox_setnx(d, j, "data", msg, len, err, errlen) != 0) {
		free(msg);
		return (-1);
	}
	free(msg);
	return (1);
}

/* outbox_send - job J: prepare it once, submit what is stored, record
 * the outcome; 0, or -1 with ERR when Redis failed */
static int
outbox_send(struct outbox_state *d, struct outbox_job *j, char *err,
    size_t errlen)
{
	const char *hgetall[2] = { "HGETALL", j->kout };
	const struct cfg_address *ch;
	struct outbox_msg m;
	struct fn_cmd cmd;
	struct smtp_server srv;
	enum smtp_result res;
	char	why[SMTP_WHY_MAX + 64], thread[65];
	redisReply *r = NULL;
	struct addr rcpt;
	char	key[ADDR_MAX + 2];
	long long attempts, next, done = 0;
	int	pass, rc = 0;

	for (pass = 0; pass < 2; pass++) {
		if (r != NULL)
			freeReplyObject(r);
		if ((r = rds_cmd(d->c, 2, hgetall, err, errlen)) == NULL)
			return (-1);
		outbox_fields(r, &m);
		if (m.state == NULL || strcmp(m.state, "queued") != 0) {
			log_debug("%s: outbox job %s is %s; acknowledged",
			    j->org->id, j->job, m.state ? m.state : "gone");
			freeReplyObject(r);
			return (outbox_xack(d, j, err, errlen));
		}
		next = strtoll(m.next ? m.next : "0", NULL, 10);
		if (next > clock_ms()) {
			outbox_due(d, next);
			freeReplyObject(r);
			return (0);
		}
		if (m.data != NULL && m.message_id != NULL)
			break;
		if (pass == 1 || (rc = outbox_prepare(d, j, &m, err,
		    errlen)) <= 0) {
			freeReplyObject(r);
			if (pass == 1) {
				snprintf(err, errlen, "outbox job %s: the "
				    "message was not stored", j->job);
				return (-1);
			}
			return (rc);
		}
	}
	attempts = strtoll(m.attempts ? m.attempts : "0", NULL, 10) + 1;
	ch = outbox_channel(d->cfg, m.address);
	if (ch == NULL || m.to == NULL ||
	    addr_parse(m.to, &rcpt, why, sizeof(why)) != 0) {
		if (ch == NULL)
			snprintf(why, sizeof(why), "the channel %s is not in "
			    "the configuration", m.address ? m.address : "?");
		else
			snprintf(why, sizeof(why), "no valid recipient");
		rc = outbox_failed(d, j, &m, attempts, 1, why, err, errlen);
		freeReplyObject(r);
		return (rc);
	}
	/* never to ourselves: a Reply-To naming a channel would loop */
	if (cfg_find_agent(d->cfg, m.to) != NULL ||
	    cfg_match_address(d->cfg, rcpt.local, rcpt.domain, key,
	    sizeof(key)) != NULL) {
		snprintf(why, sizeof(why), "the recipient %s is one of our own "
		    "addresses", m.to);
		rc = outbox_failed(d, j, &m, attempts, 1, why, err, errlen);
		freeReplyObject(r);
		return (rc);
	}
	/* through the relay even when the channel has a server of its own:
	 * its milter dresses and signs the message, and Postfix's
	 * sender-dependent maps ("mailacdctl postfix maps") send it on
	 * through the channel's account */
	smtp_server_relay(&srv, &d->cfg->delivery);
	res = smtp_send(&srv, ch->address, m.to, m.data, m.datalen,
	    &outbox_stopping, why, sizeof(why), NULL);
	if (res == SMTP_STOPPED) {
		freeReplyObject(r);
		return (0);
	}
	if (res != SMTP_SENT) {
		rc = outbox_failed(d, j, &m, attempts, res == SMTP_PERM, why,
		    err, errlen);
		freeReplyObject(r);
		return (rc);
	}
	if (outbox_thread_key(m.message_id, m.address, thread) != 0)
		thread[0] = '\0';
	fn_sent(&cmd, j->org->id, j->job, j->entry, m.message_id, d->relay,
	    thread, d->cfg->milter.thread_ttl);
	rc = outbox_call(d, &cmd, &done, err, errlen);
	if (rc == 0)
		log_info("%s: %s %s sent to <%s> as %s via %s, message-id=%s "
		    "(%zu bytes)%s", m.id ? m.id : j->job, strcmp(m.kind ?
		    m.kind : "", "ack") == 0 ? "acknowledgement" :
		    "response", m.response ? m.response : "?", m.to,
		    ch->address, d->relay, m.message_id, m.datalen,
		    done ? "" : "; recorded before");
	freeReplyObject(r);
	return (rc);
}

/* outbox_entries - stream_each_fn: the jobs LIST of organisation OI */
static int
outbox_entries(void *arg, size_t oi, redisReply *list, char *err,
    size_t errlen)
{
	struct outbox_state *d = arg;
	const redisReply *e, *f;
	struct outbox_job j;
	size_t	i, k;

	if (list->type != REDIS_REPLY_ARRAY)
		return (0);
	for (i = 0; i < list->elements; i++) {
		e = list->element[i];
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[0]->type != REDIS_REPLY_STRING)
			continue;
		if (d->budget || atomic_load(&outbox_stopping))
			continue;	/* read again at the next turn */
		memset(&j, 0, sizeof(j));
		j.org = &d->cfg->orgs[oi];
		j.key = d->streams->key[oi];
		j.entry = e->element[0]->str;
		f = e->element[1];
		for (k = 0; f->type == REDIS_REPLY_ARRAY && k + 1 < f->elements;
		    k += 2)
			if (f->element[k]->type == REDIS_REPLY_STRING &&
			    f->element[k + 1]->type == REDIS_REPLY_STRING &&
			    strcmp(f->element[k]->str, "job") == 0)
				j.job = f->element[k + 1]->str;
		if (j.job == NULL || *j.job == '\0' || strlen(j.job) > 64 ||
		    strspn(j.job, "0123456789abcdef") != strlen(j.job) ||
		    keys_fmt(j.kout, sizeof(j.kout), KEYS_FMT_OUT, j.org->id,
		    j.job) != 0) {
			log_warnx("%s: outbox entry %s malformed (no valid "
			    "job); acknowledged", j.key, j.entry);
			if (outbox_xack(d, &j, err, errlen) != 0)
				return (-1);
			continue;
		}
		if (outbox_send(d, &j, err, errlen) != 0)
			return (-1);
		if (clock_mono_ms() - d->turn >
		    d->cfg->router.claim_idle_ms / 2)
			d->budget = 1;
	}
	return (0);
}

/* outbox_stopping_now - relink: outbox_stop() was called */
static int
outbox_stopping_now(void *arg)
{
	(void)arg;
	return (atomic_load(&outbox_stopping) != 0);
}

/* outbox_setup - relink: a consumer group on every outbox stream */
static int
outbox_setup(redisContext *c, void *arg, char *err, size_t errlen)
{
	struct outbox_state *d = arg;

	d->c = c;
	d->next_claim = 0;
	return (stream_setup(c, d->streams, err, errlen));
}

/* outbox_turn - relink: take over idle jobs now and then, then this
 * consumer's pending jobs, then new ones */
static int
outbox_turn(redisContext *c, void *arg, char *err, size_t errlen)
{
	struct outbox_state *d = arg;
	long long wait = d->cfg->router.block_ms;
	size_t	i, n = 0, got;

	d->c = c;
	d->turn = clock_mono_ms();
	d->next_due = 0;
	d->budget = 0;
	if (d->turn >= d->next_claim) {
		for (i = 0; i < d->streams->n; i++) {
			if (stream_claim(c, d->streams, i, NULL, NULL, &got, err,
			    errlen) != 0)
				return (-1);
			n += got;
		}
		if (n > 0)
			log_info("outbox: took over %zu jobs idle at other "
			    "routers", n);
		if (stream_trim(c, d->streams, err, errlen) != 0)
			return (-1);
		d->next_claim = d->turn + d->cfg->router.claim_idle_ms / 2;
	}
	for (i = 0; i < d->streams->n; i++)
		if (stream_pending(c, d->streams, i, outbox_entries, d, err,
		    errlen) != 0)
			return (-1);
	if (d->next_due != 0 && d->next_due - clock_ms() < wait)
		wait = d->next_due - clock_ms();
	if (d->budget || wait < 0)
		wait = 0;
	return (stream_read(c, d->streams, ">", wait, outbox_entries, d,
	    &got, err, errlen));
}

/* outbox_main - the thread: turns on a connection kept up by relink */
static void *
outbox_main(void *arg)
{
	static const struct relink_ops ops = { "outbox: ",
	    outbox_stopping_now, NULL, outbox_setup, outbox_turn };
	struct outbox_state *d = arg;

	relink_run(&d->link, &ops, d);
	d->c = NULL;
	return (NULL);
}

/* outbox_free - the thread's state; accepts NULL */
static void
outbox_free(struct outbox_state *d)
{
	if (d == NULL)
		return;
	rds_pool_free(d->link.pool);
	stream_set_free(d->streams);
	cfg_unref(d->cfg);
	free(d);
}

/* outbox_start - the thread, when there is something to send */
int
outbox_start(struct cfg *cfg, const char *consumer)
{
	struct outbox_state *d;
	sigset_t all, old;
	int	e;

	if (!outbox_needed(cfg))
		return (1);
	if (outbox_n == OUTBOX_MAX) {
		log_errx("outbox: more than %d Redis groups: nothing is sent "
		    "for the organisations of %s", OUTBOX_MAX, cfg->orgs[0].id);
		return (-1);
	}
	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->streams = stream_set_new(cfg, STREAM_OUTBOX,
	    consumer)) == NULL ||
	    (d->link.pool = rds_pool_new(&cfg->redis)) == NULL) {
		if (d != NULL)
			stream_set_free(d->streams);
		free(d);
		log_errx("outbox: out of memory; nothing is sent");
		return (-1);
	}
	rds_pool_say(d->link.pool, log_say, "outbox: redis: ");
	d->cfg = cfg_ref(cfg);
	smtp_relay_name(cfg->delivery.relay, d->relay, sizeof(d->relay));
	if (outbox_n == 0)
		atomic_store(&outbox_stopping, 0);
	d->streams->stop = &outbox_stopping;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e = pthread_create(&outbox_tid[outbox_n], NULL, outbox_main, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		log_errx("outbox: cannot start the thread: %s; nothing is "
		    "sent", strerror(e));
		outbox_free(d);
		return (-1);
	}
	outbox_cur[outbox_n++] = d;
	log_info("outbox: sending acknowledgements and responses via %s "
	    "(redis %s)", d->relay, rds_describe(d->link.pool));
	return (0);
}

/* outbox_stop - tell the threads, wait for them, free their state */
void
outbox_stop(void)
{
	size_t	i;

	if (outbox_n == 0)
		return;
	atomic_store(&outbox_stopping, 1);
	for (i = 0; i < outbox_n; i++) {
		pthread_join(outbox_tid[i], NULL);
		outbox_free(outbox_cur[i]);
		outbox_cur[i] = NULL;
	}
	outbox_n = 0;
}
