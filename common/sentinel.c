/* sentinel.c - find the current Redis master through Redis Sentinel.
 *
 * A Sentinel's answer may be stale (it has not seen the fail-over yet)
 * and an address may have been handed to another role since, so the
 * answer is only a candidate: it is believed once the node itself says
 * "master" to ROLE.  Otherwise the next Sentinel is asked.  Errors go to
 * the caller's buffer; nothing here logs. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rds.h"
#include "sentinel.h"

#define SENTINEL_CHANNEL	"+switch-master"

/* sentinel_hostport - split "HOST:PORT" or "[V6]:PORT"; 0 or -1 */
int
sentinel_hostport(const char *v, char *host, size_t hlen, int *port)
{
	const char *h = v, *e, *p;
	char	*end;
	long	n;

	if (*v == '[') {
		if ((e = strchr(v, ']')) == NULL || e[1] != ':')
			return (-1);
		h = v + 1;
		p = e + 2;
	} else {
		if ((e = strrchr(v, ':')) == NULL || memchr(v, ':',
		    (size_t)(e - v)) != NULL)
			return (-1);
		p = e + 1;
	}
	if (e == h || (size_t)(e - h) >= hlen || *p < '0' || *p > '9')
		return (-1);
	errno = 0;
	n = strtol(p, &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > 65535)
		return (-1);
	memcpy(host, h, (size_t)(e - h));
	host[e - h] = '\0';
	*port = (int)n;
	return (0);
}

/* sentinel_connect - connect, set the command timeout, AUTH */
redisContext *
sentinel_connect(const char *host, int port, const char *user,
    const char *password, struct timeval connect_tv,
    struct timeval command_tv, char *err, size_t errlen)
{
	redisContext *c;
	redisReply *r = NULL;
	const char *auth[3] = { "AUTH", user != NULL ? user : password,
	    password };

	if ((c = redisConnectWithTimeout(host, port, connect_tv)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	if (c->err == 0 && redisSetTimeout(c, command_tv) == REDIS_OK &&
	    (password == NULL ||
	    ((r = redisCommandArgv(c, user != NULL ? 3 : 2, auth, NULL)) !=
	    NULL &&
	    r->type != REDIS_REPLY_ERROR))) {
		if (r != NULL)
			freeReplyObject(r);
		return (c);
	}
	rds_error(c, r, err, errlen);
	if (r != NULL)
		freeReplyObject(r);
	redisFree(c);
	return (NULL);
}

/* sentinel_ask - SENTINEL get-master-addr-by-name: [host, port] or nil */
int
sentinel_ask(redisContext *c, const char *name, char *host, size_t hlen,
    int *port, char *err, size_t errlen)
{
	const char *argv[3] = { "SENTINEL", "get-master-addr-by-name", name };
	redisReply *r;
	char	*end;
	long	p;
	int	rc = -1;

	if ((r = redisCommandArgv(c, 3, argv, NULL)) == NULL ||
	    r->type == REDIS_REPLY_ERROR) {
		rds_error(c, r, err, errlen);
	} else if (r->type == REDIS_REPLY_NIL) {
		snprintf(err, errlen, "does not know master %s", name);
		rc = 1;
	} else if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_STRING ||
	    r->element[0]->len == 0 || r->element[0]->len >= hlen) {
		snprintf(err, errlen, "answered get-master-addr-by-name with "
		    "something else than [host, port]");
	} else {
		errno = 0;
		p = strtol(r->element[1]->str, &end, 10);
		if (errno != 0 || *end != '\0' || p < 1 || p > 65535)
			snprintf(err, errlen, "named port \"%.20s\"",
			    r->element[1]->str);
		else {
			memcpy(host, r->element[0]->str, r->element[0]->len);
			host[r->element[0]->len] = '\0';
			*port = (int)p;
			rc = 0;
		}
	}
	if (r != NULL)
		freeReplyObject(r);
	return (rc);
}

/* sentinel_role - ROLE's first element: "master" or another word */
int
sentinel_role(redisContext *c, char *err, size_t errlen)
{
	const char *argv[1] = { "ROLE" };
	redisReply *r;
	int	rc = -1;

	if ((r = redisCommandArgv(c, 1, argv, NULL)) == NULL ||
	    r->type == REDIS_REPLY_ERROR)
		rds_error(c, r, err, errlen);
	else if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_STRING)
		snprintf(err, errlen, "answered ROLE with something else "
		    "than an array");
	else if (strcmp(r->element[0]->str, "master") == 0)
		rc = 1;
	else {
		snprintf(err, errlen, "%.40s", r->element[0]->str);
		rc = 0;
	}
	if (r != NULL)
		freeReplyObject(r);
	return (rc);
}

/* sentinel_add - append "; PREFIX: WHY" to the reasons in ERR */
static void
sentinel_add(char *err, size_t errlen, const char *host, int port,
    const char *why)
{
	size_t	used = strlen(err);

	if (used + 1 < errlen)
		snprintf(err + used, errlen - used, "%ssentinel %s:%d: %s",
		    used > 0 ? "; " : "", host, port, why);
}

