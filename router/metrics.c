/* metrics.c - the router's Prometheus metrics over HTTP.
 *
 * With router.metrics_listen set, GET (or HEAD) /metrics answers with the
 * text exposition format of expo.c; any other path is 404, any other
 * method on /metrics 405.  The HTTP server is libmicrohttpd's, with its
 * own thread (MHD_USE_INTERNAL_POLLING_THREAD), which answers one request
 * at a time.  Each scrape reads Redis on that thread, over a connection
 * of its own (its own pool), with one call of the library function
 * mailacd_metrics per organisation, all pipelined: one round trip per
 * scrape, bounded by redis.command_timeout_ms, while the main loop and the
 * delivery thread go on with their own connections and never wait for a
 * scrape.
 *
 * What Redis holds is the same on every router, so any of them can be
 * scraped (or all: Prometheus then sees the same numbers per instance);
 * this process's own numbers (its Redis failures, the scrape's duration,
 * its version and start) say so in their HELP.  A Redis that cannot be
 * read is not a failed scrape: the answer is 200 with the process's
 * numbers and mailacd_redis_up 0, so that an alert can tell a Redis down
 * from a router down.
 *
 * The socket is made by metrics_listen() before the router detaches and
 * drops privileges, so that an address in use stops it at once with the
 * reason on the terminal; the server's thread starts in metrics_start(),
 * after the fork.  A reload that changes the address listens anew. */
#include <sys/socket.h>

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <hiredis.h>
#include <microhttpd.h>

#include "clock.h"
#include "expo.h"
#include "fn.h"
#include "log.h"
#include "metrics.h"
#include "rds.h"
#include "relink.h"
#include "shard.h"

#ifndef MAILACD_VERSION
#define MAILACD_VERSION "unknown"
#endif

#define METRICS_PATH		"/metrics"
#define METRICS_BACKLOG		64
#define METRICS_CONN_MAX	32	/* connections at once */
#define METRICS_IDLE_S		10	/* an idle connection is closed */

/* The server, and what its thread reads with. */
struct metrics_state {
	pthread_mutex_t lock;	/* cfg, pool, errors and last: the server's
				   thread and reloads */
	struct cfg *cfg;	/* our reference */
	struct shard *sh;	/* a pool and a view per Redis group */
	long long errors;	/* Redis failures of the scrapes */
	char	last[512];	/* the failure logged last, "" after a
				   scrape that went well */
	char	where[300];	/* the Redis of that failure */
	struct MHD_Daemon *mhd;	/* serving, or NULL */
	int	fd;		/* listening, not yet the server's; -1 */
	char	*addr;		/* the address of fd or of the server */
	long long start_ms;	/* the process started (about) */
};

static struct metrics_state metrics_st = {
	.lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1
};

/* metrics_bind - a listening socket on ADDR (HOST:PORT or [IPV6]:PORT,
 * as cfg_check_listen accepts); the descriptor, or -1 with ERR */
static int
metrics_bind(const char *addr, char *err, size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	char	host[300], *port;
	int	fd = -1, e = 0, one = 1, rc;

	snprintf(host, sizeof(host), "%s", addr);
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		port = strchr(host, ']');
		if (port != NULL)
			*port++ = '\0';
	} else
		port = strrchr(host, ':');
	if (port == NULL || *port != ':') {
		snprintf(err, errlen, "cannot listen on %s: not HOST:PORT",
		    addr);
		return (-1);
	}
	*port++ = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", addr,
		    gai_strerror(rc));
		return (-1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one)) == 0 && bind(fd, ai->ai_addr,
		    ai->ai_addrlen) == 0 && listen(fd, METRICS_BACKLOG) == 0)
			break;
		e = errno;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errlen, "cannot listen on %s: %s", addr,
		    strerror(e));
	return (fd);
}

/* metrics_failed - a scrape could not read the Redis WHERE: count it,
 * log it once */
static void
metrics_failed(struct metrics_state *m, const char *where, const char *err)
{
	m->errors++;
	if (strcmp(err, m->last) == 0)
		return;
	log_warnx("metrics: redis %s: %s; serving this process's numbers "
	    "only", where, err);
	snprintf(m->last, sizeof(m->last), "%s", err);
	snprintf(m->where, sizeof(m->where), "%s", where);
}

/* metrics_append - queue mailacd_metrics for every organisation of CFG;
 * 0 or -1 with ERR */
