/* ingest_test.c - unit tests for the validation of ingest entries (the
 * queue order is the library's: t/5030-assign.t), the acknowledgement the
 * router decides for an entry, and the outbox's pure helpers. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cfgtext.h"
#include "inbound.h"
#include "ingest.h"
#include "outbox.h"
#include "tap.h"

#define ID_A	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* check - validate one entry given as name/value pairs */
static void
check(const char *org, struct ingest_entry *e, int n, ...)
{
	char	*names[32], *values[32];
	va_list	ap;
	int	i;

	va_start(ap, n);
	for (i = 0; i < n; i++) {
		names[i] = va_arg(ap, char *);
		values[i] = va_arg(ap, char *);
	}
	va_end(ap);
	ingest_check(org, "1-0", names, values, (size_t)n, e);
}

static const char conf[] =
    "milter = { socket = \"inet:8891@127.0.0.1\"; };\n"
    "organizations = ( { id = \"acme\"; ack_period = 600;\n"
    "  schedules = ( { name = \"office\"; timezone = \"UTC\";\n"
    "    hours = [ \"mon-fri 09:00-17:00\" ]; } );\n"
    "  queues = ( { name = \"support\"; },\n"
    "    { name = \"day\"; schedule = \"office\"; } );\n"
    "  responses = ( { name = \"thanks\"; subject = \"Thanks\";\n"
    "      text = \"/dev/null\"; },\n"
    "    { name = \"closed\"; subject = \"Closed\"; text = \"/dev/null\"; } );\n"
    "  domains = ( { name = \"example.com\"; addresses = (\n"
    "    { address = \"support@example.com\"; queue = \"support\";\n"
    "      ack = \"thanks\"; },\n"
    "    { address = \"quiet@example.com\"; queue = \"support\"; },\n"
    "    { address = \"day@example.com\"; queue = \"day\";\n"
    "      ack = \"thanks\"; } ); } );\n"
    "} );\n";

/* ack - the acknowledgement of an entry given as name/value pairs */
static void
ack(const struct cfg *cfg, struct ingest_ack *a, int n, ...)
{
	char	*names[32], *values[32];
	va_list	ap;
	int	i;

	va_start(ap, n);
	for (i = 0; i < n; i++) {
		names[i] = va_arg(ap, char *);
		values[i] = va_arg(ap, char *);
	}
	va_end(ap);
	ingest_ack(cfg, &cfg->orgs[0], names, values, (size_t)n, a);
}

/* acks - the router's decision and the outbox's helpers */
static void
acks(void)
{
	struct ingest_ack a;
	struct cfg *cfg;
	char	buf[64], mine[65], milter[65];
	const char *id = "<a1b2.ack@example.com>";

	if ((cfg = cfg_text(conf)) == NULL) {
		ok(0, "the configuration with responses loads");
		return;
	}
	ack(cfg, &a, 3, "address", "support@example.com", "from",
	    "Ana <ana@example.net>", "sender", "<ana@example.net>");
	is_str(a.response, "thanks", "the address's ack is chosen");
	ok(a.skip == NULL, "a person's message may be acknowledged");
	is_str(a.to, "ana@example.net", "to the From address");
	is_str(a.name, "Ana", "with the customer's name");
	is_str(a.period, "600", "the organisation's ack_period goes along");
	ack(cfg, &a, 4, "address", "support@example.com", "from",
	    "Ana <ana@example.net>", "sender", "<ana@example.net>", "ack",
	    "closed");
	is_str(a.response, "closed", "a flow's ack wins over the address's");
	ack(cfg, &a, 3, "address", "quiet@example.com", "from",
	    "Ana <ana@example.net>", "sender", "<ana@example.net>");
	ok(a.response == NULL, "an address without ack: none");
	ack(cfg, &a, 4, "address", "support@example.com", "from",
	    "Ana <ana@example.net>", "sender", "<ana@example.net>", "noreply",
	    "list");
	is_str(a.skip, "list", "the milter's noreply forbids it");
	ack(cfg, &a, 4, "address", "support@example.com", "from",
	    "Ana <ana@example.net>", "sender", "<ana@example.net>", "auto",
	    "auto-submitted");
	is_str(a.skip, "auto-submitted", "so does its auto");
	ack(cfg, &a, 4, "address", "support@example.com", "from",
	    "Ana <ana@example.net>", "sender", "<ana@example.net>", "reply_to",
	    "ana@home.example");
	is_str(a.to, "ana@home.example", "Reply-To wins over From");
	ack(cfg, &a, 4, "address", "support@example.com", "from",
	    "Ana <ana@example.net>", "sender", "<ana@example.net>", "merged",
	    "1");
	ok(a.skip != NULL, "a message merged into an open interaction: none");
	/* Saturday 2026-12-05 12:00 UTC: the office opens on Monday 09:00 */
	ack(cfg, &a, 5, "address", "day@example.com", "from",
	    "Ana <ana@example.net>", "sender", "<ana@example.net>", "queue",
	    "day", "arrived", "1796472000000");
	is_str(a.opens, "1796634000", "an address's closed queue: when it "
	    "opens (Monday 09:00 UTC)");
	ack(cfg, &a, 5, "address", "day@example.com", "from",
	    "Ana <ana@example.net>", "sender", "<ana@example.net>", "queue",
	    "day", "arrived", "1796634000000");
	is_str(a.opens, "", "... nothing while it is open");
	ack(cfg, &a, 6, "address", "day@example.com", "from",
	    "Ana <ana@example.net>", "sender", "<ana@example.net>", "queue",
	    "day", "arrived", "1796472000000", "opens", "1796600000");
	is_str(a.opens, "", "... nor when a flow said it already");
	cfg_unref(cfg);

	/* the thread key the router writes is the one the milter looks up */
	ok(outbox_thread_key(id, "support@example.com", mine) == 0 &&
	    inb_thread_key(id, strlen(id), "support@example.com", milter) == 0,
	    "both thread keys are made");
	is_str(mine, milter, "the router's thread key is the milter's");
	is_str(outbox_wait_text(20, buf, sizeof(buf)), "less than a minute",
	    "wait: 20 s");
	is_str(outbox_wait_text(60, buf, sizeof(buf)), "about 1 minute",
	    "wait: 60 s");
	is_str(outbox_wait_text(1250, buf, sizeof(buf)), "about 21 minutes",
	    "wait: 1250 s");
	is_str(outbox_wait_text(5400, buf, sizeof(buf)), "about 2 hours",
	    "wait: 90 minutes");
}

