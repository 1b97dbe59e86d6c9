/* expo.h - the router's metrics in the Prometheus text exposition format
 * (version 0.0.4): what the library function mailacd_metrics answered for
 * each organisation, and this process's own numbers, as text.  No Redis
 * and no network here (metrics.c serves it), so that it is testable. */
#ifndef MAILACD_EXPO_H
#define MAILACD_EXPO_H

#include <stddef.h>
#include <stdio.h>

/* The content type of what expo_write writes. */
#define EXPO_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/* One organisation: its id and, once expo_parse has read it, the answer
 * of mailacd_metrics (NULL: not read; the organisation is left out). */
struct expo_org {
	const char *id;
	void	*data;		/* the parsed answer (expo_org_clear frees) */
};

/* The numbers of this process (not shared through Redis). */
struct expo_proc {
	const char *version;	/* MAILACD_VERSION */
	long long start_ms;	/* when the process started, Unix ms */
	int	redis_up;	/* 1: every organisation was read */
	long long redis_errors;	/* Redis failures of this process */
	long long scrape_ms;	/* what the reads of this scrape took */
};

/* expo_parse - read TEXT (LEN octets), mailacd_metrics's answer for O, into
 * O; 0, or -1 with ERR when it is not such an answer */
int	expo_parse(struct expo_org *o, const char *text, size_t len,
		    char *err, size_t errlen);

/* expo_org_clear - free what expo_parse kept in O */
void	expo_org_clear(struct expo_org *o);

/* expo_write - every metric family with HELP and TYPE, the samples of each
 * organisation read (N of ORGS) and of P, to FP */
void	expo_write(FILE *fp, const struct expo_org *orgs, size_t n,
		    const struct expo_proc *p);

#endif
