/* cfg.c - load and validate the mailacd configuration, and look up
 * registered addresses and domains in a loaded one.
 *
 * Loading makes two passes over the libconfig tree.  The first follows the
 * schema tables below: it rejects unknown settings and wrong types, checks
 * bounds and syntax, applies defaults and fills the model.  The second checks
 * what needs context (an address lies in its domain, a route names a queue
 * of its organisation, nothing is defined twice) and builds the lookup
 * index.  Every problem is collected, sorted by position and handed to the
 * caller as "file:line: setting: message"; nothing is logged here. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "addr.h"
#include "cfg.h"

#define CFG_PATH_MAX	1024	/* longest setting path shown in a message */
#define CFG_SHOW_MAX	200	/* longest value shown in a message */
#define CFG_UNIX_MAX	107	/* sizeof(sun_path) - 1 on Linux */
#define CFG_SEPS	"+-_=."	/* allowed sub-address separators */

/* What a schema entry accepts. */
enum cfg_type {
	CFG_T_INT,		/* integer within min..max */
	CFG_T_BOOL,		/* true or false */
	CFG_T_STR,		/* string, length within min..max (max 0: any) */
	CFG_T_ENUM,		/* one of a fixed set of strings */
	CFG_T_STRS,		/* array or list of strings, no duplicates */
	CFG_T_GROUP,		/* { ... } with its own table */
	CFG_T_LIST		/* ( { ... }, ... ) of groups with one table */
};

#define CFG_K_REQUIRED	0x1	/* absence is an error */
#define CFG_K_ALLOC	0x2	/* group held through a pointer, NULL if absent */
#define CFG_K_SECRET	0x4	/* never repeat the value in a message */

/* One allowed value of a CFG_T_ENUM setting. */
struct cfg_enum {
	const char *name;
	int	value;
};

/* One setting of a group: type, bounds, default and where it is stored. */
struct cfg_key {
	const char *name;
	enum cfg_type type;
	int	flags;
	long long min, max;	/* INT: value; STR: bytes; LIST: entries */
	long long idef;		/* INT, BOOL, ENUM: default */
	const char *sdef;	/* STR: default (copied); NULL: none */
	size_t	off;		/* where the value goes in the object */
	size_t	noff;		/* LIST, STRS: where the entry count goes */
	size_t	size;		/* LIST, ALLOC group: size of one object */
	size_t	lineoff;	/* LIST: where an element's line number goes */
	const char *label;	/* LIST: member that names an element */
	const struct cfg_key *sub;	/* GROUP, LIST: member table */
	const struct cfg_enum *names;	/* ENUM: allowed values */
	/* STR, STRS entries: NULL if VAL is fine, else why not */
	const char *(*check)(const char *val, char *buf, size_t len);
};

/* The lookup index: registered addresses by key, domains by name. */
struct cfg_index {
	struct cfg_address **addrs;
	size_t	naddrs;
	struct cfg_domain **domains;
	size_t	ndomains;
};

/* One collected error with its sort position. */
struct cfg_lerr {
	char	*msg;
	int	rank;		/* 0: main file, then includes by appearance */
	unsigned line;
	size_t	seq;
};

/* One name seen in the second pass, for duplicate checks and the index. */
struct cfg_seen {
	const char *key;
	const config_setting_t *where;	/* the setting that holds the name */
	void	*obj;
	size_t	seq;
};

/* A growing array of seen names. */
struct cfg_seenv {
	struct cfg_seen *v;
	size_t	n;
	size_t	cap;
};

/* State of one cfg_load() call. */
struct cfg_load {
	const char *file;
	struct cfg *cfg;
	struct cfg_lerr *err;
	size_t	nerr;
	size_t	errcap;
	int	nomem;
	const char *files[16];	/* included files, for error ranks */
	int	nfiles;
	char	*text;		/* the main file, to read integer literals */
	size_t	textlen;
	size_t	*lines;		/* offset of each line in text */
	size_t	nlines;
};

static const char *cfg_check_id(const char *, char *, size_t);
static const char *cfg_check_name(const char *, char *, size_t);
static const char *cfg_check_host(const char *, char *, size_t);
static const char *cfg_check_path(const char *, char *, size_t);
static const char *cfg_check_milter(const char *, char *, size_t);
static const char *cfg_check_seps(const char *, char *, size_t);
static const char *cfg_check_domain(const char *, char *, size_t);
static const char *cfg_check_lang(const char *, char *, size_t);
static const char *cfg_check_display(const char *, char *, size_t);
static const char *cfg_check_mailbox(const char *, char *, size_t);

static const struct cfg_enum cfg_failure_names[] = {
	{ "tempfail", CFG_FAIL_TEMPFAIL },
	{ "accept", CFG_FAIL_ACCEPT },
	{ NULL, 0 }
};

static const struct cfg_enum cfg_direction_names[] = {
	{ "inbound", CFG_DIR_INBOUND },
	{ "outbound", CFG_DIR_OUTBOUND },
	{ "both", CFG_DIR_BOTH },
	{ NULL, 0 }
};

static const struct cfg_key cfg_redis_keys[] = {
	{ .name = "host", .type = CFG_T_STR, .min = 1, .max = CFG_DOMAIN_MAX,
	  .sdef = "127.0.0.1", .off = offsetof(struct cfg_redis, host),
	  .check = cfg_check_host },
	{ .name = "port", .type = CFG_T_INT, .min = 1, .max = 65535,
	  .idef = 6379, .off = offsetof(struct cfg_redis, port) },
	{ .name = "socket", .type = CFG_T_STR, .min = 1, .max = CFG_UNIX_MAX,
	  .off = offsetof(struct cfg_redis, socket), .check = cfg_check_path },
	{ .name = "password", .type = CFG_T_STR, .flags = CFG_K_SECRET,
	  .min = 1, .max = 1024, .off = offsetof(struct cfg_redis, password) },
	{ .name = "database", .type = CFG_T_INT, .min = 0, .max = 1000000,
	  .idef = 0, .off = offsetof(struct cfg_redis, database) },
	{ .name = "connect_timeout_ms", .type = CFG_T_INT, .min = 1,
	  .max = 60000, .idef = 500,
	  .off = offsetof(struct cfg_redis, connect_timeout_ms) },
	{ .name = "command_timeout_ms", .type = CFG_T_INT, .min = 1,
	  .max = 60000, .idef = 1000,
	  .off = offsetof(struct cfg_redis, command_timeout_ms) },
	{ .name = NULL }
};

static const struct cfg_key cfg_milter_keys[] = {
	{ .name = "socket", .type = CFG_T_STR, .flags = CFG_K_REQUIRED,
	  .min = 1, .max = 1024, .off = offsetof(struct cfg_milter, socket),
	  .check = cfg_check_milter },
	{ .name = "on_redis_failure", .type = CFG_T_ENUM,
	  .idef = CFG_FAIL_TEMPFAIL, .names = cfg_failure_names,
	  .off = offsetof(struct cfg_milter, on_redis_failure) },
	{ .name = "dedup_ttl", .type = CFG_T_INT, .min = 60, .max = 31536000,
	  .idef = 604800, .off = offsetof(struct cfg_milter, dedup_ttl) },
	{ .name = NULL }
};

/* The matching settings live directly in struct cfg. */
static const struct cfg_key cfg_matching_keys[] = {
	{ .name = "local_part_case_sensitive", .type = CFG_T_BOOL, .idef = 0,
	  .off = offsetof(struct cfg, local_part_case_sensitive) },
	{ .name = "subaddress_separators", .type = CFG_T_STR, .min = 0,
	  .max = sizeof(CFG_SEPS) - 1, .sdef = "+",
	  .off = offsetof(struct cfg, subaddress_separators),
	  .check = cfg_check_seps },
	{ .name = NULL }
};

/* The route settings, shared by addresses and catch-alls; R is the path
 * of the struct cfg_route inside type T, with a trailing dot, or empty. */
#define CFG_ROUTE_KEYS(T, R) \
	{ .name = "queue", .type = CFG_T_STR, .min = 1, .max = CFG_NAME_MAX, \
	  .off = offsetof(T, R queue), .check = cfg_check_name }, \
	{ .name = "flow", .type = CFG_T_STR, .min = 1, .max = CFG_NAME_MAX, \
	  .off = offsetof(T, R flow), .check = cfg_check_name }, \
	{ .name = "skills", .type = CFG_T_STRS, .min = 1, \
	  .max = CFG_NAME_MAX, .off = offsetof(T, R skills), \
	  .noff = offsetof(T, R nskills), .check = cfg_check_name }, \
	{ .name = "language", .type = CFG_T_STR, .min = 0, .max = 64, \
	  .sdef = "", .off = offsetof(T, R language), \
	  .check = cfg_check_lang }, \
	{ .name = "priority", .type = CFG_T_INT, .min = 0, \
	  .max = CFG_PRIORITY_MAX, .idef = 0, .off = offsetof(T, R priority) }

