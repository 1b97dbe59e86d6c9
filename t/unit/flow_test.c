/* flow_test.c - unit tests of flows: business hours (hours.c), the
 * message view (msgview.c) and the evaluation of every condition and
 * action with its limits (flow.c). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfgtext.h"
#include "clock.h"
#include "flow.h"
#include "flowlang.h"
#include "hdr.h"
#include "hours.h"
#include "msgview.h"
#include "tap.h"

/* Friday 2026-12-04, in UTC */
#define FRI_0830Z	1796373000L	/* 09:30 in Madrid (CET) */
#define FRI_1730Z	(FRI_0830Z + 9 * 3600L)	/* 18:30 CET */
#define SAT_0930Z	(FRI_0830Z + 25 * 3600L)	/* Saturday 10:30 */
#define SUN_0930Z	(SAT_0930Z + 86400L)
#define XMAS_0900Z	(FRI_0830Z + 21 * 86400L + 1800L)	/* Friday 25th */
#define JUL_0730Z	1783063800L	/* Friday 2026-07-03 09:30 CEST */

static char listfile[] = "/tmp/mailacd_flowlist.XXXXXX";
static char ackfile[] = "/tmp/mailacd_flowack.XXXXXX";

/* One flow per condition: queue "yes" when it holds, "no" when not. */
static const struct {
	const char *name;
	const char *cond;
} conds[] = {
	{ "sender", "sender = \"ana@customer.test\";" },
	{ "sender_re", "sender = \"/^ana@/\";" },
	{ "sender_domain", "sender_domain = [ \"customer.test\" ];" },
	{ "sender_list", "sender_list = \"@LIST@\";" },
	{ "from", "from = \"vip@big.example\";" },
	{ "from_domain", "from_domain = \"big.example\";" },
	{ "from_list", "from_list = \"@LIST@\";" },
	{ "subject", "subject = \"factura\";" },
	{ "subject_re", "subject = \"/\\\\binvoice\\\\s+#?\\\\d+/\";" },
	{ "header", "header = \"X-Priority\";" },
	{ "header_match", "header = \"X-Mailer: /outlook/\";" },
	{ "body", "body = [ \"devolución\", \"refund\" ];" },
	{ "attachment", "attachment = true;" },
	{ "no_attachment", "attachment = false;" },
	{ "attachment_type", "attachment = [ \"application/pdf\" ];" },
	{ "attachment_glob", "attachment = \"image/*\";" },
	{ "size_above", "size_above = 1000;" },
	{ "size_below", "size_below = 1000;" },
	{ "language", "language = [ \"es\", \"pt\" ];" },
	{ "automatic", "automatic = true;" },
	{ "within", "within_hours = \"office\";" },
	{ "outside", "outside_hours = \"office\";" },
	{ "open", "open_interaction = true;" },
	{ "all", "all = ( { subject = \"a\"; }, { subject = \"b\"; } );" },
	{ "any", "any = ( { subject = \"a\"; }, { subject = \"b\"; } );" },
	{ "not", "not = { subject = \"a\"; };" },
	{ "two", "subject = \"a\"; body = \"b\";" },
	{ "pathological", "body = \"/(a+)+$/\";" },
	{ NULL, NULL }
};

static const char head[] =
    "milter = { socket = \"inet:8891@127.0.0.1\"; };\n"
    "flow = { match_limit = 5000; };\n"
    "organizations = ( { id = \"acme\";\n"
    "  schedules = ( { name = \"office\"; timezone = \"Europe/Madrid\";\n"
    "    hours = [ \"mon-fri 09:00-18:00\", \"sat 10:00-14:00\" ];\n"
    "    holidays = [ \"2026-12-25\" ]; } );\n"
    "  queues = ( { name = \"yes\"; }, { name = \"no\"; },\n"
    "    { name = \"support\"; schedule = \"office\"; },\n"
    "    { name = \"ventas\"; } );\n"
    "  flows = (\n";

