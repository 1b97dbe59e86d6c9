/* outbound_test.c - unit tests for the outbound decision, with Redis's
 * answers made up (struct out_lookup): who may send as our addresses, the
 * identity rule for the From header, the hold, refused and failed
 * outcomes, and the edits a message leaves with, in their order. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cfg.h"
#include "edit.h"
#include "hdr.h"
#include "outbound.h"
#include "rds.h"
#include "sign.h"
#include "cfgtext.h"
#include "tap.h"

static const char conf_fmt[] =
    "milter = { socket = \"inet:8891@127.0.0.1\"; };\n"
    "outbound = { trusted_networks = [ \"10.9.0.0/16\" ];\n"
    "  trusted_daemons = [ \"ORIGINATING\" ];\n"
    "  trusted_logins = [ \"crm-service\" ]; };\n"
    "organizations = (\n"
    " { id = \"acme\";\n"
    "   queues = ( { name = \"support\"; }, { name = \"billing\"; } );\n"
    "   agents = ( { id = \"alice\"; address = \"alice@corp.example\";\n"
    "                queues = [ \"support\" ]; login = \"agent7\"; } );\n"
    "   domains = (\n"
    "    { name = \"example.com\";\n"
    "      dkim = { selector = \"s1\"; key_file = \"%s\"; };\n"
    "      bounce_domain = \"bounce.example.com\";\n"
    "      addresses = (\n"
    "       { address = \"support@example.com\"; queue = \"support\";\n"
    "         display_name = \"Acme Support\";\n"
    "         reply_to = \"help@example.com\";\n"
    "         copy_to = \"archive@example.com\";\n"
    "         auto_submitted = \"auto-replied\"; },\n"
    "       { address = \"billing@example.com\"; queue = \"billing\";\n"
    "         rewrite_from = true; },\n"
    "       { address = \"plain@example.com\"; queue = \"support\"; }\n"
    "      ); },\n"
    "    { name = \"example.org\";\n"
    "      addresses = ( { address = \"help@example.org\";\n"
    "                      queue = \"support\"; } ); }\n"
    "   ); }\n"
    ");\n";

/* Addresses with a server of their own: the envelope sender Postfix's
 * maps are looked up by, and a provider that signs instead of us. */
static const char own_fmt[] =
    "milter = { socket = \"inet:8891@127.0.0.1\"; };\n"
    "outbound = { trusted_networks = [ \"10.9.0.0/16\" ]; };\n"
    "organizations = (\n"
    " { id = \"acme\";\n"
    "   queues = ( { name = \"support\"; } );\n"
    "   agents = ( { id = \"alice\"; address = \"alice@corp.example\";\n"
    "                queues = [ \"support\" ]; } );\n"
    "   domains = (\n"
    "    { name = \"example.net\";\n"
    "      dkim = { selector = \"s1\"; key_file = \"%s\"; };\n"
    "      addresses = (\n"
    "       { address = \"own@example.net\"; queue = \"support\";\n"
    "         smtp = { server = \"127.0.0.1\"; user = \"own\";\n"
    "           password = \"p\"; }; },\n"
    "       { address = \"m365@example.net\"; queue = \"support\";\n"
    "         smtp = { server = \"127.0.0.1\"; user = \"m365\";\n"
    "           password = \"p\"; dkim = false; }; },\n"
    "       { address = \"relay@example.net\"; queue = \"support\"; }\n"
    "      ); }\n"
    "   ); }\n"
    ");\n";

/* What the made-up Redis answers. */
static struct {
	int	find_rc, gate_rc, record_rc;
	const char *id;		/* the interaction answered, or NULL */
	const char *hold;	/* the gate's hold text, or NULL */
	int	finds, gates, records;
	char	by[128];
} fake;

/* fake_find - reply_find's stand-in */
static int
fake_find(void *arg, const struct cfg_address *a, const char *ixhdr,
    const char *irt, const char *refs, struct reply *r, char *err,
    size_t errlen)
{
	(void)arg;
	(void)a;
	(void)ixhdr;
	(void)irt;
	(void)refs;
	fake.finds++;
	if (fake.find_rc != RDS_OK) {
		snprintf(err, errlen, "timeout");
		return (fake.find_rc);
	}
	if (fake.id != NULL) {
		snprintf(r->id, sizeof(r->id), "%s", fake.id);
		r->irt = strdup("<last@customer.test>");
		r->refs = strdup("<first@customer.test> <last@customer.test>");
	}
	return (RDS_OK);
}

