/* cfg_mbox.c - the mailbox an address's mail is pulled from: the checks
 * that need several of its settings together, and its password file,
 * which is read at load and held to the same rule as the configuration
 * file (a secret nobody but the owner and the group may read).  Part of
 * the loader's second pass (cfg_check.c); no logging, no I/O but the
 * password file. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>
#include <openssl/crypto.h>

#include "cfg.h"
#include "cfg_int.h"

#define CFG_MBOX_PASS_MAX	1024	/* the password setting's bound */

/* cfg_check_mbox_text - a user name: printable, no control characters */
const char *
cfg_check_mbox_text(const char *v, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < ' ' || *v == 0x7f)
			return ("must not contain control characters");
	return (NULL);
}

/* cfg_check_folder - an IMAP folder name that goes into a quoted string
 * and a URL unchanged: printable ASCII without '"' and '\' (names beyond
 * ASCII need IMAP's modified UTF-7, which is not done here) */
const char *
cfg_check_folder(const char *v, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < ' ' || (unsigned char)*v > '~' ||
		    *v == '"' || *v == '\\')
			return ("must be printable ASCII without '\"' and "
			    "'\\'");
	return (NULL);
}

/* cfg_mbox_password - the password of mailbox M (from password or
 * password_file) */
const char *
cfg_mbox_password(const struct cfg_mailbox *m)
{
	return (m->password != NULL ? m->password : "");
}

/* cfg_mbox_free - wipe the password that cfg_check_mbox read from a file
 * or the configuration held (the schema frees the memory) */
void
cfg_mbox_free(struct cfg_mailbox *m)
{
	if (m != NULL && m->password != NULL)
		OPENSSL_cleanse(m->password, strlen(m->password));
}

/* cfg_pass_read - the password in FILE (setting S, a password_file): a
 * regular file that others cannot read, one line; NULL after an error */
char *
cfg_pass_read(struct cfg_load *ld, const char *file,
    const config_setting_t *s)
{
	char	*pass = NULL;
	char	show[CFG_SHOW_MAX + 16], buf[CFG_MBOX_PASS_MAX + 2];
	struct stat st;
	ssize_t	n;
	int	fd;

	cfg_show(s, show, sizeof(show));
	/* O_NONBLOCK: a FIFO must not hang the loader; fstat refuses it */
	if ((fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		cfg_err(ld, s, NULL, show, "cannot be read: %s",
		    strerror(errno));
		return (NULL);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		cfg_err(ld, s, NULL, show, "is not a regular file");
		goto out;
	}
	if ((st.st_mode & (S_IROTH | S_IWOTH | S_IWGRP)) != 0) {
		cfg_err(ld, s, NULL, show, "holds a password, but can be "
		    "read or written by others (mode %04o): expected e.g. "
		    "root:mailacd 0640", (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if ((n = read(fd, buf, sizeof(buf) - 1)) < 0) {
		cfg_err(ld, s, NULL, show, "cannot be read: %s",
		    strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	/* one line; its end is not part of the password */
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	if (n == 0)
		cfg_err(ld, s, NULL, show, "is empty");
	else if (n > CFG_MBOX_PASS_MAX || strpbrk(buf, "\r\n") != NULL ||
	    strlen(buf) != (size_t)n)
		cfg_err(ld, s, NULL, show, "must hold one line of at most %d "
		    "bytes: the password", CFG_MBOX_PASS_MAX);
	else
		pass = cfg_strdup(ld, buf);
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd);
	return (pass);
}

/* cfg_check_mbox - the second pass over the mailbox of address A (its
 * group MS): one password, a folder to move to with "move" only, what
 * POP3 cannot do, no password in clear text to a server off loopback, the
 * port resolved */
void
cfg_check_mbox(struct cfg_load *ld, struct cfg_address *a,
    const config_setting_t *ms)
{
	struct cfg_mailbox *m = a->mailbox;
	const config_setting_t *pw, *pf, *s;
	char	show[CFG_SHOW_MAX + 16];

	pw = config_setting_get_member(ms, "password");
	pf = config_setting_get_member(ms, "password_file");
	if (pw != NULL && pf != NULL)
		cfg_err(ld, pf, NULL, NULL, "password and password_file "
		    "exclude each other: keep one");
	else if (pw == NULL && pf == NULL)
		cfg_err(ld, ms, "password", NULL, "required setting is "
		    "missing (or password_file)");
	else if (pf != NULL && m->password_file != NULL &&
	    m->password_file[0] == '/')
		m->password = cfg_pass_read(ld, m->password_file, pf);
	if (!(a->direction & CFG_DIR_INBOUND))
		cfg_err(ld, ms, NULL, NULL, "the address takes no inbound "
		    "mail (direction = \"outbound\"): nothing to pull");
	s = config_setting_get_member(ms, "move_to");
	if (m->after == CFG_MBOX_MOVE && m->move_to == NULL)
		cfg_err(ld, ms, "move_to", NULL, "required setting is missing "
		    "(after = \"move\")");
	else if (m->after != CFG_MBOX_MOVE && s != NULL)
		cfg_err(ld, s, NULL, cfg_show(s, show, sizeof(show)),
		    "goes with after = \"move\" only");
	else if (m->after == CFG_MBOX_MOVE && m->folder != NULL &&
	    m->move_to != NULL && strcmp(m->folder, m->move_to) == 0)
		cfg_err(ld, s, NULL, cfg_show(s, show, sizeof(show)),
		    "is the folder the mail is pulled from");
	if (m->protocol == CFG_MBOX_POP3) {
		if (m->after != CFG_MBOX_DELETE &&
		    (s = config_setting_get_member(ms, "after")) != NULL)
			cfg_err(ld, s, NULL, cfg_show(s, show, sizeof(show)),
			    "POP3 has no folders and no flags: only \"delete\"");
		if ((s = config_setting_get_member(ms, "folder")) != NULL &&
		    m->folder != NULL && strcmp(m->folder, "INBOX") != 0)
			cfg_err(ld, s, NULL, cfg_show(s, show, sizeof(show)),
			    "POP3 has no folders: only \"INBOX\"");
	}
	if (m->tls == CFG_MBOX_TLS_NONE && m->server != NULL &&
	    !cfg_host_private(m->server) &&
	    (s = config_setting_get_member(ms, "tls")) != NULL)
		cfg_err(ld, s, NULL, cfg_show(s, show, sizeof(show)),
		    "the user and password would cross the network in clear "
		    "text to %s: use \"implicit\" or \"starttls\" (\"none\" "
		    "is for a server on loopback)", m->server);
	if (m->port == 0)
		m->port = m->protocol == CFG_MBOX_POP3 ?
		    (m->tls == CFG_MBOX_TLS_IMPLICIT ? 995 : 110) :
		    (m->tls == CFG_MBOX_TLS_IMPLICIT ? 993 : 143);
}
