/* msgview.h - a message as flows read it: decoded headers, the From
 * address, the text of its text/plain parts (or text/html parts rendered
 * to text) up to a limit, and the types of its attachments.
 *
 * GMime parses a bounded copy (the milter keeps the header and the first
 * part of the body); RFC 2047 words, quoted-printable and base64, and
 * character sets are decoded to UTF-8.  HTML is rendered by a small tag
 * stripper with entity decoding over GMime's decoded text: flows only
 * search words in it, so layout does not matter, and a full HTML parser
 * (libxml2) would cost more per message than everything else here.  No
 * I/O; hdr_init() must have run. */
#ifndef MAILACD_MSGVIEW_H
#define MAILACD_MSGVIEW_H

#include <stddef.h>

#define MSGVIEW_HDRS_MAX	200	/* headers kept */
#define MSGVIEW_TYPES_MAX	32	/* attachment types kept */
#define MSGVIEW_VALUE_MAX	2048	/* octets of a decoded header value */

struct msgview_hdr {
	char	*name;
	char	*value;		/* decoded, unfolded UTF-8 */
};

struct msgview {
	struct msgview_hdr *hdrs;
	size_t	nhdrs;
	char	*subject;	/* decoded, "" when none */
	char	from[256];	/* From address, lower case, "" when none */
	char	*text;		/* decoded text, NUL-terminated */
	size_t	textlen;
	char	*types[MSGVIEW_TYPES_MAX];	/* attachments' MIME types,
						   lower case */
	size_t	ntypes;
	int	automatic;	/* a header marks it automatic (RFC 3834...) */
};

/* msgview_parse - DATA (LEN octets, a message or its first part) into V,
 * with at most TEXT_LIMIT octets of text; 0, or -1 (memory) */
int	msgview_parse(const char *data, size_t len, size_t text_limit,
	    struct msgview *v);

/* msgview_html - the text of HTML (LEN octets): tags out, script and style
 * contents out, entities decoded, block ends as line breaks; appended to
 * OUT (of CAP, NUL-terminated), at most CAP - 1 octets; the length */
size_t	msgview_html(const char *html, size_t len, char *out, size_t cap);

/* msgview_free - free what V holds; V may be reused.  Accepts a zeroed V */
void	msgview_free(struct msgview *v);

struct flow_msg;
struct flow_hdr;

/* msgview_flow_msg - M zeroed, then what V says of the message (From,
 * Subject, headers, text, attachment types, automatic marks); the caller
 * adds the envelope, size, language, clock and open interaction.  *HDRS
 * (the headers' array M points to) is the caller's to free; -1 when out
 * of memory */
int	msgview_flow_msg(const struct msgview *v, struct flow_msg *m,
		    struct flow_hdr **hdrs);

#endif
