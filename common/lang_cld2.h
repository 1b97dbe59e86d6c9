/* lang_cld2.h - CLD2's detector (a C++ library) as one C function, for
 * lang.c and the language benchmark.  Callers go through lang.h. */
#ifndef MAILACD_LANG_CLD2_H
#define MAILACD_LANG_CLD2_H

#ifdef __cplusplus
extern "C" {
#endif

struct lang_cld2 {
	char	code[16];	/* CLD2's code ("es", "zh-Hant", "iw", "un") */
	int	percent;	/* 0..100 of the text's letters in it */
	int	reliable;	/* CLD2's own verdict */
};

/* lang_cld2_detect - CLD2 on TEXT (LEN octets of plain text, which must be
 * valid UTF-8 without control characters: lang.c cleans it); 0, or -1 when
 * CLD2 refused the text or failed */
int	lang_cld2_detect(const char *text, int len, struct lang_cld2 *out);

#ifdef __cplusplus
}
#endif

#endif
