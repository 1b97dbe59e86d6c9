/* lang.c - the language of a customer's text (lang.h).  No I/O.
 *
 * The detector is CLD2 (libcld2, through lang_cld2.cc) rather than
 * libexttextcat: on the 120 labelled mails of t/data/lang it named every
 * one right and stood by each answer, where textcat named 117 right but
 * tied languages on 28 (Scots with English, Catalan with Spanish), and
 * took 2.4 to 45 times as long (bench/RESULTS.md, "Language detection").
 * CLD2 is thread-safe and needs no data files.
 *
 * What reaches the library is only the customer's own words: quoted
 * lines, attributions, forwarded and original messages and the signature
 * are left out (lang_unquote), at most the caller's limit of them, and
 * every byte that is not valid UTF-8, and every control character but
 * tab and line breaks, is read as a space (lang_clean), because CLD2
 * wants interchange-valid UTF-8 and reads past what it does not expect. */
#include <stdlib.h>
#include <string.h>

#include "lang.h"
#include "lang_cld2.h"

/* Longest attribution looked at, one line or two joined (octets). */
#define LANG_ATTR_MAX		400
/* Lines looked past for the quoted block after an attribution, and for
 * the "Sent:" line after a "From:" line. */
#define LANG_AHEAD_BLANK	16
#define LANG_AHEAD_HEADER	4

/* Words that begin an attribution line in the mail clients' languages:
 * "On", "El", "Le", "Am", "Il (giorno)", "Em", "Op", "Den", "W dniu". */
static const char *const lang_attr_intro[] = {
	"on ", "el ", "le ", "am ", "il ", "em ", "op ", "den ", "w dniu ",
	"dnia ", NULL
};

/* ... and the verb that says someone else wrote what follows */
static const char *const lang_attr_verb[] = {
	"wrote", "escribió", "a écrit", "schrieb", "ha scritto", "escreveu",
	"schreef", "skrev", "napisał", "napisała", "pisze", NULL
};

/* Lines after which everything is another message: what follows two or
 * more dashes ... */
static const char *const lang_sep_dashed[] = {
	"original message", "forwarded message", "message d'origine",
	"message transféré", "mensaje original", "mensaje reenviado",
	"ursprüngliche nachricht", "weitergeleitete nachricht",
	"messaggio originale", "messaggio inoltrato", "mensagem original",
	"mensagem encaminhada", "oorspronkelijk bericht",
	"doorgestuurd bericht", "ursprungligt meddelande",
	"vidarebefordrat meddelande", "wiadomość oryginalna",
	"wiadomość przekazana", NULL
};

/* ... or the start of the line (Apple Mail's forwards) */
static const char *const lang_sep_plain[] = {
	"begin forwarded message", "début du message réexpédié",
	"inicio del mensaje reenviado", "anfang der weitergeleiteten nachricht",
	NULL
};

/* The header block another client quotes a message with: a "From:" line
 * and, within a few lines, a "Sent:" or "Date:" line. */
static const char *const lang_hdr_from[] = {
	"from", "de", "von", "da", "van", "från", "od", "fra", NULL
};
static const char *const lang_hdr_sent[] = {
	"sent", "date", "envoyé", "gesendet", "datum", "enviado", "enviada",
	"fecha", "inviato", "data", "verzonden", "skickat", "wysłano",
	"sendt", NULL
};

/* lang_lower - ASCII lower case; other octets as they are */
static unsigned char
lang_lower(unsigned char c)
{
	return ((c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c);
}

/* lang_letter - 1 if C may be part of a word (ASCII letter or any octet
 * of a multi-octet UTF-8 character) */
static int
lang_letter(unsigned char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80);
}

/* lang_prefix - 1 if [P, E) starts with WORD (lower case), ASCII letters
 * compared in any case */
static int
lang_prefix(const char *p, const char *e, const char *word)
{
	size_t	n = strlen(word), i;

	if ((size_t)(e - p) < n)
		return (0);
	for (i = 0; i < n; i++)
		if (lang_lower((unsigned char)p[i]) != (unsigned char)word[i])
			return (0);
	return (1);
}

/* lang_prefix_any - 1 if [P, E) starts with one of WORDS */
static int
lang_prefix_any(const char *p, const char *e, const char *const *words)
{
	for (; *words != NULL; words++)
		if (lang_prefix(p, e, *words))
			return (1);
	return (0);
}

/* lang_has_word - 1 if one of WORDS is in [P, E) as a word of its own */
static int
lang_has_word(const char *p, const char *e, const char *const *words)
{
	const char *s;
	size_t	n;

	for (; *words != NULL; words++) {
		n = strlen(*words);
		for (s = p; s + n <= e; s++) {
			if ((s > p && lang_letter((unsigned char)s[-1])) ||
			    !lang_prefix(s, e, *words))
				continue;
			if (s + n == e || !lang_letter((unsigned char)s[n]))
				return (1);
		}
	}
	return (0);
}

