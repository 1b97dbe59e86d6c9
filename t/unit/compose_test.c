/* compose_test - resent copies: the exact Resent-* block, the original
 * byte for byte behind it (DKIM-Signature, 8-bit body), the copy index in
 * the Resent-Message-ID, the notice for a message too large to store, and
 * header sections that are odd or empty. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "tap.h"

#define ID	"0123456789abcdef0123456789abcdef"

static const char block0[] =
    "Resent-Date: Tue, 01 Jul 2025 09:05:07 +0000\r\n"
    "Resent-From: support@example.com\r\n"
    "Resent-To: alice@agents.example.net\r\n"
    "Resent-Message-ID: <mailacd." ID ".0.alice@example.com>\r\n"
    "X-MailACD-Delivery: " ID "; agent=alice; copy=0\r\n"
    "X-MailACD-Interaction: " ID "; org=acme; address=support@example.com;"
    " queue=sales; agent=alice\r\n"
    "X-MailACD-Loop: acme\r\n";

static const char original[] =
    "Received: from mx.customer.example (mx.customer.example [192.0.2.7])\r\n"
    "\tby mx.example.com (Postfix) with ESMTPS id 4XyZ1\r\n"
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
    "\td=customer.example; s=sel; h=from:to:subject:date;\r\n"
    "\tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n"
    "\tb=dGVzdA==\r\n"
    "From: Kunde <kunde@customer.example>\r\n"
    "To: support@example.com\r\n"
    "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n"
    "Date: Mon, 30 Jun 2025 18:00:00 +0200\r\n"
    "Message-ID: <m1@customer.example>\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln.\r\n"
    ".\r\n"
    "..a line with dots\r\n"
    "\r\n";

/* in_init - the inputs every test starts from */
static void
in_init(struct compose_in *in, const char *data, size_t len, int complete)
{
	static char date[COMPOSE_DATE_MAX];

	memset(in, 0, sizeof(*in));
	in->date = compose_date(1751360707, date);
	in->id = ID;
	in->org = "acme";
	in->address = "support@example.com";
	in->queue = "sales";
	in->agent = "alice";
	in->agent_address = "alice@agents.example.net";
	in->copy = 0;
	in->data = data;
	in->datalen = len;
	in->complete = complete;
	in->size = 31457280;
	in->max_size = 10485760;
}

/* has - does the message M hold S? */
static int
has(const char *m, const char *s)
{
	return (strstr(m, s) != NULL);
}

/* crlf_only - does every LF of M (LEN) follow a CR and every CR precede
 * an LF? */
static int
crlf_only(const char *m, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r'))
			return (0);
		if (m[i] == '\r' && (i + 1 == len || m[i + 1] != '\n'))
			return (0);
	}
	return (1);
}

/* body_of - the text after the first blank line of M, or NULL */
static const char *
body_of(const char *m)
{
	const char *p = strstr(m, "\r\n\r\n");

	return (p != NULL ? p + 4 : NULL);
}

/* test_complete - the block, then the original unchanged */
static void
test_complete(void)
{
	struct compose_in in;
	char	*m, want[96];
	size_t	len, bl = sizeof(block0) - 1, ol = sizeof(original) - 1;

	in_init(&in, original, ol, 1);
	m = compose_resent(&in, &len);
	ok(m != NULL, "a copy is composed");
	if (m == NULL)
		return;
	is_int((long long)len, (long long)(bl + ol),
	    "its length is the block's plus the original's");
	ok(len >= bl && memcmp(m, block0, bl) == 0,
	    "the prepended block, exactly");
	if (len < bl || memcmp(m, block0, bl) != 0)
		printf("# got:\n%.*s", (int)(len < bl ? len : bl), m);
	ok(len == bl + ol && memcmp(m + bl, original, ol) == 0,
	    "the original follows byte for byte (DKIM-Signature, 8-bit body, "
	    "dots)");
	ok(m[len] == '\0', "NUL-terminated");
	free(m);

	in.copy = 3;
	in.agent = "bob.b";
	in.agent_address = "bob@agents.example.net";
	m = compose_resent(&in, &len);
	ok(m != NULL && has(m, "Resent-Message-ID: <mailacd." ID
	    ".3.bob.b@example.com>\r\n"), "copy 3 for bob.b: its index and "
	    "the agent in the Resent-Message-ID");
	ok(m != NULL && has(m, "X-MailACD-Delivery: " ID "; agent=bob.b; "
	    "copy=3\r\n"), "and in X-MailACD-Delivery");
	ok(m != NULL && has(m, "Resent-To: bob@agents.example.net\r\n"),
	    "Resent-To is the agent's workplace address");
	snprintf(want, sizeof(want), "%s", m != NULL ? m : "");
	free(m);
	m = compose_resent(&in, &len);
	ok(m != NULL && strncmp(m, want, strlen(want)) == 0,
	    "composed again: the same Resent-Message-ID (deterministic)");
	free(m);
}

