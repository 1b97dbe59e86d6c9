/* mbox_test - the mailbox client without a server: the envelope sender
 * taken from Return-Path (the milter's idempotency hashes it, so it must
 * be the same every time and must not smuggle anything into MAIL FROM),
 * the failure classes' names, and a server that does not answer. */
#include <string.h>

#include <curl/curl.h>

#include "cfg.h"
#include "mbox.h"
#include "tap.h"

/* sender - mbox_sender of TEXT into a static buffer */
static const char *
sender(const char *text)
{
	static char out[CFG_ADDR_MAX + 1];

	mbox_sender(text, strlen(text), out, sizeof(out));
	return (out);
}

int
main(void)
{
	struct cfg_mailbox m;
	char	why[MBOX_WHY_MAX];
	unsigned long *ids = NULL;
	size_t	n = 99;
	struct mbox *b;

	is_str(sender("Return-Path: <a@b.example>\r\nFrom: x\r\n\r\nbody\r\n"),
	    "a@b.example", "Return-Path gives the envelope sender");
	is_str(sender("received: x\r\nreturn-path:<C@D.example>\r\n\r\n"),
	    "C@D.example", "  in any case, without a space");
	is_str(sender("Return-Path: <>\r\n\r\n"), "", "  <> is the null sender");
	is_str(sender("From: a@b.example\r\n\r\nReturn-Path: <x@y.example>\r\n"),
	    "", "  not from the body");
	is_str(sender("Return-Path: <a@b.example> SIZE=99\r\n\r\n"),
	    "a@b.example", "  nothing after the brackets");
	is_str(sender("Return-Path: <a b@c.example>\r\n\r\n"), "",
	    "  a space inside: none");
	is_str(sender("Return-Path: a@b.example\r\n\r\n"), "",
	    "  without brackets: none");
	is_str(sender("Return-Path: <a@b.example\r\n\r\n"), "",
	    "  unclosed: none");
	is_str(sender("Return-Path: <first@x.example>\r\n"
	    "Return-Path: <second@x.example>\r\n\r\n"), "first@x.example",
	    "  the first of several");
	is_str(sender(""), "", "  an empty message: none");

	is_str(mbox_class_name(MBOX_AUTH), "auth", "class auth");
	is_str(mbox_class_name(MBOX_TLS), "tls", "class tls");
	is_str(mbox_class_name(MBOX_FOLDER), "folder", "class folder");
	is_str(mbox_class_name(MBOX_CONNECT), "connect", "class connect");

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		ok(0, "curl_global_init");
		return (done_testing());
	}
	memset(&m, 0, sizeof(m));
	m.server = "127.0.0.1";
	m.port = 1;			/* nobody listens on port 1 */
	m.protocol = CFG_MBOX_IMAP;
	m.tls = CFG_MBOX_TLS_NONE;
	m.user = "u";
	m.password = "secret-word";
	m.folder = "INBOX";
	ok((b = mbox_open(&m, 5, NULL)) != NULL, "a session");
	if (b != NULL) {
		is_int(mbox_list(b, &ids, &n, why, sizeof(why)), MBOX_CONNECT,
		    "a server that does not answer: connect");
		is_int(n, 0, "  nothing listed");
		ok(strstr(why, "server unreachable") != NULL,
		    "  why says so (%s)", why);
		ok(strstr(why, "secret-word") == NULL, "  without the password");
		mbox_close(b);
	}
	curl_global_cleanup();
	return (done_testing());
}
