/* token.c - reply tokens signed with HMAC-SHA256 (OpenSSL). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "token.h"

/* token_mac - the 16 hex digits of HMAC(secret, org LF id LF day LF
 * address); only the address may hold a line feed, being last */
static int
token_mac(const char *secret, const char *org, const char *address,
    const char *id, const char *day, char out[17])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char	msg[1024];
	int	n, i;

	if (strchr(org, '\n') != NULL || *address == '\0')
		return (-1);
	n = snprintf(msg, sizeof(msg), "%s\n%.32s\n%.6s\n%s", org, id, day,
	    address);
	if (n < 0 || (size_t)n >= sizeof(msg) || HMAC(EVP_sha256(), secret,
	    (int)strlen(secret), (unsigned char *)msg, (size_t)n, md,
	    &mdlen) == NULL || mdlen < 8)
		return (-1);
	for (i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return (0);
}

/* token_make - id, expiry day, MAC */
int
token_make(const char *secret, const char *org, const char *address,
    const char *id, long days, char out[TOKEN_LEN + 1])
{
	char	day[16], mac[17];

	if (strlen(id) != 32)
		return (-1);
	snprintf(day, sizeof(day), "%06lx",
	    ((long)(time(NULL) / 86400) + days) & 0xffffff);
	if (token_mac(secret, org, address, id, day, mac) != 0)
		return (-1);
	memcpy(out, id, 32);
	memcpy(out + 32, day, 6);
	memcpy(out + 38, mac, 16);
	out[TOKEN_LEN] = '\0';
	return (0);
}

/* token_check - valid, forged (or another address's), or expired */
int
token_check(const char *secret, const char *org, const char *address,
    const char *tok, size_t len, char id[33])
{
	char	day[7], mac[17];
	long	exp;

	if (len != TOKEN_LEN || strspn(tok, "0123456789abcdef") < TOKEN_LEN)
		return (0);
	memcpy(day, tok + 32, 6);
	day[6] = '\0';
	if (token_mac(secret, org, address, tok, day, mac) != 0 ||
	    CRYPTO_memcmp(mac, tok + 38, 16) != 0)
		return (0);
	exp = strtol(day, NULL, 16);
	if (exp < (long)(time(NULL) / 86400))
		return (-1);
	memcpy(id, tok, 32);
	id[32] = '\0';
	return (1);
}
