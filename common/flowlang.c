/* flowlang.c - the language detector (lang.c) as flows use it (see
 * flowlang.h): quoted mail taken out, CLD2 on the customer's own words. */
#include <stdio.h>

#include "flowlang.h"
#include "lang.h"

/* flowlang_detect - lang_detect's answer in flows' terms */
void
flowlang_detect(const char *text, size_t len, size_t limit, char *code,
    size_t codelen, int *confidence, int *reliable)
{
	struct lang_result r;
	int	rc;

	code[0] = '\0';
	*confidence = 0;
	*reliable = 0;
	if (text == NULL || len == 0)
		return;
	/* the detector's cost grows with what it reads (CLD2: about 300
	 * instructions an octet), and the first 4 KiB of the customer's own
	 * words name the language as well as more would */
	if (limit > LANG_LIMIT_DEFAULT)
		limit = LANG_LIMIT_DEFAULT;
	rc = lang_detect(text, len, limit, &r);
	if (rc == LANG_NONE)
		return;
	snprintf(code, codelen, "%s", r.code);
	*confidence = r.confidence;
	*reliable = rc == LANG_OK;
}
