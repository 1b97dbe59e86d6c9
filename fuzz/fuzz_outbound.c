/* fuzz_outbound.c - libFuzzer target for the outbound path
 * (milter/outbound.c, milter/sign.c, milter/reply.c, milter/gate.c) with
 * Redis's answers taken from the fuzz input: hiredis is replaced at the
 * link step by fuzz/hiredis_stub.c, so the product code runs unchanged.
 * The steps are those of milter/mlfi.c for mail a registered address or
 * an agent sends: out_start (sender and trust), out_header for each
 * header, out_eoh (the agent's From, the interaction answered, the domain
 * gate, the identity rule), out_body, then out_eom (the reply recorded,
 * the DKIM signature, the edits).  One difference: the first
 * X-MailACD-Interaction of the input is given to reply_find as the
 * header an internal client wrote (mlfi.c's out_value(HDR_INTERACTION)
 * is always NULL, as outbound.c keeps our headers apart), so that its
 * parsing is fuzzed too.
 *
 * Input: a control octet (bit 0: the client is on a trusted network,
 * bit 1: it authenticated, bit 2: the MTA service is ORIGINATING), a
 * 2-octet big-endian length and that many octets of Redis replies (see
 * hiredis_stub.c), then the message: the envelope sender on the first
 * line, the header section (continuation lines start with SP or HT), a
 * blank line and the body (its line ends made CR LF, as the MTA passes
 * them).  The configuration is built in, with an RSA
 * key made at start for the DKIM-signed domain. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "cfg.h"
#include "clock.h"
#include "edit.h"
#include "hdr.h"
#include "hiredis_stub.h"
#include "lookup.h"
#include "outbound.h"
#include "rds.h"
#include "reply.h"
#include "sign.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHUNK	1000	/* body octets per out_body call */

static const char fuzz_conf_fmt[] =
    "milter = { socket = \"inet:8891@127.0.0.1\"; };\n"
    "matching = { subaddress_separators = \"+\"; };\n"
    "outbound = { trusted_networks = [ \"127.0.0.0/8\", \"::1\" ];\n"
    "  trusted_daemons = [ \"ORIGINATING\" ];\n"
    "  token_secret = \"fuzz-secret-0123456789abcdef\"; };\n"
    "dns = { verification_secret = \"fuzz-verification-0123456789\"; };\n"
    "organizations = (\n"
    " { id = \"acme\";\n"
    "   queues = ( { name = \"support\"; },\n"
    "              { name = \"sales\"; delivery = \"forward\"; } );\n"
    "   domains = (\n"
    "    { name = \"example.com\";\n"
    "      dkim = { selector = \"s1\"; key_file = \"%s\"; };\n"
    "      bounce_domain = \"bounce.example.com\";\n"
    "      require_verification = true; rate_limit = 100;\n"
    "      addresses = (\n"
    "       { address = \"support@example.com\"; queue = \"support\";\n"
    "         display_name = \"Acme Support\"; },\n"
    "       { address = \"ventas@example.com\"; queue = \"sales\";\n"
    "         display_name = \"Acme Ventas\"; rewrite_from = true;\n"
    "         reply_to = \"ventas@example.com\"; },\n"
    "       { address = \"noreply@example.com\"; queue = \"support\";\n"
    "         direction = \"outbound\";\n"
    "         auto_submitted = \"auto-generated\"; }\n"
    "      ); },\n"
    "    { name = \"news.example.org\"; kind = \"notification\";\n"
    "      addresses = ( { address = \"news@news.example.org\";\n"
    "                      queue = \"support\"; } ); }\n"
    "   );\n"
    "   agents = (\n"
    "    { id = \"alice\"; address = \"alice@corp.example.com\";\n"
    "      queues = [ \"support\", \"sales\" ]; } );\n"
    " }\n"
    ");\n";

static struct cfg *fuzz_cfg;
static struct shard *fuzz_pool;
static int fuzz_verbose;	/* FUZZ_VERBOSE set: say how far it got */
static const char *fuzz_ixhdr;	/* the input's X-MailACD-Interaction */
static int (*fuzz_find_real)(void *, const struct cfg_address *,
    const char *, const char *, const char *, struct reply *, char *,
    size_t);

/* fuzz_key - a new RSA key in a 0600 temporary file named into PATH */
static void
fuzz_key(char *path)
{
	EVP_PKEY *pk;
	FILE	*f;
	int	fd;

	if ((pk = EVP_RSA_gen(2048)) == NULL || (fd = mkstemp(path)) < 0 ||
	    (f = fdopen(fd, "w")) == NULL ||
	    !PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL) ||
	    fclose(f) != 0) {
		fprintf(stderr, "fuzz_outbound: cannot make a DKIM key\n");
		exit(1);
	}
	EVP_PKEY_free(pk);
}

/* LLVMFuzzerInitialize - GMime, libopendkim, the configuration and a
 * Redis pool (whose connections the stub makes) */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	key[] = "/tmp/fuzz_outbound_key.XXXXXX";
	char	path[] = "/tmp/fuzz_outbound_conf.XXXXXX";
	struct cfg_errors errs = { 0 };
	size_t	i;
	FILE	*f;
	int	fd;

	(void)argc;
	(void)argv;
	fuzz_verbose = getenv("FUZZ_VERBOSE") != NULL;
	hdr_init();
	if (sign_init() != 0) {
		fprintf(stderr, "fuzz_outbound: sign_init failed\n");
		exit(1);
	}
	fuzz_key(key);
	if ((fd = mkstemp(path)) < 0 || (f = fdopen(fd, "w")) == NULL ||
	    fprintf(f, fuzz_conf_fmt, key) < 0 || fclose(f) != 0) {
		perror("fuzz_outbound: temporary configuration");
		exit(1);
	}
	fuzz_cfg = cfg_load(path, &errs);
	unlink(path);
	unlink(key);
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "fuzz_outbound: %s\n", errs.msg[i]);
	cfg_errors_clear(&errs);
	if (fuzz_cfg == NULL ||
	    (fuzz_pool = shard_new(fuzz_cfg, 0)) == NULL)
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

