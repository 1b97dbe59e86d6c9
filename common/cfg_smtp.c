/* cfg_smtp.c - the outgoing server of a channel address or an agent: its
 * own account at a provider, which Postfix's sender-dependent maps and
 * the router's submissions use.  The checks that need several of its
 * settings together and its password file, held to the mailbox's rules
 * (cfg_mbox.c): same words, same refusals.  Part of the loader's second
 * pass (cfg_check.c); no logging, no I/O but the password file. */
#include <stdio.h>
#include <string.h>

#include <libconfig.h>
#include <openssl/crypto.h>

#include "cfg.h"
#include "cfg_int.h"

/* cfg_check_smtp_user - a user name for Postfix's password map
 * ("USER:PASSWORD"): printable, no space, no ':' */
const char *
cfg_check_smtp_user(const char *v, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	for (; *v != '\0'; v++)
		if ((unsigned char)*v <= ' ' || *v == 0x7f || *v == ':')
			return ("must not contain spaces, control characters "
			    "or ':' (Postfix's password map is USER:PASSWORD)");
	return (NULL);
}

/* cfg_check_smtp_password - a password for Postfix's password map: no
 * control characters, no space at either end (a map line would lose
 * it); the value itself is never shown */
const char *
cfg_check_smtp_password(const char *v, char *buf, size_t len)
{
	size_t	n = strlen(v);

	(void)buf;
	(void)len;
	if (n > 0 && (v[0] == ' ' || v[n - 1] == ' '))
		return ("must not begin or end with a space");
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < ' ' || *v == 0x7f)
			return ("must not contain control characters");
	return (NULL);
}

/* cfg_smtp_free - wipe the password of M (the schema frees the memory) */
void
cfg_smtp_free(struct cfg_smtp *m)
{
	if (m != NULL && m->password != NULL)
		OPENSSL_cleanse(m->password, strlen(m->password));
}

/* cfg_check_smtp - the second pass over outgoing server M (its group
 * SS): one password (a password file read and checked as the setting
 * would be), no password in clear text to a server off loopback, the
 * port resolved: 465 for implicit TLS, else 587 (submission) */
void
cfg_check_smtp(struct cfg_load *ld, struct cfg_smtp *m,
    const config_setting_t *ss)
{
	const config_setting_t *pw, *pf, *s;
	char	show[CFG_SHOW_MAX + 16];
	const char *why;

	pw = config_setting_get_member(ss, "password");
	pf = config_setting_get_member(ss, "password_file");
	if (pw != NULL && pf != NULL)
		cfg_err(ld, pf, NULL, NULL, "password and password_file "
		    "exclude each other: keep one");
	else if (pw == NULL && pf == NULL)
		cfg_err(ld, ss, "password", NULL, "required setting is "
		    "missing (or password_file)");
	else if (pf != NULL && m->password_file != NULL &&
	    m->password_file[0] == '/' &&
	    (m->password = cfg_pass_read(ld, m->password_file, pf)) != NULL &&
	    (why = cfg_check_smtp_password(m->password, NULL, 0)) != NULL) {
		cfg_err(ld, pf, NULL, cfg_show(pf, show, sizeof(show)),
		    "the password it holds %s", why);
		cfg_smtp_free(m);
	}
	if (m->tls == CFG_MBOX_TLS_NONE && m->server != NULL &&
	    !cfg_host_private(m->server) &&
	    (s = config_setting_get_member(ss, "tls")) != NULL)
		cfg_err(ld, s, NULL, cfg_show(s, show, sizeof(show)),
		    "the user and password would cross the network in clear "
		    "text to %s: use \"implicit\" or \"starttls\" (\"none\" "
		    "is for a server on loopback)", m->server);
	if (m->port == 0)
		m->port = m->tls == CFG_MBOX_TLS_IMPLICIT ? 465 : 587;
}
