/* fuzz_lang.c - libFuzzer target for language detection (common/lang.c):
 * a customer's text, any bytes, through lang_unquote and lang_detect.
 * The first octet picks the limit and the size of lang_unquote's output;
 * the rest is the text.  Checked: lang_unquote writes within its buffer,
 * never more than it read, NUL-terminated, and no line quoted with '>';
 * lang_detect answers one of its three values with a result that agrees
 * with it and examines no more than the limit. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lang.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_no_quote - no line of S (N octets) starts with '>' after blanks */
static void
fuzz_no_quote(const char *s, size_t n)
{
	size_t	i = 0;

	while (i < n) {
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i < n && s[i] == '>')
			abort();
		while (i < n && s[i] != '\n')
			i++;
		i++;
	}
}

/* LLVMFuzzerTestOneInput - one text through the module */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t limits[] = { 0, 1, 2, 7, 64, 300, LANG_LIMIT_DEFAULT,
	    (size_t)-1 };
	static const size_t outs[] = { 0, 1, 2, 5, 16, 128, 1024, 65536 };
	struct lang_result r;
	const char *text;
	size_t	limit, outsz, n, len;
	char	*out;
	int	rc;

	if (size == 0)
		return (0);
	limit = limits[data[0] & 7];
	outsz = outs[(data[0] >> 3) & 7];
	text = (const char *)data + 1;
	len = size - 1;

	if ((out = malloc(outsz + 1)) == NULL)
		return (0);
	out[outsz] = 'x';
	n = lang_unquote(text, len, out, outsz);
	if (out[outsz] != 'x' || n > len || (outsz == 0 && n != 0) ||
	    (outsz > 0 && (n >= outsz || out[n] != '\0')))
		abort();
	fuzz_no_quote(out, n);
	free(out);

	rc = lang_detect(text, len, limit, &r);
	if (rc != LANG_OK && rc != LANG_UNSURE && rc != LANG_NONE)
		abort();
	if (r.reliable != (rc == LANG_OK) || r.confidence < 0 ||
	    r.confidence > 100 || r.examined > limit ||
	    r.examined > LANG_LIMIT_MAX || r.examined > len)
		abort();
	if (rc == LANG_NONE ? r.code[0] != '\0' :
	    (strlen(r.code) != 2 || r.code[0] < 'a' || r.code[0] > 'z' ||
	    r.code[1] < 'a' || r.code[1] > 'z'))
		abort();
	return (0);
}