/* fuzz_crlf - the body [P, END) with CR LF line ends, as the MTA passes
 * it (a bare LF, or a bare CR, becomes CR LF); *LEN its length */
static char *
fuzz_crlf(const char *p, const char *end, size_t *len)
{
	char	*out;
	size_t	n = 0;

	if ((out = malloc(2 * (size_t)(end - p) + 1)) == NULL)
		return (NULL);
	for (; p < end; p++) {
		if (*p == '\r' || *p == '\n') {
			out[n++] = '\r';
			out[n++] = '\n';
			if (*p == '\r' && p + 1 < end && p[1] == '\n')
				p++;
		} else
			out[n++] = *p;
	}
	*len = n;
	return (out);
}

/* fuzz_value_ok - a header value we add: no CR, no NUL-less surprises,
 * LF only before a continuation, lines within HDR_LINE_MAX */
static void
fuzz_value_ok(const char *name, const char *v)
{
	size_t	col = strlen(name) + 2;

	if (v == NULL)
		return;
	for (; *v != '\0'; v++) {
		if (*v == '\r' || (*v == '\n' && v[1] != '\t' && v[1] != ' '))
			abort();
		col = *v == '\n' ? 0 : col + 1;
		if (col > HDR_LINE_MAX)
			abort();
	}
}

/* fuzz_find - reply_find, with the input's X-MailACD-Interaction as the
 * header an internal client wrote */
static int
fuzz_find(void *arg, const struct cfg_address *a, const char *ixhdr,
    const char *irt, const char *refs, struct reply *r, char *err,
    size_t errlen)
{
	return (fuzz_find_real(arg, a, ixhdr != NULL ? ixhdr : fuzz_ixhdr,
	    irt, refs, r, err, errlen));
}

/* fuzz_edits_ok - every header value we add passes fuzz_value_ok, and
 * the DKIM-Signature, when there is one, is the last edit */
static void
fuzz_edits_ok(const struct edits *e)
{
	size_t	i;

	for (i = 0; i < e->n; i++) {
		if (e->v[i].kind == EDIT_HDR_ADD ||
		    e->v[i].kind == EDIT_HDR_INSERT)
			fuzz_value_ok(e->v[i].name, e->v[i].value);
		if (e->v[i].kind == EDIT_HDR_INSERT && i + 1 != e->n)
			abort();
	}
}

/* LLVMFuzzerTestOneInput - one outbound message */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p, *end = (const char *)data + size;
	struct out_client cl;
	struct out_lookup look;
	struct out_msg o;
	struct edits e = { 0 };
	char	*line = NULL, *name, *value;
	char	*body, *bp, *ixhdr = NULL;
	size_t	rlen, n, blen;
	int	rc = 0, outcome = -1;

	if (size < 3)
		return (0);
	memset(&cl, 0, sizeof(cl));
	cl.family = AF_INET;
	inet_pton(AF_INET, data[0] & 1 ? "127.0.0.1" : "192.0.2.99", cl.addr);
	cl.auth = data[0] & 2 ? "alice" : NULL;
	cl.daemon = data[0] & 4 ? "ORIGINATING" : NULL;
	rlen = (size_t)data[1] << 8 | data[2];
	if (rlen > size - 3)
		rlen = size - 3;
	hiredis_stub_feed(data + 3, rlen);
	p = (const char *)data + 3 + rlen;
	lookup_redis(&look, fuzz_pool, NULL);
	fuzz_find_real = look.find;
	look.find = fuzz_find;

	memset(&o, 0, sizeof(o));
	if ((line = fuzz_line(&p, end)) == NULL)
		return (0);
	if (out_start(&o, fuzz_cfg, &cl, line, "4XyZ1") != 1)
		goto out;
	while (fuzz_header(&p, end, &name, &value) == 0) {
		if (ixhdr == NULL && strcasecmp(name, HDR_INTERACTION) == 0 &&
		    (ixhdr = strdup(value)) == NULL)
			abort();
		rc = out_header(&o, name, value);
		free(name);
		free(value);
		if (rc != 0)
			goto out;
	}
	fuzz_ixhdr = ixhdr;
	if (out_eoh(&o, fuzz_cfg, &look, clock_ms()) != 0)
		goto out;
	if ((body = fuzz_crlf(p, end, &blen)) == NULL)
		goto out;
	for (bp = body; bp < body + blen; bp += n) {
		n = (size_t)(body + blen - bp) < FUZZ_CHUNK ?
		    (size_t)(body + blen - bp) : FUZZ_CHUNK;
		(void)out_body(&o, (const unsigned char *)bp, n);
	}
	free(body);
	outcome = out_eom(&o, fuzz_cfg, &look, &e);
	if (outcome == OUT_SEND)
		fuzz_edits_ok(&e);
out:
	fuzz_ixhdr = NULL;
	free(ixhdr);
	if (fuzz_verbose)
		fprintf(stderr, "fuzz_outbound: %s: %s outcome %d, %zu edits, "
		    "%zu Redis commands%s%s\n", line ? line : "-",
		    out_label(&o), outcome, e.n, hiredis_stub_commands(),
		    o.refuse ? "; refused: " : "", o.refuse ? o.refuse : "");
	free(line);
	edit_reset(&e);
	out_reset(&o);
	return (0);
}
