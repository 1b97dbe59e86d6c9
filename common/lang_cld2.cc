/* lang_cld2.cc - the one C++ file of the tree: CLD2's
 * ExtDetectLanguageSummaryCheckUTF8 behind lang_cld2_detect(), so that the
 * C code needs neither its headers nor C++.  No exception leaves it. */
#include <cstdio>	/* compact_lang_det.h uses FILE without including it */
#include <cstring>

#include <cld2/public/compact_lang_det.h>

#include "lang_cld2.h"

/* lang_cld2_detect - CLD2's top language for TEXT, as plain text (no HTML
 * skipping), without hints */
extern "C" int
lang_cld2_detect(const char *text, int len, struct lang_cld2 *out)
{
	CLD2::Language	lang3[3], lang;
	int		percent3[3], text_bytes = 0, valid = 0;
	double		score3[3];
	bool		reliable = false;
	const char	*code;
	int		i;

	std::memset(out, 0, sizeof(*out));
	if (len < 0)
		return (-1);
	try {
		lang = CLD2::ExtDetectLanguageSummaryCheckUTF8(text, len,
		    true, NULL, 0, lang3, percent3, score3, NULL, &text_bytes,
		    &reliable, &valid);
	} catch (...) {
		return (-1);
	}
	/* CLD2 stops at the first byte it does not take as UTF-8 */
	if (valid != len)
		return (-1);
	code = CLD2::LanguageCode(lang);
	if (code == NULL)
		code = "";
	std::snprintf(out->code, sizeof(out->code), "%s", code);
	for (i = 0; i < 3; i++)
		if (lang3[i] == lang) {
			out->percent = percent3[i];
			break;
		}
	out->reliable = reliable ? 1 : 0;
	return (0);
}
