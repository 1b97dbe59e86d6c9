/* tmpl_test.c - unit tests of the template engine (tmpl.c): placeholders,
 * fallbacks, HTML escaping, the literal "{{", errors with their lines, and
 * dates in an organisation's format and time zone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "hours.h"
#include "tap.h"
#include "tmpl.h"

/* render - parse SRC and render it with V; "ERR:LINE:why" on a parse
 * error (a static buffer) */
static char *
render(const char *src, int html, const struct tmpl_vars *v)
{
	static char out[4096];
	char	why[512], *s;
	int	line = -1;
	struct tmpl *t;

	if ((t = tmpl_parse(src, strlen(src), html, &line, why,
	    sizeof(why))) == NULL) {
		snprintf(out, sizeof(out), "ERR:%d:%s", line, why);
		return (out);
	}
	s = tmpl_render(t, v, NULL);
	snprintf(out, sizeof(out), "%s", s ? s : "(null)");
	free(s);
	tmpl_free(t);
	return (out);
}

int
main(void)
{
	struct tmpl_vars v;
	struct tmpl *t;
	char	why[256], buf[128], *s;
	int	line, i;
	size_t	len;
	struct cfg_org org;

	memset(&v, 0, sizeof(v));
	v.v[TV_CUSTOMER_NAME] = "Ana Díaz";
	v.v[TV_REFERENCE] = "R-7K2Q";
	v.v[TV_QUEUE] = "support";

	is_str(render("Hello {{customer.name}}, ref {{interaction.reference}}.",
	    0, &v), "Hello Ana Díaz, ref R-7K2Q.", "placeholders replaced");
	is_str(render("{{ queue }}/{{\tqueue\t}}", 0, &v), "support/support",
	    "spaces and tabs inside the braces");
	is_str(render("Dear {{agent.name|our team}}!", 0, &v),
	    "Dear our team!", "unknown value takes the fallback");
	is_str(render("Dear {{customer.name|customer}}!", 0, &v),
	    "Dear Ana Díaz!", "known value wins over the fallback");
	is_str(render("[{{wait.expected}}]", 0, &v), "[]",
	    "unknown value without fallback is empty");
	is_str(render("a {{opens| }} b", 0, &v), "a   b",
	    "fallback keeps its spaces");
	is_str(render("x", 0, NULL), "x", "NULL vars render the text");
	is_str(render("{{queue|q}}", 0, NULL), "q",
	    "NULL vars take fallbacks");
	is_str(render("", 0, &v), "", "empty template");
	is_str(render("literal \\{{customer.name}} and {{queue}}", 0, &v),
	    "literal {{customer.name}} and support", "\\{{ is a literal {{");
	is_str(render("a\\b { } }} \\n", 0, &v), "a\\b { } }} \\n",
	    "other backslashes, single braces and }} are literal");
	is_str(render("{{queue}}{{queue}}", 0, &v), "supportsupport",
	    "adjacent placeholders");

	/* escaping */
	v.v[TV_CUSTOMER_NAME] = "<b>\"O'Neil\" & co</b>";
	is_str(render("<p>{{customer.name}}</p>", 1, &v),
	    "<p>&lt;b&gt;&quot;O&#39;Neil&quot; &amp; co&lt;/b&gt;</p>",
	    "html template escapes the value, keeps its own markup");
	is_str(render("{{customer.name}}", 0, &v),
	    "<b>\"O'Neil\" & co</b>", "text template inserts the value as is");
	is_str(render("<i>{{agent.name|<Team & Co>}}</i>", 1, &v),
	    "<i>&lt;Team &amp; Co&gt;</i>", "html escapes the fallback too");
	v.v[TV_CUSTOMER_NAME] = "{{queue}}";
	is_str(render("{{customer.name}}", 0, &v), "{{queue}}",
	    "a value that looks like a placeholder is not expanded");

	/* errors, with the template's line */
	is_str(render("one\ntwo {{customer.nmae}}\n", 0, &v),
	    "ERR:2:unknown placeholder {{customer.nmae}} (known: "
	    "customer.name, customer.address, interaction.id, "
	    "interaction.reference, interaction.subject, interaction.date, "
	    "queue, agent.name, channel.address, channel.name, organization, "
	    "date, wait.expected, opens)", "unknown placeholder, line 2");
	s = render("a\nb\nc {{queue\n}}", 0, &v);
	ok(strncmp(s, "ERR:3:unclosed {{", 17) == 0,
	    "unclosed {{ on line 3 (got %s)", s);
	s = render("x {{queue", 0, &v);
	ok(strncmp(s, "ERR:1:unclosed {{", 17) == 0,
	    "unclosed {{ at the end (got %s)", s);
	is_str(render("\n\n{{ }}", 0, &v), "ERR:3:empty placeholder {{}}",
	    "empty placeholder");
	is_str(render("{{|x}}", 0, &v), "ERR:1:empty placeholder {{}}",
	    "fallback without a name");
	line = -1;
	t = tmpl_parse("a\nb\0c", 5, 0, &line, why, sizeof(why));
	ok(t == NULL && line == 2 && strstr(why, "NUL") != NULL,
	    "NUL octet refused at its line (line %d, %s)", line, why);

	/* tmpl_uses, tmpl_html */
	t = tmpl_parse("{{queue}} {{opens|soon}}", 24, 1, &line, why,
	    sizeof(why));
	ok(t != NULL, "parsed");
	ok(tmpl_uses(t, TV_QUEUE) && tmpl_uses(t, TV_OPENS) &&
	    !tmpl_uses(t, TV_WAIT) && !tmpl_uses(t, TV_NVARS),
	    "tmpl_uses says which placeholders appear");
	ok(tmpl_html(t), "tmpl_html");
	memset(&v, 0, sizeof(v));
	s = tmpl_render(t, &v, &len);
	ok(s != NULL && len == strlen(s) && strcmp(s, " soon") == 0,
	    "length reported (%zu)", len);
	free(s);
	tmpl_free(t);
	tmpl_free(NULL);
	for (i = 0; i < TV_NVARS; i++) {
		snprintf(buf, sizeof(buf), "{{%s}}", tmpl_var_name(i));
		t = tmpl_parse(buf, strlen(buf), 0, &line, why, sizeof(why));
		if (t == NULL || !tmpl_uses(t, i))
			break;
		tmpl_free(t);
	}
	is_int(i, TV_NVARS, "every placeholder name parses as itself");

	/* a big template renders whole; one too large is refused */
	{
		size_t	n = TMPL_MAX_SIZE;
		char	*big = malloc(n + 2);

		memset(big, 'a', n + 1);
		big[n - 10] = '{';
		memcpy(big + n - 10, "{{queue}}", 9);
		big[n] = '\0';
		t = tmpl_parse(big, n, 0, &line, why, sizeof(why));
		v.v[TV_QUEUE] = "Q";
		s = t ? tmpl_render(t, &v, &len) : NULL;
		ok(s != NULL && len == n - 8 && s[n - 10] == 'Q',
		    "a template of the largest size renders (%zu)", len);
		free(s);
		tmpl_free(t);
		big[n] = 'a';
		big[n + 1] = '\0';
		t = tmpl_parse(big, n + 1, 0, &line, why, sizeof(why));
		ok(t == NULL && strstr(why, "larger") != NULL,
		    "one octet more is refused: %s", why);
		free(big);
	}

	/* dates: 2026-12-04 08:30 UTC */
	memset(&org, 0, sizeof(org));
	tmpl_date(NULL, 1796373000L, buf, sizeof(buf));
	is_str(buf, "2026-12-04 08:30 UTC", "default format, UTC");
	org.date_format = "%d/%m/%Y %H:%M %Z";
	org.tz = hours_tz_new("Europe/Madrid");
	tmpl_date(&org, 1796373000L, buf, sizeof(buf));
	is_str(buf, "04/12/2026 09:30 CET", "Madrid in winter");
	tmpl_date(&org, 1783063800L, buf, sizeof(buf));
	is_str(buf, "03/07/2026 09:30 CEST", "Madrid in summer");
	hours_tz_free(org.tz);
	org.tz = hours_tz_new("America/New_York");
	org.date_format = "%A %-d %B %Y, %-l:%M %p";
	tmpl_date(&org, 1796373000L, buf, sizeof(buf));
	is_str(buf, "Friday 4 December 2026, 3:30 AM",
	    "New York, long form, no padding (GLib pads with U+2007)");
	tmpl_date(&org, 1796373000L, buf, 8);
	is_int(strlen(buf), 7, "a short buffer is cut, terminated");
	hours_tz_free(org.tz);
	return (done_testing());
}
