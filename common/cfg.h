/* cfg.h - the mailacd configuration model, its loader and validator.
 *
 * One libconfig file describes Redis, the milter, address matching and the
 * organisations (tenants) with their queues, domains and registered
 * addresses.  cfg_load() reads and validates the whole file and reports every
 * problem at once as "file:line: setting: what is wrong".  A loaded
 * configuration is immutable and reference counted so that a reload can swap
 * it while connections still use the old one.  No logging here: errors go to
 * the caller's list. */
#ifndef MAILACD_CFG_H
#define MAILACD_CFG_H

#include <stddef.h>

#define CFG_DEFAULT_FILE	"/etc/mailacd/mailacd.conf"

/* Limits shared by validation and by the code that relies on them. */
#define CFG_ADDR_MAX		254	/* RFC 5321 path minus brackets */
#define CFG_LOCAL_MAX		64
#define CFG_DOMAIN_MAX		253
#define CFG_NAME_MAX		64	/* org ids, queue names, skills */
#define CFG_SKILLS_MAX		15	/* per route: all go on one header line,
					   15 x 64 octets fit in 998 */
#define CFG_PRIORITY_MAX	1000

enum cfg_direction {
	CFG_DIR_INBOUND = 1,
	CFG_DIR_OUTBOUND = 2,
	CFG_DIR_BOTH = 3
};

/* The RFC 3834 mark of mail an address sends automatically. */
enum cfg_auto {
	CFG_AUTO_NO = 0,		/* written by people: no mark */
	CFG_AUTO_GENERATED = 1,		/* notifications */
	CFG_AUTO_REPLIED = 2		/* acknowledgements, auto-replies */
};

enum cfg_on_failure {
	CFG_FAIL_TEMPFAIL = 0,	/* 451 4.3.0: the MTA keeps and retries */
	CFG_FAIL_ACCEPT = 1	/* accept unrecorded (logged as such) */
};

struct cfg_org;
struct cfg_domain;
struct cfg_mailbox;
struct cfg_smtp;
struct cfg_flow;
struct cfg_response;
struct tmpl;

/* Where matched mail goes: a queue with its requirements, or a flow that
 * works them out from the message (common/flow.h). */
struct cfg_route {
	const char *queue;	/* NULL when the route names a flow */
	const char *flow;	/* NULL when it names a queue */
	char	**skills;	/* nskills entries, each [A-Za-z0-9._-]+ */
	size_t	nskills;
	const char *language;	/* "" when any agent may answer */
	int	priority;	/* 0..CFG_PRIORITY_MAX */
	const struct cfg_flow *flowp;	/* the flow named, resolved */
};

/* A text and an HTML variant of something added to mail: a header, a
 * footer, a signature.  Files as configured; templates parsed at load. */
struct cfg_dress {
	char	*text_file;	/* NULL: no text variant */
	char	*html_file;	/* NULL: no HTML variant */
	struct tmpl *text;
	struct tmpl *html;
};

/* The contact card (vCard 4.0) an address attaches to its first reply;
 * its name and email are the address's display_name and address. */
struct cfg_card {
	char	*organization;
	char	*phone;		/* NULL: none */
	char	*url;		/* NULL: none */
	char	*title;		/* NULL: none */
	char	*note;		/* NULL: none */
};

/* A registered address. */
struct cfg_address {
	char	*address;	/* as configured (for messages) */
	char	*key;		/* normalised lookup key, see addr_key() */
	struct cfg_route route;
	char	*display_name;	/* "" if none */
	char	*reply_to;	/* "" if none */
	char	*copy_to;	/* envelope-only copy of outbound mail, "" */
	int	rewrite_from;	/* a From that is not ours is rewritten, not
				   refused */
	int	auto_submitted;	/* enum cfg_auto: RFC 3834 mark it sends */
	int	direction;	/* enum cfg_direction */
	int	enabled;
	struct cfg_mailbox *mailbox;	/* a mailbox its mail is pulled
					   from; NULL: none */
	char	*ack;		/* response acknowledging a customer's first
				   message; NULL: none */
	const struct cfg_response *ackp;	/* it, resolved */
	struct cfg_dress *header;	/* added to outbound mail; NULL: none */
	struct cfg_dress *footer;
	struct cfg_card *card;	/* attached to an interaction's first reply;
				   NULL: none */
	struct cfg_smtp *smtp;	/* the server its mail leaves through;
				   NULL: the relay's */
	int	line;
	struct cfg_domain *domain;
	struct cfg_org *org;
};

