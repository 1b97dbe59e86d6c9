/* cfg.c - load the mailacd configuration, and look up registered addresses
 * and domains in a loaded one.
 *
 * Loading makes two passes over the libconfig tree.  The first, here,
 * follows the schema tables below: it rejects unknown settings and wrong
 * types, checks bounds and syntax (the value checks are in cfg_check.c),
 * applies defaults and fills the model.  The second (cfg_check_model() in
 * cfg_check.c) checks what needs context (an address lies in its domain, a
 * route names a queue of its organisation, nothing is defined twice) and
 * builds the lookup index.  Every problem is collected (cfg_err.c), sorted
 * by position and handed to the caller as "file:line: setting: message";
 * nothing is logged here. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libconfig.h>
#include <openssl/crypto.h>

#include "addr.h"
#include "cfg.h"
#include "cfg_int.h"
#include "tmpl.h"

static const struct cfg_enum cfg_join_names[] = {
	{ "participant", CFG_JOIN_PARTICIPANT },
	{ "anyone", CFG_JOIN_ANYONE },
	{ NULL, 0 }
};

static const struct cfg_enum cfg_failure_names[] = {
	{ "tempfail", CFG_FAIL_TEMPFAIL },
	{ "accept", CFG_FAIL_ACCEPT },
	{ NULL, 0 }
};

static const struct cfg_enum cfg_direction_names[] = {
	{ "inbound", CFG_DIR_INBOUND },
	{ "outbound", CFG_DIR_OUTBOUND },
	{ "both", CFG_DIR_BOTH },
	{ NULL, 0 }
};

static const struct cfg_enum cfg_auto_names[] = {
	{ "no", CFG_AUTO_NO },
	{ "auto-generated", CFG_AUTO_GENERATED },
	{ "auto-replied", CFG_AUTO_REPLIED },
	{ NULL, 0 }
};

static const struct cfg_enum cfg_strategy_names[] = {
	{ "longest-idle", CFG_STRAT_LONGEST_IDLE },
	{ "least-busy", CFG_STRAT_LEAST_BUSY },
	{ "round-robin", CFG_STRAT_ROUND_ROBIN },
	{ NULL, 0 }
};

/* the queue's "inherit" (CFG_DELIVERY_INHERIT) is its absence */
static const struct cfg_enum cfg_delivery_names[] = {
	{ "notify", CFG_DELIVERY_NOTIFY },
	{ "forward", CFG_DELIVERY_FORWARD },
	{ NULL, 0 }
};

static const struct cfg_enum cfg_new_thread_names[] = {
	{ "new", CFG_THREAD_NEW },
	{ "merge", CFG_THREAD_MERGE },
	{ NULL, 0 }
};

static const struct cfg_enum cfg_starttls_names[] = {
	{ "no", CFG_TLS_NO },
	{ "try", CFG_TLS_TRY },
	{ "require", CFG_TLS_REQUIRE },
	{ NULL, 0 }
};

static const struct cfg_enum cfg_mbox_protocol_names[] = {
	{ "imap", CFG_MBOX_IMAP },
	{ "pop3", CFG_MBOX_POP3 },
	{ NULL, 0 }
};

static const struct cfg_enum cfg_mbox_tls_names[] = {
	{ "implicit", CFG_MBOX_TLS_IMPLICIT },
	{ "starttls", CFG_MBOX_TLS_STARTTLS },
	{ "none", CFG_MBOX_TLS_NONE },
	{ NULL, 0 }
};

static const struct cfg_enum cfg_mbox_after_names[] = {
	{ "delete", CFG_MBOX_DELETE },
	{ "move", CFG_MBOX_MOVE },
	{ "seen", CFG_MBOX_SEEN },
	{ NULL, 0 }
};

static const struct cfg_enum cfg_kind_names[] = {
	{ "contact-center", CFG_KIND_CONTACT_CENTER },
	{ "campaign", CFG_KIND_CAMPAIGN },
	{ "notification", CFG_KIND_NOTIFICATION },
	{ NULL, 0 }
};

static const struct cfg_enum cfg_inbound_names[] = {
	{ "mx", CFG_INBOUND_MX },
	{ "redirect", CFG_INBOUND_REDIRECT },
	{ "hosted", CFG_INBOUND_HOSTED },
	{ "hosted-redirect", CFG_INBOUND_HOSTED_REDIRECT },
	{ NULL, 0 }
};

static const struct cfg_key cfg_redis_keys[] = {
	{ .name = "host", .type = CFG_T_STR, .min = 1, .max = CFG_DOMAIN_MAX,
	  .sdef = "127.0.0.1", .off = offsetof(struct cfg_redis, host),
	  .check = cfg_check_host },
	{ .name = "port", .type = CFG_T_INT, .min = 1, .max = 65535,
	  .idef = 6379, .off = offsetof(struct cfg_redis, port) },
	{ .name = "socket", .type = CFG_T_STR, .min = 1, .max = CFG_UNIX_MAX,
	  .off = offsetof(struct cfg_redis, socket), .check = cfg_check_path },
	{ .name = "password", .type = CFG_T_STR, .flags = CFG_K_SECRET,
	  .min = 1, .max = 1024, .off = offsetof(struct cfg_redis, password) },
	{ .name = "database", .type = CFG_T_INT, .min = 0, .max = 1000000,
	  .idef = 0, .off = offsetof(struct cfg_redis, database) },
	{ .name = "connect_timeout_ms", .type = CFG_T_INT, .min = 1,
	  .max = 60000, .idef = 500,
	  .off = offsetof(struct cfg_redis, connect_timeout_ms) },
	{ .name = "command_timeout_ms", .type = CFG_T_INT, .min = 1,
	  .max = 60000, .idef = 1000,
	  .off = offsetof(struct cfg_redis, command_timeout_ms) },
	{ .name = "sentinels", .type = CFG_T_STRS, .min = 3,
	  .max = CFG_DOMAIN_MAX + 8, .nmax = 16,
	  .off = offsetof(struct cfg_redis, sentinels),
	  .noff = offsetof(struct cfg_redis, nsentinels),
	  .check = cfg_check_hostport },
	{ .name = "master_name", .type = CFG_T_STR, .min = 1, .max = 128,
	  .off = offsetof(struct cfg_redis, master_name),
	  .check = cfg_check_name },
	{ .name = "sentinel_password", .type = CFG_T_STR,
	  .flags = CFG_K_SECRET, .min = 1, .max = 1024,
	  .off = offsetof(struct cfg_redis, sentinel_password) },
	{ .name = "username", .type = CFG_T_STR, .min = 1, .max = 256,
	  .off = offsetof(struct cfg_redis, username),
	  .check = cfg_check_acl_user },
	{ .name = "sentinel_username", .type = CFG_T_STR, .min = 1,
	  .max = 256, .off = offsetof(struct cfg_redis, sentinel_username),
	  .check = cfg_check_acl_user },
	{ .name = "wait_replicas", .type = CFG_T_INT, .min = 0, .max = 16,
	  .idef = 0, .off = offsetof(struct cfg_redis, wait_replicas) },
	{ .name = "wait_timeout_ms", .type = CFG_T_INT, .min = 1,
	  .max = 60000, .idef = 500,
	  .off = offsetof(struct cfg_redis, wait_timeout_ms) },
	{ .name = NULL }
};

static const struct cfg_key cfg_milter_keys[] = {
	{ .name = "socket", .type = CFG_T_STR, .flags = CFG_K_REQUIRED,
	  .min = 1, .max = 1024, .off = offsetof(struct cfg_milter, socket),
	  .check = cfg_check_milter },
	{ .name = "on_redis_failure", .type = CFG_T_ENUM,
	  .idef = CFG_FAIL_TEMPFAIL, .names = cfg_failure_names,
	  .off = offsetof(struct cfg_milter, on_redis_failure) },
	{ .name = "dedup_ttl", .type = CFG_T_INT, .min = 60, .max = 31536000,
	  .idef = 604800, .off = offsetof(struct cfg_milter, dedup_ttl) },
	{ .name = "thread_ttl", .type = CFG_T_INT, .min = 3600,
	  .max = 315360000, .idef = 7776000,
	  .off = offsetof(struct cfg_milter, thread_ttl) },
	{ .name = "no_reply_steps", .type = CFG_T_BOOL, .idef = 1,
	  .off = offsetof(struct cfg_milter, no_reply_steps) },
	{ .name = "sender_rate_limit", .type = CFG_T_INT, .min = 0,
	  .max = 1000000, .idef = 60,
	  .off = offsetof(struct cfg_milter, sender_rate_limit) },
	{ .name = "authserv_id", .type = CFG_T_STR, .min = 1, .max = 255,
	  .off = offsetof(struct cfg_milter, authserv_id) },
	{ .name = "thread_join", .type = CFG_T_ENUM,
	  .idef = CFG_JOIN_PARTICIPANT, .names = cfg_join_names,
	  .off = offsetof(struct cfg_milter, thread_join) },
	{ .name = NULL }
};

static const struct cfg_key cfg_router_keys[] = {
	{ .name = "consumer", .type = CFG_T_STR, .min = 1, .max = 200,
	  .off = offsetof(struct cfg_router, consumer),
	  .check = cfg_check_name },
	{ .name = "batch", .type = CFG_T_INT, .min = 1, .max = 10000,
	  .idef = 100, .off = offsetof(struct cfg_router, batch) },
	{ .name = "block_ms", .type = CFG_T_INT, .min = 10, .max = 60000,
	  .idef = 2000, .off = offsetof(struct cfg_router, block_ms) },
	{ .name = "claim_idle_ms", .type = CFG_T_INT, .min = 1000,
	  .max = 86400000, .idef = 60000,
	  .off = offsetof(struct cfg_router, claim_idle_ms) },
	{ .name = "ingest_retention", .type = CFG_T_INT, .min = 0,
	  .max = 31536000, .idef = 3600,
	  .off = offsetof(struct cfg_router, ingest_retention) },
	{ .name = "metrics_listen", .type = CFG_T_STR, .min = 1,
	  .max = CFG_DOMAIN_MAX + 8,
	  .off = offsetof(struct cfg_router, metrics_listen),
	  .check = cfg_check_listen },
	{ .name = "dataset_file", .type = CFG_T_STR, .min = 1, .max = 4096,
	  .off = offsetof(struct cfg_router, dataset_file),
	  .check = cfg_check_path },
	{ .name = "organizations", .type = CFG_T_STRS, .min = 1,
	  .max = CFG_NAME_MAX,
	  .off = offsetof(struct cfg_router, organizations),
	  .noff = offsetof(struct cfg_router, norganizations),
	  .check = cfg_check_id },
	{ .name = NULL }
};

