/* fuzz_compose.c - libFuzzer target for the resent copy
 * (router/compose.c): the router builds an agent's copy from the message
 * the milter stored, which is the customer's bytes, and from strings it
 * read back from Redis.
 *
 * Input: one control octet, then the stored copy.  Control bit 0: the copy
 * is complete (else only its header section was stored and a notice is
 * built); bit 1: the copy is preceded by six NUL-terminated strings that
 * replace the interaction id, organisation, address, queue, agent and the
 * agent's address; bits 2-7: the copy's index. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compose.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_field - the next NUL-terminated string of [*P, END), or DEF when
 * there is no complete one left */
static const char *
fuzz_field(const char **p, const char *end, const char *def)
{
	const char *s = *p, *nul;

	if (s >= end || (nul = memchr(s, '\0', (size_t)(end - s))) == NULL)
		return (def);
	*p = nul + 1;
	return (s);
}

/* fuzz_lines_ok - every line of S (LEN) ends in CR LF and holds no NUL */
static void
fuzz_lines_ok(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (s[i] == '\0' || (s[i] == '\r' && (i + 1 == len ||
		    s[i + 1] != '\n')) || (s[i] == '\n' && (i == 0 ||
		    s[i - 1] != '\r')))
			abort();
	if (len < 2 || s[len - 2] != '\r' || s[len - 1] != '\n')
		abort();
}

/* LLVMFuzzerTestOneInput - one stored copy to one agent */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1, *end = (const char *)data + size;
	struct compose_in in;
	char	date[COMPOSE_DATE_MAX], *out, *copy;
	size_t	len, block;

	if (size < 1)
		return (0);
	memset(&in, 0, sizeof(in));
	in.date = compose_date(1751360707, date);
	in.id = "0123456789abcdef0123456789abcdef";
	in.org = "acme";
	in.address = "support@example.com";
	in.queue = "sales";
	in.agent = "alice";
	in.agent_address = "alice@agents.example.net";
	if (data[0] & 2) {
		in.id = fuzz_field(&p, end, in.id);
		in.org = fuzz_field(&p, end, in.org);
		in.address = fuzz_field(&p, end, in.address);
		in.queue = fuzz_field(&p, end, in.queue);
		in.agent = fuzz_field(&p, end, in.agent);
		in.agent_address = fuzz_field(&p, end, in.agent_address);
	}
	in.copy = data[0] >> 2;
	in.complete = data[0] & 1;
	in.max_size = 1048576;
	in.size = in.complete ? (long long)(end - p) : 3 * in.max_size + 17;
	/* a copy of its own, so that ASan sees reads past its end */
	len = (size_t)(end - p);
	if ((copy = malloc(len > 0 ? len : 1)) == NULL)
		return (0);
	memcpy(copy, p, len);
	in.data = copy;
	in.datalen = len;

	if ((out = compose_resent(&in, &len)) == NULL)
		abort();
	if (out[len] != '\0')
		abort();
	if (in.complete) {
		/* the block, then the copy byte for byte */
		if (len < in.datalen ||
		    memcmp(out + len - in.datalen, copy, in.datalen) != 0)
			abort();
		block = len - in.datalen;
		fuzz_lines_ok(out, block);
	} else
		fuzz_lines_ok(out, len);
	free(out);
	free(copy);
	return (0);
}
