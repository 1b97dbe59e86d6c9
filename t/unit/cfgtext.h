/* cfgtext.h - unit tests' helper: a configuration from text. */
#ifndef MAILACD_CFGTEXT_H
#define MAILACD_CFGTEXT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"

/* cfg_text - write TEXT to a temp file and load it; its errors as TAP
 * comments; NULL when it does not load */
static struct cfg *
cfg_text(const char *text)
{
	char	path[] = "/tmp/mailacd_unit.XXXXXX";
	struct cfg_errors errs = { 0 };
	struct cfg *cfg;
	size_t	i;
	int	fd = mkstemp(path);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return (NULL);
	close(fd);
	cfg = cfg_load(path, &errs);
	for (i = 0; i < errs.n; i++)
		printf("# %s\n", errs.msg[i]);
	cfg_errors_clear(&errs);
	unlink(path);
	return (cfg);
}

#endif