static const struct cfg_key cfg_outbound_keys[] = {
	{ .name = "trusted_networks", .type = CFG_T_STRS, .min = 1, .max = 64,
	  .off = offsetof(struct cfg_outbound, trusted_networks),
	  .noff = offsetof(struct cfg_outbound, ntrusted_networks),
	  .check = cfg_check_cidr },
	{ .name = "trust_authenticated", .type = CFG_T_BOOL, .idef = 1,
	  .off = offsetof(struct cfg_outbound, trust_authenticated) },
	{ .name = "trusted_logins", .type = CFG_T_STRS, .min = 1, .max = 255,
	  .off = offsetof(struct cfg_outbound, trusted_logins),
	  .noff = offsetof(struct cfg_outbound, ntrusted_logins) },
	{ .name = "trusted_daemons", .type = CFG_T_STRS, .min = 1,
	  .max = CFG_NAME_MAX,
	  .off = offsetof(struct cfg_outbound, trusted_daemons),
	  .noff = offsetof(struct cfg_outbound, ntrusted_daemons),
	  .check = cfg_check_name },
	{ .name = "token_secret", .type = CFG_T_STR, .flags = CFG_K_SECRET,
	  .min = 16, .max = 1024,
	  .off = offsetof(struct cfg_outbound, token_secret) },
	{ .name = NULL }
};

static const struct cfg_key cfg_delivery_keys[] = {
	{ .name = "relay", .type = CFG_T_STR, .min = 1, .max = 1024,
	  .sdef = "smtp://127.0.0.1:25",
	  .off = offsetof(struct cfg_delivery, relay),
	  .check = cfg_check_relay },
	{ .name = "starttls", .type = CFG_T_ENUM, .idef = CFG_TLS_NO,
	  .names = cfg_starttls_names,
	  .off = offsetof(struct cfg_delivery, starttls) },
	{ .name = "tls_verify", .type = CFG_T_BOOL, .idef = 1,
	  .off = offsetof(struct cfg_delivery, tls_verify) },
	{ .name = "ca_file", .type = CFG_T_STR, .min = 1, .max = 4096,
	  .off = offsetof(struct cfg_delivery, ca_file),
	  .check = cfg_check_path },
	{ .name = "username", .type = CFG_T_STR, .min = 1, .max = 256,
	  .off = offsetof(struct cfg_delivery, username) },
	{ .name = "password", .type = CFG_T_STR, .flags = CFG_K_SECRET,
	  .min = 1, .max = 1024,
	  .off = offsetof(struct cfg_delivery, password) },
	{ .name = "sender", .type = CFG_T_STR, .min = 0, .max = 0, .sdef = "",
	  .off = offsetof(struct cfg_delivery, sender),
	  .check = cfg_check_mailbox },
	{ .name = "timeout", .type = CFG_T_INT, .min = 5, .max = 3600,
	  .idef = 60, .off = offsetof(struct cfg_delivery, timeout) },
	{ .name = "retry_min", .type = CFG_T_INT, .min = 1, .max = 86400,
	  .idef = 60, .off = offsetof(struct cfg_delivery, retry_min) },
	{ .name = "retry_max", .type = CFG_T_INT, .min = 1, .max = 86400,
	  .idef = 3600, .off = offsetof(struct cfg_delivery, retry_max) },
	{ .name = "max_attempts", .type = CFG_T_INT, .min = 1, .max = 1000,
	  .idef = 10, .off = offsetof(struct cfg_delivery, max_attempts) },
	{ .name = "retention", .type = CFG_T_INT, .min = 3600,
	  .max = 31536000, .idef = 1209600,
	  .off = offsetof(struct cfg_delivery, retention) },
	{ .name = "max_size", .type = CFG_T_INT, .min = 65536,
	  .max = 536870912, .idef = 41943040,
	  .off = offsetof(struct cfg_delivery, max_size) },
	{ .name = NULL }
};

static const struct cfg_key cfg_fetch_keys[] = {
	{ .name = "relay", .type = CFG_T_STR, .min = 1, .max = 1024,
	  .sdef = "smtp://127.0.0.1:25",
	  .off = offsetof(struct cfg_fetch, relay),
	  .check = cfg_check_relay },
	{ .name = "timeout", .type = CFG_T_INT, .min = 5, .max = 3600,
	  .idef = 60, .off = offsetof(struct cfg_fetch, timeout) },
	{ .name = "retry_min", .type = CFG_T_INT, .min = 1, .max = 86400,
	  .idef = 30, .off = offsetof(struct cfg_fetch, retry_min) },
	{ .name = "retry_max", .type = CFG_T_INT, .min = 1, .max = 86400,
	  .idef = 900, .off = offsetof(struct cfg_fetch, retry_max) },
	{ .name = NULL }
};

/* port 0: the protocol's, resolved in the second pass (cfg_mbox.c) */
static const struct cfg_key cfg_mailbox_keys[] = {
	{ .name = "server", .type = CFG_T_STR, .flags = CFG_K_REQUIRED,
	  .min = 1, .max = CFG_DOMAIN_MAX,
	  .off = offsetof(struct cfg_mailbox, server),
	  .check = cfg_check_host },
	{ .name = "port", .type = CFG_T_INT, .min = 1, .max = 65535,
	  .idef = 0, .off = offsetof(struct cfg_mailbox, port) },
	{ .name = "protocol", .type = CFG_T_ENUM, .idef = CFG_MBOX_IMAP,
	  .names = cfg_mbox_protocol_names,
	  .off = offsetof(struct cfg_mailbox, protocol) },
	{ .name = "tls", .type = CFG_T_ENUM, .idef = CFG_MBOX_TLS_IMPLICIT,
	  .names = cfg_mbox_tls_names,
	  .off = offsetof(struct cfg_mailbox, tls) },
	{ .name = "tls_verify", .type = CFG_T_BOOL, .idef = 1,
	  .off = offsetof(struct cfg_mailbox, tls_verify) },
	{ .name = "ca_file", .type = CFG_T_STR, .min = 1, .max = 4096,
	  .off = offsetof(struct cfg_mailbox, ca_file),
	  .check = cfg_check_path },
	{ .name = "user", .type = CFG_T_STR, .flags = CFG_K_REQUIRED,
	  .min = 1, .max = 256, .off = offsetof(struct cfg_mailbox, user),
	  .check = cfg_check_mbox_text },
	{ .name = "password", .type = CFG_T_STR, .flags = CFG_K_SECRET,
	  .min = 1, .max = 1024,
	  .off = offsetof(struct cfg_mailbox, password) },
	{ .name = "password_file", .type = CFG_T_STR, .min = 1, .max = 4096,
	  .off = offsetof(struct cfg_mailbox, password_file),
	  .check = cfg_check_path },
	{ .name = "folder", .type = CFG_T_STR, .min = 1, .max = 255,
	  .sdef = "INBOX", .off = offsetof(struct cfg_mailbox, folder),
	  .check = cfg_check_folder },
	{ .name = "after", .type = CFG_T_ENUM, .idef = CFG_MBOX_DELETE,
	  .names = cfg_mbox_after_names,
	  .off = offsetof(struct cfg_mailbox, after) },
	{ .name = "move_to", .type = CFG_T_STR, .min = 1, .max = 255,
	  .off = offsetof(struct cfg_mailbox, move_to),
	  .check = cfg_check_folder },
	{ .name = "poll_interval", .type = CFG_T_INT, .min = 1,
	  .max = 86400, .idef = 60,
	  .off = offsetof(struct cfg_mailbox, poll_interval) },
	{ .name = "idle", .type = CFG_T_BOOL, .idef = 1,
	  .off = offsetof(struct cfg_mailbox, idle) },
	{ .name = NULL }
};

/* An identity's outgoing server: the words of a mailbox's; port 0 is
 * resolved from tls in the second pass (cfg_smtp.c).  An address's group
 * also says whether the milter signs its mail. */
#define CFG_SMTP_KEYS \
	{ .name = "server", .type = CFG_T_STR, .flags = CFG_K_REQUIRED, \
	  .min = 1, .max = CFG_DOMAIN_MAX, \
	  .off = offsetof(struct cfg_smtp, server), \
	  .check = cfg_check_host }, \
	{ .name = "port", .type = CFG_T_INT, .min = 1, .max = 65535, \
	  .idef = 0, .off = offsetof(struct cfg_smtp, port) }, \
	{ .name = "tls", .type = CFG_T_ENUM, .idef = CFG_MBOX_TLS_STARTTLS, \
	  .names = cfg_mbox_tls_names, \
	  .off = offsetof(struct cfg_smtp, tls) }, \
	{ .name = "tls_verify", .type = CFG_T_BOOL, .idef = 1, \
	  .off = offsetof(struct cfg_smtp, tls_verify) }, \
	{ .name = "ca_file", .type = CFG_T_STR, .min = 1, .max = 4096, \
	  .off = offsetof(struct cfg_smtp, ca_file), \
	  .check = cfg_check_path }, \
	{ .name = "user", .type = CFG_T_STR, .flags = CFG_K_REQUIRED, \
	  .min = 1, .max = 256, .off = offsetof(struct cfg_smtp, user), \
	  .check = cfg_check_smtp_user }, \
	{ .name = "password", .type = CFG_T_STR, .flags = CFG_K_SECRET, \
	  .min = 1, .max = 1024, \
	  .off = offsetof(struct cfg_smtp, password), \
	  .check = cfg_check_smtp_password }, \
	{ .name = "password_file", .type = CFG_T_STR, .min = 1, .max = 4096, \
	  .off = offsetof(struct cfg_smtp, password_file), \
	  .check = cfg_check_path }

static const struct cfg_key cfg_agent_smtp_keys[] = {
	CFG_SMTP_KEYS,
	{ .name = NULL }
};

