/* cfg_keys.c - print the path of every configuration setting, one a line,
 * for t/0120-conf-man.t to look up in man/mailacd.conf.5. */
#include <stdio.h>

#include "cfg.h"

/* print_path - cfg_schema_each callback: one path a line */
static void
print_path(const char *path, void *arg)
{
	(void)arg;
	printf("%s\n", path);
}

/* main - print every setting path */
int
main(void)
{
	cfg_schema_each(print_path, NULL);
	return (ferror(stdout) || fflush(stdout) != 0 ? 1 : 0);
}
