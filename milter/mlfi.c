/* mlfi.c - libmilter callbacks of mailacd-milter: thin glue.  Callbacks
 * pass what the MTA tells to inbound.c (mail to our addresses) or
 * outbound.c (mail from them), which decide; at the end of the message
 * the hand-off (handoff.c) records an inbound message's interactions, and
 * the edits either module listed are applied in their order.
 *
 * Per-message state is reset in one place (mlfi_reset), when a message
 * starts (envfrom) and when it ends (eom, abort); per-connection state is
 * freed in close, which may be the only callback a connection gets.  A
 * connection keeps the configuration it started with until it closes, so
 * a reload never changes the rules in the middle of a message. */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libmilter/mfapi.h>

#include "dress.h"
#include "edit.h"
#include "handoff.h"
#include "openlook.h"
#include "inbound.h"
#include "keys.h"
#include "log.h"
#include "lookup.h"
#include "mlfi.h"
#include "outbound.h"
#include "rds.h"
#include "shard.h"
#include "tally.h"

/* The configuration and the Redis pools that go with it, one per Redis
 * group (shard.h). */
struct mlfi_conf {
	int	refs;
	struct cfg *cfg;
	struct shard *shard;
	unsigned long actions;	/* SMFIF_* this configuration needs */
};

/* One connection, and the message it carries. */
struct mlfi_conn {
	struct mlfi_conf *conf;
	struct inb_msg msg;
	struct out_msg out;	/* outbound: out.active is set */
	struct out_client client;
	struct edits edits;	/* what the end of message changes */
	unsigned long nr;	/* SMFIP_NR_* steps the MTA expects no reply to */
	int	failed;		/* a no-reply step failed: tempfail at DATA/EOM */
};

#define MLFI_SIGN_TEXT \
	"mailacd: cannot sign the message now, try again later"

static pthread_mutex_t mlfi_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mlfi_conf *mlfi_current;

/* Steps that never change the outcome on their own: with SMFIP_NR_* the
 * MTA sends them without waiting, which saves a round trip each. */
#define MLFI_NR_STEPS	(SMFIP_NR_MAIL | SMFIP_NR_HDR | SMFIP_NR_EOH | \
			 SMFIP_NR_BODY)

#define MLFI_TEMPFAIL_TEXT \
	"mailacd: cannot record the interaction now, try again later"

/* mlfi_conf_unref - drop one reference; the last frees pool and config */
static void
mlfi_conf_unref(struct mlfi_conf *c)
{
	if (c == NULL || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	shard_free(c->shard);
	cfg_unref(c->cfg);
	free(c);
}

/* mlfi_conf_get - a reference on the installed configuration */
static struct mlfi_conf *
mlfi_conf_get(void)
{
	struct mlfi_conf *c;

	pthread_mutex_lock(&mlfi_lock);
	if ((c = mlfi_current) != NULL)
		__atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_unlock(&mlfi_lock);
	return (c);
}

/* mlfi_with_conf - lend the installed configuration's pools to FN */
int
mlfi_with_conf(void (*fn)(struct shard *sh, void *arg), void *arg)
{
	struct mlfi_conf *c;

	if ((c = mlfi_conf_get()) == NULL)
		return (-1);
	fn(c->shard, arg);
	mlfi_conf_unref(c);
	return (0);
}

/* mlfi_actions - what we may ask the MTA to do under CFG: headers always;
 * recipients and the envelope sender only when the outbound settings use
 * them (copy_to, bounce_domain, an address's own smtp server), the body
 * when mail may be dressed */
static unsigned long
mlfi_actions(const struct cfg *cfg)
{
	unsigned long a = SMFIF_ADDHDRS | SMFIF_CHGHDRS;
	size_t	i, j, k;

	for (i = 0; i < cfg->norgs; i++)
		for (j = 0; j < cfg->orgs[i].ndomains; j++) {
			const struct cfg_domain *d = &cfg->orgs[i].domains[j];

			if (d->bounce_domain != NULL)
				a |= SMFIF_CHGFROM;
			for (k = 0; k < d->naddresses; k++) {
				if (d->addresses[k].copy_to[0] != '\0')
					a |= SMFIF_ADDRCPT;
				if (d->addresses[k].smtp != NULL)
					a |= SMFIF_CHGFROM;
			}
			for (k = 0; k < d->naddresses; k++)
				if (dress_wanted(&d->addresses[k], NULL) ||
				    cfg->orgs[i].nresponses > 0)
					a |= SMFIF_CHGBODY;
			for (k = 0; k < cfg->orgs[i].nagents; k++)
				if (cfg->orgs[i].agents[k].signature != NULL)
					a |= SMFIF_CHGBODY;
		}
	return (a);
}

/* mlfi_install - swap in a new configuration with its own Redis pools */
int
mlfi_install(struct cfg *cfg)
{
	struct mlfi_conf *c, *old;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->shard = shard_new(cfg, 0)) == NULL) {
		free(c);
		cfg_unref(cfg);
		return (-1);
	}
	shard_say(c->shard, log_say, "redis: ");
	c->cfg = cfg;
	c->refs = 1;
	c->actions = mlfi_actions(cfg);
	pthread_mutex_lock(&mlfi_lock);
	old = mlfi_current;
	mlfi_current = c;
	pthread_mutex_unlock(&mlfi_lock);
	mlfi_conf_unref(old);
	return (0);
}