static const char tail[] =
    "    { name = \"acts\"; rules = (\n"
    "        { name = \"spam\"; if = { subject = \"viagra\"; };\n"
    "          close = true; tags = [ \"spam\" ]; },\n"
    "        { name = \"vip\"; if = { from_domain = \"big.example\"; };\n"
    "          add_priority = 995; add_skills = [ \"vip\", \"general\" ];\n"
    "          tags = [ \"vip\" ]; call = \"sub\"; },\n"
    "        { name = \"es\"; if = { language = \"es\"; };\n"
    "          queue = \"ventas\"; skills = [ \"spanish\" ];\n"
    "          language = \"es-ES\"; priority = 7; ack = \"recibido\"; }\n"
    "      ); default = { queue = \"support\"; tags = [ \"plain\" ]; }; },\n"
    "    { name = \"sub\"; rules = (\n"
    "        { if = { body = \"refund\"; }; queue = \"ventas\";\n"
    "          add_priority = -1000; tags = [ \"refund\", \"vip\" ]; }\n"
    "      ); default = { ack = \"vip-ack\"; }; }\n"
    "  );\n";

/* config_text - the configuration with a flow per condition */
static char *
config_text(void)
{
	size_t	cap = 65536, n, i;
	char	*t = malloc(cap), *p;
	char	cond[512];

	n = (size_t)snprintf(t, cap, "%s", head);
	for (i = 0; conds[i].name != NULL; i++) {
		snprintf(cond, sizeof(cond), "%s", conds[i].cond);
		if ((p = strstr(cond, "@LIST@")) != NULL) {
			char	rest[256];

			snprintf(rest, sizeof(rest), "%s", p + 6);
			snprintf(p, sizeof(cond) - (size_t)(p - cond), "%s%s",
			    listfile, rest);
		}
		n += (size_t)snprintf(t + n, cap - n, "    { name = \"%s\"; "
		    "rules = ( { if = { %s }; queue = \"yes\"; } ); "
		    "default = { queue = \"no\"; }; },\n", conds[i].name, cond);
	}
	n += (size_t)snprintf(t + n, cap - n, "%s", tail);
	/* the acknowledgements the flows choose */
	snprintf(t + n, cap - n, "  responses = (\n"
	    "    { name = \"recibido\"; subject = \"x\"; text = \"%s\"; },\n"
	    "    { name = \"vip-ack\"; subject = \"y\"; html = \"%s\"; } );\n"
	    "} );\n", ackfile, ackfile);
	return (t);
}

/* A message and what the envelope said of it. */
struct msg {
	struct msgview v;
	struct flow_hdr hdrs[MSGVIEW_HDRS_MAX];
	struct flow_msg fm;
};

/* msg_make - parse RAW into M, with SENDER, size of RAW and NOW */
static void
msg_make(struct msg *m, const char *raw, const char *sender, time_t now)
{
	size_t	i;

	memset(m, 0, sizeof(*m));
	if (msgview_parse(raw, strlen(raw), 65536, &m->v) != 0) {
		ok(0, "msgview_parse");
		return;
	}
	for (i = 0; i < m->v.nhdrs; i++) {
		m->hdrs[i].name = m->v.hdrs[i].name;
		m->hdrs[i].value = m->v.hdrs[i].value;
	}
	m->fm.sender = sender;
	m->fm.from = m->v.from;
	m->fm.subject = m->v.subject;
	m->fm.hdrs = m->hdrs;
	m->fm.nhdrs = m->v.nhdrs;
	m->fm.text = m->v.text;
	m->fm.textlen = m->v.textlen;
	m->fm.types = m->v.types;
	m->fm.ntypes = m->v.ntypes;
	m->fm.size = strlen(raw);
	m->fm.lang = "";
	m->fm.automatic = m->v.automatic;
	m->fm.now = now;
}

static struct cfg *cfg;

/* queue_of - the queue flow NAME chooses for M ("" when none) */
static const char *
queue_of(const char *name, const struct flow_msg *m)
{
	static struct flow_result res;
	struct cfg_route r;

	memset(&r, 0, sizeof(r));
	r.language = "";
	r.flowp = cfg_find_flow(&cfg->orgs[0], name);
	if (r.flowp == NULL)
		return ("(no flow)");
	if (flow_eval(cfg, &r, m, &res, NULL) != 0)
		return ("(error)");
	return (res.queue != NULL ? res.queue : "");
}

/* expect - flow NAME on message RAW from SENDER answers WANT */
static void
expect(const char *name, const char *raw, const char *sender, time_t now,
    const char *want, const char *label)
{
	struct msg m;

	msg_make(&m, raw, sender, now);
	is_str(queue_of(name, &m.fm), want, "%s: %s", name, label);
	msgview_free(&m.v);
}

