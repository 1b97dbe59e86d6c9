/* fn.c - load the mailacd function library into Redis and call it.
 *
 * The library's source is compiled in (build/common/mailacd_lua.c, made
 * from common/mailacd.lua).  FUNCTION LOAD REPLACE installs it; Redis keeps
 * it across restarts when it persists (RDB/AOF), and a Redis that lost it
 * answers "Function not found", on which fn_call() loads it again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn.h"
#include "keys.h"
#include "rds.h"

extern const char mailacd_lua[];

/* fn_load - install the library unless this version or a newer one is
 * there: during a rolling upgrade an older program must not put its older
 * library back over a newer one */
int
fn_load(redisContext *c, char *err, size_t errlen)
{
	const char *vargv[3] = { "FCALL", "mailacd_version", "0" };
	const char *largv[4] = { "FUNCTION", "LOAD", "REPLACE", mailacd_lua };
	redisReply *r;
	long	have = 0;
	int	rc;

	r = redisCommandArgv(c, 3, vargv, NULL);
	if (r == NULL) {
		rds_error(c, NULL, err, errlen);
		return (-1);
	}
	if (r->type == REDIS_REPLY_STRING)
		have = strtol(r->str, NULL, 10);
	freeReplyObject(r);
	if (have >= strtol(KEYS_LIBRARY, NULL, 10))
		return (0);
	r = redisCommandArgv(c, 4, largv, NULL);
	rc = (r != NULL && r->type == REDIS_REPLY_STRING) ? 0 : -1;
	if (rc != 0)
		rds_error(c, r, err, errlen);
	if (r != NULL)
		freeReplyObject(r);
	return (rc);
}

/* fn_argv - "FCALL NAME NKEYS KEYS..." into OUT */
int
fn_argv(const char **out, const char *name, int nkeys, const char **keys)
{
	static const char *digits[] = { "0", "1", "2", "3", "4", "5", "6" };
	int	n = 0, i;

	out[n++] = "FCALL";
	out[n++] = name;
	out[n++] = digits[nkeys < 7 ? nkeys : 6];
	for (i = 0; i < nkeys; i++)
		out[n++] = keys[i];
	return (n);
}

/* fn_call - one FCALL, loading the library when it is missing */
int
fn_call(redisContext *c, const char *name, const char *org, int argc,
    const char **argv, redisReply **reply, char *err, size_t errlen)
{
	const char **v, *keys[1];
	char	schema[300];
	int	n, tries;

	*reply = NULL;
	if (keys_fmt(schema, sizeof(schema), KEYS_FMT_SCHEMA, org) != 0) {
		snprintf(err, errlen, "organisation id too long");
		return (-1);
	}
	if ((v = calloc((size_t)argc + 4, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	keys[0] = schema;
	n = fn_argv(v, name, 1, keys);
	memcpy(v + n, argv, (size_t)argc * sizeof(*v));
	for (tries = 0; tries < 2; tries++) {
		*reply = redisCommandArgv(c, n + argc, v, NULL);
		if (*reply == NULL) {
			rds_error(c, NULL, err, errlen);
			break;
		}
		if ((*reply)->type != REDIS_REPLY_ERROR ||
		    strstr((*reply)->str, "Function not found") == NULL ||
		    tries > 0)
			break;
		freeReplyObject(*reply);
		*reply = NULL;
		if (fn_load(c, err, errlen) != 0)
			break;
	}
	free(v);
	return (*reply != NULL ? 0 : -1);
}
