/* mlfi.c - libmilter callbacks of mailacd-milter.  Callbacks stay thin: the
 * decisions live in inbound.c (which also lists the edits an inbound
 * message gets) and outbound.c; handoff.c records interactions.
 *
 * Per-message state is reset in one place (mlfi_reset) from envfrom, eom and
 * abort; per-connection state is freed in close, which may be the only
 * callback a connection gets.  A connection keeps the configuration it
 * started with until it closes, so a reload never changes the rules in the
 * middle of a message. */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libmilter/mfapi.h>

#include "edit.h"
#include "gate.h"
#include "handoff.h"
#include "hdr.h"
#include "inbound.h"
#include "keys.h"
#include "log.h"
#include "mlfi.h"
#include "outbound.h"
#include "reply.h"
#include "rds.h"

/* The configuration and the Redis pool that goes with it. */
struct mlfi_conf {
	int	refs;
	struct cfg *cfg;
	struct rds_pool *pool;
	unsigned long actions;	/* SMFIF_* this configuration needs */
};

struct mlfi_conn {
	struct mlfi_conf *conf;
	struct inb_msg msg;
	struct out_msg out;	/* outbound: out.active is set */
	struct out_client client;
	const char *untrusted;	/* our sending address or agent, client not
				   trusted */
	char	*hold;		/* 4.7.x text: the domain may not send now */
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
	rds_pool_free(c->pool);
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

/* mlfi_with_conf - lend the installed configuration and pool to FN */
int
mlfi_with_conf(void (*fn)(const struct cfg *cfg, struct rds_pool *pool,
    void *arg), void *arg)
{
	struct mlfi_conf *c;

	if ((c = mlfi_conf_get()) == NULL)
		return (-1);
	fn(c->cfg, c->pool, arg);
	mlfi_conf_unref(c);
	return (0);
}

/* mlfi_actions - what we may ask the MTA to do under CFG: headers always;
 * recipients and the envelope sender only when the outbound settings use
 * them (copy_to, bounce_domain) */
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
			for (k = 0; k < d->naddresses; k++)
				if (d->addresses[k].copy_to[0] != '\0')
					a |= SMFIF_ADDRCPT;
		}
	return (a);
}

/* mlfi_install - swap in a new configuration with its own Redis pool */
int
mlfi_install(struct cfg *cfg)
{
	struct mlfi_conf *c, *old;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->pool = rds_pool_new(&cfg->redis)) == NULL) {
		free(c);
		cfg_unref(cfg);
		return (-1);
	}
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

/* mlfi_shutdown - release the installed configuration */
void
mlfi_shutdown(void)
{
	struct mlfi_conf *old;

	pthread_mutex_lock(&mlfi_lock);
	old = mlfi_current;
	mlfi_current = NULL;
	pthread_mutex_unlock(&mlfi_lock);
	mlfi_conf_unref(old);
}

static sfsistat mlfi_tempfail(SMFICTX *, struct mlfi_conn *);

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
			return (mlfi_tempfail(ctx, conn));
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
	conn->untrusted = NULL;
	conn->failed = 0;
	free(conn->hold);
	conn->hold = NULL;
}

