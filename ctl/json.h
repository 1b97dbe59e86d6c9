/* json.h - a small streaming JSON writer for mailacdctl's --json output.
 *
 * Values are written as they come, compact, on one line; the writer only
 * keeps track of where commas go.  Strings are escaped per RFC 8259:
 * quotes, backslashes and control characters are escaped, valid UTF-8 is
 * passed through, and bytes that are not valid UTF-8 become U+FFFD so that
 * the output is always valid JSON.
 *
 * Its names start with jw_ ("JSON writer"): json_ is Jansson's, which
 * reads the function library's answers (see ctl_fcall). */
#ifndef MAILACD_JW_H
#define MAILACD_JW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JW_DEPTH	16

struct jw {
	FILE	*fp;
	int	depth;
	int	count[JW_DEPTH];	/* values written at each level */
};

/* jw_init - write to FP */
void	jw_init(struct jw *j, FILE *fp);

/* jw_str - write S (LEN octets) as a quoted, escaped JSON string */
void	jw_str(FILE *fp, const char *s, size_t len);

/* jw_open - start an object ('{') or array ('['), as member KEY of the
 * enclosing object or (KEY NULL) as an element */
void	jw_open(struct jw *j, const char *key, int bracket);

/* jw_close - end the innermost object or array with BRACKET */
void	jw_close(struct jw *j, int bracket);

/* jw_string - a string value (NULL writes null) */
void	jw_string(struct jw *j, const char *key, const char *s);

/* jw_stringn - a string value of LEN octets that need not end in NUL */
void	jw_stringn(struct jw *j, const char *key, const char *s,
		    size_t len);

/* jw_int - an integer value */
void	jw_int(struct jw *j, const char *key, int64_t v);

/* jw_double - a number with up to 6 significant digits (null when it
 * is not finite) */
void	jw_double(struct jw *j, const char *key, double v);

/* jw_bool - true or false */
void	jw_bool(struct jw *j, const char *key, int v);

/* jw_null - null */
void	jw_null(struct jw *j, const char *key);

/* jw_end - finish the document with a newline */
void	jw_end(struct jw *j);

#endif