static const struct cfg_key cfg_catch_all_keys[] = {
	CFG_ROUTE_KEYS(struct cfg_route, ),
	{ .name = NULL }
};

static const struct cfg_key cfg_address_keys[] = {
	{ .name = "address", .type = CFG_T_STR, .flags = CFG_K_REQUIRED,
	  .min = 1, .max = 0, .off = offsetof(struct cfg_address, address) },
	CFG_ROUTE_KEYS(struct cfg_address, route.),
	{ .name = "display_name", .type = CFG_T_STR, .min = 0, .max = 256,
	  .sdef = "", .off = offsetof(struct cfg_address, display_name),
	  .check = cfg_check_display },
	{ .name = "reply_to", .type = CFG_T_STR, .min = 0, .max = 0,
	  .sdef = "", .off = offsetof(struct cfg_address, reply_to),
	  .check = cfg_check_mailbox },
	{ .name = "direction", .type = CFG_T_ENUM, .idef = CFG_DIR_BOTH,
	  .names = cfg_direction_names,
	  .off = offsetof(struct cfg_address, direction) },
	{ .name = "enabled", .type = CFG_T_BOOL, .idef = 1,
	  .off = offsetof(struct cfg_address, enabled) },
	{ .name = NULL }
};

static const struct cfg_key cfg_domain_keys[] = {
	{ .name = "name", .type = CFG_T_STR, .flags = CFG_K_REQUIRED,
	  .min = 1, .max = CFG_DOMAIN_MAX, .off = offsetof(struct cfg_domain, name),
	  .check = cfg_check_domain },
	{ .name = "catch_all", .type = CFG_T_GROUP, .flags = CFG_K_ALLOC,
	  .size = sizeof(struct cfg_route),
	  .off = offsetof(struct cfg_domain, catch_all),
	  .sub = cfg_catch_all_keys },
	{ .name = "addresses", .type = CFG_T_LIST, .min = 0,
	  .size = sizeof(struct cfg_address), .label = "address",
	  .off = offsetof(struct cfg_domain, addresses),
	  .noff = offsetof(struct cfg_domain, naddresses),
	  .lineoff = offsetof(struct cfg_address, line),
	  .sub = cfg_address_keys },
	{ .name = NULL }
};

static const struct cfg_key cfg_queue_keys[] = {
	{ .name = "name", .type = CFG_T_STR, .flags = CFG_K_REQUIRED,
	  .min = 1, .max = CFG_NAME_MAX, .off = offsetof(struct cfg_queue, name),
	  .check = cfg_check_name },
	{ .name = NULL }
};

/* Queues come before domains: the table order is the walk order. */
static const struct cfg_key cfg_org_keys[] = {
	{ .name = "id", .type = CFG_T_STR, .flags = CFG_K_REQUIRED,
	  .min = 1, .max = CFG_NAME_MAX, .off = offsetof(struct cfg_org, id),
	  .check = cfg_check_id },
	{ .name = "queues", .type = CFG_T_LIST, .flags = CFG_K_REQUIRED,
	  .min = 1, .size = sizeof(struct cfg_queue), .label = "name",
	  .off = offsetof(struct cfg_org, queues),
	  .noff = offsetof(struct cfg_org, nqueues),
	  .lineoff = offsetof(struct cfg_queue, line),
	  .sub = cfg_queue_keys },
	{ .name = "domains", .type = CFG_T_LIST, .min = 0,
	  .size = sizeof(struct cfg_domain), .label = "name",
	  .off = offsetof(struct cfg_org, domains),
	  .noff = offsetof(struct cfg_org, ndomains),
	  .lineoff = offsetof(struct cfg_domain, line),
	  .sub = cfg_domain_keys },
	{ .name = NULL }
};

static const struct cfg_key cfg_top_keys[] = {
	{ .name = "redis", .type = CFG_T_GROUP,
	  .off = offsetof(struct cfg, redis), .sub = cfg_redis_keys },
	{ .name = "milter", .type = CFG_T_GROUP,
	  .off = offsetof(struct cfg, milter), .sub = cfg_milter_keys },
	{ .name = "matching", .type = CFG_T_GROUP, .off = 0,
	  .sub = cfg_matching_keys },
	{ .name = "organizations", .type = CFG_T_LIST,
	  .flags = CFG_K_REQUIRED, .min = 1, .size = sizeof(struct cfg_org),
	  .label = "id", .off = offsetof(struct cfg, orgs),
	  .noff = offsetof(struct cfg, norgs),
	  .lineoff = offsetof(struct cfg_org, line), .sub = cfg_org_keys },
	{ .name = NULL }
};

/* cfg_set_ptr - store pointer P at offset OFF of OBJ */
static void
cfg_set_ptr(void *obj, size_t off, const void *p)
{
	memcpy((char *)obj + off, &p, sizeof(p));
}

/* cfg_get_ptr - the pointer stored at offset OFF of OBJ */
static void *
cfg_get_ptr(const void *obj, size_t off)
{
	void   *p;

	memcpy(&p, (const char *)obj + off, sizeof(p));
	return (p);
}

/* cfg_set_int - store V at offset OFF of OBJ */
static void
cfg_set_int(void *obj, size_t off, int v)
{
	memcpy((char *)obj + off, &v, sizeof(v));
}

/* cfg_set_size - store N at offset OFF of OBJ */
static void
cfg_set_size(void *obj, size_t off, size_t n)
{
	memcpy((char *)obj + off, &n, sizeof(n));
}

/* cfg_get_size - the size_t stored at offset OFF of OBJ */
static size_t
cfg_get_size(const void *obj, size_t off)
{
	size_t	n;

	memcpy(&n, (const char *)obj + off, sizeof(n));
	return (n);
}

/* cfg_strdup - copy S, noting a failure in LD */
static char *
cfg_strdup(struct cfg_load *ld, const char *s)
{
	char   *p;

	if ((p = strdup(s)) == NULL)
		ld->nomem = 1;
	return (p);
}

/* cfg_calloc - zeroed array of N objects of SIZE, noting a failure in LD */
static void *
cfg_calloc(struct cfg_load *ld, size_t n, size_t size)
{
	void   *p;

	if (n == 0)
		return (NULL);
	if ((p = calloc(n, size)) == NULL)
		ld->nomem = 1;
	return (p);
}

/* cfg_find_key - the entry NAME of table KEYS, or NULL */
static const struct cfg_key *
cfg_find_key(const struct cfg_key *keys, const char *name)
{
	for (; keys != NULL && keys->name != NULL; keys++)
		if (strcmp(keys->name, name) == 0)
			return (keys);
	return (NULL);
}

/* cfg_casecmp - compare ignoring ASCII case only, whatever the locale */
static int
cfg_casecmp(const char *a, const char *b)
{
	unsigned char x, y;

	do {
		x = (unsigned char)*a++;
		y = (unsigned char)*b++;
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
	} while (x == y && x != '\0');
	return ((int)x - (int)y);
}

/* cfg_append - append S to the path in BUF (of LEN), truncating */
static void
cfg_append(char *buf, size_t len, const char *s)
{
	size_t	used = strlen(buf);

	if (used + 1 < len)
		snprintf(buf + used, len - used, "%s", s);
}

/* cfg_label_ok - 1 if S can name a list element inside brackets */
static int
cfg_label_ok(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++, n++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f ||
		    *s == '[' || *s == ']')
			return (0);
	return (n > 0 && n <= CFG_ADDR_MAX);
}

/* cfg_path - the readable path of setting S, e.g.
 * "organizations[acme].domains[example.com].addresses[#2].priority":
 * list elements are named by their LABEL member when it is a usable
 * string, else by their position after '#', counted from 0 */
