/* watch.c - "mailacdctl watch": the status, read again and redrawn every
 * -i seconds until --count refreshes were shown or SIGINT or SIGTERM
 * arrives.
 *
 * Each refresh is composed in memory and written at once, after the ANSI
 * "home, clear screen" sequence when standard output is a terminal; into a
 * pipe or file the refreshes follow each other, each under its header
 * line.  With --json each refresh is one line, never with escapes.  A
 * refresh that fails (Redis down, data in another schema) shows the error
 * lines instead of the status and the next one tries again on a fresh
 * connection.  SIGINT and SIGTERM are blocked while a refresh reads
 * Redis and delivered only during the wait between refreshes (ppoll), so
 * the command ends between two refreshes, never half way through one. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "clock.h"
#include "json.h"
#include "status.h"
#include "watch.h"

static volatile sig_atomic_t watch_stop;

/* watch_signal - SIGINT, SIGTERM: stop after this refresh */
static void
watch_signal(int sig)
{
	(void)sig;
	watch_stop = 1;
}

/* watch_errors - the error lines of a failed refresh as one JSON string
 * member "error": without the "mailacdctl: " prefix, joined by "; " */
static void
watch_errors(struct jw *j, const char *lines)
{
	char	*s, *d;
	const char *p, *e;
	size_t	n;

	if ((s = malloc(2 * strlen(lines) + 1)) == NULL) {
		jw_string(j, "error", "out of memory");
		return;
	}
	d = s;
	for (p = lines; *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, "\n");
		if (strncmp(p, "mailacdctl: ", 12) == 0 && e - p >= 12)
			p += 12;
		if (e == p)
			continue;
		if (d > s) {
			memcpy(d, "; ", 2);
			d += 2;
		}
		n = (size_t)(e - p);
		memcpy(d, p, n);
		d += n;
	}
	*d = '\0';
	jw_string(j, "error", s);
	free(s);
}

/* watch_frame - read the status and draw it (or why it failed) on stdout;
 * 0, or EX_IOERR when stdout cannot be written */
static int
watch_frame(struct ctl *ctl, int tty, long n)
{
	char	*buf = NULL, *ebuf = NULL, *fbuf = NULL, t[64];
	size_t	len = 0, elen = 0, flen = 0;
	FILE	*out, *err, *frame, *oerr, *oout = ctl->out;
	struct jw j;
	int	st, rc = 0;

	out = open_memstream(&buf, &len);
	err = open_memstream(&ebuf, &elen);
	frame = open_memstream(&fbuf, &flen);
	if (out == NULL || err == NULL || frame == NULL) {
		if (out != NULL)
			fclose(out);
		if (err != NULL)
			fclose(err);
		if (frame != NULL)
			fclose(frame);
		free(buf);
		free(ebuf);
		free(fbuf);
		ctl_errx("out of memory");
		return (EX_OSERR);
	}
	ctl->now_ms = clock_ms();
	ctl->out = out;
	oerr = ctl_errto(err);
	st = status_show(ctl);
	ctl_errto(oerr);
	ctl->out = oout;
	if (st != 0)
		ctl_drop(ctl);		/* the next refresh connects afresh */
	fclose(out);
	fclose(err);

	if (tty && !ctl->json)
		fputs("\033[H\033[2J", frame);
	if (ctl->json) {
		if (st == 0)
			fwrite(buf, 1, len, frame);
		else {
			jw_init(&j, frame);
			jw_open(&j, NULL, '{');
			jw_int(&j, "now_ms", ctl->now_ms);
			watch_errors(&j, ebuf != NULL ? ebuf : "");
			jw_close(&j, '}');
			jw_end(&j);
		}
	} else {
		if (!tty && n > 0)
			putc('\n', frame);
		fprintf(frame, "Every %gs: mailacdctl status  %s\n\n",
		    ctl->interval, ctl_time(ctl->now_ms, t, sizeof(t)));
		if (st == 0)
			fwrite(buf, 1, len, frame);
		else
			fprintf(frame, "%sretrying every %gs\n",
			    ebuf != NULL ? ebuf : "", ctl->interval);
	}
	free(buf);
	free(ebuf);
	if (fclose(frame) != 0) {
		free(fbuf);
		ctl_errx("out of memory");
		return (EX_OSERR);
	}
	if (fwrite(fbuf, 1, flen, stdout) != flen || fflush(stdout) != 0) {
		ctl_errx("stdout: write error");
		rc = EX_IOERR;
	}
	free(fbuf);
	return (rc);
}

/* watch_cmd - refresh until the count or a signal */
int
watch_cmd(struct ctl *ctl, int argc, char **argv)
{
	struct sigaction sa, oint, oterm;
	struct timespec ts;
	sigset_t block, old;
	long	n;
	int	tty, st = 0;

	(void)argv;
	if (argc != 1) {
		ctl_errx("watch takes no arguments (options: -i seconds, "
		    "--count n)");
		return (EX_USAGE);
	}
	tty = isatty(STDOUT_FILENO);
	ts.tv_sec = (time_t)ctl->interval;
	ts.tv_nsec = (long)((ctl->interval - (double)ts.tv_sec) * 1e9);

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watch_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &oint);
	sigaction(SIGTERM, &sa, &oterm);

	for (n = 0; ; n++) {
		if ((st = watch_frame(ctl, tty, n)) != 0)
			break;
		if (ctl->count > 0 && n + 1 >= ctl->count)
			break;
		/* signals are let through only while waiting here */
		if (ppoll(NULL, 0, &ts, &old) < 0 && errno != EINTR) {
			ctl_errx("ppoll: %s", strerror(errno));
			st = EX_OSERR;
			break;
		}
		if (watch_stop)
			break;
	}

	/* a signal still pending meets our handler, not the default */
	sigprocmask(SIG_SETMASK, &old, NULL);
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGTERM, &oterm, NULL);
	return (st);
}