#define PLAIN	"From: Ana <ana@customer.test>\nSubject: hello\n\nhi there\n"

/* test_hours - parsing and open/closed in a time zone with DST */
static void
test_hours(void)
{
	const struct cfg_schedule *s = cfg_find_schedule(&cfg->orgs[0],
	    "office");
	struct cfg_hours h;
	char	why[256], buf[64];
	long	ymd;

	ok(hours_parse_hours("mon-fri 09:00-18:00", &h, why, sizeof(why)) ==
	    0 && h.days == 0x1f && h.from == 540 && h.to == 1080,
	    "mon-fri 09:00-18:00");
	ok(hours_parse_hours("fri-mon 00:00-24:00", &h, why, sizeof(why)) ==
	    0 && h.days == (0x10 | 0x20 | 0x40 | 0x01) && h.to == 1440,
	    "fri-mon wraps, 24:00 ends the day");
	ok(hours_parse_hours("daily 08:00-09:00", &h, why, sizeof(why)) == 0 &&
	    h.days == 0x7f, "daily");
	ok(hours_parse_hours("sat,sun 10:00-14:00", &h, why, sizeof(why)) ==
	    0 && h.days == 0x60, "a list of days");
	ok(hours_parse_hours("mon 9:00-18:00", &h, why, sizeof(why)) != 0,
	    "H:MM refused: %s", why);
	ok(hours_parse_hours("mon 09:00-24:30", &h, why, sizeof(why)) != 0,
	    "past 24:00 refused");
	ok(hours_parse_hours("funday 09:00-10:00", &h, why, sizeof(why)) != 0,
	    "unknown day refused: %s", why);
	ok(hours_parse_date("2028-02-29", &ymd) == 0 && ymd == 20280229,
	    "a leap day");
	ok(hours_parse_date("2027-02-29", &ymd) != 0, "not a leap year");
	ok(hours_parse_date("2027-1-05", &ymd) != 0, "YYYY-M-DD refused");
	if (s == NULL) {
		ok(0, "schedule office loaded");
		return;
	}
	ok(hours_open(s, FRI_0830Z), "Friday 09:30 CET: open");
	ok(!hours_open(s, FRI_1730Z), "Friday 18:30 CET: closed");
	ok(hours_open(s, SAT_0930Z), "Saturday 10:30: open");
	ok(!hours_open(s, SUN_0930Z), "Sunday: closed");
	ok(!hours_open(s, XMAS_0900Z), "a holiday: closed");
	ok(hours_open(s, JUL_0730Z), "July 09:30 CEST (07:30 UTC): open");
	ok(!hours_open(s, JUL_0730Z - 3600), "July 08:30 CEST: closed");
	is_int((long)hours_next_open(s, FRI_1730Z), (long)(SAT_0930Z - 1800),
	    "after Friday's close, it opens Saturday at 10:00");
	is_int((long)hours_next_open(s, FRI_0830Z), (long)FRI_0830Z,
	    "when open, it is open now");
	hours_format(s, SAT_0930Z - 1800, buf, sizeof(buf));
	is_str(buf, "2026-12-05 10:00 CET", "local time for people");
}

