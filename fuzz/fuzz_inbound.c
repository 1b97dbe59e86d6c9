/* fuzz_inbound.c - libFuzzer target for the inbound decision over a whole
 * message (milter/inbound.c), fed as the milter callbacks feed it: the
 * envelope sender, each recipient, each header, the end of headers, the
 * body, then the end of message (the verdict, inb_decide: ids,
 * idempotency keys, the decoded text, thread keys, customer and original
 * recipient of each interaction; the edits with their routing headers).
 *
 * The input is framed like an SMTP transaction written down:
 *
 *	sender LF  recipient LF ...  LF          (envelope; CR before LF ok)
 *	Name: value LF [SP or HT continuation LF] ...  LF   (header section)
 *	body ...
 *
 * A header line without a colon ends the header section and starts the
 * body, as in Postfix.  The configuration is built in (written to a 0600
 * temporary file and loaded with cfg_load at start): two domains, a
 * catch-all, a forwarding queue that keeps a copy, a redirect domain, reply
 * tokens and an agent roster.  The copy is capped at 4096 octets (the
 * milter passes delivery.max_size, at least 64 KiB) so that fuzz inputs
 * reach the over-limit path. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "edit.h"
#include "hdr.h"
#include "inbound.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_RCPTS	8	/* recipients taken from one input */
#define FUZZ_COPY_MAX	4096
#define FUZZ_CHUNK	1000	/* body octets per inb_body call */

static const char fuzz_conf[] =
    "milter = { socket = \"inet:8891@127.0.0.1\"; };\n"
    "matching = { subaddress_separators = \"+-\"; };\n"
    "outbound = { token_secret = \"fuzz-secret-0123456789abcdef\"; };\n"
    "organizations = (\n"
    " { id = \"acme\";\n"
    "   queues = ( { name = \"support\"; }, { name = \"billing\"; },\n"
    "              { name = \"sales\"; delivery = \"forward\";\n"
    "                new_thread = \"merge\"; } );\n"
    "   domains = (\n"
    "    { name = \"example.com\";\n"
    "      catch_all = { queue = \"support\"; };\n"
    "      addresses = (\n"
    "       { address = \"support@example.com\"; queue = \"support\";\n"
    "         skills = [ \"general\", \"tier1\" ]; language = \"en\";\n"
    "         priority = 10; },\n"
    "       { address = \"Billing@Example.com\"; queue = \"billing\";\n"
    "         priority = 20; },\n"
    "       { address = \"ventas@example.com\"; queue = \"sales\";\n"
    "         skills = [ \"sales\", \"es\" ]; language = \"es\"; },\n"
    "       { address = \"off@example.com\"; queue = \"support\";\n"
    "         enabled = false; },\n"
    "       { address = \"noreply@example.com\"; queue = \"support\";\n"
    "         direction = \"outbound\"; }\n"
    "      ); },\n"
    "    { name = \"xn--bcher-kva.example\";\n"
    "      addresses = ( { address = \"help@xn--bcher-kva.example\";\n"
    "                      queue = \"support\"; } ); },\n"
    "    { name = \"acme-redirect.example\"; inbound = \"redirect\";\n"
    "      addresses = ( { address = \"support@acme-redirect.example\";\n"
    "                      queue = \"sales\"; } ); }\n"
    "   );\n"
    "   agents = (\n"
    "    { id = \"alice\"; address = \"alice@corp.example.com\";\n"
    "      queues = [ \"support\", \"sales\" ]; } );\n"
    " }\n"
    ");\n";

static struct cfg *fuzz_cfg;

/* LLVMFuzzerInitialize - GMime, and the configuration loaded once */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	path[] = "/tmp/fuzz_inbound.XXXXXX";
	struct cfg_errors errs = { 0 };
	size_t	i;
	int	fd;

	(void)argc;
	(void)argv;
	hdr_init();
	if ((fd = mkstemp(path)) < 0 ||
	    write(fd, fuzz_conf, sizeof(fuzz_conf) - 1) !=
	    (ssize_t)(sizeof(fuzz_conf) - 1)) {
		perror("fuzz_inbound: temporary configuration");
		exit(1);
	}
	close(fd);
	fuzz_cfg = cfg_load(path, &errs);
	unlink(path);
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "fuzz_inbound: %s\n", errs.msg[i]);
	cfg_errors_clear(&errs);
	if (fuzz_cfg == NULL)
		exit(1);
	return (0);
}

/* fuzz_line - the next line of [*P, END) as a new string without its CR LF
 * (NULL at the end); *P moves past it */
static char *
fuzz_line(const char **p, const char *end)
{
	const char *s = *p, *nl;
	size_t	len;
	char	*out;

	if (s >= end)
		return (NULL);
	nl = memchr(s, '\n', (size_t)(end - s));
	len = nl != NULL ? (size_t)(nl - s) : (size_t)(end - s);
	*p = nl != NULL ? nl + 1 : end;
	if (len > 0 && s[len - 1] == '\r')
		len--;
	if ((out = malloc(len + 1)) == NULL)
		abort();
	memcpy(out, s, len);
	out[len] = '\0';
	return (out);
}