static const struct cfg_key cfg_address_smtp_keys[] = {
	CFG_SMTP_KEYS,
	{ .name = "dkim", .type = CFG_T_BOOL, .idef = 1,
	  .off = offsetof(struct cfg_smtp, dkim) },
	{ .name = NULL }
};

static const struct cfg_key cfg_dns_keys[] = {
	{ .name = "verification_secret", .type = CFG_T_STR,
	  .flags = CFG_K_SECRET, .min = 16, .max = 1024,
	  .off = offsetof(struct cfg_dns, verification_secret) },
	{ .name = "server", .type = CFG_T_STR, .min = 1, .max = 64,
	  .off = offsetof(struct cfg_dns, server),
	  .check = cfg_check_dns_server },
	{ .name = "timeout_ms", .type = CFG_T_INT, .min = 100, .max = 30000,
	  .idef = 2000, .off = offsetof(struct cfg_dns, timeout_ms) },
	{ .name = "mx_hosts", .type = CFG_T_STRS, .min = 1,
	  .max = CFG_DOMAIN_MAX, .nmax = 16,
	  .off = offsetof(struct cfg_dns, mx_hosts),
	  .noff = offsetof(struct cfg_dns, nmx_hosts),
	  .check = cfg_check_domain },
	{ .name = "spf", .type = CFG_T_STR, .min = 1, .max = 2048,
	  .off = offsetof(struct cfg_dns, spf), .check = cfg_check_spf },
	{ .name = "bounce_target", .type = CFG_T_STR, .min = 1,
	  .max = CFG_DOMAIN_MAX, .off = offsetof(struct cfg_dns, bounce_target),
	  .check = cfg_check_domain },
	{ .name = "hosted_domain", .type = CFG_T_STR, .min = 1,
	  .max = CFG_DOMAIN_MAX, .off = offsetof(struct cfg_dns, hosted_domain),
	  .check = cfg_check_domain },
	{ .name = "recheck_interval", .type = CFG_T_INT, .flags = CFG_K_ZERO,
	  .min = 300, .max = 2592000, .idef = 86400,
	  .off = offsetof(struct cfg_dns, recheck_interval) },
	{ .name = "activation_period", .type = CFG_T_INT, .min = 0,
	  .max = 2592000, .idef = 7200,
	  .off = offsetof(struct cfg_dns, activation_period) },
	{ .name = NULL }
};

static const struct cfg_key cfg_dkim_keys[] = {
	{ .name = "selector", .type = CFG_T_STR, .flags = CFG_K_REQUIRED,
	  .min = 1, .max = 253, .off = offsetof(struct cfg_dkim, selector),
	  .check = cfg_check_selector },
	{ .name = "key_file", .type = CFG_T_STR, .flags = CFG_K_REQUIRED,
	  .min = 1, .max = 4096, .off = offsetof(struct cfg_dkim, key_file),
	  .check = cfg_check_path },
	{ .name = NULL }
};

static const struct cfg_key cfg_flowlim_keys[] = {
	{ .name = "text_limit", .type = CFG_T_INT, .min = 1, .max = 10240,
	  .idef = 64, .off = offsetof(struct cfg_flowlim, text_limit) },
	{ .name = "time_limit_ms", .type = CFG_T_INT, .min = 1, .max = 60000,
	  .idef = 200, .off = offsetof(struct cfg_flowlim, time_limit_ms) },
	{ .name = "match_limit", .type = CFG_T_INT, .min = 1000,
	  .max = 100000000, .idef = 1000000,
	  .off = offsetof(struct cfg_flowlim, match_limit) },
	{ .name = "language_confidence", .type = CFG_T_INT, .min = 0,
	  .max = 100, .idef = 50,
	  .off = offsetof(struct cfg_flowlim, language_confidence) },
	{ .name = NULL }
};

static const struct cfg_key cfg_schedule_keys[] = {
	{ .name = "name", .type = CFG_T_STR, .flags = CFG_K_REQUIRED,
	  .min = 1, .max = CFG_NAME_MAX,
	  .off = offsetof(struct cfg_schedule, name), .check = cfg_check_name },
	{ .name = "timezone", .type = CFG_T_STR, .flags = CFG_K_REQUIRED,
	  .min = 1, .max = 255,
	  .off = offsetof(struct cfg_schedule, timezone) },
	{ .name = "hours", .type = CFG_T_STRS, .flags = CFG_K_REQUIRED,
	  .min = 1, .max = 200, .nmax = 64,
	  .off = offsetof(struct cfg_schedule, hours),
	  .noff = offsetof(struct cfg_schedule, nhours) },
	{ .name = "holidays", .type = CFG_T_STRS, .min = 1, .max = 32,
	  .nmax = 1000, .off = offsetof(struct cfg_schedule, holidays),
	  .noff = offsetof(struct cfg_schedule, nholidays) },
	{ .name = NULL }
};

/* What a rule or a flow's default does; A is the path of the struct
 * cfg_action inside type T, with a trailing dot, or empty. */
#define CFG_ACTION_KEYS(T, A) \
	{ .name = "queue", .type = CFG_T_STR, .min = 1, .max = CFG_NAME_MAX, \
	  .off = offsetof(T, A queue), .check = cfg_check_name }, \
	{ .name = "skills", .type = CFG_T_STRS, .min = 1, \
	  .max = CFG_NAME_MAX, .nmax = CFG_SKILLS_MAX, \
	  .off = offsetof(T, A skills), \
	  .noff = offsetof(T, A nskills), .check = cfg_check_name }, \
	{ .name = "add_skills", .type = CFG_T_STRS, .min = 1, \
	  .max = CFG_NAME_MAX, .nmax = CFG_SKILLS_MAX, \
	  .off = offsetof(T, A add_skills), \
	  .noff = offsetof(T, A nadd_skills), .check = cfg_check_name }, \
	{ .name = "language", .type = CFG_T_STR, .min = 0, .max = 64, \
	  .off = offsetof(T, A language), .check = cfg_check_lang }, \
	{ .name = "priority", .type = CFG_T_INT, .min = 0, \
	  .max = CFG_PRIORITY_MAX, .idef = -1, .off = offsetof(T, A priority) }, \
	{ .name = "add_priority", .type = CFG_T_INT, .min = -CFG_PRIORITY_MAX, \
	  .max = CFG_PRIORITY_MAX, .idef = 0, \
	  .off = offsetof(T, A add_priority) }, \
	{ .name = "tags", .type = CFG_T_STRS, .min = 1, .max = CFG_NAME_MAX, \
	  .nmax = 32, .off = offsetof(T, A tags), .noff = offsetof(T, A ntags), \
	  .check = cfg_check_name }, \
	{ .name = "ack", .type = CFG_T_STR, .min = 1, .max = CFG_NAME_MAX, \
	  .off = offsetof(T, A ack), .check = cfg_check_name }, \
	{ .name = "close", .type = CFG_T_BOOL, .idef = 0, \
	  .off = offsetof(T, A close) }, \
	{ .name = "call", .type = CFG_T_STR, .min = 1, .max = CFG_NAME_MAX, \
	  .off = offsetof(T, A call), .check = cfg_check_name }

static const struct cfg_key cfg_action_keys[] = {
	CFG_ACTION_KEYS(struct cfg_action, ),
	{ .name = NULL }
};

static const struct cfg_key cfg_rule_keys[] = {
	{ .name = "name", .type = CFG_T_STR, .min = 1, .max = CFG_NAME_MAX,
	  .off = offsetof(struct cfg_rule, name), .check = cfg_check_name },
	{ .name = "if", .type = CFG_T_CUSTOM,
	  .off = offsetof(struct cfg_rule, cond), .sub = cfg_cond_keys,
	  .walk = cfg_cond_walk, .release = cfg_cond_release },
	CFG_ACTION_KEYS(struct cfg_rule, act.),
	{ .name = NULL }
};

static const struct cfg_key cfg_flow_keys[] = {
	{ .name = "name", .type = CFG_T_STR, .flags = CFG_K_REQUIRED,
	  .min = 1, .max = CFG_NAME_MAX, .off = offsetof(struct cfg_flow, name),
	  .check = cfg_check_name },
	{ .name = "rules", .type = CFG_T_LIST, .min = 0,
	  .size = sizeof(struct cfg_rule), .label = "name",
	  .off = offsetof(struct cfg_flow, rules),
	  .noff = offsetof(struct cfg_flow, nrules),
	  .lineoff = offsetof(struct cfg_rule, line), .sub = cfg_rule_keys },
	{ .name = "default", .type = CFG_T_GROUP,
	  .flags = CFG_K_ALLOC | CFG_K_REQUIRED,
	  .size = sizeof(struct cfg_action),
	  .off = offsetof(struct cfg_flow, dflt), .sub = cfg_action_keys },
	{ .name = NULL }
};

/* The matching settings live directly in struct cfg. */
static const struct cfg_key cfg_matching_keys[] = {
	{ .name = "local_part_case_sensitive", .type = CFG_T_BOOL, .idef = 0,
	  .off = offsetof(struct cfg, local_part_case_sensitive) },
	{ .name = "subaddress_separators", .type = CFG_T_STR, .min = 0,
	  .max = sizeof(CFG_SEPS) - 1, .sdef = "+",
	  .off = offsetof(struct cfg, subaddress_separators),
	  .check = cfg_check_seps },
	{ .name = NULL }
};

/* The route settings, shared by addresses and catch-alls; R is the path
 * of the struct cfg_route inside type T, with a trailing dot, or empty. */
#define CFG_ROUTE_KEYS(T, R) \
	{ .name = "queue", .type = CFG_T_STR, .min = 1, .max = CFG_NAME_MAX, \
	  .off = offsetof(T, R queue), .check = cfg_check_name }, \
	{ .name = "flow", .type = CFG_T_STR, .min = 1, .max = CFG_NAME_MAX, \
	  .off = offsetof(T, R flow), .check = cfg_check_name }, \
	{ .name = "skills", .type = CFG_T_STRS, .min = 1, \
	  .max = CFG_NAME_MAX, .nmax = CFG_SKILLS_MAX, \
	  .off = offsetof(T, R skills), \
	  .noff = offsetof(T, R nskills), .check = cfg_check_name }, \
	{ .name = "language", .type = CFG_T_STR, .min = 0, .max = 64, \
	  .sdef = "", .off = offsetof(T, R language), \
	  .check = cfg_check_lang }, \
	{ .name = "priority", .type = CFG_T_INT, .min = 0, \
	  .max = CFG_PRIORITY_MAX, .idef = 0, .off = offsetof(T, R priority) }