/* mlfi_flush - what was counted and not yet added, to each group's
 * Redis through SH, before the milter exits (else it is lost) */
static void
mlfi_flush(struct shard *sh)
{
	struct rds_pool *pool;
	redisContext *c;
	char	err[256];
	size_t	g;
	int	fresh;

	for (g = 0; g < shard_count(sh) && tally_pending(NULL) > 0; g++) {
		pool = shard_at(sh, g);
		if ((c = rds_get(pool, &fresh, err, sizeof(err))) == NULL ||
		    tally_flush(c, shard_view(sh, g), err, sizeof(err)) != 0)
			log_warnx("redis %s: counts not added to the "
			    "counters: %s", rds_describe(pool), err);
		rds_put(pool, c, c != NULL && c->err != 0);
	}
}

/* mlfi_shutdown - release the installed configuration */
void
mlfi_shutdown(void)
{
	struct mlfi_conf *old;

	pthread_mutex_lock(&mlfi_lock);
	old = mlfi_current;
	mlfi_current = NULL;
	pthread_mutex_unlock(&mlfi_lock);
	if (old != NULL)
		mlfi_flush(old->shard);
	mlfi_conf_unref(old);
}

static sfsistat mlfi_tempfail(SMFICTX *);

/* mlfi_conn_new - per-connection state with the current configuration */
static struct mlfi_conn *
mlfi_conn_new(SMFICTX *ctx)
{
	struct mlfi_conn *conn;

	if ((conn = calloc(1, sizeof(*conn))) == NULL)
		return (NULL);
	if ((conn->conf = mlfi_conf_get()) == NULL) {
		free(conn);
		return (NULL);
	}
	inb_reset(&conn->msg);
	smfi_setpriv(ctx, conn);
	return (conn);
}

/* mlfi_step - the answer to a step: no reply where negotiated, otherwise
 * continue; a failure in a no-reply step is kept for DATA or EOM */
static sfsistat
mlfi_step(SMFICTX *ctx, struct mlfi_conn *conn, unsigned long flag, int rc)
{
	if (rc < 0) {
		log_errx("%s: out of memory; tempfail", conn->msg.qid);
		if (!(conn->nr & flag))
			return (mlfi_tempfail(ctx));
		conn->failed = 1;
	}
	return ((conn->nr & flag) ? SMFIS_NOREPLY : SMFIS_CONTINUE);
}

/* mlfi_qid - remember the MTA queue id as soon as the MTA tells it */
static void
mlfi_qid(SMFICTX *ctx, struct mlfi_conn *conn)
{
	const char *qid;

	if (strcmp(conn->msg.qid, "NOQUEUE") != 0)
		return;
	if ((qid = smfi_getsymval(ctx, "i")) != NULL && *qid != '\0')
		snprintf(conn->msg.qid, sizeof(conn->msg.qid), "%s", qid);
}

/* mlfi_reset - forget the current message */
static void
mlfi_reset(struct mlfi_conn *conn)
{
	inb_reset(&conn->msg);
	out_reset(&conn->out);
	edit_reset(&conn->edits);
	conn->failed = 0;
}