static int
metrics_append(redisContext *c, const struct cfg *cfg, char *err,
    size_t errlen)
{
	const struct cfg_org *o;
	const char **doms;
	struct fn_cmd cmd;
	size_t	i, k;
	int	rc;

	for (i = 0; i < cfg->norgs; i++) {
		o = &cfg->orgs[i];
		if ((doms = calloc(o->ndomains + 1, sizeof(*doms))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return (-1);
		}
		for (k = 0; k < o->ndomains; k++)
			doms[k] = o->domains[k].name;
		fn_metrics(&cmd, o->id, doms, o->ndomains);
		rc = fn_append(c, &cmd);
		if (rc != 0)
			snprintf(err, errlen, "FCALL mailacd_metrics for %s: %s",
			    o->id, cmd.failed ? cmd.failed : "out of memory");
		fn_cmd_free(&cmd);
		free(doms);
		if (rc != 0)
			return (-1);
	}
	return (0);
}

/* metrics_round - the pipelined calls and their answers into ORGS; 0, 1
 * (Redis lacks the library: load it and send again) or -1 with ERR.
 * *BROKEN tells whether the connection is lost. */
static int
metrics_round(redisContext *c, const struct cfg *cfg, struct expo_org *orgs,
    int *broken, char *err, size_t errlen)
{
	redisReply *r;
	char	ignored[256];	/* the first failure is the one reported */
	size_t	i;
	int	nofn = 0, failed = 0;

	if (metrics_append(c, cfg, err, errlen) != 0) {
		*broken = 1;	/* some calls may be queued on it */
		return (-1);
	}
	for (i = 0; i < cfg->norgs; i++) {
		r = NULL;
		if (redisGetReply(c, (void **)&r) != REDIS_OK || r == NULL) {
			rds_error(c, r, err, errlen);
			*broken = 1;
			return (-1);
		}
		if (r->type == REDIS_REPLY_ERROR &&
		    strstr(r->str, "Function not found") != NULL)
			nofn = 1;
		else if (r->type == REDIS_REPLY_ERROR) {
			if (!failed)
				snprintf(err, errlen, "mailacd_metrics for %s: "
				    "%s", cfg->orgs[i].id, r->str);
			failed = 1;
		} else if (r->type != REDIS_REPLY_STRING) {
			if (!failed)
				snprintf(err, errlen, "mailacd_metrics for %s: "
				    "unexpected reply type %d",
				    cfg->orgs[i].id, r->type);
			failed = 1;
		} else if (expo_parse(&orgs[i], r->str, r->len,
		    failed ? ignored : err, failed ? sizeof(ignored) : errlen)
		    != 0)
			failed = 1;
		freeReplyObject(r);
	}
	if (failed)
		return (-1);
	return (nofn ? 1 : 0);
}

/* metrics_group - the answers of Redis group G's organisations into
 * ORGS; 0, or -1 with ERR */
static int
metrics_group(struct metrics_state *m, size_t g, struct expo_org *orgs,
    char *err, size_t errlen)
{
	struct rds_pool *pool = shard_at(m->sh, g);
	const struct cfg *view = shard_view(m->sh, g);
	redisContext *c;
	int	fresh, broken = 0, rc;

	if ((c = rds_get(pool, &fresh, err, errlen)) == NULL)
		return (-1);
	rc = metrics_round(c, view, orgs, &broken, err, errlen);
	if (rc == 1 && fn_load(c, err, errlen) == 0)
		rc = metrics_round(c, view, orgs, &broken, err, errlen);
	else if (rc == 1)
		rc = -1;
	rds_put(pool, c, broken);
	return (rc);
}

/* metrics_read - every served organisation's answer into ORGS, group by
 * group (in the views' order); 0, or -1 with ERR and *WHERE, the Redis
 * that failed first, when some could not be read (those read are kept) */
static int
metrics_read(struct metrics_state *m, struct expo_org *orgs,
    const char **where, char *err, size_t errlen)
{
	char	why[512];
	size_t	g, off = 0;
	int	rc = 0;

	for (g = 0; g < shard_count(m->sh); g++) {
		if (metrics_group(m, g, orgs + off, why, sizeof(why)) != 0 &&
		    rc == 0) {
			*where = rds_describe(shard_at(m->sh, g));
			snprintf(err, errlen, "%s", why);
			rc = -1;
		}
		off += shard_view(m->sh, g)->norgs;
	}
	return (rc);
}

/* metrics_scrape - the page: read Redis, write every family; a malloc'd
 * buffer of *LEN octets, or NULL */
static char *
metrics_scrape(struct metrics_state *m, size_t *len)
{
	struct expo_proc p;
	struct expo_org *orgs;
	char	err[512], *buf = NULL;
	const char *where = "";
	long long t0 = clock_mono_ms();
	size_t	i, n, g, k;
	FILE   *fp;

	pthread_mutex_lock(&m->lock);
	for (g = n = 0; g < shard_count(m->sh); g++)
		n += shard_view(m->sh, g)->norgs;
	if ((orgs = calloc(n + 1, sizeof(*orgs))) == NULL) {
		pthread_mutex_unlock(&m->lock);
		return (NULL);
	}
	for (g = i = 0; g < shard_count(m->sh); g++)
		for (k = 0; k < shard_view(m->sh, g)->norgs; k++)
			orgs[i++].id = shard_view(m->sh, g)->orgs[k].id;
	memset(&p, 0, sizeof(p));
	err[0] = '\0';
	p.redis_up = metrics_read(m, orgs, &where, err, sizeof(err)) == 0;
	if (!p.redis_up)
		metrics_failed(m, where, err);
	else if (m->last[0] != '\0') {
		log_info("metrics: redis %s: back", m->where);
		m->last[0] = '\0';
	}
	p.version = MAILACD_VERSION;
	p.start_ms = m->start_ms;
	p.redis_errors = m->errors + relink_failures();
	p.scrape_ms = clock_mono_ms() - t0;
	if ((fp = open_memstream(&buf, len)) != NULL) {
		expo_write(fp, orgs, n, &p);
		if (fclose(fp) != 0) {
			free(buf);
			buf = NULL;
		}
	}
	pthread_mutex_unlock(&m->lock);
	for (i = 0; i < n; i++)
		expo_org_clear(&orgs[i]);
	free(orgs);
	return (buf);
}

/* metrics_answer - queue STATUS with BODY (malloc'd, taken; NULL: out of
 * memory) of content type TYPE, and an Allow header when ALLOW */
static enum MHD_Result
metrics_answer(struct MHD_Connection *conn, unsigned int status, char *body,
    size_t len, const char *type, const char *allow)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;

	if (body == NULL)
		return (MHD_NO);	/* the connection is closed */
	if ((resp = MHD_create_response_from_buffer(len, body,
	    MHD_RESPMEM_MUST_FREE)) == NULL) {
		free(body);
		return (MHD_NO);
	}
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    type) != MHD_YES || (allow != NULL && MHD_add_response_header(resp,
	    MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES)) {
		MHD_destroy_response(resp);
		return (MHD_NO);
	}
	rc = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return (rc);
}

