/* template.h - "mailacdctl template preview": what a customer would get. */
#ifndef MAILACD_TEMPLATE_H
#define MAILACD_TEMPLATE_H

#include "ctl.h"

/* template_cmd - "template preview ADDRESS [--agent ID] [--response NAME
 * | --ack]": the raw message a customer would receive for a sample
 * interaction, on stdout; the configuration only, Redis untouched.  The
 * exit status */
int	template_cmd(struct ctl *ctl, int argc, char **argv);

#endif