/* fuzz_header - the next header of [*P, END) unfolded into NAME and VALUE
 * (continuation lines joined with LF, as Postfix passes them); 0, or -1 at
 * the end of the header section (*P then at the body) */
static int
fuzz_header(const char **p, const char *end, char **name, char **value)
{
	const char *start = *p;
	char	*line, *colon, *v, *more, *joined;
	size_t	len;

	if ((line = fuzz_line(p, end)) == NULL)
		return (-1);
	if (line[0] == '\0' || (colon = strchr(line, ':')) == NULL ||
	    colon == line) {
		if (line[0] != '\0')
			*p = start;	/* not a header: the body starts here */
		free(line);
		return (-1);
	}
	*colon = '\0';
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	if ((*value = strdup(v)) == NULL)
		abort();
	while (*p < end && (**p == ' ' || **p == '\t')) {
		more = fuzz_line(p, end);
		len = strlen(*value) + strlen(more) + 2;
		if ((joined = malloc(len)) == NULL)
			abort();
		snprintf(joined, len, "%s\n%s", *value, more);
		free(*value);
		free(more);
		*value = joined;
	}
	*name = line;
	return (0);
}

/* fuzz_stamp_ok - the routing header: no CR, lines within HDR_LINE_MAX,
 * LF only before a continuation */
static void
fuzz_stamp_ok(const char *s)
{
	size_t	col = sizeof(HDR_INTERACTION ": ") - 1;

	for (; *s != '\0'; s++) {
		if (*s == '\r' || (*s == '\n' && s[1] != '\t' && s[1] != ' '))
			abort();
		col = *s == '\n' ? 0 : col + 1;
		if (col > HDR_LINE_MAX)
			abort();
	}
}

/* fuzz_rcpt_after - the per-interaction work of the end of message */
static void
fuzz_rcpt_after(const struct inb_msg *m, const struct inb_rcpt *r)
{
	struct inb_threads th;
	char	out[512], *stamp;

	if ((stamp = inb_stamp(r)) != NULL) {
		fuzz_stamp_ok(stamp);
		free(stamp);
	}
	if (inb_threads(m, r, &th) == 0 && th.nrefs > INB_THREAD_REFS)
		abort();
	if (inb_customer(m, r, out, sizeof(out)) == 0 &&
	    strlen(out) >= sizeof(out))
		abort();
	/* what inb_decide kept is what the functions answer */
	if (strcmp(out, r->customer) != 0 && r->customer[0] != '\0')
		abort();
	(void)inb_original(m, r, out, sizeof(out));
	if (strlen(out) >= sizeof(out) || strcmp(out, r->original) != 0)
		abort();
	if (strlen(r->open_key) != 64 || strlen(r->rate_key) != 64 ||
	    r->threads.nrefs > INB_THREAD_REFS)
		abort();
}

/* LLVMFuzzerTestOneInput - one message through the inbound decision */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct inb_msg m;
	struct edits e = { 0 };
	char	*line, *name, *value, err[256];
	size_t	i, n;
	int	nrcpt = 0, rc;

	memset(&m, 0, sizeof(m));
	inb_reset(&m);
	snprintf(m.qid, sizeof(m.qid), "4XyZ1");
	if ((line = fuzz_line(&p, end)) == NULL)
		return (0);
	rc = inb_sender(&m, line);
	free(line);
	if (rc != 0)
		goto out;
	while ((line = fuzz_line(&p, end)) != NULL && line[0] != '\0') {
		if (nrcpt++ < FUZZ_RCPTS) {
			rc = inb_rcpt(&m, fuzz_cfg, line);
			if (rc == INB_REFUSE && (m.refuse_code == NULL ||
			    m.refuse_text[0] == '\0'))
				abort();
		}
		free(line);
	}
	free(line);
	inb_capture(&m, FUZZ_COPY_MAX);
	while (fuzz_header(&p, end, &name, &value) == 0) {
		rc = inb_header(&m, name, value);
		free(name);
		free(value);
		if (rc != 0)
			goto out;
	}
	if (inb_eoh(&m) != 0)
		goto out;
	for (; p < end; p += n) {
		n = (size_t)(end - p) < FUZZ_CHUNK ? (size_t)(end - p) :
		    FUZZ_CHUNK;
		if (inb_body(&m, (const unsigned char *)p, n) != 0)
			goto out;
	}
	if (m.copy_hdr > m.copy_len || (m.copy != NULL && m.copy_complete &&
	    m.copy_len > FUZZ_COPY_MAX))
		abort();
	if (inb_verdict(&m, 0) > INB_ROUTE)
		abort();
	if (inb_decide(&m, fuzz_cfg, err, sizeof(err)) != 0)
		goto out;
	for (i = 0; i < m.nrcpts; i++)
		fuzz_rcpt_after(&m, &m.rcpts[i]);
	if (inb_edits(&m, 1, &e) != 0)
		goto out;
	for (i = 0; i < e.n; i++)
		if (e.v[i].kind == EDIT_HDR_ADD)
			fuzz_stamp_ok(e.v[i].value);
out:
	edit_reset(&e);
	inb_reset(&m);
	return (0);
}
