/* json.h - a small streaming JSON writer for mailacdctl's --json output.
 *
 * Values are written as they come, compact, on one line; the writer only
 * keeps track of where commas go.  Strings are escaped per RFC 8259:
 * quotes, backslashes and control characters are escaped, valid UTF-8 is
 * passed through, and bytes that are not valid UTF-8 become U+FFFD so that
 * the output is always valid JSON. */
#ifndef MAILACD_JSON_H
#define MAILACD_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH	16

struct json {
	FILE	*fp;
	int	depth;
	int	count[JSON_DEPTH];	/* values written at each level */
};

/* json_init - write to FP */
void	json_init(struct json *j, FILE *fp);

/* json_str - write S (LEN octets) as a quoted, escaped JSON string */
void	json_str(FILE *fp, const char *s, size_t len);

/* json_open - start an object ('{') or array ('['), as member KEY of the
 * enclosing object or (KEY NULL) as an element */
void	json_open(struct json *j, const char *key, int bracket);

/* json_close - end the innermost object or array with BRACKET */
void	json_close(struct json *j, int bracket);

/* json_string - a string value (NULL writes null) */
void	json_string(struct json *j, const char *key, const char *s);

/* json_stringn - a string value of LEN octets that need not end in NUL */
void	json_stringn(struct json *j, const char *key, const char *s,
		    size_t len);

/* json_int - an integer value */
void	json_int(struct json *j, const char *key, int64_t v);

/* json_bool - true or false */
void	json_bool(struct json *j, const char *key, int v);

/* json_null - null */
void	json_null(struct json *j, const char *key);

/* json_end - finish the document with a newline */
void	json_end(struct json *j);

#endif
