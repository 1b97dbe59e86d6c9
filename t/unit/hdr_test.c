/* hdr_test.c - unit tests for header helpers: our prefix, automatic-mail
 * detection, RFC 2047 decoding and unfolding. */
#include <stdlib.h>
#include <string.h>

#include "hdr.h"
#include "tap.h"

/* decode_is - RAW decodes to WANT within MAX bytes */
static void
decode_is(const char *raw, size_t max, const char *want, const char *what)
{
	char	*got = hdr_decode_text(raw, max);

	is_str(got, want, "decode %s", what);
	free(got);
}

/* unfold_is - RAW unfolds to WANT */
static void
unfold_is(const char *raw, size_t max, int tail, const char *want,
    const char *what)
{
	char	*got = hdr_unfold(raw, max, tail);

	is_str(got, want, "unfold %s", what);
	free(got);
}

/* fold_check - every line of "NAME: folded" is at most MAX octets, the
 * ids come back in order when unfolded, and lines are joined by LF TAB */
static void
fold_check(const char *name, const char *ids, const char *want_ids,
    size_t max, const char *what)
{
	char	*got = hdr_fold_ids(name, ids), *un;
	size_t	longest = 0, col = strlen(name) + 2, i;
	int	crs = 0;

	if (got == NULL) {
		ok(0, "fold %s: out of memory", what);
		return;
	}
	for (i = 0; got[i] != '\0'; i++) {
		if (got[i] == '\r')
			crs++;
		if (got[i] == '\n') {
			if (col > longest)
				longest = col;
			col = 0;
			ok(got[i + 1] == '\t', "fold %s: a tab after LF", what);
		} else
			col++;
	}
	if (col > longest)
		longest = col;
	is_int(crs, 0, "fold %s: no CR (the MTA adds it)", what);
	ok(longest <= max, "fold %s: longest line %zu <= %zu", what, longest,
	    max);
	un = hdr_unfold(got, strlen(got), 0);
	is_str(un, want_ids, "fold %s: the ids unfold back", what);
	free(un);
	free(got);
}