/* mlfi_tempfail - ask the MTA to keep the message and retry */
static sfsistat
mlfi_tempfail(SMFICTX *ctx)
{
	smfi_setreply(ctx, "451", "4.3.0", MLFI_TEMPFAIL_TEXT);
	return (SMFIS_TEMPFAIL);
}

/* mlfi_notes - log what outbound.c left to say about the message */
static void
mlfi_notes(struct mlfi_conn *conn)
{
	size_t	i;

	for (i = 0; i < conn->out.nnotes; i++)
		switch (conn->out.notes[i].level) {
		case OUT_INFO:
			log_info("%s: %s", conn->msg.qid,
			    conn->out.notes[i].text);
			break;
		case OUT_WARN:
			log_warnx("%s: %s", conn->msg.qid,
			    conn->out.notes[i].text);
			break;
		default:
			log_errx("%s: %s", conn->msg.qid,
			    conn->out.notes[i].text);
			break;
		}
	out_notes_clear(&conn->out);
}

/* mlfi_apply - make the edits in their order; NULL, or what failed */
static const char *
mlfi_apply(SMFICTX *ctx, const struct edits *e)
{
	const struct edit *x;
	size_t	i;
	int	rc;

	for (i = 0; i < e->n; i++) {
		x = &e->v[i];
		switch (x->kind) {
		case EDIT_HDR_ADD:
			rc = smfi_addheader(ctx, x->name, x->value);
			break;
		case EDIT_HDR_INSERT:
			rc = smfi_insheader(ctx, x->index, x->name, x->value);
			break;
		case EDIT_HDR_CHANGE:
			rc = smfi_chgheader(ctx, x->name, x->index, x->value);
			break;
		case EDIT_RCPT_ADD:
			rc = smfi_addrcpt(ctx, x->value);
			break;
		case EDIT_FROM_CHANGE:
			rc = smfi_chgfrom(ctx, x->value, NULL);
			break;
		case EDIT_BODY_REPLACE:
			rc = smfi_replacebody(ctx, (unsigned char *)x->value,
			    (int)x->len);
			break;
		default:
			rc = MI_FAILURE;
			break;
		}
		if (rc != MI_SUCCESS)
			return (x->what);
	}
	return (NULL);
}

/* mlfi_negotiate - ask only for the steps and actions we use */
static sfsistat
mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct mlfi_conn *conn;

	(void)f2;
	(void)f3;
	if ((conn = smfi_getpriv(ctx)) == NULL &&
	    (conn = mlfi_conn_new(ctx)) == NULL) {
		log_errx("NOQUEUE: out of memory; tempfail");
		return (SMFIS_TEMPFAIL);
	}
	*pf0 = f0 & conn->conf->actions;
	/* the connect step is kept: the client's address is part of what
	 * milter.sender_rate_limit counts (no reply with SMFIP_NR_CONN) */
	*pf1 = f1 & (SMFIP_NOHELO | SMFIP_NOUNKNOWN);
	/* Measured with Postfix 3.7 over unix and TCP sockets (TCP_NODELAY
	 * on our side, see nodelay.c), new and reused connections: no
	 * stall, and about 1 ms less per message. */
	if (conn->conf->cfg->milter.no_reply_steps) {
		conn->nr = f1 & (MLFI_NR_STEPS | SMFIP_NR_CONN);
		*pf1 |= conn->nr;
	}
	*pf2 = 0;
	*pf3 = 0;
	return (SMFIS_CONTINUE);
}

/* mlfi_connect - the client's address, for outbound.trusted_networks */
static sfsistat
mlfi_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	struct mlfi_conn *conn = smfi_getpriv(ctx);

	(void)host;
	if (conn == NULL && (conn = mlfi_conn_new(ctx)) == NULL) {
		log_errx("NOQUEUE: out of memory; tempfail");
		return (SMFIS_TEMPFAIL);
	}
	memset(&conn->client, 0, sizeof(conn->client));
	if (sa != NULL && sa->sa_family == AF_INET) {
		conn->client.family = AF_INET;
		memcpy(conn->client.addr,
		    &((struct sockaddr_in *)(void *)sa)->sin_addr, 4);
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		conn->client.family = AF_INET6;
		memcpy(conn->client.addr,
		    &((struct sockaddr_in6 *)(void *)sa)->sin6_addr, 16);
	}
	return ((conn->nr & SMFIP_NR_CONN) ? SMFIS_NOREPLY : SMFIS_CONTINUE);
}

