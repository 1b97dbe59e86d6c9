/* inbound_test.c - unit tests for the inbound decision: recipient matching,
 * header accounting, idempotency keys and the routing header; the verdict,
 * what inb_decide hands off and the edits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "edit.h"
#include "hdr.h"
#include "inbound.h"
#include "cfgtext.h"
#include "tap.h"

static const char conf[] =
    "milter = { socket = \"inet:8891@127.0.0.1\"; };\n"
    "organizations = (\n"
    " { id = \"acme\";\n"
    "   queues = ( { name = \"support\"; }, { name = \"billing\"; },\n"
    "              { name = \"sales\"; delivery = \"forward\";\n"
    "                new_thread = \"merge\"; } );\n"
    "   domains = (\n"
    "    { name = \"example.com\";\n"
    "      catch_all = { queue = \"support\"; };\n"
    "      addresses = (\n"
    "       { address = \"support@example.com\"; queue = \"support\";\n"
    "         skills = [ \"general\", \"tier1\" ]; language = \"en\";\n"
    "         priority = 10; },\n"
    "       { address = \"Billing@Example.com\"; queue = \"billing\";\n"
    "         priority = 20; },\n"
    "       { address = \"sales+eu@example.com\"; queue = \"sales\"; },\n"
    "       { address = \"off@example.com\"; queue = \"support\";\n"
    "         enabled = false; },\n"
    "       { address = \"noreply@example.com\"; queue = \"support\";\n"
    "         direction = \"outbound\"; }\n"
    "      ); },\n"
    "    { name = \"example.org\";\n"
    "      addresses = ( { address = \"help@example.org\";\n"
    "                      queue = \"support\"; } ); },\n"
    "    { name = \"acme-redirect.example\"; inbound = \"redirect\";\n"
    "      addresses = ( { address = \"support@acme-redirect.example\";\n"
    "                      queue = \"support\"; } ); }\n"
    "   ); }\n"
    ");\n";

/* match_is - RCPT matches (1) or not (0), and to which address */
static void
match_is(const struct cfg *cfg, const char *rcpt, int want, const char *addr,
    const char *how)
{
	struct inb_msg m = { 0 };
	int	rc;

	inb_reset(&m);
	inb_sender(&m, "<ana@example.net>");
	rc = inb_rcpt(&m, cfg, rcpt);
	is_int(rc, want, "%s %s", rcpt, want ? "is registered" : "is not ours");
	if (want && rc == 1) {
		is_str(m.rcpts[0].address, addr, "  %s -> %s", rcpt, addr);
		is_str(m.rcpts[0].match, how, "  %s matched by %s", rcpt, how);
	}
	inb_reset(&m);
}

/* message - a message to RCPTS with Message-ID MID (or none) */
static void
message(struct inb_msg *m, const struct cfg *cfg, const char *mid,
    const char *body, const char **rcpts)
{
	inb_reset(m);
	inb_sender(m, "<ana@example.net>");
	for (; *rcpts != NULL; rcpts++)
		inb_rcpt(m, cfg, *rcpts);
	inb_header(m, "Received", "from somewhere by here; today");
	if (mid != NULL)
		inb_header(m, "Message-ID", mid);
	inb_header(m, "Subject", "=?UTF-8?Q?caf=C3=A9?=");
	inb_eoh(m);
	inb_body(m, (const unsigned char *)body, strlen(body));
}

/* copies - the copy kept for forward queues: CRLF, foreign X-MailACD-*
 * headers out but the loop marker in, the body byte for byte; only the
 * header section past the limit; nothing for other queues */
