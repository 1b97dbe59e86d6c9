/* inflow.c - flows in the inbound decision (see inflow.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "flowlang.h"
#include "inflow.h"
#include "msgview.h"

#define INFLOW_HDR_MAX	(256 * 1024)	/* a header longer than this is
					   cut: flows see its beginning */

/* inflow_start - decide what to keep */
void
inflow_start(struct inflow *f, const struct cfg *cfg,
    const struct cfg_route *const *routes, size_t n)
{
	size_t	i;

	if (f->active)
		return;
	for (i = 0; i < n; i++) {
		if (routes[i] == NULL || routes[i]->flowp == NULL)
			continue;
		f->active = 1;
		/* the text for body, attachment and language conditions,
		 * and for the language an address leaves open */
		if ((routes[i]->flowp->needs & CFG_NEED_TEXT) ||
		    routes[i]->language == NULL ||
		    routes[i]->language[0] == '\0')
			f->body = 1;
	}
	f->hdr_max = INFLOW_HDR_MAX;
	/* encodings and markup make the raw body larger than its text */
	f->body_max = f->body ? (size_t)cfg->flow.text_limit * 1024 * 4 : 0;
}

/* inflow_add - append LEN octets of S */
static int
inflow_add(struct inflow *f, const char *s, size_t len)
{
	char	*p;
	size_t	cap;

	if (f->len + len + 1 > f->cap) {
		cap = f->cap ? f->cap : 8192;
		while (cap < f->len + len + 1)
			cap *= 2;
		if ((p = realloc(f->buf, cap)) == NULL)
			return (-1);
		f->buf = p;
		f->cap = cap;
	}
	memcpy(f->buf + f->len, s, len);
	f->len += len;
	f->buf[f->len] = '\0';
	return (0);
}

/* inflow_header - one header line */
int
inflow_header(struct inflow *f, const char *name, const char *value)
{
	size_t	n = strlen(name), v = strlen(value);

	if (!f->active || f->len + n + v + 3 > f->hdr_max)
		return (0);
	return (inflow_add(f, name, n) != 0 || inflow_add(f, ": ", 2) != 0 ||
	    inflow_add(f, value, v) != 0 || inflow_add(f, "\n", 1) != 0 ?
	    -1 : 0);
}

/* inflow_eoh - the blank line */
int
inflow_eoh(struct inflow *f)
{
	return (f->active ? inflow_add(f, "\n", 1) : 0);
}

/* inflow_body - the first body_max octets */
int
inflow_body(struct inflow *f, const unsigned char *data, size_t len)
{
	if (!f->active || !f->body || f->body_len >= f->body_max)
		return (0);
	if (len > f->body_max - f->body_len)
		len = f->body_max - f->body_len;
	f->body_len += len;
	return (inflow_add(f, (const char *)data, len));
}

/* inflow_eval - decode once, detect once, evaluate R's flow */
int
inflow_eval(struct inflow *f, const struct cfg *cfg,
    const struct cfg_route *r, const struct inflow_env *env,
    struct flow_result *res)
{
	struct msgview v;
	struct flow_hdr *hdrs = NULL;
	struct flow_msg m;
	long long t0 = clock_mono_ms();
	int	rc;

	if (msgview_parse(f->buf != NULL ? f->buf : "", f->len,
	    (size_t)cfg->flow.text_limit * 1024, &v) != 0)
		return (-1);
	if (msgview_flow_msg(&v, &m, &hdrs) != 0) {
		msgview_free(&v);
		return (-1);
	}
	if (!f->lang_done && f->body) {
		flowlang_detect(v.text, v.textlen,
		    (size_t)cfg->flow.text_limit * 1024, f->lang,
		    sizeof(f->lang), &f->lang_confidence, &f->lang_reliable);
		f->lang_done = 1;
	}
	m.sender = env->sender != NULL ? env->sender : "";
	m.size = env->size;
	m.lang = f->lang;
	m.lang_confidence = f->lang_confidence;
	m.lang_reliable = f->lang_reliable;
	m.automatic = env->automatic || v.automatic;
	m.open = env->open;
	m.now = env->now;
	rc = flow_eval(cfg, r, &m, res, NULL);
	/* the language detected points into F, which outlives the result;
	 * nothing else of the view is kept */
	if (res->detected)
		res->language = f->lang;
	free(hdrs);
	msgview_free(&v);
	f->eval_us += (clock_mono_ms() - t0) * 1000;
	return (rc);
}

/* inflow_route - the route of the result */
void
inflow_route(const struct flow_result *res, const struct cfg_route *r,
    struct cfg_route *out)
{
	memset(out, 0, sizeof(*out));
	out->queue = res->queue;
	out->flow = r->flow;
	out->flowp = r->flowp;
	/* the skills point into the configuration, which the message holds
	 * a reference to */
	out->skills = (char **)(uintptr_t)res->skills;
	out->nskills = res->nskills;
	out->language = res->language;
	out->priority = res->priority;
}

/* inflow_reset - free the kept message */
void
inflow_reset(struct inflow *f)
{
	free(f->buf);
	memset(f, 0, sizeof(*f));
}
