/* ident.h - who mail leaves as (a channel address or an agent) and the
 * server it leaves through: the identity's own account (its smtp group)
 * or the relay; and Postfix's sender-dependent maps that send the mail
 * passing the relay the same way.  No I/O but the caller's streams. */
#ifndef MAILACD_IDENT_H
#define MAILACD_IDENT_H

#include <stdio.h>

#include "cfg.h"

/* The master.cf service that the transport map names for implicit TLS
 * (Postfix's smtp_tls_wrappermode is a property of a transport). */
#define IDENT_WRAP_SERVICE	"mailacd-smtps"

/* The map files "mailacdctl postfix maps" writes, in this order. */
enum ident_map {
	IDENT_MAP_RELAY,	/* sender_dependent_relayhost_maps */
	IDENT_MAP_SASL,		/* smtp_sasl_password_maps (secret) */
	IDENT_MAP_POLICY,	/* smtp_tls_policy_maps */
	IDENT_MAP_TRANSPORT,	/* sender_dependent_default_transport_maps */
	IDENT_NMAPS
};

/* One identity: a channel address or an agent. */
struct ident {
	const char *address;	/* what its mail leaves as (From and, with
				   its own server, envelope sender) */
	const struct cfg_address *channel;	/* one of these two */
	const struct cfg_agent *agent;
	const struct cfg_smtp *smtp;	/* NULL: the relay */
};

/* ident_find - the identity NAME names: a registered address, an agent's
 * id or an agent's workplace address (case ignored); 0, or -1 */
int	ident_find(const struct cfg *cfg, const char *name,
		    struct ident *id);

/* ident_channel_smtp - the own server of the registered address ADDRESS
 * (as an interaction records it), or NULL: the relay */
const struct cfg_smtp *ident_channel_smtp(const struct cfg *cfg,
		    const char *address);

/* ident_map_name - the file name of map M ("relayhost", ...) */
const char *ident_map_name(enum ident_map m);

/* ident_map_param - the main.cf parameter that reads map M */
const char *ident_map_param(enum ident_map m);

/* ident_maps - the lines of every map into OUT[IDENT_NMAPS], keyed by
 * the envelope sender the mail leaves the milter with (the channel's
 * address, its bounce address, the agent's workplace address); *NIMPLICIT
 * counts identities with implicit TLS.  0, or -1 with ERR (an address a
 * map cannot hold, two identities giving one server different TLS). */
int	ident_maps(const struct cfg *cfg, FILE *out[IDENT_NMAPS],
		    int *nimplicit, char *err, size_t errlen);

#endif
