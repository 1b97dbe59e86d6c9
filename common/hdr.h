/* hdr.h - message header helpers: our header names, auto-reply detection,
 * RFC 2047 decoding to UTF-8, unfolding.  No I/O. */
#ifndef MAILACD_HDR_H
#define MAILACD_HDR_H

#include <stddef.h>

/* Every header that mailacd writes starts with this; any such header that
 * arrives from outside is removed before ours are added. */
#define HDR_PREFIX		"X-MailACD-"
/* One per interaction: "ID; org=..; address=..; queue=..; priority=..;
 * language=..; skills=a,b" (see mailacd-milter(8)). */
#define HDR_INTERACTION		"X-MailACD-Interaction"

/* Longest decoded Subject/From kept for the hand-off (bytes of UTF-8). */
#define HDR_TEXT_MAX		1024
/* Longest Message-ID / In-Reply-To kept; References keeps its tail. */
#define HDR_ID_MAX		998
#define HDR_REFS_MAX		8192

/* hdr_is_ours - 1 if NAME starts with X-MailACD- in any case */
int	hdr_is_ours(const char *name);

/* hdr_init - prepare the decoder (GMime); call once before threads start */
void	hdr_init(void);

/* hdr_decode_text - RFC 2047 / 8-bit header text to unfolded UTF-8 of at
 * most MAX bytes (cut on a character boundary); the caller frees */
char	*hdr_decode_text(const char *raw, size_t max);

/* hdr_unfold - copy RAW without folding line breaks, trimmed, at most MAX
 * bytes (the tail when KEEP_TAIL); the caller frees */
char	*hdr_unfold(const char *raw, size_t max, int keep_tail);

/* Longest line of a header we write (RFC 5322 2.1.1), without CR LF, and
 * the length we fold at when we can. */
#define HDR_LINE_MAX		998
#define HDR_LINE_FOLD		78

/* hdr_fold_ids - the white-space separated message ids in IDS as the value
 * of header NAME, folded with LF and a tab (the MTA adds the CR) before a
 * line passes HDR_LINE_FOLD octets; an id too long for any line of
 * HDR_LINE_MAX is left out.  "" when no id is left, NULL when out of
 * memory; the caller frees */
char	*hdr_fold_ids(const char *name, const char *ids);

/* hdr_param_value - VALUE as a parameter value of our headers: as it is
 * when it holds no ';', white space, '"', '\\' or control character, else
 * a quoted-string (RFC 5322) with '"' and '\\' escaped and control
 * characters left out; the caller frees */
char	*hdr_param_value(const char *value);

/* hdr_mailbox - the address of the only mailbox in header value RAW (a
 * From or Reply-To field, RFC 2047 and groups understood by GMime), into
 * OUT; 0, or -1 when there is not exactly one mailbox or it does not fit */
int	hdr_mailbox(const char *raw, char *out, size_t outlen);

/* hdr_format_mailbox - a header value "Display Name <ADDR>" (the name
 * RFC 2047-encoded and quoted as needed; just ADDR when NAME is empty);
 * the caller frees */
char	*hdr_format_mailbox(const char *name, const char *addr);

/* hdr_auto_reason - if header NAME: VALUE marks automatic mail (RFC 3834
 * Auto-Submitted, Precedence bulk/junk/list, X-Autoreply...), a short
 * reason, else NULL */
const char *hdr_auto_reason(const char *name, const char *value);

/* hdr_auto_sender - if envelope SENDER marks automatic mail (null sender,
 * MAILER-DAEMON, postmaster), a short reason, else NULL */
const char *hdr_auto_sender(const char *sender);

/* hdr_utf8_cut - the largest length <= MAX of the LEN octets at S that
 * does not end inside a UTF-8 character */
size_t	hdr_utf8_cut(const char *s, size_t len, size_t max);

#endif