int
main(void)
{
	struct ingest_entry e;

	/* the rank and queue member are the library's (mailacd_ingest):
	 * the seed's order is tested in t/5030-assign.t */
	check("acme", &e, 6, "v", "1", "id", ID_A, "org", "acme", "queue",
	    "support", "priority", "20", "arrived", "1800000000000");
	ok(e.reason == NULL, "a good entry has no reason");
	is_int(e.arrived, 1800000000000LL, "arrived read");
	is_int(e.priority, 20, "priority read");

	check("acme", &e, 5, "id", ID_A, "org", "acme", "queue", "support",
	    "priority", "20", "arrived", "1");
	is_str(e.reason, "unknown schema version (field v)", "no version");
	check("acme", &e, 6, "v", "2", "id", ID_A, "org", "acme", "queue",
	    "support", "priority", "20", "arrived", "1");
	is_str(e.reason, "unknown schema version (field v)", "version 2");
	check("acme", &e, 6, "v", "1", "id", "ABC", "org", "acme", "queue",
	    "support", "priority", "20", "arrived", "1");
	is_str(e.reason, "no valid interaction id (field id)", "bad id");
	check("acme", &e, 6, "v", "1", "id", ID_A, "org", "other", "queue",
	    "support", "priority", "20", "arrived", "1");
	is_str(e.reason, "organisation differs from the stream's (field org)",
	    "foreign org");
	check("acme", &e, 6, "v", "1", "id", ID_A, "org", "acme", "queue",
	    "a b", "priority", "20", "arrived", "1");
	is_str(e.reason, "no valid queue name (field queue)", "bad queue");
	check("acme", &e, 6, "v", "1", "id", ID_A, "org", "acme", "queue",
	    "support", "priority", "1001", "arrived", "1");
	is_str(e.reason, "priority is not a number from 0 to 1000",
	    "priority 1001");
	check("acme", &e, 6, "v", "1", "id", ID_A, "org", "acme", "queue",
	    "support", "priority", "2x", "arrived", "1");
	is_str(e.reason, "priority is not a number from 0 to 1000",
	    "priority 2x");
	check("acme", &e, 6, "v", "1", "id", ID_A, "org", "acme", "queue",
	    "support", "priority", "2", "arrived", "-5");
	is_str(e.reason, "arrived is not a time in milliseconds",
	    "negative arrival");
	check("acme", &e, 5, "v", "1", "id", ID_A, "org", "acme", "queue",
	    "support", "priority", "2");
	is_str(e.reason, "arrived is not a time in milliseconds",
	    "no arrival");
	acks();
	return (done_testing());
}