/* mlfi_envfrom - a new message: state, sender, outbound or not */
static sfsistat
mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	static int warned;
	struct mlfi_conn *conn = smfi_getpriv(ctx);
	const struct cfg *cfg;

	/* without option negotiation (old MTAs) this is the first step */
	if (conn == NULL && (conn = mlfi_conn_new(ctx)) == NULL) {
		log_errx("NOQUEUE: out of memory; tempfail");
		return (SMFIS_TEMPFAIL);
	}
	cfg = conn->conf->cfg;
	mlfi_reset(conn);
	mlfi_qid(ctx, conn);
	/* also for the router's resent copies, whoever they come from */
	conn->client.auth = smfi_getsymval(ctx, "{auth_authen}");
	conn->client.daemon = smfi_getsymval(ctx, "{daemon_name}");
	if (out_start(&conn->out, cfg, &conn->client, argv[0],
	    conn->msg.qid) != 0 && cfg->outbound.ntrusted_daemons > 0 &&
	    conn->client.daemon == NULL &&
	    !__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
		log_warnx("outbound.trusted_daemons is set but the MTA does "
		    "not send the {daemon_name} macro: add it to "
		    "milter_connect_macros (Postfix) or "
		    "confMILTER_MACROS_CONNECT (Sendmail)");
	/* the client's address: part of what the hourly limit counts */
	if (conn->client.family != 0)
		(void)inet_ntop(conn->client.family, conn->client.addr,
		    conn->msg.client, sizeof(conn->msg.client));
	return (mlfi_step(ctx, conn, SMFIP_NR_MAIL,
	    inb_sender(&conn->msg, argv[0])));
}

/* mlfi_envrcpt - match one recipient against the registered addresses */
static sfsistat
mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct mlfi_conn *conn = smfi_getpriv(ctx);

	if (conn == NULL)
		return (SMFIS_CONTINUE);
	mlfi_qid(ctx, conn);
	/* our own outbound mail is not an interaction, whoever it goes to */
	if (conn->out.active)
		return (mlfi_step(ctx, conn, SMFIP_NR_RCPT, 0));
	/* RCPT is answered: an address at one of our domains that cannot
	 * be recorded is refused here, never passed unrecorded */
	switch (inb_rcpt(&conn->msg, conn->conf->cfg, argv[0])) {
	case INB_REFUSE:
		log_info("%s: recipient %s refused: %s", conn->msg.qid,
		    argv[0], conn->msg.refuse_text);
		if (smfi_setreply(ctx, (char *)conn->msg.refuse_code, "5.1.3",
		    conn->msg.refuse_text) != MI_SUCCESS)
			log_warnx("%s: cannot set the refusal text",
			    conn->msg.qid);
		return (SMFIS_REJECT);
	case -1:
		return (mlfi_step(ctx, conn, SMFIP_NR_RCPT, -1));
	default:
		return (mlfi_step(ctx, conn, SMFIP_NR_RCPT, 0));
	}
}

/* mlfi_data - mail to no registered address passes untouched, unread */
static sfsistat
mlfi_data(SMFICTX *ctx)
{
	struct mlfi_conn *conn = smfi_getpriv(ctx);

	if (conn == NULL)
		return (SMFIS_ACCEPT);
	if (conn->failed)
		return (mlfi_tempfail(ctx));
	mlfi_qid(ctx, conn);
	mlfi_notes(conn);
	if (conn->out.active)
		return (SMFIS_CONTINUE);
	/* an agent's mailbox gets no forged routing header either */
	if (conn->msg.nrcpts == 0 && conn->msg.agents == 0)
		return (SMFIS_ACCEPT);
	/* a recipient's queue resends to agents: keep a copy */
	inb_capture(&conn->msg, (size_t)conn->conf->cfg->delivery.max_size);
	/* a recipient's flow reads the message: keep what it needs */
	inb_flow_start(&conn->msg, conn->conf->cfg);
	return (SMFIS_CONTINUE);
}