/* test_msgview - decoding for flows */
static void
test_msgview(void)
{
	struct msgview v;
	char	out[256];
	const char *raw =
	    "From: =?utf-8?q?Jos=C3=A9?= <Jose@Example.ES>\n"
	    "Subject: =?iso-8859-1?q?Factura_n=FAmero_7?=\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"b1\"\n\n"
	    "--b1\n"
	    "Content-Type: multipart/alternative; boundary=\"b2\"\n\n"
	    "--b2\n"
	    "Content-Type: text/plain; charset=iso-8859-1\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n"
	    "Quiero una devoluci=F3n, por favor.\n"
	    "--b2\n"
	    "Content-Type: text/html; charset=utf-8\n"
	    "Content-Transfer-Encoding: base64\n\n"
	    "PHA+SGVsbG8gJmFtcDsgPGI+YWRpJm9hY3V0ZTtzPC9iPjwvcD48c2NyaXB0PmV2aWw8L3NjcmlwdD4=\n"
	    "--b2--\n"
	    "--b1\n"
	    "Content-Type: application/pdf; name=\"f.pdf\"\n"
	    "Content-Disposition: attachment; filename=\"f.pdf\"\n"
	    "Content-Transfer-Encoding: base64\n\n"
	    "JVBERi0xLjQK\n"
	    "--b1--\n";

	ok(msgview_parse(raw, strlen(raw), 1000, &v) == 0, "parsed");
	is_str(v.from, "jose@example.es", "From address, lower case");
	is_str(v.subject, "Factura n\xc3\xbamero 7", "RFC 2047 subject");
	ok(strstr(v.text, "devoluci\xc3\xb3n") != NULL,
	    "quoted-printable Latin-1 text as UTF-8");
	ok(strstr(v.text, "Hello & adi\xc3\xb3s") != NULL,
	    "base64 HTML rendered, entities decoded");
	ok(strstr(v.text, "evil") == NULL, "script contents left out");
	is_int(v.ntypes, 1, "one attachment");
	is_str(v.ntypes ? v.types[0] : NULL, "application/pdf",
	    "its type");
	msgview_free(&v);
	ok(msgview_parse(raw, strlen(raw), 10, &v) == 0 && v.textlen <= 10,
	    "text_limit bounds the text (%zu)", v.textlen);
	msgview_free(&v);
	/* what the milter keeps when no flow reads the body: the header */
	{
		const char *h = "Subject: x\nContent-Type: text/plain\n\n";

		ok(msgview_parse(h, strlen(h), 100, &v) == 0 &&
		    v.textlen == 0 && strcmp(v.subject, "x") == 0,
		    "a header alone: no text");
	}
	msgview_free(&v);
	msgview_html("a<br>b&#233;&#xe9;&bogus;<!-- c -->d", 36, out,
	    sizeof(out));
	is_str(out, "a\nb\xc3\xa9\xc3\xa9&bogus;d", "HTML: br, numeric "
	    "entities, an unknown entity kept, comments out");
	msgview_html("<p>abcdef</p>", 13, out, 4);
	is_int(strlen(out), 3, "HTML output bounded");
}