static const struct cfg_key cfg_catch_all_keys[] = {
	CFG_ROUTE_KEYS(struct cfg_route, ),
	{ .name = NULL }
};

/* A text and an HTML variant of a header, footer or signature: file
 * names, relative to the configuration file's folder unless absolute. */
static const struct cfg_key cfg_dress_keys[] = {
	{ .name = "text", .type = CFG_T_STR, .min = 1, .max = 1024,
	  .off = offsetof(struct cfg_dress, text_file) },
	{ .name = "html", .type = CFG_T_STR, .min = 1, .max = 1024,
	  .off = offsetof(struct cfg_dress, html_file) },
	{ .name = NULL }
};

static const struct cfg_key cfg_card_keys[] = {
	{ .name = "organization", .type = CFG_T_STR, .flags = CFG_K_REQUIRED,
	  .min = 1, .max = 256, .off = offsetof(struct cfg_card, organization),
	  .check = cfg_check_display },
	{ .name = "phone", .type = CFG_T_STR, .min = 1, .max = 64,
	  .off = offsetof(struct cfg_card, phone), .check = cfg_check_display },
	{ .name = "url", .type = CFG_T_STR, .min = 1, .max = 1024,
	  .off = offsetof(struct cfg_card, url), .check = cfg_check_display },
	{ .name = "title", .type = CFG_T_STR, .min = 1, .max = 256,
	  .off = offsetof(struct cfg_card, title), .check = cfg_check_display },
	{ .name = "note", .type = CFG_T_STR, .min = 1, .max = 1024,
	  .off = offsetof(struct cfg_card, note), .check = cfg_check_display },
	{ .name = NULL }
};

static const struct cfg_key cfg_response_keys[] = {
	{ .name = "name", .type = CFG_T_STR, .flags = CFG_K_REQUIRED,
	  .min = 1, .max = CFG_NAME_MAX,
	  .off = offsetof(struct cfg_response, name), .check = cfg_check_name },
	{ .name = "subject", .type = CFG_T_STR, .flags = CFG_K_REQUIRED,
	  .min = 1, .max = 900, .off = offsetof(struct cfg_response, subject_src),
	  .check = cfg_check_display },
	{ .name = "text", .type = CFG_T_STR, .min = 1, .max = 1024,
	  .off = offsetof(struct cfg_response, text_file) },
	{ .name = "html", .type = CFG_T_STR, .min = 1, .max = 1024,
	  .off = offsetof(struct cfg_response, html_file) },
	{ .name = NULL }
};

static const struct cfg_key cfg_address_keys[] = {
	{ .name = "address", .type = CFG_T_STR, .flags = CFG_K_REQUIRED,
	  .min = 1, .max = 0, .off = offsetof(struct cfg_address, address) },
	CFG_ROUTE_KEYS(struct cfg_address, route.),
	{ .name = "display_name", .type = CFG_T_STR, .min = 0, .max = 256,
	  .sdef = "", .off = offsetof(struct cfg_address, display_name),
	  .check = cfg_check_display },
	{ .name = "reply_to", .type = CFG_T_STR, .min = 0, .max = 0,
	  .sdef = "", .off = offsetof(struct cfg_address, reply_to),
	  .check = cfg_check_mailbox },
	{ .name = "copy_to", .type = CFG_T_STR, .min = 0, .max = 0,
	  .sdef = "", .off = offsetof(struct cfg_address, copy_to),
	  .check = cfg_check_mailbox },
	{ .name = "rewrite_from", .type = CFG_T_BOOL, .idef = 0,
	  .off = offsetof(struct cfg_address, rewrite_from) },
	{ .name = "auto_submitted", .type = CFG_T_ENUM, .idef = CFG_AUTO_NO,
	  .names = cfg_auto_names,
	  .off = offsetof(struct cfg_address, auto_submitted) },
	{ .name = "direction", .type = CFG_T_ENUM, .idef = CFG_DIR_BOTH,
	  .names = cfg_direction_names,
	  .off = offsetof(struct cfg_address, direction) },
	{ .name = "enabled", .type = CFG_T_BOOL, .idef = 1,
	  .off = offsetof(struct cfg_address, enabled) },
	{ .name = "mailbox", .type = CFG_T_GROUP, .flags = CFG_K_ALLOC,
	  .size = sizeof(struct cfg_mailbox),
	  .off = offsetof(struct cfg_address, mailbox),
	  .sub = cfg_mailbox_keys },
	{ .name = "ack", .type = CFG_T_STR, .min = 1, .max = CFG_NAME_MAX,
	  .off = offsetof(struct cfg_address, ack), .check = cfg_check_name },
	{ .name = "header", .type = CFG_T_GROUP, .flags = CFG_K_ALLOC,
	  .size = sizeof(struct cfg_dress),
	  .off = offsetof(struct cfg_address, header), .sub = cfg_dress_keys },
	{ .name = "footer", .type = CFG_T_GROUP, .flags = CFG_K_ALLOC,
	  .size = sizeof(struct cfg_dress),
	  .off = offsetof(struct cfg_address, footer), .sub = cfg_dress_keys },
	{ .name = "card", .type = CFG_T_GROUP, .flags = CFG_K_ALLOC,
	  .size = sizeof(struct cfg_card),
	  .off = offsetof(struct cfg_address, card), .sub = cfg_card_keys },
	{ .name = "smtp", .type = CFG_T_GROUP, .flags = CFG_K_ALLOC,
	  .size = sizeof(struct cfg_smtp),
	  .off = offsetof(struct cfg_address, smtp),
	  .sub = cfg_address_smtp_keys },
	{ .name = NULL }
};

static const struct cfg_key cfg_domain_keys[] = {
	{ .name = "name", .type = CFG_T_STR, .flags = CFG_K_REQUIRED,
	  .min = 1, .max = CFG_DOMAIN_MAX, .off = offsetof(struct cfg_domain, name),
	  .check = cfg_check_domain },
	{ .name = "catch_all", .type = CFG_T_GROUP, .flags = CFG_K_ALLOC,
	  .size = sizeof(struct cfg_route),
	  .off = offsetof(struct cfg_domain, catch_all),
	  .sub = cfg_catch_all_keys },
	{ .name = "dkim", .type = CFG_T_GROUP, .flags = CFG_K_ALLOC,
	  .size = sizeof(struct cfg_dkim),
	  .off = offsetof(struct cfg_domain, dkim), .sub = cfg_dkim_keys },
	{ .name = "bounce_domain", .type = CFG_T_STR, .min = 1,
	  .max = CFG_DOMAIN_MAX, .off = offsetof(struct cfg_domain, bounce_domain),
	  .check = cfg_check_domain },
	{ .name = "kind", .type = CFG_T_ENUM, .idef = CFG_KIND_CONTACT_CENTER,
	  .names = cfg_kind_names, .off = offsetof(struct cfg_domain, kind) },
	{ .name = "inbound", .type = CFG_T_ENUM, .idef = CFG_INBOUND_MX,
	  .names = cfg_inbound_names,
	  .off = offsetof(struct cfg_domain, inbound) },
	{ .name = "require_verification", .type = CFG_T_BOOL, .idef = 1,
	  .off = offsetof(struct cfg_domain, require_verification) },
	/* -1 (absent) is resolved from the kind in the second pass */
	{ .name = "rate_limit", .type = CFG_T_INT, .min = 0, .max = 1000000,
	  .idef = -1, .off = offsetof(struct cfg_domain, rate_limit) },
	{ .name = "addresses", .type = CFG_T_LIST, .min = 0,
	  .size = sizeof(struct cfg_address), .label = "address",
	  .off = offsetof(struct cfg_domain, addresses),
	  .noff = offsetof(struct cfg_domain, naddresses),
	  .lineoff = offsetof(struct cfg_address, line),
	  .sub = cfg_address_keys },
	{ .name = NULL }
};

static const struct cfg_key cfg_queue_keys[] = {
	{ .name = "name", .type = CFG_T_STR, .flags = CFG_K_REQUIRED,
	  .min = 1, .max = CFG_NAME_MAX, .off = offsetof(struct cfg_queue, name),
	  .check = cfg_check_name },
	{ .name = "strategy", .type = CFG_T_ENUM,
	  .idef = CFG_STRAT_LONGEST_IDLE, .names = cfg_strategy_names,
	  .off = offsetof(struct cfg_queue, strategy) },
	{ .name = "service_level", .type = CFG_T_INT, .min = 0,
	  .max = 2592000, .idef = 0,
	  .off = offsetof(struct cfg_queue, service_level) },
	{ .name = "delivery", .type = CFG_T_ENUM,
	  .idef = CFG_DELIVERY_INHERIT, .names = cfg_delivery_names,
	  .off = offsetof(struct cfg_queue, delivery) },
	{ .name = "new_thread", .type = CFG_T_ENUM, .idef = CFG_THREAD_NEW,
	  .names = cfg_new_thread_names,
	  .off = offsetof(struct cfg_queue, new_thread) },
	{ .name = "schedule", .type = CFG_T_STR, .min = 1, .max = CFG_NAME_MAX,
	  .off = offsetof(struct cfg_queue, schedule),
	  .check = cfg_check_name },
	{ .name = NULL }
};

