/* cfg_err.c - the configuration loader's errors: collect them, say where
 * a setting is ("organizations[acme].queues[#1].name"), quote its value,
 * format "file:line: setting = value: message" and keep the caller's list
 * of error lines.  No logging: the daemons decide what to do with them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "cfg.h"
#include "cfg_int.h"

/* cfg_append - append S to the path in BUF (of LEN), truncating */
void
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
const char *
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

/* cfg_where_free - free the parts of AT */
void
cfg_where_free(struct cfg_where *at)
{
	free(at->file);
	free(at->setting);
	free(at->value);
	free(at->message);
	memset(at, 0, sizeof(*at));
}

/* cfg_err_push - keep MSG and its parts AT (both owned) */
static void
cfg_err_push(struct cfg_load *ld, char *msg, struct cfg_where *at)
{
	struct cfg_lerr *v;
	size_t	cap;

	if (msg == NULL || (at->file == NULL && at->message == NULL)) {
		free(msg);
		cfg_where_free(at);
		ld->nomem = 1;
		return;
	}
	if (ld->nerr == ld->errcap) {
		cap = ld->errcap ? ld->errcap * 2 : 16;
		if ((v = realloc(ld->err, cap * sizeof(*v))) == NULL) {
			free(msg);
			cfg_where_free(at);
			ld->nomem = 1;
			return;
		}
		ld->err = v;
		ld->errcap = cap;
	}
	ld->err[ld->nerr].msg = msg;
	ld->err[ld->nerr].at = *at;
	ld->err[ld->nerr].rank = cfg_rank(ld, at->file);
	ld->err[ld->nerr].line = at->line;
	ld->err[ld->nerr].seq = ld->nerr;
	ld->nerr++;
}

/* cfg_strdup0 - a copy of S, or NULL for NULL */
static char *
cfg_strdup0(const char *s)
{
	return (s != NULL ? strdup(s) : NULL);
}

/* cfg_vformat - a newly allocated formatted string, or NULL */
static char *cfg_vformat(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));
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

/* cfg_vline - "FILE:LINE: PATH[.MEMBER][ = SHOW]: [warning: ]message"
 * about setting S (NULL: the file as a whole), allocated, with its parts
 * in AT; NULL when out of memory */
static char * __attribute__((format(printf, 7, 0)))
cfg_vline(struct cfg_load *ld, const config_setting_t *s, const char *member,
    const char *show, int warning, struct cfg_where *at, const char *fmt,
    va_list ap)
{
	char	path[CFG_PATH_MAX], pos[64];
	const char *file = ld->file;
	char   *what, *msg = NULL;
	unsigned line = 0;
	int	n;

	memset(at, 0, sizeof(*at));
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
	if ((what = cfg_vformat(fmt, ap)) == NULL)
		return (NULL);
	n = snprintf(NULL, 0, "%s%s: %s%s%s: %s%s", file, pos, path,
	    show ? " = " : "", show ? show : "", warning ? "warning: " : "",
	    what);
	if (n >= 0 && (msg = malloc((size_t)n + 1)) != NULL)
		snprintf(msg, (size_t)n + 1, "%s%s: %s%s%s: %s%s", file, pos,
		    path, show ? " = " : "", show ? show : "",
		    warning ? "warning: " : "", what);
	at->file = strdup(file);
	at->line = line;
	at->setting = path[0] != '\0' ? strdup(path) : NULL;
	at->value = cfg_strdup0(show);
	at->message = what;
	return (msg);
}

/* cfg_err - report "FILE:LINE: PATH[.MEMBER][ = SHOW]: message" about
 * setting S (NULL: the file as a whole) */
void
cfg_err(struct cfg_load *ld, const config_setting_t *s, const char *member,
    const char *show, const char *fmt, ...)
{
	struct cfg_where at;
	char   *msg;
	va_list	ap;

	va_start(ap, fmt);
	msg = cfg_vline(ld, s, member, show, 0, &at, fmt, ap);
	va_end(ap);
	cfg_err_push(ld, msg, &at);
}

/* cfg_warn - note "FILE:LINE: PATH: warning: message" about setting S in
 * the configuration's warnings: it loads, but something in it cannot work
 * as written */
void
cfg_warn(struct cfg_load *ld, const config_setting_t *s, const char *fmt,
    ...)
{
	struct cfg_where at;
	char   *msg;
	va_list	ap;

	va_start(ap, fmt);
	msg = cfg_vline(ld, s, NULL, NULL, 1, &at, fmt, ap);
	va_end(ap);
	if (msg == NULL)
		ld->nomem = 1;
	else
		cfg_errors_add_at(&ld->cfg->warnings, msg, &at);
	free(msg);
	cfg_where_free(&at);
}

/* cfg_err_file - report "FILE[:LINE]: message" not tied to a setting */
void
cfg_err_file(struct cfg_load *ld, const char *file, unsigned line,
    const char *fmt, ...)
{
	struct cfg_where at;
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
	memset(&at, 0, sizeof(at));
	at.file = strdup(file);
	at.line = line;
	at.message = what;
	cfg_err_push(ld, msg, &at);
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

/* cfg_err_sort - put the errors LD collected in order: file, line, then
 * discovery */
void
cfg_err_sort(struct cfg_load *ld)
{
	qsort(ld->err, ld->nerr, sizeof(*ld->err), cfg_err_cmp);
}

/* cfg_where - where S is, as seen from REF: "at line N", "earlier on the
 * same line", or "at FILE:N" in another file */
void
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
const char *
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
	case CFG_T_CUSTOM:
		return ("a group");
	}
	return ("unknown");
}

/* cfg_err_type - report that S has the wrong type for K */
void
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

/* cfg_errors_add_at - append MSG and its parts */
void
cfg_errors_add_at(struct cfg_errors *errs, const char *msg,
    const struct cfg_where *at)
{
	struct cfg_where *w;
	char  **v, *m;
	size_t	cap;

	if ((m = strdup(msg)) == NULL)
		return;
	if (errs->n == errs->cap) {
		cap = errs->cap ? errs->cap * 2 : 8;
		if ((v = realloc(errs->msg, cap * sizeof(*v))) == NULL) {
			free(m);
			return;
		}
		errs->msg = v;
		if ((w = realloc(errs->at, cap * sizeof(*w))) == NULL) {
			free(m);
			return;
		}
		errs->at = w;
		errs->cap = cap;
	}
	w = &errs->at[errs->n];
	memset(w, 0, sizeof(*w));
	if (at != NULL) {
		w->file = cfg_strdup0(at->file);
		w->line = at->line;
		w->setting = cfg_strdup0(at->setting);
		w->value = cfg_strdup0(at->value);
		w->message = cfg_strdup0(at->message);
	}
	errs->msg[errs->n++] = m;
}

/* cfg_errors_add - append one formatted error line, not in parts */
void
cfg_errors_add(struct cfg_errors *errs, const char *fmt, ...)
{
	va_list	ap;
	char   *msg;

	va_start(ap, fmt);
	msg = cfg_vformat(fmt, ap);
	va_end(ap);
	if (msg == NULL)
		return;
	cfg_errors_add_at(errs, msg, NULL);
	free(msg);
}

/* cfg_errors_clear - free every line; the list may be reused */
void
cfg_errors_clear(struct cfg_errors *errs)
{
	size_t	i;

	for (i = 0; i < errs->n; i++) {
		free(errs->msg[i]);
		cfg_where_free(&errs->at[i]);
	}
	free(errs->msg);
	free(errs->at);
	errs->msg = NULL;
	errs->at = NULL;
	errs->n = 0;
	errs->cap = 0;
}
