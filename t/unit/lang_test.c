/* lang_test.c - unit tests for language detection (common/lang.c): every
 * labelled sample of t/data/lang (the directory is the argument) named
 * right and reliably, a Spanish reply to an English thread, each form of
 * quoted mail lang_unquote takes out (and look-alikes it keeps), the
 * limit, hostile bytes up to 30 MB, and threads calling it at once. */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang.h"
#include "lang_cld2.h"
#include "tap.h"

#define MAX_SAMPLES	256
#define THREADS		4

struct sample {
	char	name[64];
	char	want[4];
	char	*text;
	size_t	len;
	char	got[4];		/* the answer of the single-threaded run */
	int	rc;
};

static struct sample samples[MAX_SAMPLES];
static int nsamples;

/* slurp - the whole file PATH; its length in *LEN */
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

/* load - every LANG-*.txt of DIR */
static void
load(const char *dir)
{
	DIR	*d;
	struct dirent *de;
	struct sample *s;
	char	path[1024];
	size_t	n;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL && nsamples < MAX_SAMPLES) {
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
		if ((s->text = slurp(path, &s->len)) != NULL)
			nsamples++;
	}
	closedir(d);
}

/* test_samples - CLD2 names every sample's language, reliably; with
 * fewer than 95 % right the choice of library would be wrong */
static void
test_samples(const char *dir)
{
	struct lang_result r;
	char	langs[64] = "";
	int	i, right = 0, reliable = 0, nlang = 0;

	load(dir);
	for (i = 0; i < nsamples; i++)
		if (strstr(langs, samples[i].want) == NULL) {
			strcat(langs, samples[i].want);
			strcat(langs, " ");
			nlang++;
		}
	ok(nsamples >= 100 && nlang >= 8,
	    "t/data/lang: %d samples in %d languages (%s)", nsamples, nlang,
	    langs);
	for (i = 0; i < nsamples; i++) {
		struct sample *s = &samples[i];

		s->rc = lang_detect(s->text, s->len, LANG_LIMIT_DEFAULT, &r);
		memcpy(s->got, r.code, sizeof(s->got));
		is_str(r.code, s->want, "%s: %s", s->name, s->want);
		is_int(s->rc, LANG_OK, "  reliable (confidence %d)",
		    r.confidence);
		ok(r.reliable == 1 && r.confidence > 50 && r.confidence <= 100,
		    "  reliable flag set, confidence %d in 51..100",
		    r.confidence);
		right += strcmp(r.code, s->want) == 0;
		reliable += s->rc == LANG_OK;
	}
	ok(nsamples > 0 && right * 100 >= nsamples * 95,
	    "overall: %d of %d right (at least 95 %%)", right, nsamples);
	ok(nsamples > 0 && reliable * 100 >= nsamples * 95,
	    "overall: %d of %d reliable (at least 95 %%)", reliable,
	    nsamples);
}

/* test_reply - a Spanish reply on top of a long English thread is
 * Spanish, where the whole text, quotes and all, reads as English */
static void
test_reply(void)
{
	static const char mail[] =
	    "Hola, el paquete sigue sin llegar. ¿Pueden revisarlo?\n"
	    "\n"
	    "On Tue, Jun 4, 2024 at 9:02 AM Acme Support "
	    "<support@acme.example> wrote:\n"
	    "\n"
	    "> Hello, thank you for your patience. We have looked at your\n"
	    "> order again and it was handed to the courier yesterday\n"
	    "> afternoon. Deliveries in your area usually take two or three\n"
	    "> working days, and you will get a message from the courier\n"
	    "> with a time window on the morning of the delivery.\n"
	    ">\n"
	    "> On Mon, Jun 3, 2024 at 8:40 PM Lucia <lucia@example.es> wrote:\n"
	    ">> Hello, I ordered two shirts last week and I have not\n"
	    ">> received any shipping confirmation yet. Could you please\n"
	    ">> tell me whether the parcel has left your warehouse?\n";
	struct lang_cld2 whole;
	struct lang_result r;
	int	rc;

	ok(lang_cld2_detect(mail, (int)strlen(mail), &whole) == 0 &&
	    strcmp(whole.code, "en") == 0,
	    "the thread as a whole reads as English to CLD2 (%s)", whole.code);
	rc = lang_detect(mail, strlen(mail), LANG_LIMIT_DEFAULT, &r);
	is_str(r.code, "es", "the reply on top of it is Spanish");
	is_int(rc, LANG_OK, "  reliably (confidence %d)", r.confidence);
	ok(r.examined < 80, "  only the reply was examined (%zu octets)",
	    r.examined);
}

