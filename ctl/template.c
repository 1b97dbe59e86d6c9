/* template.c - "mailacdctl template preview": the raw message a customer
 * would receive from a registered address, for a sample interaction, so
 * that an administrator sees the templates at work before a reload.
 * Without --response or --ack it is an agent's sample reply (the first
 * of its interaction) dressed as the milter dresses it: header, footer,
 * the agent's signature with --agent, the contact card.  With --response
 * NAME or --ack it is that response as the router composes it
 * (respond.c), then dressed the same way.  The same code as the daemons;
 * only the configuration is read. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>

#include "addr.h"
#include "dress.h"
#include "hdr.h"
#include "hours.h"
#include "respond.h"
#include "template.h"

#define TP_ID	"0f1e2d3c4b5a69788796a5b4c3d2e1f0"	/* sample interaction */

/* tp_usage - the synopsis on stderr; EX_USAGE */
static int
tp_usage(void)
{
	fprintf(stderr, "usage: mailacdctl [-c file] template preview address "
	    "[--agent id]\n"
	    "                  [--response name | --ack]\n"
	    "  --agent id       the agent who answers (name, signature)\n"
	    "  --response name  the standard response NAME of the library\n"
	    "  --ack            the address's acknowledgement\n");
	return (EX_USAGE);
}

/* tp_write - MSG (headers, blank line, body; CRLF) to stdout with its
 * top-level MIME headers as D says, when D dressed it */
static void
tp_write(const char *msg, size_t len, const struct dress_out *d)
{
	const char *p, *eoh, *line;
	int	skip = 0, mv = 0;

	if (d == NULL || d->body == NULL) {
		fwrite(msg, 1, len, stdout);
		return;
	}
	if ((eoh = strstr(msg, "\r\n\r\n")) == NULL)
		eoh = msg + len;
	for (p = msg; p < eoh; ) {
		line = p;
		if ((p = strstr(line, "\r\n")) == NULL || p > eoh)
			p = eoh;
		else
			p += 2;
		if (*line != ' ' && *line != '\t')
			skip = strncasecmp(line, "Content-Type:", 13) == 0 ||
			    strncasecmp(line, "Content-Transfer-Encoding:",
			    26) == 0;
		if (strncasecmp(line, "MIME-Version:", 13) == 0)
			mv = 1;
		if (!skip)
			fwrite(line, 1, (size_t)(p - line), stdout);
	}
	if (!mv)
		fputs("MIME-Version: 1.0\r\n", stdout);
	fputs("Content-Type: ", stdout);
	for (p = d->ctype; *p != '\0'; p++) {
		if (*p == '\n')
			putchar('\r');
		putchar(*p);
	}
	fputs("\r\n", stdout);
	if (d->cte != NULL)
		printf("Content-Transfer-Encoding: %s\r\n", d->cte);
	fputs("\r\n", stdout);
	fwrite(d->body, 1, d->bodylen, stdout);
}

/* tp_reply - the sample reply an agent writes to the customer, as their
 * mail client would send it; malloc'd */
static char *
tp_reply(const struct cfg_address *a, time_t now, size_t *lenp)
{
	char	date[64], *from, *s;
	struct tm tm;
	size_t	n;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	if ((from = hdr_format_mailbox(a->display_name, a->address)) == NULL)
		return (NULL);
	n = strlen(from) + strlen(a->address) + 1024;
	if ((s = malloc(n)) == NULL) {
		free(from);
		return (NULL);
	}
	*lenp = (size_t)snprintf(s, n,
	    "From: %s\r\n"
	    "To: Ana Example <customer@example.net>\r\n"
	    "Subject: Re: Sample question\r\n"
	    "Date: %s\r\n"
	    "Message-ID: <preview-reply@%s>\r\n"
	    "In-Reply-To: <preview-question@example.net>\r\n"
	    "References: <preview-question@example.net>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/alternative; boundary=\"=_preview\"\r\n"
	    "\r\n"
	    "--=_preview\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "\r\n"
	    "This is where the agent's answer goes.\r\n"
	    "--=_preview\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n"
	    "\r\n"
	    "<html><body><p>This is where the agent's answer goes.</p>"
	    "</body></html>\r\n"
	    "--=_preview--\r\n", from, date, a->domain->name);
	free(from);
	return (s);
}