/* test_date - RFC 5322 dates without the locale */
static void
test_date(void)
{
	char	d[COMPOSE_DATE_MAX];

	is_str(compose_date(0, d), "Thu, 01 Jan 1970 00:00:00 +0000",
	    "the epoch");
	is_str(compose_date(1751360707, d), "Tue, 01 Jul 2025 09:05:07 +0000",
	    "a Tuesday in July");
	is_str(compose_date(951782400, d), "Tue, 29 Feb 2000 00:00:00 +0000",
	    "a leap day");
}

/* test_notice - a message too large to store */
static void
test_notice(void)
{
	static const char hdrs[] =
	    "Received: from mx.customer.example\r\n"
	    "\tby mx.example.com with ESMTPS id 4XyZ2\r\n"
	    "DKIM-Signature: v=1; a=rsa-sha256; d=customer.example;\r\n"
	    "\tb=c2lnbmF0dXJl\r\n"
	    "From: Kunde <kunde@customer.example>\r\n"
	    "Reply-To: orders@customer.example\r\n"
	    "To: support@example.com,\r\n"
	    " sales@example.com\r\n"
	    "Cc: boss@customer.example\r\n"
	    "Subject: Plans for the new\r\n"
	    " warehouse, all drawings attached\r\n"
	    "Date: Mon, 30 Jun 2025 18:00:00 +0200\r\n"
	    "Message-ID: <big1@customer.example>\r\n"
	    "In-Reply-To: <a@example.com>\r\n"
	    "References: <x@example.com>\r\n"
	    "\t<a@example.com>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
	    "X-Spam: no\r\n"
	    "\r\n";
	struct compose_in in;
	const char *body;
	char	*m;
	size_t	len, bl = sizeof(block0) - 1;

	in_init(&in, hdrs, sizeof(hdrs) - 1, 0);
	m = compose_resent(&in, &len);
	ok(m != NULL, "a notice is composed");
	if (m == NULL)
		return;
	ok(len >= bl && memcmp(m, block0, bl) == 0,
	    "behind the same prepended block");
	ok(has(m, "\r\nFrom: Kunde <kunde@customer.example>\r\n"
	    "Reply-To: orders@customer.example\r\n"
	    "To: support@example.com,\r\n"
	    " sales@example.com\r\n"
	    "Cc: boss@customer.example\r\n"
	    "Subject: Plans for the new\r\n"
	    " warehouse, all drawings attached\r\n"
	    "Date: Mon, 30 Jun 2025 18:00:00 +0200\r\n"
	    "Message-ID: <big1@customer.example>\r\n"
	    "In-Reply-To: <a@example.com>\r\n"
	    "References: <x@example.com>\r\n"
	    "\t<a@example.com>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n"),
	    "From, Reply-To, To, Cc, Subject, Date, Message-ID, In-Reply-To, "
	    "References copied whole (folded lines too), then our MIME fields");
	ok(!has(m, "Received:"), "Received not copied");
	ok(!has(m, "DKIM-Signature"), "DKIM-Signature not copied");
	ok(!has(m, "multipart/mixed") && !has(m, "boundary"),
	    "the original's Content-Type not copied");
	ok(!has(m, "X-Spam"), "other fields not copied");
	body = body_of(m);
	ok(body != NULL && has(body, "31457280 bytes (30.0 MiB)"),
	    "the body gives the size in bytes and MiB");
	ok(body != NULL && has(body, "10485760 bytes (10.0 MiB)") &&
	    has(body, "delivery.max_size"), "and the limit");
	ok(body != NULL && has(body, "mailbox of\r\n\r\n    "
	    "support@example.com\r\n"), "and where it went");
	ok(body != NULL && has(body, "Interaction: " ID "\r\n") &&
	    has(body, "Queue:       sales\r\n"), "the interaction and queue");
	ok(body != NULL && has(body, "Replying to this notice answers the "
	    "customer"), "what a reply does");
	ok(crlf_only(m, len), "every line ends in CRLF");
	ok(len >= 2 && memcmp(m + len - 2, "\r\n", 2) == 0,
	    "the body ends in CRLF");
	free(m);
}

