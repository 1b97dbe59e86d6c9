/* rnd.h - random bytes for ids and tokens, from OpenSSL's RNG, cheaply. */
#ifndef MAILACD_RND_H
#define MAILACD_RND_H

#include <stddef.h>

/* rnd_bytes - fill BUF with N (<= 64) random bytes; 0, or -1 if OpenSSL's
 * generator failed */
int	rnd_bytes(unsigned char *buf, size_t n);

/* rnd_hex - 2*N lower-case hex digits of N (<= 32) random bytes into OUT
 * (2*N+1 bytes); 0 or -1 */
int	rnd_hex(char *out, size_t n);

#endif
