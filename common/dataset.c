/* dataset.c - Redis persistence settings and the data-set marker.
 *
 * mailacd accepts mail only once Redis acknowledged its interaction; that
 * is worth what Redis keeps across a crash.  dataset_persist_* read and
 * judge the settings for the daemons' start-up lines and mailacdctl.
 * dataset_check keeps a random id in mailacd:{ORG}:dataset: a process
 * that saw one id and later finds none (or another) knows the data set
 * vanished under it, and the marker records when and who noticed, for
 * mailacdctl status.  No logging here. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "cfg.h"
#include "dataset.h"
#include "fn.h"
#include "keys.h"

/* dataset_config - one CONFIG GET NAME value into OUT; 0, 1 (refused:
 * the reason in WHY) or -1 (connection) */
static int
dataset_config(redisContext *c, const char *name, char *out, size_t len,
    char *why, size_t whylen)
{
	redisReply *r;
	int	rc = 1;

	if ((r = redisCommand(c, "CONFIG GET %s", name)) == NULL)
		return (-1);
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[1]->type == REDIS_REPLY_STRING) {
		snprintf(out, len, "%s", r->element[1]->str);
		rc = 0;
	} else if (r->type == REDIS_REPLY_ERROR)
		snprintf(why, whylen, "CONFIG GET refused: %s", r->str);
	else
		snprintf(why, whylen, "CONFIG GET %s: no such setting", name);
	freeReplyObject(r);
	return (rc);
}

/* dataset_info - the value of FIELD in INFO SECTION, or -1; -2 on a
 * connection failure */
