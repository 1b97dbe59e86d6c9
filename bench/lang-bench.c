/* lang-bench.c - the language benchmark's driver: CLD2 (libcld2, the one
 * common/lang.c uses) against libexttextcat on the labelled samples of
 * t/data/lang, for accuracy and for time.
 *
 *   lang-bench [-r ROUNDS] [-l LIMIT] DIR
 *
 * Every DIR/LANG-*.txt is one sample whose expected language is LANG (the
 * name up to the first '-').  Both libraries get the same text: the
 * sample through lang_unquote() with LIMIT octets of room (4096), which is
 * what lang_detect() gives CLD2.  A library is right when its first answer
 * is LANG, and unsure when it does not stand by it: CLD2's is_reliable is
 * false, or textcat ties several languages within its 3 % (or answers
 * UNKNOWN or SHORT).  textcat reads Debian's 160 fingerprints
 * (/usr/share/libexttextcat, special_textcat_Init), as LibreOffice does.
 *
 * Time: each detector runs ROUNDS (200) times over every sample, timed
 * with the monotonic clock: microseconds per message, for the samples as
 * they are and for the samples repeated up to LIMIT octets (the most
 * lang_detect examines).  unquote and lang_detect (unquote, clean, CLD2)
 * are timed the same way, then lang_detect once on 30 MB inputs.
 * Results go to stdout as a table. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <textcat.h>

#include "lang.h"
#include "lang_cld2.h"

#define BENCH_TEXTCAT_CONF	"/usr/share/libexttextcat/fpdb.conf"
#define BENCH_TEXTCAT_DIR	"/usr/share/libexttextcat/"
#define BENCH_MAX		512
#define BENCH_LANGS		32

struct sample {
	char	name[64];
	char	want[4];
	char	*text;		/* unquoted, at most LIMIT octets */
	size_t	len;
	char	*raw;		/* as in the file */
	size_t	rawlen;
	char	*big;		/* text repeated up to LIMIT octets */
	size_t	biglen;
};

struct verdict {
	char	code[4];	/* first answer, two letters, "" for none */
	int	sure;
};

static struct sample samples[BENCH_MAX];
static int nsamples;
static void *tc;
static candidate_t *tc_cand;

/* now_us - the monotonic clock in microseconds */
static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3);
}

/* two_letters - the language part of CODE ("es--utf8", "zh-Hant") if it
 * has two letters, into OUT; CLD2's withdrawn "iw" is "he" */
static void
two_letters(const char *code, char out[4])
{
	size_t	n = strcspn(code, "-");

	out[0] = '\0';
	if (n != 2 || strncmp(code, "un", 2) == 0)
		return;
	out[0] = code[0];
	out[1] = code[1];
	out[2] = '\0';
	if (strcmp(out, "iw") == 0)
		strcpy(out, "he");
}

/* run_cld2 - CLD2's verdict on TEXT */
static void
run_cld2(const char *text, size_t len, struct verdict *v)
{
	struct lang_cld2 c;

	memset(v, 0, sizeof(*v));
	if (lang_cld2_detect(text, (int)len, &c) != 0)
		return;
	two_letters(c.code, v->code);
	v->sure = c.reliable && v->code[0] != '\0';
}

/* run_textcat - textcat's verdict on TEXT: sure when one language alone
 * is within its threshold */
static void
run_textcat(const char *text, size_t len, struct verdict *v)
{
	int	n;

	memset(v, 0, sizeof(*v));
	n = textcat_ClassifyFull(tc, text, len, tc_cand);
	if (n <= 0)
		return;
	two_letters(tc_cand[0].name, v->code);
	v->sure = n == 1 && v->code[0] != '\0';
}

/* run_detect - lang_detect's verdict on the raw sample */
static void
run_detect(const char *text, size_t len, size_t limit, struct verdict *v)
{
	struct lang_result r;
	int	rc;

	rc = lang_detect(text, len, limit, &r);
	memcpy(v->code, r.code, sizeof(v->code));
	v->sure = rc == LANG_OK;
}

/* slurp - the whole file PATH, NUL-terminated; its length in *LEN */
static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf;
	long	n;

	if ((f = fopen(path, "rb")) == NULL)
		return (NULL);
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return (NULL);
	}
	*len = fread(buf, 1, (size_t)n, f);
	buf[*len] = '\0';
	fclose(f);
	return (buf);
}

/* by_name - qsort order of the samples */
static int
by_name(const void *a, const void *b)
{
	return (strcmp(((const struct sample *)a)->name,
	    ((const struct sample *)b)->name));
}