/* unquote_is - IN without its quoted parts is WANT */
static void
unquote_is(const char *in, const char *want, const char *what)
{
	static char out[4096];
	size_t	n;

	n = lang_unquote(in, strlen(in), out, sizeof(out));
	is_str(out, want, "unquote: %s", what);
	is_int(n, strlen(want), "  length returned");
}

/* test_unquote - each form of quoted mail, and what only looks like it */
static void
test_unquote(void)
{
	unquote_is("Hola\n> quoted\n> more\nAdiós\n", "Hola\nAdiós\n",
	    "lines quoted with '>'");
	unquote_is("Hola\n   > indented quote\nAdiós\n", "Hola\nAdiós\n",
	    "a quote after white space");
	unquote_is("> q1\nA1\n>> q2\nA2\n", "A1\nA2\n",
	    "answers between quotes are kept");
	unquote_is("> only\n> quotes\n", "", "only quotes: nothing");
	unquote_is("Hola\r\n> q\r\nAdiós\r\n", "Hola\nAdiós\n",
	    "CRLF line ends");
	unquote_is("Yes please.\n\nOn Mon, Jun 3, 2024 at 10:15 AM Ana "
	    "<ana@example.com> wrote:\n\n> Do you want it?\n",
	    "Yes please.\n\n\n", "On ... wrote:");
	unquote_is("Sí.\n\nOn Mon, Jun 3, 2024 at 10:15 AM Acme Support <\n"
	    "support@acme.example> wrote:\n> text\n", "Sí.\n\n",
	    "On ... wrote: wrapped onto two lines");
	unquote_is("Vale.\nEl lun, 3 jun 2024 a las 10:15, Acme "
	    "(<b@acme.example>)\nescribió:\n\n> Dear customer\n",
	    "Vale.\n\n", "El ... escribió: (two lines)");
	unquote_is("Merci.\nLe lun. 3 juin 2024 à 10:15, Acme "
	    "<s@acme.example> a écrit :\n> Hi\n", "Merci.\n",
	    "Le ... a écrit :");
	unquote_is("Danke.\nAm 03.06.2024 um 10:15 schrieb Acme "
	    "<s@acme.example>:\n> Hi\n", "Danke.\n", "Am ... schrieb ...:");
	unquote_is("Grazie.\nIl giorno lun 3 giu 2024 alle ore 10:15 Acme "
	    "<s@acme.example> ha scritto:\n> Hi\n", "Grazie.\n",
	    "Il giorno ... ha scritto:");
	unquote_is("Obrigado.\nEm seg., 3 de jun. de 2024 às 10:15, Acme "
	    "<s@acme.example> escreveu:\n> Hi\n", "Obrigado.\n",
	    "Em ... escreveu:");
	unquote_is("Bedankt.\nOp ma 3 jun 2024 om 10:15 schreef Acme "
	    "<s@acme.example>:\n> Hi\n", "Bedankt.\n",
	    "Op ... schreef ...:");
	unquote_is("Tack.\nDen mån 3 juni 2024 kl 10:15 skrev Acme "
	    "<s@acme.example>:\n> Hi\n", "Tack.\n", "Den ... skrev ...:");
	unquote_is("Dziękuję.\nW dniu 3.06.2024 o 10:15, Acme pisze:\n"
	    "> Hi\n", "Dziękuję.\n", "W dniu ... pisze:");
	unquote_is("Gracias.\nOn Mon, Jun 3, 2024 Acme <s@acme.example> "
	    "wrote:\nHello, your order has shipped.\n", "Gracias.\n",
	    "an attribution with unmarked quotes below cuts the rest");
	unquote_is("Acme Support wrote:\n> Hello\nOk, thanks.\n",
	    "Ok, thanks.\n", "'X wrote:' before quotes goes");
	unquote_is("My colleague wrote:\nplease call me\n",
	    "My colleague wrote:\nplease call me\n",
	    "'X wrote:' before the customer's own words stays");
	unquote_is("On Monday I called you.\nMy colleague wrote:\n> hi\nok\n",
	    "On Monday I called you.\nok\n",
	    "a sentence above an attribution is not part of it");
	unquote_is("Den 3 juni beskrev jag felet:\nSkärmen är svart.\n",
	    "Den 3 juni beskrev jag felet:\nSkärmen är svart.\n",
	    "a verb inside another word ('beskrev') is no attribution");
	unquote_is("Thanks.\n\n-----Original Message-----\nFrom: A\n"
	    "Sent: B\n\nHola\n", "Thanks.\n\n",
	    "-----Original Message----- and all below");
	unquote_is("Merci.\n-----Message d'origine-----\nDe : A\n",
	    "Merci.\n", "-----Message d'origine-----");
	unquote_is("Danke.\n-----Ursprüngliche Nachricht-----\nVon: A\n",
	    "Danke.\n", "-----Ursprüngliche Nachricht-----");
	unquote_is("Grazie.\n________________________________\n"
	    "From: Acme <s@acme.example>\nSent: Monday, June 3, 2024 10:15\n"
	    "To: x\n\nHello\n", "Grazie.\n________________________________\n",
	    "Outlook's From: / Sent: block");
	unquote_is("Merci.\nDe\xc2\xa0: Acme\nEnvoyé\xc2\xa0: lundi 3 juin\n"
	    "À : x\n\nHello\n", "Merci.\n",
	    "De : / Envoyé : with no-break spaces");
	unquote_is("Danke.\nVon: Acme\nAn: Stefan\nGesendet: Montag\n\nHi\n",
	    "Danke.\n", "Von: / Gesendet: two lines apart");
	unquote_is("Dzięki.\nOd: Acme\nWysłano: poniedziałek\n\nHi\n",
	    "Dzięki.\n", "Od: / Wysłano:");
	unquote_is("From: my new phone, sorry for typos\n"
	    "The order never arrived.\n",
	    "From: my new phone, sorry for typos\nThe order never arrived.\n",
	    "a From: line with no Sent: or Date: below stays");
	unquote_is("Mira esto.\n\n---------- Forwarded message ---------\n"
	    "From: Acme\nDate: Mon\n\nHello\n", "Mira esto.\n\n",
	    "a forwarded message");
	unquote_is("Regarde.\n\nBegin forwarded message:\n\nFrom: Acme\n",
	    "Regarde.\n\n", "Apple's 'Begin forwarded message:'");
	unquote_is("Hola.\n-- \nAna\nCEO\n", "Hola.\n",
	    "a signature after '-- '");
	unquote_is("Hola.\n--\nAna\n", "Hola.\n",
	    "a signature after '--' (space stripped)");
	unquote_is("Hola.\n---\nAdiós\n", "Hola.\n---\nAdiós\n",
	    "'---' is no signature separator");
}

