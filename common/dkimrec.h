/* dkimrec.h - the DKIM DNS record (TXT text) of a key, as published at
 * SELECTOR._domainkey.DOMAIN: "mailacdctl dkim genkey" prints it and
 * "mailacdctl domain records|check" expects it. */
#ifndef MAILACD_DKIMREC_H
#define MAILACD_DKIMREC_H

#include <openssl/evp.h>

#define DKIMREC_NOKEY	(-1)	/* OpenSSL could not give the public key */
#define DKIMREC_NOMEM	(-2)

/* dkimrec_make - "v=DKIM1; k=rsa; p=" and the base64 of the DER
 * SubjectPublicKeyInfo (RFC 6376 3.6.1), or for Ed25519 "k=ed25519" and
 * the raw 32 octets (RFC 8463 4.2), malloc'd into *OUT; 0 or DKIMREC_* */
int	dkimrec_make(EVP_PKEY *pk, char **out);

#endif