static void
copies(const struct cfg *cfg)
{
	static const char want[] =
	    "From: Ana <ana@example.net>\r\n"
	    "Subject: a folded\r\n\tsubject\r\n"
	    "X-MailACD-Loop: acme\r\n"
	    "\r\n"
	    "body \xc3\xa9\r\nno final newline";
	struct inb_msg m = { 0 };
	char	cust[256];

	inb_reset(&m);
	inb_sender(&m, "<bounce@example.net>");
	inb_rcpt(&m, cfg, "<sales+eu@example.com>");
	ok(m.rcpts[0].forward && m.rcpts[0].merge,
	    "sales: forward mode, merging new threads");
	inb_capture(&m, 1000);
	ok(m.capture, "a copy is kept for a forward queue");
	inb_header(&m, "From", "Ana <ana@example.net>");
	inb_header(&m, "X-MailACD-Interaction", "forged");
	inb_header(&m, "Subject", "a folded\n\tsubject");
	inb_header(&m, "X-MailACD-Loop", "acme");
	inb_header(&m, "x-mailacd-delivery", "forged");
	ok(inb_eoh(&m) == 0, "end of headers");
	inb_body(&m, (const unsigned char *)"body \xc3\xa9\r\n", 9);
	inb_body(&m, (const unsigned char *)"no final newline", 16);
	is_int((long)m.loops, 1, "one loop marker counted");
	is_int((long)m.delivery, 1, "X-MailACD-Delivery counted, any case");
	ok(m.copy_complete, "the copy is complete");
	is_int((long)m.copy_len, (long)sizeof(want) - 1, "copy length");
	ok(m.copy != NULL && memcmp(m.copy, want, sizeof(want) - 1) == 0,
	    "CRLF header lines (folding kept), our headers out but the loop "
	    "marker, the body byte for byte");
	ok(inb_customer(&m, &m.rcpts[0], cust, sizeof(cust)) == 0 &&
	    strcmp(cust, "ana@example.net") == 0,
	    "the customer is the From address");
	inb_body(&m, (const unsigned char *)"x", 1);
	{
		char	big[1000];

		memset(big, 'x', sizeof(big));
		inb_body(&m, (const unsigned char *)big, sizeof(big));
	}
	ok(!m.copy_complete, "past the limit the copy is incomplete");
	is_int((long)m.copy_len, (long)m.copy_hdr,
	    "... and holds the header section only");
	is_int((long)m.copy_hdr, 82, "the header section ends after the "
	    "blank line");
	inb_reset(&m);

	inb_sender(&m, "<Bounce@Example.NET>");
	inb_rcpt(&m, cfg, "<support@example.com>");
	inb_capture(&m, 1000);
	ok(!m.capture, "no copy for a notify queue");
	ok(inb_customer(&m, &m.rcpts[0], cust, sizeof(cust)) == 0 &&
	    strcmp(cust, "bounce@example.net") == 0,
	    "without From the customer is the envelope sender, lower case");
	inb_reset(&m);
	inb_sender(&m, "<>");
	ok(inb_customer(&m, NULL, cust, sizeof(cust)) != 0,
	    "the null sender without From is nobody");
	inb_reset(&m);
}

/* empty_first - an empty piece (a header with an empty name, as a raw
 * milter client may send) as the first thing in the copy: nothing is
 * appended to a copy that has no buffer yet (the sanitizer build catches
 * arithmetic on its NULL pointer) */
static void
empty_first(const struct cfg *cfg)
{
	static const char want[] = ": value\r\nFrom: a@example.net\r\n";
	struct inb_msg m = { 0 };

	inb_reset(&m);
	inb_sender(&m, "<a@example.net>");
	inb_rcpt(&m, cfg, "<sales+eu@example.com>");
	inb_capture(&m, 1000);
	ok(m.capture && m.copy == NULL, "a copy is wanted, none kept yet");
	ok(inb_header(&m, "", "value") == 0,
	    "a header with an empty name first is taken");
	ok(inb_header(&m, "From", "a@example.net") == 0, "then a From header");
	is_int((long)m.copy_len, (long)sizeof(want) - 1, "copy length");
	ok(m.copy != NULL && memcmp(m.copy, want, sizeof(want) - 1) == 0,
	    "the copy holds both header lines");
	inb_reset(&m);
}

/* forwarded - seed 001 scenarios 2 and 4: a redirect domain names the
 * customer by header and the original recipient by forwarding header */
