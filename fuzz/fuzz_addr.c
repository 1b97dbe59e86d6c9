/* fuzz_addr.c - libFuzzer target for the address parsers (common/addr.c):
 * every envelope path from the MTA goes through addr_canon, addr_parse and
 * addr_domain_of, and the registered-address lookup through addr_key.
 * The input is one path; its length also picks addr_key's options (case,
 * separators, tag removal). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_check - what every answer must hold, whatever the input */
static void
fuzz_check(const struct addr *a)
{
	if (memchr(a->local, '\0', sizeof(a->local)) == NULL ||
	    memchr(a->domain, '\0', sizeof(a->domain)) == NULL)
		abort();
}

/* fuzz_fixed_point - the canonical spelling canonicalises to itself */
static void
fuzz_fixed_point(const struct addr *a)
{
	struct addr b;
	char	path[sizeof(a->local) + sizeof(a->domain) + 3], err[256];

	memset(&b, 0, sizeof(b));
	snprintf(path, sizeof(path), "<%s@%s>", a->local, a->domain);
	if (addr_canon(path, &b, err, sizeof(err)) != 0 ||
	    strcmp(a->local, b.local) != 0 || strcmp(a->domain, b.domain) != 0)
		abort();
}

/* LLVMFuzzerTestOneInput - one path through every parser */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr a;
	char	*in, err[256], dom[ADDR_MAX + 1], key[2 * ADDR_MAX + 2];
	const char *seps;
	int	flags = (int)(size & 7);

	if ((in = malloc(size + 1)) == NULL)
		return (0);
	memcpy(in, data, size);
	in[size] = '\0';	/* an embedded NUL ends the path, as in C */

	memset(&a, 0, sizeof(a));
	if (addr_canon(in, &a, err, sizeof(err)) == 0) {
		fuzz_check(&a);
		fuzz_fixed_point(&a);
		/* addr.h: addr_domain_of writes the domain as addr_canon;
		 * not for an address literal, which may hold an '@'
		 * ("[tag:a@b]", RFC 5321 4.1.3) that addr_domain_of takes
		 * for the last one: never one of our domains either way */
		if (a.domain[0] != '[' &&
		    (addr_domain_of(in, dom, sizeof(dom)) != 0 ||
		    strcmp(dom, a.domain) != 0))
			abort();
		seps = (flags & 4) ? "+-" : "+";
		if (addr_key(a.local, a.domain, flags & 1, seps, flags & 2,
		    key, sizeof(key)) == 0 && strlen(key) >= sizeof(key))
			abort();
	}
	memset(&a, 0, sizeof(a));
	if (addr_parse(in, &a, err, sizeof(err)) == 0)
		fuzz_check(&a);
	if (addr_domain_of(in, dom, sizeof(dom)) == 0 &&
	    strlen(dom) >= sizeof(dom))
		abort();
	(void)addr_valid_domain(in);
	free(in);
	return (0);
}
