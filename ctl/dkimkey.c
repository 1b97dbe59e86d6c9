/* dkimkey.c - "mailacdctl dkim genkey DOMAIN SELECTOR".
 *
 * Makes a DKIM signing key with OpenSSL: RSA, 2048 bits unless -b says
 * otherwise, or Ed25519 (RFC 8463).  The key is written unencrypted as
 * PKCS#8 PEM to DIR/DOMAIN.SELECTOR.key, mode 0600, and the TXT record to
 * publish at SELECTOR._domainkey.DOMAIN is printed in zone-file syntax,
 * with the setting that makes mailacd.conf(5) use the key.
 *
 * An existing key is never replaced unless -f: without it the file is made
 * with O_CREAT|O_EXCL, so that of two runs only one can win; with it the key
 * goes to a temporary file in the same directory that rename() then puts in
 * place at once, so that a reader finds the old key or the new one, never a
 * part.  A file this command made and could not finish is removed again.
 *
 * Neither the configuration nor Redis is read: the command works on a host
 * that has neither yet. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dkimkey.h"
#include "dkimrec.h"
#include "json.h"

#define DKIMKEY_NAME_MAX	253	/* a domain name, without the final dot */
#define DKIMKEY_LABEL_MAX	63
#define DKIMKEY_BITS	2048	/* the default RSA key size */
#define DKIMKEY_BITS_MIN	1024	/* RFC 8301: verifiers ignore shorter keys */
#define DKIMKEY_BITS_MAX	4096	/* RFC 8301: verifiers need not take longer */
#define DKIMKEY_ED25519_LEN 32	/* octets of an Ed25519 public key */
#define DKIMKEY_STRING_MAX	255	/* octets of one DNS character-string */

#define DKIMKEY_USAGE	"dkim genkey [-f] [-b bits] [-d dir] " \
			"[-t rsa|ed25519] domain selector"

/* The key to make. */
struct dkimkey {
	char	domain[DKIMKEY_NAME_MAX + 1];	/* lower case */
	char	selector[DKIMKEY_NAME_MAX + 1];	/* lower case */
	char	name[DKIMKEY_NAME_MAX + 1];	/* SELECTOR._domainkey.DOMAIN */
	int	ed25519;	/* else RSA */
	int	bits;		/* RSA key size */
	int	force;		/* -f: replace an existing key */
	char	dir[PATH_MAX];	/* absolute, without a final slash */
	char	path[PATH_MAX];	/* DIR/DOMAIN.SELECTOR.key */
	char	tmp[PATH_MAX];	/* -f: the file until rename(); "" if none */
	char	*record;	/* the TXT value, malloc'd */
	size_t	ptag;		/* where "p=" begins in it */
};

/* dkimkey_usage - the synopsis as an error line; 64 */
static int
dkimkey_usage(void)
{
	ctl_errx("usage: %s", DKIMKEY_USAGE);
	return (EX_USAGE);
}

/* dkimkey_ssl - report that WHAT failed, with OpenSSL's reason; 70 */
static int
dkimkey_ssl(const char *what)
{
	unsigned long e = ERR_peek_last_error();
	const char *why = e != 0 ? ERR_reason_error_string(e) : NULL;

	ctl_errx("%s: %s", what, why != NULL ? why : "OpenSSL failed");
	ERR_clear_error();
	return (EX_SOFTWARE);
}

/* dkimkey_name - WHAT ("domain" or "selector") SRC checked as DNS labels
 * joined by dots: letters, digits and hyphens, no label beginning or ending
 * with a hyphen, 1 to 63 octets each, 253 in all; one final dot is dropped
 * when FQDN allows it.  Copied lower-cased into DST (DKIMKEY_NAME_MAX + 1
 * octets); 0, or 64 after one line on stderr. */