static void
forwarded(const struct cfg *cfg)
{
	static const char srs[] =
	    "<SRS0=HHH=TT=customer.example=ana@company.example>";
	struct inb_msg m = { 0 };
	char	cust[256], orig[256];

	inb_reset(&m);
	inb_sender(&m, srs);
	is_int(inb_rcpt(&m, cfg, "<support@acme-redirect.example>"), 1,
	    "a redirect domain's address is registered");
	ok(m.nrcpts == 1 && m.rcpts[0].redirect, "... and marked redirect");
	inb_header(&m, "Delivered-To", "support@acme-redirect.example");
	inb_header(&m, "X-Original-To", "help@company.example");
	inb_header(&m, "Delivered-To", "Help@Company.example");
	inb_header(&m, "From", "Ana <Ana@Customer.example>");
	ok(inb_customer(&m, &m.rcpts[0], cust, sizeof(cust)) == 0,
	    "SRS sender: a customer");
	is_str(cust, "ana@customer.example", "SRS envelope sender, From "
	    "header: the customer is the From mailbox, lower case");
	is_int(inb_original(&m, &m.rcpts[0], orig, sizeof(orig)), 1,
	    "an original recipient");
	is_str(orig, "help@company.example", "X-Original-To gives "
	    "original_rcpt");
	inb_header(&m, "Reply-To", "\"Ana M.\" <ana.m@customer.example>");
	ok(inb_customer(&m, &m.rcpts[0], cust, sizeof(cust)) == 0 &&
	    strcmp(cust, "ana.m@customer.example") == 0,
	    "Reply-To wins over From for a redirect domain (got %s)", cust);
	inb_reset(&m);
	{
		/* a Reply-To past 254 octets is no address: the From, in
		 * any size of buffer (the fuzzer found the two differ) */
		char	rt[400], big[1024];

		memset(rt, 'x', 300);
		snprintf(rt + 300, sizeof(rt) - 300, "@customer.example");
		inb_sender(&m, srs);
		inb_rcpt(&m, cfg, "<support@acme-redirect.example>");
		inb_header(&m, "From", "Ana <Ana@Customer.example>");
		inb_header(&m, "Reply-To", rt);
		ok(inb_customer(&m, &m.rcpts[0], big, sizeof(big)) == 0 &&
		    strcmp(big, "ana@customer.example") == 0,
		    "a Reply-To of 317 octets is passed over for the From "
		    "(got %.40s)", big);
		ok(inb_customer(&m, &m.rcpts[0], cust, sizeof(cust)) == 0 &&
		    strcmp(cust, big) == 0,
		    "the same customer in a 256- and a 1024-octet buffer");
		/* the same for the original recipient */
		inb_header(&m, "X-Original-To", rt);
		ok(inb_original(&m, &m.rcpts[0], big, sizeof(big)) == 0 &&
		    big[0] == '\0',
		    "an X-Original-To of 317 octets is no original recipient "
		    "(got %.40s)", big);
		ok(inb_original(&m, &m.rcpts[0], orig, sizeof(orig)) == 0 &&
		    strcmp(orig, big) == 0,
		    "the same in a 256- and a 1024-octet buffer");
	}
	inb_reset(&m);

	/* only the registered address itself: no original recipient; a
	 * later kind is consulted when the earlier one names us */
	inb_sender(&m, srs);
	inb_rcpt(&m, cfg, "<support@acme-redirect.example>");
	inb_header(&m, "X-Original-To", "support@acme-redirect.example");
	ok(inb_original(&m, &m.rcpts[0], orig, sizeof(orig)) == 0 &&
	    orig[0] == '\0', "X-Original-To naming the registered address "
	    "is no original recipient");
	inb_header(&m, "Resent-To", "Sales <sales@company.example>");
	ok(inb_original(&m, &m.rcpts[0], orig, sizeof(orig)) == 1 &&
	    strcmp(orig, "sales@company.example") == 0,
	    "Resent-To after it: the original recipient");
	ok(inb_customer(&m, &m.rcpts[0], cust, sizeof(cust)) == 0 &&
	    strcmp(cust, "srs0=hhh=tt=customer.example=ana@company.example")
	    == 0, "no From: the envelope sender after all");
	inb_reset(&m);

	/* an mx domain: Reply-To does not change the customer */
	inb_sender(&m, "<bounce@lists.example.net>");
	inb_rcpt(&m, cfg, "<support@example.com>");
	ok(!m.rcpts[0].redirect, "an mx domain is not redirect");
	inb_header(&m, "From", "Ana <ana@example.net>");
	inb_header(&m, "Reply-To", "list@lists.example.net");
	ok(inb_customer(&m, &m.rcpts[0], cust, sizeof(cust)) == 0 &&
	    strcmp(cust, "ana@example.net") == 0,
	    "mx domain: the From mailbox, Reply-To ignored");
	ok(inb_original(&m, &m.rcpts[0], orig, sizeof(orig)) == 0,
	    "mx domain, no forwarding header: no original recipient");
	inb_reset(&m);
}

