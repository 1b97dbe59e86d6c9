/* tmpl.h - the one template language of composed mail: acknowledgements,
 * standard responses, headers and footers, signatures.
 *
 * A template is text with placeholders written {{customer.name}}; spaces
 * inside the braces are allowed ({{ queue }}).  {{name|fallback text}}
 * gives the text used when the value is unknown; without a fallback an
 * unknown value inserts nothing.  A placeholder ends on its own line.
 * A literal "{{" is written \{{ (a backslash before two opening braces);
 * every other backslash and a lone "{" or "}}" are literal.
 *
 * A template is parsed once (at configuration load) and immutable after:
 * the milter's threads share it.  In an HTML template every inserted value,
 * and every fallback, is HTML-escaped (& < > " '); the template's own text
 * is copied as written.  Nothing here logs or does I/O except
 * tmpl_load(), which reads one file. */
#ifndef MAILACD_TMPL_H
#define MAILACD_TMPL_H

#include <stddef.h>
#include <time.h>

struct cfg_org;

/* placeholders, written {{customer.name}} in a template; {{name|fallback
 * text}} gives text used when the value is unknown */
enum tmpl_var {
	TV_CUSTOMER_NAME,	/* customer.name */
	TV_CUSTOMER_ADDRESS,	/* customer.address */
	TV_INTERACTION_ID,	/* interaction.id */
	TV_REFERENCE,		/* interaction.reference: short reference */
	TV_SUBJECT,		/* interaction.subject */
	TV_QUEUE,		/* queue */
	TV_AGENT_NAME,		/* agent.name */
	TV_CHANNEL_ADDRESS,	/* channel.address */
	TV_CHANNEL_NAME,	/* channel.name */
	TV_ORGANIZATION,	/* organization */
	TV_DATE,		/* date: now */
	TV_INTERACTION_DATE,	/* interaction.date */
	TV_WAIT,		/* wait.expected */
	TV_OPENS,		/* opens: next opening time */
	TV_NVARS
};

/* the values of one rendering; NULL: unknown -> the fallback, or "" */
struct tmpl_vars {
	const char *v[TV_NVARS];
};

struct tmpl;	/* immutable once parsed; threads share it */

#define TMPL_MAX_SIZE	(256 * 1024)	/* octets of one template */

/* tmpl_parse - parse SRC (LEN octets; HTML: escape inserted values); NULL
 * on error with *LINE the template's line and WHY what is wrong */
struct tmpl *tmpl_parse(const char *src, size_t len, int html, int *line,
		    char *why, size_t whylen);

/* tmpl_load - read and parse the template file PATH; NULL on error with
 * *LINE its line (0: the file as a whole) and WHY what is wrong */
struct tmpl *tmpl_load(const char *path, int html, int *line, char *why,
		    size_t whylen);

/* tmpl_render - T with VARS as a malloc'd NUL-terminated string of *LENP
 * octets (LENP may be NULL); NULL only when out of memory */
char	*tmpl_render(const struct tmpl *t, const struct tmpl_vars *vars,
		    size_t *lenp);

/* tmpl_free - release a parsed template; accepts NULL */
void	tmpl_free(struct tmpl *t);

/* tmpl_uses - 1 when T has placeholder V */
int	tmpl_uses(const struct tmpl *t, enum tmpl_var v);

/* tmpl_html - 1 when T was parsed as HTML */
int	tmpl_html(const struct tmpl *t);

/* tmpl_var_name - the placeholder's name of V ("customer.name") */
const char *tmpl_var_name(enum tmpl_var v);

/* tmpl_date - T in the organisation's date_format and timezone (UTC and
 * TMPL_DATE_FORMAT when O is NULL or has none) */
void	tmpl_date(const struct cfg_org *o, time_t t, char *buf, size_t len);

#define TMPL_DATE_FORMAT	"%Y-%m-%d %H:%M %Z"

/* tmpl_html_escape - S escaped for HTML text and attributes, malloc'd */
char	*tmpl_html_escape(const char *s);

#endif