/* test_odd - header sections the notice must survive */
static void
test_odd(void)
{
	static const char lf[] =
	    "From: a@customer.example\n"
	    "Subject: folded with\n"
	    "  bare LF\n"
	    "Received: x\n"
	    "\n"
	    "body that is not there\n";
	static const char noblank[] =
	    "Subject: no blank line\r\n"
	    "From: b@customer.example";
	static const char junk[] =
	    "\tcontinuation first\r\n"
	    "not a header line\r\n"
	    "Subject : obsolete space\r\n"
	    "Subject: second subject\r\n"
	    "To: cr\rinside\r\n\r\n";
	struct compose_in in;
	char	*m;
	size_t	len;

	in_init(&in, lf, sizeof(lf) - 1, 0);
	m = compose_resent(&in, &len);
	ok(m != NULL && has(m, "\r\nFrom: a@customer.example\r\n"
	    "Subject: folded with\r\n  bare LF\r\n"),
	    "bare LF: lines copied with CRLF");
	ok(m != NULL && !has(m, "Received") && !has(m, "not there"),
	    "bare LF: the section ends at the blank line");
	ok(m != NULL && crlf_only(m, len), "bare LF: CRLF throughout");
	free(m);

	in_init(&in, noblank, sizeof(noblank) - 1, 0);
	m = compose_resent(&in, &len);
	ok(m != NULL && has(m, "\r\nSubject: no blank line\r\n"
	    "From: b@customer.example\r\n"),
	    "no blank line, no final line end: both fields, ended");
	ok(m != NULL && crlf_only(m, len) && body_of(m) != NULL,
	    "no blank line: a header section and a body");
	free(m);

	in_init(&in, "", 0, 0);
	m = compose_resent(&in, &len);
	ok(m != NULL && has(m, "\r\nFrom: support@example.com\r\n"
	    "Date: Tue, 01 Jul 2025 09:05:07 +0000\r\nMIME-Version: 1.0\r\n"),
	    "empty section: From (the registered address) and Date made up");
	ok(m != NULL && crlf_only(m, len) && body_of(m) != NULL,
	    "empty section: still a valid message");
	free(m);

	in_init(&in, NULL, 0, 0);
	m = compose_resent(&in, &len);
	ok(m != NULL && body_of(m) != NULL, "no data at all: a notice");
	free(m);

	in_init(&in, junk, sizeof(junk) - 1, 0);
	m = compose_resent(&in, &len);
	ok(m != NULL && !has(m, "continuation first") &&
	    !has(m, "not a header"), "lines that are no field are left out");
	ok(m != NULL && has(m, "\r\nSubject : obsolete space\r\n") &&
	    !has(m, "second subject"), "the first Subject only, obsolete "
	    "space before the colon understood");
	ok(m != NULL && has(m, "\r\nTo: cr inside\r\n") && crlf_only(m, len),
	    "a stray CR becomes a space");
	free(m);

	in_init(&in, original, sizeof(original) - 1, 1);
	in.address = "bad\r\nBcc: x@evil.example";
	in.queue = "q\nX: y";
	m = compose_resent(&in, &len);
	ok(m != NULL && !has(m, "\r\nBcc:") && !has(m, "\nX: y") &&
	    has(m, "Resent-From: bad  Bcc: x@evil.example\r\n"),
	    "line breaks in values do not make header fields");
	ok(m != NULL && has(m, "@evil.example>\r\n"),
	    "the domain of the Resent-Message-ID is the address's last part");
	free(m);

	in_init(&in, original, sizeof(original) - 1, 1);
	in.address = "no-at-sign";
	m = compose_resent(&in, &len);
	ok(m != NULL && has(m, ".0.alice@mailacd.invalid>\r\n"),
	    "an address without a domain: mailacd.invalid");
	free(m);

	in_init(&in, "", 0, 1);
	m = compose_resent(&in, &len);
	is_int((long long)len, (long long)(sizeof(block0) - 1),
	    "an empty complete copy: the block alone");
	free(m);
}

int
main(void)
{
	test_date();
	test_complete();
	test_notice();
	test_odd();
	return (done_testing());
}
