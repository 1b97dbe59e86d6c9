/* ingest_test.c - unit tests for the validation of ingest entries (the
 * queue order is the library's: t/5030-assign.t). */
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
	return (done_testing());
}