/* fake_gate - gate_check's stand-in */
static int
fake_gate(void *arg, const struct cfg *cfg, const struct cfg_domain *d,
    long long now_ms, char *hold, size_t holdlen, char *err, size_t errlen)
{
	(void)arg;
	(void)cfg;
	(void)d;
	(void)now_ms;
	fake.gates++;
	snprintf(hold, holdlen, "%s", fake.hold ? fake.hold : "");
	if (fake.gate_rc != RDS_OK)
		snprintf(err, errlen, "connection refused");
	return (fake.gate_rc);
}

/* fake_record - reply_record's stand-in */
static int
fake_record(void *arg, const struct cfg_address *a, const struct reply *r,
    const char *msgid, const char *by, int thread_ttl, char *err,
    size_t errlen)
{
	(void)arg;
	(void)a;
	(void)r;
	(void)msgid;
	(void)thread_ttl;
	fake.records++;
	snprintf(fake.by, sizeof(fake.by), "%s", by);
	if (fake.record_rc != RDS_OK)
		snprintf(err, errlen, "READONLY");
	return (fake.record_rc);
}

static const struct out_lookup look = {
	fake_find, fake_gate, fake_record, NULL, "fake:6379"
};

/* make_key - an RSA key in a 0600 temporary file named into PATH */
static int
make_key(char *path)
{
	EVP_PKEY *pk;
	FILE	*f;
	int	fd, rc;

	if ((pk = EVP_RSA_gen(2048)) == NULL || (fd = mkstemp(path)) < 0 ||
	    (f = fdopen(fd, "w")) == NULL)
		return (-1);
	rc = PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL) ? 0 : -1;
	EVP_PKEY_free(pk);
	return (fclose(f) != 0 ? -1 : rc);
}

/* client - a client at IPv4 address IP (NULL: unknown) with login AUTH
 * and MTA service DAEMON */
static struct out_client
client(const char *ip, const char *auth, const char *daemon)
{
	struct out_client c;

	memset(&c, 0, sizeof(c));
	if (ip != NULL && strchr(ip, ':') != NULL) {
		c.family = AF_INET6;
		inet_pton(AF_INET6, ip, c.addr);
	} else if (ip != NULL) {
		c.family = AF_INET;
		inet_pton(AF_INET, ip, c.addr);
	}
	c.auth = auth;
	c.daemon = daemon;
	return (c);
}

/* has_note - does one of M's notes contain TEXT? */
static int
has_note(const struct out_msg *m, const char *text)
{
	size_t	i;

	for (i = 0; i < m->nnotes; i++)
		if (strstr(m->notes[i].text, text) != NULL)
			return (1);
	return (0);
}

/* show - the edits, as diagnostics */
static void
show(const struct edits *e)
{
	size_t	i;

	for (i = 0; i < e->n; i++)
		printf("#   edit %zu: %d %s %d %s\n", i + 1, e->v[i].kind,
		    e->v[i].name ? e->v[i].name : "-", e->v[i].index,
		    e->v[i].value ? e->v[i].value : "(removed)");
}

/* run - one message from SENDER by C with headers HDRS (name, value,
 * ..., NULL) through out_start .. out_eom; the outcome, or -2 when it is
 * not outbound.  M and E are the caller's to reset. */
static int
run(struct out_msg *m, struct edits *e, const struct cfg *cfg,
    const struct out_client *c, const char *sender, const char **hdrs)
{
	static const char body[] = "Hello Ana.\r\n";

	if (out_start(m, cfg, c, sender, "T1") != 1)
		return (-2);
	for (; hdrs != NULL && hdrs[0] != NULL; hdrs += 2)
		if (out_header(m, hdrs[0], hdrs[1]) != 0)
			return (-3);
	if (out_eoh(m, cfg, &look, 1700000000000LL) != 0)
		return (-3);
	out_body(m, (const unsigned char *)body, sizeof(body) - 1);
	return (out_eom(m, cfg, &look, e));
}