/* load - every LANG-*.txt of DIR into samples[] */
static int
load(const char *dir, size_t limit)
{
	DIR	*d;
	struct dirent *de;
	struct sample *s;
	char	path[1024];
	size_t	n, k;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "lang-bench: cannot open %s\n", dir);
		return (-1);
	}
	while ((de = readdir(d)) != NULL && nsamples < BENCH_MAX) {
		n = strlen(de->d_name);
		if (n < 8 || n >= sizeof(s->name) ||
		    strcmp(de->d_name + n - 4, ".txt") != 0 ||
		    strcspn(de->d_name, "-") != 2)
			continue;
		s = &samples[nsamples];
		memcpy(s->name, de->d_name, n + 1);
		memcpy(s->want, de->d_name, 2);
		s->want[2] = '\0';
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((s->raw = slurp(path, &s->rawlen)) == NULL ||
		    (s->text = malloc(limit + 1)) == NULL ||
		    (s->big = malloc(limit + 1)) == NULL) {
			fprintf(stderr, "lang-bench: cannot read %s\n", path);
			closedir(d);
			return (-1);
		}
		s->len = lang_unquote(s->raw, s->rawlen, s->text, limit + 1);
		/* whole copies of the text only, so that no character is
		 * cut at the end */
		for (s->biglen = 0; s->len > 0 &&
		    s->biglen + s->len <= limit; s->biglen += s->len)
			memcpy(s->big + s->biglen, s->text, s->len);
		if (s->biglen == 0) {
			k = s->len < limit ? s->len : limit;
			memcpy(s->big, s->text, k);
			s->biglen = k;
		}
		nsamples++;
	}
	closedir(d);
	qsort(samples, (size_t)nsamples, sizeof(samples[0]), by_name);
	return (nsamples > 0 ? 0 : -1);
}

/* time_one - microseconds per message of DETECTOR (0 cld2, 1 textcat, 2
 * unquote, 3 lang_detect) over ROUNDS rounds of every sample; BIG: the
 * samples repeated up to the limit */
static double
time_one(int detector, int big, int rounds, size_t limit, char *scratch)
{
	struct verdict v;
	const char *t;
	size_t	len;
	double	t0;
	int	r, i;

	t0 = now_us();
	for (r = 0; r < rounds; r++)
		for (i = 0; i < nsamples; i++) {
			t = big ? samples[i].big : samples[i].text;
			len = big ? samples[i].biglen : samples[i].len;
			switch (detector) {
			case 0:
				run_cld2(t, len, &v);
				break;
			case 1:
				run_textcat(t, len, &v);
				break;
			case 2:
				t = big ? samples[i].big : samples[i].raw;
				len = big ? samples[i].biglen :
				    samples[i].rawlen;
				(void)lang_unquote(t, len, scratch, limit + 1);
				break;
			default:
				t = big ? samples[i].big : samples[i].raw;
				len = big ? samples[i].biglen :
				    samples[i].rawlen;
				run_detect(t, len, limit, &v);
				break;
			}
		}
	return ((now_us() - t0) / ((double)rounds * nsamples));
}

/* time_huge - milliseconds lang_detect takes on 30 MB of KIND: 0 quoted
 * lines only, 1 random octets, 2 one Spanish line repeated */
static double
time_huge(int kind, size_t limit, int *rc, char *code)
{
	static const char q[] = "> quoted text from an earlier message\n";
	static const char es[] = "No he recibido el paquete todavía. ";
	size_t	n = 30u * 1024 * 1024, i;
	struct lang_result r;
	unsigned int seed = 1;
	char	*buf;
	double	t0, t;

	*rc = -1;
	strcpy(code, "-");
	if ((buf = malloc(n)) == NULL)
		return (-1);
	for (i = 0; i < n; i++) {
		if (kind == 0)
			buf[i] = q[i % (sizeof(q) - 1)];
		else if (kind == 1) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (char)(seed >> 16);
		} else
			buf[i] = es[i % (sizeof(es) - 1)];
	}
	t0 = now_us();
	*rc = lang_detect(buf, n, limit, &r);
	t = (now_us() - t0) / 1000;
	strcpy(code, r.code[0] != '\0' ? r.code : "-");
	free(buf);
	return (t);
}

