/* autoreply_test.c - unit tests of RFC 3834's rules for acknowledgements:
 * which headers and addresses forbid an automatic answer, where the answer
 * goes, and the router's whole decision. */
#include <stdio.h>
#include <string.h>

#include "autoreply.h"
#include "cfg.h"
#include "cfgtext.h"
#include "tap.h"

static const char conf[] =
    "milter = { socket = \"inet:8891@127.0.0.1\"; };\n"
    "organizations = (\n"
    " { id = \"acme\";\n"
    "   queues = ( { name = \"support\"; } );\n"
    "   agents = ( { id = \"ana\"; address = \"ana@agents.example.com\";\n"
    "                queues = [ \"support\" ]; } );\n"
    "   domains = (\n"
    "    { name = \"example.com\";\n"
    "      addresses = (\n"
    "       { address = \"support@example.com\"; queue = \"support\"; },\n"
    "       { address = \"billing@example.com\"; queue = \"support\"; }\n"
    "      ); }\n"
    "   ); }\n"
    ");\n";

/* hdr_is - the reason header NAME: VALUE gives (NULL: none) */
static void
hdr_is(const char *name, const char *value, const char *want)
{
	is_str(autoreply_header(name, value), want, "%s: %s -> %s", name,
	    value, want ? want : "answer allowed");
}

/* addr_is - the reason address A gives */
static void
addr_is(const char *a, const char *want)
{
	is_str(autoreply_address(a), want, "address %s -> %s", a,
	    want ? want : "a person");
}

/* decide_is - the whole decision for a person's message FROM (REPLY_TO)
 * with envelope SENDER; WANT the reason or NULL, then TO and NAME */
static void
decide_is(const struct cfg *cfg, const struct autoreply_in *in,
    const char *want, const char *wto, const char *wname, const char *desc)
{
	char	to[300], name[300];
	const char *why = autoreply_decide(cfg, in, to, sizeof(to), name,
	    sizeof(name));

	is_str(why, want, "%s: %s", desc, want ? want : "acknowledged");
	if (want == NULL) {
		is_str(to, wto, "  %s: to %s", desc, wto);
		is_str(name, wname, "  %s: name '%s'", desc, wname);
	} else
		is_str(to, "", "  %s: no address", desc);
}

