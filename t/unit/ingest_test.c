/* ingest_test.c - unit tests for the router's queue order and for the
 * validation of ingest entries. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ingest.h"
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

/* score - the seed's score: minutes waiting + priority */
static double
score(long long now, long long enq, long long prio)
{
	return ((double)(now - enq) / 60000.0 + (double)prio);
}

int
main(void)
{
	struct ingest_entry e;
	long long now = 1800000000000LL, a, b;

	/* seed 000: 4 minutes at priority 20 (24) before 6 at 10 (16) */
	a = ingest_rank(now - 4 * 60000, 20);
	b = ingest_rank(now - 6 * 60000, 10);
	ok(a < b, "4 min at priority 20 is served before 6 min at 10");
	ok(score(now, now - 4 * 60000, 20) > score(now, now - 6 * 60000, 10),
	    "  and that is the seed's higher score (24 > 16)");
	/* the order never changes while both wait */
	for (long long later = 0; later < 3600000; later += 600000)
		ok((score(now + later, now - 4 * 60000, 20) >
		    score(now + later, now - 6 * 60000, 10)) == (a < b),
		    "  order unchanged %lld min later", later / 60000);
	/* equal scores: ranks tie, the member orders by arrival */
	a = ingest_rank(now, 1);
	b = ingest_rank(now - 60000, 0);
	is_int(a, b, "one minute later at one priority more: equal ranks");
	check("acme", &e, 6, "v", "1", "id", ID_A, "org", "acme", "queue",
	    "support", "priority", "1", "arrived", "1800000000000");
	{
		char	m1[64];
		struct ingest_entry e2;

		snprintf(m1, sizeof(m1), "%s", e.member);
		check("acme", &e2, 6, "v", "1", "id",
		    "ffffffffffffffffffffffffffffffff", "org", "acme", "queue",
		    "support", "priority", "0", "arrived", "1799999940000");
		is_str(e2.rank, e.rank, "tie: same rank");
		ok(strcmp(e2.member, m1) < 0,
		    "tie: the earlier arrival sorts first (%s < %s)",
		    e2.member, m1);
	}
	/* priority change is one re-insert: a new rank, nothing else moves */
	ok(ingest_rank(now, 30) < ingest_rank(now, 20),
	    "raising the priority lowers the rank");

	check("acme", &e, 6, "v", "1", "id", ID_A, "org", "acme", "queue",
	    "support", "priority", "20", "arrived", "1800000000000");
	ok(e.reason == NULL, "a good entry has no reason");
	is_str(e.rank, "1799998800000", "rank = arrived - 60000 x 20");
	is_str(e.member, "001800000000000:" ID_A, "member = arrival:id");

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
	return (done_testing());
}