/* test_limits - OUT's size and lang_detect's limit are honoured */
static void
test_limits(void)
{
	static const char es[] = "No he recibido el paquete y nadie me "
	    "contesta al teléfono. ";
	static const char de[] = "Ich habe das Paket nicht bekommen und "
	    "niemand geht ans Telefon. ";
	struct lang_result r;
	char	out[8], *big;
	size_t	n, i, len;
	int	rc, bad;

	memset(out, 'x', sizeof(out));
	is_int(lang_unquote("abcdef\n", 7, out, 0), 0,
	    "unquote into 0 octets writes nothing");
	is_int(out[0], 'x', "  not even a NUL");
	n = lang_unquote("abcdef\n", 7, out, 4);
	ok(n == 3 && strcmp(out, "abc") == 0,
	    "unquote into 4 octets: 3 and a NUL ('%s', %zu)", out, n);
	n = lang_unquote("abcdef\n", 7, out, 1);
	ok(n == 0 && out[0] == '\0', "unquote into 1 octet: just the NUL");

	/* 200 octets of Spanish, then 20 KB of German */
	len = 20 * 1024;
	if ((big = malloc(len)) == NULL)
		return;
	for (i = 0; i < 200; i++)
		big[i] = es[i % (sizeof(es) - 1)];
	for (; i < len; i++)
		big[i] = de[(i - 200) % (sizeof(de) - 1)];
	rc = lang_detect(big, len, 180, &r);
	ok(rc == LANG_OK && strcmp(r.code, "es") == 0 && r.examined <= 180,
	    "limit 180: only the Spanish head is examined (%s, %zu octets)",
	    r.code, r.examined);
	rc = lang_detect(big, len, LANG_LIMIT_DEFAULT, &r);
	ok(rc == LANG_OK && strcmp(r.code, "de") == 0 &&
	    r.examined == LANG_LIMIT_DEFAULT,
	    "limit 4096: the German that follows outweighs it (%s, %zu)",
	    r.code, r.examined);
	rc = lang_detect(big, len, (size_t)-1, &r);
	ok(r.examined == len, "a huge limit examines all %zu octets (%zu)",
	    len, r.examined);
	rc = lang_detect(big, len, 0, &r);
	ok(rc == LANG_NONE && r.examined == 0 && r.code[0] == '\0',
	    "limit 0: nothing examined, no language");

	/* a limit that cuts a character in two: the rest of the text must
	 * still reach CLD2 (which refuses a broken character) */
	for (i = 0; i < len; i++)
		big[i] = "Año señal niño ñandú "[i % 22];
	bad = 0;
	for (n = 60; n < 90; n++)
		if (lang_detect(big, len, n, &r) == LANG_NONE)
			bad++;
	is_int(bad, 0, "limits 60..89 cutting 'ñ' anywhere: CLD2 always "
	    "gets the text");
	free(big);
}

