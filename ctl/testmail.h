/* testmail.h - "mailacdctl test-email": send me a test email. */
#ifndef MAILACD_CTL_TESTMAIL_H
#define MAILACD_CTL_TESTMAIL_H

#include "ctl.h"

/* testmail_cmd - "test-email IDENTITY RECIPIENT": a short message sent as
 * IDENTITY through the server its mail leaves through; the server's
 * answer printed; a sysexits status */
int	testmail_cmd(struct ctl *ctl, int argc, char **argv);

#endif
