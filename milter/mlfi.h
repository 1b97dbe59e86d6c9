/* mlfi.h - libmilter callbacks of mailacd-milter and the live configuration
 * they run with. */
#ifndef MAILACD_MLFI_H
#define MAILACD_MLFI_H

#include "cfg.h"

/* mlfi_install - make CFG (a reference is taken over) the configuration new
 * connections start with; connections in progress keep theirs.  0, or -1
 * when memory is short (CFG is then released). */
int	mlfi_install(struct cfg *cfg);

/* mlfi_register - register the callbacks with libmilter; 0 or -1 */
int	mlfi_register(void);

/* mlfi_shutdown - drop the installed configuration */
void	mlfi_shutdown(void);

#endif