/* How a mailbox is read. */
enum cfg_mbox_protocol {
	CFG_MBOX_IMAP = 0,
	CFG_MBOX_POP3 = 1
};

/* TLS to a mailbox's server. */
enum cfg_mbox_tls {
	CFG_MBOX_TLS_IMPLICIT = 0,	/* imaps://, pop3s:// */
	CFG_MBOX_TLS_STARTTLS = 1,	/* required, never skipped */
	CFG_MBOX_TLS_NONE = 2		/* loopback servers only */
};

/* What becomes of a message on the server once the relay accepted it. */
enum cfg_mbox_after {
	CFG_MBOX_DELETE = 0,
	CFG_MBOX_MOVE = 1,		/* to move_to (IMAP) */
	CFG_MBOX_SEEN = 2		/* flagged \Seen, left in place (IMAP) */
};

/* A mailbox on someone else's IMAP or POP3 server that an address's
 * mail is pulled from (router/fetch.c). */
struct cfg_mailbox {
	char	*server;	/* host name or address */
	int	port;		/* resolved from protocol and tls if unset */
	int	protocol;	/* enum cfg_mbox_protocol */
	int	tls;		/* enum cfg_mbox_tls */
	int	tls_verify;	/* check the certificate and the name */
	char	*ca_file;	/* NULL: the system's CA store */
	char	*user;
	char	*password;	/* secret; or the contents of password_file */
	char	*password_file;	/* NULL: the password is in the file */
	char	*folder;	/* IMAP folder, "INBOX" */
	int	after;		/* enum cfg_mbox_after */
	char	*move_to;	/* with after = "move" */
	int	poll_interval;	/* seconds between two looks */
	int	idle;		/* IMAP: watch the folder with IDLE */
};

/* The outgoing server of a channel address or an agent (its own account
 * at a provider): Postfix's sender-dependent maps name it for the mail
 * that passes the relay, the router submits through it itself.  TLS as
 * a mailbox's (enum cfg_mbox_tls). */
struct cfg_smtp {
	char	*server;	/* host name or address */
	int	port;		/* resolved from tls if unset: 465 or 587 */
	int	tls;		/* enum cfg_mbox_tls */
	int	tls_verify;	/* check the certificate and the name */
	char	*ca_file;	/* NULL: the system's CA store */
	char	*user;
	char	*password;	/* secret; or the contents of password_file */
	char	*password_file;	/* NULL: the password is in the file */
	int	dkim;		/* an address's: the milter signs its mail */
};

/* A domain's DKIM signing key (outbound mail from its addresses). */
struct cfg_dkim {
	char	*selector;
	char	*key_file;	/* absolute path, mode 0600 or stricter */
	char	*key;		/* the PEM text, read at load; secret */
	int	ed25519;	/* else RSA */
	int	bits;		/* RSA key size */
};

/* What a domain is for (seed 002: campaign and notification mail goes
 * out from its own subdomain, never from the contact center's domain). */
enum cfg_kind {
	CFG_KIND_CONTACT_CENTER = 0,	/* agents and customers, both ways */
	CFG_KIND_CAMPAIGN = 1,		/* outbound campaigns */
	CFG_KIND_NOTIFICATION = 2	/* agentless notifications */
};

/* How inbound mail for a domain reaches the relay (seed 001, the four
 * scenarios). */