int
main(int argc, char **argv)
{
	static const char *const names[] = { "cld2", "textcat" };
	char	langs[BENCH_LANGS][4], *scratch, code[4];
	int	nlang = 0, right[2][BENCH_LANGS], unsure[2][BENCH_LANGS];
	int	wrongsure[2] = { 0, 0 }, tot[BENCH_LANGS], all_right[2] = { 0, 0 };
	int	all_unsure[2] = { 0, 0 }, detect_right = 0, detect_unsure = 0;
	int	rounds = 200, c, i, j, k, rc;
	size_t	limit = LANG_LIMIT_DEFAULT, avg = 0, bigavg = 0;
	struct verdict v[2], dv;
	double	us[4], usbig[4];

	while ((c = getopt(argc, argv, "r:l:")) != -1) {
		switch (c) {
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'l':
			limit = (size_t)strtoul(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1 || rounds < 1 || limit < 64 ||
	    limit > LANG_LIMIT_MAX) {
 usage:
		fprintf(stderr, "usage: lang-bench [-r ROUNDS] [-l LIMIT] DIR\n");
		return (2);
	}
	if ((tc = special_textcat_Init(BENCH_TEXTCAT_CONF,
	    BENCH_TEXTCAT_DIR)) == NULL) {
		fprintf(stderr, "lang-bench: cannot load %s\n",
		    BENCH_TEXTCAT_CONF);
		return (1);
	}
	if ((tc_cand = textcat_GetClassifyFullOutput(tc)) == NULL ||
	    (scratch = malloc(limit + 1)) == NULL ||
	    load(argv[optind], limit) != 0)
		return (1);

	memset(right, 0, sizeof(right));
	memset(unsure, 0, sizeof(unsure));
	memset(tot, 0, sizeof(tot));
	printf("misses (sample: detector answer, sure or unsure):\n");
	for (i = 0; i < nsamples; i++) {
		for (k = 0; k < nlang; k++)
			if (strcmp(langs[k], samples[i].want) == 0)
				break;
		if (k == nlang) {
			if (nlang == BENCH_LANGS)
				continue;
			memcpy(langs[nlang++], samples[i].want, 4);
		}
		tot[k]++;
		avg += samples[i].len;
		bigavg += samples[i].biglen;
		run_cld2(samples[i].text, samples[i].len, &v[0]);
		run_textcat(samples[i].text, samples[i].len, &v[1]);
		for (j = 0; j < 2; j++) {
			int ok = strcmp(v[j].code, samples[i].want) == 0;

			right[j][k] += ok;
			all_right[j] += ok;
			unsure[j][k] += !v[j].sure;
			all_unsure[j] += !v[j].sure;
			if (v[j].sure && !ok)
				wrongsure[j]++;
			if (!ok || !v[j].sure)
				printf("  %-22s %-7s %s %s\n", samples[i].name,
				    names[j], v[j].code[0] ? v[j].code : "-",
				    v[j].sure ? "sure" : "unsure");
		}
		run_detect(samples[i].raw, samples[i].rawlen, limit, &dv);
		detect_right += strcmp(dv.code, samples[i].want) == 0;
		detect_unsure += !dv.sure;
	}

	printf("\n%-6s %4s   %-16s %-16s\n", "lang", "n", "cld2", "textcat");
	printf("%-6s %4s   %6s %8s  %6s %8s\n", "", "", "right", "unsure",
	    "right", "unsure");
	for (k = 0; k < nlang; k++)
		printf("%-6s %4d   %6d %8d  %6d %8d\n", langs[k], tot[k],
		    right[0][k], unsure[0][k], right[1][k], unsure[1][k]);
	printf("%-6s %4d   %6d %8d  %6d %8d\n", "all", nsamples, all_right[0],
	    all_unsure[0], all_right[1], all_unsure[1]);
	printf("%-6s %4s   %5.1f%% %7.1f%%  %5.1f%% %7.1f%%\n", "", "",
	    100.0 * all_right[0] / nsamples, 100.0 * all_unsure[0] / nsamples,
	    100.0 * all_right[1] / nsamples, 100.0 * all_unsure[1] / nsamples);
	printf("wrong but sure: cld2 %d, textcat %d\n", wrongsure[0],
	    wrongsure[1]);
	printf("lang_detect (unquote + clean + cld2) on the raw samples: "
	    "%d/%d right, %d unsure\n", detect_right, nsamples, detect_unsure);

	for (j = 0; j < 4; j++) {
		us[j] = time_one(j, 0, rounds, limit, scratch);
		usbig[j] = time_one(j, 1, rounds, limit, scratch);
	}
	printf("\nmicroseconds per message, %d rounds of %d samples:\n",
	    rounds, nsamples);
	printf("%-34s %10s %10s\n", "", "as is", "to limit");
	printf("%-34s %10zu %10zu\n", "average octets examined",
	    avg / (size_t)nsamples, bigavg / (size_t)nsamples);
	printf("%-34s %10.1f %10.1f\n", "cld2", us[0], usbig[0]);
	printf("%-34s %10.1f %10.1f\n", "textcat", us[1], usbig[1]);
	printf("%-34s %10.1f %10.1f\n", "lang_unquote", us[2], usbig[2]);
	printf("%-34s %10.1f %10.1f\n", "lang_detect (unquote+clean+cld2)",
	    us[3], usbig[3]);

	printf("\nlang_detect on 30 MB, limit %zu:\n", limit);
	for (k = 0; k < 3; k++) {
		static const char *const what[] = { "only quoted lines",
		    "random octets", "one Spanish line repeated" };
		double ms = time_huge(k, limit, &rc, code);

		printf("  %-28s %8.1f ms  -> %d %s\n", what[k], ms, rc, code);
	}

	textcat_ReleaseClassifyFullOutput(tc, tc_cand);
	textcat_Done(tc);
	return (0);
}