static void
cfg_path(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t *chain[32], *lab;
	const struct cfg_key *keys = cfg_top_keys, *k = NULL;
	char	elem[CFG_ADDR_MAX + 8];
	int	n = 0, i;

	buf[0] = '\0';
	for (; s != NULL && !config_setting_is_root(s) && n < 32;
	    s = config_setting_parent(s))
		chain[n++] = s;
	for (i = n - 1; i >= 0; i--) {
		s = chain[i];
		if (config_setting_name(s) != NULL) {
			if (buf[0] != '\0')
				cfg_append(buf, len, ".");
			cfg_append(buf, len, config_setting_name(s));
			k = cfg_find_key(keys, config_setting_name(s));
			keys = k != NULL ? k->sub : NULL;
			continue;
		}
		lab = NULL;
		if (k != NULL && k->label != NULL &&
		    config_setting_type(s) == CONFIG_TYPE_GROUP)
			lab = config_setting_get_member(s, k->label);
		if (lab != NULL && config_setting_type(lab) == CONFIG_TYPE_STRING &&
		    cfg_label_ok(config_setting_get_string(lab)))
			snprintf(elem, sizeof(elem), "[%s]",
			    config_setting_get_string(lab));
		else
			snprintf(elem, sizeof(elem), "[#%d]",
			    config_setting_index(s));
		cfg_append(buf, len, elem);
	}
}

/* cfg_utf8_len - length of the valid UTF-8 sequence at S, or 0; the code
 * point goes to CP */
static size_t
cfg_utf8_len(const unsigned char *s, unsigned long *cp)
{
	size_t	n, i;
	unsigned long c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return (1);
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	} else
		return (0);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return (0);
	*cp = c;
	return (n);
}

/* cfg_show_string - S quoted for a message: control characters and bytes
 * that are not UTF-8 escaped as \xNN, and cut if long */
static void
cfg_show_string(const char *s, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	size_t	o = 0, n;

	if (len < 16) {
		buf[0] = '\0';
		return;
	}
	buf[o++] = '"';
	while (*p != '\0') {
		/* room for the longest step, "..." and the closing quote */
		if (o + 10 >= len || p - (const unsigned char *)s >= CFG_SHOW_MAX) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		n = cfg_utf8_len(p, &cp);
		if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", *p);
			p++;
		} else if (*p == '"' || *p == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)*p++;
		} else {
			memcpy(buf + o, p, n);
			o += n;
			p += n;
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

/* cfg_show - the value of scalar setting S for a message, or NULL */
static const char *
cfg_show(const config_setting_t *s, char *buf, size_t len)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		snprintf(buf, len, "%lld", config_setting_get_int64(s));
		return (buf);
	case CONFIG_TYPE_FLOAT:
		snprintf(buf, len, "%g", config_setting_get_float(s));
		return (buf);
	case CONFIG_TYPE_BOOL:
		snprintf(buf, len, "%s",
		    config_setting_get_bool(s) ? "true" : "false");
		return (buf);
	case CONFIG_TYPE_STRING:
		cfg_show_string(config_setting_get_string(s), buf, len);
		return (buf);
	default:
		return (NULL);
	}
}

/* cfg_rank - the sort rank of errors in FILE: main file first */
static int
cfg_rank(struct cfg_load *ld, const char *file)
{
	int	i;

	if (file == NULL || strcmp(file, ld->file) == 0)
		return (0);
	for (i = 0; i < ld->nfiles; i++)
		if (strcmp(ld->files[i], file) == 0)
			return (i + 1);
	if (ld->nfiles < (int)(sizeof(ld->files) / sizeof(ld->files[0]))) {
		ld->files[ld->nfiles++] = file;
		return (ld->nfiles);
	}
	return (ld->nfiles + 1);
}

/* cfg_err_push - keep MSG (owned) for position FILE:LINE */
static void
cfg_err_push(struct cfg_load *ld, char *msg, const char *file, unsigned line)
{
	struct cfg_lerr *v;
	size_t	cap;

	if (msg == NULL) {
		ld->nomem = 1;
		return;
	}
	if (ld->nerr == ld->errcap) {
		cap = ld->errcap ? ld->errcap * 2 : 16;
		if ((v = realloc(ld->err, cap * sizeof(*v))) == NULL) {
			free(msg);
			ld->nomem = 1;
			return;
		}
		ld->err = v;
		ld->errcap = cap;
	}
	ld->err[ld->nerr].msg = msg;
	ld->err[ld->nerr].rank = cfg_rank(ld, file);
	ld->err[ld->nerr].line = line;
	ld->err[ld->nerr].seq = ld->nerr;
	ld->nerr++;
}

/* cfg_vformat - a newly allocated formatted string, or NULL */
static char *
cfg_vformat(const char *fmt, va_list ap)
{
	va_list	aq;
	char   *p;
	int	n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0 || (p = malloc((size_t)n + 1)) == NULL)
		return (NULL);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return (p);
}

/* cfg_err - report "FILE:LINE: PATH[.MEMBER][ = SHOW]: message" about
 * setting S (NULL: the file as a whole) */