enum cfg_inbound {
	CFG_INBOUND_MX = 0,		/* 1: the domain's MX is the relay */
	CFG_INBOUND_REDIRECT = 1,	/* 2: the company's server keeps a copy
					   and redirects to the relay */
	CFG_INBOUND_HOSTED = 2,		/* 3: a subdomain of dns.hosted_domain,
					   MX to the relay */
	CFG_INBOUND_HOSTED_REDIRECT = 3	/* 4: 3, with the company's server
					   keeping copies and redirecting */
};

/* Default sending rates (messages a minute) by kind, as the hosted
 * products have them; 0: no limit. */
#define CFG_RATE_CONTACT_CENTER	0
#define CFG_RATE_NOTIFICATION	300
#define CFG_RATE_CAMPAIGN	1200

struct cfg_domain {
	char	*name;		/* lower case */
	int	kind;		/* enum cfg_kind */
	int	inbound;	/* enum cfg_inbound */
	int	require_verification;	/* outbound mail waits for the
					   ownership record to be verified */
	int	rate_limit;	/* outbound messages a minute, 0: none;
				   resolved from the kind when not set */
	struct cfg_dkim *dkim;	/* NULL: mail from it is not signed */
	char	*bounce_domain;	/* envelope sender domain of outbound mail,
				   NULL: unchanged */
	struct cfg_address *addresses;
	size_t	naddresses;
	struct cfg_route *catch_all;	/* NULL: no catch-all */
	int	line;
	struct cfg_org *org;
};

/* How a queue picks among the agents who may take an interaction. */
enum cfg_strategy {
	CFG_STRAT_LONGEST_IDLE = 0,	/* longest since the last assignment */
	CFG_STRAT_LEAST_BUSY = 1,	/* fewest open interactions */
	CFG_STRAT_ROUND_ROBIN = 2	/* in turn, per queue */
};

/* What the router does with an assignment (per queue, default per
 * organisation). */
enum cfg_delivery_mode {
	CFG_DELIVERY_INHERIT = 0,	/* queue: the organisation's mode */
	CFG_DELIVERY_NOTIFY = 1,	/* published in Redis only */
	CFG_DELIVERY_FORWARD = 2	/* the customer's message is resent to
					   the agent's workplace address */
};

/* A customer's new thread while one of theirs is open (per queue). */
enum cfg_new_thread {
	CFG_THREAD_NEW = 0,		/* a new interaction */
	CFG_THREAD_MERGE = 1		/* joins the open interaction of the
					   same sender and address */
};

struct cfg_queue {
	char	*name;
	int	strategy;	/* enum cfg_strategy */
	int	service_level;	/* answer within this many seconds; 0: none */
	int	delivery;	/* enum cfg_delivery_mode, never INHERIT once
				   loaded */
	int	new_thread;	/* enum cfg_new_thread */
	char	*schedule;	/* its business hours, NULL: none */
	const struct cfg_schedule *sched;
	int	line;
	struct cfg_org *org;
};

#define CFG_SCHED_DAYS	7
#define CFG_FLOW_DEPTH	10	/* flows calling flows, like Genesys's 10
				   nested in-queue flows */

/* One opening interval of a schedule: minutes since local midnight on the
 * days of DAYS (bit 0 Monday .. bit 6 Sunday), [from, to). */
struct cfg_hours {
	int	days;
	int	from, to;
};

/* Business hours: weekly hours in an IANA time zone, and holidays. */
struct cfg_schedule {
	char	*name;
	char	*timezone;	/* "Europe/Madrid" */
	char	**hours;	/* as configured: "mon-fri 09:00-18:00" */
	size_t	nhours;
	char	**holidays;	/* "YYYY-MM-DD", local dates */
	size_t	nholidays;
	int	line;
	/* parsed at load */
	struct cfg_hours *iv;	/* nhours entries */
	long	*hdays;		/* holidays as YYYYMMDD, sorted */
	void	*tz;		/* GTimeZone *, immutable, shared by threads */
	struct cfg_org *org;
};