/* metrics_text - a short plain-text answer STATUS */
static enum MHD_Result
metrics_text(struct MHD_Connection *conn, unsigned int status,
    const char *text, const char *allow)
{
	char	*body = strdup(text);

	return (metrics_answer(conn, status, body, strlen(text),
	    "text/plain; charset=utf-8", allow));
}

/* metrics_request - libmicrohttpd's handler: /metrics, or 404 */
static enum MHD_Result
metrics_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_len, void **con_cls)
{
	static int seen;
	struct metrics_state *m = cls;
	size_t	len = 0;
	char	*body;

	(void)version;
	(void)upload;
	/* the first call has the headers only; a body is read and dropped */
	if (*con_cls == NULL) {
		*con_cls = &seen;
		return (MHD_YES);
	}
	if (*upload_len != 0) {
		*upload_len = 0;
		return (MHD_YES);
	}
	if (strcmp(url, METRICS_PATH) != 0)
		return (metrics_text(conn, MHD_HTTP_NOT_FOUND,
		    "not found: the metrics are at " METRICS_PATH "\n", NULL));
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return (metrics_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method not allowed: GET or HEAD\n", "GET, HEAD"));
	body = metrics_scrape(m, &len);
	return (metrics_answer(conn, MHD_HTTP_OK, body, len, EXPO_CONTENT_TYPE,
	    NULL));
}

/* metrics_mhd_log - libmicrohttpd's complaints, as warnings */
static void __attribute__((format(printf, 2, 0)))
metrics_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char	buf[512];

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\r\n")] = '\0';
	log_warnx("metrics: %s", buf);
}