static void
cfg_err(struct cfg_load *ld, const config_setting_t *s, const char *member,
    const char *show, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void
cfg_err(struct cfg_load *ld, const config_setting_t *s, const char *member,
    const char *show, const char *fmt, ...)
{
	char	path[CFG_PATH_MAX], pos[64];
	const char *file = ld->file;
	char   *what, *msg = NULL;
	unsigned line = 0;
	va_list	ap;
	int	n;

	path[0] = '\0';
	if (s != NULL) {
		cfg_path(s, path, sizeof(path));
		if (config_setting_source_file(s) != NULL)
			file = config_setting_source_file(s);
		line = config_setting_source_line(s);
	}
	if (member != NULL) {
		if (path[0] != '\0')
			cfg_append(path, sizeof(path), ".");
		cfg_append(path, sizeof(path), member);
	}
	if (line > 0)
		snprintf(pos, sizeof(pos), ":%u", line);
	else
		pos[0] = '\0';
	va_start(ap, fmt);
	what = cfg_vformat(fmt, ap);
	va_end(ap);
	if (what == NULL) {
		ld->nomem = 1;
		return;
	}
	n = snprintf(NULL, 0, "%s%s: %s%s%s: %s", file, pos, path,
	    show ? " = " : "", show ? show : "", what);
	if (n >= 0 && (msg = malloc((size_t)n + 1)) != NULL)
		snprintf(msg, (size_t)n + 1, "%s%s: %s%s%s: %s", file, pos, path,
		    show ? " = " : "", show ? show : "", what);
	free(what);
	cfg_err_push(ld, msg, file, line);
}

/* cfg_err_file - report "FILE[:LINE]: message" not tied to a setting */
static void
cfg_err_file(struct cfg_load *ld, const char *file, unsigned line,
    const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
cfg_err_file(struct cfg_load *ld, const char *file, unsigned line,
    const char *fmt, ...)
{
	char   *what, *msg = NULL;
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	what = cfg_vformat(fmt, ap);
	va_end(ap);
	if (what == NULL) {
		ld->nomem = 1;
		return;
	}
	if (line > 0)
		n = snprintf(NULL, 0, "%s:%u: %s", file, line, what);
	else
		n = snprintf(NULL, 0, "%s: %s", file, what);
	if (n >= 0 && (msg = malloc((size_t)n + 1)) != NULL) {
		if (line > 0)
			snprintf(msg, (size_t)n + 1, "%s:%u: %s", file, line,
			    what);
		else
			snprintf(msg, (size_t)n + 1, "%s: %s", file, what);
	}
	free(what);
	cfg_err_push(ld, msg, file, line);
}

/* cfg_err_cmp - order errors by file, line, then discovery */
static int
cfg_err_cmp(const void *a, const void *b)
{
	const struct cfg_lerr *x = a, *y = b;

	if (x->rank != y->rank)
		return (x->rank < y->rank ? -1 : 1);
	if (x->line != y->line)
		return (x->line < y->line ? -1 : 1);
	return (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* cfg_where - where S is, as seen from REF: "at line N", "earlier on the
 * same line", or "at FILE:N" in another file */
static void
cfg_where(struct cfg_load *ld, const config_setting_t *s,
    const config_setting_t *ref, char *buf, size_t len)
{
	const char *f = config_setting_source_file(s);
	const char *rf = config_setting_source_file(ref);
	unsigned line = config_setting_source_line(s);

	f = f ? f : ld->file;
	rf = rf ? rf : ld->file;
	if (strcmp(f, rf) != 0)
		snprintf(buf, len, "at %s:%u", f, line);
	else if (line == config_setting_source_line(ref))
		snprintf(buf, len, "earlier on the same line");
	else
		snprintf(buf, len, "at line %u", line);
}

/* cfg_type_name - how a libconfig type is called in messages */
static const char *
cfg_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return ("an integer");
	case CONFIG_TYPE_FLOAT:
		return ("a floating point number");
	case CONFIG_TYPE_STRING:
		return ("a string");
	case CONFIG_TYPE_BOOL:
		return ("a boolean");
	case CONFIG_TYPE_GROUP:
		return ("a group");
	case CONFIG_TYPE_ARRAY:
		return ("an array");
	case CONFIG_TYPE_LIST:
		return ("a list");
	default:
		return ("unknown");
	}
}

/* cfg_want_name - how the type a schema entry wants is called */
static const char *
cfg_want_name(enum cfg_type type)
{
	switch (type) {
	case CFG_T_INT:
		return ("an integer");
	case CFG_T_BOOL:
		return ("true or false");
	case CFG_T_STR:
	case CFG_T_ENUM:
		return ("a string");
	case CFG_T_STRS:
		return ("a list of strings");
	case CFG_T_GROUP:
		return ("a group");
	case CFG_T_LIST:
		return ("a list of groups");
	}
	return ("unknown");
}

/* cfg_err_type - report that S has the wrong type for K */
static void
cfg_err_type(struct cfg_load *ld, const config_setting_t *s,
    const struct cfg_key *k)
{
	char	show[CFG_SHOW_MAX + 16];
	const char *v = NULL;

	if ((k->flags & CFG_K_SECRET) == 0)
		v = cfg_show(s, show, sizeof(show));
	cfg_err(ld, s, NULL, v, "must be %s, not %s", cfg_want_name(k->type),
	    cfg_type_name(config_setting_type(s)));
}

/* cfg_index_lines - note where each line of the main file starts */
static void
cfg_index_lines(struct cfg_load *ld)
{
	size_t	i, n = 1;

	for (i = 0; i < ld->textlen; i++)
		if (ld->text[i] == '\n')
			n++;
	if ((ld->lines = calloc(n, sizeof(*ld->lines))) == NULL) {
		ld->nomem = 1;
		return;
	}
	ld->lines[0] = 0;
	ld->nlines = 1;
	for (i = 0; i < ld->textlen; i++)
		if (ld->text[i] == '\n')
			ld->lines[ld->nlines++] = i + 1;
}

/* cfg_ident - 1 if C may be part of a libconfig setting name */
static int
cfg_ident(int c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '*');
}

/* cfg_literal - libconfig 1.5 silently cuts integer literals to 32 bits:
 * find on S's line of the main file a literal for S that is out of the int
 * range and cut gives S's value GOT; 1 with its value (saturated) and text,
 * else 0 */
static int
cfg_literal(struct cfg_load *ld, const config_setting_t *s, long long got,
    long long *v, char *txt, size_t txtlen)
{
	const char *name = config_setting_name(s), *start, *p, *e, *q;
	unsigned line = config_setting_source_line(s);
	size_t	nlen, i;
	int	quoted = 0;
	long long lit;
	char	num[64], *end;

	if (name == NULL || config_setting_source_file(s) != NULL ||
	    line == 0 || line > ld->nlines || ld->text == NULL)
		return (0);
	nlen = strlen(name);
	start = ld->text + ld->lines[line - 1];
	e = line < ld->nlines ? ld->text + ld->lines[line] :
	    ld->text + ld->textlen;
	for (p = start; p < e; p++) {
		if (quoted) {
			if (*p == '\\' && p + 1 < e)
				p++;
			else if (*p == '"')
				quoted = 0;
			continue;
		}
		if (*p == '"') {
			quoted = 1;
			continue;
		}
		if (*p == '#' || (*p == '/' && p + 1 < e &&
		    (p[1] == '/' || p[1] == '*')))
			return (0);
		/* NAME as a whole word, then "=" or ":" */
		if ((size_t)(e - p) <= nlen || memcmp(p, name, nlen) != 0 ||
		    (p > start && cfg_ident(p[-1])) || cfg_ident(p[nlen]))
			continue;
		for (q = p + nlen; q < e && (*q == ' ' || *q == '\t'); q++)
			;
		if (q >= e || (*q != '=' && *q != ':'))
			continue;
		for (q++; q < e && (*q == ' ' || *q == '\t'); q++)
			;
		for (i = 0; q + i < e && i + 1 < sizeof(num) &&
		    (cfg_ident(q[i]) || q[i] == '+'); i++)
			num[i] = q[i];
		num[i] = '\0';
		lit = strtoll(num, &end, (num[0] == '0' &&
		    (num[1] == 'x' || num[1] == 'X')) ? 16 : 10);
		if (end == num || (lit >= INT_MIN && lit <= INT_MAX) ||
		    (unsigned)(unsigned long long)lit !=
		    (unsigned)(unsigned long long)got)
			continue;
		while (*end == 'L')
			end++;
		*end = '\0';
		*v = lit;
		snprintf(txt, txtlen, "%s", num);
		return (1);
	}
	return (0);
}

static void cfg_walk_group(struct cfg_load *, const config_setting_t *,
		    const config_setting_t *, const char *,
		    const struct cfg_key *, void *, int);

/* cfg_walk_int - check and store integer setting S (NULL: default) */
static void
cfg_walk_int(struct cfg_load *ld, const struct cfg_key *k,
    const config_setting_t *s, void *obj)
{
	long long v;
	char	txt[64];

	cfg_set_int(obj, k->off, (int)k->idef);
	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		cfg_err_type(ld, s, k);
		return;
	}
	v = config_setting_get_int64(s);
	if (config_setting_type(s) != CONFIG_TYPE_INT ||
	    !cfg_literal(ld, s, v, &v, txt, sizeof(txt)))
		snprintf(txt, sizeof(txt), "%lld", v);
	if (v < k->min || v > k->max) {
		cfg_err(ld, s, NULL, txt, "must be between %lld and %lld",
		    k->min, k->max);
		return;
	}
	cfg_set_int(obj, k->off, (int)v);
}

/* cfg_check_str - the length and syntax problem of string V for K, or NULL */
static const char *
cfg_check_str(const struct cfg_key *k, const char *v, char *buf, size_t len)
{
	size_t	n = strlen(v);

	if ((long long)n < k->min)
		return (k->min == 1 ? "must not be empty" :
		    "is too short");
	if (k->max > 0 && (long long)n > k->max) {
		snprintf(buf, len, "must be at most %lld bytes long", k->max);
		return (buf);
	}
	return (k->check != NULL ? k->check(v, buf, len) : NULL);
}

/* cfg_walk_str - check and store string setting S (NULL: default) */
static void
cfg_walk_str(struct cfg_load *ld, const struct cfg_key *k,
    const config_setting_t *s, void *obj)
{
	char	why[512], show[CFG_SHOW_MAX + 16];
	const char *v, *msg;

	if (s != NULL && config_setting_type(s) != CONFIG_TYPE_STRING) {
		cfg_err_type(ld, s, k);
		s = NULL;
	}
	if (s == NULL) {
		if (k->sdef != NULL)
			cfg_set_ptr(obj, k->off, cfg_strdup(ld, k->sdef));
		return;
	}
	v = config_setting_get_string(s);
	if ((msg = cfg_check_str(k, v, why, sizeof(why))) != NULL)
		cfg_err(ld, s, NULL, (k->flags & CFG_K_SECRET) ? NULL :
		    cfg_show(s, show, sizeof(show)), "%s", msg);
	cfg_set_ptr(obj, k->off, cfg_strdup(ld, v));
}

/* cfg_walk_enum - check and store one-of-a-set setting S (NULL: default) */
static void
cfg_walk_enum(struct cfg_load *ld, const struct cfg_key *k,
    const config_setting_t *s, void *obj)
{
	const struct cfg_enum *e;
	char	show[CFG_SHOW_MAX + 16], want[256];
	const char *v;

	cfg_set_int(obj, k->off, (int)k->idef);
	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cfg_err_type(ld, s, k);
		return;
	}
	v = config_setting_get_string(s);
	want[0] = '\0';
	for (e = k->names; e->name != NULL; e++) {
		if (strcmp(e->name, v) == 0) {
			cfg_set_int(obj, k->off, e->value);
			return;
		}
		if (e != k->names)
			cfg_append(want, sizeof(want),
			    e[1].name != NULL ? ", " : " or ");
		cfg_append(want, sizeof(want), "\"");
		cfg_append(want, sizeof(want), e->name);
		cfg_append(want, sizeof(want), "\"");
	}
	cfg_err(ld, s, NULL, cfg_show(s, show, sizeof(show)), "must be %s",
	    want);
}