static long
dataset_info(redisContext *c, const char *section, const char *field)
{
	redisReply *r;
	const char *p;
	size_t	n = strlen(field);
	long	v = -1;

	if ((r = redisCommand(c, "INFO %s", section)) == NULL)
		return (-2);
	if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
		for (p = r->str; p != NULL && *p != '\0';
		    p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
			if (strncmp(p, field, n) == 0 && p[n] == ':') {
				v = strtol(p + n + 1, NULL, 10);
				break;
			}
	freeReplyObject(r);
	return (v);
}

/* dataset_persist_read - the persistence settings of the Redis on C */
int
dataset_persist_read(redisContext *c, struct dataset_persist *p, char *err,
    size_t errlen)
{
	char	v[128];
	long	n;
	int	rc;

	memset(p, 0, sizeof(*p));
	p->aof = -1;
	p->replicas = -1;
	if ((rc = dataset_config(c, "appendonly", v, sizeof(v), p->why,
	    sizeof(p->why))) < 0)
		goto conn;
	if (rc == 0) {
		p->config = 1;
		p->aof = strcmp(v, "yes") == 0;
		if ((rc = dataset_config(c, "appendfsync", p->fsync,
		    sizeof(p->fsync), p->why, sizeof(p->why))) < 0)
			goto conn;
		if (rc != 0)
			p->fsync[0] = '\0';
		if ((rc = dataset_config(c, "save", p->save, sizeof(p->save),
		    p->why, sizeof(p->why))) < 0)
			goto conn;
		if (rc != 0)
			p->save[0] = '\0';
	} else {
		/* CONFIG renamed or refused: INFO still tells AOF on/off */
		p->save[0] = '\0';
		if ((n = dataset_info(c, "persistence", "aof_enabled")) == -2)
			goto conn;
		p->aof = n < 0 ? -1 : n != 0;
	}
	if ((n = dataset_info(c, "replication", "connected_slaves")) == -2)
		goto conn;
	p->replicas = (int)n;
	return (0);
conn:
	snprintf(err, errlen, "%s", c->errstr[0] ? c->errstr : "no reply");
	return (-1);
}

/* dataset_persist_verdict - judge the settings, say what they risk */
int
dataset_persist_verdict(const struct dataset_persist *p, char *buf,
    size_t len)
{
	char	rep[200] = "";
	int	v;

	if (p->replicas > 0)
		snprintf(rep, sizeof(rep), "; %d replica%s, asynchronous: "
		    "a fail-over can lose the writes not yet copied",
		    p->replicas, p->replicas == 1 ? "" : "s");
	if (p->aof < 0) {
		snprintf(buf, len, "persistence unknown (%s); mailacd needs "
		    "appendonly yes and appendfsync always%s",
		    p->why[0] ? p->why : "not reported", rep);
		return (DATASET_UNKNOWN);
	}
	if (p->aof && p->fsync[0] == '\0') {
		snprintf(buf, len, "appendonly yes, appendfsync unknown (%s); "
		    "mailacd needs appendfsync always%s",
		    p->why[0] ? p->why : "not reported", rep);
		return (DATASET_UNKNOWN);
	}
	if (p->aof && strcmp(p->fsync, "always") == 0) {
		snprintf(buf, len, "appendonly yes, appendfsync always: "
		    "acknowledged interactions survive a crash of Redis or "
		    "its host%s", rep);
		v = DATASET_SAFE;
	} else if (p->aof && strcmp(p->fsync, "everysec") == 0) {
		snprintf(buf, len, "appendonly yes, appendfsync everysec: a "
		    "crash of the host (not of Redis alone) can lose about "
		    "the last second of acknowledged interactions; set "
		    "appendfsync always%s", rep);
		v = DATASET_RISK;
	} else if (p->aof) {
		snprintf(buf, len, "appendonly yes, appendfsync %s: a crash "
		    "of the host can lose what the kernel had not written "
		    "(up to about 30 s) of acknowledged interactions; set "
		    "appendfsync always%s", p->fsync, rep);
		v = DATASET_RISK;
	} else if (p->save[0] != '\0') {
		snprintf(buf, len, "RDB snapshots only (appendonly no, save "
		    "\"%s\"): a crash or kill of Redis loses every "
		    "interaction since the last snapshot; set appendonly yes "
		    "and appendfsync always%s", p->save, rep);
		v = DATASET_RISK;
	} else if (!p->config) {
		snprintf(buf, len, "appendonly no (snapshots unknown: %s): a "
		    "crash or kill of Redis loses what came since the last "
		    "snapshot, if any; set appendonly yes and appendfsync "
		    "always%s", p->why, rep);
		v = DATASET_RISK;
	} else {
		snprintf(buf, len, "no persistence (appendonly no, save \"\"): "
		    "a restart of Redis loses every interaction; set "
		    "appendonly yes and appendfsync always%s", rep);
		v = DATASET_RISK;
	}
	/* replicas without WAIT do not make a safe setting safe across a
	 * fail-over; they are named, not judged, for the master's crash */
	return (v);
}

/* dataset_newid - a random id in hex */
static int
dataset_newid(char id[DATASET_ID_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char r[DATASET_ID_LEN / 2];
	size_t	i;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return (-1);
	for (i = 0; i < sizeof(r); i++) {
		id[2 * i] = digits[r[i] >> 4];
		id[2 * i + 1] = digits[r[i] & 15];
	}
	id[DATASET_ID_LEN] = '\0';
	return (0);
}

/* dataset_check - read (or make) the organisation's data-set marker */
int
dataset_check(redisContext *c, const char *org, const char *known,
    const char *who, char id[DATASET_ID_LEN + 1], int *lost, char *err,
    size_t errlen)
{
	char	key[256], fresh[DATASET_ID_LEN + 1];
	struct fn_cmd cmd;
	redisReply *r;
	int	rc = -1;

	*lost = 0;
	if (keys_fmt(key, sizeof(key), KEYS_FMT_DATASET, org) != 0) {
		snprintf(err, errlen, "organisation name too long");
		return (-1);
	}
	if (dataset_newid(fresh) != 0) {
		snprintf(err, errlen, "no random bytes for a marker id");
		return (-1);
	}
	fn_dataset(&cmd, org, known, fresh, who);
	rc = fn_run(c, &cmd, &r, err, errlen);
	fn_cmd_free(&cmd);
	if (rc != 0)
		return (-1);
	rc = -1;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    r->element[0]->len == DATASET_ID_LEN) {
		memcpy(id, r->element[0]->str, DATASET_ID_LEN);
		id[DATASET_ID_LEN] = '\0';
		*lost = known[0] != '\0' && strcmp(known, id) != 0;
		rc = 0;
	} else if (r->type == REDIS_REPLY_ERROR)
		snprintf(err, errlen, "%s: %s", key, r->str);
	else
		snprintf(err, errlen, "%s: unexpected reply", key);
	freeReplyObject(r);
	return (rc);
}

/* One organisation's marker as a process saw it. */
struct dataset_org {
	char	*org;
	char	id[DATASET_ID_LEN + 1];
};

struct dataset_watch {
	char	*who;
	struct dataset_org *v;
	size_t	n;
	long	persist_ms;
	long long next_persist;		/* 0: at the first look */
	int	verdict;		/* -1: none reported yet */
	char	said[512];		/* the last persistence line */
	char	*file;			/* dataset_watch_file's, or NULL */
	struct dataset_org *seed;	/* what the file held at the start */
	size_t	nseed;
	int	dirty;			/* a marker changed since the save */
	int	file_failing;		/* the last save failed (told once) */
};

/* Several watches of one process may keep their organisations in one
 * file: each save reads it again and replaces only its own lines. */
static pthread_mutex_t dataset_file_lock = PTHREAD_MUTEX_INITIALIZER;

/* dataset_watch_new - an empty watch */
struct dataset_watch *
dataset_watch_new(const char *who, long persist_ms)
{
	struct dataset_watch *w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return (NULL);
	if ((w->who = strdup(who)) == NULL) {
		free(w);
		return (NULL);
	}
	w->persist_ms = persist_ms;
	w->verdict = -1;
	return (w);
}

/* dataset_watch_free - free the watch */
void
dataset_watch_free(struct dataset_watch *w)
{
	size_t	i;

	if (w == NULL)
		return;
	for (i = 0; i < w->n; i++)
		free(w->v[i].org);
	free(w->v);
	for (i = 0; i < w->nseed; i++)
		free(w->seed[i].org);
	free(w->seed);
	free(w->who);
	free(w->file);
	free(w);
}

/* dataset_watch_find - ORG's remembered marker, or NULL */
static struct dataset_org *
dataset_watch_find(struct dataset_watch *w, const char *org)
{
	size_t	i;

	for (i = 0; i < w->n; i++)
		if (strcmp(w->v[i].org, org) == 0)
			return (&w->v[i]);
	return (NULL);
}

/* dataset_watch_org - ORG's remembered marker, added empty when new; NULL
 * when out of memory */
static struct dataset_org *
dataset_watch_org(struct dataset_watch *w, const char *org)
{
	struct dataset_org *v;

	size_t	i;

	if ((v = dataset_watch_find(w, org)) != NULL)
		return (v);
	if ((v = realloc(w->v, (w->n + 1) * sizeof(*v))) == NULL)
		return (NULL);
	w->v = v;
	if ((v[w->n].org = strdup(org)) == NULL)
		return (NULL);
	v[w->n].id[0] = '\0';
	/* what the file said this organisation's marker was */
	for (i = 0; i < w->nseed; i++)
		if (strcmp(w->seed[i].org, org) == 0)
			memcpy(v[w->n].id, w->seed[i].id, sizeof(v[w->n].id));
	return (&w->v[w->n++]);
}

/* dataset_line - "ORG ID" (ID 32 characters of [0-9a-f]) of LINE into
 * ORG (at most ORGLEN - 1 characters) and ID; 0, or -1 when it is not one */
static int
dataset_line(const char *line, char *org, size_t orglen,
    char id[DATASET_ID_LEN + 1])
{
	const char *sp = strchr(line, ' ');
	size_t	n, i;

	if (sp == NULL || (n = (size_t)(sp - line)) == 0 || n >= orglen ||
	    strlen(sp + 1) != DATASET_ID_LEN)
		return (-1);
	for (i = 0; i < DATASET_ID_LEN; i++)
		if (strchr("0123456789abcdef", sp[1 + i]) == NULL ||
		    sp[1 + i] == '\0')
			return (-1);
	memcpy(org, line, n);
	org[n] = '\0';
	memcpy(id, sp + 1, DATASET_ID_LEN + 1);
	return (0);
}

/* dataset_watch_file - remember PATH and what it holds */
int
dataset_watch_file(struct dataset_watch *w, const char *path, char *err,
    size_t errlen)
{
	char	line[512], org[400], id[DATASET_ID_LEN + 1];
	struct dataset_org *o;
	size_t	n;
	FILE	*fp;

	free(w->file);
	if ((w->file = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return (0);
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		n = strcspn(line, "\r\n");
		line[n] = '\0';
		if (dataset_line(line, org, sizeof(org), id) != 0)
			continue;
		/* seeds only: the organisations watched take theirs when
		 * first looked at; the others' lines stay as they are */
		if ((o = realloc(w->seed, (w->nseed + 1) * sizeof(*o))) ==
		    NULL || (o[w->nseed].org = strdup(org)) == NULL) {
			if (o != NULL)
				w->seed = o;
			fclose(fp);
			snprintf(err, errlen, "out of memory");
			return (-1);
		}
		w->seed = o;
		memcpy(o[w->nseed].id, id, sizeof(o[w->nseed].id));
		w->nseed++;
	}
	fclose(fp);
	return (0);
}

/* dataset_watch_save - W's markers into its file, with the lines of the
 * organisations it does not watch kept as they are: a temporary file
 * renamed over it, so that a crash leaves the old or the new; 0, or -1
 * with ERR */
static int
dataset_watch_save(struct dataset_watch *w, char *err, size_t errlen)
{
	char	tmp[4200], line[512], org[400], id[DATASET_ID_LEN + 1];
	size_t	i, n;
	FILE	*in, *out;
	int	fd, ok;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", w->file) >=
	    (int)sizeof(tmp)) {
		snprintf(err, errlen, "path too long");
		return (-1);
	}
	pthread_mutex_lock(&dataset_file_lock);
	if ((fd = mkstemp(tmp)) < 0 || (out = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "a temporary file beside it: %s",
		    strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		pthread_mutex_unlock(&dataset_file_lock);
		return (-1);
	}
	if ((in = fopen(w->file, "r")) != NULL) {
		while (fgets(line, sizeof(line), in) != NULL) {
			n = strcspn(line, "\r\n");
			line[n] = '\0';
			if (dataset_line(line, org, sizeof(org), id) != 0 ||
			    dataset_watch_find(w, org) != NULL)
				continue;
			fprintf(out, "%s\n", line);
		}
		fclose(in);
	}
	for (i = 0; i < w->n; i++)
		if (w->v[i].id[0] != '\0')
			fprintf(out, "%s %s\n", w->v[i].org, w->v[i].id);
	ok = fflush(out) == 0 && fsync(fileno(out)) == 0;
	if (fclose(out) != 0)
		ok = 0;
	if (!ok || rename(tmp, w->file) != 0) {
		snprintf(err, errlen, "%s: %s", ok ? "rename" : "write",
		    strerror(errno));
		unlink(tmp);
		pthread_mutex_unlock(&dataset_file_lock);
		return (-1);
	}
	pthread_mutex_unlock(&dataset_file_lock);
	return (0);
}

/* dataset_watch_persist - read and judge the settings; tell SAY when the
 * verdict is new */
static int
dataset_watch_persist(struct dataset_watch *w, redisContext *c,
    dataset_say_fn *say, void *arg, char *err, size_t errlen)
{
	struct dataset_persist p;
	char	line[sizeof(w->said)];
	int	v;

	if (dataset_persist_read(c, &p, err, errlen) != 0)
		return (-1);
	v = dataset_persist_verdict(&p, line, sizeof(line));
	if (v != w->verdict || strcmp(line, w->said) != 0) {
		say(v == DATASET_SAFE ? DATASET_SAY_INFO : DATASET_SAY_WARN,
		    line, arg);
		w->verdict = v;
		snprintf(w->said, sizeof(w->said), "%s", line);
	}
	return (0);
}

/* dataset_watch_recheck - the persistence settings at the next look */
void
dataset_watch_recheck(struct dataset_watch *w)
{
	w->next_persist = 0;
}

/* dataset_watch_run - one look at persistence and the markers */
int
dataset_watch_run(struct dataset_watch *w, redisContext *c,
    const struct cfg *cfg, long long now_ms, dataset_say_fn *say, void *arg,
    char *err, size_t errlen)
{
	struct dataset_org *o;
	char	id[DATASET_ID_LEN + 1], msg[768];
	size_t	i;
	int	lost;

	if (now_ms >= w->next_persist) {
		if (dataset_watch_persist(w, c, say, arg, err, errlen) != 0)
			return (-1);
		w->next_persist = now_ms + w->persist_ms;
	}
	for (i = 0; i < cfg->norgs; i++) {
		const char *org = cfg->orgs[i].id;

		if ((o = dataset_watch_org(w, org)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return (-1);
		}
		if (dataset_check(c, org, o->id, w->who, id, &lost, err,
		    errlen) != 0)
			return (-1);
		if (lost) {
			snprintf(msg, sizeof(msg), "organisation %s: Redis lost "
			    "its data: the marker " KEYS_FMT_DATASET " held %s "
			    "and now holds %s (Redis restarted without "
			    "persistence, was flushed, or failed over to a "
			    "replica that missed writes); interactions recorded "
			    "before may be gone: check its persistence "
			    "(mailacdctl check)", org, org, o->id, id);
			say(DATASET_SAY_ERR, msg, arg);
		}
		if (strcmp(o->id, id) != 0)
			w->dirty = 1;
		memcpy(o->id, id, sizeof(o->id));
	}
	if (w->file != NULL && w->dirty) {
		char	why[512];

		if (dataset_watch_save(w, why, sizeof(why)) == 0) {
			w->dirty = 0;
			w->file_failing = 0;
		} else if (!w->file_failing) {
			/* the watch goes on in memory; told once */
			snprintf(msg, sizeof(msg), "cannot keep the data-set "
			    "markers in %s (%s): a loss of Redis's data while "
			    "this process is stopped will not be noticed",
			    w->file, why);
			say(DATASET_SAY_WARN, msg, arg);
			w->file_failing = 1;
		}
	}
	return (0);
}