/* test_conditions - each condition holds and does not */
static void
test_conditions(void)
{
	struct msg m;
	char	big[4096];
	const char *att =
	    "From: a@b.test\nSubject: x\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"z\"\n\n"
	    "--z\nContent-Type: text/plain\n\nsee attached\n"
	    "--z\nContent-Type: image/png\nContent-Disposition: attachment\n"
	    "Content-Transfer-Encoding: base64\n\niVBORw0K\n--z--\n";

	expect("sender", PLAIN, "ana@customer.test", 0, "yes", "address");
	expect("sender", PLAIN, "ANA@Customer.Test", 0, "yes",
	    "address in another case");
	expect("sender", PLAIN, "bob@customer.test", 0, "no", "another");
	expect("sender_re", PLAIN, "ana@x.test", 0, "yes", "expression");
	expect("sender_re", PLAIN, "bana@x.test", 0, "no", "anchored");
	expect("sender_domain", PLAIN, "x@customer.test", 0, "yes", "domain");
	expect("sender_domain", PLAIN, "x@mail.customer.test", 0, "yes",
	    "subdomain");
	expect("sender_domain", PLAIN, "x@badcustomer.test", 0, "no",
	    "not a suffix of a label");
	expect("sender_list", PLAIN, "x@listed.test", 0, "yes",
	    "domain in the list");
	expect("sender_list", PLAIN, "x@eu.listed.test", 0, "yes",
	    "subdomain of one in the list");
	expect("sender_list", PLAIN, "Solo@Person.Test", 0, "yes",
	    "address in the list");
	expect("sender_list", PLAIN, "other@person.test", 0, "no",
	    "another address of that domain");
	expect("sender_list", PLAIN, "", 0, "no", "null sender");
	expect("from", "From: VIP <Vip@Big.Example>\n\nx\n", "", 0, "yes",
	    "From address");
	expect("from", PLAIN, "vip@big.example", 0, "no",
	    "the envelope does not count for from");
	expect("from_domain", "From: x@eu.big.example\n\nx\n", "", 0, "yes",
	    "From domain");
	expect("from_list", "From: =?utf-8?q?S?= <solo@person.test>\n\nx\n",
	    "", 0, "yes", "From in the list");
	expect("subject", "Subject: =?utf-8?b?RkFDVFVSQSAyMDI2?=\n\nx\n", "",
	    0, "yes", "encoded subject, other case");
	expect("subject", PLAIN, "", 0, "no", "another subject");
	expect("subject_re", "Subject: Re: Invoice #123\n\nx\n", "", 0, "yes",
	    "expression");
	expect("subject_re", "Subject: invoices 123\n\nx\n", "", 0, "no",
	    "expression not matching");
	expect("header", "X-Priority: 1\nSubject: a\n\nx\n", "", 0, "yes",
	    "present");
	expect("header", PLAIN, "", 0, "no", "absent");
	expect("header_match", "X-Mailer: Microsoft Outlook 16\n\nx\n", "", 0,
	    "yes", "matching");
	expect("header_match", "X-Mailer: mutt\n\nx\n", "", 0, "no",
	    "not matching");
	expect("body", "Subject: a\nContent-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: base64\n\nUXVpZXJvIHVuYSBERVZPTFVDScOTTg==\n",
	    "", 0, "yes", "base64 body, Unicode case folding");
	expect("body", "Subject: refund\n\nnothing\n", "", 0, "no",
	    "the subject is not the body");
	expect("attachment", att, "", 0, "yes", "has one");
	expect("attachment", PLAIN, "", 0, "no", "has none");
	expect("no_attachment", PLAIN, "", 0, "yes", "false: has none");
	expect("no_attachment", att, "", 0, "no", "false: has one");
	expect("attachment_type", att, "", 0, "no", "png is not pdf");
	expect("attachment_glob", att, "", 0, "yes", "image/*");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "Subject: a\n\n", 12);
	expect("size_above", big, "", 0, "yes", "4 KiB is above 1000");
	expect("size_above", PLAIN, "", 0, "no", "small");
	expect("size_below", PLAIN, "", 0, "yes", "below 1000");
	expect("automatic", "Auto-Submitted: auto-replied\nSubject: a\n\nx\n",
	    "", 0, "yes", "Auto-Submitted");
	expect("automatic", PLAIN, "", 0, "no", "written by a person");
	expect("within", PLAIN, "", FRI_0830Z, "yes", "open");
	expect("within", PLAIN, "", FRI_1730Z, "no", "closed");
	expect("outside", PLAIN, "", FRI_1730Z, "yes", "closed");
	expect("outside", PLAIN, "", XMAS_0900Z, "yes", "a holiday");
	expect("outside", PLAIN, "", FRI_0830Z, "no", "open");
	expect("all", "Subject: a b\n\nx\n", "", 0, "yes", "all hold");
	expect("all", "Subject: a\n\nx\n", "", 0, "no", "one does not");
	expect("any", "Subject: b\n\nx\n", "", 0, "yes", "one holds");
	expect("any", "Subject: c\n\nx\n", "", 0, "no", "none holds");
	expect("not", "Subject: c\n\nx\n", "", 0, "yes", "not");
	expect("not", "Subject: a\n\nx\n", "", 0, "no", "not not");
	expect("two", "Subject: a\n\nb\n", "", 0, "yes", "members are all");
	expect("two", "Subject: a\n\nc\n", "", 0, "no", "members: one fails");

	msg_make(&m, PLAIN, "", 0);
	m.fm.lang = "es";
	m.fm.lang_confidence = 90;
	m.fm.lang_reliable = 1;
	is_str(queue_of("language", &m.fm), "yes", "language: es, sure");
	m.fm.lang_confidence = 40;
	is_str(queue_of("language", &m.fm), "no",
	    "language: below flow.language_confidence");
	m.fm.lang_confidence = 90;
	m.fm.lang_reliable = 0;
	is_str(queue_of("language", &m.fm), "no", "language: unreliable");
	m.fm.lang = "en";
	m.fm.lang_reliable = 1;
	is_str(queue_of("language", &m.fm), "no", "language: another");
	m.fm.open = 1;
	is_str(queue_of("open", &m.fm), "yes", "open interaction");
	m.fm.open = 0;
	is_str(queue_of("open", &m.fm), "no", "no open interaction");
	m.fm.open = -1;
	is_str(queue_of("open", &m.fm), "no", "not known: not open");
	msgview_free(&m.v);
}

/* run_acts - flow "acts" on RAW with the route's own values */
static void
run_acts(const char *raw, const char *lang, const char *route_lang,
    struct flow_result *res, struct flow_trace *tr)
{
	struct msg m;
	struct cfg_route r;
	static char *skills[] = { "general" };

