/* ident_test - the identities' own outgoing servers without a server:
 * the smtp groups as the loader reads them (defaults, the port from tls,
 * the password file), every mistake as file:line, which identity a name
 * is, and the exact lines of Postfix's maps (keyed by the envelope
 * sender the milter leaves), with the password only in its own map. */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "ident.h"
#include "smtp.h"
#include "tap.h"

static char tmpdir[] = "/tmp/ident_test.XXXXXX";

/* write_file - TEXT as NAME in the temporary directory with MODE; the
 * path (static) */
static const char *
write_file(const char *name, const char *text, mode_t mode)
{
	static char path[512];
	FILE   *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((fp = fopen(path, "w")) == NULL || fchmod(fileno(fp), mode) != 0) {
		printf("Bail out! cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	fputs(text, fp);
	fclose(fp);
	return (path);
}

#define HEAD \
	"redis = { host = \"127.0.0.1\"; };\n" \
	"milter = { socket = \"inet:8891@127.0.0.1\"; };\n" \
	"organizations = ( { id = \"acme\"; queues = ( { name = \"q\"; } );\n"

/* load - configuration TEXT (mode 0600); the errors into ERRS */
static struct cfg *
load(const char *text, struct cfg_errors *errs)
{
	const char *path = write_file("mailacd.conf", text, 0600);

	memset(errs, 0, sizeof(*errs));
	return (cfg_load(path, errs));
}

/* expect - TEXT must be refused with exactly WANT (after "FILE:") */
static void
expect(const char *label, const char *text, const char *const *want)
{
	struct cfg_errors errs;
	struct cfg *cfg;
	char	full[2048];
	size_t	n, i;

	cfg = load(text, &errs);
	ok(cfg == NULL, "%s: refused", label);
	for (n = 0; want[n] != NULL; n++)
		;
	is_int(errs.n, n, "%s: %zu errors", label, n);
	for (i = 0; i < n || i < errs.n; i++) {
		full[0] = '\0';
		if (i < n)
			snprintf(full, sizeof(full), "%s/mailacd.conf:%s",
			    tmpdir, want[i]);
		is_str(i < errs.n ? errs.msg[i] : NULL, i < n ? full : NULL,
		    "%s: error %zu", label, i + 1);
	}
	cfg_unref(cfg);
	cfg_errors_clear(&errs);
}

/* maps - the maps of CFG into TEXT[IDENT_NMAPS] (caller frees); the
 * return of ident_maps */
static int
maps(const struct cfg *cfg, char *text[IDENT_NMAPS], int *nimplicit,
    char *err, size_t errlen)
{
	FILE	*out[IDENT_NMAPS];
	size_t	len[IDENT_NMAPS];
	int	m, rc;

	for (m = 0; m < IDENT_NMAPS; m++) {
		text[m] = NULL;
		out[m] = open_memstream(&text[m], &len[m]);
	}
	rc = ident_maps(cfg, out, nimplicit, err, errlen);
	for (m = 0; m < IDENT_NMAPS; m++)
		fclose(out[m]);
	return (rc);
}

static void
test_load(void)
{
	char	text[4096];
	struct cfg_errors errs;
	const struct cfg_address *a;
	const struct cfg_agent *g;
	struct smtp_server srv;
	struct ident id;
	struct cfg *cfg;

	write_file("alice.pass", "pw of alice\n", 0640);
	snprintf(text, sizeof(text),
	    "delivery = { relay = \"smtp://relay.example:587\"; username = \"router\";\n"
	    "  password = \"pw\"; starttls = \"require\";\n"
	    "  sender = \"mailacd-router@relay.example\"; };\n"
	    HEAD
	    "agents = ( { id = \"alice\"; address = \"alice@agents.example\";\n"
	    "  queues = [ \"q\" ]; smtp = { server = \"smtp.example.net\";\n"
	    "  user = \"alice@agents.example\"; password_file = \"%s/alice.pass\"; }; },\n"
	    "  { id = \"bob\"; address = \"bob@agents.example\"; queues = [ \"q\" ]; } );\n"
	    "domains = ( { name = \"example.com\"; addresses = (\n"
	    "  { address = \"support@example.com\"; queue = \"q\";\n"
	    "    smtp = { server = \"smtp.office365.com\"; tls = \"implicit\";\n"
	    "      tls_verify = false; user = \"support@example.com\";\n"
	    "      password = \"s3cret\"; dkim = false; }; },\n"
	    "  { address = \"billing@example.com\"; queue = \"q\"; } ); } );\n"
	    "} );\n", tmpdir);
	cfg = load(text, &errs);
	ok(cfg != NULL && errs.n == 0, "smtp groups load");
	if (cfg == NULL) {
		printf("# %s\n", errs.n ? errs.msg[0] : "?");
		cfg_errors_clear(&errs);
		return;
	}
	a = cfg_find_address(cfg, "support@example.com");
	ok(a != NULL && a->smtp != NULL, "the address has its server");
	is_int(a->smtp->port, 465, "implicit TLS: port 465");
	is_int(a->smtp->tls, CFG_MBOX_TLS_IMPLICIT, "tls implicit");
	is_int(a->smtp->tls_verify, 0, "tls_verify false");
	is_int(a->smtp->dkim, 0, "dkim false");
	is_str(a->smtp->password, "s3cret", "the password");
	g = cfg_find_agent(cfg, "alice@agents.example");
	ok(g != NULL && g->smtp != NULL, "the agent has its server");
	is_int(g->smtp->port, 587, "default: STARTTLS on 587");
	is_int(g->smtp->tls, CFG_MBOX_TLS_STARTTLS, "default tls starttls");
	is_int(g->smtp->tls_verify, 1, "default tls_verify true");
	is_str(g->smtp->password, "pw of alice",
	    "the password is read from password_file, its line end dropped");
	ok(cfg_find_address(cfg, "billing@example.com")->smtp == NULL,
	    "an address without a group has none");

	ok(ident_find(cfg, "Support@Example.COM", &id) == 0 &&
	    id.channel == a && id.smtp == a->smtp,
	    "ident_find: a registered address, case ignored");
	ok(ident_find(cfg, "alice", &id) == 0 && id.agent == g &&
	    strcmp(id.address, "alice@agents.example") == 0,
	    "ident_find: an agent by id");
	ok(ident_find(cfg, "ALICE@agents.example", &id) == 0 && id.agent == g,
	    "ident_find: an agent by workplace address");
	ok(ident_find(cfg, "bob", &id) == 0 && id.smtp == NULL,
	    "ident_find: an agent without a server: the relay");
	ok(ident_find(cfg, "support+x@example.com", &id) != 0,
	    "ident_find: a sub-address is no identity");
	ok(ident_find(cfg, "nobody", &id) != 0, "ident_find: unknown");
	ok(ident_channel_smtp(cfg, "support@example.com") == a->smtp,
	    "ident_channel_smtp: the channel's server");
	ok(ident_channel_smtp(cfg, "alice@agents.example") == NULL,
	    "ident_channel_smtp: an agent is no channel");

	/* the router's submissions as a channel */
	is_str(smtp_server_as(&srv, cfg, "support@example.com"),
	    "support@example.com",
	    "smtp_server_as: its own server, the channel as envelope sender");
	is_str(srv.url, "smtps://smtp.office365.com:465", "... over smtps");
	ok(srv.user != NULL && strcmp(srv.user, "support@example.com") == 0 &&
	    srv.password != NULL && strcmp(srv.password, "s3cret") == 0 &&
	    srv.tls_verify == 0 && srv.timeout == 60,
	    "... with its account, tls_verify and delivery.timeout");
	is_str(smtp_server_as(&srv, cfg, "billing@example.com"),
	    "mailacd-router@relay.example",
	    "smtp_server_as: no server of its own, delivery.sender");
	is_str(srv.name, "smtp://relay.example:587",
	    "... through delivery.relay");
	ok(srv.user != NULL && strcmp(srv.user, "router") == 0 &&
	    srv.starttls == CFG_TLS_REQUIRE, "... with the relay's login");
	smtp_server_own(&srv, g->smtp, 30);
	is_str(srv.url, "smtp://smtp.example.net:587",
	    "smtp_server_own: STARTTLS on smtp://");
	ok(srv.starttls == CFG_TLS_REQUIRE && srv.timeout == 30,
	    "... required, within the timeout given");
	cfg_unref(cfg);
}

static void
test_errors(void)
{
	char	text[4096];
	static const char *const want[] = {
		"6: organizations[acme].agents[alice].smtp.password: required "
		    "setting is missing (or password_file)",
		"7: organizations[acme].agents[bob].smtp.user = \"bob:x\": must "
		    "not contain spaces, control characters or ':' (Postfix's "
		    "password map is USER:PASSWORD)",
		"8: organizations[acme].agents[carol].smtp.password_file: "
		    "password and password_file exclude each other: keep one",
		"10: organizations[acme].domains[example.com].addresses["
		    "a@example.com].smtp.tls = \"none\": the user and password "
		    "would cross the network in clear text to smtp.example.net: "
		    "use \"implicit\" or \"starttls\" (\"none\" is for a server "
		    "on loopback)",
		"11: organizations[acme].domains[example.com].addresses["
		    "b@example.com].smtp.password: must not begin or end with a "
		    "space",
		"12: organizations[acme].domains[example.com].addresses["
		    "c@example.com].smtp.port = 0: must be between 1 and 65535",
		NULL,	/* w6: names the temporary directory */
		"14: organizations[acme].domains[example.com].addresses["
		    "e@example.com].smtp.server: required setting is missing",
		NULL
	};
	char	w6[1024];
	const char *w[9];
	size_t	i;

	write_file("open.pass", "open\n", 0644);
	snprintf(text, sizeof(text), HEAD
	    "agents = (\n"
	    "{ id = \"alice\"; address = \"alice@agents.example\"; queues = [ \"q\" ];\n"
	    "  smtp = { server = \"127.0.0.1\"; user = \"u\"; }; },\n"
	    "{ id = \"bob\"; address = \"bob@agents.example\"; queues = [ \"q\" ]; smtp = { server = \"127.0.0.1\"; user = \"bob:x\"; password = \"p\"; }; },\n"
	    "{ id = \"carol\"; address = \"carol@agents.example\"; queues = [ \"q\" ]; smtp = { server = \"127.0.0.1\"; user = \"c\"; password = \"p\"; password_file = \"/etc/hostname\"; }; } );\n"
	    "domains = ( { name = \"example.com\"; addresses = (\n"
	    "{ address = \"a@example.com\"; queue = \"q\"; smtp = { server = \"smtp.example.net\"; tls = \"none\"; user = \"u\"; password = \"p\"; }; },\n"
	    "{ address = \"b@example.com\"; queue = \"q\"; smtp = { server = \"127.0.0.1\"; user = \"u\"; password = \" p\"; }; },\n"
	    "{ address = \"c@example.com\"; queue = \"q\"; smtp = { server = \"127.0.0.1\"; port = 0; user = \"u\"; password = \"p\"; }; },\n"
	    "{ address = \"d@example.com\"; queue = \"q\"; smtp = { server = \"127.0.0.1\"; user = \"u\"; password_file = \"%s/open.pass\"; }; },\n"
	    "{ address = \"e@example.com\"; queue = \"q\"; smtp = { user = \"u\"; password = \"p\"; }; } ); } );\n"
	    "} );\n", tmpdir);
	snprintf(w6, sizeof(w6), "13: organizations[acme].domains["
	    "example.com].addresses[d@example.com].smtp.password_file = "
	    "\"%s/open.pass\": holds a password, but can be read or written "
	    "by others (mode 0644): expected e.g. root:mailacd 0640", tmpdir);
	for (i = 0; i < 9; i++)
		w[i] = i == 6 ? w6 : want[i];
	expect("mistakes in smtp groups", text, w);
}

static void
test_secret_mode(void)
{
	struct cfg_errors errs;
	struct cfg *cfg;
	const char *path;

	path = write_file("mailacd.conf", HEAD
	    "agents = ( { id = \"a\"; address = \"a@agents.example\"; queues = [ \"q\" ];\n"
	    "  smtp = { server = \"127.0.0.1\"; user = \"u\"; password = \"p\"; }; } );\n"
	    "} );\n", 0644);
	memset(&errs, 0, sizeof(errs));
	cfg = cfg_load(path, &errs);
	ok(cfg == NULL, "a password in a file others can read: refused");
	ok(errs.n == 1 && strstr(errs.msg[0], ":5: organizations[acme]."
	    "agents[a].smtp.password: is a secret, but ") != NULL &&
	    strstr(errs.msg[0], "can be read by others (mode 0644") != NULL,
	    "... naming the setting and its line (%s)",
	    errs.n ? errs.msg[0] : "none");
	ok(errs.n == 1 && strstr(errs.msg[0], "\"p\"") == NULL,
	    "... without the password");
	cfg_unref(cfg);
	cfg_errors_clear(&errs);
}

static void
test_maps(void)
{
	char	text[4096], *t[IDENT_NMAPS], err[600];
	struct cfg_errors errs;
	struct cfg *cfg;
	int	n = -1, m;

	snprintf(text, sizeof(text), HEAD
	    "agents = ( { id = \"alice\"; address = \"alice@agents.example\";\n"
	    "  queues = [ \"q\" ]; smtp = { server = \"127.0.0.1\"; port = 2525;\n"
	    "  tls = \"none\"; user = \"alice\"; password = \"pw:a b\"; }; },\n"
	    "  { id = \"bob\"; address = \"bob@agents.example\"; queues = [ \"q\" ]; } );\n"
	    "domains = ( { name = \"example.com\"; bounce_domain = \"b.example.com\";\n"
	    "  addresses = (\n"
	    "  { address = \"support@example.com\"; queue = \"q\";\n"
	    "    smtp = { server = \"smtp.office365.com\"; user = \"support@example.com\";\n"
	    "      password = \"s1\"; }; },\n"
	    "  { address = \"sales@example.com\"; queue = \"q\";\n"
	    "    smtp = { server = \"smtp.gmail.com\"; tls = \"implicit\";\n"
	    "      ca_file = \"/etc/ca.pem\"; user = \"sales\"; password = \"s2\"; }; },\n"
	    "  { address = \"off@example.com\"; queue = \"q\"; enabled = false;\n"
	    "    smtp = { server = \"smtp.gmail.com\"; user = \"off\"; password = \"s3\"; }; },\n"
	    "  { address = \"billing@example.com\"; queue = \"q\"; } ); } );\n"
	    "} );\n");
	if ((cfg = load(text, &errs)) == NULL) {
		ok(0, "the maps' configuration loads (%s)",
		    errs.n ? errs.msg[0] : "?");
		cfg_errors_clear(&errs);
		return;
	}
	ok(cfg->warnings.n == 3 && strstr(cfg->warnings.msg[0], ":11: "
	    "organizations[acme].domains[example.com].addresses["
	    "support@example.com].smtp: warning: with bounce_domain, the "
	    "envelope sender is on b.example.com, which smtp.office365.com "
	    "may refuse to send as") != NULL,
	    "a bounce domain with an own server: a warning (%s)",
	    cfg->warnings.n ? cfg->warnings.msg[0] : "none");
	is_int(maps(cfg, t, &n, err, sizeof(err)), 0, "ident_maps succeeds");
	is_str(t[IDENT_MAP_RELAY],
	    "support@example.com [smtp.office365.com]:587\n"
	    "support@b.example.com [smtp.office365.com]:587\n"
	    "sales@example.com [smtp.gmail.com]:465\n"
	    "sales@b.example.com [smtp.gmail.com]:465\n"
	    "alice@agents.example [127.0.0.1]:2525\n",
	    "relay hosts by envelope sender, the bounce address too, no "
	    "disabled address, no identity without a server");
	is_str(t[IDENT_MAP_SASL],
	    "support@example.com support@example.com:s1\n"
	    "support@b.example.com support@example.com:s1\n"
	    "sales@example.com sales:s2\n"
	    "sales@b.example.com sales:s2\n"
	    "alice@agents.example alice:pw:a b\n",
	    "user:password by envelope sender");
	is_str(t[IDENT_MAP_POLICY],
	    "[smtp.office365.com]:587 secure\n"
	    "[smtp.gmail.com]:465 secure tafile=/etc/ca.pem\n"
	    "[127.0.0.1]:2525 none\n",
	    "one TLS policy per server");
	is_str(t[IDENT_MAP_TRANSPORT],
	    "sales@example.com mailacd-smtps:[smtp.gmail.com]:465\n"
	    "sales@b.example.com mailacd-smtps:[smtp.gmail.com]:465\n",
	    "implicit TLS through the wrapper-mode transport");
	ok(n > 0, "implicit TLS counted");
	ok(strstr(t[IDENT_MAP_RELAY], "s1") == NULL &&
	    strstr(t[IDENT_MAP_POLICY], "s2") == NULL &&
	    strstr(t[IDENT_MAP_TRANSPORT], "pw:a") == NULL,
	    "passwords only in the password map");
	for (m = 0; m < IDENT_NMAPS; m++)
		free(t[m]);
	is_str(ident_map_name(IDENT_MAP_SASL), "sasl_passwd", "map file name");
	is_str(ident_map_param(IDENT_MAP_RELAY),
	    "sender_dependent_relayhost_maps", "map parameter");
	cfg_unref(cfg);

	/* two identities, one server, two TLS settings */
	snprintf(text, sizeof(text), HEAD
	    "agents = ( { id = \"a\"; address = \"a@agents.example\"; queues = [ \"q\" ];\n"
	    "  smtp = { server = \"smtp.x.example\"; user = \"a\"; password = \"p\"; }; },\n"
	    "  { id = \"b\"; address = \"b@agents.example\"; queues = [ \"q\" ];\n"
	    "  smtp = { server = \"smtp.x.example\"; tls_verify = false; user = \"b\"; password = \"p\"; }; } );\n"
	    "} );\n");
	if ((cfg = load(text, &errs)) == NULL) {
		ok(0, "the conflict's configuration loads");
		cfg_errors_clear(&errs);
		return;
	}
	is_int(maps(cfg, t, &n, err, sizeof(err)), -1,
	    "one server with two TLS settings: refused");
	is_str(err, "b: server [smtp.x.example]:587 is also used with other "
	    "TLS settings (secure, not encrypt): one server, one tls, "
	    "tls_verify and ca_file", "... saying which");
	for (m = 0; m < IDENT_NMAPS; m++)
		free(t[m]);
	cfg_unref(cfg);
}

int
main(void)
{
	char	path[600];

	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return (1);
	}
	test_load();
	test_errors();
	test_secret_mode();
	test_maps();
	snprintf(path, sizeof(path), "rm -rf '%s'", tmpdir);
	if (system(path) != 0)
		printf("# could not remove %s\n", tmpdir);
	return (done_testing());
}
