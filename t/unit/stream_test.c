/* stream_test - the order of stream ids, on which the trim of handled
 * entries rests, and the keys of a set of streams. */
#include <stdio.h>
#include <string.h>

#include "cfg.h"
#include "stream.h"
#include "tap.h"

int
main(void)
{
	static const struct {
		const char *a, *b;
		int	want;
	} c[] = {
		{ "1-0", "1-0", 0 },
		{ "1-0", "2-0", -1 },
		{ "2-0", "1-0", 1 },
		{ "5-1", "5-2", -1 },
		{ "5-10", "5-9", 1 },		/* numbers, not strings */
		{ "10-0", "9-99", 1 },
		{ "1700000000000-0", "1700000000000-0", 0 },
		{ "1700000000000-5", "1699999999999-7", 1 },
		{ "18446744073709551615-0", "18446744073709551614-9", 1 },
		{ "0-0", "0-1", -1 },
		{ "7", "7-0", 0 },		/* a bare time is sequence 0 */
	};
	struct cfg_org orgs[2];
	struct cfg cfg;
	struct stream_set *s;
	size_t	i;
	int	got;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		got = stream_cmp_id(c[i].a, c[i].b);
		got = got < 0 ? -1 : got > 0;
		is_int(got, c[i].want, "stream_cmp_id(%s, %s)", c[i].a, c[i].b);
		got = stream_cmp_id(c[i].b, c[i].a);
		got = got < 0 ? -1 : got > 0;
		is_int(got, -c[i].want, "  and the other way round");
	}

	memset(&cfg, 0, sizeof(cfg));
	memset(orgs, 0, sizeof(orgs));
	orgs[0].id = "acme";
	orgs[1].id = "t2";
	cfg.orgs = orgs;
	cfg.norgs = 2;
	s = stream_set_new(&cfg, STREAM_INGEST, "r1-42");
	ok(s != NULL, "a set of ingest streams");
	is_int((long long)s->n, 2, "  one per organisation");
	is_str(s->key[0], "mailacd:{acme}:ingest", "  the first's key");
	is_str(s->key[1], "mailacd:{t2}:ingest", "  the second's");
	is_str(s->consumer, "r1-42", "  read as the consumer given");
	stream_set_free(s);
	s = stream_set_new(&cfg, STREAM_DELIVER, NULL);
	is_str(s->key[1], "mailacd:{t2}:deliver", "delivery jobs' streams");
	is_str(s->consumer, "", "  no consumer: set-up and trim only");
	stream_set_free(s);
	stream_set_free(NULL);
	ok(1, "stream_set_free(NULL) is fine");
	return (done_testing());
}
