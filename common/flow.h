/* flow.h - evaluate a flow (organizations.flows) on a message: the first
 * rule whose conditions hold applies its actions, calls go on into other
 * flows, and the result is the queue, skills, language, priority, tags,
 * acknowledgement and whether routing stops.
 *
 * The message comes as a view the caller filled (struct flow_msg: the
 * milter from what it holds, mailacdctl from a file); nothing here does
 * I/O or logs, so the milter's threads call it at once, and a trace of
 * what matched is written only when asked for (mailacdctl flow test).
 * Regular expressions run under the configured PCRE2 match limit, and the
 * whole evaluation under flow.time_limit_ms: past either, the flow's
 * default applies instead and the result says so. */
#ifndef MAILACD_FLOW_H
#define MAILACD_FLOW_H

#include <stddef.h>
#include <time.h>

#include "cfg.h"

#define FLOW_TAGS_MAX	64

/* One decoded header. */
struct flow_hdr {
	const char *name;
	const char *value;	/* decoded, unfolded UTF-8 */
};

/* What flows may look at; the caller owns every pointer. */
struct flow_msg {
	const char *sender;	/* envelope sender, "" for <> */
	const char *from;	/* From address, lower case, "" none */
	const char *subject;	/* decoded */
	const struct flow_hdr *hdrs;
	size_t	nhdrs;
	const char *text;	/* decoded text (text/plain, HTML as text) */
	size_t	textlen;
	char *const *types;	/* attachments' MIME types, lower case */
	size_t	ntypes;
	size_t	size;		/* octets of the message */
	const char *lang;	/* detected language, "" when none */
	int	lang_confidence;	/* 0..100 */
	int	lang_reliable;	/* the detector stands by it */
	int	automatic;	/* marked automatic (RFC 3834, bulk...) */
	int	open;		/* the customer has an open interaction here:
				   1, 0, or -1 not known */
	time_t	now;		/* for schedules */
};

/* Where the routing ended. */
struct flow_result {
	const char *queue;
	const char *skills[CFG_SKILLS_MAX];
	size_t	nskills;
	const char *language;	/* "" any */
	int	priority;
	const char *tags[FLOW_TAGS_MAX];
	size_t	ntags;
	const char *ack;	/* NULL: none chosen */
	int	close;		/* record on a closed interaction */
	int	detected;	/* the language came from detection */
	int	fallback;	/* a limit was hit: the default applied */
	char	why[160];	/* the limit that was hit */
	const char *matched;	/* the last rule that applied ("flow/rule"),
				   or NULL when defaults did */
	char	path[256];	/* "triage/vip > tagger/#0" */
};

/* A trace of the evaluation for people, or NULL. */
struct flow_trace {
	char	*buf;
	size_t	len, cap;
};

/* flow_eval - route R (which names a flow) of CFG for message M into RES;
 * TR, when not NULL, gets one line per rule looked at.  0, or -1 when
 * memory ran out (RES then holds the flow's default) */
int	flow_eval(const struct cfg *cfg, const struct cfg_route *r,
	    const struct flow_msg *m, struct flow_result *res,
	    struct flow_trace *tr);

/* flow_trace_free - free a trace's text */
void	flow_trace_free(struct flow_trace *tr);

#endif
