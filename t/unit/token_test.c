/* token_test - reply tokens: made and checked, forged, another
 * organisation's, another address's, expired, malformed. */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "tap.h"
#include "token.h"

#define SUP	"support@example.com"

int
main(void)
{
	const char *id = "0123456789abcdef0123456789abcdef";
	const char *secret = "a secret of sixteen+";
	char	tok[TOKEN_LEN + 1], bad[TOKEN_LEN + 1], got[33];

	ok(token_make(secret, "acme", SUP, id, 90, tok) == 0, "a token is made");
	is_int((long)strlen(tok), TOKEN_LEN, "of TOKEN_LEN hex digits");
	ok(strncmp(tok, id, 32) == 0, "starting with the interaction id");
	is_int(token_check(secret, "acme", SUP, tok, strlen(tok), got), 1,
	    "it checks");
	is_str(got, id, "and names the interaction");
	memcpy(bad, tok, sizeof(bad));
	bad[TOKEN_LEN - 1] = bad[TOKEN_LEN - 1] == '0' ? '1' : '0';
	is_int(token_check(secret, "acme", SUP, bad, strlen(bad), got), 0,
	    "one digit of the MAC changed: forged");
	memcpy(bad, tok, sizeof(bad));
	bad[0] = bad[0] == 'f' ? 'e' : 'f';
	is_int(token_check(secret, "acme", SUP, bad, strlen(bad), got), 0,
	    "another interaction id under the same MAC: forged");
	memcpy(bad, tok, sizeof(bad));
	bad[35] = bad[35] == 'f' ? 'e' : 'f';
	is_int(token_check(secret, "acme", SUP, bad, strlen(bad), got), 0,
	    "a later expiry under the same MAC: forged");
	is_int(token_check(secret, "beta", SUP, tok, strlen(tok), got), 0,
	    "another organisation's token: not valid here");
	/* bound to the address: one seen at support@ steers nothing at
	 * billing@ (nor at support@ of another domain) */
	is_int(token_check(secret, "acme", "billing@example.com", tok,
	    strlen(tok), got), 0, "support@'s token at billing@: not valid");
	is_int(token_check(secret, "acme", "support@example.org", tok,
	    strlen(tok), got), 0, "nor at support@ of another domain");
	is_int(token_check(secret, "acme", "", tok, strlen(tok), got), 0,
	    "nor without an address");
	ok(token_make(secret, "acme", "", id, 90, bad) == -1,
	    "no token for no address");
	/* other spellings of support@ that matching takes for it have its key */
	{
		static const char *const spell[][2] = {
			{ "Support", "Example.COM" },
			{ "SUPPORT", "example.com" },
			{ "support+order42", "EXAMPLE.com" },
		};
		char	key[ADDR_MAX + 2];
		size_t	i;

		for (i = 0; i < sizeof(spell) / sizeof(spell[0]); i++) {
			got[0] = '\0';
			ok(addr_key(spell[i][0], spell[i][1], 0, "+", 1, key,
			    sizeof(key)) == 0 && token_check(secret, "acme",
			    key, tok, strlen(tok), got) == 1 &&
			    strcmp(got, id) == 0,
			    "valid at %s@%s (its lookup key %s)", spell[i][0],
			    spell[i][1], key);
		}
		/* with case-sensitive local parts Support@ is another address */
		ok(addr_key("Support", "example.com", 1, "+", 1, key,
		    sizeof(key)) == 0, "a case-sensitive key for Support@");
		is_int(token_check(secret, "acme", key, tok, strlen(tok), got),
		    0, "where local parts are case-sensitive, Support@ is "
		    "not support@: not valid");
	}
	is_int(token_check("another secret!!", "acme", SUP, tok, strlen(tok),
	    got), 0, "after a secret change: not valid");
	ok(token_make(secret, "acme", SUP, id, -1, tok) == 0, "an expired token");
	is_int(token_check(secret, "acme", SUP, tok, strlen(tok), got), -1,
	    "is told apart as expired");
	is_int(token_check(secret, "acme", SUP, "order42", 7, got), 0,
	    "an ordinary sub-address tag is not a token");
	is_int(token_check(secret, "acme", SUP, id, 32, got), 0, "nor a bare id");
	strcpy(bad, tok);
	bad[3] = 'G';
	is_int(token_check(secret, "acme", SUP, bad, strlen(bad), got), 0,
	    "nor a token with a non-hex digit");
	ok(token_make(secret, "acme", SUP, "short", 1, tok) == -1,
	    "no token for a malformed id");
	return (done_testing());
}