	msg_make(&m, raw, "c@customer.test", FRI_0830Z);
	m.fm.lang = lang;
	m.fm.lang_confidence = 95;
	m.fm.lang_reliable = 1;
	memset(&r, 0, sizeof(r));
	r.flow = "acts";
	r.flowp = cfg_find_flow(&cfg->orgs[0], "acts");
	r.skills = skills;
	r.nskills = 1;
	r.language = route_lang;
	r.priority = 10;
	ok(flow_eval(cfg, &r, &m.fm, res, tr) == 0, "acts evaluated");
	msgview_free(&m.v);
}

/* test_actions - what rules set, add, and call */
static void
test_actions(void)
{
	struct flow_result res;
	struct flow_trace tr = { 0 };

	run_acts("Subject: hello\n\nhi\n", "en", "", &res, NULL);
	is_str(res.queue, "support", "default: its queue");
	is_str(res.language, "en", "detected language set: the address has "
	    "none");
	ok(res.detected, "marked as detected");
	is_int(res.priority, 10, "the address's priority");
	ok(res.ntags == 1 && strcmp(res.tags[0], "plain") == 0,
	    "default's tag");
	ok(res.ack == NULL && !res.close && !res.fallback, "nothing else");
	is_str(res.path, "acts/default", "path");

	run_acts("Subject: hello\n\nhi\n", "en", "fr", &res, NULL);
	is_str(res.language, "fr", "the address's language wins over the "
	    "detected one");

	run_acts("Subject: hola\n\nhola\n", "es", "", &res, NULL);
	is_str(res.queue, "ventas", "rule es: queue");
	ok(res.nskills == 1 && strcmp(res.skills[0], "spanish") == 0,
	    "skills replaced");
	is_str(res.language, "es-ES", "language replaced");
	ok(!res.detected, "no longer the detected one");
	is_int(res.priority, 7, "priority replaced");
	is_str(res.ack, "recibido", "acknowledgement chosen");
	is_int(res.ntags, 0, "no tags");

	run_acts("Subject: cheap VIAGRA\n\nx\n", "en", "", &res, NULL);
	ok(res.close, "spam: routing stops");
	ok(res.ntags == 1 && strcmp(res.tags[0], "spam") == 0, "tagged");
	is_str(res.queue, "support", "still a queue (the default's)");

	run_acts("From: boss@big.example\nSubject: hi\n\nplease\n", "en", "",
	    &res, &tr);
	is_int(res.priority, 1000, "add_priority kept within 1000");
	ok(res.nskills == 2 && strcmp(res.skills[0], "general") == 0 &&
	    strcmp(res.skills[1], "vip") == 0, "add_skills, no duplicate");
	is_str(res.ack, "vip-ack", "the called flow's default applied");
	is_str(res.queue, "support", "called flow set no queue: the "
	    "default's");
	is_str(res.path, "acts/vip > sub/default", "path through the call");
	ok(tr.buf != NULL && strstr(tr.buf, "flow acts rule spam (line") &&
	    strstr(tr.buf, "flow acts rule vip") && strstr(tr.buf,
	    "flow acts calls sub"), "the trace names the rules and the call");
	flow_trace_free(&tr);

	{
		struct cfg_route r;

		memset(&r, 0, sizeof(r));
		r.flowp = cfg_find_flow(&cfg->orgs[0], "acts");
		ok(cfg_route_reaches(&r, "support") &&
		    cfg_route_reaches(&r, "ventas") &&
		    !cfg_route_reaches(&r, "yes"), "the queues a flow reaches "
		    "(its agents may send as its addresses)");
		r.flowp = NULL;
		r.queue = "yes";
		ok(cfg_route_reaches(&r, "yes") && !cfg_route_reaches(&r,
		    "no"), "a queue route reaches its queue only");
	}
	run_acts("From: boss@big.example\nSubject: hi\n\nrefund\n", "en", "",
	    &res, NULL);
	is_str(res.queue, "ventas", "called flow's rule: queue");
	is_int(res.priority, 0, "add_priority kept at or above 0");
	ok(res.ntags == 2 && strcmp(res.tags[0], "vip") == 0 &&
	    strcmp(res.tags[1], "refund") == 0, "tags added once each");
}