/* mlfi_header - one header to whichever module decides the message */
static sfsistat
mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct mlfi_conn *conn = smfi_getpriv(ctx);

	if (conn == NULL)
		return (SMFIS_CONTINUE);
	return (mlfi_step(ctx, conn, SMFIP_NR_HDR, conn->out.active ?
	    out_header(&conn->out, name, value) :
	    inb_header(&conn->msg, name, value)));
}

/* mlfi_out_org - the organisation outbound message O is sent for, as
 * far as it is known yet, or NULL */
static const struct cfg_org *
mlfi_out_org(const struct out_msg *o)
{
	if (o->from != NULL)
		return (o->from->domain->org);
	return (o->agent != NULL ? o->agent->org : NULL);
}

/* mlfi_eoh - end of headers; outbound mail's lookups happen here */
static sfsistat
mlfi_eoh(SMFICTX *ctx)
{
	struct mlfi_conn *conn = smfi_getpriv(ctx);
	struct out_lookup look;
	int	rc;

	if (conn == NULL)
		return (SMFIS_CONTINUE);
	if (!conn->out.active)
		return (mlfi_step(ctx, conn, SMFIP_NR_EOH,
		    inb_eoh(&conn->msg)));
	mlfi_qid(ctx, conn);
	lookup_redis(&look, conn->conf->shard, mlfi_out_org(&conn->out));
	rc = out_eoh(&conn->out, conn->conf->cfg, &look,
	    conn->msg.arrived_ms);
	mlfi_notes(conn);
	return (mlfi_step(ctx, conn, SMFIP_NR_EOH, rc));
}

/* mlfi_body - body size, and identity when there is no Message-ID */
static sfsistat
mlfi_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
	struct mlfi_conn *conn = smfi_getpriv(ctx);

	if (conn == NULL)
		return (SMFIS_CONTINUE);
	return (mlfi_step(ctx, conn, SMFIP_NR_BODY, conn->out.active ?
	    out_body(&conn->out, data, len) :
	    inb_body(&conn->msg, data, len)));
}

/* mlfi_count - one more WHAT for each organisation the message is about:
 * its registered recipients' (once each), or the one it is sent as */
static void
mlfi_count(const struct mlfi_conn *conn, enum tally_what what)
{
	const struct inb_msg *m = &conn->msg;
	const struct out_msg *o = &conn->out;
	size_t	i, k;

	if (o->active) {
		if (o->from != NULL)
			tally_add(o->from->domain->org->id, what);
		else if (o->agent != NULL)
			tally_add(o->agent->org->id, what);
		return;
	}
	for (i = 0; i < m->nrcpts; i++) {
		for (k = 0; k < i; k++)
			if (m->rcpts[k].org == m->rcpts[i].org)
				break;
		if (k == i)
			tally_add(m->rcpts[i].org->id, what);
	}
}

/* mlfi_eom_out - the end of an outbound message: outbound.c's outcome,
 * its edits applied */
static sfsistat
mlfi_eom_out(SMFICTX *ctx, struct mlfi_conn *conn)
{
	struct out_msg *o = &conn->out;
	struct out_lookup look;
	const char *what;
	int	rc;

	lookup_redis(&look, conn->conf->shard, mlfi_out_org(o));
	rc = out_eom(o, conn->conf->cfg, &look, &conn->edits);
	mlfi_notes(conn);
	switch (rc) {
	case OUT_SEND:
		break;
	case OUT_REFUSE:
		mlfi_count(conn, TALLY_REFUSED);
		smfi_setreply(ctx, "550", "5.7.1", (char *)out_text(o));
		return (SMFIS_REJECT);
	case OUT_HOLD:
		smfi_setreply(ctx, "451", "4.7.1", (char *)out_text(o));
		return (SMFIS_TEMPFAIL);
	case OUT_SIGNFAIL:
		smfi_setreply(ctx, "451", "4.3.0", MLFI_SIGN_TEXT);
		return (SMFIS_TEMPFAIL);
	case OUT_TEMPFAIL:
		return (mlfi_tempfail(ctx));
	default:
		log_errx("%s: out of memory; tempfail", conn->msg.qid);
		return (mlfi_tempfail(ctx));
	}
	if ((what = mlfi_apply(ctx, &conn->edits)) != NULL) {
		log_errx("%s: outbound from %s: cannot %s; tempfail",
		    conn->msg.qid, out_label(o), what);
		return (mlfi_tempfail(ctx));
	}
	if (o->signed_)
		mlfi_count(conn, TALLY_SIGNED);
	log_info("%s: %s", conn->msg.qid, o->done);
	return (SMFIS_CONTINUE);
}

