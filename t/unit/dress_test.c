/* dress_test.c - the dressing of outbound mail (dress.c) as a filter for
 * t/0172-dress.t, whose checks parse what it writes with python3's email
 * package (an independent reader):
 *
 *   dress_test CONF ADDRESS AGENT|- CARD RESPONSES < message > dressed
 *
 * dresses the message (LF or CRLF lines) as mail of registered ADDRESS
 * from AGENT (an id, or - for none), with the contact card when CARD is 1
 * and "#response" lines expanded when RESPONSES is 1, and writes the
 * whole message back with CRLF: the headers but the top-level
 * Content-Type and Content-Transfer-Encoding, the new ones, the body.
 * Exit 0: dressed, 1: unchanged, 2: sealed (signed or encrypted),
 * 3: unknown response, 4: error; what dress_message said on stderr.
 *
 *   dress_test --respond CONF ADDRESS RESPONSE TO TO_NAME IRT REFS AUTO
 *              MSGID SUBJECT
 *
 * writes what respond_compose makes of response RESPONSE of ADDRESS's
 * organisation for customer TO (TO_NAME, IRT, REFS: "-" for none; AUTO 1
 * for an acknowledgement; SUBJECT the interaction's subject), at the same
 * fixed time; exit 0, or 4 with why on stderr.
 *
 * DRESS_REPEAT=N in the environment dresses the message N times (the
 * output is the last), for instruction counts of one dressing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cfg.h"
#include "dress.h"
#include "hdr.h"
#include "respond.h"

/* read_all - stdin, with LF line ends made CRLF */
static char *
read_all(size_t *lenp)
{
	size_t	cap = 1 << 16, n = 0;
	char	*b = malloc(cap), *o;
	int	c, prev = 0;
	size_t	k = 0;

	while ((c = getchar()) != EOF) {
		if (n + 2 >= cap)
			b = realloc(b, cap *= 2);
		if (c == '\n' && prev != '\r')
			b[n++] = '\r';
		b[n++] = (char)c;
		prev = c;
	}
	b[n] = '\0';
	o = b;
	(void)k;
	*lenp = n;
	return (o);
}

/* skip_header - the header named NAME at P (and its continuation
 * lines) is one we replace */
static int
replaced(const char *p)
{
	return (strncasecmp(p, "Content-Type:", 13) == 0 ||
	    strncasecmp(p, "Content-Transfer-Encoding:", 26) == 0);
}

/* arg - "-" is NULL */
static const char *
arg(const char *s)
{
	return (strcmp(s, "-") == 0 ? NULL : s);
}

