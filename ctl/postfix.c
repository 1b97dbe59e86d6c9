/* postfix.c - "mailacdctl postfix maps": the maps that make Postfix send
 * each identity's mail through its own server and account
 * (sender_dependent_relayhost_maps, smtp_sasl_password_maps with
 * smtp_sender_dependent_authentication, smtp_tls_policy_maps, and
 * sender_dependent_default_transport_maps for implicit TLS), written from
 * mailacd.conf by common/ident.c.  Each file is written beside its final
 * name and renamed over it, so Postfix never reads half a map; the
 * password map is mode 0600 from its first byte, and so is its .db
 * (built under umask 077, or closed before postmap rewrites it). */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ident.h"
#include "postfix.h"

/* postfix_usage - the synopsis on stderr; EX_USAGE */
static int
postfix_usage(void)
{
	ctl_errx("usage: mailacdctl [-c file] postfix maps [--dir DIR] "
	    "[--postfix-config DIR] [--no-postmap]");
	return (EX_USAGE);
}

/* postfix_write - TEXT (LEN) as DIR/NAME, mode MODE: a temporary file
 * beside it, synced, renamed over it; 0, or -1 (said on stderr) */
static int
postfix_write(const char *dir, const char *name, const char *text,
    size_t len, mode_t mode)
{
	char	path[4200], tmp[4200];
	ssize_t	n;
	size_t	off = 0;
	int	fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name);
	if ((fd = mkstemp(tmp)) < 0) {
		ctl_errx("postfix maps: %s: %s", tmp, strerror(errno));
		return (-1);
	}
	if (fchmod(fd, mode) != 0)
		goto fail;
	while (off < len) {
		if ((n = write(fd, text + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	return (0);
fail:
	ctl_errx("postfix maps: %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return (-1);
}

/* postfix_postmap - run "postmap [-c CONFDIR] hash:PATH" (SECRET: under
 * umask 077, so that the .db is never readable by others); 0, or -1
 * (said) */
static int
postfix_postmap(const char *confdir, const char *path, int secret)
{
	char	arg[4300];
	char   *argv[5];
	int	n = 0;
	pid_t	pid;
	int	st;

	snprintf(arg, sizeof(arg), "hash:%s", path);
	argv[n++] = "postmap";
	if (confdir != NULL) {
		argv[n++] = "-c";
		argv[n++] = (char *)confdir;
	}
	argv[n++] = arg;
	argv[n] = NULL;
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		ctl_errx("postfix maps: fork: %s", strerror(errno));
		return (-1);
	}
	if (pid == 0) {
		if (secret)
			umask(077);
		execvp("postmap", argv);
		fprintf(stderr, "mailacdctl: postmap: %s\n", strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			ctl_errx("postfix maps: waitpid: %s", strerror(errno));
			return (-1);
		}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		ctl_errx("postfix maps: postmap %s failed (status %d)", arg,
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return (-1);
	}
	return (0);
}

/* postfix_wiring - the main.cf and master.cf lines for maps in DIR */
static void
postfix_wiring(FILE *out, const char *dir, int nimplicit)
{
	int	m;

	fprintf(out, "# main.cf (postconf -e each line):\n"
	    "smtp_sender_dependent_authentication = yes\n"
	    "smtp_sasl_auth_enable = yes\n"
	    "smtp_sasl_security_options = noanonymous\n"
	    "smtp_sasl_tls_security_options = noanonymous\n");
	for (m = 0; m < IDENT_NMAPS; m++)
		fprintf(out, "%s = hash:%s/%s\n", ident_map_param(m), dir,
		    ident_map_name(m));
	fprintf(out, "# The maps are keyed by the envelope sender as the "
	    "milter leaves it.\n"
	    "# TLS is required per server by %s/%s (encrypt or secure),\n"
	    "# not by smtp_tls_security_level, which would apply to every "
	    "destination.\n"
	    "# default_transport must not name a next hop (\"smtp\", not "
	    "\"smtp:[host]\"):\n"
	    "# a next hop there overrides %s.\n", dir,
	    ident_map_name(IDENT_MAP_POLICY), ident_map_param(IDENT_MAP_RELAY));
	fprintf(out, "# master.cf: the service that the map %s names for "
	    "implicit TLS (port 465)%s:\n"
	    "%s unix - - n - - smtp\n"
	    "  -o smtp_tls_wrappermode=yes\n"
	    "  -o smtp_tls_security_level=encrypt\n",
	    ident_map_name(IDENT_MAP_TRANSPORT),
	    nimplicit > 0 ? "" : " (no identity uses it yet)",
	    IDENT_WRAP_SERVICE);
}

/* postfix_cmd - "postfix maps [--dir DIR] [--postfix-config DIR]
 * [--no-postmap]" */
int
postfix_cmd(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "no-postmap", no_argument, NULL, 'N' },
		{ "postfix-config", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 }
	};
	FILE	*out[IDENT_NMAPS];
	char	*text[IDENT_NMAPS], path[4200], db[4210], err[600];
	size_t	len[IDENT_NMAPS];
	const char *dir = POSTFIX_DIR, *confdir = NULL;
	struct stat st;
	int	ch, m, rc = 0, nimplicit = 0, postmap = 1;

	if (argc < 2 || strcmp(argv[1], "maps") != 0) {
		ctl_errx("postfix: %s", argc < 2 ? "missing subcommand (maps)" :
		    "unknown subcommand");
		return (postfix_usage());
	}
	argc--;
	argv++;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":d:", longopts, NULL)) != -1)
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'N':
			postmap = 0;
			break;
		case 'C':
			confdir = optarg;
			break;
		default:
			return (postfix_usage());
		}
	if (optind != argc)
		return (postfix_usage());
	if (*dir != '/') {
		ctl_errx("postfix maps: --dir %s: want an absolute path "
		    "(main.cf names it)", dir);
		return (EX_USAGE);
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		ctl_errx("postfix maps: %s: %s", dir, strerror(errno));
		return (EX_CANTCREAT);
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		ctl_errx("postfix maps: %s: not a directory", dir);
		return (EX_CANTCREAT);
	}
	for (m = 0; m < IDENT_NMAPS; m++) {
		text[m] = NULL;
		len[m] = 0;
		if ((out[m] = open_memstream(&text[m], &len[m])) == NULL)
			rc = EX_OSERR;
	}
	if (rc == 0 && ident_maps(ctl->cfg, out, &nimplicit, err,
	    sizeof(err)) != 0) {
		ctl_errx("postfix maps: %s", err);
		rc = EX_CONFIG;
	}
	for (m = 0; m < IDENT_NMAPS; m++)
		if (out[m] != NULL && fclose(out[m]) != 0 && rc == 0)
			rc = EX_OSERR;
	if (rc == EX_OSERR)
		ctl_errx("postfix maps: out of memory");
	for (m = 0; m < IDENT_NMAPS && rc == 0; m++)
		if (postfix_write(dir, ident_map_name(m), text[m] ? text[m] :
		    "", len[m], m == IDENT_MAP_SASL ? 0600 : 0644) != 0)
			rc = EX_CANTCREAT;
	for (m = 0; m < IDENT_NMAPS; m++)
		if (text[m] != NULL) {
			OPENSSL_cleanse(text[m], len[m]);
			free(text[m]);
		}
	for (m = 0; m < IDENT_NMAPS && rc == 0; m++) {
		snprintf(path, sizeof(path), "%s/%s", dir, ident_map_name(m));
		if (!postmap) {
			fprintf(ctl->out, "postmap %s%s%shash:%s\n",
			    confdir ? "-c " : "", confdir ? confdir : "",
			    confdir ? " " : "", path);
			continue;
		}
		/* postmap rewrites an older .db in place, keeping its
		 * mode: close it to others before the passwords go in */
		snprintf(db, sizeof(db), "%s.db", path);
		if (m == IDENT_MAP_SASL && chmod(db, 0600) != 0 &&
		    errno != ENOENT) {
			ctl_errx("postfix maps: %s: %s", db, strerror(errno));
			rc = EX_CANTCREAT;
		} else if (postfix_postmap(confdir, path,
		    m == IDENT_MAP_SASL) != 0)
			rc = EX_UNAVAILABLE;
	}
	if (rc == 0)
		postfix_wiring(ctl->out, dir, nimplicit);
	return (rc);
}