/* mlfi_routed - log each interaction the hand-off recorded */
static void
mlfi_routed(const struct mlfi_conn *conn)
{
	const struct inb_msg *m = &conn->msg;
	size_t	i, n;

	for (i = 0; i < m->nrcpts; i++) {
		const struct inb_rcpt *r = &m->rcpts[i];

		if (r->limited) {
			log_warnx("%s: %s sent more than %d messages this hour "
			    "(milter.sender_rate_limit): not routed, address=%s "
			    "sender=%s", m->qid, r->counted,
			    conn->conf->cfg->milter.sender_rate_limit,
			    r->address, m->sender);
			continue;
		}
		if (r->token == -1)
			log_warnx("%s: %s carries an expired reply token: a "
			    "new interaction", m->qid, r->rcpt);
		if (r->flowed && r->fres.fallback)
			log_warnx("%s: flow %s: %s: its default applied, "
			    "address=%s", m->qid, r->route->flow,
			    r->fres.why, r->address);
		if (r->flowed)
			log_info("%s: interaction %s flow %s%s language=%s "
			    "detected=%s/%d%s", m->qid, r->id, r->fres.path,
			    r->fres.close ? " (stopped: recorded closed)" : "",
			    r->route->language[0] ? r->route->language : "-",
			    m->flow.lang[0] ? m->flow.lang : "-",
			    m->flow.lang_confidence, m->flow.lang[0] &&
			    !m->flow.lang_reliable ? " (unsure)" : "");
		log_info("%s: interaction %s%s org=%s queue=%s address=%s "
		    "match=%s sender=%s%s%s", m->qid, r->id,
		    r->reply ? (r->token_id[0] ? " (reply, token)" :
		    " (reply)") : r->merged ? " (merged: new thread)" : "",
		    r->org->id,
		    r->route->queue, r->address, r->match, m->sender,
		    m->auto_reason ? " auto=" : "",
		    m->auto_reason ? m->auto_reason : "");
	}
	if ((n = inb_retries(m)) > 0)
		log_info("%s: %zu of %zu interactions were already recorded "
		    "(MTA retry); ids reused", m->qid, n, m->nrcpts);
}

/* mlfi_eom_in - the end of an inbound message: inbound.c's verdict, the
 * hand-off, its edits applied */