/* A pattern of a flow condition: text as configured and, for text and
 * /regular expression/ patterns, the compiled PCRE2 code. */
struct cfg_pattern {
	char	*text;		/* lower case for addresses, domains, types */
	char	*header;	/* header conditions: the name, else NULL */
	void	*re;		/* pcre2_code *, NULL: compared as text */
};

/* What a condition tests (organizations.flows.rules.if). */
enum cfg_cond_kind {
	CFG_C_ALL = 0,		/* every member (an "if" group is one) */
	CFG_C_ANY,
	CFG_C_NOT,
	CFG_C_SENDER,		/* envelope sender address */
	CFG_C_SENDER_DOMAIN,
	CFG_C_SENDER_LIST,
	CFG_C_FROM,		/* From: header address */
	CFG_C_FROM_DOMAIN,
	CFG_C_FROM_LIST,
	CFG_C_SUBJECT,
	CFG_C_HEADER,
	CFG_C_BODY,
	CFG_C_ATTACHMENT,
	CFG_C_SIZE_ABOVE,
	CFG_C_SIZE_BELOW,
	CFG_C_LANGUAGE,
	CFG_C_AUTOMATIC,
	CFG_C_WITHIN_HOURS,
	CFG_C_OUTSIDE_HOURS,
	CFG_C_OPEN_INTERACTION,
	CFG_C_KINDS
};

/* One condition node. */
struct cfg_cond {
	int	kind;		/* enum cfg_cond_kind */
	int	line;
	struct cfg_cond *sub;	/* ALL, ANY: nsub members; NOT: one */
	size_t	nsub;
	struct cfg_pattern *pat;	/* any of them matches */
	size_t	npat;
	char	**list;		/* *_LIST: the file's entries, sorted */
	size_t	nlist;
	long long num;		/* SIZE_*: octets; AUTOMATIC, OPEN_INTERACTION,
				   ATTACHMENT without types: 1 or 0 */
	char	*sched_name;	/* *_HOURS */
	const struct cfg_schedule *sched;
	const void *where;	/* its libconfig setting, during loading only */
};

/* What a rule (or a flow's default) does.  Unset numbers are -1. */
struct cfg_action {
	char	*queue;
	char	**skills;	/* replace the address's */
	size_t	nskills;
	char	**add_skills;	/* add to them */
	size_t	nadd_skills;
	char	*language;	/* replace; "" clears */
	int	priority;	/* replace; -1: unset */
	int	add_priority;	/* add (then kept in 0..CFG_PRIORITY_MAX) */
	char	**tags;		/* labels added to the interaction */
	size_t	ntags;
	char	*ack;		/* the acknowledgement chosen, NULL: none */
	int	close;		/* stop routing: record on a closed
				   interaction */
	char	*call;		/* then evaluate this flow */
	const struct cfg_flow *callee;
};

struct cfg_rule {
	char	*name;		/* NULL: "#N" in traces */
	struct cfg_cond *cond;	/* NULL: always matches */
	struct cfg_action act;
	int	line;
};

/* What a flow needs of the message (enum cfg_need bits), worked out at
 * load over the flows it calls, so that the milter gathers only that. */
enum cfg_need {
	CFG_NEED_HEADERS = 0x1,	/* header conditions: keep every header */
	CFG_NEED_TEXT = 0x2,	/* body, attachment or language: the body */
	CFG_NEED_LANGUAGE = 0x4,	/* language conditions */
	CFG_NEED_OPEN = 0x8	/* open_interaction: a Redis read */
};

/* A named, ordered list of rules ending in a default. */
struct cfg_flow {
	char	*name;
	struct cfg_rule *rules;
	size_t	nrules;
	struct cfg_action *dflt;	/* never NULL once loaded */
	int	line;
	int	needs;		/* enum cfg_need, with its callees' */
	struct cfg_org *org;
};

