/* list.h - "mailacdctl interactions": find interactions by filters. */
#ifndef MAILACD_LIST_H
#define MAILACD_LIST_H

#include "ctl.h"

/* list_cmd - "interactions [--queue Q] [--agent A] [--state S] [--customer
 * ADDR] [--subject TEXT] [--since T] [--limit N]"; the exit status */
int	list_cmd(struct ctl *ctl, int argc, char **argv);

#endif
