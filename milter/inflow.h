/* inflow.h - flows in the inbound decision: what a message to an address
 * with a flow must keep (its header and the first part of its body, and
 * only when a recipient's route names a flow), and the evaluation at the
 * end of the message, whose result becomes the recipient's route for the
 * stamp and the hand-off.  No libmilter and no Redis here. */
#ifndef MAILACD_INFLOW_H
#define MAILACD_INFLOW_H

#include <stddef.h>

#include "cfg.h"
#include "flow.h"

/* What one message keeps for its flows. */
struct inflow {
	int	active;		/* a recipient's route names a flow */
	int	body;		/* and the body is read (text, language) */
	char	*buf;		/* header lines, blank line, body prefix */
	size_t	len, cap;
	size_t	hdr_max;	/* octets of header kept at most */
	size_t	body_max;	/* octets of body kept at most */
	size_t	body_len;
	/* the language of the text, detected once per message */
	int	lang_done;
	char	lang[8];
	int	lang_confidence;
	int	lang_reliable;
	long long eval_us;	/* what evaluation took, for the log */
};

/* inflow_start - before the first header: keep what the flows of the N
 * ROUTES need (a no-op when none names a flow) */
void	inflow_start(struct inflow *f, const struct cfg *cfg,
	    const struct cfg_route *const *routes, size_t n);

/* inflow_header - keep one header; 0 or -1 (memory) */
int	inflow_header(struct inflow *f, const char *name, const char *value);

/* inflow_eoh - the end of the header; 0 or -1 */
int	inflow_eoh(struct inflow *f);

/* inflow_body - keep the body's first part; 0 or -1 */
int	inflow_body(struct inflow *f, const unsigned char *data, size_t len);

/* The envelope and what inbound.c knows of the message. */
struct inflow_env {
	const char *sender;	/* envelope sender, without <> */
	size_t	size;
	int	automatic;
	int	open;		/* the recipient's customer has an open
				   interaction: 1, 0, -1 not known */
	time_t	now;
};

/* inflow_eval - evaluate route R's flow on the kept message into RES
 * (the default and RES->fallback when a limit was hit); 0, or -1 when
 * memory ran out */
int	inflow_eval(struct inflow *f, const struct cfg *cfg,
	    const struct cfg_route *r, const struct inflow_env *env,
	    struct flow_result *res);

/* inflow_route - the route RES describes, into OUT (pointing into RES
 * and the configuration), from the address's route R */
void	inflow_route(const struct flow_result *res,
	    const struct cfg_route *r, struct cfg_route *out);

/* inflow_reset - free what F holds; ready for the next message */
void	inflow_reset(struct inflow *f);

#endif
