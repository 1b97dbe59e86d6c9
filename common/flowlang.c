/* flowlang.c - the language detector as flows use it (see flowlang.h).
 * Until the detector (lang.c) is in the tree, no language is detected:
 * the language conditions do not hold and the address's language stays. */
#include <stdio.h>

#include "flowlang.h"

/* flowlang_detect - lang_detect's answer in flows' terms */
void
flowlang_detect(const char *text, size_t len, size_t limit, char *code,
    size_t codelen, int *confidence, int *reliable)
{
	(void)text;
	(void)len;
	(void)limit;
	(void)codelen;
	code[0] = '\0';
	*confidence = 0;
	*reliable = 0;
}