/* detect_is - lang_detect on LEN octets of TEXT answers RC and CODE */
static void
detect_is(const char *text, size_t len, int rc, const char *code,
    const char *what)
{
	struct lang_result r;
	int	got;

	got = lang_detect(text, len, LANG_LIMIT_DEFAULT, &r);
	is_int(got, rc, "%s: answer", what);
	is_str(r.code, code, "  language");
	ok(r.reliable == (got == LANG_OK) && r.confidence >= 0 &&
	    r.confidence <= 100, "  reliable %d, confidence %d", r.reliable,
	    r.confidence);
}

/* test_hostile - bytes that are not UTF-8, NULs, nothing, 30 MB */
static void
test_hostile(void)
{
	static const char es[] = "Hola, no he recibido el pedido que hice "
	    "la semana pasada y nadie contesta al teléfono. ¿Pueden "
	    "ayudarme, por favor? ";
	/* each of these must come out as spaces, not reach CLD2 */
	static const char *const bad[] = {
		"\xff", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
		"\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80", "\xc2\x85",
		"\xef\xbf\xbe", "\xef\xb7\x90", "\xf0\x9f\xbf\xbf", "\xc3",
		"\xe2\x82", "\x01", "\x1b[31m", "\x7f", NULL
	};
	size_t	n = 30u * 1024 * 1024, i, k, len = strlen(es);
	char	buf[512], *big;
	struct lang_result r;
	int	rc, fails;

	detect_is("", 0, LANG_NONE, "", "empty");
	detect_is(NULL, 0, LANG_NONE, "", "NULL");
	detect_is("   \n\n\t  \n", 10, LANG_NONE, "", "white space only");
	detect_is("12345 67890 2024-06-03 10:15", 28, LANG_NONE, "",
	    "digits only");
	rc = lang_detect("ok", 2, LANG_LIMIT_DEFAULT, &r);
	ok(rc != LANG_OK, "'ok' alone is not reliable (%d %s)", rc, r.code);
	detect_is("> only\n> quotes\n", 16, LANG_NONE, "", "only quotes");

	/* the Spanish text with each bad sequence in the middle, and with
	 * every single octet value there */
	fails = 0;
	for (k = 0; bad[k] != NULL; k++) {
		snprintf(buf, sizeof(buf), "%.60s%s%s", es, bad[k], es + 60);
		if (lang_detect(buf, strlen(buf), LANG_LIMIT_DEFAULT,
		    &r) != LANG_OK || strcmp(r.code, "es") != 0)
			fails++;
	}
	is_int(fails, 0, "Spanish with invalid UTF-8, C0/C1 controls and "
	    "noncharacters in it is still Spanish");
	fails = 0;
	for (k = 0; k < 256; k++) {
		memcpy(buf, es, 60);
		buf[60] = (char)k;
		memcpy(buf + 61, es + 60, len - 60);
		if (lang_detect(buf, len + 1, LANG_LIMIT_DEFAULT,
		    &r) != LANG_OK || strcmp(r.code, "es") != 0)
			fails++;
	}
	is_int(fails, 0, "... and with each of the 256 octet values, NUL too");
	memcpy(buf, es, len);
	for (i = 0; i < len; i++)
		if (buf[i] == ' ')
			buf[i] = '\0';
	rc = lang_detect(buf, len, LANG_LIMIT_DEFAULT, &r);
	ok(rc == LANG_OK && strcmp(r.code, "es") == 0,
	    "Spanish with NULs for spaces: still Spanish (%d %s)", rc,
	    r.code);

	if ((big = malloc(n)) == NULL)
		return;
	for (i = 0; i < n; i++)
		big[i] = "> an old message, quoted\n"[i % 25];
	rc = lang_detect(big, n, LANG_LIMIT_DEFAULT, &r);
	ok(rc == LANG_NONE && r.examined == 0,
	    "30 MB of quoted lines: nothing examined, no language");
	k = 12345;
	for (i = 0; i < n; i++) {
		k = k * 1103515245u + 12345u;
		big[i] = (char)(k >> 16);
	}
	rc = lang_detect(big, n, LANG_LIMIT_DEFAULT, &r);
	ok(rc != LANG_OK && r.examined <= LANG_LIMIT_DEFAULT,
	    "30 MB of random octets: not reliable (%d), %zu octets examined",
	    rc, r.examined);
	rc = lang_detect(big, n, LANG_LIMIT_MAX * 4, &r);
	ok(r.examined <= LANG_LIMIT_MAX,
	    "  and a limit past LANG_LIMIT_MAX examines at most that (%zu)",
	    r.examined);
	for (i = 0; i < n; i++)
		big[i] = es[i % len];
	rc = lang_detect(big, n, LANG_LIMIT_DEFAULT, &r);
	ok(rc == LANG_OK && strcmp(r.code, "es") == 0 &&
	    r.examined == LANG_LIMIT_DEFAULT,
	    "30 MB of Spanish on one line: Spanish from the first 4 KiB");
	memset(big, 0, n);
	rc = lang_detect(big, n, LANG_LIMIT_DEFAULT, &r);
	ok(rc == LANG_NONE, "30 MB of NULs: no language");
	free(big);
}

