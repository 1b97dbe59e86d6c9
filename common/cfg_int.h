/* cfg_int.h - what the parts of the configuration loader share: the schema
 * table types, the state of one cfg_load() call, the lookup index, and the
 * functions one part calls in another.
 *
 * Private to common/cfg.c (schema, first pass, loading, lookups),
 * common/cfg_check.c (value checks, second pass) and common/cfg_err.c
 * (error collection and messages); nothing else includes it. */
#ifndef MAILACD_CFG_INT_H
#define MAILACD_CFG_INT_H

#include <sys/types.h>

#include <stddef.h>

#include <libconfig.h>

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
	CFG_T_LIST,		/* ( { ... }, ... ) of groups with one table */
	CFG_T_CUSTOM		/* read by its own walk function; sub lists
				   its members for the manual page */
};

#define CFG_K_REQUIRED	0x1	/* absence is an error */
#define CFG_K_ALLOC	0x2	/* group held through a pointer, NULL if absent */
#define CFG_K_SECRET	0x4	/* never repeat the value in a message */
#define CFG_K_ZERO	0x8	/* INT: 0 (off) is allowed besides min..max */

struct cfg_load;

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
	long long min, max;	/* INT: value; STR, STRS: bytes; LIST: entries */
	size_t	nmax;		/* STRS: most entries; 0: any number */
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
	/* CUSTOM: check and store setting S (never NULL) into OBJ, and
	 * free what it stored there */
	void	(*walk)(struct cfg_load *ld, const struct cfg_key *k,
		    const config_setting_t *s, void *obj);
	void	(*release)(const struct cfg_key *k, void *obj);
};

/* The lookup index: registered addresses by key, domains by name. */
struct cfg_index {
	struct cfg_address **addrs;
	size_t	naddrs;
	struct cfg_domain **domains;
	size_t	ndomains;
	struct cfg_agent **agents;	/* by workplace address, case ignored */
	size_t	nagents;
};

/* One collected error with its sort position. */
struct cfg_lerr {
	char	*msg;
	struct cfg_where at;	/* MSG in parts, owned */
	int	rank;		/* 0: main file, then includes by appearance */
	unsigned line;
	size_t	seq;
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
	int	have_stat;	/* the main file is a regular file: */
	mode_t	mode;		/* its mode, */
	uid_t	uid;		/* owner */
	gid_t	gid;		/* and group, for cfg_check_secrets */
	char	*text;		/* the main file, to read integer literals */
	size_t	textlen;
	size_t	*lines;		/* offset of each line in text */
	size_t	nlines;
};

/* cfg.c */

/* The top-level schema table, root of every other. */
extern const struct cfg_key cfg_top_keys[];

/* cfg_strdup - copy S, noting a failure in LD */
char	*cfg_strdup(struct cfg_load *ld, const char *s);

/* cfg_calloc - zeroed array of N objects of SIZE, noting a failure in LD */
void	*cfg_calloc(struct cfg_load *ld, size_t n, size_t size);

/* cfg_find_key - the entry NAME of table KEYS, or NULL */
const struct cfg_key *cfg_find_key(const struct cfg_key *keys,
		    const char *name);

/* cfg_casecmp - compare ignoring ASCII case only, whatever the locale */
int	cfg_casecmp(const char *a, const char *b);

/* cfg_err.c */

/* cfg_append - append S to the path in BUF (of LEN), truncating */
void	cfg_append(char *buf, size_t len, const char *s);

/* cfg_show - the value of scalar setting S for a message, or NULL */
const char *cfg_show(const config_setting_t *s, char *buf, size_t len);

/* cfg_err - report "FILE:LINE: PATH[.MEMBER][ = SHOW]: message" about
 * setting S (NULL: the file as a whole) */
void	cfg_err(struct cfg_load *ld, const config_setting_t *s,
		    const char *member, const char *show, const char *fmt, ...)
		    __attribute__((format(printf, 5, 6)));

/* cfg_warn - note "FILE:LINE: PATH: warning: message" about setting S in
 * the configuration's warnings (it loads nonetheless) */
void	cfg_warn(struct cfg_load *ld, const config_setting_t *s,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* cfg_err_file - report "FILE[:LINE]: message" not tied to a setting */
void	cfg_err_file(struct cfg_load *ld, const char *file, unsigned line,
		    const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));

/* cfg_where_free - free the parts of AT and zero it */
void	cfg_where_free(struct cfg_where *at);

/* cfg_err_sort - put the errors LD collected in order: file, line, then
 * discovery */
void	cfg_err_sort(struct cfg_load *ld);

/* cfg_where - where S is, as seen from REF: "at line N", "earlier on the
 * same line", or "at FILE:N" in another file */
void	cfg_where(struct cfg_load *ld, const config_setting_t *s,
		    const config_setting_t *ref, char *buf, size_t len);

/* cfg_type_name - how a libconfig type is called in messages */
const char *cfg_type_name(int type);

/* cfg_err_type - report that S has the wrong type for K */
void	cfg_err_type(struct cfg_load *ld, const config_setting_t *s,
		    const struct cfg_key *k);

/* cfg_check.c */

/* cfg_utf8_len - length of the valid UTF-8 sequence at S, or 0; the code
 * point goes to CP */
size_t	cfg_utf8_len(const unsigned char *s, unsigned long *cp);

/* cfg_check_str - the length and syntax problem of string V for K, or NULL */
const char *cfg_check_str(const struct cfg_key *k, const char *v, char *buf,
		    size_t len);

