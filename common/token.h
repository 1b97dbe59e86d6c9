/* token.h - reply tokens: an interaction id, an expiry day and an HMAC,
 * carried in a Reply-To sub-address (support+TOKEN@example.com) so that a
 * customer's answer finds its interaction even when a provider rewrote
 * the Message-IDs.  Signed with outbound.token_secret (OpenSSL HMAC). */
#ifndef MAILACD_TOKEN_H
#define MAILACD_TOKEN_H

#include <stddef.h>

/* 32 hex id + 6 hex expiry day + 16 hex HMAC-SHA256 prefix */
#define TOKEN_LEN	54

/* token_make - the token for interaction ID of organisation ORG, valid
 * DAYS days from now (tests give a negative number for an expired one),
 * into OUT; 0 or -1 */
int	token_make(const char *secret, const char *org, const char *id,
		    long days, char out[TOKEN_LEN + 1]);

/* token_check - TOK (LEN octets): 1 valid (the id into ID), 0 not a token
 * or forged, -1 a genuine token that expired */
int	token_check(const char *secret, const char *org, const char *tok,
		    size_t len, char id[33]);

#endif