/* metrics_serve - start the server on M's socket (the server owns it
 * from then on); 0, or -1 (the socket closed) */
static int
metrics_serve(struct metrics_state *m)
{
	sigset_t all, old;

	/* signals are the main thread's */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	m->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_AUTO | MHD_USE_ERROR_LOG, 0, NULL, NULL, metrics_request, m,
	    MHD_OPTION_EXTERNAL_LOGGER, metrics_mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, m->fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)METRICS_CONN_MAX,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)METRICS_IDLE_S,
	    MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (m->mhd == NULL)
		close(m->fd);
	m->fd = -1;
	return (m->mhd != NULL ? 0 : -1);
}

/* metrics_halt - stop the server (it closes its socket) or close the
 * socket not yet served */
static void
metrics_halt(struct metrics_state *m)
{
	if (m->mhd != NULL)
		MHD_stop_daemon(m->mhd);
	m->mhd = NULL;
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	free(m->addr);
	m->addr = NULL;
}

/* metrics_listen - see metrics.h */
void
metrics_listen(const struct cfg *cfg, int foreground)
{
	struct metrics_state *m = &metrics_st;
	const char *addr = cfg->router.metrics_listen;
	char	err[512];

	m->start_ms = clock_ms();
	if (addr == NULL)
		return;
	if ((m->fd = metrics_bind(addr, err, sizeof(err))) < 0) {
		/* the log may be syslog: the terminal hears it too */
		if (!foreground)
			fprintf(stderr, "mailacd-router: metrics: %s\n", err);
		log_fatal(EX_OSERR, "metrics: %s", err);
	}
	if ((m->addr = strdup(addr)) == NULL)
		log_fatal(EX_OSERR, "out of memory");
}

/* metrics_start - see metrics.h */
void
metrics_start(struct cfg *cfg)
{
	struct metrics_state *m = &metrics_st;

	if (m->fd < 0)
		return;
	if ((m->sh = shard_new(cfg, 1)) == NULL)
		log_fatal(EX_OSERR, "out of memory");
	shard_say(m->sh, log_say, "metrics: redis: ");
	m->cfg = cfg_ref(cfg);
	if (metrics_serve(m) != 0)
		log_fatal(EX_OSERR, "metrics: cannot start the HTTP server on "
		    "%s", m->addr);
	log_info("metrics: serving http://%s" METRICS_PATH, m->addr);
}

/* metrics_reload - see metrics.h */
void
metrics_reload(struct cfg *cfg)
{
	struct metrics_state *m = &metrics_st;
	const char *want = cfg->router.metrics_listen;
	struct shard *np, *op;
	struct cfg *oc;
	char	err[512];

	if ((np = shard_new(cfg, 1)) == NULL) {
		log_errx("metrics: out of memory; the configuration before "
		    "the reload stays in use");
		return;
	}
	shard_say(np, log_say, "metrics: redis: ");
	pthread_mutex_lock(&m->lock);
	oc = m->cfg;
	op = m->sh;
	m->cfg = cfg_ref(cfg);
	m->sh = np;
	m->last[0] = '\0';
	pthread_mutex_unlock(&m->lock);
	cfg_unref(oc);
	shard_free(op);
	if ((want == NULL && m->addr == NULL) ||
	    (want != NULL && m->addr != NULL && strcmp(want, m->addr) == 0))
		return;
	if (m->addr != NULL)
		log_info("metrics: no longer serving on %s", m->addr);
	metrics_halt(m);
	if (want == NULL)
		return;
	if ((m->fd = metrics_bind(want, err, sizeof(err))) < 0) {
		log_errx("metrics: %s; no metrics until a reload that can "
		    "listen", err);
		return;
	}
	if ((m->addr = strdup(want)) == NULL || metrics_serve(m) != 0) {
		log_errx("metrics: cannot start the HTTP server on %s; no "
		    "metrics until the next reload", want);
		metrics_halt(m);
		return;
	}
	log_info("metrics: serving http://%s" METRICS_PATH, m->addr);
}

/* metrics_stop - see metrics.h */
void
metrics_stop(void)
{
	struct metrics_state *m = &metrics_st;

	metrics_halt(m);
	pthread_mutex_lock(&m->lock);
	cfg_unref(m->cfg);
	shard_free(m->sh);
	m->cfg = NULL;
	m->sh = NULL;
	pthread_mutex_unlock(&m->lock);
}
