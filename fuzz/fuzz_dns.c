/* fuzz_dns.c - libFuzzer target for the reading of DNS answers
 * (common/dns.c: dns_lookup sorting an answer into found / missing /
 * failed, following CNAMEs, turning TXT, MX, CNAME and A records into
 * strings).  The answers are the fuzz input: ldns_resolver_send_pkt is
 * replaced at the link step by the one below, which parses the next
 * answer with ldns_wire2pkt instead of asking a server, so the product
 * code runs unchanged.
 *
 * Input: one control octet, then answers, each a 2-octet big-endian
 * length and that many octets of DNS message (wire format).  Control bits
 * 0-1: the type asked for (A, CNAME, MX, TXT); bits 2-3: the name asked
 * for; bit 4: give each answer the query's id and question and set QR, so
 * that the fuzzer need not guess them (else the answer is used as it is,
 * which mostly tests the checks against forged answers).  When the
 * answers run out the "server" does not answer. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dns.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

static struct dns *fuzz_dns;
static const uint8_t *fuzz_p, *fuzz_end;	/* answers not used yet */
static int fuzz_fix;
static int fuzz_verbose;	/* FUZZ_VERBOSE set: print each result */

/* LLVMFuzzerInitialize - one resolver, as a daemon thread has */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	err[256];

	(void)argc;
	(void)argv;
	fuzz_verbose = getenv("FUZZ_VERBOSE") != NULL;
	if ((fuzz_dns = dns_new("192.0.2.53", 1000, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "fuzz_dns: dns_new: %s\n", err);
		exit(1);
	}
	return (0);
}

/* ldns_resolver_send_pkt - the next answer of the fuzz input, parsed from
 * wire format; a network error when there is none */
ldns_status
ldns_resolver_send_pkt(ldns_pkt **answer, ldns_resolver *r, ldns_pkt *q)
{
	ldns_status st;
	ldns_rr_list *qd;
	size_t	len;

	(void)r;
	*answer = NULL;
	if (fuzz_end - fuzz_p < 2)
		return (LDNS_STATUS_NETWORK_ERR);
	len = (size_t)fuzz_p[0] << 8 | fuzz_p[1];
	fuzz_p += 2;
	if (len > (size_t)(fuzz_end - fuzz_p))
		len = (size_t)(fuzz_end - fuzz_p);
	st = ldns_wire2pkt(answer, fuzz_p, len);
	fuzz_p += len;
	if (st != LDNS_STATUS_OK)
		return (st);
	if (fuzz_fix) {
		ldns_pkt_set_id(*answer, ldns_pkt_id(q));
		ldns_pkt_set_qr(*answer, true);
		if ((qd = ldns_rr_list_clone(ldns_pkt_question(q))) == NULL)
			abort();
		ldns_rr_list_deep_free(ldns_pkt_question(*answer));
		ldns_pkt_set_question(*answer, qd);
		ldns_pkt_set_qdcount(*answer, (uint16_t)ldns_rr_list_rr_count(qd));
	}
	return (LDNS_STATUS_OK);
}

/* fuzz_lower_ok - no upper-case ASCII letter in S */
static void
fuzz_lower_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			abort();
}

/* fuzz_result_ok - what dns.h promises about a result */
static void
fuzz_result_ok(const struct dns_result *r, int type)
{
	size_t	i;
	const char *s;

	if (r->status != DNS_FOUND && r->status != DNS_MISSING &&
	    r->status != DNS_FAILED)
		abort();
	if (memchr(r->reason, '\0', sizeof(r->reason)) == NULL ||
	    r->reason[0] == '\0' || strchr(r->reason, '\n') != NULL)
		abort();
	if (r->status != DNS_FOUND && r->count != 0)
		abort();
	if (r->status == DNS_FOUND && (r->count == 0 || r->answers == NULL))
		abort();
	for (i = 0; i < r->count; i++) {
		if ((s = r->answers[i]) == NULL)
			abort();
		if (type == DNS_TXT) {
			for (; *s != '\0'; s++)
				if (*s < 0x20 || *s > 0x7e)
					abort();
		} else if (type == DNS_MX || type == DNS_CNAME)
			fuzz_lower_ok(s);
	}
	if (r->canonical != NULL)
		fuzz_lower_ok(r->canonical);
}

/* LLVMFuzzerTestOneInput - one lookup answered by the input */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int types[4] = { DNS_A, DNS_CNAME, DNS_MX, DNS_TXT };
	static const char *const names[4] = { "example.com",
	    "_dmarc.example.com", "mailacd._domainkey.example.com.",
	    "xn--bcher-kva.example" };
	struct dns_result r;
	int	type;

	if (size < 1)
		return (0);
	type = types[data[0] & 3];
	fuzz_fix = (data[0] >> 4) & 1;
	fuzz_p = data + 1;
	fuzz_end = data + size;
	memset(&r, 0, sizeof(r));
	(void)dns_lookup(fuzz_dns, names[(data[0] >> 2) & 3], type, &r);
	fuzz_result_ok(&r, type);
	if (fuzz_verbose)
		fprintf(stderr, "fuzz_dns: %s %s: %s: %s%s%s\n",
		    dns_type_name(type), names[(data[0] >> 2) & 3],
		    dns_status_name(r.status), r.reason,
		    r.count > 0 ? " | " : "", r.count > 0 ? r.answers[0] : "");
	dns_result_clear(&r);
	return (0);
}
