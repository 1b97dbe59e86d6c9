/* dns.h - ask a recursive DNS server for the TXT, MX, CNAME and A records
 * an administrator must publish (ldns), answering found / missing /
 * failed: a timeout or a SERVFAIL is "could not check", never "missing".
 * Synchronous; one struct dns per thread.  Library code: no logging. */
#ifndef MAILACD_DNS_H
#define MAILACD_DNS_H

#include <stddef.h>

/* the record types dns_lookup asks for (their RR type numbers) */
#define DNS_A		1
#define DNS_CNAME	5
#define DNS_MX		15
#define DNS_TXT		16

/* what dns_lookup found out */
#define DNS_FOUND	0	/* answers in the result */
#define DNS_MISSING	1	/* NXDOMAIN, or the name has no such record */
#define DNS_FAILED	2	/* timeout, SERVFAIL, REFUSED, garbage: the
				 * answer is not known ("could not check") */

#define DNS_REASON_MAX	256
#define DNS_CNAME_MAX	8	/* CNAME links followed before giving up */

/* The answer to one lookup, filled by dns_lookup, emptied (not freed) by
 * dns_result_clear.  Every string is the result's own. */
struct dns_result {
	int	status;		/* DNS_FOUND, DNS_MISSING or DNS_FAILED */
	size_t	count;		/* answers, 0 unless DNS_FOUND */
	char  **answers;	/* in the order the server gave them:
				 * TXT: the character-strings of one record
				 *   joined (a record split in 255-octet
				 *   pieces comes back whole); octets outside
				 *   printable ASCII, and "\", as \DDD
				 * MX: "PREF HOST", HOST in lower case without
				 *   the trailing dot ("0 ." for a null MX)
				 * CNAME: the target, as an MX host
				 * A: dotted quad */
	char   *canonical;	/* the name the answers belong to when CNAMEs
				 * were followed (lower case, no trailing
				 * dot), else NULL */
	char	reason[DNS_REASON_MAX];	/* for a human, one line:
				 * "NXDOMAIN: x.example.com does not exist",
				 * "no TXT record (x.example.com exists)",
				 * "SERVFAIL from 192.0.2.53", "no answer
				 * from 192.0.2.53 (2 tries of 1000 ms): ...",
				 * "malformed TXT record from 192.0.2.53:
				 * empty RDATA" */
};

struct dns;

/* dns_new - a resolver asking SERVER, or the servers of /etc/resolv.conf
 * when SERVER is NULL or "".  SERVER is an address with an optional port
 * after "@", as unbound and dig write it: "192.0.2.53", "127.0.0.1@5353",
 * "::1", "2001:db8::53@5353" (no brackets).  Each server is tried at most
 * twice, each try waiting TIMEOUT_MS (resolv.conf's servers share it), so
 * that a dead server costs about 2 x TIMEOUT_MS.  Recursion desired; EDNS0
 * with a 4096-octet buffer, TCP when an answer comes back truncated.
 * Returns NULL with a reason in ERR on a bad SERVER or resolv.conf. */
struct dns *dns_new(const char *server, int timeout_ms, char *err,
		    size_t errlen);

/* dns_lookup - ask for the TYPE (DNS_TXT, DNS_MX, DNS_CNAME, DNS_A)
 * records of NAME (a trailing dot optional), following CNAMEs for every
 * type but DNS_CNAME as a resolver would; fills R (which must be empty or
 * cleared) and returns R->status */
int	dns_lookup(struct dns *dns, const char *name, int type,
		    struct dns_result *r);

/* dns_result_clear - free what R holds and make it empty for reuse */
void	dns_result_clear(struct dns_result *r);

/* dns_free - close and free DNS; NULL is fine */
void	dns_free(struct dns *dns);

/* dns_name_eq - 1 when domain names A and B are the same: ASCII case and
 * one trailing dot do not matter */
int	dns_name_eq(const char *a, const char *b);

/* dns_type_name - "TXT", "MX", "CNAME", "A", or "?" */
const char *dns_type_name(int type);

/* dns_status_name - "found", "missing", "failed" */
const char *dns_status_name(int status);

#endif