/* cfg_walk_strs - check and store a list of strings S (NULL: empty) */
static void
cfg_walk_strs(struct cfg_load *ld, const struct cfg_key *k,
    const config_setting_t *s, void *obj)
{
	const config_setting_t *e;
	char	why[512], show[CFG_SHOW_MAX + 16], **v;
	const char *msg;
	int	n, i, j;

	cfg_set_ptr(obj, k->off, NULL);
	cfg_set_size(obj, k->noff, 0);
	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST) {
		cfg_err_type(ld, s, k);
		return;
	}
	n = config_setting_length(s);
	if ((v = cfg_calloc(ld, (size_t)n, sizeof(*v))) == NULL)
		return;
	cfg_set_ptr(obj, k->off, v);
	cfg_set_size(obj, k->noff, (size_t)n);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			cfg_err(ld, e, NULL, cfg_show(e, show, sizeof(show)),
			    "must be a string, not %s",
			    cfg_type_name(config_setting_type(e)));
			continue;
		}
		v[i] = cfg_strdup(ld, config_setting_get_string(e));
		if (v[i] == NULL)
			continue;
		if ((msg = cfg_check_str(k, v[i], why, sizeof(why))) != NULL) {
			cfg_err(ld, e, NULL, cfg_show(e, show, sizeof(show)),
			    "%s", msg);
			continue;
		}
		for (j = 0; j < i; j++)
			if (v[j] != NULL && strcmp(v[j], v[i]) == 0)
				break;
		if (j < i)
			cfg_err(ld, e, NULL, cfg_show(e, show, sizeof(show)),
			    "listed twice");
	}
}

/* cfg_walk_list - check and store a list of groups S (NULL: empty) */
static void
cfg_walk_list(struct cfg_load *ld, const struct cfg_key *k,
    const config_setting_t *s, void *obj)
{
	const config_setting_t *e;
	char	show[CFG_SHOW_MAX + 16], *v;
	int	n, i;

	cfg_set_ptr(obj, k->off, NULL);
	cfg_set_size(obj, k->noff, 0);
	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_LIST &&
	    config_setting_type(s) != CONFIG_TYPE_ARRAY) {
		cfg_err_type(ld, s, k);
		return;
	}
	n = config_setting_length(s);
	if (n < k->min) {
		if (k->min == 1)
			cfg_err(ld, s, NULL, NULL, "must not be empty");
		else
			cfg_err(ld, s, NULL, NULL,
			    "must have at least %lld entries", k->min);
	}
	if ((v = cfg_calloc(ld, (size_t)n, k->size)) == NULL)
		return;
	cfg_set_ptr(obj, k->off, v);
	cfg_set_size(obj, k->noff, (size_t)n);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned)i);
		cfg_set_int(v + (size_t)i * k->size, k->lineoff,
		    (int)config_setting_source_line(e));
		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			cfg_err(ld, e, NULL, cfg_show(e, show, sizeof(show)),
			    "must be a group, not %s",
			    cfg_type_name(config_setting_type(e)));
			continue;
		}
		cfg_walk_group(ld, e, NULL, NULL, k->sub,
		    v + (size_t)i * k->size, 1);
	}
}

/* cfg_walk_key - check and store the setting S (NULL: absent) that K
 * describes, a member of GRP (NULL: of the absent group PARENT.NAME) */
static void
cfg_walk_key(struct cfg_load *ld, const struct cfg_key *k,
    const config_setting_t *s, const config_setting_t *grp,
    const config_setting_t *parent, const char *name, void *obj,
    int report_missing)
{
	char	path[CFG_PATH_MAX];
	void   *sub;

	if (grp != NULL)
		snprintf(path, sizeof(path), "%s", k->name);
	else
		snprintf(path, sizeof(path), "%s%s%s", name ? name : "",
		    name ? "." : "", k->name);
	if (s == NULL && (k->flags & CFG_K_REQUIRED) && report_missing)
		cfg_err(ld, grp != NULL ? grp : parent, path, NULL,
		    "required setting is missing");
	switch (k->type) {
	case CFG_T_INT:
		cfg_walk_int(ld, k, s, obj);
		break;
	case CFG_T_BOOL:
		cfg_set_int(obj, k->off, (int)k->idef);
		if (s != NULL && config_setting_type(s) != CONFIG_TYPE_BOOL)
			cfg_err_type(ld, s, k);
		else if (s != NULL)
			cfg_set_int(obj, k->off, config_setting_get_bool(s));
		break;
	case CFG_T_STR:
		cfg_walk_str(ld, k, s, obj);
		break;
	case CFG_T_ENUM:
		cfg_walk_enum(ld, k, s, obj);
		break;
	case CFG_T_STRS:
		cfg_walk_strs(ld, k, s, obj);
		break;
	case CFG_T_LIST:
		cfg_walk_list(ld, k, s, obj);
		break;
	case CFG_T_GROUP:
		if (s != NULL && config_setting_type(s) != CONFIG_TYPE_GROUP) {
			cfg_err_type(ld, s, k);
			if (k->flags & CFG_K_ALLOC)
				break;
			/* defaults only: its members are not the problem */
			cfg_walk_group(ld, NULL, NULL, NULL, k->sub,
			    (char *)obj + k->off, 0);
			break;
		}
		if (k->flags & CFG_K_ALLOC) {
			if (s == NULL)
				break;
			if ((sub = cfg_calloc(ld, 1, k->size)) == NULL)
				break;
			cfg_set_ptr(obj, k->off, sub);
		} else
			sub = (char *)obj + k->off;
		if (s != NULL)
			cfg_walk_group(ld, s, NULL, NULL, k->sub, sub, 1);
		else
			/* an absent group: its defaults, and what it lacks */
			cfg_walk_group(ld, NULL, grp != NULL ? grp : parent,
			    path, k->sub, sub, report_missing);
		break;
	}
}

/* cfg_walk_group - check and store the members of group GRP (NULL: the
 * absent group NAME inside PARENT) into OBJ as table KEYS describes */
static void
cfg_walk_group(struct cfg_load *ld, const config_setting_t *grp,
    const config_setting_t *parent, const char *name,
    const struct cfg_key *keys, void *obj, int report_missing)
{
	const struct cfg_key *k;
	const config_setting_t *m;
	int	i, n;

	if (grp != NULL) {
		n = config_setting_length(grp);
		for (i = 0; i < n; i++) {
			m = config_setting_get_elem(grp, (unsigned)i);
			if (cfg_find_key(keys, config_setting_name(m)) == NULL)
				cfg_err(ld, m, NULL, NULL, "unknown setting");
		}
	}
	for (k = keys; k->name != NULL; k++) {
		m = grp != NULL ? config_setting_get_member(grp, k->name) : NULL;
		cfg_walk_key(ld, k, m, grp, parent, name, obj, report_missing);
	}
}

/* cfg_is_in - 1 if every byte of S is in SET */
static int
cfg_is_in(const char *s, const char *set)
{
	return (s[strspn(s, set)] == '\0');
}

#define CFG_LOWER	"abcdefghijklmnopqrstuvwxyz"
#define CFG_UPPER	"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define CFG_DIGIT	"0123456789"

/* cfg_check_id - organisation ids go into Redis keys: [a-z0-9_-] */
static const char *
cfg_check_id(const char *v, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	if (!cfg_is_in(v, CFG_LOWER CFG_DIGIT "_-"))
		return ("may contain only a-z, 0-9, \"_\" and \"-\"");
	return (NULL);
}

/* cfg_check_name - queue names and skills: [A-Za-z0-9._-] */
static const char *
cfg_check_name(const char *v, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	if (!cfg_is_in(v, CFG_LOWER CFG_UPPER CFG_DIGIT "._-"))
		return ("may contain only A-Z, a-z, 0-9, \".\", \"_\" and \"-\"");
	return (NULL);
}

/* cfg_check_host - a host name or an IPv4 or IPv6 address */
static const char *
cfg_check_host(const char *v, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	if (!cfg_is_in(v, CFG_LOWER CFG_UPPER CFG_DIGIT ".:_-"))
		return ("must be a host name or an IP address");
	return (NULL);
}

/* cfg_check_path - an absolute path */
static const char *
cfg_check_path(const char *v, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return (v[0] == '/' ? NULL : "must be an absolute path");
}

/* cfg_check_milter - a libmilter socket: inet:PORT@HOST, inet6:PORT@HOST,
 * unix:/PATH or local:/PATH */