static const struct cfg_key cfg_agent_keys[] = {
	{ .name = "id", .type = CFG_T_STR, .flags = CFG_K_REQUIRED,
	  .min = 1, .max = CFG_NAME_MAX, .off = offsetof(struct cfg_agent, id),
	  .check = cfg_check_name },
	{ .name = "address", .type = CFG_T_STR, .flags = CFG_K_REQUIRED,
	  .min = 1, .max = 0, .off = offsetof(struct cfg_agent, address) },
	{ .name = "skills", .type = CFG_T_STRS, .min = 1,
	  .max = CFG_NAME_MAX, .nmax = CFG_AGENT_SKILLS_MAX,
	  .off = offsetof(struct cfg_agent, skills),
	  .noff = offsetof(struct cfg_agent, nskills), .check = cfg_check_name },
	{ .name = "languages", .type = CFG_T_STRS, .min = 1, .max = 64,
	  .nmax = 32, .off = offsetof(struct cfg_agent, languages),
	  .noff = offsetof(struct cfg_agent, nlanguages),
	  .check = cfg_check_lang },
	{ .name = "capacity", .type = CFG_T_INT, .min = 1,
	  .max = CFG_CAPACITY_MAX, .idef = 1,
	  .off = offsetof(struct cfg_agent, capacity) },
	{ .name = "queues", .type = CFG_T_STRS, .flags = CFG_K_REQUIRED,
	  .min = 1, .max = CFG_NAME_MAX, .off = offsetof(struct cfg_agent, queues),
	  .noff = offsetof(struct cfg_agent, nqueues), .check = cfg_check_name },
	{ .name = "login", .type = CFG_T_STR, .min = 1, .max = 255,
	  .off = offsetof(struct cfg_agent, login) },
	{ .name = "name", .type = CFG_T_STR, .min = 1, .max = 256,
	  .off = offsetof(struct cfg_agent, name), .check = cfg_check_display },
	{ .name = "signature", .type = CFG_T_GROUP, .flags = CFG_K_ALLOC,
	  .size = sizeof(struct cfg_dress),
	  .off = offsetof(struct cfg_agent, signature), .sub = cfg_dress_keys },
	{ .name = "smtp", .type = CFG_T_GROUP, .flags = CFG_K_ALLOC,
	  .size = sizeof(struct cfg_smtp),
	  .off = offsetof(struct cfg_agent, smtp),
	  .sub = cfg_agent_smtp_keys },
	{ .name = NULL }
};

/* Queues come before domains: the table order is the walk order. */
static const struct cfg_key cfg_org_keys[] = {
	{ .name = "id", .type = CFG_T_STR, .flags = CFG_K_REQUIRED,
	  .min = 1, .max = CFG_NAME_MAX, .off = offsetof(struct cfg_org, id),
	  .check = cfg_check_id },
	{ .name = "delivery", .type = CFG_T_ENUM, .idef = CFG_DELIVERY_NOTIFY,
	  .names = cfg_delivery_names,
	  .off = offsetof(struct cfg_org, delivery) },
	{ .name = "max_domains", .type = CFG_T_INT, .min = 0, .max = 1000000,
	  .idef = 0, .off = offsetof(struct cfg_org, max_domains) },
	{ .name = "max_addresses_per_domain", .type = CFG_T_INT, .min = 0,
	  .max = 1000000, .idef = 0,
	  .off = offsetof(struct cfg_org, max_addresses_per_domain) },
	{ .name = "schedules", .type = CFG_T_LIST, .min = 0,
	  .size = sizeof(struct cfg_schedule), .label = "name",
	  .off = offsetof(struct cfg_org, schedules),
	  .noff = offsetof(struct cfg_org, nschedules),
	  .lineoff = offsetof(struct cfg_schedule, line),
	  .sub = cfg_schedule_keys },
	{ .name = "queues", .type = CFG_T_LIST, .flags = CFG_K_REQUIRED,
	  .min = 1, .size = sizeof(struct cfg_queue), .label = "name",
	  .off = offsetof(struct cfg_org, queues),
	  .noff = offsetof(struct cfg_org, nqueues),
	  .lineoff = offsetof(struct cfg_queue, line),
	  .sub = cfg_queue_keys },
	{ .name = "domains", .type = CFG_T_LIST, .min = 0,
	  .size = sizeof(struct cfg_domain), .label = "name",
	  .off = offsetof(struct cfg_org, domains),
	  .noff = offsetof(struct cfg_org, ndomains),
	  .lineoff = offsetof(struct cfg_domain, line),
	  .sub = cfg_domain_keys },
	{ .name = "agents", .type = CFG_T_LIST, .min = 0,
	  .size = sizeof(struct cfg_agent), .label = "id",
	  .off = offsetof(struct cfg_org, agents),
	  .noff = offsetof(struct cfg_org, nagents),
	  .lineoff = offsetof(struct cfg_agent, line),
	  .sub = cfg_agent_keys },
	{ .name = "flows", .type = CFG_T_LIST, .min = 0,
	  .size = sizeof(struct cfg_flow), .label = "name",
	  .off = offsetof(struct cfg_org, flows),
	  .noff = offsetof(struct cfg_org, nflows),
	  .lineoff = offsetof(struct cfg_flow, line), .sub = cfg_flow_keys },
	{ .name = "redis", .type = CFG_T_GROUP, .flags = CFG_K_ALLOC,
	  .size = sizeof(struct cfg_redis),
	  .off = offsetof(struct cfg_org, redis), .sub = cfg_redis_keys },
	{ .name = "date_format", .type = CFG_T_STR, .min = 1, .max = 200,
	  .sdef = TMPL_DATE_FORMAT, .off = offsetof(struct cfg_org, date_format),
	  .check = cfg_check_display },
	{ .name = "timezone", .type = CFG_T_STR, .min = 1, .max = 64,
	  .sdef = "UTC", .off = offsetof(struct cfg_org, timezone) },
	{ .name = "ack_period", .type = CFG_T_INT, .min = 0, .max = 31536000,
	  .idef = 86400, .off = offsetof(struct cfg_org, ack_period) },
	{ .name = "responses", .type = CFG_T_LIST, .min = 0,
	  .size = sizeof(struct cfg_response), .label = "name",
	  .off = offsetof(struct cfg_org, responses),
	  .noff = offsetof(struct cfg_org, nresponses),
	  .lineoff = offsetof(struct cfg_response, line),
	  .sub = cfg_response_keys },
	{ .name = NULL }
};

const struct cfg_key cfg_top_keys[] = {
	{ .name = "redis", .type = CFG_T_GROUP,
	  .off = offsetof(struct cfg, redis), .sub = cfg_redis_keys },
	{ .name = "milter", .type = CFG_T_GROUP,
	  .off = offsetof(struct cfg, milter), .sub = cfg_milter_keys },
	{ .name = "router", .type = CFG_T_GROUP,
	  .off = offsetof(struct cfg, router), .sub = cfg_router_keys },
	{ .name = "matching", .type = CFG_T_GROUP, .off = 0,
	  .sub = cfg_matching_keys },
	{ .name = "outbound", .type = CFG_T_GROUP,
	  .off = offsetof(struct cfg, outbound), .sub = cfg_outbound_keys },
	{ .name = "delivery", .type = CFG_T_GROUP,
	  .off = offsetof(struct cfg, delivery), .sub = cfg_delivery_keys },
	{ .name = "fetch", .type = CFG_T_GROUP,
	  .off = offsetof(struct cfg, fetch), .sub = cfg_fetch_keys },
	{ .name = "dns", .type = CFG_T_GROUP,
	  .off = offsetof(struct cfg, dns), .sub = cfg_dns_keys },
	{ .name = "flow", .type = CFG_T_GROUP,
	  .off = offsetof(struct cfg, flow), .sub = cfg_flowlim_keys },
	{ .name = "organizations", .type = CFG_T_LIST,
	  .flags = CFG_K_REQUIRED, .min = 1, .size = sizeof(struct cfg_org),
	  .label = "id", .off = offsetof(struct cfg, orgs),
	  .noff = offsetof(struct cfg, norgs),
	  .lineoff = offsetof(struct cfg_org, line), .sub = cfg_org_keys },
	{ .name = NULL }
};

/* cfg_set_ptr - store pointer P at offset OFF of OBJ */
static void
cfg_set_ptr(void *obj, size_t off, const void *p)
{
	memcpy((char *)obj + off, &p, sizeof(p));
}

/* cfg_get_ptr - the pointer stored at offset OFF of OBJ */
static void *
cfg_get_ptr(const void *obj, size_t off)
{
	void   *p;

	memcpy(&p, (const char *)obj + off, sizeof(p));
	return (p);
}

/* cfg_set_int - store V at offset OFF of OBJ */
static void
cfg_set_int(void *obj, size_t off, int v)
{
	memcpy((char *)obj + off, &v, sizeof(v));
}

/* cfg_set_size - store N at offset OFF of OBJ */
static void
cfg_set_size(void *obj, size_t off, size_t n)
{
	memcpy((char *)obj + off, &n, sizeof(n));
}

/* cfg_get_size - the size_t stored at offset OFF of OBJ */
static size_t
cfg_get_size(const void *obj, size_t off)
{
	size_t	n;

	memcpy(&n, (const char *)obj + off, sizeof(n));
	return (n);
}

/* cfg_strdup - copy S, noting a failure in LD */
char *
cfg_strdup(struct cfg_load *ld, const char *s)
{
	char   *p;

	if ((p = strdup(s)) == NULL)
		ld->nomem = 1;
	return (p);
}

/* cfg_calloc - zeroed array of N objects of SIZE, noting a failure in LD */
void *
cfg_calloc(struct cfg_load *ld, size_t n, size_t size)
{
	void   *p;

	if (n == 0)
		return (NULL);
	if ((p = calloc(n, size)) == NULL)
		ld->nomem = 1;
	return (p);
}

/* cfg_find_key - the entry NAME of table KEYS, or NULL */
const struct cfg_key *
cfg_find_key(const struct cfg_key *keys, const char *name)
{
	for (; keys != NULL && keys->name != NULL; keys++)
		if (strcmp(keys->name, name) == 0)
			return (keys);
	return (NULL);
}

/* cfg_casecmp - compare ignoring ASCII case only, whatever the locale */
int
cfg_casecmp(const char *a, const char *b)
{
	unsigned char x, y;

	do {
		x = (unsigned char)*a++;
		y = (unsigned char)*b++;
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
	} while (x == y && x != '\0');
	return ((int)x - (int)y);
}

/* cfg_index_lines - note where each line of the main file starts */
static void
cfg_index_lines(struct cfg_load *ld)
{
	size_t	i, n = 1;

	for (i = 0; i < ld->textlen; i++)
		if (ld->text[i] == '\n')
			n++;
	if ((ld->lines = calloc(n, sizeof(*ld->lines))) == NULL) {
		ld->nomem = 1;
		return;
	}
	ld->lines[0] = 0;
	ld->nlines = 1;
	for (i = 0; i < ld->textlen; i++)
		if (ld->text[i] == '\n')
			ld->lines[ld->nlines++] = i + 1;
}

/* cfg_ident - 1 if C may be part of a libconfig setting name */
static int
cfg_ident(int c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '*');
}

