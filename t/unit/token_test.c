/* token_test - reply tokens: made and checked, forged, another
 * organisation's, expired, malformed. */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "token.h"

int
main(void)
{
	const char *id = "0123456789abcdef0123456789abcdef";
	const char *secret = "a secret of sixteen+";
	char	tok[TOKEN_LEN + 1], bad[TOKEN_LEN + 1], got[33];

	ok(token_make(secret, "acme", id, 90, tok) == 0, "a token is made");
	is_int((long)strlen(tok), TOKEN_LEN, "of TOKEN_LEN hex digits");
	ok(strncmp(tok, id, 32) == 0, "starting with the interaction id");
	is_int(token_check(secret, "acme", tok, strlen(tok), got), 1,
	    "it checks");
	is_str(got, id, "and names the interaction");
	memcpy(bad, tok, sizeof(bad));
	bad[TOKEN_LEN - 1] = bad[TOKEN_LEN - 1] == '0' ? '1' : '0';
	is_int(token_check(secret, "acme", bad, strlen(bad), got), 0,
	    "one digit of the MAC changed: forged");
	memcpy(bad, tok, sizeof(bad));
	bad[0] = bad[0] == 'f' ? 'e' : 'f';
	is_int(token_check(secret, "acme", bad, strlen(bad), got), 0,
	    "another interaction id under the same MAC: forged");
	memcpy(bad, tok, sizeof(bad));
	bad[35] = bad[35] == 'f' ? 'e' : 'f';
	is_int(token_check(secret, "acme", bad, strlen(bad), got), 0,
	    "a later expiry under the same MAC: forged");
	is_int(token_check(secret, "beta", tok, strlen(tok), got), 0,
	    "another organisation's token: not valid here");
	is_int(token_check("another secret!!", "acme", tok, strlen(tok), got), 0,
	    "after a secret change: not valid");
	ok(token_make(secret, "acme", id, -1, tok) == 0, "an expired token");
	is_int(token_check(secret, "acme", tok, strlen(tok), got), -1,
	    "is told apart as expired");
	is_int(token_check(secret, "acme", "order42", 7, got), 0,
	    "an ordinary sub-address tag is not a token");
	is_int(token_check(secret, "acme", id, 32, got), 0, "nor a bare id");
	strcpy(bad, tok);
	bad[3] = 'G';
	is_int(token_check(secret, "acme", bad, strlen(bad), got), 0,
	    "nor a token with a non-hex digit");
	ok(token_make(secret, "acme", "short", 1, tok) == -1,
	    "no token for a malformed id");
	return (done_testing());
}