/* verdicts - pass, agents only, resent copy, loop, route */
static void
verdicts(const struct cfg *cfg)
{
	struct inb_msg m = { 0 };

	inb_reset(&m);
	inb_sender(&m, "<ana@example.net>");
	is_int(inb_verdict(&m, 0), INB_PASS, "no recipient of ours: pass");
	m.agents = 1;
	is_int(inb_verdict(&m, 0), INB_AGENT, "an agent only: ours removed");
	m.delivery = 1;
	is_int(inb_verdict(&m, 1), INB_PASS,
	    "an agent only, resent by a trusted client: pass");
	is_int(inb_verdict(&m, 0), INB_AGENT,
	    "... by an untrusted one: ours removed");
	inb_rcpt(&m, cfg, "<support@example.com>");
	is_int(inb_verdict(&m, 1), INB_RESENT,
	    "a registered address, resent by a trusted client: resent copy");
	is_int(inb_verdict(&m, 0), INB_ROUTE, "... by an untrusted one: route");
	m.delivery = 0;
	inb_header(&m, "X-MailACD-Loop", "acme");
	is_int(inb_verdict(&m, 0), INB_ROUTE, "one loop marker: route");
	inb_header(&m, "X-MailACD-Loop", "acme");
	is_int(inb_verdict(&m, 0), INB_LOOP, "two loop markers: a loop");
	inb_reset(&m);
}

/* decided - what inb_decide keeps is what the functions answer, once;
 * the edits: ours removed highest index first, then the stamps */
static void
decided(const struct cfg *cfg)
{
	const char *rcpts[] = { "<support@example.com>",
	    "<billing@example.com>", "<support@acme-redirect.example>", NULL };
	struct inb_msg m = { 0 };
	struct inb_threads t;
	struct edits e = { 0 };
	char	err[128], buf[256];
	size_t	i;

	message(&m, cfg, "<d1@example.net>", "x\r\n", rcpts);
	inb_header(&m, "From", "=?UTF-8?Q?Ana_L=C3=B3pez?= <Ana@Example.net>");
	inb_header(&m, "X-Original-To", "help@company.example");
	inb_header(&m, "X-MailACD-Queue", "vip");
	inb_header(&m, "In-Reply-To", "<a@x>");
	inb_header(&m, "x-mailacd-queue", "vip2");
	ok(inb_decide(&m, cfg, err, sizeof(err)) == 0, "decide");
	is_str(m.text.msgid, "<d1@example.net>", "the Message-ID, unfolded");
	is_str(m.text.subject, "caf\xc3\xa9", "the Subject, decoded");
	is_str(m.text.from, "Ana L\xc3\xb3pez <Ana@Example.net>",
	    "the From, decoded");
	is_str(m.text.irt, "<a@x>", "In-Reply-To");
	is_str(m.text.sender, "<ana@example.net>", "the envelope sender");
	for (i = 0; i < m.nrcpts; i++) {
		const struct inb_rcpt *r = &m.rcpts[i];

		inb_customer(&m, r, buf, sizeof(buf));
		is_str(r->customer, buf, "%s: the customer", r->address);
		inb_original(&m, r, buf, sizeof(buf));
		is_str(r->original, buf, "%s: the original recipient",
		    r->address);
		inb_threads(&m, r, &t);
		ok(memcmp(&t, &r->threads, sizeof(t)) == 0,
		    "%s: the thread keys", r->address);
		is_int(strlen(r->open_key) + strlen(r->rate_key), 128,
		    "%s: open and rate keys", r->address);
		is_int(r->limit, cfg->milter.sender_rate_limit,
		    "%s: the limit applies", r->address);
	}
	is_str(m.rcpts[0].identity, "ana@example.net", "the identity");
	ok(m.rcpts[0].counts && !m.rcpts[1].counts && !m.rcpts[2].counts,
	    "only the first recipient of the organisation counts");
	ok(strcmp(m.rcpts[0].open_key, m.rcpts[1].open_key) != 0,
	    "each address has its own open key");
	ok(strcmp(m.rcpts[0].rate_key, m.rcpts[1].rate_key) == 0,
	    "one customer, one rate key");
	ok(!m.rcpts[0].merge_new, "no merge for a queue that does not");
	m.rcpts[1].limited = 1;
	m.rcpts[2].retried = 1;
	is_int((long)inb_retries(&m), 1, "one retry counted");
	ok(inb_edits(&m, 1, &e) == 0, "edits");
	is_int((long)e.n, 4, "two removals, two stamps (one is limited)");
	ok(e.n == 4 && e.v[0].kind == EDIT_HDR_CHANGE &&
	    strcmp(e.v[0].name, "X-MailACD-Queue") == 0 &&
	    e.v[0].index == 2 && e.v[0].value == NULL &&
	    e.v[1].index == 1 && e.v[1].value == NULL,
	    "ours removed, the highest index first");
	ok(e.n == 4 && e.v[2].kind == EDIT_HDR_ADD &&
	    strcmp(e.v[2].name, HDR_INTERACTION) == 0 &&
	    strncmp(e.v[2].value, m.rcpts[0].id, INB_ID_LEN) == 0 &&
	    strncmp(e.v[3].value, m.rcpts[2].id, INB_ID_LEN) == 0,
	    "then the stamps, in recipient order");
	edit_reset(&e);
	ok(inb_edits(&m, 0, &e) == 0 && e.n == 2,
	    "without stamps: the removals only");
	edit_reset(&e);
	inb_reset(&m);
}