/* mlfi_tempfail - ask the MTA to keep the message and retry */
static sfsistat
mlfi_tempfail(SMFICTX *ctx, struct mlfi_conn *conn)
{
	smfi_setreply(ctx, "451", "4.3.0", MLFI_TEMPFAIL_TEXT);
	mlfi_reset(conn);
	return (SMFIS_TEMPFAIL);
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

/* mlfi_outbound - is this message from one of our addresses, from a
 * client allowed to send as it? */
static int
mlfi_outbound(SMFICTX *ctx, struct mlfi_conn *conn, const char *sender)
{
	static int warned;
	const struct cfg *cfg = conn->conf->cfg;
	const struct cfg_address *a;
	const struct cfg_agent *g = NULL;
	char	buf[128];
	const char *why;

	/* also for the router's resent copies, whoever they come from */
	conn->client.auth = smfi_getsymval(ctx, "{auth_authen}");
	conn->client.daemon = smfi_getsymval(ctx, "{daemon_name}");
	if ((a = out_sender(cfg, sender)) == NULL &&
	    (g = out_agent(cfg, sender)) == NULL)
		return (0);
	if (cfg->outbound.ntrusted_daemons > 0 && conn->client.daemon == NULL &&
	    !__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
		log_warnx("outbound.trusted_daemons is set but the MTA does "
		    "not send the {daemon_name} macro: add it to "
		    "milter_connect_macros (Postfix) or "
		    "confMILTER_MACROS_CONNECT (Sendmail)");
	if ((why = out_trusted_as(cfg, &conn->client, a, g, buf,
	    sizeof(buf))) == NULL) {
		conn->untrusted = a != NULL ? a->address : g->address;
		return (0);
	}
	if (out_begin(&conn->out, a, g, conn->msg.qid) != 0) {
		log_errx("%s: %s", conn->msg.qid, conn->out.err);
		conn->out.failed = 1;
	}
	/* WHY may be BUF: keep only the static strings, name the daemon
	 * again when logging */
	conn->out.why = strncmp(why, "daemon ", 7) == 0 ? "daemon" : why;
	return (1);
}

/* mlfi_envfrom - a new message: state, configuration, sender */
static sfsistat
mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct mlfi_conn *conn = smfi_getpriv(ctx);

	/* without option negotiation (old MTAs) this is the first step */
	if (conn == NULL && (conn = mlfi_conn_new(ctx)) == NULL) {
		log_errx("NOQUEUE: out of memory; tempfail");
		return (SMFIS_TEMPFAIL);
	}
	mlfi_reset(conn);
	mlfi_qid(ctx, conn);
	mlfi_outbound(ctx, conn, argv[0]);
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

	if (conn != NULL && conn->failed)
		return (mlfi_tempfail(ctx, conn));
	if (conn != NULL && conn->untrusted != NULL) {
		mlfi_qid(ctx, conn);
		log_warnx("%s: sender %s is %s but the client is not trusted "
		    "(outbound.*): not signed, not changed", conn->msg.qid,
		    conn->msg.sender ? conn->msg.sender : "?",
		    conn->untrusted);
		conn->untrusted = NULL;
	}
	if (conn != NULL && conn->out.active) {
		mlfi_qid(ctx, conn);
		return (SMFIS_CONTINUE);
	}
	/* an agent's mailbox gets no forged routing header either */
	if (conn == NULL || (conn->msg.nrcpts == 0 && conn->msg.agents == 0)) {
		if (conn != NULL)
			mlfi_reset(conn);
		return (SMFIS_ACCEPT);
	}
	mlfi_qid(ctx, conn);
	/* a recipient's queue resends to agents: keep a copy */
	inb_capture(&conn->msg, (size_t)conn->conf->cfg->delivery.max_size);
	return (SMFIS_CONTINUE);
}

/* mlfi_header - note the headers the hand-off needs or we must remove */
static sfsistat
mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct mlfi_conn *conn = smfi_getpriv(ctx);

	if (conn == NULL)
		return (SMFIS_CONTINUE);
	/* the signer sees the headers as they leave: ours are removed */
	if (conn->out.active && strncasecmp(name, "X-MailACD-", 10) != 0 &&
	    out_header(&conn->out, name, value) != 0 && !conn->out.failed)
		return (mlfi_step(ctx, conn, SMFIP_NR_HDR, -1));
	return (mlfi_step(ctx, conn, SMFIP_NR_HDR,
	    inb_header(&conn->msg, name, value)));
}

/* mlfi_adopt - an agent who writes as themselves to answer a customer of
 * one of their queues: the answer goes out as that channel's mail (From,
 * Reply-To, signature, recorded on the interaction) so that the customer's
 * next message comes back through mailacd.  0, or -1 (memory); a Redis
 * failure tempfails at the end. */
static int
mlfi_adopt(struct mlfi_conn *conn)
{
	struct out_msg *o = &conn->out;
	const struct cfg *cfg = conn->conf->cfg;
	const struct cfg_address *ca;
	const char *irt, *refs;
	char	err[512];
	size_t	it = 0;

	irt = out_value(o, "In-Reply-To");
	refs = out_value(o, "References");
	if (irt == NULL && refs == NULL)
		return (0);
	while ((ca = out_channel(o, cfg, &it)) != NULL) {
		if (reply_find(conn->conf->pool, ca, NULL, irt, refs, &o->reply,
		    err, sizeof(err)) != RDS_OK) {
			log_warnx("%s: redis %s: cannot look up the interaction "
			    "agent %s answers: %s; tempfail", conn->msg.qid,
			    rds_describe(conn->conf->pool), o->agent->id, err);
			conn->failed = 1;
			return (0);
		}
		if (o->reply.id[0] != '\0')
			return (out_adopt(o, ca));
	}
	return (0);
}

/* mlfi_gate - may the sending address's domain send now (verified, not
 * held, within its rate)?  0, or -1 (memory); Redis down tempfails at
 * the end like every other Redis failure */