/* cfg_literal - libconfig 1.5 silently cuts integer literals to 32 bits:
 * find on S's line of the main file a literal for S that is out of the int
 * range and cut gives S's value GOT; 1 with its value (saturated) and text,
 * else 0 */
static int
cfg_literal(struct cfg_load *ld, const config_setting_t *s, long long got,
    long long *v, char *txt, size_t txtlen)
{
	const char *name = config_setting_name(s), *start, *p, *e, *q;
	unsigned line = config_setting_source_line(s);
	size_t	nlen, i;
	int	quoted = 0;
	long long lit;
	char	num[64], *end;

	if (name == NULL || config_setting_source_file(s) != NULL ||
	    line == 0 || line > ld->nlines || ld->text == NULL)
		return (0);
	nlen = strlen(name);
	start = ld->text + ld->lines[line - 1];
	e = line < ld->nlines ? ld->text + ld->lines[line] :
	    ld->text + ld->textlen;
	for (p = start; p < e; p++) {
		if (quoted) {
			if (*p == '\\' && p + 1 < e)
				p++;
			else if (*p == '"')
				quoted = 0;
			continue;
		}
		if (*p == '"') {
			quoted = 1;
			continue;
		}
		if (*p == '#' || (*p == '/' && p + 1 < e &&
		    (p[1] == '/' || p[1] == '*')))
			return (0);
		/* NAME as a whole word, then "=" or ":" */
		if ((size_t)(e - p) <= nlen || memcmp(p, name, nlen) != 0 ||
		    (p > start && cfg_ident(p[-1])) || cfg_ident(p[nlen]))
			continue;
		for (q = p + nlen; q < e && (*q == ' ' || *q == '\t'); q++)
			;
		if (q >= e || (*q != '=' && *q != ':'))
			continue;
		for (q++; q < e && (*q == ' ' || *q == '\t'); q++)
			;
		for (i = 0; q + i < e && i + 1 < sizeof(num) &&
		    (cfg_ident(q[i]) || q[i] == '+'); i++)
			num[i] = q[i];
		num[i] = '\0';
		lit = strtoll(num, &end, (num[0] == '0' &&
		    (num[1] == 'x' || num[1] == 'X')) ? 16 : 10);
		if (end == num || (lit >= INT_MIN && lit <= INT_MAX) ||
		    (unsigned)(unsigned long long)lit !=
		    (unsigned)(unsigned long long)got)
			continue;
		while (*end == 'L')
			end++;
		*end = '\0';
		*v = lit;
		snprintf(txt, txtlen, "%s", num);
		return (1);
	}
	return (0);
}

static void cfg_walk_group(struct cfg_load *, const config_setting_t *,
		    const config_setting_t *, const char *,
		    const struct cfg_key *, void *, int);

/* cfg_walk_int - check and store integer setting S (NULL: default) */
static void
cfg_walk_int(struct cfg_load *ld, const struct cfg_key *k,
    const config_setting_t *s, void *obj)
{
	long long v;
	char	txt[64];

	cfg_set_int(obj, k->off, (int)k->idef);
	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		cfg_err_type(ld, s, k);
		return;
	}
	v = config_setting_get_int64(s);
	if (config_setting_type(s) != CONFIG_TYPE_INT ||
	    !cfg_literal(ld, s, v, &v, txt, sizeof(txt)))
		snprintf(txt, sizeof(txt), "%lld", v);
	if ((k->flags & CFG_K_ZERO) && v == 0)
		;
	else if (v < k->min || v > k->max) {
		cfg_err(ld, s, NULL, txt, "must be %sbetween %lld and %lld",
		    (k->flags & CFG_K_ZERO) ? "0 or " : "", k->min, k->max);
		return;
	}
	cfg_set_int(obj, k->off, (int)v);
}

/* cfg_walk_str - check and store string setting S (NULL: default) */
static void
cfg_walk_str(struct cfg_load *ld, const struct cfg_key *k,
    const config_setting_t *s, void *obj)
{
	char	why[512], show[CFG_SHOW_MAX + 16];
	const char *v, *msg;

	if (s != NULL && config_setting_type(s) != CONFIG_TYPE_STRING) {
		cfg_err_type(ld, s, k);
		s = NULL;
	}
	if (s == NULL) {
		if (k->sdef != NULL)
			cfg_set_ptr(obj, k->off, cfg_strdup(ld, k->sdef));
		return;
	}
	v = config_setting_get_string(s);
	if ((msg = cfg_check_str(k, v, why, sizeof(why))) != NULL)
		cfg_err(ld, s, NULL, (k->flags & CFG_K_SECRET) ? NULL :
		    cfg_show(s, show, sizeof(show)), "%s", msg);
	cfg_set_ptr(obj, k->off, cfg_strdup(ld, v));
}

/* cfg_walk_enum - check and store one-of-a-set setting S (NULL: default) */
static void
cfg_walk_enum(struct cfg_load *ld, const struct cfg_key *k,
    const config_setting_t *s, void *obj)
{
	const struct cfg_enum *e;
	char	show[CFG_SHOW_MAX + 16], want[256];
	const char *v;

	cfg_set_int(obj, k->off, (int)k->idef);
	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cfg_err_type(ld, s, k);
		return;
	}
	v = config_setting_get_string(s);
	want[0] = '\0';
	for (e = k->names; e->name != NULL; e++) {
		if (strcmp(e->name, v) == 0) {
			cfg_set_int(obj, k->off, e->value);
			return;
		}
		if (e != k->names)
			cfg_append(want, sizeof(want),
			    e[1].name != NULL ? ", " : " or ");
		cfg_append(want, sizeof(want), "\"");
		cfg_append(want, sizeof(want), e->name);
		cfg_append(want, sizeof(want), "\"");
	}
	cfg_err(ld, s, NULL, cfg_show(s, show, sizeof(show)), "must be %s",
	    want);
}

/* cfg_walk_strs - check and store a list of strings S (NULL: empty) */
static void
cfg_walk_strs(struct cfg_load *ld, const struct cfg_key *k,
    const config_setting_t *s, void *obj)
{
	const config_setting_t *e;
	char	why[512], show[CFG_SHOW_MAX + 16], **v;
	const char *msg;
	int	n, i, j;

	cfg_set_ptr(obj, k->off, NULL);
	cfg_set_size(obj, k->noff, 0);
	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST) {
		cfg_err_type(ld, s, k);
		return;
	}
	n = config_setting_length(s);
	if (k->nmax > 0 && (size_t)n > k->nmax)
		cfg_err(ld, s, NULL, NULL, "at most %zu %s, not %d", k->nmax,
		    k->name, n);
	if ((v = cfg_calloc(ld, (size_t)n, sizeof(*v))) == NULL)
		return;
	cfg_set_ptr(obj, k->off, v);
	cfg_set_size(obj, k->noff, (size_t)n);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			cfg_err(ld, e, NULL, cfg_show(e, show, sizeof(show)),
			    "must be a string, not %s",
			    cfg_type_name(config_setting_type(e)));
			continue;
		}
		v[i] = cfg_strdup(ld, config_setting_get_string(e));
		if (v[i] == NULL)
			continue;
		if ((msg = cfg_check_str(k, v[i], why, sizeof(why))) != NULL) {
			cfg_err(ld, e, NULL, cfg_show(e, show, sizeof(show)),
			    "%s", msg);
			continue;
		}
		for (j = 0; j < i; j++)
			if (v[j] != NULL && strcmp(v[j], v[i]) == 0)
				break;
		if (j < i)
			cfg_err(ld, e, NULL, cfg_show(e, show, sizeof(show)),
			    "listed twice");
	}
}

/* cfg_walk_list - check and store a list of groups S (NULL: empty) */
static void
cfg_walk_list(struct cfg_load *ld, const struct cfg_key *k,
    const config_setting_t *s, void *obj)
{
	const config_setting_t *e;
	char	show[CFG_SHOW_MAX + 16], *v;
	int	n, i;

	cfg_set_ptr(obj, k->off, NULL);
	cfg_set_size(obj, k->noff, 0);
	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_LIST &&
	    config_setting_type(s) != CONFIG_TYPE_ARRAY) {
		cfg_err_type(ld, s, k);
		return;
	}
	n = config_setting_length(s);
	if (n < k->min) {
		if (k->min == 1)
			cfg_err(ld, s, NULL, NULL, "must not be empty");
		else
			cfg_err(ld, s, NULL, NULL,
			    "must have at least %lld entries", k->min);
	}
	if ((v = cfg_calloc(ld, (size_t)n, k->size)) == NULL)
		return;
	cfg_set_ptr(obj, k->off, v);
	cfg_set_size(obj, k->noff, (size_t)n);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned)i);
		cfg_set_int(v + (size_t)i * k->size, k->lineoff,
		    (int)config_setting_source_line(e));
		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			cfg_err(ld, e, NULL, cfg_show(e, show, sizeof(show)),
			    "must be a group, not %s",
			    cfg_type_name(config_setting_type(e)));
			continue;
		}
		cfg_walk_group(ld, e, NULL, NULL, k->sub,
		    v + (size_t)i * k->size, 1);
	}
}

/* cfg_walk_key - check and store the setting S (NULL: absent) that K
 * describes, a member of GRP (NULL: of the absent group PARENT.NAME) */
