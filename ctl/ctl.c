/* ctl.c - what every mailacdctl command needs: the Redis connection, error
 * lines, and the parsing and formatting of ids, members and times. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "ctl.h"

/* ctl_errx - one error line on stderr */
void
ctl_errx(const char *fmt, ...)
{
	va_list	ap;

	fputs("mailacdctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	putc('\n', stderr);
}

/* ctl_redis - borrow the one connection this run uses */
int
ctl_redis(struct ctl *ctl)
{
	char	err[512];
	int	fresh;

	if (ctl->rc != NULL)
		return (0);
	if (ctl->pool == NULL &&
	    (ctl->pool = rds_pool_new(&ctl->cfg->redis)) == NULL) {
		ctl_errx("out of memory");
		return (EX_OSERR);
	}
	if ((ctl->rc = rds_get(ctl->pool, &fresh, err, sizeof(err))) == NULL) {
		ctl_errx("redis %s: %s", rds_describe(ctl->pool), err);
		return (EX_UNAVAILABLE);
	}
	return (0);
}

/* ctl_failed - one line naming the server, the command and the reason */
int
ctl_failed(struct ctl *ctl, const char *verb, const char *key, redisReply *r)
{
	char	err[512];

	rds_error(ctl->rc, r, err, sizeof(err));
	ctl_errx("redis %s: %s %s: %s", rds_describe(ctl->pool), verb, key,
	    err);
	/* a key of another type is our data gone wrong, not an outage */
	if (r != NULL && r->type == REDIS_REPLY_ERROR &&
	    strncmp(r->str, "WRONGTYPE", 9) == 0)
		return (EX_DATAERR);
	return (EX_UNAVAILABLE);
}

/* ctl_command - one command; error replies and I/O errors reported */
redisReply *
ctl_command(struct ctl *ctl, int *status, const char *verb, const char *key,
    const char *fmt, ...)
{
	redisReply *r;
	va_list	ap;

	if ((*status = ctl_redis(ctl)) != 0)
		return (NULL);
	va_start(ap, fmt);
	r = redisvCommand(ctl->rc, fmt, ap);
	va_end(ap);
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		*status = ctl_failed(ctl, verb, key, r);
		if (r != NULL)
			freeReplyObject(r);
		return (NULL);
	}
	*status = 0;
	return (r);
}

/* ctl_int - an integer reply, or a complaint about its type */
int
ctl_int(struct ctl *ctl, redisReply *r, const char *verb, const char *key,
    long long *v)
{
	if (r->type != REDIS_REPLY_INTEGER) {
		ctl_errx("redis %s: %s %s: unexpected reply type %d",
		    rds_describe(ctl->pool), verb, key, r->type);
		return (EX_PROTOCOL);
	}
	*v = r->integer;
	return (0);
}

/* ctl_schema - data written in a schema we do not know is not read */
int
ctl_schema(struct ctl *ctl, const char *org)
{
	char	key[CTL_KEY_MAX];
	redisReply *r;
	int	st;

	if (keys_fmt(key, sizeof(key), KEYS_FMT_SCHEMA, org) != 0) {
		ctl_errx("organisation %s: key too long", org);
		return (EX_SOFTWARE);
	}
	if ((r = ctl_command(ctl, &st, "GET", key, "GET %s", key)) == NULL)
		return (st);
	if (r->type == REDIS_REPLY_STRING && strcmp(r->str, KEYS_SCHEMA) != 0) {
		ctl_errx("%s is schema %s; this mailacdctl reads schema %s "
		    "only", key, r->str, KEYS_SCHEMA);
		st = EX_DATAERR;
	}
	freeReplyObject(r);
	return (st);
}

/* ctl_id_ok - 32 lower-case hex digits and nothing else */
int
ctl_id_ok(const char *id)
{
	size_t	i;

	for (i = 0; i < CTL_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'f')))
			return (0);
	return (id[CTL_ID_LEN] == '\0');
}

/* ctl_member - "000001763846400000:<32 hex>" into its time and id */
int
ctl_member(const char *member, size_t len, int64_t *enqueued,
    char id[CTL_ID_LEN + 1])
{
	int64_t	v = 0;
	size_t	i;

	if (len != CTL_ENQ_LEN + 1 + CTL_ID_LEN || member[CTL_ENQ_LEN] != ':')
		return (-1);
	for (i = 0; i < CTL_ENQ_LEN; i++) {
		if (member[i] < '0' || member[i] > '9')
			return (-1);
		v = v * 10 + (member[i] - '0');
	}
	memcpy(id, member + CTL_ENQ_LEN + 1, CTL_ID_LEN);
	id[CTL_ID_LEN] = '\0';
	if (!ctl_id_ok(id))
		return (-1);
	*enqueued = v;
	return (0);
}

/* ctl_wait - a duration in its two largest units; negative shows as 0s */
const char *
ctl_wait(int64_t ms, char *buf, size_t size)
{
	int64_t	s = ms > 0 ? ms / 1000 : 0;

	if (s < 60)
		snprintf(buf, size, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(buf, size, "%" PRId64 "m%02" PRId64 "s", s / 60,
		    s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%" PRId64 "h%02" PRId64 "m", s / 3600,
		    s % 3600 / 60);
	else
		snprintf(buf, size, "%" PRId64 "d%02" PRId64 "h", s / 86400,
		    s % 86400 / 3600);
	return (buf);
}

/* ctl_time - local time of a Unix millisecond timestamp */
const char *
ctl_time(int64_t ms, char *buf, size_t size)
{
	time_t	t = (time_t)(ms / 1000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d %H:%M:%S %z", &tm) == 0)
		snprintf(buf, size, "%" PRId64 " ms", ms);
	return (buf);
}