static const char *
cfg_check_milter(const char *v, char *buf, size_t len)
{
	const char *p;
	size_t	digits;
	long	port;

	(void)buf;
	(void)len;
	if (strncmp(v, "unix:", 5) == 0 || strncmp(v, "local:", 6) == 0) {
		p = strchr(v, ':') + 1;
		if (*p != '/')
			return ("the socket path must be absolute");
		if (strlen(p) > CFG_UNIX_MAX)
			return ("the socket path is longer than 107 bytes");
		return (NULL);
	}
	if (strncmp(v, "inet:", 5) == 0)
		p = v + 5;
	else if (strncmp(v, "inet6:", 6) == 0)
		p = v + 6;
	else
		return ("must be inet:PORT@HOST, inet6:PORT@HOST, "
		    "unix:/PATH or local:/PATH");
	digits = strspn(p, CFG_DIGIT);
	port = digits > 0 && digits <= 5 ? strtol(p, NULL, 10) : 0;
	if (port < 1 || port > 65535 || (p[digits] != '@' && p[digits] != '\0'))
		return ("the port must be a number from 1 to 65535");
	if (p[digits] != '@' || p[digits + 1] == '\0')
		return ("the host is missing (PORT@HOST)");
	if (!cfg_is_in(p + digits + 1, CFG_LOWER CFG_UPPER CFG_DIGIT ".:_-[]"))
		return ("the host must be a host name or an IP address");
	return (NULL);
}

/* cfg_check_seps - sub-address separators: some of "+-_=." */
static const char *
cfg_check_seps(const char *v, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	if (!cfg_is_in(v, CFG_SEPS))
		return ("may contain only \"+\", \"-\", \"_\", \"=\" and \".\"");
	return (NULL);
}

/* cfg_check_domain - a syntactically valid domain name */
static const char *
cfg_check_domain(const char *v, char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return (addr_valid_domain(v) ? NULL : "is not a valid domain name");
}

/* cfg_check_lang - "" or a BCP 47 like [A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})* */
static const char *
cfg_check_lang(const char *v, char *buf, size_t len)
{
	const char *p = v;
	size_t	n;
	int	first = 1;

	(void)buf;
	(void)len;
	if (*v == '\0')
		return (NULL);
	for (;;) {
		n = strspn(p, first ? CFG_LOWER CFG_UPPER :
		    CFG_LOWER CFG_UPPER CFG_DIGIT);
		if (n < 1 || n > 8)
			break;
		p += n;
		if (*p == '\0')
			return (NULL);
		if (*p++ != '-')
			break;
		first = 0;
	}
	return ("must be a language tag such as \"en\" or \"es-MX\"");
}

/* cfg_check_display - printable UTF-8 text for a header phrase */
static const char *
cfg_check_display(const char *v, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)v;
	unsigned long cp;
	size_t	n;

	(void)buf;
	(void)len;
	while (*p != '\0') {
		if ((n = cfg_utf8_len(p, &cp)) == 0)
			return ("must be valid UTF-8");
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			return ("must not contain control characters");
		p += n;
	}
	return (NULL);
}

/* cfg_plain_problem - why V is not written as a bare local@domain, or NULL */
static const char *
cfg_plain_problem(const char *v)
{
	size_t	n = strlen(v);

	if (n == 0)
		return (NULL);
	if (v[0] == '<' || v[n - 1] == '>')
		return ("write it without angle brackets");
	if (v[0] == '@')
		return ("source routes are not allowed");
	if (v[0] == ' ' || v[0] == '\t' || v[n - 1] == ' ' || v[n - 1] == '\t')
		return ("leading or trailing blanks are not allowed");
	return (NULL);
}

/* cfg_check_mailbox - "" or a valid address */
static const char *
cfg_check_mailbox(const char *v, char *buf, size_t len)
{
	struct addr a;
	const char *why;
	char	err[256];

	if (*v == '\0')
		return (NULL);
	if ((why = cfg_plain_problem(v)) == NULL &&
	    addr_parse(v, &a, err, sizeof(err)) == 0)
		return (NULL);
	snprintf(buf, len, "is not a valid address: %s", why ? why : err);
	return (buf);
}

/* cfg_seen_add - remember name KEY held by setting WHERE for object OBJ */
static void
cfg_seen_add(struct cfg_load *ld, struct cfg_seenv *sv, const char *key,
    const config_setting_t *where, void *obj)
{
	struct cfg_seen *v;
	size_t	cap;

	if (sv->n == sv->cap) {
		cap = sv->cap ? sv->cap * 2 : 16;
		if ((v = realloc(sv->v, cap * sizeof(*v))) == NULL) {
			ld->nomem = 1;
			return;
		}
		sv->v = v;
		sv->cap = cap;
	}
	sv->v[sv->n].key = key;
	sv->v[sv->n].where = where;
	sv->v[sv->n].obj = obj;
	sv->v[sv->n].seq = sv->n;
	sv->n++;
}

