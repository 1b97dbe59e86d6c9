/* dpsl.h - campaign domains against the Public Suffix List (libpsl):
 * a campaign domain must be a proper subdomain of a registrable domain
 * (news.example.com, sales.example.co.uk, x.user.github.io), never the
 * registrable domain itself nor a public suffix, so that mailacd's
 * records never touch the organisation's apex.  The list is the newest
 * of libpsl's built-in copy and the distribution's file (Debian's
 * publicsuffix package), loaded once, thread-safe.  No logging. */
#ifndef MAILACD_DPSL_H
#define MAILACD_DPSL_H

#include <stddef.h>

/* dpsl_check_subdomain - 0 when DOMAIN (any case, one trailing dot
 * allowed) is a proper subdomain of a registrable domain; else -1 with
 * one line in WHY saying what DOMAIN is instead: a registrable domain
 * (naming its public suffix and an example subdomain), a public suffix,
 * an IP address, a single label, not a valid domain name; or that no
 * Public Suffix List could be loaded */
int	dpsl_check_subdomain(const char *domain, char *why, size_t len);

/* dpsl_registrable - where in DOMAIN its registrable domain begins
 * ("Sales.Example.CO.UK." -> "Example.CO.UK."), a pointer into DOMAIN;
 * NULL when DOMAIN is not a valid name, is a public suffix or an IP
 * address, or the list could not be loaded */
const char *dpsl_registrable(const char *domain);

#endif