/* Bounds of flow evaluation (the flow group). */
struct cfg_flowlim {
	int	text_limit;	/* KiB of decoded text examined */
	int	time_limit_ms;	/* one message's evaluation, then default */
	int	match_limit;	/* PCRE2 match limit of one match */
	int	language_confidence;	/* 0..100: a detection at least this
					   sure sets the language */
};

#define CFG_CAPACITY_MAX	25	/* email interactions at once */
#define CFG_AGENT_SKILLS_MAX	64

/* An agent of the roster: the static profile.  Presence and load live in
 * Redis (man/mailacd-keys.7). */
struct cfg_agent {
	char	*id;		/* [A-Za-z0-9._-]{1,64}, unique per org */
	char	*address;	/* workplace address, <= CFG_ADDR_MAX */
	char	**skills;
	size_t	nskills;
	char	**languages;
	size_t	nlanguages;
	int	capacity;	/* 1..CFG_CAPACITY_MAX */
	char	**queues;	/* names of queues of the organisation */
	size_t	nqueues;
	char	*login;		/* SMTP AUTH login; NULL: the address */
	char	*name;		/* display name in placeholders; NULL: the id */
	struct cfg_dress *signature;	/* added when a reply leaves as a
					   channel; NULL: none */
	struct cfg_smtp *smtp;	/* the server the agent's own mail leaves
				   through; NULL: the relay's */
	int	line;
	struct cfg_org *org;
};

/* A named response of an organisation's library: an acknowledgement or a
 * standard response (common/respond.h composes it). */
struct cfg_response {
	char	*name;
	struct tmpl *subject;	/* the Subject: line, a text template */
	struct tmpl *text;	/* NULL: no text/plain part */
	struct tmpl *html;	/* NULL: no text/html part */
	char	*subject_src;	/* as configured */
	char	*text_file;	/* as configured, or NULL */
	char	*html_file;
	int	line;
	struct cfg_org *org;
};

struct cfg_org {
	char	*id;		/* [a-z0-9_-]{1,64}: goes into Redis hash tags */
	struct cfg_queue *queues;
	size_t	nqueues;
	struct cfg_domain *domains;
	size_t	ndomains;
	struct cfg_agent *agents;
	size_t	nagents;
	struct cfg_schedule *schedules;
	size_t	nschedules;
	struct cfg_flow *flows;
	size_t	nflows;
	int	delivery;	/* enum cfg_delivery_mode: its queues' default */
	int	max_domains;	/* quota: most domains, 0: unlimited */
	int	max_addresses_per_domain;	/* quota: most addresses of one
						   domain, 0: unlimited */
	char	*date_format;	/* g_date_time_format() conversions */
	char	*timezone;	/* IANA name of dates in composed mail */
	void	*tz;		/* its GTimeZone *, immutable, shared */
	int	ack_period;	/* seconds between two acknowledgements to one
				   customer */
	struct cfg_response *responses;	/* named templates: acknowledgements
					   and standard responses */
	size_t	nresponses;
	int	line;
	struct cfg_redis *redis;	/* its own Redis; NULL: the top-level
					   redis group */
	size_t	group;		/* its Redis group: cfg->groups[group] */
	int	served;		/* the router serves it (router.organizations
				   lists it, or lists nothing) */
};

struct cfg_redis {
	char	*host;		/* NULL when socket is used */
	int	port;
	char	*socket;	/* unix socket path or NULL */
	char	*password;	/* NULL: no AUTH */
	char	*username;	/* ACL user of AUTH; NULL: "default" */
	int	database;
	int	connect_timeout_ms;
	int	command_timeout_ms;
	char	**sentinels;	/* "host:port" of each Sentinel, or none */
	size_t	nsentinels;
	char	*master_name;	/* the master the Sentinels monitor */
	char	*sentinel_password;	/* AUTH for the Sentinels, or NULL */
	char	*sentinel_username;	/* their ACL user, or NULL */
	int	wait_replicas;	/* replicas WAIT must confirm; 0: no WAIT */
	int	wait_timeout_ms;	/* how long WAIT may wait */
};

