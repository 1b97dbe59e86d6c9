/* lang.h - the language of a customer's text: quoted mail taken out, then
 * Compact Language Detector 2 (Debian's libcld2) on what is left.  No I/O,
 * no logging, no global state: safe from any number of threads at once,
 * with nothing to initialise.
 *
 * The text is UTF-8 as the caller decoded it (RFC 2047, transfer encodings,
 * HTML rendered to text).  Any bytes are accepted: invalid UTF-8, NUL and
 * control characters are read as spaces, never passed to the library.
 *
 * Cost: about 13 us for a short mail and 150 us for 4 KiB on the project's
 * 2-core machine, provided glibc keeps the ~175 KB CLD2 allocates and
 * frees on each call.  When those blocks end up at the top of the heap,
 * malloc's default trim threshold (128 KiB) gives them back to the kernel
 * every time and a call costs ~10 times more (bench/RESULTS.md).  A
 * daemon that calls this on every message should raise it once at
 * start-up, e.g. mallopt(M_TRIM_THRESHOLD, 64 << 20). */
#ifndef MAILACD_LANG_H
#define MAILACD_LANG_H

#include <stddef.h>

/* lang_detect's answers */
#define LANG_OK		0	/* reliable: code and confidence are set */
#define LANG_UNSURE	1	/* a guess the library does not stand by */
#define LANG_NONE	2	/* no language: empty, no letters, no ISO
				 * 639-1 code, or out of memory */

/* A sensible limit for lang_detect: the first 4 KiB of the customer's own
 * words name their language as well as the whole message would. */
#define LANG_LIMIT_DEFAULT	4096
/* Larger limits are read as this one (the library counts in int). */
#define LANG_LIMIT_MAX		(1024 * 1024)

struct lang_result {
	char	code[4];	/* ISO 639-1, lower case ("es"); "" when
				 * LANG_NONE */
	int	confidence;	/* 0..100: the share of the examined letters
				 * the library gives to that language */
	int	reliable;	/* 1 exactly when lang_detect returns LANG_OK */
	size_t	examined;	/* octets of text the library was given */
};

/* lang_detect - the language of the customer's own words in TEXT (LEN
 * octets): quoted mail is taken out first (lang_unquote), then at most
 * LIMIT octets of what is left are examined.  Fills R in every case and
 * returns LANG_OK (reliable: set the interaction's language), LANG_UNSURE
 * (R holds the best guess; do not use it to route) or LANG_NONE. */
int	lang_detect(const char *text, size_t len, size_t limit,
	    struct lang_result *r);

/* lang_unquote - copy TEXT (LEN octets) to OUT without the parts another
 * message wrote: lines quoted with '>', the attribution line before them
 * ("On ... wrote:", "El ... escribió:", "Le ... a écrit :", "Am ...
 * schrieb ...:", and the Italian, Portuguese, Dutch, Swedish and Polish
 * forms, on one line or two), and everything from a signature separator
 * ("-- "), an "-----Original Message-----" or forwarded-message line, or a
 * "From: / Sent:" header block (Outlook's, in the same languages) to the
 * end.  Stops when OUT is full, and NUL-terminates it when OUTSZ > 0.
 * Returns the octets written, NUL excluded.  TEXT may hold any bytes. */
size_t	lang_unquote(const char *text, size_t len, char *out, size_t outsz);

#endif
