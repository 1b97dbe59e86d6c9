/* nodelay.c - set TCP_NODELAY on every connection libmilter accepts.
 *
 * libmilter writes an added header and the final reply as two small
 * segments; with Nagle's algorithm on, the second waits for the MTA's
 * delayed ACK and every message stalls about 40 ms over TCP.  libmilter
 * offers no hook on its accepted sockets, so we interpose accept(): the
 * dynamic linker binds libmilter's call to this definition. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

/* accept - accept4() without flags, then no Nagle on TCP sockets */
int
accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int	s, one = 1;

	s = accept4(fd, addr, len, 0);
	if (s >= 0 && getsockname(s, (struct sockaddr *)&ss, &sl) == 0 &&
	    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6))
		(void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return (s);
}