/* trust - who may send as our addresses */
static void
trust(const struct cfg *cfg)
{
	const struct cfg_address *support, *billing;
	struct out_client c;
	struct out_msg m = { 0 };
	char	buf[128];

	support = out_sender(cfg, "<support@example.com>");
	billing = out_sender(cfg, "<billing@example.com>");
	ok(support != NULL && billing != NULL, "registered addresses send");
	ok(out_sender(cfg, "<help@example.org>") != NULL &&
	    out_sender(cfg, "<nobody@example.com>") == NULL,
	    "an unregistered address does not");
	c = client("10.9.1.2", NULL, NULL);
	is_str(out_trusted(cfg, &c, buf, sizeof(buf)), "network",
	    "10.9.1.2: a trusted network");
	c = client("::ffff:10.9.1.2", NULL, NULL);
	is_str(out_trusted(cfg, &c, buf, sizeof(buf)), "network",
	    "the same address mapped into IPv6");
	c = client("192.0.2.1", NULL, NULL);
	ok(out_trusted(cfg, &c, buf, sizeof(buf)) == NULL,
	    "192.0.2.1: not trusted");
	c = client("192.0.2.1", "crm-service", NULL);
	is_str(out_trusted(cfg, &c, buf, sizeof(buf)), "authenticated",
	    "a trusted login");
	c = client("192.0.2.1", NULL, "ORIGINATING");
	is_str(out_trusted(cfg, &c, buf, sizeof(buf)), "daemon ORIGINATING",
	    "a trusted MTA service");
	c = client("192.0.2.1", "agent7", NULL);
	ok(out_trusted(cfg, &c, buf, sizeof(buf)) == NULL,
	    "an agent's login is no trusted login");
	is_str(out_trusted_as(cfg, &c, support, NULL, buf, sizeof(buf)),
	    "authenticated agent", "... but sends as a channel of its queue");
	ok(out_trusted_as(cfg, &c, billing, NULL, buf, sizeof(buf)) == NULL,
	    "... and not as another queue's channel");
	is_str(out_trusted_as(cfg, &c, NULL, out_agent(cfg,
	    "<alice@corp.example>"), buf, sizeof(buf)), "authenticated agent",
	    "... and as the agent itself");

	/* out_start: none, untrusted, outbound */
	c = client("192.0.2.1", NULL, NULL);
	is_int(out_start(&m, cfg, &c, "<ana@customer.test>", "T0"), 0,
	    "a stranger's mail is not outbound");
	ok(!m.active && m.nnotes == 0, "... and says nothing");
	is_int(out_start(&m, cfg, &c, "<support@example.com>", "T0"),
	    OUT_UNTRUSTED, "ours from an untrusted client: untrusted");
	ok(!m.active && has_note(&m, "sender <support@example.com> is "
	    "support@example.com but the client is not trusted"),
	    "... not outbound, and a note says why");
	c = client("192.0.2.1", NULL, "ORIGINATING");
	is_int(out_start(&m, cfg, &c, "<support@example.com>", "T0"), 1,
	    "ours through a trusted service: outbound");
	ok(m.active && strcmp(m.why, "daemon") == 0 && m.sign != NULL,
	    "... trusted as daemon, with a signer");
	out_reset(&m);
}