/* lang_field - 1 if [P, E) starts with one of the field names NAMES
 * followed by a colon (white space or a no-break space may come first) */
static int
lang_field(const char *p, const char *e, const char *const *names)
{
	const char *s;

	for (; *names != NULL; names++) {
		if (!lang_prefix(p, e, *names))
			continue;
		s = p + strlen(*names);
		for (;;) {
			if (s < e && (*s == ' ' || *s == '\t'))
				s++;
			else if (e - s >= 2 && (unsigned char)s[0] == 0xc2 &&
			    (unsigned char)s[1] == 0xa0)
				s += 2;
			else
				break;
		}
		if (s < e && *s == ':')
			return (1);
	}
	return (0);
}

/* A line of the input: [p, e) without its line break (nor a CR before
 * it), [t, te) the same without surrounding white space, next the start of
 * the next line. */
struct lang_line {
	const char *p, *e, *t, *te, *next;
};

/* lang_line_at - the line starting at P (P < END) */
static void
lang_line_at(const char *p, const char *end, struct lang_line *l)
{
	const char *nl;

	nl = memchr(p, '\n', (size_t)(end - p));
	l->p = p;
	l->next = nl != NULL ? nl + 1 : end;
	l->e = nl != NULL ? nl : end;
	if (l->e > p && l->e[-1] == '\r')
		l->e--;
	l->t = p;
	while (l->t < l->e && (*l->t == ' ' || *l->t == '\t'))
		l->t++;
	l->te = l->e;
	while (l->te > l->t && (l->te[-1] == ' ' || l->te[-1] == '\t' ||
	    l->te[-1] == '\r'))
		l->te--;
}

/* lang_quote_follows - 1 if the first line after blank lines from P is
 * quoted with '>' */
static int
lang_quote_follows(const char *p, const char *end)
{
	struct lang_line l;
	int	i;

	for (i = 0; p < end && i <= LANG_AHEAD_BLANK; i++) {
		lang_line_at(p, end, &l);
		if (l.t < l.te)
			return (*l.t == '>');
		p = l.next;
	}
	return (0);
}

/* lang_header_block - 1 if line L starts another message's header block:
 * "From:" and, within a few lines, "Sent:" or "Date:" */
static int
lang_header_block(const struct lang_line *l, const char *end)
{
	struct lang_line n;
	const char *p = l->next;
	int	i;

	if (!lang_field(l->t, l->te, lang_hdr_from))
		return (0);
	for (i = 0; p < end && i < LANG_AHEAD_HEADER; i++) {
		lang_line_at(p, end, &n);
		if (lang_field(n.t, n.te, lang_hdr_sent))
			return (1);
		p = n.next;
	}
	return (0);
}

/* lang_separator - 1 if line L announces an original or forwarded
 * message, or a signature */
static int
lang_separator(const struct lang_line *l)
{
	const char *s = l->t;
	size_t	n = (size_t)(l->e - l->p);

	/* "-- ", and "--" from clients that strip the space */
	if ((n == 3 && memcmp(l->p, "-- ", 3) == 0) ||
	    (n == 2 && memcmp(l->p, "--", 2) == 0))
		return (1);
	if (lang_prefix_any(l->t, l->te, lang_sep_plain))
		return (1);
	if (l->te - l->t < 2 || s[0] != '-' || s[1] != '-')
		return (0);
	while (s < l->te && (*s == '-' || *s == ' '))
		s++;
	return (lang_prefix_any(s, l->te, lang_sep_dashed));
}

