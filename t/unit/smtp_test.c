/* smtp_test - the SMTP client without a relay: the relay's name for logs
 * keeps no credentials, a relay that does not answer is a try-again, and
 * a stop already asked for ends a submission as stopped. */
#include <stdatomic.h>
#include <string.h>

#include <curl/curl.h>

#include "cfg.h"
#include "smtp.h"
#include "tap.h"

/* relay_name - smtp_relay_name of RELAY into a static buffer */
static const char *
relay_name(const char *relay)
{
	static char out[300];

	smtp_relay_name(relay, out, sizeof(out));
	return (out);
}

int
main(void)
{
	struct cfg_delivery dc;
	atomic_int stop;
	char	why[SMTP_WHY_MAX + 64];
	enum smtp_result res;

	is_str(relay_name("smtp://relay.example:587"),
	    "smtp://relay.example:587", "a relay without user info stays");
	is_str(relay_name("smtps://user:secret@relay.example:465"),
	    "smtps://relay.example:465", "user:password@ is left out");
	is_str(relay_name("smtp://user@relay.example/path@x"),
	    "smtp://relay.example/path@x", "  only before the path");
	is_str(relay_name("smtp://relay.example/a@b"),
	    "smtp://relay.example/a@b", "an @ in the path is no user info");
	is_str(relay_name("u:p@relay.example"), "relay.example",
	    "  without a scheme too");

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		ok(0, "curl_global_init");
		return (done_testing());
	}
	memset(&dc, 0, sizeof(dc));
	dc.relay = "smtp://127.0.0.1:1";	/* nobody listens on port 1 */
	dc.sender = "router@example.com";
	dc.timeout = 10;
	atomic_store(&stop, 0);
	why[0] = '\0';
	res = smtp_submit(&dc, "agent@example.com", "Subject: t\r\n\r\nx\r\n",
	    17, &stop, why, sizeof(why));
	is_int(res, SMTP_TEMP, "a relay that does not answer: try again");
	ok(why[0] != '\0', "  and why says so (%s)", why);
	atomic_store(&stop, 1);
	res = smtp_submit(&dc, "agent@example.com", "Subject: t\r\n\r\nx\r\n",
	    17, &stop, why, sizeof(why));
	ok(res == SMTP_STOPPED || res == SMTP_TEMP,
	    "asked to stop: stopped, or the refused connection came first "
	    "(%d)", res);
	curl_global_cleanup();
	return (done_testing());
}
