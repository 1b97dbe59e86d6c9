/* dkim.h - "mailacdctl dkim genkey": a DKIM signing key and the DNS
 * record that publishes it. */
#ifndef MAILACD_DKIM_H
#define MAILACD_DKIM_H

#include "ctl.h"

#define DKIM_DIR	"/etc/mailacd/dkim"	/* default key directory */

/* dkim_cmd - "dkim genkey [-f] [-b BITS] [-d DIR] [-t rsa|ed25519]
 * DOMAIN SELECTOR".  Reads no configuration and no Redis: main() runs it
 * without loading either, and hands it every argument after "dkim",
 * options included. */
int	dkim_cmd(struct ctl *ctl, int argc, char **argv);

#endif
