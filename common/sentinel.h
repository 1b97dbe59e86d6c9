/* sentinel.h - find the current Redis master through Redis Sentinel.
 *
 * hiredis 0.14 (Debian 12) knows nothing of Sentinel, so this is the
 * small part of the Sentinel client protocol mailacd needs: ask each
 * Sentinel in turn which address holds the master, connect there and
 * believe it only when ROLE says "master"; and watch a Sentinel's
 * +switch-master messages.  Errors go to the caller's buffer; nothing
 * here logs. */
#ifndef MAILACD_SENTINEL_H
#define MAILACD_SENTINEL_H

#include <stddef.h>
#include <sys/time.h>

#include <hiredis.h>

#define SENTINEL_HOST_MAX	256

/* Where to look and how to log in. */
struct sentinel_conf {
	char	**hosts;	/* the Sentinels' hosts ... */
	const int *ports;	/* ... and ports */
	size_t	n;
	const char *name;	/* the master's name in the Sentinels */
	const char *user;	/* ACL user for the Sentinels, or NULL */
	const char *password;	/* AUTH to the Sentinels, or NULL */
	const char *data_user;	/* ACL user for the data nodes, or NULL */
	const char *data_password;	/* AUTH to the data nodes, or NULL */
	struct timeval connect_tv;
	struct timeval command_tv;
};

/* What a look-up found. */
struct sentinel_found {
	char	host[SENTINEL_HOST_MAX];	/* the master */
	int	port;
	size_t	via;		/* index of the Sentinel that named it */
};

/* sentinel_hostport - split "HOST:PORT" or "[V6]:PORT" into HOST (of
 * HLEN) and *PORT; 0, or -1 when V is not such.  No I/O. */
int	sentinel_hostport(const char *v, char *host, size_t hlen, int *port);

/* sentinel_connect - a context to HOST:PORT with the command timeout set
 * and AUTH [USER] PASSWORD sent (when PASSWORD is not NULL; USER NULL: the
 * default user); NULL with ERR */
redisContext *sentinel_connect(const char *host, int port,
		    const char *user, const char *password,
		    struct timeval connect_tv,
		    struct timeval command_tv, char *err, size_t errlen);

/* sentinel_ask - SENTINEL get-master-addr-by-name NAME on C: 0 and the
 * address in HOST (of HLEN) and *PORT, 1 when the Sentinel does not know
 * NAME, -1 with ERR */
int	sentinel_ask(redisContext *c, const char *name, char *host,
		    size_t hlen, int *port, char *err, size_t errlen);

/* sentinel_role - ROLE on C: 1 when it says master, 0 when it says
 * something else (the word in ERR), -1 with ERR */
int	sentinel_role(redisContext *c, char *err, size_t errlen);

/* sentinel_find - ask the Sentinels of SC in turn, from index FIRST on,
 * for the master, connect to the address named and check its ROLE; the
 * connected context (AUTH sent, command timeout set; the caller frees
 * it) and FOUND, or NULL with every Sentinel's reason in ERR */
redisContext *sentinel_find(const struct sentinel_conf *sc, size_t first,
		    struct sentinel_found *found, char *err, size_t errlen);

/* sentinel_subscribe - a context to Sentinel I of SC subscribed to
 * +switch-master; NULL with ERR */
redisContext *sentinel_subscribe(const struct sentinel_conf *sc, size_t i,
		    char *err, size_t errlen);

/* sentinel_poll - read what the subscribed context SUB holds without
 * waiting: 1 when a +switch-master for NAME arrived (its new address in
 * HOST and *PORT), 0 when none, -1 when SUB broke (free it) */
int	sentinel_poll(redisContext *sub, const char *name, char *host,
		    size_t hlen, int *port);

/* sentinel_switch_parse - is R a pub/sub message on +switch-master about
 * NAME?  1 with the new master in HOST and *PORT, else 0.  No I/O. */
int	sentinel_switch_parse(const redisReply *r, const char *name,
		    char *host, size_t hlen, int *port);

#endif