struct cfg_milter {
	char	*socket;	/* inet:PORT@HOST, inet6:PORT@HOST, unix:PATH */
	int	on_redis_failure;	/* enum cfg_on_failure */
	int	dedup_ttl;	/* seconds a hand-off stays idempotent */
	int	thread_ttl;	/* seconds a message id keeps its interaction */
	int	no_reply_steps;	/* offer the MTA SMFIP_NR_* (see mlfi.c) */
	int	sender_rate_limit;	/* messages one sender may start or add
					   per organisation and hour before
					   they stop being routed; 0: none */
	char	*authserv_id;	/* Authentication-Results of the relay's
				   verifier; NULL: nothing is authenticated */
	int	thread_join;	/* enum cfg_thread_join */
};

/* Who may add mail to an interaction by naming one of its Message-IDs. */
enum cfg_thread_join {
	CFG_JOIN_PARTICIPANT = 0,	/* its customer (or a reply token) */
	CFG_JOIN_ANYONE = 1		/* whoever knows a Message-ID */
};

struct cfg_router {
	char	*consumer;	/* consumer name; NULL: host name + pid */
	int	batch;		/* stream entries read per call */
	int	block_ms;	/* how long one read waits for new entries */
	int	claim_idle_ms;	/* entries idle this long at a dead consumer
				   are taken over */
	int	ingest_retention;	/* seconds handled entries stay in the
					   ingest stream */
	char	*metrics_listen;	/* HOST:PORT or [IPV6]:PORT the
					   Prometheus metrics are served on;
					   NULL: none */
	char	*dataset_file;	/* where the data-set markers seen are
				   kept across restarts; NULL: nowhere */
	char	**organizations;	/* the organisations this router
					   serves; none listed: all */
	size_t	norganizations;
};

/* One trusted network, parsed from "ADDRESS/BITS". */
struct cfg_net {
	int	family;		/* AF_INET or AF_INET6 */
	unsigned char addr[16];
	int	bits;
};

/* Which clients may send as our addresses (the outbound path). */
struct cfg_outbound {
	char	**trusted_networks;	/* as configured */
	size_t	ntrusted_networks;
	struct cfg_net *nets;		/* parsed, same order */
	int	trust_authenticated;	/* SASL logins: an agent's, as that
					   agent; trusted_logins', as any */
	char	**trusted_logins;	/* logins that may send as any of
					   our addresses (services) */
	size_t	ntrusted_logins;
	char	**trusted_daemons;	/* MTA service names ({daemon_name}) */
	size_t	ntrusted_daemons;
	char	*token_secret;	/* HMAC key of reply tokens; NULL: none */
};

enum cfg_starttls {
	CFG_TLS_NO = 0,
	CFG_TLS_TRY = 1,	/* STARTTLS when the relay offers it */
	CFG_TLS_REQUIRE = 2	/* no submission without it */
};

/* How the router submits resent copies (forward mode) and how long and
 * how large the milter keeps the copies it stores for that. */
struct cfg_delivery {
	char	*relay;		/* smtp://HOST[:PORT] or smtps://HOST[:PORT] */
	int	starttls;	/* enum cfg_starttls */
	int	tls_verify;	/* check the relay's certificate and name */
	char	*ca_file;	/* NULL: the system's CA store */
	char	*username;	/* SMTP AUTH; NULL: none */
	char	*password;	/* secret */
	char	*sender;	/* envelope sender; "": the null sender <> */
	int	timeout;	/* seconds one submission may take */
	int	retry_min;	/* seconds before the first retry, doubling */
	int	retry_max;	/* longest wait between two tries */
	int	max_attempts;	/* then the interaction goes back to its queue */
	int	retention;	/* seconds a stored copy is kept at most */
	int	max_size;	/* bytes: a larger message is not stored, the
				   agent gets a notice */
};