/* cfg_seen_cmp - order names case-sensitively, then by appearance */
static int
cfg_seen_cmp(const void *a, const void *b)
{
	const struct cfg_seen *x = a, *y = b;
	int	c;

	if ((c = strcmp(x->key, y->key)) != 0)
		return (c);
	return (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* cfg_seen_casecmp - order names ignoring ASCII case, then by appearance */
static int
cfg_seen_casecmp(const void *a, const void *b)
{
	const struct cfg_seen *x = a, *y = b;
	int	c;

	if ((c = cfg_casecmp(x->key, y->key)) != 0)
		return (c);
	return (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* cfg_seen_dups - sort SV with CMP and report each later copy of a name;
 * AS_ADDRESS phrases the message for addresses */
static void
cfg_seen_dups(struct cfg_load *ld, struct cfg_seenv *sv,
    int (*cmp)(const void *, const void *), int as_address)
{
	char	show[CFG_SHOW_MAX + 16], first[CFG_SHOW_MAX + 16], at[512];
	size_t	i, f = 0;

	if (sv->n == 0)
		return;
	qsort(sv->v, sv->n, sizeof(*sv->v), cmp);
	for (i = 1; i < sv->n; i++) {
		if (cmp == cfg_seen_casecmp ?
		    cfg_casecmp(sv->v[i].key, sv->v[f].key) != 0 :
		    strcmp(sv->v[i].key, sv->v[f].key) != 0) {
			f = i;
			continue;
		}
		cfg_where(ld, sv->v[f].where, sv->v[i].where, at, sizeof(at));
		cfg_show(sv->v[i].where, show, sizeof(show));
		if (as_address) {
			cfg_show(sv->v[f].where, first, sizeof(first));
			cfg_err(ld, sv->v[i].where, NULL, show,
			    "same address as %s %s", first, at);
		} else
			cfg_err(ld, sv->v[i].where, NULL, show,
			    "already defined %s", at);
	}
}

/* cfg_has_queue - 1 if NAME is in the sorted queue names QV */
static int
cfg_has_queue(const struct cfg_seenv *qv, const char *name)
{
	size_t	lo = 0, hi = qv->n, mid;
	int	c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(name, qv->v[mid].key)) == 0)
			return (1);
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (0);
}

/* cfg_check_route - a route names a queue of its organisation (QV sorted;
 * NULL when the queues could not be read) and no flow; RS is its group */
static void
cfg_check_route(struct cfg_load *ld, const struct cfg_route *r,
    const config_setting_t *rs, const struct cfg_seenv *qv)
{
	const config_setting_t *qs, *fs;
	char	show[CFG_SHOW_MAX + 16];

	qs = config_setting_get_member(rs, "queue");
	fs = config_setting_get_member(rs, "flow");
	if (qs != NULL && fs != NULL)
		cfg_err(ld, rs, NULL, NULL,
		    "queue and flow cannot both be set");
	if (qs == NULL && fs == NULL)
		cfg_err(ld, rs, NULL, NULL, "needs a queue or a flow");
	if (qs != NULL && r->queue != NULL && qv != NULL &&
	    config_setting_type(qs) == CONFIG_TYPE_STRING &&
	    !cfg_has_queue(qv, r->queue))
		cfg_err(ld, qs, NULL, cfg_show(qs, show, sizeof(show)),
		    "no such queue in this organization");
	if (fs != NULL && r->flow != NULL &&
	    config_setting_type(fs) == CONFIG_TYPE_STRING)
		cfg_err(ld, fs, NULL, NULL,
		    "flow \"%s\" is not defined (flows are not supported yet)",
		    r->flow);
}

/* cfg_check_address - address A of domain D (group AS) is valid, lies in
 * D and has a lookup key; the key goes to AV */
static void
cfg_check_address(struct cfg_load *ld, struct cfg_address *a,
    const struct cfg_domain *d, const config_setting_t *as,
    struct cfg_seenv *av)
{
	const struct cfg *cfg = ld->cfg;
	const config_setting_t *s;
	char	show[CFG_SHOW_MAX + 16], err[256], key[CFG_ADDR_MAX * 2 + 8];
	const char *at, *why;
	struct addr pa;
	size_t	n;

	s = config_setting_get_member(as, "address");
	if (a->address == NULL || s == NULL ||
	    config_setting_type(s) != CONFIG_TYPE_STRING || a->address[0] == '\0')
		return;
	cfg_show(s, show, sizeof(show));
	if ((n = strlen(a->address)) > CFG_ADDR_MAX) {
		cfg_err(ld, s, NULL, show, "is %zu octets long, more than %d",
		    n, CFG_ADDR_MAX);
		return;
	}
	if ((at = strrchr(a->address, '@')) != NULL &&
	    (size_t)(at - a->address) > CFG_LOCAL_MAX) {
		cfg_err(ld, s, NULL, show,
		    "the local part is %zu octets long, more than %d",
		    (size_t)(at - a->address), CFG_LOCAL_MAX);
		return;
	}
	if ((why = cfg_plain_problem(a->address)) != NULL ||
	    addr_parse(a->address, &pa, err, sizeof(err)) != 0) {
		cfg_err(ld, s, NULL, show, "is not a valid address: %s",
		    why ? why : err);
		return;
	}
	if (d->name != NULL && addr_valid_domain(d->name) &&
	    cfg_casecmp(pa.domain, d->name) != 0)
		cfg_err(ld, s, NULL, show,
		    "domain \"%s\" is not the enclosing domain \"%s\"",
		    pa.domain, d->name);
	if (addr_key(pa.local, pa.domain, cfg->local_part_case_sensitive,
	    cfg->subaddress_separators ? cfg->subaddress_separators : "", 0,
	    key, sizeof(key)) != 0) {
		cfg_err(ld, s, NULL, show, "has no lookup key");
		return;
	}
	if ((a->key = cfg_strdup(ld, key)) != NULL)
		cfg_seen_add(ld, av, a->key, s, a);
}

/* cfg_lower - lower-case ASCII letters of S in place */
static void
cfg_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* cfg_group_elem - element I of list L if it is a group, else NULL */
static const config_setting_t *
cfg_group_elem(const config_setting_t *l, size_t i)
{
	const config_setting_t *e;

	if (l == NULL || (e = config_setting_get_elem(l, (unsigned)i)) == NULL ||
	    config_setting_type(e) != CONFIG_TYPE_GROUP)
		return (NULL);
	return (e);
}

/* cfg_check_org - check organisation O (group OS); its domains go to DV,
 * its addresses to AV */
static void
cfg_check_org(struct cfg_load *ld, struct cfg_org *o,
    const config_setting_t *os, struct cfg_seenv *dv, struct cfg_seenv *av)
{
	const config_setting_t *ql, *dl, *al, *e, *de, *ae, *s;
	struct cfg_seenv qv = { NULL, 0, 0 }, *qvp = NULL;
	struct cfg_domain *d;
	struct cfg_address *a;
	size_t	i, j;

	ql = config_setting_get_member(os, "queues");
	for (i = 0; i < o->nqueues; i++)
		if ((e = cfg_group_elem(ql, i)) != NULL &&
		    o->queues[i].name != NULL &&
		    (s = config_setting_get_member(e, "name")) != NULL)
			cfg_seen_add(ld, &qv, o->queues[i].name, s, &o->queues[i]);
	cfg_seen_dups(ld, &qv, cfg_seen_cmp, 0);
	/* a queues setting of the wrong type: routes cannot be checked */
	if (ql != NULL && (config_setting_type(ql) == CONFIG_TYPE_LIST ||
	    config_setting_type(ql) == CONFIG_TYPE_ARRAY))
		qvp = &qv;

	dl = config_setting_get_member(os, "domains");
	for (i = 0; i < o->ndomains; i++) {
		d = &o->domains[i];
		d->org = o;
		if ((de = cfg_group_elem(dl, i)) == NULL)
			continue;
		if (d->name != NULL) {
			cfg_lower(d->name);
			if ((s = config_setting_get_member(de, "name")) != NULL &&
			    addr_valid_domain(d->name))
				cfg_seen_add(ld, dv, d->name, s, d);
		}
		if (d->catch_all != NULL &&
		    (s = config_setting_get_member(de, "catch_all")) != NULL)
			cfg_check_route(ld, d->catch_all, s, qvp);
		al = config_setting_get_member(de, "addresses");
		for (j = 0; j < d->naddresses; j++) {
			a = &d->addresses[j];
			a->domain = d;
			a->org = o;
			if ((ae = cfg_group_elem(al, j)) == NULL)
				continue;
			cfg_check_address(ld, a, d, ae, av);
			cfg_check_route(ld, &a->route, ae, qvp);
		}
	}
	free(qv.v);
}

/* cfg_check_model - the second pass: checks that need context, then the
 * lookup index */
static void
cfg_check_model(struct cfg_load *ld, const config_t *lc)
{
	struct cfg *cfg = ld->cfg;
	const config_setting_t *rs, *ol, *os, *s;
	struct cfg_seenv ov = { NULL, 0, 0 }, dv = { NULL, 0, 0 };
	struct cfg_seenv av = { NULL, 0, 0 };
	struct cfg_index *ix;
	size_t	i;

	rs = config_lookup(lc, "redis");
	if (rs != NULL && config_setting_type(rs) == CONFIG_TYPE_GROUP &&
	    config_setting_get_member(rs, "host") != NULL &&
	    (s = config_setting_get_member(rs, "socket")) != NULL)
		cfg_err(ld, s, NULL, NULL,
		    "cannot be used together with redis.host");
	if (cfg->redis.socket != NULL) {
		free(cfg->redis.host);
		cfg->redis.host = NULL;
	}

	ol = config_lookup(lc, "organizations");
	for (i = 0; i < cfg->norgs; i++) {
		if ((os = cfg_group_elem(ol, i)) == NULL)
			continue;
		if (cfg->orgs[i].id != NULL &&
		    (s = config_setting_get_member(os, "id")) != NULL)
			cfg_seen_add(ld, &ov, cfg->orgs[i].id, s, &cfg->orgs[i]);
		cfg_check_org(ld, &cfg->orgs[i], os, &dv, &av);
	}
	cfg_seen_dups(ld, &ov, cfg_seen_cmp, 0);
	cfg_seen_dups(ld, &dv, cfg_seen_casecmp, 0);
	cfg_seen_dups(ld, &av, cfg_seen_cmp, 1);

	if ((ix = cfg_calloc(ld, 1, sizeof(*ix))) != NULL) {
		cfg->index = ix;
		if (av.n > 0 &&
		    (ix->addrs = cfg_calloc(ld, av.n, sizeof(*ix->addrs))) != NULL) {
			for (i = 0; i < av.n; i++)
				ix->addrs[i] = av.v[i].obj;
			ix->naddrs = av.n;
		}
		if (dv.n > 0 && (ix->domains = cfg_calloc(ld, dv.n,
		    sizeof(*ix->domains))) != NULL) {
			for (i = 0; i < dv.n; i++)
				ix->domains[i] = dv.v[i].obj;
			ix->ndomains = dv.n;
		}
	}
	free(ov.v);
	free(dv.v);
	free(av.v);
}

/* cfg_free_obj - free what table KEYS stored in OBJ (not OBJ itself) */
static void
cfg_free_obj(const struct cfg_key *keys, void *obj)
{
	const struct cfg_key *k;
	char  **sv, *lv;
	void   *p;
	size_t	i, n;

	for (k = keys; k->name != NULL; k++) {
		switch (k->type) {
		case CFG_T_STR:
			free(cfg_get_ptr(obj, k->off));
			break;
		case CFG_T_STRS:
			sv = cfg_get_ptr(obj, k->off);
			n = cfg_get_size(obj, k->noff);
			for (i = 0; sv != NULL && i < n; i++)
				free(sv[i]);
			free(sv);
			break;
		case CFG_T_GROUP:
			if ((k->flags & CFG_K_ALLOC) == 0)
				cfg_free_obj(k->sub, (char *)obj + k->off);
			else if ((p = cfg_get_ptr(obj, k->off)) != NULL) {
				cfg_free_obj(k->sub, p);
				free(p);
			}
			break;
		case CFG_T_LIST:
			lv = cfg_get_ptr(obj, k->off);
			n = cfg_get_size(obj, k->noff);
			for (i = 0; lv != NULL && i < n; i++)
				cfg_free_obj(k->sub, lv + i * k->size);
			free(lv);
			break;
		default:
			break;
		}
	}
}

/* cfg_free - free a configuration and everything it owns */
static void
cfg_free(struct cfg *cfg)
{
	size_t	i, j, k;

	if (cfg == NULL)
		return;
	/* the lookup keys are the only fields the schema does not own */
	for (i = 0; i < cfg->norgs && cfg->orgs != NULL; i++)
		for (j = 0; j < cfg->orgs[i].ndomains &&
		    cfg->orgs[i].domains != NULL; j++)
			for (k = 0; k < cfg->orgs[i].domains[j].naddresses; k++)
				free(cfg->orgs[i].domains[j].addresses[k].key);
	cfg_free_obj(cfg_top_keys, cfg);
	if (cfg->index != NULL) {
		free(cfg->index->addrs);
		free(cfg->index->domains);
		free(cfg->index);
	}
	free(cfg->file);
	free(cfg);
}

/* cfg_read - the whole of FILE into LD->text; 0, or -1 with an error */
static int
cfg_read(struct cfg_load *ld)
{
	FILE   *fp;
	char   *p;
	size_t	cap = 8192, n;

	if ((fp = fopen(ld->file, "r")) == NULL) {
		cfg_err_file(ld, ld->file, 0, "cannot read: %s", strerror(errno));
		return (-1);
	}
	for (;;) {
		if (ld->text == NULL || ld->textlen + 1 >= cap) {
			if (ld->text != NULL)
				cap *= 2;
			if ((p = realloc(ld->text, cap)) == NULL) {
				ld->nomem = 1;
				fclose(fp);
				return (-1);
			}
			ld->text = p;
		}
		n = fread(ld->text + ld->textlen, 1, cap - ld->textlen - 1, fp);
		ld->textlen += n;
		if (n == 0)
			break;
	}
	ld->text[ld->textlen] = '\0';
	if (ferror(fp)) {
		cfg_err_file(ld, ld->file, 0, "cannot read: %s", strerror(errno));
		fclose(fp);
		return (-1);
	}
	fclose(fp);
	if ((p = memchr(ld->text, '\0', ld->textlen)) != NULL) {
		cfg_index_lines(ld);
		for (n = 0; n + 1 < ld->nlines && ld->lines[n + 1] <=
		    (size_t)(p - ld->text); n++)
			;
		cfg_err_file(ld, ld->file, (unsigned)n + 1,
		    "syntax error: NUL byte");
		return (-1);
	}
	cfg_index_lines(ld);
	return (0);
}

/* cfg_load - read and validate FILE; NULL (and errors appended) on failure */
struct cfg *
cfg_load(const char *file, struct cfg_errors *errs)
{
	struct cfg_errors mine = { NULL, 0, 0 };
	struct cfg_load ld;
	struct cfg *cfg = NULL;
	config_t lc;
	const char *text;
	size_t	i;

	if (errs == NULL)
		errs = &mine;
	memset(&ld, 0, sizeof(ld));
	ld.file = file;
	if (cfg_read(&ld) == 0) {
		config_init(&lc);
		if (config_read_string(&lc, ld.text) != CONFIG_TRUE) {
			text = config_error_text(&lc);
			if (text == NULL || strcmp(text, "syntax error") == 0)
				cfg_err_file(&ld, config_error_file(&lc) ?
				    config_error_file(&lc) : file,
				    (unsigned)config_error_line(&lc),
				    "syntax error");
			else
				cfg_err_file(&ld, config_error_file(&lc) ?
				    config_error_file(&lc) : file,
				    (unsigned)config_error_line(&lc),
				    "syntax error: %s", text);
		} else if ((cfg = calloc(1, sizeof(*cfg))) == NULL ||
		    (cfg->file = strdup(file)) == NULL)
			ld.nomem = 1;
		else {
			cfg->refs = 1;
			ld.cfg = cfg;
			cfg_walk_group(&ld, config_root_setting(&lc), NULL, NULL,
			    cfg_top_keys, cfg, 1);
			cfg_check_model(&ld, &lc);
		}
		config_destroy(&lc);
	}
	if (ld.nomem)
		cfg_err_file(&ld, file, 0, "out of memory");
	if (ld.nerr > 0 || ld.nomem) {
		qsort(ld.err, ld.nerr, sizeof(*ld.err), cfg_err_cmp);
		for (i = 0; i < ld.nerr; i++)
			cfg_errors_add(errs, "%s", ld.err[i].msg);
		cfg_free(cfg);
		cfg = NULL;
	}
	for (i = 0; i < ld.nerr; i++)
		free(ld.err[i].msg);
	free(ld.err);
	free(ld.text);
	free(ld.lines);
	cfg_errors_clear(&mine);
	return (cfg);
}

/* cfg_ref - take one more reference on a loaded configuration */
struct cfg *
cfg_ref(struct cfg *cfg)
{
	if (cfg != NULL)
		__atomic_add_fetch(&cfg->refs, 1, __ATOMIC_RELAXED);
	return (cfg);
}

/* cfg_unref - drop one reference; the last one frees.  Accepts NULL. */
void
cfg_unref(struct cfg *cfg)
{
	if (cfg != NULL && __atomic_sub_fetch(&cfg->refs, 1,
	    __ATOMIC_ACQ_REL) == 0)
		cfg_free(cfg);
}

/* cfg_addr_cmp - bsearch: key string against an indexed address */
static int
cfg_addr_cmp(const void *key, const void *elem)
{
	const struct cfg_address *const *a = elem;

	return (strcmp(key, (*a)->key));
}

/* cfg_domain_cmp - bsearch: name against an indexed domain, ASCII case
 * ignored as in the index order */
static int
cfg_domain_cmp(const void *key, const void *elem)
{
	const struct cfg_domain *const *d = elem;

	return (cfg_casecmp(key, (*d)->name));
}

/* cfg_find_address - the registered address with lookup KEY, or NULL */
const struct cfg_address *
cfg_find_address(const struct cfg *cfg, const char *key)
{
	struct cfg_address **a;

	if (cfg == NULL || cfg->index == NULL || cfg->index->naddrs == 0)
		return (NULL);
	a = bsearch(key, cfg->index->addrs, cfg->index->naddrs,
	    sizeof(*cfg->index->addrs), cfg_addr_cmp);
	return (a != NULL ? *a : NULL);
}

/* cfg_find_domain - the configured domain NAME (lower case), or NULL */
const struct cfg_domain *
cfg_find_domain(const struct cfg *cfg, const char *name)
{
	struct cfg_domain **d;

	if (cfg == NULL || cfg->index == NULL || cfg->index->ndomains == 0)
		return (NULL);
	d = bsearch(name, cfg->index->domains, cfg->index->ndomains,
	    sizeof(*cfg->index->domains), cfg_domain_cmp);
	return (d != NULL ? *d : NULL);
}

/* cfg_errors_add - append one formatted error line */
void
cfg_errors_add(struct cfg_errors *errs, const char *fmt, ...)
{
	va_list	ap;
	char  **v, *msg;
	size_t	cap;

	va_start(ap, fmt);
	msg = cfg_vformat(fmt, ap);
	va_end(ap);
	if (msg == NULL)
		return;
	if (errs->n == errs->cap) {
		cap = errs->cap ? errs->cap * 2 : 8;
		if ((v = realloc(errs->msg, cap * sizeof(*v))) == NULL) {
			free(msg);
			return;
		}
		errs->msg = v;
		errs->cap = cap;
	}
	errs->msg[errs->n++] = msg;
}

/* cfg_errors_clear - free every line; the list may be reused */
void
cfg_errors_clear(struct cfg_errors *errs)
{
	size_t	i;

	for (i = 0; i < errs->n; i++)
		free(errs->msg[i]);
	free(errs->msg);
	errs->msg = NULL;
	errs->n = 0;
	errs->cap = 0;
}

/* cfg_schema_walk - call FN for each setting of KEYS and below, PREFIX.name */
static void
cfg_schema_walk(const struct cfg_key *keys, const char *prefix,
    void (*fn)(const char *, void *), void *arg)
{
	char	path[CFG_PATH_MAX];

	for (; keys->name != NULL; keys++) {
		snprintf(path, sizeof(path), "%s%s%s", prefix,
		    prefix[0] ? "." : "", keys->name);
		fn(path, arg);
		if (keys->sub != NULL)
			cfg_schema_walk(keys->sub, path, fn, arg);
	}
}

/* cfg_schema_each - call FN with the dotted path of every setting the
 * loader knows ("redis.host", "organizations.domains.addresses.queue"...) */
void
cfg_schema_each(void (*fn)(const char *path, void *arg), void *arg)
{
	cfg_schema_walk(cfg_top_keys, "", fn, arg);
}