/* identity - the From header must be the sending address */
static void
identity(const struct cfg *cfg)
{
	const char *other[] = { "From", "Eve <eve@evil.test>", NULL };
	const char *two[] = { "From", "billing@example.com", "From",
	    "plain@example.com", NULL };
	const char *none[] = { "Subject", "hi", NULL };
	const char *same[] = { "From", "Plain <PLAIN@Example.com>",
	    "Message-ID", "<m1@example.com>", NULL };
	struct out_client c = client("10.9.1.2", NULL, NULL);
	struct out_msg m = { 0 };
	struct edits e = { 0 };

	memset(&fake, 0, sizeof(fake));
	is_int(run(&m, &e, cfg, &c, "<plain@example.com>", other), OUT_REFUSE,
	    "another From: refused");
	is_str(out_text(&m), "mailacd: the From header must be "
	    "plain@example.com (the sending address), not eve@evil.test",
	    "... with the 5.7.1 text");
	ok(has_note(&m, "outbound from plain@example.com refused"),
	    "... and a note");
	is_int((long)e.n, 0, "... and no edits");
	out_reset(&m);
	edit_reset(&e);
	is_int(run(&m, &e, cfg, &c, "<plain@example.com>", two), OUT_REFUSE,
	    "two From headers: refused");
	is_str(out_text(&m), "mailacd: mail from plain@example.com must have "
	    "one From header, not 2", "... saying so");
	out_reset(&m);
	edit_reset(&e);
	is_int(run(&m, &e, cfg, &c, "<plain@example.com>", none), OUT_REFUSE,
	    "no From header: refused");
	out_reset(&m);
	edit_reset(&e);
	is_int(run(&m, &e, cfg, &c, "<plain@example.com>", same), OUT_SEND,
	    "the sending address in another case: sent");
	ok(e.n == 2 && e.v[0].kind == EDIT_FROM_CHANGE &&
	    strcmp(e.v[0].value, "<plain@bounce.example.com>") == 0 &&
	    e.v[1].kind == EDIT_HDR_INSERT &&
	    strcmp(e.v[1].name, "DKIM-Signature") == 0,
	    "... with no change but the bounce address and the signature");
	if (e.n != 2)
		show(&e);
	ok(strstr(m.done, "outbound from plain@example.com (trusted: "
	    "network) signed d=example.com s=s1") != NULL,
	    "... and the line to log says so (%s)", m.done);
	out_reset(&m);
	edit_reset(&e);

	/* rewrite_from: another From is replaced, the second one removed */
	is_int(run(&m, &e, cfg, &c, "<billing@example.com>", two), OUT_SEND,
	    "rewrite_from: two From headers sent");
	ok(e.n == 5 && e.v[0].kind == EDIT_HDR_CHANGE && e.v[0].index == 1 &&
	    strcmp(e.v[0].name, "From") == 0 &&
	    strcmp(e.v[0].value, "billing@example.com") == 0 &&
	    e.v[1].kind == EDIT_HDR_CHANGE && e.v[1].index == 2 &&
	    e.v[1].value == NULL, "... the first From rewritten, the second "
	    "removed");
	if (e.n != 5)
		show(&e);
	out_reset(&m);
	edit_reset(&e);
	is_int(run(&m, &e, cfg, &c, "<billing@example.com>", none), OUT_SEND,
	    "rewrite_from: no From header");
	ok(e.n >= 1 && e.v[0].kind == EDIT_HDR_ADD &&
	    strcmp(e.v[0].name, "From") == 0, "... one is added");
	out_reset(&m);
	edit_reset(&e);
}

