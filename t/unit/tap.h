/* tap.h - a minimal TAP producer for the C unit tests run by prove. */
#ifndef MAILACD_TAP_H
#define MAILACD_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

/* ok - one assertion; DESC names what was checked */
#define ok(cond, ...) do {						\
	int ok_c_ = (cond) ? 1 : 0;					\
	printf("%sok %d - ", ok_c_ ? "" : "not ", ++tap_n);		\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	if (!ok_c_) {							\
		tap_failed++;						\
		printf("#   failed at %s line %d\n", __FILE__, __LINE__); \
	}								\
} while (0)

/* is_str - compare two strings, showing both on failure */
#define is_str(got, want, ...) do {					\
	const char *g_ = (got), *w_ = (want);				\
	int same_ = (g_ == NULL && w_ == NULL) ||			\
	    (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0);		\
	ok(same_, __VA_ARGS__);						\
	if (!same_)							\
		printf("#          got: '%s'\n#     expected: '%s'\n",	\
		    g_ ? g_ : "(null)", w_ ? w_ : "(null)");		\
} while (0)

/* is_int - compare two integers, showing both on failure */
#define is_int(got, want, ...) do {					\
	long long g_ = (got), w_ = (want);				\
	ok(g_ == w_, __VA_ARGS__);					\
	if (g_ != w_)							\
		printf("#          got: %lld\n#     expected: %lld\n", g_, w_); \
} while (0)

/* done_testing - print the plan; exit status counts failures */
#define done_testing() (printf("1..%d\n", tap_n), tap_failed ? 1 : 0)

#endif
