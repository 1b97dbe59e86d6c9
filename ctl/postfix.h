/* postfix.h - "mailacdctl postfix maps": Postfix's sender-dependent maps
 * from mailacd.conf. */
#ifndef MAILACD_CTL_POSTFIX_H
#define MAILACD_CTL_POSTFIX_H

#include "ctl.h"

#define POSTFIX_DIR	"/etc/postfix/mailacd"	/* where the maps go */

/* postfix_cmd - "postfix maps [--dir DIR] [--postfix-config DIR]
 * [--no-postmap]": write the maps, build them with postmap (or print
 * the commands), print the main.cf and master.cf lines; a sysexits
 * status */
int	postfix_cmd(struct ctl *ctl, int argc, char **argv);

#endif