int
main(void)
{
	struct autoreply_in in;
	struct cfg *cfg;
	char	name[100], addr[300];

	/* RFC 3834 2: Auto-Submitted other than "no" */
	hdr_is("Auto-Submitted", "auto-replied", "auto-submitted");
	hdr_is("auto-submitted", "auto-generated; owner-email=x@y", "auto-submitted");
	hdr_is("Auto-Submitted", "no", NULL);
	hdr_is("Auto-Submitted", " No (a person)", NULL);
	/* Precedence */
	hdr_is("Precedence", "bulk", "precedence");
	hdr_is("Precedence", "list", "precedence");
	hdr_is("PRECEDENCE", "Junk", "precedence");
	hdr_is("Precedence", "first-class", NULL);
	/* lists: RFC 2369, 2919 */
	hdr_is("List-Id", "Users <users.lists.example.org>", "list");
	hdr_is("List-Unsubscribe", "<mailto:leave@example.org>", "list");
	hdr_is("list-post", "<mailto:users@example.org>", "list");
	hdr_is("List-Help", "<mailto:help@example.org>", "list");
	hdr_is("List-Unsubscribe-Post", "List-Unsubscribe=One-Click", "list");
	hdr_is("X-Autoreply", "yes", "autoreply-header");
	hdr_is("X-Autorespond", "yes", "autoreply-header");
	hdr_is("X-Auto-Response-Suppress", "DR, OOF", "auto-response-suppress");
	hdr_is("X-Auto-Response-Suppress", "All", "auto-response-suppress");
	hdr_is("X-Auto-Response-Suppress", "DR, RN", NULL);
	/* bounces and receipts */
	hdr_is("Content-Type", "multipart/report; report-type=delivery-status; "
	    "boundary=x", "delivery-status");
	hdr_is("Content-Type", "multipart/report; "
	    "report-type=disposition-notification", "delivery-status");
	hdr_is("Content-Type", "text/plain; charset=utf-8", NULL);
	hdr_is("Subject", "Auto-Submitted: no list here", NULL);
	hdr_is("X-List-Id-Like", "x", NULL);

	/* addresses */
	addr_is("<>", "null-sender");
	addr_is("", "null-sender");
	addr_is("<MAILER-DAEMON@mx.example.net>", "mailer-daemon");
	addr_is("postmaster@example.net", "mailer-daemon");
	addr_is("noreply@shop.example", "noreply-address");
	addr_is("No-Reply@shop.example", "noreply-address");
	addr_is("do-not-reply@bank.example", "noreply-address");
	addr_is("noreply-orders@shop.example", "noreply-address");
	addr_is("bounces+123-abc@lists.example", "noreply-address");
	addr_is("owner-users@lists.example", "noreply-address");
	addr_is("users-request@lists.example", "noreply-address");
	addr_is("<ana@example.net>", NULL);
	addr_is("norbert@example.net", NULL);
	addr_is("bouncer@example.net", NULL);
	addr_is("requester@example.net", NULL);

	/* From values */
	ok(autoreply_mailbox("Ana Perez <ana@example.net>", name, sizeof(name),
	    addr, sizeof(addr)) == 0 && strcmp(name, "Ana Perez") == 0 &&
	    strcmp(addr, "ana@example.net") == 0, "mailbox: Name <addr> "
	    "(got '%s' '%s')", name, addr);
	ok(autoreply_mailbox("\"Perez, Ana\" <ana@example.net>", name,
	    sizeof(name), addr, sizeof(addr)) == 0 &&
	    strcmp(name, "Perez, Ana") == 0, "mailbox: quoted name unquoted "
	    "(got '%s')", name);
	ok(autoreply_mailbox("ana@example.net", name, sizeof(name), addr,
	    sizeof(addr)) == 0 && name[0] == '\0' &&
	    strcmp(addr, "ana@example.net") == 0, "mailbox: a bare address");
	ok(autoreply_mailbox("ana@example.net, bob@example.net", name,
	    sizeof(name), addr, sizeof(addr)) != 0, "mailbox: a list is none");
	ok(autoreply_mailbox("Ana", name, sizeof(name), addr, sizeof(addr)) != 0,
	    "mailbox: a name alone is none");
	ok(autoreply_mailbox("", name, sizeof(name), addr, sizeof(addr)) != 0,
	    "mailbox: empty is none");

	if ((cfg = cfg_text(conf)) == NULL) {
		ok(0, "the configuration loads");
		return (done_testing());
	}
	memset(&in, 0, sizeof(in));
	in.automatic = "";
	in.noreply = "";
	in.sender = "<ana@example.net>";
	in.from = "Ana Perez <ana@example.net>";
	decide_is(cfg, &in, NULL, "ana@example.net", "Ana Perez",
	    "a person's message");
	in.reply_to = "ana.private@example.org";
	decide_is(cfg, &in, NULL, "ana.private@example.org", "Ana Perez",
	    "Reply-To wins over From");
	in.reply_to = "noreply@example.org";
	decide_is(cfg, &in, "noreply-address", NULL, NULL,
	    "a no-reply Reply-To");
	in.reply_to = "support@example.com";
	decide_is(cfg, &in, "our own address", NULL, NULL,
	    "Reply-To one of our addresses");
	in.reply_to = NULL;
	in.sender = "<bounces+x@esp.example>";
	decide_is(cfg, &in, "noreply-address", NULL, NULL,
	    "envelope sender of a list or bulk sender");
	in.sender = "<>";
	decide_is(cfg, &in, "null-sender", NULL, NULL, "a bounce (null sender)");
	in.sender = "<ana@example.net>";
	in.automatic = "auto-submitted";
	decide_is(cfg, &in, "auto-submitted", NULL, NULL,
	    "automatic mail (the milter's auto)");
	in.automatic = "";
	in.noreply = "list";
	decide_is(cfg, &in, "list", NULL, NULL, "list mail (the milter's noreply)");
	in.noreply = "";
	in.from = "Support <support@example.com>";
	decide_is(cfg, &in, "our own address", NULL, NULL,
	    "our own registered address");
	in.from = "SUPPORT+x@Example.COM";
	decide_is(cfg, &in, "our own address", NULL, NULL,
	    "our own address with a tag and in capitals");
	in.from = "Ana (agent) <ana@agents.example.com>";
	decide_is(cfg, &in, "our own address", NULL, NULL, "one of our agents");
	in.from = "Shop <no-reply@shop.example>";
	decide_is(cfg, &in, "noreply-address", NULL, NULL, "a no-reply From");
	in.from = "undisclosed";
	decide_is(cfg, &in, "no From address", NULL, NULL, "no From address");
	in.from = "Ana <ana@example.net>";
	in.merged = 1;
	decide_is(cfg, &in, "merged into an open interaction", NULL, NULL,
	    "merged into an open interaction");
	in.merged = 0;
	in.stopped = 1;
	decide_is(cfg, &in, "stopped by a flow", NULL, NULL, "stopped by a flow");
	in.stopped = 0;
	decide_is(cfg, &in, NULL, "ana@example.net", "Ana", "back to a person");
	cfg_unref(cfg);
	return (done_testing());
}