/* longest_stamp - the largest route the configuration allows still makes
 * header lines within RFC 5322's 998 octets */
static void
longest_stamp(void)
{
	static char text[8192];
	char	name[CFG_NAME_MAX + 1], local[65], dom[190], err[64], *stamp;
	char	*line;
	const char *rcpt[2];
	struct inb_msg m = { 0 };
	struct cfg *cfg;
	size_t	len, i, longest = 0;

	memset(name, 'o', CFG_NAME_MAX);
	name[CFG_NAME_MAX] = '\0';
	memset(local, 'l', 64);
	local[64] = '\0';
	/* 63.63.53 + ".example": 189 octets, the address 254 */
	memset(dom, 'd', 189);
	dom[63] = dom[127] = '.';
	memcpy(dom + 181, ".example", 9);
	len = (size_t)snprintf(text, sizeof(text),
	    "milter = { socket = \"inet:8891@127.0.0.1\"; };\n"
	    "organizations = ( { id = \"%s\"; queues = ( { name = \"%s\"; } );\n"
	    " domains = ( { name = \"%s\"; addresses = (\n"
	    "  { address = \"%s@%s\"; queue = \"%s\";\n"
	    "    language = \"abcdefgh-abcdefgh\"; priority = 1000;\n"
	    "    skills = [", name, name, dom, local, dom, name);
	for (i = 0; i < CFG_SKILLS_MAX; i++) {
		name[0] = (char)('a' + i);
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    "%s\"%s\"", i ? ", " : "", name);
	}
	snprintf(text + len, sizeof(text) - len, " ]; } ); } ); } );\n");
	if ((cfg = cfg_text(text)) == NULL) {
		ok(0, "the largest route loads");
		return;
	}
	snprintf(text, sizeof(text), "<%s@%s>", local, dom);
	rcpt[0] = text;
	rcpt[1] = NULL;
	message(&m, cfg, "<big@example.net>", "x\r\n", rcpt);
	inb_finish(&m, err, sizeof(err));
	stamp = inb_stamp(&m.rcpts[0]);
	for (line = stamp; line != NULL && *line != '\0'; ) {
		len = strcspn(line, "\n");
		/* the first line also carries "X-MailACD-Interaction: " */
		if (line == stamp)
			len += sizeof(HDR_INTERACTION) + 1;
		if (len > longest)
			longest = len;
		line += len + (line[len] == '\n');
	}
	ok(stamp != NULL && longest <= 998,
	    "largest stamp: longest line %zu octets, within 998", longest);
	free(stamp);
	inb_reset(&m);
	cfg_unref(cfg);
}