/* How the router hands the mail it pulls from mailboxes to the relay. */
struct cfg_fetch {
	char	*relay;		/* smtp://HOST[:PORT]: the milter's MTA */
	int	timeout;	/* seconds one server or relay session takes */
	int	retry_min;	/* seconds after a failure, doubling */
	int	retry_max;	/* longest wait after failures */
};

/* The DNS side of domains: what "mailacdctl domain records" prints and
 * "domain check" (and the router's re-check) asks for. */
struct cfg_dns {
	char	*verification_secret;	/* HMAC key of the ownership tokens
					   (dtoken.h); secret; NULL: none */
	char	*server;	/* "ADDR[@PORT]"; NULL: /etc/resolv.conf */
	int	timeout_ms;	/* one try at one server */
	char	**mx_hosts;	/* the relay's MX targets, lower case */
	size_t	nmx_hosts;
	char	*spf;		/* SPF record of bounce domains, "v=spf1 ..."
				   NULL: none configured */
	char	*bounce_target;	/* where campaign bounce CNAMEs point, lower
				   case; NULL: none configured */
	char	*hosted_domain;	/* the operator's domain of hosted
				   subdomains, lower case; NULL: none */
	int	recheck_interval;	/* seconds between the router's
					   re-checks of verified domains;
					   0: never */
	int	activation_period;	/* seconds campaign mail is held after
					   a domain first verifies */
};

/* Where one error or warning is, and what it says, in parts (for
 * mailacdctl --json check); any member may be NULL (0 for LINE). */
struct cfg_where {
	char	*file;
	unsigned line;		/* 0: not tied to a line */
	char	*setting;	/* "organizations[acme].queues[#1].name";
				   NULL: the file as a whole */
	char	*value;		/* the value as shown in the line, or NULL */
	char	*message;	/* what is wrong, without file, line,
				   setting and value */
};

/* A list of error lines that the loader fills; AT[i] is MSG[i] in parts. */
struct cfg_errors {
	char	**msg;
	struct cfg_where *at;
	size_t	n;
	size_t	cap;
};

struct cfg {
	int	refs;
	char	*file;
	struct cfg_redis redis;
	struct cfg_milter milter;
	struct cfg_router router;
	struct cfg_outbound outbound;
	struct cfg_delivery delivery;
	struct cfg_fetch fetch;
	struct cfg_dns dns;
	struct cfg_flowlim flow;
	int	local_part_case_sensitive;
	char	*subaddress_separators;	/* "" disables sub-addressing */
	struct cfg_org *orgs;
	size_t	norgs;
	/* lookup index, private to cfg*.c */
	struct cfg_index *index;
	/* what loads but cannot work as written (an address that requires
	 * a skill no agent of its queue holds, ...): "FILE:LINE: PATH:
	 * warning: message" lines; -n and "mailacdctl check" print them,
	 * the daemons log them, --strict makes them errors */
	struct cfg_errors warnings;
	/* the Redis groups: groups[0] is &redis, then each organisation's
	 * own redis that no earlier group has the same settings as */
	const struct cfg_redis **groups;
	size_t	ngroups;
	struct cfg *parent;	/* a view (cfg_view): what it was made of */
};

/* cfg_load - read and validate FILE; NULL (and errors appended) on failure */
struct cfg *cfg_load(const char *file, struct cfg_errors *errs);

/* cfg_ref - take one more reference on a loaded configuration */
struct cfg *cfg_ref(struct cfg *cfg);

/* cfg_unref - drop one reference; frees on the last.  Accepts NULL. */
void	cfg_unref(struct cfg *cfg);

/* cfg_find_address - the registered address with lookup KEY, or NULL */
const struct cfg_address *cfg_find_address(const struct cfg *cfg,
		    const char *key);

/* cfg_match_address - the registered address LOCAL@DOMAIN is, trying the
 * exact form first (an address may contain a separator), then without its
 * sub-address tag; KEY (of KEYLEN) is left holding the untagged key.  NULL
 * when neither is registered */