static void
cfg_walk_key(struct cfg_load *ld, const struct cfg_key *k,
    const config_setting_t *s, const config_setting_t *grp,
    const config_setting_t *parent, const char *name, void *obj,
    int report_missing)
{
	char	path[CFG_PATH_MAX];
	void   *sub;

	if (grp != NULL)
		snprintf(path, sizeof(path), "%s", k->name);
	else
		snprintf(path, sizeof(path), "%s%s%s", name ? name : "",
		    name ? "." : "", k->name);
	if (s == NULL && (k->flags & CFG_K_REQUIRED) && report_missing)
		cfg_err(ld, grp != NULL ? grp : parent, path, NULL,
		    "required setting is missing");
	switch (k->type) {
	case CFG_T_INT:
		cfg_walk_int(ld, k, s, obj);
		break;
	case CFG_T_BOOL:
		cfg_set_int(obj, k->off, (int)k->idef);
		if (s != NULL && config_setting_type(s) != CONFIG_TYPE_BOOL)
			cfg_err_type(ld, s, k);
		else if (s != NULL)
			cfg_set_int(obj, k->off, config_setting_get_bool(s));
		break;
	case CFG_T_STR:
		cfg_walk_str(ld, k, s, obj);
		break;
	case CFG_T_ENUM:
		cfg_walk_enum(ld, k, s, obj);
		break;
	case CFG_T_STRS:
		cfg_walk_strs(ld, k, s, obj);
		break;
	case CFG_T_LIST:
		cfg_walk_list(ld, k, s, obj);
		break;
	case CFG_T_CUSTOM:
		if (s != NULL && k->walk != NULL)
			k->walk(ld, k, s, obj);
		break;
	case CFG_T_GROUP:
		if (s != NULL && config_setting_type(s) != CONFIG_TYPE_GROUP) {
			cfg_err_type(ld, s, k);
			if (k->flags & CFG_K_ALLOC)
				break;
			/* defaults only: its members are not the problem */
			cfg_walk_group(ld, NULL, NULL, NULL, k->sub,
			    (char *)obj + k->off, 0);
			break;
		}
		if (k->flags & CFG_K_ALLOC) {
			if (s == NULL)
				break;
			if ((sub = cfg_calloc(ld, 1, k->size)) == NULL)
				break;
			cfg_set_ptr(obj, k->off, sub);
		} else
			sub = (char *)obj + k->off;
		if (s != NULL)
			cfg_walk_group(ld, s, NULL, NULL, k->sub, sub, 1);
		else
			/* an absent group: its defaults, and what it lacks */
			cfg_walk_group(ld, NULL, grp != NULL ? grp : parent,
			    path, k->sub, sub, report_missing);
		break;
	}
}

/* cfg_walk_group - check and store the members of group GRP (NULL: the
 * absent group NAME inside PARENT) into OBJ as table KEYS describes */
static void
cfg_walk_group(struct cfg_load *ld, const config_setting_t *grp,
    const config_setting_t *parent, const char *name,
    const struct cfg_key *keys, void *obj, int report_missing)
{
	const struct cfg_key *k;
	const config_setting_t *m;
	int	i, n;

	if (grp != NULL) {
		n = config_setting_length(grp);
		for (i = 0; i < n; i++) {
			m = config_setting_get_elem(grp, (unsigned)i);
			if (cfg_find_key(keys, config_setting_name(m)) == NULL)
				cfg_err(ld, m, NULL, NULL, "unknown setting");
		}
	}
	for (k = keys; k->name != NULL; k++) {
		m = grp != NULL ? config_setting_get_member(grp, k->name) : NULL;
		cfg_walk_key(ld, k, m, grp, parent, name, obj, report_missing);
	}
}

/* cfg_free_obj - free what table KEYS stored in OBJ (not OBJ itself) */
static void
cfg_free_obj(const struct cfg_key *keys, void *obj)
{
	const struct cfg_key *k;
	char  **sv, *lv;
	void   *p;
	size_t	i, n;

	for (k = keys; k->name != NULL; k++) {
		switch (k->type) {
		case CFG_T_STR:
			free(cfg_get_ptr(obj, k->off));
			break;
		case CFG_T_STRS:
			sv = cfg_get_ptr(obj, k->off);
			n = cfg_get_size(obj, k->noff);
			for (i = 0; sv != NULL && i < n; i++)
				free(sv[i]);
			free(sv);
			break;
		case CFG_T_GROUP:
			if ((k->flags & CFG_K_ALLOC) == 0)
				cfg_free_obj(k->sub, (char *)obj + k->off);
			else if ((p = cfg_get_ptr(obj, k->off)) != NULL) {
				cfg_free_obj(k->sub, p);
				free(p);
			}
			break;
		case CFG_T_LIST:
			lv = cfg_get_ptr(obj, k->off);
			n = cfg_get_size(obj, k->noff);
			for (i = 0; lv != NULL && i < n; i++)
				cfg_free_obj(k->sub, lv + i * k->size);
			free(lv);
			break;
		case CFG_T_CUSTOM:
			if (k->release != NULL)
				k->release(k, obj);
			break;
		default:
			break;
		}
	}
}

/* cfg_free - free a configuration and everything it owns */
static void
cfg_free(struct cfg *cfg)
{
	size_t	i, j, k;

	if (cfg == NULL)
		return;
	if (cfg->parent != NULL) {
		/* a view owns only its list of organisations */
		free(cfg->orgs);
		cfg_unref(cfg->parent);
		free(cfg);
		return;
	}
	free(cfg->groups);
	cfg_errors_clear(&cfg->warnings);
	/* the lookup keys, DKIM keys and parsed networks are the only
	 * fields the schema does not own */
	for (i = 0; i < cfg->norgs && cfg->orgs != NULL; i++)
		for (j = 0; j < cfg->orgs[i].ndomains &&
		    cfg->orgs[i].domains != NULL; j++) {
			struct cfg_dkim *dk = cfg->orgs[i].domains[j].dkim;

			for (k = 0; k < cfg->orgs[i].domains[j].naddresses; k++) {
				free(cfg->orgs[i].domains[j].addresses[k].key);
				cfg_mbox_free(cfg->orgs[i].domains[j].addresses[k].
				    mailbox);
				cfg_smtp_free(cfg->orgs[i].domains[j].addresses[k].
				    smtp);
			}
			if (dk != NULL && dk->key != NULL) {
				OPENSSL_cleanse(dk->key, strlen(dk->key));
				free(dk->key);
			}
		}
	for (i = 0; i < cfg->norgs && cfg->orgs != NULL; i++)
		for (j = 0; j < cfg->orgs[i].nagents &&
		    cfg->orgs[i].agents != NULL; j++)
			cfg_smtp_free(cfg->orgs[i].agents[j].smtp);
	free(cfg->outbound.nets);
	for (i = 0; i < cfg->norgs && cfg->orgs != NULL; i++) {
		cfg_flow_free(&cfg->orgs[i]);
		cfg_tmpl_free(&cfg->orgs[i]);
	}
	cfg_free_obj(cfg_top_keys, cfg);
	if (cfg->index != NULL) {
		free(cfg->index->addrs);
		free(cfg->index->domains);
		free(cfg->index->agents);
		free(cfg->index);
	}
	free(cfg->file);
	free(cfg);
}

