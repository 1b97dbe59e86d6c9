/* dkimkey.h - "mailacdctl dkim genkey": a DKIM signing key and the DNS
 * record that publishes it.  Named dkimkey, not dkim: libopendkim owns
 * the prefix dkim_ and the header <dkim.h>. */
#ifndef MAILACD_DKIMKEY_H
#define MAILACD_DKIMKEY_H

#include "ctl.h"

#define DKIMKEY_DIR	"/etc/mailacd/dkim"	/* default key directory */

/* dkimkey_cmd - "dkim genkey [-f] [-b BITS] [-d DIR] [-t rsa|ed25519]
 * DOMAIN SELECTOR".  Reads no configuration and no Redis: main() runs it
 * without loading either, and hands it every argument after "dkim",
 * options included. */
int	dkimkey_cmd(struct ctl *ctl, int argc, char **argv);

#endif