/* worker - every sample again, in a thread; the count of answers that
 * differ from the single-threaded run */
static void *
worker(void *arg)
{
	struct lang_result r;
	long	diff = 0;
	int	round, i, rc;

	(void)arg;
	for (round = 0; round < 5; round++)
		for (i = 0; i < nsamples; i++) {
			rc = lang_detect(samples[i].text, samples[i].len,
			    LANG_LIMIT_DEFAULT, &r);
			if (rc != samples[i].rc ||
			    strcmp(r.code, samples[i].got) != 0)
				diff++;
		}
	return ((void *)diff);
}

/* test_threads - THREADS threads at once give the same answers */
static void
test_threads(void)
{
	pthread_t th[THREADS];
	void	*res;
	long	diff = 0;
	int	i, started = 0;

	for (i = 0; i < THREADS; i++)
		if (pthread_create(&th[i], NULL, worker, NULL) == 0)
			started++;
	for (i = 0; i < started; i++) {
		pthread_join(th[i], &res);
		diff += (long)res;
	}
	ok(started == THREADS && nsamples > 0 && diff == 0,
	    "%d threads at once, 5 rounds of %d samples: %ld answers differ",
	    started, nsamples, diff);
}

int
main(int argc, char **argv)
{
	test_samples(argc > 1 ? argv[1] : "t/data/lang");
	test_reply();
	test_unquote();
	test_limits();
	test_hostile();
	test_threads();
	return (done_testing());
}
