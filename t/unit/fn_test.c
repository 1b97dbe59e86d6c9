/* fn_test.c - every typed constructor of common/fn.c against the library
 * as the build assembles it, in a throw-away Redis (t/0108-fn.t starts it
 * and passes its port): the name, keys and argument order a constructor
 * writes are the ones the Lua reads, which the behaviour shows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis.h>

#include "fn.h"
#include "keys.h"
#include "tap.h"

static redisContext *c;

/* run - send CMD (freed), the reply or NULL; ERR gets the failure */
static redisReply *
run(struct fn_cmd *cmd, char *err, size_t errlen)
{
	redisReply *r = NULL;

	err[0] = '\0';
	if (fn_run(c, cmd, &r, err, errlen) != 0)
		r = NULL;
	fn_cmd_free(cmd);
	return (r);
}

/* json_has - reply R is a string holding NEEDLE; frees R */
static int
json_has(redisReply *r, const char *needle)
{
	int	yes = r != NULL && r->type == REDIS_REPLY_STRING &&
	    strstr(r->str, needle) != NULL;

	if (!yes && r != NULL)
		printf("# reply: %s\n", r->type == REDIS_REPLY_STRING ||
		    r->type == REDIS_REPLY_ERROR ? r->str : "(not a string)");
	if (r != NULL)
		freeReplyObject(r);
	return (yes);
}

/* pair - reply R is the array {CODE, TEXT}; frees R */
static int
pair(redisReply *r, long long code, const char *text)
{
	int	yes = r != NULL && r->type == REDIS_REPLY_ARRAY &&
	    r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_INTEGER &&
	    r->element[0]->integer == code &&
	    r->element[1]->type == REDIS_REPLY_STRING &&
	    strcmp(r->element[1]->str, text) == 0;

	if (!yes && r != NULL && r->type == REDIS_REPLY_ERROR)
		printf("# error: %s\n", r->str);
	if (r != NULL)
		freeReplyObject(r);
	return (yes);
}

/* get - the string reply of a plain command, "" for nil (static buffer) */
static const char *
get(const char *fmt, const char *a, const char *b)
{
	static char out[256];
	redisReply *r = redisCommand(c, fmt, a, b);

	out[0] = '\0';
	if (r != NULL && r->type == REDIS_REPLY_STRING)
		snprintf(out, sizeof(out), "%s", r->str);
	else if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		snprintf(out, sizeof(out), "%lld", r->integer);
	if (r != NULL)
		freeReplyObject(r);
	return (out);
}

#define ID1	"0123456789abcdef0123456789abcdef"
#define ID2	"fedcba9876543210fedcba9876543210"

