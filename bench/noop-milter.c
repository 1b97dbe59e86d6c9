/* noop-milter.c - a libmilter milter that does nothing, the benchmark's baseline.
 *
 * It negotiates the protocol steps mailacd-milter negotiates (MAIL, RCPT,
 * DATA, each header, end of headers, body, end of message; no connect, HELO
 * or unknown-command events; no SMFIP_NR_* no-reply flags) so that the MTA
 * sends it exactly the events mailacd-milter sees.  Every callback answers
 * "continue"; end of message answers "accept".  The cost it measures is
 * libmilter's and the MTA's, nothing else.
 *
 * Usage: noop-milter -p SOCKET [-b BACKLOG] [-T TIMEOUT]
 *   SOCKET is libmilter's syntax: inet:PORT@HOST, inet6:PORT@HOST, unix:PATH.
 *
 * The Makefile links build/milter/nodelay.o into it, which sets TCP_NODELAY
 * on accepted connections, so that TCP numbers compare with mailacd-milter's. */

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sysexits.h>

#include <libmilter/mfapi.h>

/* noop_negotiate - take the protocol steps mailacd-milter takes: every
 * message event, no connect, HELO or unknown-command events, and no
 * SMFIP_NR_* (no-reply) flags, which make Postfix stall over TCP.
 * Measured here: the same milter taking the connect and HELO steps stalls
 * ~44 ms per message over TCP even with TCP_NODELAY (48 ms vs 5 ms), which
 * would make it a baseline for nothing. */
static sfsistat
noop_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void)ctx;
	(void)f2;
	(void)f3;
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS);
	*pf1 = f1 & (SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOUNKNOWN);
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

/* noop_envfrom - MAIL FROM */
static sfsistat
noop_envfrom(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

/* noop_envrcpt - RCPT TO */
static sfsistat
noop_envrcpt(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

/* noop_data - DATA */
static sfsistat
noop_data(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

/* noop_header - one message header */
static sfsistat
noop_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return SMFIS_CONTINUE;
}

/* noop_eoh - end of the header section */
static sfsistat
noop_eoh(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

/* noop_body - one body chunk */
static sfsistat
noop_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	(void)ctx;
	(void)chunk;
	(void)len;
	return SMFIS_CONTINUE;
}

/* noop_eom - end of message: let it through unchanged */
static sfsistat
noop_eom(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_ACCEPT;
}

/* noop_abort - the MTA gave up on this message */
static sfsistat
noop_abort(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

/* noop_close - the connection is gone; nothing to free */
static sfsistat
noop_close(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static struct smfiDesc noop_desc = {
	.xxfi_name = "noop-milter",
	.xxfi_version = SMFI_VERSION,
	/* Declared like a milter that stamps headers; never used. */
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
	.xxfi_connect = NULL,
	.xxfi_helo = NULL,
	.xxfi_envfrom = noop_envfrom,
	.xxfi_envrcpt = noop_envrcpt,
	.xxfi_header = noop_header,
	.xxfi_eoh = noop_eoh,
	.xxfi_body = noop_body,
	.xxfi_eom = noop_eom,
	.xxfi_abort = noop_abort,
	.xxfi_close = noop_close,
	.xxfi_unknown = NULL,
	.xxfi_data = noop_data,
	.xxfi_negotiate = noop_negotiate,
};

/* usage - explain the command line and exit */
static void
usage(void)
{
	fprintf(stderr,
	    "usage: noop-milter -p SOCKET [-b BACKLOG] [-T TIMEOUT]\n"
	    "  SOCKET: inet:PORT@HOST, inet6:PORT@HOST or unix:PATH\n");
	exit(EX_USAGE);
}

/* number - parse a positive decimal option argument or exit */
static int
number(const char *opt, const char *arg)
{
	char	*end;
	long	v;

	v = strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || v < 1 || v > 1000000) {
		fprintf(stderr, "noop-milter: %s %s: want a number 1..1000000\n",
		    opt, arg);
		exit(EX_USAGE);
	}
	return (int)v;
}

int
main(int argc, char **argv)
{
	const char *sock = NULL;
	int	backlog = 0, timeout = 0, c;

	while ((c = getopt(argc, argv, "b:hp:T:")) != -1) {
		switch (c) {
		case 'b':
			backlog = number("-b", optarg);
			break;
		case 'p':
			sock = optarg;
			break;
		case 'T':
			timeout = number("-T", optarg);
			break;
		default:
			usage();
		}
	}
	if (sock == NULL || optind != argc)
		usage();

	if (smfi_setconn((char *)sock) == MI_FAILURE) {
		fprintf(stderr, "noop-milter: bad socket \"%s\"\n", sock);
		return EX_USAGE;
	}
	if (backlog > 0 && smfi_setbacklog(backlog) == MI_FAILURE) {
		fprintf(stderr, "noop-milter: cannot set backlog %d\n", backlog);
		return EX_SOFTWARE;
	}
	if (timeout > 0 && smfi_settimeout(timeout) == MI_FAILURE) {
		fprintf(stderr, "noop-milter: cannot set timeout %d\n", timeout);
		return EX_SOFTWARE;
	}
	if (smfi_register(noop_desc) == MI_FAILURE) {
		fprintf(stderr, "noop-milter: smfi_register failed\n");
		return EX_SOFTWARE;
	}
	/* Remove a stale unix socket left by an earlier run. */
	if (smfi_opensocket(1) == MI_FAILURE) {
		fprintf(stderr, "noop-milter: cannot open socket \"%s\"\n", sock);
		return EX_OSERR;
	}
	return smfi_main() == MI_SUCCESS ? EX_OK : EX_SOFTWARE;
}
