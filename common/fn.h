/* fn.h - the mailacd function library in Redis (common/mailacd.lua): load
 * it and call its functions.
 *
 * Every change to queues, agents and assignments is one FCALL of one
 * function of the library, atomic in Redis, whoever makes it (router,
 * mailacdctl, another program).  man/mailacd-keys.7 documents the
 * functions and their arguments. */
#ifndef MAILACD_FN_H
#define MAILACD_FN_H

#include <stddef.h>

#include <hiredis.h>

/* fn_load - install the library unless Redis has this version or a newer
 * one already; 0, or -1 with ERR */
int	fn_load(redisContext *c, char *err, size_t errlen);

/* fn_call - FCALL function NAME of the library for organisation ORG
 * (KEYS[1] is its schema key) with ARGC arguments ARGV; loads the library
 * when Redis does not have it.  The reply (possibly an error reply) goes
 * to *REPLY; -1 with ERR when there is none (connection broken). */
int	fn_call(redisContext *c, const char *name, const char *org, int argc,
		    const char **argv, redisReply **reply, char *err,
		    size_t errlen);

/* fn_argv - the FCALL command line for fn_call()/pipelines: writes "FCALL",
 * NAME, NKEYS and the keys to OUT (room for 3 + NKEYS); returns the count */
int	fn_argv(const char **out, const char *name, int nkeys,
		    const char **keys);

#endif
