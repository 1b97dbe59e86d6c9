/* ident.c - who mail leaves as, and the server it leaves through.
 *
 * A channel address or an agent may have an outgoing server of its own
 * (an account at Microsoft 365, Google Workspace, any submission
 * server): its mail must leave through that account, so that the From
 * matches the account that sends.  The router submits through it itself
 * (deliver.c); mail that passes the relay is sent there by Postfix, whose
 * sender-dependent maps this file writes.  Postfix looks those maps up by
 * the envelope sender in its queue file, which is the one the milter
 * leaves: the channel's address (the milter sets it for an agent's mail
 * sent as a channel with a server of its own), its bounce address when
 * the domain has a bounce domain, or the agent's workplace address for
 * the agent's own mail.  No I/O but the caller's streams. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "ident.h"

/* ident_find - the identity NAME names: a registered address, an agent's
 * id or an agent's workplace address (case ignored) */
int
ident_find(const struct cfg *cfg, const char *name, struct ident *id)
{
	const struct cfg_address *a = NULL;
	const struct cfg_agent *g = NULL;
	struct addr pa;
	char	key[CFG_ADDR_MAX * 2 + 8], err[128];
	size_t	i, j;

	memset(id, 0, sizeof(*id));
	if (strchr(name, '@') != NULL && addr_parse(name, &pa, err,
	    sizeof(err)) == 0 && (a = cfg_match_address(cfg, pa.local,
	    pa.domain, key, sizeof(key))) != NULL &&
	    strcasecmp(a->address, name) != 0)
		a = NULL;	/* a sub-address, a catch-all: no channel */
	if (a == NULL && (g = cfg_find_agent(cfg, name)) == NULL)
		for (i = 0; i < cfg->norgs && g == NULL; i++)
			for (j = 0; j < cfg->orgs[i].nagents; j++)
				if (strcmp(cfg->orgs[i].agents[j].id, name) ==
				    0) {
					g = &cfg->orgs[i].agents[j];
					break;
				}
	if (a != NULL) {
		id->channel = a;
		id->address = a->address;
		id->smtp = a->smtp;
	} else if (g != NULL) {
		id->agent = g;
		id->address = g->address;
		id->smtp = g->smtp;
	} else
		return (-1);
	return (0);
}

/* ident_channel_smtp - the own server of registered address ADDRESS */
const struct cfg_smtp *
ident_channel_smtp(const struct cfg *cfg, const char *address)
{
	struct ident id;

	if (address == NULL || ident_find(cfg, address, &id) != 0 ||
	    id.channel == NULL)
		return (NULL);
	return (id.smtp);
}

static const char *const ident_names[IDENT_NMAPS] = {
	"relayhost", "sasl_passwd", "tls_policy", "transport"
};

static const char *const ident_params[IDENT_NMAPS] = {
	"sender_dependent_relayhost_maps", "smtp_sasl_password_maps",
	"smtp_tls_policy_maps", "sender_dependent_default_transport_maps"
};

/* ident_map_name - the file name of map M */
const char *
ident_map_name(enum ident_map m)
{
	return (ident_names[m]);
}

/* ident_map_param - the main.cf parameter that reads map M */
const char *
ident_map_param(enum ident_map m)
{
	return (ident_params[m]);
}

/* ident_key_ok - can KEY be the key of a map line (no space, no control
 * character, not a comment)? */
static int
ident_key_ok(const char *key)
{
	if (*key == '#' || *key == '\0')
		return (0);
	for (; *key != '\0'; key++)
		if ((unsigned char)*key <= ' ' || *key == 0x7f)
			return (0);
	return (1);
}

/* ident_policy - the TLS policy of server M (smtp_tls_policy_maps) */
static void
ident_policy(const struct cfg_smtp *m, char *buf, size_t len)
{
	if (m->tls == CFG_MBOX_TLS_NONE)
		snprintf(buf, len, "none");
	else if (!m->tls_verify)
		snprintf(buf, len, "encrypt");
	else if (m->ca_file != NULL)
		snprintf(buf, len, "secure tafile=%s", m->ca_file);
	else
		snprintf(buf, len, "secure");
}

/* The nexthops written to the policy map so far, with their policy. */
struct ident_hops {
	char	hop[64][CFG_DOMAIN_MAX + 16];
	char	policy[64][4200];
	size_t	n;
};