/* outcomes - hold, Redis failures, an agent's own address, no key */
static void
outcomes(const struct cfg *cfg)
{
	const char *hdrs[] = { "From", "plain@example.com", NULL };
	const char *agent[] = { "From", "Alice <alice@corp.example>",
	    "X-MailACD-Queue", "vip", NULL };
	const char *org[] = { "From", "help@example.org", NULL };
	const char *bill[] = { "From", "billing@example.com", NULL };
	struct out_client c = client("10.9.1.2", NULL, NULL);
	struct out_msg m = { 0 };
	struct edits e = { 0 };

	memset(&fake, 0, sizeof(fake));
	fake.hold = "mailacd: domain example.com is not verified";
	is_int(run(&m, &e, cfg, &c, "<plain@example.com>", hdrs), OUT_HOLD,
	    "the gate holds: held");
	is_str(out_text(&m), fake.hold, "... with the gate's text");
	ok(has_note(&m, "outbound from plain@example.com held: mailacd: "
	    "domain example.com is not verified; tempfail"), "... noted");
	out_reset(&m);
	edit_reset(&e);

	memset(&fake, 0, sizeof(fake));
	fake.find_rc = RDS_RETRY;
	is_int(run(&m, &e, cfg, &c, "<plain@example.com>", hdrs),
	    OUT_TEMPFAIL, "the interaction cannot be looked up: tempfail");
	ok(has_note(&m, "redis fake:6379: cannot look up the interaction "
	    "answered: timeout; tempfail"), "... noted with the server");
	is_int(fake.gates, 0, "... and the gate is not asked");
	out_reset(&m);
	edit_reset(&e);

	memset(&fake, 0, sizeof(fake));
	fake.gate_rc = RDS_RETRY;
	is_int(run(&m, &e, cfg, &c, "<plain@example.com>", hdrs),
	    OUT_TEMPFAIL, "the gate cannot answer: tempfail");
	ok(has_note(&m, "cannot check domain example.com before sending: "
	    "connection refused"), "... noted");
	out_reset(&m);
	edit_reset(&e);

	memset(&fake, 0, sizeof(fake));
	fake.id = "0123456789abcdef0123456789abcdef";
	fake.record_rc = RDS_RETRY;
	is_int(run(&m, &e, cfg, &c, "<plain@example.com>", hdrs),
	    OUT_TEMPFAIL, "the reply cannot be recorded: tempfail");
	ok(has_note(&m, "cannot record the reply to interaction "
	    "0123456789abcdef0123456789abcdef: READONLY; tempfail"),
	    "... noted");
	out_reset(&m);
	edit_reset(&e);

	/* an agent as themselves: ours removed, nothing else */
	memset(&fake, 0, sizeof(fake));
	c = client("192.0.2.1", "agent7", NULL);
	is_int(run(&m, &e, cfg, &c, "<alice@corp.example>", agent), OUT_SEND,
	    "an agent writing as themselves: sent");
	ok(m.own && e.n == 1 && e.v[0].kind == EDIT_HDR_CHANGE &&
	    strcmp(e.v[0].name, "X-MailACD-Queue") == 0 &&
	    e.v[0].value == NULL, "... only our header removed");
	ok(strstr(m.done, "agent alice writes as alice@corp.example: no "
	    "channel rules, not signed") != NULL, "... and logged (%s)",
	    m.done);
	out_reset(&m);
	edit_reset(&e);

	/* an agent as another queue's channel: refused */
	is_int(run(&m, &e, cfg, &c, "<alice@corp.example>", bill), OUT_REFUSE,
	    "an agent as a channel of no queue of theirs: refused");
	ok(strstr(out_text(&m), "agent alice may send as") != NULL,
	    "... saying what it may send as");
	out_reset(&m);
	edit_reset(&e);

	/* a domain without a key: sent unsigned */
	c = client("10.9.1.2", NULL, NULL);
	is_int(run(&m, &e, cfg, &c, "<help@example.org>", org), OUT_SEND,
	    "a domain without a DKIM key: sent");
	ok(e.n == 1 && strcmp(e.v[0].name, "Message-ID") == 0,
	    "... a Message-ID added, no signature");
	ok(strstr(m.done, "domain example.org has no dkim key, not signed") !=
	    NULL, "... and logged so");
	out_reset(&m);
	edit_reset(&e);
}

