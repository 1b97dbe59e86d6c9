/* fuzz_hdr.c - libFuzzer target for the header helpers (common/hdr.c):
 * RFC 2047 decoding, unfolding, message-id folding, the one mailbox of a
 * From or Reply-To, parameter quoting and the marks of automatic mail,
 * all of which read header text a stranger wrote.  The input is one
 * header field, "Name: value" (no colon: all of it is a Subject value);
 * its first octet also picks the length limits. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "hdr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

/* LLVMFuzzerInitialize - GMime once, as the milter does at start-up */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	hdr_init();
	return (0);
}

/* fuzz_folded_ok - every line of header NAME: V within HDR_LINE_MAX, and
 * every line after the first a continuation */
static void
fuzz_folded_ok(const char *name, const char *v)
{
	size_t	col = strlen(name) + 2;
	const char *p;

	for (p = v; *p != '\0'; p++) {
		if (*p == '\r')
			abort();
		if (*p == '\n') {
			if (p[1] != '\t' && p[1] != ' ')
				abort();
			col = 0;
		} else if (++col > HDR_LINE_MAX)
			abort();
	}
}

/* fuzz_no_ctl - no CR, LF or other control character in S */
static void
fuzz_no_ctl(const char *s, int tab_ok)
{
	for (; *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && !(tab_ok && *s == '\t')) ||
		    *s == 0x7f)
			abort();
}

/* LLVMFuzzerTestOneInput - one header field through every helper */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t maxes[] = { 0, 1, 5, 64, HDR_TEXT_MAX, HDR_ID_MAX };
	char	*in, *name, *value, *colon, *s, box[320];
	size_t	max = maxes[(size > 0 ? data[0] : 0) % 6];

	if ((in = malloc(size + 1)) == NULL)
		return (0);
	memcpy(in, data, size);
	in[size] = '\0';
	if ((colon = strchr(in, ':')) != NULL) {
		*colon = '\0';
		name = in;
		value = colon + 1;
	} else {
		name = "Subject";
		value = in;
	}

	if ((s = hdr_decode_text(value, max)) != NULL) {
		if (strlen(s) > max || !g_utf8_validate(s, -1, NULL))
			abort();
		fuzz_no_ctl(s, 0);
		free(s);
	}
	if ((s = hdr_unfold(value, max, size & 1)) != NULL) {
		if (strlen(s) > max || strchr(s, '\n') != NULL ||
		    strchr(s, '\r') != NULL)
			abort();
		free(s);
	}
	if ((s = hdr_fold_ids(name, value)) != NULL) {
		fuzz_folded_ok(name, s);
		free(s);
	}
	if ((s = hdr_param_value(value)) != NULL) {
		fuzz_no_ctl(s, 1);
		if (strchr(s, ';') != NULL && s[0] != '"')
			abort();
		free(s);
	}
	if (hdr_mailbox(value, box, sizeof(box)) == 0) {
		if (strlen(box) >= sizeof(box) || strchr(box, '@') == NULL)
			abort();
		if ((s = hdr_format_mailbox(name, box)) != NULL)
			free(s);
	}
	(void)hdr_auto_reason(name, value);
	(void)hdr_auto_sender(value);
	(void)hdr_is_ours(name);
	free(in);
	return (0);
}
