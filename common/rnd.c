/* rnd.c - random bytes for ids and tokens, from OpenSSL's RNG, cheaply.
 *
 * OpenSSL 3 keeps one generator per thread and instantiates it on a
 * thread's first RAND_bytes() call; libmilter starts a thread per SMTP
 * connection, so calling RAND_bytes() per message paid that set-up (about
 * 40,000 instructions) every time.  Here one process-wide buffer is refilled
 * from RAND_bytes() 4 KiB at a time and handed out under a mutex; bytes are
 * never handed out twice. */
#include <pthread.h>
#include <string.h>

#include <openssl/rand.h>

#include "rnd.h"

#define RND_POOL	4096

static pthread_mutex_t rnd_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char rnd_pool[RND_POOL];
static size_t rnd_left;

/* rnd_bytes - take N bytes from the pool, refilling it when it runs dry */
int
rnd_bytes(unsigned char *buf, size_t n)
{
	int	rc = 0;

	if (n > 64)
		return (-1);
	pthread_mutex_lock(&rnd_lock);
	if (rnd_left < n) {
		if (RAND_bytes(rnd_pool, RND_POOL) == 1)
			rnd_left = RND_POOL;
		else
			rc = -1;
	}
	if (rc == 0) {
		memcpy(buf, rnd_pool + RND_POOL - rnd_left, n);
		/* what was handed out does not stay in memory */
		memset(rnd_pool + RND_POOL - rnd_left, 0, n);
		rnd_left -= n;
	}
	pthread_mutex_unlock(&rnd_lock);
	return (rc);
}

/* rnd_hex - random bytes as lower-case hex */
int
rnd_hex(char *out, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char b[32];
	size_t	i;

	if (n > sizeof(b) || rnd_bytes(b, n) != 0)
		return (-1);
	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
	memset(b, 0, sizeof(b));
	return (0);
}