static int
mlfi_gate(struct mlfi_conn *conn)
{
	const struct cfg_domain *d = conn->out.from->domain;
	char	hold[512], err[512];

	if (gate_check(conn->conf->pool, conn->conf->cfg, d,
	    conn->msg.arrived_ms, hold, sizeof(hold), err, sizeof(err)) !=
	    RDS_OK) {
		log_warnx("%s: redis %s: cannot check domain %s before "
		    "sending: %s; tempfail", conn->msg.qid,
		    rds_describe(conn->conf->pool), d->name, err);
		conn->failed = 1;
		return (0);
	}
	if (hold[0] != '\0' && (conn->hold = strdup(hold)) == NULL)
		return (-1);
	return (0);
}

/* mlfi_eoh - end of headers */
static sfsistat
mlfi_eoh(SMFICTX *ctx)
{
	struct mlfi_conn *conn = smfi_getpriv(ctx);

	if (conn == NULL)
		return (SMFIS_CONTINUE);
	if (inb_eoh(&conn->msg) != 0)
		return (mlfi_step(ctx, conn, SMFIP_NR_EOH, -1));
	if (conn->out.active) {
		struct out_msg *o = &conn->out;
		char	err[512];

		mlfi_qid(ctx, conn);
		if (out_resolve(o, conn->conf->cfg) != 0)
			return (mlfi_step(ctx, conn, SMFIP_NR_EOH, -1));
		if (o->own && mlfi_adopt(conn) != 0)
			return (mlfi_step(ctx, conn, SMFIP_NR_EOH, -1));
		if (o->from != NULL && o->refuse == NULL && !o->adopted &&
		    reply_find(conn->conf->pool, o->from,
		    out_value(o, HDR_INTERACTION), out_value(o, "In-Reply-To"),
		    out_value(o, "References"), &o->reply, err,
		    sizeof(err)) != RDS_OK) {
			log_warnx("%s: redis %s: cannot look up the interaction "
			    "answered: %s; tempfail", conn->msg.qid,
			    rds_describe(conn->conf->pool), err);
			conn->failed = 1;
		}
		if (o->from != NULL && o->refuse == NULL && !conn->failed &&
		    mlfi_gate(conn) != 0)
			return (mlfi_step(ctx, conn, SMFIP_NR_EOH, -1));
		if (out_eoh(o, conn->conf->cfg) != 0)
			return (mlfi_step(ctx, conn, SMFIP_NR_EOH, -1));
	}
	return (mlfi_step(ctx, conn, SMFIP_NR_EOH, 0));
}

/* mlfi_body - body size, and identity when there is no Message-ID */
static sfsistat
mlfi_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
	struct mlfi_conn *conn = smfi_getpriv(ctx);

	if (conn == NULL)
		return (SMFIS_CONTINUE);
	if (conn->out.active) {
		(void)out_body(&conn->out, data, len);
		return (mlfi_step(ctx, conn, SMFIP_NR_BODY, 0));
	}
	return (mlfi_step(ctx, conn, SMFIP_NR_BODY,
	    inb_body(&conn->msg, data, len)));
}

/* mlfi_strip - remove every X-MailACD-* header that came from outside,
 * highest index first so that the remaining indexes stay valid */
static int
mlfi_strip(SMFICTX *ctx, struct inb_msg *m)
{
	size_t	i;
	int	idx;

	for (i = 0; i < m->nours; i++)
		for (idx = m->ours[i].count; idx >= 1; idx--)
			if (smfi_chgheader(ctx, m->ours[i].name, idx, NULL) !=
			    MI_SUCCESS)
				return (-1);
	return (0);
}

/* mlfi_apply - the changes out_eoh decided: From, Reply-To, the copy
 * recipient, the envelope sender; 0 or -1 naming the step in *WHAT */