int
main(void)
{
	hdr_init();

	ok(hdr_is_ours("X-MailACD-Queue"), "X-MailACD-Queue is ours");
	ok(hdr_is_ours("x-mailacd-interaction"), "lower case is ours");
	ok(hdr_is_ours("X-MAILACD-"), "bare prefix is ours");
	ok(!hdr_is_ours("X-MailACD"), "prefix without dash is not ours");
	ok(!hdr_is_ours("X-Mailer"), "X-Mailer is not ours");

	decode_is("plain subject", 100, "plain subject", "plain text");
	decode_is("=?UTF-8?B?w5xiZXIgZGllIFJlY2hudW5n?=", 100,
	    "\xc3\x9c" "ber die Rechnung", "UTF-8 base64");
	decode_is("=?ISO-8859-1?Q?caf=E9_cr=E8me?=", 100,
	    "caf\xc3\xa9 cr\xc3\xa8me", "ISO-8859-1 Q");
	decode_is("=?utf-8?q?hola?= =?utf-8?q?_mundo?=", 100, "hola mundo",
	    "adjacent encoded words join");
	decode_is("Re: =?UTF-8?B?w7E=?=\r\n\tsegunda", 100,
	    "Re: \xc3\xb1 segunda", "folded, mixed");
	decode_is("caf\xe9", 100, "caf\xc3\xa9", "raw 8-bit Latin-1 to UTF-8");
	decode_is("\xc3\xb1" "and\xc3\xba", 100, "\xc3\xb1" "and\xc3\xba",
	    "raw UTF-8 kept");
	decode_is("=?UTF-8?B?broken", 100, "=?UTF-8?B?broken",
	    "broken encoded word kept as text");
	decode_is("=?x-unknown?Q?abc?=", 100, "abc",
	    "unknown charset does not fail");
	decode_is("\xc3\xb1\xc3\xb1\xc3\xb1", 5, "\xc3\xb1\xc3\xb1",
	    "cut on a character boundary");
	decode_is("a\x01" "b", 100, "a b", "control characters blanked");
	decode_is("\xf7\x9d\x8a\x93 x", 100, "\xef\xbf\xbd\xef\xbf\xbd"
	    "\xef\xbf\xbd\xef\xbf\xbd x", "UTF-8-shaped octets past U+10FFFF "
	    "replaced");

	unfold_is(" <a@b>\r\n", 100, 0, "<a@b>", "trims");
	unfold_is("<a@b>\r\n <c@d>", 100, 0, "<a@b> <c@d>", "joins lines");
	unfold_is("<a@b> <c@d> <e@f>", 10, 1, "<e@f>",
	    "tail keeps whole ids");
	unfold_is("<a@b> <c@d> <e@f>", 11, 0, "<a@b> <c@d>", "head cut");

	is_str(hdr_auto_reason("Auto-Submitted", "auto-replied"),
	    "auto-submitted", "Auto-Submitted: auto-replied");
	ok(hdr_auto_reason("Auto-Submitted", " No") == NULL,
	    "Auto-Submitted: no is a person");
	ok(hdr_auto_reason("Auto-Submitted", "no (comment)") == NULL,
	    "Auto-Submitted: no (comment) is a person");
	is_str(hdr_auto_reason("precedence", "BULK"), "precedence",
	    "Precedence: bulk");
	is_str(hdr_auto_reason("Precedence", "list"), "precedence",
	    "Precedence: list");
	ok(hdr_auto_reason("Precedence", "first-class") == NULL,
	    "Precedence: first-class is a person");
	is_str(hdr_auto_reason("X-Autoreply", "yes"), "autoreply-header",
	    "X-Autoreply");
	is_str(hdr_auto_reason("Content-Type",
	    "multipart/report; report-type=delivery-status; boundary=x"),
	    "delivery-status", "DSN");
	ok(hdr_auto_reason("Content-Type", "multipart/mixed") == NULL,
	    "multipart/mixed is a person");
	ok(hdr_auto_reason("Subject", "Out of office") == NULL,
	    "a subject alone decides nothing");

	is_str(hdr_auto_sender("<>"), "null-sender", "null sender");
	is_str(hdr_auto_sender("<MAILER-DAEMON@example.com>"), "mailer-daemon",
	    "MAILER-DAEMON");
	is_str(hdr_auto_sender("<postmaster@example.com>"), "mailer-daemon",
	    "postmaster");
	ok(hdr_auto_sender("<alice@example.com>") == NULL, "a person");
	ok(hdr_auto_sender("<postmasters@example.com>") == NULL,
	    "postmasters is a person");

	{
		char	ids[8192 + 1], want[8192 + 1], big[1100];
		size_t	n = 0;
		int	i;

		for (i = 0; i < 150; i++)
			n += (size_t)snprintf(ids + n, sizeof(ids) - n,
			    "%s<customer-%d.abcdefghijklmnop@mail.example>",
			    i ? " " : "", i);
		fold_check("References", ids, ids, HDR_LINE_FOLD,
		    "150 references");
		fold_check("In-Reply-To", "<a@b>", "<a@b>", HDR_LINE_FOLD,
		    "one short id");
		/* one id of 990 octets fits only on a line of its own */
		memset(big, 'x', sizeof(big));
		big[0] = '<';
		memcpy(big + 985, "@b.c>", 6);
		snprintf(want, sizeof(want), "<a@b> %s <c@d>", big);
		fold_check("References", want, want, HDR_LINE_MAX,
		    "an id of 990 octets");
		/* one of 1099 fits nowhere: left out, the others kept */
		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		snprintf(want, sizeof(want), "<a@b> <%s> <c@d>", big);
		fold_check("References", want, "<a@b> <c@d>", HDR_LINE_FOLD,
		    "an id longer than any line");
		snprintf(want, sizeof(want), "<%s>", big);
		fold_check("In-Reply-To", want, "", HDR_LINE_FOLD,
		    "nothing left");
	}
	{
		struct { const char *in, *want; } pv[] = {
			{ "support@example.com", "support@example.com" },
			{ "\"x; queue=billing; priority=1000\"@example.com",
			  "\"\\\"x; queue=billing; priority=1000\\\"@example.com\"" },
			{ "a b", "\"a b\"" },
			{ "a\\b", "\"a\\\\b\"" },
			{ "x\r\ny", "\"xy\"" },
			{ "", "\"\"" },
		};
		size_t	k;

		for (k = 0; k < sizeof(pv) / sizeof(pv[0]); k++) {
			char	*got = hdr_param_value(pv[k].in);

			is_str(got, pv[k].want, "parameter value %zu", k);
			free(got);
		}
	}
	return (done_testing());
}