/* lang_unquote - the customer's own lines of TEXT into OUT (lang.h) */
size_t
lang_unquote(const char *text, size_t len, char *out, size_t outsz)
{
	const char *end, *p, *cand;
	struct lang_line l, prev;
	size_t	o = 0, cap, prev_o = 0, n, start;
	int	have_prev = 0;

	if (outsz == 0)
		return (0);
	out[0] = '\0';
	if (text == NULL || len == 0)
		return (0);
	cap = outsz - 1;
	end = text + len;
	memset(&prev, 0, sizeof(prev));
	for (p = text; p < end && o < cap; p = l.next) {
		lang_line_at(p, end, &l);
		if (l.t < l.te && *l.t == '>') {
			have_prev = 0;
			continue;
		}
		if (lang_separator(&l) || lang_header_block(&l, end))
			break;
		if (l.t < l.te && l.te[-1] == ':') {
			/* an attribution, maybe wrapped onto a second line */
			cand = l.t;
			start = o;
			if (have_prev && prev.te > prev.t &&
			    prev.te[-1] != '.' && prev.te[-1] != '!' &&
			    prev.te[-1] != '?' &&
			    lang_prefix_any(prev.t, prev.te, lang_attr_intro)) {
				cand = prev.t;
				start = prev_o;
			}
			if (l.te - cand <= LANG_ATTR_MAX &&
			    lang_has_word(cand, l.te, lang_attr_verb)) {
				if (lang_quote_follows(l.next, end)) {
					o = start;
					have_prev = 0;
					continue;
				}
				if (lang_prefix_any(cand, l.te,
				    lang_attr_intro)) {
					o = start;
					break;
				}
			}
		}
		prev_o = o;
		n = (size_t)(l.e - l.p);
		if (n > cap - o)
			n = cap - o;
		memcpy(out + o, l.p, n);
		o += n;
		if (o < cap && l.next > l.e)
			out[o++] = '\n';
		prev = l;
		have_prev = l.t < l.te;
	}
	out[o] = '\0';
	return (o);
}

/* lang_clean - make BUF (N octets) interchange-valid UTF-8 in place: an
 * octet that starts no valid sequence, a control character other than tab,
 * CR and LF, a C1 control, a surrogate and a noncharacter become spaces */
static void
lang_clean(char *buf, size_t n)
{
	unsigned char *s = (unsigned char *)buf;
	unsigned long cp;
	size_t	i = 0, k, need;

	while (i < n) {
		if (s[i] < 0x80) {
			if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' &&
			    s[i] != '\r') || s[i] == 0x7f)
				s[i] = ' ';
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			need = 1;
			cp = s[i] & 0x1f;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			need = 2;
			cp = s[i] & 0x0f;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			need = 3;
			cp = s[i] & 0x07;
		} else {
			s[i++] = ' ';
			continue;
		}
		for (k = 1; k <= need; k++) {
			if (i + k >= n || (s[i + k] & 0xc0) != 0x80)
				break;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* a broken or cut sequence, an overlong form, a surrogate or
		 * past U+10FFFF: the lead octet goes, the rest is read again */
		if (k <= need || (need == 2 && cp < 0x800) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff)) {
			s[i++] = ' ';
			continue;
		}
		if ((cp >= 0x80 && cp <= 0x9f) ||
		    (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe)
			memset(buf + i, ' ', need + 1);
		i += need + 1;
	}
}

/* lang_iso - CLD2's CODE as ISO 639-1 into OUT; 1, or 0 when it has no
 * two-letter code (unknown, "xx-..." pseudo-languages, three letters) */
static int
lang_iso(const char *code, char out[4])
{
	/* CLD2 keeps a few withdrawn codes */
	static const char *const old[][2] = {
		{ "iw", "he" }, { "jw", "jv" }, { "in", "id" }, { "ji", "yi" },
		{ NULL, NULL }
	};
	size_t	i;

	for (i = 0; code[i] >= 'a' && code[i] <= 'z'; i++)
		;
	if (i != 2 || (code[2] != '\0' && code[2] != '-') ||
	    strncmp(code, "un", 2) == 0 || strncmp(code, "xx", 2) == 0)
		return (0);
	out[0] = code[0];
	out[1] = code[1];
	out[2] = '\0';
	for (i = 0; old[i][0] != NULL; i++)
		if (strcmp(out, old[i][0]) == 0)
			memcpy(out, old[i][1], 3);
	return (1);
}

/* lang_detect - the language of the customer's own words (lang.h) */
int
lang_detect(const char *text, size_t len, size_t limit,
    struct lang_result *r)
{
	struct lang_cld2 c;
	char	*buf;
	size_t	cap, n;
	int	rc;

	memset(r, 0, sizeof(*r));
	if (text == NULL || len == 0 || limit == 0)
		return (LANG_NONE);
	cap = limit > LANG_LIMIT_MAX ? LANG_LIMIT_MAX : limit;
	if ((buf = malloc(cap + 1)) == NULL)
		return (LANG_NONE);
	n = lang_unquote(text, len, buf, cap + 1);
	lang_clean(buf, n);
	r->examined = n;
	rc = n > 0 ? lang_cld2_detect(buf, (int)n, &c) : -1;
	free(buf);
	if (rc != 0 || !lang_iso(c.code, r->code)) {
		r->code[0] = '\0';
		return (LANG_NONE);
	}
	r->confidence = c.percent < 0 ? 0 : c.percent > 100 ? 100 : c.percent;
	if (!c.reliable)
		return (LANG_UNSURE);
	r->reliable = 1;
	return (LANG_OK);
}