static int
mlfi_apply(SMFICTX *ctx, struct mlfi_conn *conn, const char **what)
{
	struct out_msg *o = &conn->out;
	const struct cfg_address *a = o->from;
	char	buf[2 * CFG_ADDR_MAX + 8];
	const char *bounce;
	int	i;

	if (o->new_from != NULL && !o->add_from &&
	    smfi_chgheader(ctx, "From", 1, o->new_from) != MI_SUCCESS)
		return (*what = "change From", -1);
	if (o->new_from != NULL && !o->add_from)
		for (i = o->nfrom; i >= 2; i--)
			if (smfi_chgheader(ctx, "From", i, NULL) != MI_SUCCESS)
				return (*what = "remove a second From", -1);
	if (o->add_from &&
	    smfi_addheader(ctx, "From", o->new_from) != MI_SUCCESS)
		return (*what = "add From", -1);
	for (i = o->nreply_to; i >= 1; i--)
		if (smfi_chgheader(ctx, "Reply-To", i, NULL) != MI_SUCCESS)
			return (*what = "remove Reply-To", -1);
	if (o->reply_to != NULL &&
	    smfi_addheader(ctx, "Reply-To", (char *)o->reply_to) != MI_SUCCESS)
		return (*what = "add Reply-To", -1);
	if (o->reply.irt != NULL &&
	    smfi_addheader(ctx, "In-Reply-To", o->reply.irt) != MI_SUCCESS)
		return (*what = "add In-Reply-To", -1);
	if (o->reply.refs != NULL &&
	    smfi_addheader(ctx, "References", o->reply.refs) != MI_SUCCESS)
		return (*what = "add References", -1);
	if (o->new_msgid != NULL &&
	    smfi_addheader(ctx, "Message-ID", o->new_msgid) != MI_SUCCESS)
		return (*what = "add Message-ID", -1);
	if (o->auto_submitted != NULL && smfi_addheader(ctx, "Auto-Submitted",
	    (char *)o->auto_submitted) != MI_SUCCESS)
		return (*what = "add Auto-Submitted", -1);
	if (a->copy_to[0] != '\0') {
		snprintf(buf, sizeof(buf), "<%s>", a->copy_to);
		if (smfi_addrcpt(ctx, buf) != MI_SUCCESS)
			return (*what = "add the copy recipient", -1);
	}
	if ((bounce = out_bounce(o, buf, sizeof(buf))) != NULL &&
	    smfi_chgfrom(ctx, (char *)bounce, NULL) != MI_SUCCESS)
		return (*what = "change the envelope sender", -1);
	return (0);
}

/* mlfi_eom_outbound - refuse a From that is not ours; else our headers
 * removed, the decided changes made, and the DKIM signature last */
static sfsistat
mlfi_eom_outbound(SMFICTX *ctx, struct mlfi_conn *conn)
{
	struct out_msg *o = &conn->out;
	const struct cfg_address *a = o->from;
	const char *what = NULL, *dn;
	char	*sig;
	int	nokey;

	dn = conn->client.daemon && !strcmp(o->why, "daemon") ?
	    conn->client.daemon : "";
	if (o->refuse != NULL) {
		log_warnx("%s: outbound from %s refused: %s", conn->msg.qid,
		    out_label(o), o->refuse);
		smfi_setreply(ctx, "550", "5.7.1", o->refuse);
		mlfi_reset(conn);
		return (SMFIS_REJECT);
	}
	if (conn->hold != NULL) {
		log_warnx("%s: outbound from %s held: %s; tempfail",
		    conn->msg.qid, out_label(o), conn->hold);
		smfi_setreply(ctx, "451", "4.7.1", conn->hold);
		mlfi_reset(conn);
		return (SMFIS_TEMPFAIL);
	}
	if (o->own || a == NULL) {
		if (mlfi_strip(ctx, &conn->msg) != 0)
			return (mlfi_tempfail(ctx, conn));
		log_info("%s: agent %s writes as %s: no channel rules, not "
		    "signed", conn->msg.qid, o->agent ? o->agent->id : "?",
		    out_label(o));
		mlfi_reset(conn);
		return (SMFIS_CONTINUE);
	}
	if (mlfi_strip(ctx, &conn->msg) != 0)
		what = "remove X-MailACD headers";
	else
		(void)mlfi_apply(ctx, conn, &what);
	if (what != NULL) {
		log_errx("%s: outbound from %s: cannot %s; tempfail",
		    conn->msg.qid, a->address, what);
		return (mlfi_tempfail(ctx, conn));
	}
	if (o->reply.id[0] != '\0') {
		char	err[512], *mid = NULL;
		const char *by = conn->client.auth && *conn->client.auth ?
		    conn->client.auth : o->agent != NULL ? o->agent->id :
		    a->address;

		if (out_msgid(o) != NULL)
			mid = hdr_unfold(out_msgid(o), HDR_ID_MAX, 0);
		if (reply_record(conn->conf->pool, a, &o->reply, mid, by,
		    conn->conf->cfg->milter.thread_ttl, err, sizeof(err)) !=
		    RDS_OK) {
			free(mid);
			log_warnx("%s: redis %s: cannot record the reply to "
			    "interaction %s: %s; tempfail", conn->msg.qid,
			    rds_describe(conn->conf->pool), o->reply.id, err);
			return (mlfi_tempfail(ctx, conn));
		}
		log_info("%s: reply to interaction %s from %s by %s "
		    "message-id=%s%s", conn->msg.qid, o->reply.id, a->address,
		    by, mid ? mid : "-", o->reply.irt ? " (threaded)" : "");
		free(mid);
	}
	sig = out_signature(o, &nokey);
	if (sig == NULL && nokey) {
		log_info("%s: outbound from %s (trusted: %s%s%s): domain %s "
		    "has no dkim key, not signed", conn->msg.qid, a->address,
		    o->why, *dn ? " " : "", dn, a->domain->name);
		mlfi_reset(conn);
		return (SMFIS_CONTINUE);
	}
	if (sig == NULL || smfi_insheader(ctx, 0, "DKIM-Signature", sig) !=
	    MI_SUCCESS) {
		log_errx("%s: outbound from %s: %s; tempfail", conn->msg.qid,
		    a->address, sig == NULL ? o->err :
		    "cannot add DKIM-Signature");
		free(sig);
		smfi_setreply(ctx, "451", "4.3.0", MLFI_SIGN_TEXT);
		mlfi_reset(conn);
		return (SMFIS_TEMPFAIL);
	}
	free(sig);
	log_info("%s: outbound from %s (trusted: %s%s%s) signed d=%s s=%s%s%s%s%s",
	    conn->msg.qid, a->address, o->why, *dn ? " " : "", dn,
	    a->domain->name, a->domain->dkim->selector,
	    o->reply_to ? " reply-to=" : "", o->reply_to ? o->reply_to : "",
	    a->copy_to[0] ? " copy=" : "", a->copy_to);
	mlfi_reset(conn);
	return (SMFIS_CONTINUE);
}