/* test_languages - the labelled mails of DIR (t/data/lang, "es-mail-01.txt"
 * is Spanish): detected as the milter detects them, the flow's language
 * set { es, pt } holds exactly for the Spanish and Portuguese ones */
static void
test_languages(const char *dir)
{
	struct dirent *de;
	struct msg m;
	char	path[1024], text[16384], code[8];
	size_t	n, total = 0, right = 0, held = 0, want = 0;
	int	conf, sure, in;
	FILE   *fp;
	DIR    *d;

	if (dir == NULL || (d = opendir(dir)) == NULL) {
		ok(0, "the labelled mails in %s", dir ? dir : "(none)");
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, "-mail-") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		n = fread(text, 1, sizeof(text) - 1, fp);
		fclose(fp);
		text[n] = '\0';
		flowlang_detect(text, n, 65536, code, sizeof(code), &conf,
		    &sure);
		total++;
		if (strncmp(code, de->d_name, 2) == 0 && sure)
			right++;
		msg_make(&m, "Subject: x\n\nx\n", "", 0);
		m.fm.lang = code;
		m.fm.lang_confidence = conf;
		m.fm.lang_reliable = sure;
		in = strncmp(de->d_name, "es", 2) == 0 ||
		    strncmp(de->d_name, "pt", 2) == 0;
		want += in;
		if (strcmp(queue_of("language", &m.fm), "yes") == 0) {
			held++;
			if (!in)
				ok(0, "%s (%s) is not es or pt", de->d_name,
				    code);
		}
		msgview_free(&m.v);
	}
	closedir(d);
	ok(total >= 90, "%zu labelled mails", total);
	ok(right * 100 >= total * 95, "%zu of %zu detected as labelled, "
	    "reliably", right, total);
	ok(held * 100 >= want * 95 && held <= want, "language = [ es, pt ] "
	    "holds for %zu of the %zu Spanish and Portuguese mails, and no "
	    "other", held, want);
}

/* test_limits - a pathological expression and the time bound */
static void
test_limits(void)
{
	struct msg m;
	struct flow_result res;
	struct cfg_route r;
	char	*raw;
	size_t	i, n = 64 * 1024;
	long long t0;

	raw = malloc(n + 64);
	strcpy(raw, "Subject: x\n\n");
	for (i = strlen(raw); i < n; i++)
		raw[i] = 'a';
	raw[n] = 'b';
	raw[n + 1] = '\0';
	msg_make(&m, raw, "", 0);
	memset(&r, 0, sizeof(r));
	r.language = "";
	r.flowp = cfg_find_flow(&cfg->orgs[0], "pathological");
	t0 = clock_mono_ms();
	ok(flow_eval(cfg, &r, &m.fm, &res, NULL) == 0, "evaluated");
	ok(clock_mono_ms() - t0 < 2000, "in %lld ms", clock_mono_ms() - t0);
	ok(res.fallback, "fell back to the default");
	is_str(res.queue, "no", "the default's queue");
	ok(strstr(res.why, "match_limit") != NULL || strstr(res.why,
	    "time_limit") != NULL, "why: %s", res.why);
	msgview_free(&m.v);
	free(raw);
}

/* main - the tests in order */
int
main(int argc, char **argv)
{
	char	*text;
	int	fd;

	hdr_init();
	if ((fd = mkstemp(listfile)) < 0 || write(fd, "# customers\n"
	    "listed.test\n@also.test\nsolo@person.test  # one person\n\n",
	    68) != 68) {
		printf("Bail out! cannot write %s\n", listfile);
		return (1);
	}
	close(fd);
	if ((fd = mkstemp(ackfile)) < 0 || write(fd, "Got it, {{customer.name}}.\n",
	    27) != 27) {
		printf("Bail out! cannot write %s\n", ackfile);
		return (1);
	}
	close(fd);
	text = config_text();
	cfg = cfg_text(text);
	free(text);
	unlink(ackfile);
	if (cfg == NULL) {
		printf("Bail out! the configuration does not load\n");
		unlink(listfile);
		return (1);
	}
	test_hours();
	test_msgview();
	test_conditions();
	test_actions();
	test_limits();
	test_languages(argc > 1 ? argv[1] : NULL);
	cfg_unref(cfg);
	unlink(listfile);
	return (done_testing());
}