int
main(void)
{
	struct cfg *cfg;
	struct inb_msg m = { 0 }, m2 = { 0 };
	const char *one[] = { "<support@example.com>", NULL };
	const char *two[] = { "<support@example.com>", "<billing@example.com>",
	    "<someone@elsewhere.test>", "<SUPPORT+x@example.com>", NULL };
	const char *org[] = { "<help@example.org>", NULL };
	char	err[128], seen1[65], id1[INB_ID_LEN + 1], *stamp;

	hdr_init();
	if ((cfg = cfg_text(conf)) == NULL) {
		ok(0, "the test configuration loads");
		return (done_testing());
	}

	copies(cfg);
	empty_first(cfg);
	verdicts(cfg);
	decided(cfg);
	forwarded(cfg);
	match_is(cfg, "<support@example.com>", 1, "support@example.com",
	    "address");
	match_is(cfg, "<SUPPORT@EXAMPLE.COM>", 1, "support@example.com",
	    "address");
	match_is(cfg, "<support+order42@example.com>", 1,
	    "support@example.com", "address");
	match_is(cfg, "<billing@example.com>", 1, "billing@example.com",
	    "address");
	match_is(cfg, "<sales+eu@example.com>", 1, "sales+eu@example.com",
	    "address");
	match_is(cfg, "<anything@example.com>", 1, "anything@example.com",
	    "catch-all");
	match_is(cfg, "<Anything+tag@Example.COM>", 1, "anything@example.com",
	    "catch-all");
	match_is(cfg, "<off@example.com>", 0, NULL, NULL);
	match_is(cfg, "<noreply@example.com>", 0, NULL, NULL);
	match_is(cfg, "<other@example.org>", 0, NULL, NULL);
	match_is(cfg, "<someone@elsewhere.test>", 0, NULL, NULL);
	match_is(cfg, "<>", 0, NULL, NULL);
	match_is(cfg, "<no domain>", 0, NULL, NULL);
	match_is(cfg, "<support@example.com.evil.test>", 0, NULL, NULL);

	/* several recipients: one interaction per registered address */
	message(&m, cfg, "<m1@example.net>", "hello\r\n", two);
	is_int(m.nrcpts, 2, "support, billing, a stranger, support+x: two "
	    "interactions");
	ok(inb_finish(&m, err, sizeof(err)) == 0, "finish");
	ok(strcmp(m.rcpts[0].seen, m.rcpts[1].seen) != 0,
	    "each address has its own idempotency key");
	ok(strcmp(m.rcpts[0].id, m.rcpts[1].id) != 0,
	    "each interaction has its own id");
	is_int(strlen(m.rcpts[0].id), INB_ID_LEN, "id is %d hex digits",
	    INB_ID_LEN);
	ok(strspn(m.rcpts[0].id, "0123456789abcdef") == INB_ID_LEN,
	    "id is lower-case hex");

	/* the same Message-ID again: same key, fresh random id */
	message(&m, cfg, "<m1@example.net>", "hello\r\n", one);
	inb_finish(&m, err, sizeof(err));
	snprintf(seen1, sizeof(seen1), "%s", m.rcpts[0].seen);
	snprintf(id1, sizeof(id1), "%s", m.rcpts[0].id);
	message(&m2, cfg, " <m1@example.net>\r\n", "hello\r\n", one);
	inb_finish(&m2, err, sizeof(err));
	is_str(m2.rcpts[0].seen, seen1,
	    "same message, same address: same key (folding ignored)");
	ok(strcmp(m2.rcpts[0].id, id1) != 0, "ids are random, not derived");
	/* another message under the same Message-ID is another interaction:
	 * it cannot overwrite the first one's record or stored copy */
	message(&m2, cfg, "<m1@example.net>", "other body\r\n", one);
	inb_finish(&m2, err, sizeof(err));
	ok(strcmp(m2.rcpts[0].seen, seen1) != 0,
	    "same Message-ID, another body: another key");
	message(&m2, cfg, "<m2@example.net>", "hello\r\n", one);
	inb_finish(&m2, err, sizeof(err));
	ok(strcmp(m2.rcpts[0].seen, seen1) != 0,
	    "another Message-ID: another key");

	/* no Message-ID: the body decides */
	message(&m, cfg, NULL, "body one\r\n", one);
	ok(m.hash_body, "no Message-ID: body is hashed");
	inb_finish(&m, err, sizeof(err));
	snprintf(seen1, sizeof(seen1), "%s", m.rcpts[0].seen);
	message(&m2, cfg, NULL, "body one\r\n", one);
	inb_finish(&m2, err, sizeof(err));
	is_str(m2.rcpts[0].seen, seen1, "same content without Message-ID: "
	    "same key");
	message(&m2, cfg, NULL, "body two\r\n", one);
	inb_finish(&m2, err, sizeof(err));
	ok(strcmp(m2.rcpts[0].seen, seen1) != 0,
	    "other content without Message-ID: other key");

	/* our headers from outside are counted per name, any case */
	inb_reset(&m);
	inb_sender(&m, "<ana@example.net>");
	inb_rcpt(&m, cfg, "<support@example.com>");
	inb_header(&m, "X-MailACD-Queue", "vip");
	inb_header(&m, "x-mailacd-queue", "vip2");
	inb_header(&m, "X-MailACD-Interaction", "forged");
	inb_header(&m, "X-Mailer", "mutt");
	inb_header(&m, "Auto-Submitted", "auto-replied");
	is_int(m.ours.n, 2, "two distinct X-MailACD names");
	is_int(m.ours.v[0].count, 2, "X-MailACD-Queue twice, in any case");
	is_int(m.ours.v[1].count, 1, "X-MailACD-Interaction once");
	is_str(m.auto_reason, "auto-submitted", "auto reply noticed");

	/* the routing header */
	message(&m, cfg, "<m3@example.net>", "x\r\n", one);
	inb_finish(&m, err, sizeof(err));
	stamp = inb_stamp(&m.rcpts[0]);
	{
		char	want[512];

		snprintf(want, sizeof(want), "%s; org=acme;\n\t"
		    "address=support@example.com; queue=support; priority=10; "
		    "language=en;\n\tskills=general,tier1",
		    m.rcpts[0].id);
		is_str(stamp, want, "X-MailACD-Interaction value, folded");
	}
	free(stamp);
	message(&m, cfg, "<m4@example.net>", "x\r\n", org);
	inb_finish(&m, err, sizeof(err));
	stamp = inb_stamp(&m.rcpts[0]);
	ok(stamp != NULL && strstr(stamp, "language") == NULL &&
	    strstr(stamp, "skills") == NULL,
	    "no language/skills parameters when the route has none");
	ok(stamp != NULL && strstr(stamp, "priority=0") != NULL,
	    "priority defaults to 0");
	free(stamp);

	/* thread keys: own id, In-Reply-To, then References newest first */
	{
		struct inb_threads t, t2;
		char	refs[2048];
		int	i, n;

		message(&m, cfg, "<own@x>", "b\r\n", one);
		inb_header(&m, "In-Reply-To", "<a@x>");
		inb_header(&m, "References", "<r1@x> <r2@x>\r\n\t<a@x> <own@x>");
		ok(inb_threads(&m, &m.rcpts[0], &t) == 0, "thread keys");
		is_int(strlen(t.own), 64, "own key: hex SHA-256");
		is_int((long)t.nrefs, 3, "a, r2, r1: the own id and a repeat "
		    "left out");
		message(&m2, cfg, "<a@x>", "b\r\n", one);
		inb_threads(&m2, &m2.rcpts[0], &t2);
		is_str(t.refs[0], t2.own, "In-Reply-To first: its key is the "
		    "key the answered message recorded");
		message(&m2, cfg, "<r2@x>", "b\r\n", one);
		inb_threads(&m2, &m2.rcpts[0], &t2);
		is_str(t.refs[1], t2.own, "then the newest reference");
		message(&m2, cfg, "<a@x>", "b\r\n", org);
		inb_threads(&m2, &m2.rcpts[0], &t2);
		ok(strcmp(t.refs[0], t2.own) != 0,
		    "another registered address has its own keys");
		message(&m2, cfg, NULL, "b\r\n", one);
		inb_header(&m2, "References", "broken <unterminated");
		ok(inb_threads(&m2, &m2.rcpts[0], &t2) == 0 &&
		    t2.own[0] == '\0' && t2.nrefs == 0,
		    "no Message-ID, broken References: no keys");
		for (i = 0, n = 0; i < 40; i++)
			n += snprintf(refs + n, sizeof(refs) - (size_t)n,
			    "<ref%d@x> ", i);
		message(&m2, cfg, "<m@x>", "b\r\n", one);
		inb_header(&m2, "References", refs);
		inb_threads(&m2, &m2.rcpts[0], &t2);
		is_int((long)t2.nrefs, INB_THREAD_REFS,
		    "at most INB_THREAD_REFS references looked up");
	}

	inb_reset(&m);
	inb_reset(&m2);
	cfg_unref(cfg);
	longest_stamp();
	return (done_testing());
}