/* sentinel_try - ask Sentinel I and check what it names; the master's
 * context or NULL with the reason in WHY */
static redisContext *
sentinel_try(const struct sentinel_conf *sc, size_t i,
    struct sentinel_found *found, char *why, size_t whylen)
{
	redisContext *s, *c;
	char	host[SENTINEL_HOST_MAX], e[200];
	int	port, rc;

	if ((s = sentinel_connect(sc->hosts[i], sc->ports[i], sc->user,
	    sc->password,
	    sc->connect_tv, sc->command_tv, e, sizeof(e))) == NULL) {
		snprintf(why, whylen, "%s", e);
		return (NULL);
	}
	rc = sentinel_ask(s, sc->name, host, sizeof(host), &port, e,
	    sizeof(e));
	redisFree(s);
	if (rc != 0) {
		snprintf(why, whylen, "%s", e);
		return (NULL);
	}
	if ((c = sentinel_connect(host, port, sc->data_user,
	    sc->data_password,
	    sc->connect_tv, sc->command_tv, e, sizeof(e))) == NULL) {
		snprintf(why, whylen, "names %s:%d: %s", host, port, e);
		return (NULL);
	}
	if ((rc = sentinel_role(c, e, sizeof(e))) != 1) {
		snprintf(why, whylen, "names %s:%d, %s %s", host, port,
		    rc == 0 ? "whose ROLE is" : "whose ROLE failed:", e);
		redisFree(c);
		return (NULL);
	}
	snprintf(found->host, sizeof(found->host), "%s", host);
	found->port = port;
	found->via = i;
	return (c);
}

/* sentinel_find - each Sentinel in turn until one names a real master */
redisContext *
sentinel_find(const struct sentinel_conf *sc, size_t first,
    struct sentinel_found *found, char *err, size_t errlen)
{
	redisContext *c;
	char	why[SENTINEL_HOST_MAX + 400];
	size_t	k, i;

	err[0] = '\0';
	for (k = 0; k < sc->n; k++) {
		i = (first + k) % sc->n;
		why[0] = '\0';
		if ((c = sentinel_try(sc, i, found, why, sizeof(why))) != NULL)
			return (c);
		sentinel_add(err, errlen, sc->hosts[i], sc->ports[i], why);
	}
	if (sc->n == 0)
		snprintf(err, errlen, "no Sentinel configured");
	return (NULL);
}

/* sentinel_subscribe - SUBSCRIBE +switch-master on Sentinel I */
redisContext *
sentinel_subscribe(const struct sentinel_conf *sc, size_t i, char *err,
    size_t errlen)
{
	const char *argv[2] = { "SUBSCRIBE", SENTINEL_CHANNEL };
	redisContext *s;
	redisReply *r;

	if ((s = sentinel_connect(sc->hosts[i], sc->ports[i], sc->user,
	    sc->password,
	    sc->connect_tv, sc->command_tv, err, errlen)) == NULL)
		return (NULL);
	if ((r = redisCommandArgv(s, 2, argv, NULL)) == NULL ||
	    r->type != REDIS_REPLY_ARRAY) {
		rds_error(s, r, err, errlen);
		if (r != NULL)
			freeReplyObject(r);
		redisFree(s);
		return (NULL);
	}
	freeReplyObject(r);
	return (s);
}

/* sentinel_switch_parse - ["message", "+switch-master", "NAME OLDIP
 * OLDPORT NEWIP NEWPORT"] */
int
sentinel_switch_parse(const redisReply *r, const char *name, char *host,
    size_t hlen, int *port)
{
	const char *m;
	char	n[130], oh[SENTINEL_HOST_MAX], nh[SENTINEL_HOST_MAX];
	int	op, np, used = 0;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_STRING ||
	    r->element[2]->type != REDIS_REPLY_STRING ||
	    strcmp(r->element[0]->str, "message") != 0 ||
	    strcmp(r->element[1]->str, SENTINEL_CHANNEL) != 0)
		return (0);
	m = r->element[2]->str;
	if (sscanf(m, "%129s %255s %d %255s %d%n", n, oh, &op, nh, &np,
	    &used) != 5 || m[used] != '\0' || strcmp(n, name) != 0 ||
	    np < 1 || np > 65535 || strlen(nh) >= hlen)
		return (0);
	snprintf(host, hlen, "%s", nh);
	*port = np;
	return (1);
}

/* sentinel_poll - take what has arrived on SUB, never waiting */
int
sentinel_poll(redisContext *sub, const char *name, char *host, size_t hlen,
    int *port)
{
	struct pollfd pfd;
	void	*r;
	int	switched = 0;

	pfd.fd = sub->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) < 0)
		return (-1);
	if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
		return (-1);
	if ((pfd.revents & POLLIN) && redisBufferRead(sub) != REDIS_OK)
		return (-1);
	for (;;) {
		r = NULL;
		if (redisReaderGetReply(sub->reader, &r) != REDIS_OK)
			return (-1);
		if (r == NULL)
			break;
		if (sentinel_switch_parse(r, name, host, hlen, port))
			switched = 1;
		freeReplyObject(r);
	}
	return (switched);
}