/* ident_one - the lines of identity WHO (server M) under envelope sender
 * KEY; 0, or -1 with ERR */
static int
ident_one(FILE *out[IDENT_NMAPS], struct ident_hops *h, const char *who,
    const char *key, const struct cfg_smtp *m, int *nimplicit, char *err,
    size_t errlen)
{
	char	hop[CFG_DOMAIN_MAX + 16], policy[4200];
	size_t	i;

	if (!ident_key_ok(key)) {
		snprintf(err, errlen, "%s: the address %s cannot be the key of "
		    "a Postfix map (spaces or control characters)", who, key);
		return (-1);
	}
	snprintf(hop, sizeof(hop), "[%s]:%d", m->server, m->port);
	ident_policy(m, policy, sizeof(policy));
	fprintf(out[IDENT_MAP_RELAY], "%s %s\n", key, hop);
	fprintf(out[IDENT_MAP_SASL], "%s %s:%s\n", key, m->user,
	    m->password != NULL ? m->password : "");
	if (m->tls == CFG_MBOX_TLS_IMPLICIT) {
		fprintf(out[IDENT_MAP_TRANSPORT], "%s %s:%s\n", key,
		    IDENT_WRAP_SERVICE, hop);
		(*nimplicit)++;
	}
	for (i = 0; i < h->n; i++)
		if (strcasecmp(h->hop[i], hop) == 0)
			break;
	if (i < h->n) {
		if (strcmp(h->policy[i], policy) != 0) {
			snprintf(err, errlen, "%s: server %s is also used with "
			    "other TLS settings (%s, not %s): one server, one "
			    "tls, tls_verify and ca_file", who, hop,
			    h->policy[i], policy);
			return (-1);
		}
		return (0);
	}
	if (h->n == sizeof(h->hop) / sizeof(h->hop[0])) {
		snprintf(err, errlen, "more than %zu outgoing servers",
		    h->n);
		return (-1);
	}
	snprintf(h->hop[h->n], sizeof(h->hop[0]), "%s", hop);
	snprintf(h->policy[h->n], sizeof(h->policy[0]), "%s", policy);
	h->n++;
	fprintf(out[IDENT_MAP_POLICY], "%s %s\n", hop, policy);
	return (0);
}

/* ident_maps - the lines of every map into OUT, one identity after the
 * other in the configuration's order */
int
ident_maps(const struct cfg *cfg, FILE *out[IDENT_NMAPS], int *nimplicit,
    char *err, size_t errlen)
{
	struct ident_hops *hops;
	const struct cfg_address *a;
	const struct cfg_domain *d;
	const struct cfg_org *o;
	const char *at;
	char	bounce[2 * CFG_ADDR_MAX + 8];
	size_t	i, j, k;

	*nimplicit = 0;
	if ((hops = calloc(1, sizeof(*hops))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	for (i = 0; i < cfg->norgs; i++) {
		o = &cfg->orgs[i];
		for (j = 0; j < o->ndomains; j++) {
			d = &o->domains[j];
			for (k = 0; k < d->naddresses; k++) {
				a = &d->addresses[k];
				if (a->smtp == NULL || !a->enabled ||
				    !(a->direction & CFG_DIR_OUTBOUND))
					continue;
				if (ident_one(out, hops, a->address,
				    a->address, a->smtp, nimplicit, err,
				    errlen) != 0)
					goto fail;
				if (d->bounce_domain == NULL ||
				    (at = strrchr(a->address, '@')) == NULL)
					continue;
				snprintf(bounce, sizeof(bounce), "%.*s@%s",
				    (int)(at - a->address), a->address,
				    d->bounce_domain);
				if (ident_one(out, hops, a->address, bounce,
				    a->smtp, nimplicit, err, errlen) != 0)
					goto fail;
			}
		}
		for (j = 0; j < o->nagents; j++)
			if (o->agents[j].smtp != NULL &&
			    ident_one(out, hops, o->agents[j].id,
			    o->agents[j].address, o->agents[j].smtp,
			    nimplicit, err, errlen) != 0)
				goto fail;
	}
	free(hops);
	return (0);
fail:
	free(hops);
	return (-1);
}