int
main(int argc, char **argv)
{
	struct fn_cmd cmd;
	struct fn_handoff h;
	const char *refs[1];
	char	err[512], org[200];
	redisReply *r;

	if (argc != 2 || (c = redisConnect("127.0.0.1", atoi(argv[1]))) ==
	    NULL || c->err) {
		printf("Bail out! usage: fn_test PORT (a Redis to use)\n");
		return (1);
	}

	/* loading and the version */
	ok(fn_load(c, err, sizeof(err)) == 0, "fn_load installs the library");
	fn_version(&cmd);
	r = run(&cmd, err, sizeof(err));
	ok(r != NULL && r->type == REDIS_REPLY_STRING &&
	    strcmp(r->str, KEYS_LIBRARY) == 0,
	    "fn_version: the library is version " KEYS_LIBRARY);
	if (r != NULL)
		freeReplyObject(r);

	/* the roster: one queue, one agent */
	fn_sync(&cmd, "acme", 1);
	fn_sync_queue(&cmd, "support", "least-busy", 120, "forward");
	fn_sync_agents(&cmd, 1);
	fn_sync_agent(&cmd, "ana", "ana@agents.example", "billing",
	    "en,es", 2, "support");
	ok(json_has(run(&cmd, err, sizeof(err)), "\"agents\":1"),
	    "fn_sync writes one agent");
	is_str(get("HGET %s %s", "mailacd:{acme}:queuecfg:support",
	    "strategy"), "least-busy", "fn_sync_queue: the strategy");
	is_str(get("HGET %s %s", "mailacd:{acme}:queuecfg:support",
	    "delivery"), "forward", "fn_sync_queue: the delivery mode");
	is_str(get("HGET %s %s", "mailacd:{acme}:agent:ana", "capacity"),
	    "2", "fn_sync_agent: the capacity");
	is_str(get("HGET %s %s", "mailacd:{acme}:agent:ana", "address"),
	    "ana@agents.example", "fn_sync_agent: the address");

	/* presence, then an entry that is assigned on arrival */
	fn_presence(&cmd, "acme", "ana", "available");
	ok(json_has(run(&cmd, err, sizeof(err)), "\"presence\":\"available\""),
	    "fn_presence makes ana available");
	freeReplyObject(redisCommand(c, "XGROUP CREATE %s %s $ MKSTREAM",
	    "mailacd:{acme}:ingest", KEYS_GROUP));
	fn_ingest(&cmd, "acme", "1-1", ID1, "support", 1000);
	fn_field(&cmd, KEYS_F_VERSION, KEYS_SCHEMA);
	fn_field(&cmd, KEYS_F_ID, ID1);
	fn_field(&cmd, KEYS_F_ORG, "acme");
	fn_field(&cmd, KEYS_F_QUEUE, "support");
	fn_field(&cmd, KEYS_F_SKILLS, "billing");
	fn_field(&cmd, KEYS_F_PRIORITY, "0");
	fn_field(&cmd, KEYS_F_ARRIVED, "1000");
	fn_field(&cmd, KEYS_F_SUBJECT, "Where is my order?");
	ok(pair(run(&cmd, err, sizeof(err)), 1, "ana"),
	    "fn_ingest: queued and assigned to ana");
	is_str(get("HGET %s %s", "mailacd:{acme}:ix:" ID1, "subject"),
	    "Where is my order?", "fn_field: the entry's fields are kept");
	is_str(get("HGET %s %s", "mailacd:{acme}:ix:" ID1, "rank"),
	    "1000", "the library made the rank: enqueued - 60000 x 0");
	fn_ingest(&cmd, "acme", "1-1", ID1, "support", 1000);
	fn_field(&cmd, KEYS_F_ID, ID1);
	ok(pair(run(&cmd, err, sizeof(err)), 0, ""),
	    "fn_ingest: the same entry again is a replay");

	fn_priority(&cmd, "acme", ID1, 7, "test");
	ok(json_has(run(&cmd, err, sizeof(err)), "\"priority\":7"),
	    "fn_priority sets 7");
	fn_transfer(&cmd, "acme", ID1, "support", "test");
	ok(json_has(run(&cmd, err, sizeof(err)), "\"queue\":\"support\""),
	    "fn_transfer puts it into support");
	fn_fill(&cmd, "acme", "ana");
	ok(json_has(run(&cmd, err, sizeof(err)), "\"agent\":\"ana\""),
	    "fn_fill answers for ana");
	fn_close(&cmd, "acme", ID1, "test");
	ok(json_has(run(&cmd, err, sizeof(err)), "\"state\":\"closed\""),
	    "fn_close closes it");
	fn_undeliverable(&cmd, "acme", ID1, "ana", "550 no such user");
	r = run(&cmd, err, sizeof(err));
	ok(r != NULL && r->type == REDIS_REPLY_ERROR &&
	    strncmp(r->str, "BADSTATE", 8) == 0,
	    "fn_undeliverable: a closed interaction is BADSTATE");
	if (r != NULL)
		freeReplyObject(r);

	fn_dead(&cmd, "acme", "2-1", "no queue field");
	fn_field(&cmd, KEYS_F_ID, ID2);
	ok(pair(run(&cmd, err, sizeof(err)), 2, ""),
	    "fn_dead dead-letters the entry");
	is_str(get("XLEN %s", "mailacd:{acme}:dead", NULL), "1",
	    "the dead stream has it");

	/* the milter's calls */
	memset(&h, 0, sizeof(h));
	h.seen = "aa";
	h.open = "bb";
	h.rate = "cc";
	h.hour = 42;
	h.own = "dd";
	h.seen_ttl = 60;
	h.thread_ttl = 60;
	h.id = ID2;
	h.rate_limit = 0;
	h.identity = "customer@example.net";
	h.participants = 1;
	fn_handoff(&cmd, "acme", &h);
	fn_field(&cmd, KEYS_F_ID, ID2);
	fn_field(&cmd, KEYS_F_QUEUE, "support");
	ok(pair(run(&cmd, err, sizeof(err)), 1, ID2),
	    "fn_handoff: a new interaction");
	is_str(get("GET %s", "mailacd:{acme}:seen:aa", NULL), ID2,
	    "its seen key holds the id");
	is_str(get("GET %s", "mailacd:{acme}:thread:dd", NULL), ID2,
	    "its own thread key holds the id");
	is_str(get("SISMEMBER %s %s", "mailacd:{acme}:people:" ID2,
	    "customer@example.net"), "1", "the customer is a participant");
	fn_handoff(&cmd, "acme", &h);
	fn_field(&cmd, KEYS_F_ID, ID2);
	ok(pair(run(&cmd, err, sizeof(err)), 0, ID2),
	    "fn_handoff: the same message again is an MTA retry");
	h.seen = "ee";
	h.own = "";
	refs[0] = "dd";
	h.refs = refs;
	h.nrefs = 1;
	h.id = ID1;
	fn_handoff(&cmd, "acme", &h);
	fn_field(&cmd, KEYS_F_ID, ID1);
	ok(pair(run(&cmd, err, sizeof(err)), 3, ID2),
	    "fn_handoff: a participant's reply joins by thread key");
	h.seen = "ff";
	h.rate_limit = 1;
	h.count = 1;
	fn_handoff(&cmd, "acme", &h);
	fn_field(&cmd, KEYS_F_ID, ID1);
	ok(pair(run(&cmd, err, sizeof(err)), 3, ID2),
	    "fn_handoff: the first counted message is within a limit of 1");
	h.seen = "ab";
	fn_handoff(&cmd, "acme", &h);
	fn_field(&cmd, KEYS_F_ID, ID1);
	ok(pair(run(&cmd, err, sizeof(err)), 4, "2"),
	    "fn_handoff: the second counted message is over a limit of 1");

	is_str(get("HGET %s %s", "mailacd:{acme}:counters", "handed_off"),
	    "3", "fn_handoff counts each entry written, not the retry");
	is_str(get("HGET %s %s", "mailacd:{acme}:counters", "rate_limited"),
	    "1", "fn_handoff counts the message over the limit once");

	/* what the metrics read: one call for the organisation */
	freeReplyObject(redisCommand(c, "HSET %s status failed",
	    "mailacd:{acme}:domain:example.com"));
	{
		const char *doms[2] = { "example.com", "example.org" };

		fn_metrics(&cmd, "acme", doms, 2);
		r = run(&cmd, err, sizeof(err));
		ok(r != NULL && r->type == REDIS_REPLY_STRING &&
		    strstr(r->str, "\"queues\":[{") != NULL &&
		    strstr(r->str, "\"queue\":\"support\"") != NULL &&
		    strstr(r->str, "\"dead\":1") != NULL &&
		    strstr(r->str, "\"handed_off\":\"3\"") != NULL &&
		    strstr(r->str, "\"agent\":\"ana\"") != NULL &&
		    strstr(r->str, "{\"domain\":\"example.com\","
		    "\"status\":\"failed\"}") != NULL &&
		    strstr(r->str, "\"status\":\"never\"") != NULL,
		    "fn_metrics: queues, agents, dead letters, counters, "
		    "domains");
		if (r != NULL && r->type == REDIS_REPLY_STRING)
			printf("# %s\n", r->str);
		if (r != NULL)
			freeReplyObject(r);
	}

	freeReplyObject(redisCommand(c, "HSET %s state assigned",
	    "mailacd:{acme}:ix:" ID2));
	refs[0] = "dd";
	fn_reply_find(&cmd, "acme", "", refs, 1);
	r = run(&cmd, err, sizeof(err));
	ok(r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 9 &&
	    strcmp(r->element[0]->str, ID2) == 0 &&
	    strcmp(r->element[3]->str, "0") == 0,
	    "fn_reply_find: the thread key names the interaction, no reply "
	    "sent yet");
	if (r != NULL)
		freeReplyObject(r);
	fn_reply_record(&cmd, "acme", ID2, "0f", "<r1@example.com>", "ana",
	    60);
	r = run(&cmd, err, sizeof(err));
	ok(r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer == 1,
	    "fn_reply_record records the reply");
	if (r != NULL)
		freeReplyObject(r);
	is_str(get("HGET %s %s", "mailacd:{acme}:ix:" ID2, "last_reply_by"),
	    "ana", "by ana");
	is_str(get("GET %s", "mailacd:{acme}:thread:0f", NULL), ID2,
	    "and its Message-ID's thread key names the interaction");

	/* the router's own mail: responses, requests, the outbox */
	{
		const char *names[2] = { "thanks", "need-info" };
		char	job[64] = "";

		fn_responses(&cmd, "acme", names, 2);
		r = run(&cmd, err, sizeof(err));
		ok(r != NULL && r->type == REDIS_REPLY_INTEGER &&
		    r->integer == 2, "fn_responses publishes two names");
		if (r != NULL)
			freeReplyObject(r);
		freeReplyObject(redisCommand(c, "HSET %s customer %s "
		    "message_id %s", "mailacd:{acme}:ix:" ID2,
		    "ana@example.net", "<m1@example.net>"));
		fn_respond(&cmd, "acme", ID2, "nope", "op", NULL);
		r = run(&cmd, err, sizeof(err));
		ok(r != NULL && r->type == REDIS_REPLY_ERROR &&
		    strncmp(r->str, "NORESPONSE", 10) == 0,
		    "fn_respond: an unknown name is NORESPONSE (%s)",
		    r != NULL && r->str != NULL ? r->str : err);
		if (r != NULL)
			freeReplyObject(r);
		fn_respond(&cmd, "acme", ID2, "thanks", "op", NULL);
		r = run(&cmd, err, sizeof(err));
		if (r != NULL && r->type == REDIS_REPLY_STRING &&
		    strstr(r->str, "\"job\":\"") != NULL)
			snprintf(job, sizeof(job), "%.40s",
			    strstr(r->str, "\"job\":\"") + 7);
		ok(json_has(r, "\"state\":\"queued\"") && strlen(job) == 40,
		    "fn_respond queues the response (job %s)", job);
		fn_respond(&cmd, "acme", ID2, "thanks", "op", "");
		ok(json_has(run(&cmd, err, sizeof(err)), "\"already\":true"),
		    "fn_respond: the same request again is the same one");
		is_str(get("XLEN %s", "mailacd:{acme}:outbox", NULL), "1",
		    "one job on the outbox");
		is_str(get("HGET mailacd:{acme}:out:%s %s", job, "to"),
		    "ana@example.net", "to the customer");
		is_str(get("HGET mailacd:{acme}:out:%s %s", job, "in_reply_to"),
		    "<m1@example.net>", "threaded to the customer's message");
		fn_unsent(&cmd, "acme", job, "1-1", "451 4.3.0 later", 99999);
		r = run(&cmd, err, sizeof(err));
		ok(r != NULL && r->type == REDIS_REPLY_INTEGER &&
		    r->integer == 1, "fn_unsent counts the first attempt");
		if (r != NULL)
			freeReplyObject(r);
		is_str(get("HGET mailacd:{acme}:out:%s %s", job, "next"),
		    "99999", "and when to try again");
		fn_sent(&cmd, "acme", job, "1-1", "<r2@example.com>", "relay",
		    "0e", 60);
		r = run(&cmd, err, sizeof(err));
		ok(r != NULL && r->type == REDIS_REPLY_INTEGER &&
		    r->integer == 1, "fn_sent records it (%s)",
		    r != NULL && r->type == REDIS_REPLY_ERROR ? r->str : "");
		if (r != NULL)
			freeReplyObject(r);
		is_str(get("HGET mailacd:{acme}:out:%s %s", job, "state"),
		    "sent", "the message is sent");
		is_str(get("GET %s", "mailacd:{acme}:thread:0e", NULL), ID2,
		    "its Message-ID's thread key names the interaction");
		fn_sent(&cmd, "acme", job, "1-1", "<r2@example.com>", "relay",
		    "0e", 60);
		r = run(&cmd, err, sizeof(err));
		ok(r != NULL && r->type == REDIS_REPLY_INTEGER &&
		    r->integer == 0, "fn_sent again is a replay");
		if (r != NULL)
			freeReplyObject(r);
		is_str(get("HGET %s %s", "mailacd:{acme}:counters",
		    KEYS_F_CNT_RESPONSES), "1", "counted once");
	}

	/* a constructor that cannot build its command */
	memset(org, 'o', sizeof(org) - 1);
	org[sizeof(org) - 1] = '\0';
	ok(fn_close(&cmd, org, ID1, "test") == -1,
	    "an organisation id of 199 octets is refused");
	r = run(&cmd, err, sizeof(err));
	ok(r == NULL && strstr(err, "too long") != NULL,
	    "fn_run does not send it and says why: %s", err);

	/* a Redis that lost the library gets it again */
	freeReplyObject(redisCommand(c, "FUNCTION FLUSH"));
	fn_presence(&cmd, "acme", "ana", "away");
	ok(json_has(run(&cmd, err, sizeof(err)), "\"presence\":\"away\""),
	    "fn_run loads the library when Redis lost it");

	redisFree(c);
	return (done_testing());
}