/* order - every kind of change, in the order it must be made */
static void
order(const struct cfg *cfg)
{
	const char *hdrs[] = {
		"X-MailACD-Queue", "vip", "From", "Support <support@example.com>",
		"x-mailacd-queue", "vip2", "Reply-To", "old@example.com",
		"Reply-To", "older@example.com", "X-MailACD-Interaction", "x",
		"Subject", "Re: order", NULL };
	static const struct {
		enum edit_kind kind;
		const char *name;
		int	index;
		const char *value;	/* NULL: removed, "*": any */
	} want[] = {
		{ EDIT_HDR_CHANGE, "X-MailACD-Queue", 2, NULL },
		{ EDIT_HDR_CHANGE, "X-MailACD-Queue", 1, NULL },
		{ EDIT_HDR_CHANGE, "X-MailACD-Interaction", 1, NULL },
		{ EDIT_HDR_CHANGE, "From", 1,
		    "Acme Support <support@example.com>" },
		{ EDIT_HDR_CHANGE, "Reply-To", 2, NULL },
		{ EDIT_HDR_CHANGE, "Reply-To", 1, NULL },
		{ EDIT_HDR_ADD, "Reply-To", 0, "help@example.com" },
		{ EDIT_HDR_ADD, "In-Reply-To", 0, "<last@customer.test>" },
		{ EDIT_HDR_ADD, "References", 0,
		    "<first@customer.test> <last@customer.test>" },
		{ EDIT_HDR_ADD, "Message-ID", 0, "*" },
		{ EDIT_HDR_ADD, "Auto-Submitted", 0, "auto-replied" },
		{ EDIT_RCPT_ADD, NULL, 0, "<archive@example.com>" },
		{ EDIT_FROM_CHANGE, NULL, 0, "<support@bounce.example.com>" },
		{ EDIT_HDR_INSERT, "DKIM-Signature", 0, "*" },
	};
	struct out_client c = client("192.0.2.1", "crm-service", NULL);
	struct out_msg m = { 0 };
	struct edits e = { 0 };
	size_t	i, n = sizeof(want) / sizeof(want[0]);
	int	same;

	memset(&fake, 0, sizeof(fake));
	fake.id = "0123456789abcdef0123456789abcdef";
	is_int(run(&m, &e, cfg, &c, "<support@example.com>", hdrs), OUT_SEND,
	    "a reply with every change: sent");
	is_int((long)e.n, (long)n, "%zu edits", n);
	for (i = 0; i < n && i < e.n; i++) {
		const struct edit *x = &e.v[i];

		same = x->kind == want[i].kind && x->index == want[i].index &&
		    ((x->name == NULL && want[i].name == NULL) ||
		    (x->name != NULL && want[i].name != NULL &&
		    strcmp(x->name, want[i].name) == 0)) &&
		    ((x->value == NULL && want[i].value == NULL) ||
		    (x->value != NULL && want[i].value != NULL &&
		    (strcmp(want[i].value, "*") == 0 ||
		    strcmp(x->value, want[i].value) == 0)));
		ok(same, "edit %zu: %s %s %d", i + 1, x->what,
		    x->name ? x->name : "-", x->index);
		if (!same)
			printf("#          got: %d %s %d %s\n#     expected: %d "
			    "%s %d %s\n", x->kind, x->name ? x->name : "-",
			    x->index, x->value ? x->value : "(removed)",
			    want[i].kind, want[i].name ? want[i].name : "-",
			    want[i].index, want[i].value ? want[i].value :
			    "(removed)");
	}
	ok(e.n == n && strstr(e.v[n - 1].value, "d=example.com") != NULL &&
	    strstr(e.v[n - 1].value, "s=s1") != NULL &&
	    strchr(e.v[n - 1].value, '\r') == NULL,
	    "the signature is last, for d=example.com s=s1, folded with LF "
	    "alone");
	is_int(fake.records, 1, "the reply is recorded once");
	is_str(fake.by, "crm-service", "... by the authenticated login");
	ok(has_note(&m, "reply to interaction 0123456789abcdef0123456789abcdef"
	    " from support@example.com by crm-service") &&
	    has_note(&m, "(threaded)"), "... and noted, threaded");
	ok(strstr(m.done, "reply-to=help@example.com copy=archive@example.com")
	    != NULL, "the line to log names Reply-To and the copy (%s)",
	    m.done);
	out_reset(&m);
	edit_reset(&e);
}

/* own_server - an address with its own server: an agent's mail sent as
 * it carries its envelope sender (Postfix picks the account by it), its
 * own mail needs no change, an address without one keeps the agent's;
 * smtp.dkim = false leaves the signature to the provider */
static void
own_server(const struct cfg *cfg)
{
	const char *as_own[] = { "From", "Own <own@example.net>", NULL };
	const char *as_m365[] = { "From", "m365@example.net", NULL };
	const char *as_relay[] = { "From", "relay@example.net", NULL };
	struct out_client c = client("10.9.1.2", NULL, NULL);
	struct out_msg m = { 0 };
	struct edits e = { 0 };
	size_t	i;
	int	from, sig;

	memset(&fake, 0, sizeof(fake));
	is_int(run(&m, &e, cfg, &c, "<alice@corp.example>", as_own), OUT_SEND,
	    "an agent's mail as a channel with its own server: sent");
	for (i = 0, from = -1, sig = 0; i < e.n; i++) {
		if (e.v[i].kind == EDIT_FROM_CHANGE)
			from = (int)i;
		if (e.v[i].kind == EDIT_HDR_INSERT &&
		    strcmp(e.v[i].name, "DKIM-Signature") == 0)
			sig = 1;
	}
	ok(from >= 0 && strcmp(e.v[from].value, "<own@example.net>") == 0,
	    "... with the channel's envelope sender");
	if (from < 0)
		show(&e);
	ok(sig, "... and our signature (dkim defaults to true)");
	out_reset(&m);
	edit_reset(&e);
	is_int(run(&m, &e, cfg, &c, "<OWN@example.net>", as_own), OUT_SEND,
	    "the channel's own mail: sent");
	for (i = 0, from = -1; i < e.n; i++)
		if (e.v[i].kind == EDIT_FROM_CHANGE)
			from = (int)i;
	is_int(from, -1, "... its envelope sender left as it is");
	out_reset(&m);
	edit_reset(&e);
	is_int(run(&m, &e, cfg, &c, "<alice@corp.example>", as_relay),
	    OUT_SEND, "an agent's mail as a channel without a server: sent");
	for (i = 0, from = -1; i < e.n; i++)
		if (e.v[i].kind == EDIT_FROM_CHANGE)
			from = (int)i;
	is_int(from, -1, "... the agent's envelope sender kept");
	out_reset(&m);
	edit_reset(&e);
	is_int(run(&m, &e, cfg, &c, "<alice@corp.example>", as_m365), OUT_SEND,
	    "a channel whose provider signs (dkim = false): sent");
	for (i = 0, sig = 0, from = -1; i < e.n; i++) {
		if (e.v[i].kind == EDIT_HDR_INSERT &&
		    strcmp(e.v[i].name, "DKIM-Signature") == 0)
			sig = 1;
		if (e.v[i].kind == EDIT_FROM_CHANGE)
			from = (int)i;
	}
	ok(!sig, "... without our signature");
	ok(from >= 0 && strcmp(e.v[from].value, "<m365@example.net>") == 0,
	    "... with the channel's envelope sender");
	ok(strstr(m.done, "not signed, its server 127.0.0.1 signs") != NULL,
	    "... and the line to log says why (%s)", m.done);
	out_reset(&m);
	edit_reset(&e);
}

