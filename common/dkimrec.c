/* dkimrec.c - the DKIM DNS record of a key (see dkimrec.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "dkimrec.h"

int
dkimrec_make(EVP_PKEY *pk, char **out)
{
	unsigned char raw[32], *der = NULL;
	const unsigned char *pub;
	const char *tags;
	size_t	n, t;
	int	len;

	*out = NULL;
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519) {
		tags = "v=DKIM1; k=ed25519; p=";
		n = sizeof(raw);
		if (EVP_PKEY_get_raw_public_key(pk, raw, &n) != 1 ||
		    n != sizeof(raw))
			return (DKIMREC_NOKEY);
		pub = raw;
	} else {
		tags = "v=DKIM1; k=rsa; p=";
		if ((len = i2d_PUBKEY(pk, &der)) <= 0)
			return (DKIMREC_NOKEY);
		pub = der;
		n = (size_t)len;
	}
	t = strlen(tags);
	/* the tags, the base64 and its NUL */
	if ((*out = malloc(t + 4 * ((n + 2) / 3) + 1)) == NULL) {
		OPENSSL_free(der);
		return (DKIMREC_NOMEM);
	}
	memcpy(*out, tags, t);
	EVP_EncodeBlock((unsigned char *)*out + t, pub, (int)n);
	OPENSSL_free(der);
	return (0);
}
