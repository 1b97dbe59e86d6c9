/* hiredis_stub.c - a stand-in for the hiredis functions mailacd calls,
 * linked instead of -lhiredis into fuzz targets, so that Redis's answers
 * come from the fuzz input and no server is needed.  Connecting always
 * works (unless the replies say otherwise); each command, sent at once or
 * appended and read with redisGetReply, takes the next reply.
 *
 * Replies are encoded one after the other, each an octet T then:
 *   T % 8 == 0  string: a length (one octet, or two when the first has
 *               its high bit set: ((b0 & 0x7f) << 8) | b1), that many octets
 *   1  array: a count octet (% 8), then that many replies (nested at most
 *      4 deep; deeper arrays are empty)
 *   2  integer: 8 octets, big-endian
 *   3  nil
 *   4  error: a length and its text, as a string
 *   5  status: a length and its text
 *   6  no reply: the connection failed (I/O error) while reading
 *   7  the next connection attempt fails (then the command gets the next
 *      reply)
 * When the input runs out every further command gets an I/O error. */
#include <stdlib.h>
#include <string.h>

#include <hiredis.h>

#include "hiredis_stub.h"

#define STUB_DEPTH	4

static const uint8_t *stub_p, *stub_end;
static size_t stub_ncmd;
static int stub_refuse;		/* the next connect fails */

/* hiredis_stub_feed - start reading replies from DATA */
void
hiredis_stub_feed(const uint8_t *data, size_t len)
{
	stub_p = data;
	stub_end = data + len;
	stub_ncmd = 0;
	stub_refuse = 0;
}

/* hiredis_stub_commands - how many commands asked for a reply */
size_t
hiredis_stub_commands(void)
{
	return (stub_ncmd);
}

/* stub_octet - the next input octet, or -1 at the end */
static int
stub_octet(void)
{
	return (stub_p < stub_end ? *stub_p++ : -1);
}

/* stub_len - a one- or two-octet length */
static size_t
stub_len(void)
{
	int	b0 = stub_octet(), b1;

	if (b0 < 0)
		return (0);
	if ((b0 & 0x80) == 0)
		return ((size_t)b0);
	b1 = stub_octet();
	return (((size_t)(b0 & 0x7f) << 8) | (size_t)(b1 < 0 ? 0 : b1));
}

/* stub_reply - decode one reply; NULL for "no reply" or the end */
static redisReply *
stub_reply(int depth)
{
	redisReply *r;
	size_t	i, n;
	int	t;

	for (;;) {
		if ((t = stub_octet()) < 0)
			return (NULL);
		if (t % 8 != 7)
			break;
		stub_refuse = 1;
	}
	if (t % 8 == 6)
		return (NULL);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		abort();
	switch (t % 8) {
	case 0:
	case 4:
	case 5:
		r->type = t % 8 == 0 ? REDIS_REPLY_STRING : t % 8 == 4 ?
		    REDIS_REPLY_ERROR : REDIS_REPLY_STATUS;
		n = stub_len();
		if (n > (size_t)(stub_end - stub_p))
			n = (size_t)(stub_end - stub_p);
		/* exactly LEN octets and a NUL, as hiredis allocates */
		if ((r->str = malloc(n + 1)) == NULL)
			abort();
		memcpy(r->str, stub_p, n);
		r->str[n] = '\0';
		r->len = n;
		stub_p += n;
		break;
	case 1:
		r->type = REDIS_REPLY_ARRAY;
		n = depth < STUB_DEPTH ? (size_t)(stub_octet() & 7) : 0;
		if (n > 0 && (r->element = calloc(n, sizeof(*r->element))) ==
		    NULL)
			abort();
		r->elements = n;
		for (i = 0; i < n; i++) {
			/* hiredis never gives an array a NULL element */
			if ((r->element[i] = stub_reply(depth + 1)) == NULL &&
			    (r->element[i] = calloc(1, sizeof(redisReply))) ==
			    NULL)
				abort();
			if (r->element[i]->type == 0)
				r->element[i]->type = REDIS_REPLY_NIL;
		}
		break;
	case 2:
		r->type = REDIS_REPLY_INTEGER;
		for (i = 0; i < 8; i++)
			r->integer = (long long)((unsigned long long)r->integer
			    << 8 | (unsigned)(stub_octet() & 0xff));
		break;
	default:
		r->type = REDIS_REPLY_NIL;
		break;
	}
	return (r);
}

/* stub_context - a "connected" context, or one with a connect error */
static redisContext *
stub_context(void)
{
	redisContext *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	c->fd = -1;
	if (stub_refuse) {
		stub_refuse = 0;
		c->err = REDIS_ERR_IO;
		strcpy(c->errstr, "Connection refused");
	}
	return (c);
}

/* stub_next - the reply to one command on C */
static redisReply *
stub_next(redisContext *c)
{
	redisReply *r;

	stub_ncmd++;
	if (c->err != 0)
		return (NULL);
	if ((r = stub_reply(0)) == NULL) {
		c->err = REDIS_ERR_IO;
		strcpy(c->errstr, "Connection reset by peer");
	}
	return (r);
}

/* redisConnectWithTimeout - no connection: a context for stub replies */
redisContext *
redisConnectWithTimeout(const char *ip, int port, const struct timeval tv)
{
	(void)ip;
	(void)port;
	(void)tv;
	return (stub_context());
}

/* redisConnectUnixWithTimeout - as redisConnectWithTimeout */
redisContext *
redisConnectUnixWithTimeout(const char *path, const struct timeval tv)
{
	(void)path;
	(void)tv;
	return (stub_context());
}

/* redisSetTimeout - nothing to set */
int
redisSetTimeout(redisContext *c, const struct timeval tv)
{
	(void)tv;
	return (c->err == 0 ? REDIS_OK : REDIS_ERR);
}

/* redisFree - free a stub context */
void
redisFree(redisContext *c)
{
	free(c);
}

/* freeReplyObject - free a reply and what it holds */
void
freeReplyObject(void *reply)
{
	redisReply *r = reply;
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->elements; i++)
		freeReplyObject(r->element[i]);
	free(r->element);
	free(r->str);
	free(r);
}

/* redisCommandArgv - the next reply */
void *
redisCommandArgv(redisContext *c, int argc, const char **argv,
    const size_t *argvlen)
{
	(void)argc;
	(void)argv;
	(void)argvlen;
	return (stub_next(c));
}

/* redisvCommand - the next reply */
void *
redisvCommand(redisContext *c, const char *format, va_list ap)
{
	(void)format;
	(void)ap;
	return (stub_next(c));
}

/* redisCommand - the next reply */
void *
redisCommand(redisContext *c, const char *format, ...)
{
	(void)format;
	return (stub_next(c));
}

/* redisAppendFormattedCommand - nothing is sent; redisGetReply answers */
int
redisAppendFormattedCommand(redisContext *c, const char *cmd, size_t len)
{
	(void)cmd;
	(void)len;
	return (c->err == 0 ? REDIS_OK : REDIS_ERR);
}

/* redisGetReply - the next reply of a pipeline */
int
redisGetReply(redisContext *c, void **reply)
{
	*reply = stub_next(c);
	return (*reply != NULL ? REDIS_OK : REDIS_ERR);
}

/* redisBufferRead - nothing arrives unasked (Sentinel's messages are not
 * fuzzed): the connection is closed */
int
redisBufferRead(redisContext *c)
{
	(void)c;
	return (REDIS_ERR);
}

/* redisReaderGetReply - no reply is buffered */
int
redisReaderGetReply(redisReader *r, void **reply)
{
	(void)r;
	*reply = NULL;
	return (REDIS_OK);
}