/* router_mail - the router's own mail (X-MailACD-Delivery) is not
 * recorded as a reply, and the header never leaves; an agent's login
 * cannot use it to leave a reply unrecorded */
static void
router_mail(const struct cfg *cfg)
{
	const char *hdrs[] = { "From", "plain@example.com",
	    "In-Reply-To", "<m1@customer.example>",
	    "X-MailACD-Delivery", "ack 0123456789abcdef0123456789abcdef",
	    NULL };
	struct out_client c = client("10.9.1.2", NULL, NULL);
	struct out_msg m = { 0 };
	struct edits e = { 0 };
	size_t	i;
	int	removed = 0;

	memset(&fake, 0, sizeof(fake));
	fake.id = "0123456789abcdef0123456789abcdef";
	is_int(run(&m, &e, cfg, &c, "<plain@example.com>", hdrs), OUT_SEND,
	    "the router's acknowledgement from a trusted network: sent");
	is_int(fake.records, 0, "... not recorded as a reply");
	ok(has_note(&m, "the router's own mail for interaction "
	    "0123456789abcdef0123456789abcdef: recorded by the router"),
	    "... and the log says why");
	for (i = 0; i < e.n; i++)
		if (e.v[i].kind == EDIT_HDR_CHANGE && e.v[i].value == NULL &&
		    strcasecmp(e.v[i].name, "X-MailACD-Delivery") == 0)
			removed++;
	is_int(removed, 1, "... and X-MailACD-Delivery is removed");
	ok(m.signed_, "... signed");
	out_reset(&m);
	edit_reset(&e);

	memset(&fake, 0, sizeof(fake));
	fake.id = "0123456789abcdef0123456789abcdef";
	c = client("192.0.2.1", "agent7", NULL);
	is_int(run(&m, &e, cfg, &c, "<plain@example.com>", hdrs), OUT_SEND,
	    "an agent's login sending the same: sent");
	is_int(fake.records, 1, "... but recorded as the agent's reply");
	out_reset(&m);
	edit_reset(&e);
}

int
main(void)
{
	char	key[] = "/tmp/outbound_test_key.XXXXXX", text[4096];
	struct cfg *cfg;

	hdr_init();
	if (sign_init() != 0 || make_key(key) != 0) {
		ok(0, "the DKIM library and a key");
		return (done_testing());
	}
	snprintf(text, sizeof(text), conf_fmt, key);
	cfg = cfg_text(text);
	unlink(key);
	if (cfg == NULL) {
		ok(0, "the test configuration loads");
		return (done_testing());
	}
	trust(cfg);
	identity(cfg);
	outcomes(cfg);
	order(cfg);
	router_mail(cfg);
	cfg_unref(cfg);
	snprintf(key, sizeof(key), "/tmp/outbound_test_key.XXXXXX");
	if (make_key(key) != 0)
		ok(0, "a second key");
	else {
		snprintf(text, sizeof(text), own_fmt, key);
		cfg = cfg_text(text);
		unlink(key);
		if (cfg != NULL)
			own_server(cfg);
		else
			ok(0, "the configuration with own servers loads");
		cfg_unref(cfg);
	}
	sign_shutdown();
	return (done_testing());
}