/* cfg_read - the whole of FILE into LD->text; 0, or -1 with an error */
static int
cfg_read(struct cfg_load *ld)
{
	FILE   *fp;
	struct stat st;
	char   *p;
	size_t	cap = 8192, n;
	int	fd;

	if ((fd = open(ld->file, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (fp = fdopen(fd, "r")) == NULL) {
		cfg_err_file(ld, ld->file, 0, "cannot read: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return (-1);
	}
	/* the mode of what was opened, not of what the name is by now */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		ld->have_stat = 1;
		ld->mode = st.st_mode;
		ld->uid = st.st_uid;
		ld->gid = st.st_gid;
	}
	for (;;) {
		if (ld->text == NULL || ld->textlen + 1 >= cap) {
			if (ld->text != NULL)
				cap *= 2;
			if ((p = realloc(ld->text, cap)) == NULL) {
				ld->nomem = 1;
				fclose(fp);
				return (-1);
			}
			ld->text = p;
		}
		n = fread(ld->text + ld->textlen, 1, cap - ld->textlen - 1, fp);
		ld->textlen += n;
		if (n == 0)
			break;
	}
	ld->text[ld->textlen] = '\0';
	if (ferror(fp)) {
		cfg_err_file(ld, ld->file, 0, "cannot read: %s", strerror(errno));
		fclose(fp);
		return (-1);
	}
	fclose(fp);
	if ((p = memchr(ld->text, '\0', ld->textlen)) != NULL) {
		cfg_index_lines(ld);
		for (n = 0; n + 1 < ld->nlines && ld->lines[n + 1] <=
		    (size_t)(p - ld->text); n++)
			;
		cfg_err_file(ld, ld->file, (unsigned)n + 1,
		    "syntax error: NUL byte");
		return (-1);
	}
	cfg_index_lines(ld);
	return (0);
}

/* cfg_load - read and validate FILE; NULL (and errors appended) on failure */
struct cfg *
cfg_load(const char *file, struct cfg_errors *errs)
{
	struct cfg_errors mine = { 0 };
	struct cfg_load ld;
	struct cfg *cfg = NULL;
	config_t lc;
	const char *text;
	size_t	i;

	if (errs == NULL)
		errs = &mine;
	memset(&ld, 0, sizeof(ld));
	ld.file = file;
	if (cfg_read(&ld) == 0) {
		config_init(&lc);
		if (config_read_string(&lc, ld.text) != CONFIG_TRUE) {
			text = config_error_text(&lc);
			if (text == NULL || strcmp(text, "syntax error") == 0)
				cfg_err_file(&ld, config_error_file(&lc) ?
				    config_error_file(&lc) : file,
				    (unsigned)config_error_line(&lc),
				    "syntax error");
			else
				cfg_err_file(&ld, config_error_file(&lc) ?
				    config_error_file(&lc) : file,
				    (unsigned)config_error_line(&lc),
				    "syntax error: %s", text);
		} else if ((cfg = calloc(1, sizeof(*cfg))) == NULL ||
		    (cfg->file = strdup(file)) == NULL)
			ld.nomem = 1;
		else {
			cfg->refs = 1;
			ld.cfg = cfg;
			cfg_walk_group(&ld, config_root_setting(&lc), NULL, NULL,
			    cfg_top_keys, cfg, 1);
			cfg_check_model(&ld, &lc);
		}
		config_destroy(&lc);
	}
	if (ld.nomem)
		cfg_err_file(&ld, file, 0, "out of memory");
	if (ld.nerr > 0 || ld.nomem) {
		cfg_err_sort(&ld);
		for (i = 0; i < ld.nerr; i++)
			cfg_errors_add_at(errs, ld.err[i].msg,
			    &ld.err[i].at);
		cfg_free(cfg);
		cfg = NULL;
	}
	for (i = 0; i < ld.nerr; i++) {
		free(ld.err[i].msg);
		cfg_where_free(&ld.err[i].at);
	}
	free(ld.err);
	free(ld.text);
	free(ld.lines);
	cfg_errors_clear(&mine);
	return (cfg);
}

/* cfg_ref - take one more reference on a loaded configuration */
struct cfg *
cfg_ref(struct cfg *cfg)
{
	if (cfg != NULL)
		__atomic_add_fetch(&cfg->refs, 1, __ATOMIC_RELAXED);
	return (cfg);
}

/* cfg_unref - drop one reference; the last one frees.  Accepts NULL. */
void
cfg_unref(struct cfg *cfg)
{
	if (cfg != NULL && __atomic_sub_fetch(&cfg->refs, 1,
	    __ATOMIC_ACQ_REL) == 0)
		cfg_free(cfg);
}

/* cfg_addr_cmp - bsearch: key string against an indexed address */
static int
cfg_addr_cmp(const void *key, const void *elem)
{
	const struct cfg_address *const *a = elem;

	return (strcmp(key, (*a)->key));
}

/* cfg_domain_cmp - bsearch: name against an indexed domain, ASCII case
 * ignored as in the index order */
static int
cfg_domain_cmp(const void *key, const void *elem)
{
	const struct cfg_domain *const *d = elem;

	return (cfg_casecmp(key, (*d)->name));
}

/* cfg_agent_cmp - bsearch: an address against an indexed agent's */
static int
cfg_agent_cmp(const void *key, const void *elem)
{
	const struct cfg_agent *const *g = elem;

	return (cfg_casecmp(key, (*g)->address));
}

/* cfg_find_agent - the agent whose workplace address is ADDR */
const struct cfg_agent *
cfg_find_agent(const struct cfg *cfg, const char *addr)
{
	struct cfg_agent **g;

	if (cfg == NULL || cfg->index == NULL || cfg->index->nagents == 0)
		return (NULL);
	g = bsearch(addr, cfg->index->agents, cfg->index->nagents,
	    sizeof(*cfg->index->agents), cfg_agent_cmp);
	return (g != NULL ? *g : NULL);
}

/* cfg_find_login - the agent an SMTP AUTH login belongs to */
const struct cfg_agent *
cfg_find_login(const struct cfg *cfg, const char *login)
{
	size_t	i, j;

	if (cfg == NULL || login == NULL || *login == '\0')
		return (NULL);
	for (i = 0; i < cfg->norgs; i++)
		for (j = 0; j < cfg->orgs[i].nagents; j++) {
			const struct cfg_agent *g = &cfg->orgs[i].agents[j];

			if (strcasecmp(g->login != NULL ? g->login : g->address,
			    login) == 0)
				return (g);
		}
	return (NULL);
}

/* cfg_find_address - the registered address with lookup KEY, or NULL */
const struct cfg_address *
cfg_find_address(const struct cfg *cfg, const char *key)
{
	struct cfg_address **a;

	if (cfg == NULL || cfg->index == NULL || cfg->index->naddrs == 0)
		return (NULL);
	a = bsearch(key, cfg->index->addrs, cfg->index->naddrs,
	    sizeof(*cfg->index->addrs), cfg_addr_cmp);
	return (a != NULL ? *a : NULL);
}

/* cfg_find_domain - the configured domain NAME (lower case), or NULL */
const struct cfg_domain *
cfg_find_domain(const struct cfg *cfg, const char *name)
{
	struct cfg_domain **d;

	if (cfg == NULL || cfg->index == NULL || cfg->index->ndomains == 0)
		return (NULL);
	d = bsearch(name, cfg->index->domains, cfg->index->ndomains,
	    sizeof(*cfg->index->domains), cfg_domain_cmp);
	return (d != NULL ? *d : NULL);
}

/* cfg_match_address - exact, then untagged */
const struct cfg_address *
cfg_match_address(const struct cfg *cfg, const char *local,
    const char *domain, char *key, size_t keylen)
{
	const struct cfg_address *ca = NULL;

	if (addr_key(local, domain, cfg->local_part_case_sensitive, NULL, 0,
	    key, keylen) == 0)
		ca = cfg_find_address(cfg, key);
	if (addr_key(local, domain, cfg->local_part_case_sensitive,
	    cfg->subaddress_separators, 1, key, keylen) == 0 && ca == NULL)
		ca = cfg_find_address(cfg, key);
	return (ca);
}

/* cfg_find_flow - flow NAME of organisation O, or NULL */
const struct cfg_flow *
cfg_find_flow(const struct cfg_org *o, const char *name)
{
	size_t	i;

	for (i = 0; o != NULL && name != NULL && i < o->nflows; i++)
		if (o->flows[i].name != NULL &&
		    strcmp(o->flows[i].name, name) == 0)
			return (&o->flows[i]);
	return (NULL);
}

/* cfg_response_find - response NAME of organisation O, or NULL */
const struct cfg_response *
cfg_response_find(const struct cfg_org *o, const char *name)
{
	size_t	i;

	for (i = 0; o != NULL && name != NULL && i < o->nresponses; i++)
		if (o->responses[i].name != NULL &&
		    strcmp(o->responses[i].name, name) == 0)
			return (&o->responses[i]);
	return (NULL);
}

/* cfg_find_schedule - schedule NAME of organisation O, or NULL */
const struct cfg_schedule *
cfg_find_schedule(const struct cfg_org *o, const char *name)
{
	size_t	i;

	for (i = 0; o != NULL && name != NULL && i < o->nschedules; i++)
		if (o->schedules[i].name != NULL &&
		    strcmp(o->schedules[i].name, name) == 0)
			return (&o->schedules[i]);
	return (NULL);
}

/* cfg_view - CFG's organisations of GROUP (SERVED: served by the
 * router), copied, and the group's Redis; the rest shared */
struct cfg *
cfg_view(struct cfg *cfg, size_t group, int served)
{
	struct cfg *v;
	size_t	i, n = 0;

	if (group >= cfg->ngroups || (v = calloc(1, sizeof(*v))) == NULL)
		return (NULL);
	*v = *cfg;
	memset(&v->warnings, 0, sizeof(v->warnings));
	v->refs = 1;
	v->redis = *cfg->groups[group];
	if (cfg->norgs > 0 && (v->orgs = calloc(cfg->norgs,
	    sizeof(*v->orgs))) == NULL) {
		free(v);
		return (NULL);
	}
	for (i = 0; i < cfg->norgs; i++)
		if (cfg->orgs[i].group == group &&
		    (!served || cfg->orgs[i].served))
			v->orgs[n++] = cfg->orgs[i];
	v->norgs = n;
	v->parent = cfg_ref(cfg);
	return (v);
}

/* cfg_find_org - organisation ID, or NULL */
const struct cfg_org *
cfg_find_org(const struct cfg *cfg, const char *id)
{
	size_t	i;

	for (i = 0; cfg != NULL && i < cfg->norgs; i++)
		if (cfg->orgs[i].id != NULL && strcmp(cfg->orgs[i].id, id) == 0)
			return (&cfg->orgs[i]);
	return (NULL);
}

/* cfg_find_queue - queue NAME of organisation O, or NULL */
const struct cfg_queue *
cfg_find_queue(const struct cfg_org *o, const char *name)
{
	size_t	i;

	for (i = 0; o != NULL && i < o->nqueues; i++)
		if (o->queues[i].name != NULL &&
		    strcmp(o->queues[i].name, name) == 0)
			return (&o->queues[i]);
	return (NULL);
}

/* cfg_net_match - ADDR in one of the trusted networks */
int
cfg_net_match(const struct cfg *cfg, int family, const unsigned char *addr)
{
	const struct cfg_net *n;
	size_t	i;
	int	b, full, rest;

	for (i = 0; i < cfg->outbound.ntrusted_networks &&
	    cfg->outbound.nets != NULL; i++) {
		n = &cfg->outbound.nets[i];
		if (n->family != family)
			continue;
		b = n->bits;
		full = b / 8;
		rest = b % 8;
		if (memcmp(n->addr, addr, (size_t)full) != 0)
			continue;
		if (rest != 0 && ((n->addr[full] ^ addr[full]) &
		    (0xff << (8 - rest)) & 0xff) != 0)
			continue;
		return (1);
	}
	return (0);
}

/* cfg_join - the N strings of V with commas between them */
char *
cfg_join(char *const *v, size_t n)
{
	size_t	len = 1, i, off = 0;
	char	*s;

	for (i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	if ((s = malloc(len)) == NULL)
		return (NULL);
	s[0] = '\0';
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(s + off, len - off, "%s%s",
		    i > 0 ? "," : "", v[i]);
	return (s);
}

/* cfg_strategy_name - the configuration word for STRATEGY */
const char *
cfg_strategy_name(int strategy)
{
	const struct cfg_enum *e;

	for (e = cfg_strategy_names; e->name != NULL; e++)
		if (e->value == strategy)
			return (e->name);
	return ("?");
}

/* cfg_enum_name - the configuration word for VALUE in NAMES, or "?" */
static const char *
cfg_enum_name(const struct cfg_enum *names, int value)
{
	const struct cfg_enum *e;

	for (e = names; e->name != NULL; e++)
		if (e->value == value)
			return (e->name);
	return ("?");
}

/* cfg_kind_name - the configuration word for a domain's KIND */
const char *
cfg_kind_name(int kind)
{
	return (cfg_enum_name(cfg_kind_names, kind));
}

/* cfg_inbound_name - the configuration word for a domain's INBOUND */
const char *
cfg_inbound_name(int inbound)
{
	return (cfg_enum_name(cfg_inbound_names, inbound));
}

/* cfg_schema_walk - call FN for each setting of KEYS and below, PREFIX.name */
static void
cfg_schema_walk(const struct cfg_key *keys, const char *prefix,
    void (*fn)(const char *, void *), void *arg)
{
	char	path[CFG_PATH_MAX];

	for (; keys->name != NULL; keys++) {
		snprintf(path, sizeof(path), "%s%s%s", prefix,
		    prefix[0] ? "." : "", keys->name);
		fn(path, arg);
		if (keys->sub != NULL)
			cfg_schema_walk(keys->sub, path, fn, arg);
	}
}

/* cfg_schema_each - call FN with the dotted path of every setting the
 * loader knows ("redis.host", "organizations.domains.addresses.queue"...) */
void
cfg_schema_each(void (*fn)(const char *path, void *arg), void *arg)
{
	cfg_schema_walk(cfg_top_keys, "", fn, arg);
}