static sfsistat
mlfi_eom_in(SMFICTX *ctx, struct mlfi_conn *conn)
{
	struct inb_msg *m = &conn->msg;
	const struct cfg *cfg = conn->conf->cfg;
	char	err[512];
	const char *what, *where = "";
	int	routed = 0;

	switch (inb_verdict(m, m->delivery > 0 &&
	    out_trusted(cfg, &conn->client, err, sizeof(err)) != NULL)) {
	case INB_PASS:
		return (SMFIS_CONTINUE);
	case INB_RESENT:
		log_info("%s: resent copy for an agent (%s) from a trusted "
		    "client: passed untouched", m->qid, KEYS_H_DELIVERY);
		return (SMFIS_CONTINUE);
	case INB_AGENT:
		/* nothing to record, and no routing header an outsider
		 * wrote reaches the agent's mail client */
		if (m->ours.n > 0)
			log_info("%s: mail to an agent: foreign X-MailACD-* "
			    "headers removed, sender=%s", m->qid, m->sender);
		break;
	case INB_LOOP:
		log_warnx("%s: mail loop: the message carries %s %d times "
		    "(it went round through mailacd and a mailbox); not "
		    "routed again, sender=%s", m->qid, KEYS_H_LOOP, m->loops,
		    m->sender);
		mlfi_count(conn, TALLY_LOOPS);
		break;
	case INB_ROUTE:
		if (inb_decide(m, cfg, err, sizeof(err)) != 0) {
			log_errx("%s: %s; tempfail", m->qid, err);
			return (mlfi_tempfail(ctx));
		}
		/* a flow's open_interaction: a failed read leaves it not
		 * known (false); the hand-off meets Redis's state next */
		if (inb_needs_open(m) && openlook_run(conn->conf->shard, m,
		    err, sizeof(err)) != RDS_OK)
			log_warnx("%s: redis: open interaction not known: %s",
			    m->qid, err);
		if (inb_route(m, cfg, err, sizeof(err)) != 0) {
			log_errx("%s: %s; tempfail", m->qid, err);
			return (mlfi_tempfail(ctx));
		}
		if (handoff_send(conn->conf->shard, m, cfg, &where, err,
		    sizeof(err)) == RDS_OK) {
			routed = 1;
			break;
		}
		if (cfg->milter.on_redis_failure == CFG_FAIL_TEMPFAIL) {
			log_warnx("%s: redis %s: hand-off failed: %s; tempfail",
			    m->qid, where, err);
			return (mlfi_tempfail(ctx));
		}
		log_errx("%s: redis %s: hand-off failed: %s; accepted "
		    "WITHOUT an interaction (on_redis_failure = accept)",
		    m->qid, where, err);
		break;
	}
	if (inb_edits(m, routed, &conn->edits) != 0) {
		log_errx("%s: out of memory; tempfail", m->qid);
		return (mlfi_tempfail(ctx));
	}
	if ((what = mlfi_apply(ctx, &conn->edits)) != NULL) {
		log_errx("%s: cannot %s; tempfail", m->qid, what);
		return (mlfi_tempfail(ctx));
	}
	if (routed)
		mlfi_routed(conn);
	return (SMFIS_CONTINUE);
}

/* mlfi_eom - the end of the message, and of its state */
static sfsistat
mlfi_eom(SMFICTX *ctx)
{
	struct mlfi_conn *conn = smfi_getpriv(ctx);
	sfsistat rc;

	if (conn == NULL)
		return (SMFIS_CONTINUE);
	mlfi_qid(ctx, conn);
	if (conn->failed)
		rc = mlfi_tempfail(ctx);
	else if (conn->out.active)
		rc = mlfi_eom_out(ctx, conn);
	else
		rc = mlfi_eom_in(ctx, conn);
	if (rc == SMFIS_TEMPFAIL)
		mlfi_count(conn, TALLY_TEMPFAILED);
	mlfi_reset(conn);
	return (rc);
}

/* mlfi_abort - the message ended early */
static sfsistat
mlfi_abort(SMFICTX *ctx)
{
	struct mlfi_conn *conn = smfi_getpriv(ctx);

	if (conn != NULL)
		mlfi_reset(conn);
	return (SMFIS_CONTINUE);
}

/* mlfi_close - the connection ended: free everything */
static sfsistat
mlfi_close(SMFICTX *ctx)
{
	struct mlfi_conn *conn = smfi_getpriv(ctx);

	if (conn != NULL) {
		mlfi_reset(conn);
		mlfi_conf_unref(conn->conf);
		free(conn);
		smfi_setpriv(ctx, NULL);
	}
	return (SMFIS_CONTINUE);
}

static struct smfiDesc mlfi_desc = {
	.xxfi_name = "mailacd-milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_ADDRCPT |
	    SMFIF_CHGFROM | SMFIF_CHGBODY,
	.xxfi_connect = mlfi_connect,
	.xxfi_envfrom = mlfi_envfrom,
	.xxfi_envrcpt = mlfi_envrcpt,
	.xxfi_header = mlfi_header,
	.xxfi_eoh = mlfi_eoh,
	.xxfi_body = mlfi_body,
	.xxfi_eom = mlfi_eom,
	.xxfi_abort = mlfi_abort,
	.xxfi_close = mlfi_close,
	.xxfi_data = mlfi_data,
	.xxfi_negotiate = mlfi_negotiate,
};

/* mlfi_register - hand the callbacks to libmilter */
int
mlfi_register(void)
{
	return (smfi_register(mlfi_desc) == MI_SUCCESS ? 0 : -1);
}
