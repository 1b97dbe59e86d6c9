/* token.h - reply tokens: an interaction id, an expiry day and an HMAC,
 * carried in a Reply-To sub-address (support+TOKEN@example.com) so that a
 * customer's answer finds its interaction even when a provider rewrote
 * the Message-IDs.  Signed with outbound.token_secret (OpenSSL HMAC) over
 * the organisation, the id, the day and the registered address the token
 * was issued for, so it names its interaction at that address only. */
#ifndef MAILACD_TOKEN_H
#define MAILACD_TOKEN_H

#include <stddef.h>

/* 32 hex id + 6 hex expiry day + 16 hex HMAC-SHA256 prefix */
#define TOKEN_LEN	54

/* token_make - the token for interaction ID of organisation ORG, to be
 * presented at ADDRESS (the lookup key inbound matching yields for it, as
 * addr_key writes it: "support@example.com"; compared octet for octet),
 * valid DAYS days from now (tests give a negative number for an expired
 * one), into OUT; 0 or -1 */
int	token_make(const char *secret, const char *org, const char *address,
		    const char *id, long days, char out[TOKEN_LEN + 1]);

/* token_check - TOK (LEN octets) presented at ADDRESS (lookup key, as for
 * token_make): 1 valid (the id into ID), 0 not a token, forged or issued
 * for another organisation or address, -1 a genuine token that expired */
int	token_check(const char *secret, const char *org, const char *address,
		    const char *tok, size_t len, char id[33]);

#endif