const struct cfg_address *cfg_match_address(const struct cfg *cfg,
		    const char *local, const char *domain, char *key,
		    size_t keylen);

/* cfg_find_login - the roster agent whose SMTP AUTH login is LOGIN (its
 * login setting, else its workplace address, without regard to case), or
 * NULL */
const struct cfg_agent *cfg_find_login(const struct cfg *cfg,
		    const char *login);

/* cfg_find_agent - the roster agent whose workplace address is ADDR (case
 * ignored), or NULL */
const struct cfg_agent *cfg_find_agent(const struct cfg *cfg,
		    const char *addr);

/* cfg_find_domain - the configured domain NAME (lower case), or NULL */
const struct cfg_domain *cfg_find_domain(const struct cfg *cfg,
		    const char *name);

/* cfg_find_queue - queue NAME of organisation O, or NULL */
const struct cfg_queue *cfg_find_queue(const struct cfg_org *o,
		    const char *name);

/* cfg_find_flow - flow NAME of organisation O, or NULL */
const struct cfg_flow *cfg_find_flow(const struct cfg_org *o,
		    const char *name);

/* cfg_route_reaches - 1 when route R can send mail to QUEUE: its queue,
 * or one its flow (and the flows that calls) may choose */
int	cfg_route_reaches(const struct cfg_route *r, const char *queue);

/* cfg_response_find - response NAME of organisation O, or NULL */
const struct cfg_response *cfg_response_find(const struct cfg_org *o,
		    const char *name);

/* cfg_find_schedule - schedule NAME of organisation O, or NULL */
const struct cfg_schedule *cfg_find_schedule(const struct cfg_org *o,
		    const char *name);

/* cfg_view - a configuration like CFG that lists only the organisations
 * of Redis group GROUP (with SERVED, only those the router serves) and
 * has that group's settings as its redis: each per-group loop of a daemon
 * runs on one unchanged.  It holds a reference on CFG and shares
 * everything else with it; cfg_unref frees it.  NULL when memory is
 * short. */
struct cfg *cfg_view(struct cfg *cfg, size_t group, int served);

/* cfg_find_org - organisation ID, or NULL */
const struct cfg_org *cfg_find_org(const struct cfg *cfg, const char *id);

/* cfg_net_match - 1 if address ADDR of FAMILY (4 or 16 octets) lies in
 * one of the trusted networks of CFG */
int	cfg_net_match(const struct cfg *cfg, int family,
		    const unsigned char *addr);

/* cfg_join - the N strings of V joined with commas (skills, languages,
 * queues as Redis keeps them), malloc'd; NULL when memory is short */
char	*cfg_join(char *const *v, size_t n);

/* cfg_mbox_password - the password of mailbox M (from password or
 * password_file) */
const char *cfg_mbox_password(const struct cfg_mailbox *m);

/* cfg_strategy_name - "longest-idle", "least-busy" or "round-robin" */
const char *cfg_strategy_name(int strategy);

/* cfg_kind_name - "contact-center", "campaign" or "notification" */
const char *cfg_kind_name(int kind);

/* cfg_inbound_name - "mx", "redirect", "hosted" or "hosted-redirect" */
const char *cfg_inbound_name(int inbound);

/* cfg_errors_add - append one formatted error line */
void	cfg_errors_add(struct cfg_errors *errs, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* cfg_errors_add_at - append the line MSG with its parts AT (both
 * copied; AT NULL: not known) */
void	cfg_errors_add_at(struct cfg_errors *errs, const char *msg,
		    const struct cfg_where *at);

/* cfg_errors_clear - free every line; the list may be reused */
void	cfg_errors_clear(struct cfg_errors *errs);

/* cfg_schema_each - call FN with the dotted path of every setting the
 * loader knows ("redis.host", "organizations.domains.addresses.queue"...) */
void	cfg_schema_each(void (*fn)(const char *path, void *arg), void *arg);

#endif