static int
dkimkey_name(char *dst, const char *src, const char *what, int fqdn)
{
	const char *why = NULL;
	size_t	len, i, label = 0;
	char	c;

	len = strlen(src);
	if (fqdn && len > 1 && src[len - 1] == '.')
		len--;
	if (len == 0)
		why = "is empty";
	else if (len > DKIMKEY_NAME_MAX)
		why = "is longer than 253 octets";
	for (i = 0; why == NULL && i <= len; i++) {
		c = i < len ? src[i] : '.';
		if (c == '.') {
			if (label == 0)
				why = "has an empty label (a dot at the start "
				    "or end, or two in a row)";
			else if (src[i - 1] == '-')
				why = "has a label that ends with a hyphen";
			label = 0;
			dst[i] = c;
			continue;
		}
		if (c == '-' && label == 0)
			why = "has a label that begins with a hyphen";
		else if (++label > DKIMKEY_LABEL_MAX)
			why = "has a label longer than 63 octets";
		else if (!(c == '-' || (c >= '0' && c <= '9') ||
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			why = "may hold only letters, digits, hyphens and dots";
		dst[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	if (why != NULL) {
		ctl_errx("%s \"%s\": %s", what, src, why);
		return (EX_USAGE);
	}
	dst[len] = '\0';
	return (0);
}

/* dkimkey_bits - the argument of -b into K->bits: 1024 to 4096; 0, or 64
 * after one line on stderr */
static int
dkimkey_bits(struct dkimkey *k, const char *s)
{
	char	*end;
	long	v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0) {
		ctl_errx("-b %s: want a number of bits from %d to %d", s,
		    DKIMKEY_BITS_MIN, DKIMKEY_BITS_MAX);
		return (EX_USAGE);
	}
	if (v < DKIMKEY_BITS_MIN) {
		ctl_errx("-b %s: RSA keys shorter than %d bits are refused: "
		    "verifiers ignore them (RFC 8301); %d is usual", s,
		    DKIMKEY_BITS_MIN, DKIMKEY_BITS);
		return (EX_USAGE);
	}
	if (v > DKIMKEY_BITS_MAX) {
		ctl_errx("-b %s: at most %d bits: verifiers need not accept "
		    "longer RSA keys (RFC 8301); %d is usual", s,
		    DKIMKEY_BITS_MAX, DKIMKEY_BITS);
		return (EX_USAGE);
	}
	k->bits = (int)v;
	return (0);
}

/* dkimkey_dir - the key directory DIR, absolute, into K->dir and the key
 * file's name into K->path; 0, or 73 when DIR is missing or no directory.
 * A directory that group or others may write is only warned about. */
static int
dkimkey_dir(struct dkimkey *k, const char *dir)
{
	struct stat st;
	size_t	len;

	if (stat(dir, &st) != 0) {
		ctl_errx("key directory %s: %s%s", dir, strerror(errno),
		    errno == ENOENT ? " (make it, or name another with -d)" :
		    "");
		return (EX_CANTCREAT);
	}
	if (!S_ISDIR(st.st_mode)) {
		ctl_errx("key directory %s: not a directory", dir);
		return (EX_CANTCREAT);
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		ctl_errx("warning: key directory %s can be written by %s "
		    "(mode %04o): they can replace the key", dir,
		    (st.st_mode & S_IWOTH) != 0 ? "anyone" : "its group",
		    (unsigned)(st.st_mode & 07777));
	if (dir[0] == '/') {
		if (strlen(dir) >= sizeof(k->dir)) {
			ctl_errx("key directory %s: name too long", dir);
			return (EX_CANTCREAT);
		}
		strcpy(k->dir, dir);
	} else if (realpath(dir, k->dir) == NULL) {
		ctl_errx("key directory %s: %s", dir, strerror(errno));
		return (EX_CANTCREAT);
	}
	len = strlen(k->dir);
	while (len > 0 && k->dir[len - 1] == '/')
		k->dir[--len] = '\0';
	if ((size_t)snprintf(k->path, sizeof(k->path), "%s/%s.%s.key",
	    k->dir, k->domain, k->selector) >= sizeof(k->path)) {
		ctl_errx("key directory %s: name too long", dir);
		return (EX_CANTCREAT);
	}
	return (0);
}

/* dkimkey_open - make the file the key goes to: K->path itself, exclusively
 * (73 when it exists), or with -f a temporary file beside it (K->tmp).
 * The descriptor, or -1 with *ST set after one line on stderr. */
static int
dkimkey_open(struct dkimkey *k, int *st)
{
	int	fd;

	if (k->force) {
		if ((size_t)snprintf(k->tmp, sizeof(k->tmp), "%s/.%s.%s.key."
		    "XXXXXX", k->dir, k->domain, k->selector) >=
		    sizeof(k->tmp)) {
			ctl_errx("%s: name too long", k->path);
			k->tmp[0] = '\0';
			*st = EX_CANTCREAT;
			return (-1);
		}
		/* mkostemp() makes it mode 0600, exclusively */
		if ((fd = mkostemp(k->tmp, O_CLOEXEC)) < 0) {
			ctl_errx("%s: %s", k->tmp, strerror(errno));
			k->tmp[0] = '\0';
			*st = EX_CANTCREAT;
		}
		return (fd);
	}
	if ((fd = open(k->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) >= 0)
		return (fd);
	if (errno == EEXIST)
		ctl_errx("%s exists: a key is not overwritten (-f replaces "
		    "it; the record published for it then no longer "
		    "matches)", k->path);
	else
		ctl_errx("%s: %s", k->path, strerror(errno));
	*st = EX_CANTCREAT;
	return (-1);
}

/* dkimkey_keygen - a new key of K's type and size into *PK; 0, or an exit
 * status after one line on stderr */
static int
dkimkey_keygen(const struct dkimkey *k, EVP_PKEY **pk)
{
	if (k->ed25519)
		*pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else
		*pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)k->bits);
	return (*pk == NULL ? dkimkey_ssl("key generation") : 0);
}

/* dkimkey_record - the TXT value for PK into K->record: "v=DKIM1; k=rsa; p="
 * and the base64 of the DER SubjectPublicKeyInfo (RFC 6376 3.6.1), or for
 * Ed25519 "k=ed25519" and the base64 of the raw 32-octet public key
 * (RFC 8463 4.2); 0, or an exit status after one line on stderr */
static int
dkimkey_record(struct dkimkey *k, EVP_PKEY *pk)
{
	int	rc;

	if ((rc = dkimrec_make(pk, &k->record)) == DKIMREC_NOMEM) {
		ctl_errx("out of memory");
		return (EX_OSERR);
	}
	if (rc != 0)
		return (dkimkey_ssl("public key"));
	/* the tags before "p=" */
	k->ptag = (size_t)(strstr(k->record, "p=") - k->record);
	return (0);
}

/* dkimkey_write - PK as unencrypted PKCS#8 PEM into FD, then mode 0600 and
 * fsync(); 0, or an exit status after one line on stderr.  The PEM text
 * lives in secure memory, cleared when freed. */
static int
dkimkey_write(const struct dkimkey *k, int fd, EVP_PKEY *pk)
{
	BIO	*b;
	char	*p;
	long	len;
	ssize_t	n;
	int	st = 0;

	if ((b = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PKCS8PrivateKey(b, pk, NULL, NULL, 0, NULL,
	    NULL) != 1) {
		BIO_free(b);
		return (dkimkey_ssl("PEM encoding"));
	}
	len = BIO_get_mem_data(b, &p);
	while (len > 0) {
		if ((n = write(fd, p, (size_t)len)) < 0) {
			if (errno == EINTR)
				continue;
			ctl_errx("%s: write: %s", k->path, strerror(errno));
			st = EX_IOERR;
			break;
		}
		p += n;
		len -= n;
	}
	BIO_free(b);
	if (st == 0 && (fchmod(fd, 0600) != 0 || fsync(fd) != 0)) {
		ctl_errx("%s: %s", k->path, strerror(errno));
		st = EX_IOERR;
	}
	return (st);
}

/* dkimkey_sync_dir - fsync() K's directory so that a new name lasts; errors
 * are ignored: the key is written, and the next sync keeps the name */
static void
dkimkey_sync_dir(const struct dkimkey *k)
{
	int	fd;

	if ((fd = open(k->dir[0] != '\0' ? k->dir : "/", O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	(void)fsync(fd);
	close(fd);
}

/* dkimkey_conf_string - S as a libconfig string, quoted, on FP */
static void
dkimkey_conf_string(FILE *fp, const char *s)
{
	putc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			putc('\\', fp);
		putc(*s, fp);
	}
	putc('"', fp);
}

/* dkimkey_print - the record in zone-file syntax, the tags in one
 * character-string and p= cut into strings of at most 255 octets, then
 * where the key is and what mailacd.conf needs; or (--json) one object */
static void
dkimkey_print(struct ctl *ctl, const struct dkimkey *k)
{
	const char *p;
	struct jw j;
	size_t	len, n;

	if (ctl->json) {
		jw_init(&j, ctl->out);
		jw_open(&j, NULL, '{');
		jw_string(&j, "domain", k->domain);
		jw_string(&j, "selector", k->selector);
		jw_string(&j, "type", k->ed25519 ? "ed25519" : "rsa");
		jw_int(&j, "bits", k->bits);
		jw_string(&j, "key_file", k->path);
		jw_string(&j, "record_name", k->name);
		jw_string(&j, "record", k->record);
		jw_close(&j, '}');
		jw_end(&j);
		return;
	}
	fprintf(ctl->out, "%s. IN TXT ( \"%.*s\"", k->name, (int)k->ptag,
	    k->record);
	p = k->record + k->ptag;
	for (len = strlen(p); len > 0; p += n, len -= n) {
		n = len < DKIMKEY_STRING_MAX ? len : DKIMKEY_STRING_MAX;
		fprintf(ctl->out, " \"%.*s\"", (int)n, p);
	}
	fputs(" )\n", ctl->out);
	if (k->ed25519)
		fprintf(ctl->out, "; key %s (Ed25519)\n", k->path);
	else
		fprintf(ctl->out, "; key %s (RSA, %d bits)\n", k->path,
		    k->bits);
	fprintf(ctl->out, "; mailacd.conf, domain %s: dkim = { selector = ",
	    k->domain);
	dkimkey_conf_string(ctl->out, k->selector);
	fputs("; key_file = ", ctl->out);
	dkimkey_conf_string(ctl->out, k->path);
	fputs("; };\n", ctl->out);
}

/* dkimkey_genkey - make, write and publish the key K; 0 or an exit status */
static int
dkimkey_genkey(struct ctl *ctl, struct dkimkey *k)
{
	EVP_PKEY *pk = NULL;
	int	fd, st = 0;

	if ((fd = dkimkey_open(k, &st)) < 0)
		return (st);
	if ((st = dkimkey_keygen(k, &pk)) == 0 &&
	    (st = dkimkey_record(k, pk)) == 0)
		st = dkimkey_write(k, fd, pk);
	EVP_PKEY_free(pk);
	if (close(fd) != 0 && st == 0) {
		ctl_errx("%s: %s", k->path, strerror(errno));
		st = EX_IOERR;
	}
	if (st == 0 && k->tmp[0] != '\0' && rename(k->tmp, k->path) != 0) {
		ctl_errx("%s: rename: %s", k->path, strerror(errno));
		st = EX_CANTCREAT;
	}
	if (st != 0) {
		(void)unlink(k->tmp[0] != '\0' ? k->tmp : k->path);
		return (st);
	}
	dkimkey_sync_dir(k);
	dkimkey_print(ctl, k);
	return (0);
}

/* dkimkey_cmd - "dkim genkey": the options and names, then the key */
int
dkimkey_cmd(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct dkimkey k;
	const char *dir = DKIMKEY_DIR, *bits = NULL;
	int	ch, st;

	if (argc < 2) {
		ctl_errx("dkim: missing subcommand (genkey)");
		return (dkimkey_usage());
	}
	if (strcmp(argv[1], "genkey") != 0) {
		ctl_errx("dkim: unknown subcommand %s", argv[1]);
		return (dkimkey_usage());
	}
	memset(&k, 0, sizeof(k));
	k.bits = DKIMKEY_BITS;
	argc--;
	argv++;
	/* 0: GNU getopt starts afresh (main() parsed with "+") */
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":b:d:fht:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			bits = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'f':
			k.force = 1;
			break;
		case 'j':
			ctl->json = 1;
			break;
		case 't':
			if (strcmp(optarg, "rsa") == 0)
				k.ed25519 = 0;
			else if (strcmp(optarg, "ed25519") == 0)
				k.ed25519 = 1;
			else {
				ctl_errx("-t %s: want rsa or ed25519", optarg);
				return (EX_USAGE);
			}
			break;
		case ':':
			ctl_errx("dkim genkey: option -%c needs an argument",
			    optopt);
			return (dkimkey_usage());
		case '?':
			if (optopt != 0)
				ctl_errx("dkim genkey: unknown option -%c",
				    optopt);
			else
				ctl_errx("dkim genkey: unknown option %s",
				    argv[optind - 1]);
			return (dkimkey_usage());
		case 'h':
		default:
			return (dkimkey_usage());
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		return (dkimkey_usage());
	if ((st = dkimkey_name(k.domain, argv[0], "domain", 1)) != 0 ||
	    (st = dkimkey_name(k.selector, argv[1], "selector", 0)) != 0)
		return (st);
	if ((size_t)snprintf(k.name, sizeof(k.name), "%s._domainkey.%s",
	    k.selector, k.domain) >= sizeof(k.name)) {
		ctl_errx("%s._domainkey.%s is longer than 253 octets: a "
		    "shorter selector, please", k.selector, k.domain);
		return (EX_USAGE);
	}
	if (bits != NULL) {
		if (k.ed25519) {
			ctl_errx("-b %s: Ed25519 keys have one size; -b is "
			    "for RSA keys", bits);
			return (EX_USAGE);
		}
		if ((st = dkimkey_bits(&k, bits)) != 0)
			return (st);
	}
	if (k.ed25519)
		k.bits = DKIMKEY_ED25519_LEN * 8;
	if ((st = dkimkey_dir(&k, dir)) != 0)
		return (st);
	st = dkimkey_genkey(ctl, &k);
	free(k.record);
	return (st);
}