/* Value checks for the schema tables: NULL if V is fine, else why not
 * (possibly written to BUF of LEN). */
const char *cfg_check_id(const char *v, char *buf, size_t len);
const char *cfg_check_name(const char *v, char *buf, size_t len);
const char *cfg_check_host(const char *v, char *buf, size_t len);
const char *cfg_check_path(const char *v, char *buf, size_t len);
const char *cfg_check_acl_user(const char *v, char *buf, size_t len);
const char *cfg_check_milter(const char *v, char *buf, size_t len);
const char *cfg_check_seps(const char *v, char *buf, size_t len);
const char *cfg_check_domain(const char *v, char *buf, size_t len);
const char *cfg_check_lang(const char *v, char *buf, size_t len);
const char *cfg_check_display(const char *v, char *buf, size_t len);
const char *cfg_check_mailbox(const char *v, char *buf, size_t len);
const char *cfg_check_cidr(const char *v, char *buf, size_t len);
const char *cfg_check_selector(const char *v, char *buf, size_t len);
const char *cfg_check_hostport(const char *v, char *buf, size_t len);
const char *cfg_check_relay(const char *v, char *buf, size_t len);
const char *cfg_check_listen(const char *v, char *buf, size_t len);
const char *cfg_check_dns_server(const char *v, char *buf, size_t len);
const char *cfg_check_spf(const char *v, char *buf, size_t len);
const char *cfg_check_mbox_text(const char *v, char *buf, size_t len);
const char *cfg_check_folder(const char *v, char *buf, size_t len);

/* cfg_parse_cidr - "ADDRESS/BITS" (or a bare address) into N; 0 or -1 */
int	cfg_parse_cidr(const char *v, struct cfg_net *n);

/* cfg_host_private - 1 if HOST is a loopback address or localhost */
int	cfg_host_private(const char *host);

/* cfg_mbox.c */

/* cfg_check_mbox - the second pass over the mailbox of address A (its
 * group MS): what settings need together, the password file read, the
 * port resolved */
void	cfg_check_mbox(struct cfg_load *ld, struct cfg_address *a,
		    const config_setting_t *ms);

/* cfg_pass_read - the password in FILE (setting S, a password_file): a
 * regular file that others cannot read, one line; NULL after an error
 * (reported) */
char	*cfg_pass_read(struct cfg_load *ld, const char *file,
		    const config_setting_t *s);

/* cfg_mbox_free - wipe the password that cfg_check_mbox read from a file
 * (the schema frees the rest) */
void	cfg_mbox_free(struct cfg_mailbox *m);

/* cfg_tmpl.c */

/* cfg_tmpl_check - the second pass over O's composed mail: the date
 * format and time zone, the responses' templates read and parsed, every
 * address's acknowledgement, header, footer and card, every agent's
 * signature; OS is its group */
void	cfg_tmpl_check(struct cfg_load *ld, struct cfg_org *o,
		    const config_setting_t *os);

/* cfg_tmpl_free - the templates and time zone of O (the schema frees
 * the rest) */
void	cfg_tmpl_free(struct cfg_org *o);
/* cfg_smtp.c */

/* Value checks of an outgoing server's user and password, which go into
 * Postfix's password map as USER:PASSWORD. */
const char *cfg_check_smtp_user(const char *v, char *buf, size_t len);
const char *cfg_check_smtp_password(const char *v, char *buf, size_t len);

/* cfg_check_smtp - the second pass over outgoing server M (its group
 * SS): one password (a password file read), no password in clear text
 * to a server off loopback, the port resolved */
void	cfg_check_smtp(struct cfg_load *ld, struct cfg_smtp *m,
		    const config_setting_t *ss);

/* cfg_smtp_free - wipe the password of M (the schema frees the rest) */
void	cfg_smtp_free(struct cfg_smtp *m);

/* cfg_check.c */

/* cfg_check_model - the second pass over LC: checks that need context,
 * then the lookup index */
void	cfg_check_model(struct cfg_load *ld, const config_t *lc);

/* cfg_group_elem - element I of list L when it is a group, else NULL */
const config_setting_t *cfg_group_elem(const config_setting_t *l, size_t i);

/* cfg_flow.c */

/* The members of an "if" group, for the schema and the manual page. */
extern const struct cfg_key cfg_cond_keys[];

/* cfg_cond_walk - CUSTOM walk of an "if" group: the condition tree, its
 * patterns compiled, its list files read */
void	cfg_cond_walk(struct cfg_load *ld, const struct cfg_key *k,
		    const config_setting_t *s, void *obj);

/* cfg_cond_release - CUSTOM release of what cfg_cond_walk stored */
void	cfg_cond_release(const struct cfg_key *k, void *obj);

/* cfg_flow_check - the second pass over organisation O's schedules
 * (hours, holidays, time zone), queues' schedules and flows (names,
 * queues, schedules, calls: no cycle, no deeper than CFG_FLOW_DEPTH),
 * and what each flow needs; OS is its group */
void	cfg_flow_check(struct cfg_load *ld, struct cfg_org *o,
		    const config_setting_t *os);

/* cfg_flow_route - route R (group RS) of organisation O names a flow of
 * it, whose default sets a queue; R->flowp set */
void	cfg_flow_route(struct cfg_load *ld, const struct cfg_org *o,
		    struct cfg_route *r, const config_setting_t *rs);

/* cfg_flow_free - what the schema does not own of O's schedules */
void	cfg_flow_free(struct cfg_org *o);

#endif
