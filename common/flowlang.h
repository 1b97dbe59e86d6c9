/* flowlang.h - the language of a message's text for flows: the one place
 * where flows meet the language detector (lang.h), so that the milter and
 * mailacdctl detect the same way.  No I/O. */
#ifndef MAILACD_FLOWLANG_H
#define MAILACD_FLOWLANG_H

#include <stddef.h>

/* flowlang_detect - the language of TEXT (LEN octets, at most LIMIT of
 * them examined, and never more than the detector's own 4 KiB) into CODE (of CODELEN: ISO 639-1, "" when none), its
 * confidence (0..100) and whether the detector stands by it */
void	flowlang_detect(const char *text, size_t len, size_t limit,
	    char *code, size_t codelen, int *confidence, int *reliable);

#endif