/* template_cmd - "template preview ..." */
int
template_cmd(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "agent", required_argument, NULL, 'a' },
		{ "response", required_argument, NULL, 'r' },
		{ "ack", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cfg_address *a;
	const struct cfg_response *resp = NULL;
	const struct cfg_agent *agent = NULL;
	const struct cfg_queue *q;
	struct respond_in ri;
	struct dress_in di;
	struct dress_out dout;
	struct addr ad;
	const char *agent_id = NULL, *rname = NULL;
	char	key[ADDR_MAX + 2], err[128], why[512], idate[128], opens[128];
	char	mid[300], *msg = NULL;
	time_t	now = time(NULL), t;
	size_t	len = 0, i;
	int	ch, ack = 0, rc;

	if (argc < 2 || strcmp(argv[1], "preview") != 0) {
		ctl_errx("template: %s", argc < 2 ?
		    "missing subcommand (preview)" : "unknown subcommand");
		return (tp_usage());
	}
	argc--;
	argv++;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			agent_id = optarg;
			break;
		case 'r':
			rname = optarg;
			break;
		case 'k':
			ack = 1;
			break;
		default:
			ctl_errx("template preview: unknown option or missing "
			    "argument");
			return (tp_usage());
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1) {
		ctl_errx("template preview: name one address");
		return (tp_usage());
	}
	if (rname != NULL && ack) {
		ctl_errx("template preview: --response and --ack exclude "
		    "each other");
		return (tp_usage());
	}
	if (addr_canon(argv[0], &ad, err, sizeof(err)) != 0 ||
	    (a = cfg_match_address(ctl->cfg, ad.local, ad.domain, key,
	    sizeof(key))) == NULL) {
		ctl_errx("template preview: %s is not a registered address in "
		    "%s", argv[0], ctl->file);
		return (CTL_EX_NOTFOUND);
	}
	if (agent_id != NULL) {
		for (i = 0; i < a->org->nagents; i++)
			if (strcmp(a->org->agents[i].id, agent_id) == 0)
				agent = &a->org->agents[i];
		if (agent == NULL) {
			ctl_errx("template preview: no agent %s in organization "
			    "%s", agent_id, a->org->id);
			return (CTL_EX_NOTFOUND);
		}
	}
	if (rname != NULL && (resp = cfg_response_find(a->org, rname)) ==
	    NULL) {
		ctl_errx("template preview: no response %s in organization %s",
		    rname, a->org->id);
		return (CTL_EX_NOTFOUND);
	}
	if (ack && (resp = a->ackp) == NULL) {
		ctl_errx("template preview: %s has no acknowledgement (ack)",
		    a->address);
		return (CTL_EX_NOTFOUND);
	}
	hdr_init();

	/* the sample interaction */
	memset(&di, 0, sizeof(di));
	di.vars.v[TV_CUSTOMER_NAME] = "Ana Example";
	di.vars.v[TV_CUSTOMER_ADDRESS] = "customer@example.net";
	di.vars.v[TV_INTERACTION_ID] = TP_ID;
	di.vars.v[TV_REFERENCE] = "0F1E2D3C";
	di.vars.v[TV_SUBJECT] = "Sample question";
	di.vars.v[TV_QUEUE] = a->route.queue != NULL ? a->route.queue :
	    a->route.flow;
	tmpl_date(a->org, now - 3600, idate, sizeof(idate));
	di.vars.v[TV_INTERACTION_DATE] = idate;
	di.vars.v[TV_WAIT] = "15 minutes";
	if (a->route.queue != NULL &&
	    (q = cfg_find_queue(a->org, a->route.queue)) != NULL &&
	    q->sched != NULL && (t = hours_next_open(q->sched, now)) != 0) {
		tmpl_date(a->org, t, opens, sizeof(opens));
		di.vars.v[TV_OPENS] = opens;
	}
	if (agent != NULL)
		di.vars.v[TV_AGENT_NAME] = agent->name != NULL ? agent->name :
		    agent->id;
	di.channel = a;
	di.agent = agent;
	di.card = (resp == NULL || ack);
	di.now = now;

	if (resp != NULL) {
		memset(&ri, 0, sizeof(ri));
		ri.cfg = ctl->cfg;
		ri.channel = a;
		ri.response = resp;
		ri.to = "customer@example.net";
		ri.to_name = "Ana Example";
		ri.in_reply_to = "<preview-question@example.net>";
		ri.automatic = ack;
		snprintf(mid, sizeof(mid), "<preview-%s@%s>", ack ? "ack" :
		    resp->name, a->domain->name);
		ri.message_id = mid;
		ri.now = now;
		ri.vars = di.vars;
		if ((msg = respond_compose(&ri, &len, why, sizeof(why))) ==
		    NULL) {
			ctl_errx("template preview: %s", why);
			return (EX_SOFTWARE);
		}
		/* an automatic message has no agent behind it */
		if (ack)
			di.agent = NULL;
	} else if ((msg = tp_reply(a, now, &len)) == NULL) {
		ctl_errx("out of memory");
		return (EX_OSERR);
	}
	rc = dress_message(&di, msg, len, &dout, why, sizeof(why));
	if (rc == DRESS_ERROR) {
		ctl_errx("template preview: %s", why);
		free(msg);
		return (EX_SOFTWARE);
	}
	tp_write(msg, len, rc == DRESS_CHANGED ? &dout : NULL);
	dress_out_free(&dout);
	free(msg);
	return (ferror(stdout) || fflush(stdout) != 0 ? EX_IOERR : 0);
}