/* mlfi_edits - make the edits in their order; NULL, or what failed */
static const char *
mlfi_edits(SMFICTX *ctx, const struct edits *e)
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
		default:
			rc = MI_FAILURE;
			break;
		}
		if (rc != MI_SUCCESS)
			return (x->what);
	}
	return (NULL);
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
mlfi_eom_in(SMFICTX *ctx, struct mlfi_conn *conn, struct edits *e)
{
	struct inb_msg *m = &conn->msg;
	const struct cfg *cfg = conn->conf->cfg;
	char	err[512];
	const char *what;
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
		if (m->nours > 0)
			log_info("%s: mail to an agent: foreign X-MailACD-* "
			    "headers removed, sender=%s", m->qid, m->sender);
		break;
	case INB_LOOP:
		log_warnx("%s: mail loop: the message carries %s %d times "
		    "(it went round through mailacd and a mailbox); not "
		    "routed again, sender=%s", m->qid, KEYS_H_LOOP, m->loops,
		    m->sender);
		break;
	case INB_ROUTE:
		if (inb_decide(m, cfg, err, sizeof(err)) != 0) {
			log_errx("%s: %s; tempfail", m->qid, err);
			return (mlfi_tempfail(ctx, conn));
		}
		if (handoff_send(conn->conf->pool, m, cfg, err,
		    sizeof(err)) == RDS_OK) {
			routed = 1;
			break;
		}
		if (cfg->milter.on_redis_failure == CFG_FAIL_TEMPFAIL) {
			log_warnx("%s: redis %s: hand-off failed: %s; tempfail",
			    m->qid, rds_describe(conn->conf->pool), err);
			return (mlfi_tempfail(ctx, conn));
		}
		log_errx("%s: redis %s: hand-off failed: %s; accepted "
		    "WITHOUT an interaction (on_redis_failure = accept)",
		    m->qid, rds_describe(conn->conf->pool), err);
		break;
	}
	if (inb_edits(m, routed, e) != 0) {
		log_errx("%s: out of memory; tempfail", m->qid);
		return (mlfi_tempfail(ctx, conn));
	}
	if ((what = mlfi_edits(ctx, e)) != NULL) {
		log_errx("%s: cannot %s; tempfail", m->qid, what);
		return (mlfi_tempfail(ctx, conn));
	}
	if (routed)
		mlfi_routed(conn);
	return (SMFIS_CONTINUE);
}

/* mlfi_eom - the end of the message */
static sfsistat
mlfi_eom(SMFICTX *ctx)
{
	struct mlfi_conn *conn = smfi_getpriv(ctx);
	struct edits e = { 0 };
	sfsistat rc;

	if (conn == NULL)
		return (SMFIS_CONTINUE);
	mlfi_qid(ctx, conn);
	if (conn->failed)
		return (mlfi_tempfail(ctx, conn));
	if (conn->out.active)
		return (mlfi_eom_outbound(ctx, conn));
	rc = mlfi_eom_in(ctx, conn, &e);
	edit_reset(&e);
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
		inb_reset(&conn->msg);
		out_reset(&conn->out);
		free(conn->hold);
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
	    SMFIF_CHGFROM,
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
