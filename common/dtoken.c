/* dtoken.c - domain ownership tokens, HMAC-SHA256 (OpenSSL). No I/O. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "dtoken.h"

#define DTOKEN_MSG_MAX	512

/* dtoken_make - prefix and 128 bits of HMAC(secret, org "\n" domain) */
int
dtoken_make(const char *secret, const char *org, const char *domain,
    char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char	msg[DTOKEN_MSG_MAX], *p;
	size_t	ol, dl, i;

	ol = strlen(org);
	dl = strlen(domain);
	if (dl > 0 && domain[dl - 1] == '.')
		dl--;
	if (*secret == '\0' || strchr(org, '\n') != NULL || dl == 0 ||
	    dl > 253 || ol + 1 + dl > sizeof(msg) || outlen < DTOKEN_LEN + 1)
		return (-1);
	memcpy(msg, org, ol);
	msg[ol] = '\n';
	p = msg + ol + 1;
	for (i = 0; i < dl; i++)
		p[i] = (char)tolower((unsigned char)domain[i]);
	if (HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (const unsigned char *)msg, ol + 1 + dl, md, &mdlen) == NULL ||
	    mdlen < DTOKEN_HEX / 2)
		return (-1);
	memcpy(out, DTOKEN_PREFIX, sizeof(DTOKEN_PREFIX) - 1);
	p = out + sizeof(DTOKEN_PREFIX) - 1;
	for (i = 0; i < DTOKEN_HEX / 2; i++)
		snprintf(p + 2 * i, 3, "%02x", md[i]);
	return (0);
}
