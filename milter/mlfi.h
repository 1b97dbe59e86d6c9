/* mlfi.h - libmilter callbacks of mailacd-milter and the live configuration
 * they run with. */
#ifndef MAILACD_MLFI_H
#define MAILACD_MLFI_H

#include "cfg.h"
#include "rds.h"
#include "shard.h"

/* mlfi_install - make CFG (a reference is taken over) the configuration new
 * connections start with; connections in progress keep theirs.  0, or -1
 * when memory is short (CFG is then released). */
int	mlfi_install(struct cfg *cfg);

/* mlfi_register - register the callbacks with libmilter; 0 or -1 */
int	mlfi_register(void);

/* mlfi_with_conf - call FN with the installed configuration's Redis
 * pools and views (shard.h; held for the call only); 0, or -1 when none
 * is installed */
int	mlfi_with_conf(void (*fn)(struct shard *sh, void *arg), void *arg);

/* mlfi_shutdown - drop the installed configuration */
void	mlfi_shutdown(void);

#endif