/* respond - the --respond mode */
static int
respond(char **argv)
{
	struct cfg_errors errs = { 0 };
	struct cfg *cfg;
	struct respond_in in;
	const struct cfg_address *a;
	char	why[512], *out;
	size_t	len, i;

	hdr_init();
	if ((cfg = cfg_load(argv[0], &errs)) == NULL) {
		for (i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		return (4);
	}
	if ((a = cfg_find_address(cfg, argv[1])) == NULL) {
		fprintf(stderr, "%s: not a registered address\n", argv[1]);
		return (4);
	}
	memset(&in, 0, sizeof(in));
	in.cfg = cfg;
	in.channel = a;
	if ((in.response = cfg_response_find(a->org, argv[2])) == NULL) {
		fprintf(stderr, "%s: no such response\n", argv[2]);
		return (4);
	}
	in.to = arg(argv[3]);
	in.to_name = arg(argv[4]);
	in.in_reply_to = arg(argv[5]);
	in.references = arg(argv[6]);
	in.automatic = atoi(argv[7]);
	in.message_id = arg(argv[8]);
	in.now = 1796373000L;
	in.vars.v[TV_SUBJECT] = arg(argv[9]);
	in.vars.v[TV_CUSTOMER_NAME] = in.to_name;
	in.vars.v[TV_REFERENCE] = "R-7K2Q";
	if ((out = respond_compose(&in, &len, why, sizeof(why))) == NULL) {
		fprintf(stderr, "%s\n", why);
		cfg_unref(cfg);
		return (4);
	}
	fwrite(out, 1, len, stdout);
	free(out);
	cfg_unref(cfg);
	return (0);
}

int
main(int argc, char **argv)
{
	struct cfg_errors errs = { 0 };
	struct cfg *cfg;
	struct dress_in in;
	struct dress_out out;
	const struct cfg_address *a;
	char	why[512], *msg, key[600];
	const char *p, *eoh, *line;
	size_t	len, i;
	int	rc, skip = 0, mimever = 0;

	if (argc == 12 && strcmp(argv[1], "--respond") == 0)
		return (respond(argv + 2));
	if (argc != 6) {
		fprintf(stderr, "usage: dress_test CONF ADDRESS AGENT|- CARD "
		    "RESPONSES < message\n");
		return (4);
	}
	hdr_init();
	if ((cfg = cfg_load(argv[1], &errs)) == NULL) {
		for (i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		return (4);
	}
	snprintf(key, sizeof(key), "%s", argv[2]);
	for (i = 0; key[i] != '\0'; i++)
		if (key[i] >= 'A' && key[i] <= 'Z')
			key[i] = (char)(key[i] - 'A' + 'a');
	if ((a = cfg_find_address(cfg, key)) == NULL) {
		fprintf(stderr, "%s: not a registered address\n", argv[2]);
		return (4);
	}
	memset(&in, 0, sizeof(in));
	in.channel = a;
	if (strcmp(argv[3], "-") != 0) {
		for (i = 0; i < a->org->nagents; i++)
			if (strcmp(a->org->agents[i].id, argv[3]) == 0)
				in.agent = &a->org->agents[i];
		if (in.agent == NULL) {
			fprintf(stderr, "%s: no such agent\n", argv[3]);
			return (4);
		}
	}
	in.card = atoi(argv[4]);
	in.responses = atoi(argv[5]);
	in.now = 1796373000L;	/* Friday 2026-12-04 08:30 UTC */
	in.vars.v[TV_CUSTOMER_NAME] = "Ana <Díaz> & Co";
	in.vars.v[TV_CUSTOMER_ADDRESS] = "ana@customer.test";
	in.vars.v[TV_REFERENCE] = "R-7K2Q";
	msg = read_all(&len);
	/* DRESS_REPEAT=N dresses N - 1 more times first (for callgrind's
	 * steady-state count of one dressing, bench/RESULTS.md) */
	for (i = 1; getenv("DRESS_REPEAT") != NULL &&
	    i < strtoul(getenv("DRESS_REPEAT"), NULL, 10); i++) {
		rc = dress_message(&in, msg, len, &out, why, sizeof(why));
		dress_out_free(&out);
	}
	rc = dress_message(&in, msg, len, &out, why, sizeof(why));
	fprintf(stderr, "%s\n", why);
	if (rc != DRESS_CHANGED) {
		fwrite(msg, 1, len, stdout);
		free(msg);
		cfg_unref(cfg);
		return (rc == DRESS_SAME ? 1 : rc == DRESS_SEALED ? 2 :
		    rc == DRESS_UNKNOWN ? 3 : 4);
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
			skip = replaced(line);
		if (strncasecmp(line, "MIME-Version:", 13) == 0)
			mimever = 1;
		if (!skip)
			fwrite(line, 1, (size_t)(p - line), stdout);
	}
	if (!mimever)
		printf("MIME-Version: 1.0\r\n");
	/* a header value handed to the MTA folds with LF alone: as CRLF */
	printf("Content-Type: ");
	for (p = out.ctype; *p != '\0'; p++) {
		if (*p == '\n')
			putchar('\r');
		putchar(*p);
	}
	printf("\r\n");
	if (out.cte != NULL)
		printf("Content-Transfer-Encoding: %s\r\n", out.cte);
	printf("\r\n");
	fwrite(out.body, 1, out.bodylen, stdout);
	dress_out_free(&out);
	free(msg);
	cfg_unref(cfg);
	return (0);
}
