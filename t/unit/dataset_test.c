/* dataset_test.c - unit tests for the verdict on Redis's persistence
 * settings: which settings keep what Redis acknowledged across a crash. */
#include <string.h>

#include "dataset.h"
#include "tap.h"

/* verdict - the verdict and its line for the settings given */
static int
verdict(int aof, const char *fsync, const char *save, int config,
    int replicas, char *line, size_t len)
{
	struct dataset_persist p;

	memset(&p, 0, sizeof(p));
	p.aof = aof;
	snprintf(p.fsync, sizeof(p.fsync), "%s", fsync);
	snprintf(p.save, sizeof(p.save), "%s", save);
	p.config = config;
	p.replicas = replicas;
	if (!config)
		snprintf(p.why, sizeof(p.why), "CONFIG GET refused: NOPERM");
	return (dataset_persist_verdict(&p, line, len));
}

int
main(void)
{
	char	l[512];

	is_int(verdict(1, "always", "", 1, 0, l, sizeof(l)), DATASET_SAFE,
	    "AOF always is safe");
	ok(strstr(l, "survive a crash of Redis or its host") != NULL,
	    "and says so: %s", l);
	is_int(verdict(1, "everysec", "3600 1", 1, 0, l, sizeof(l)),
	    DATASET_RISK, "AOF everysec is at risk");
	ok(strstr(l, "last second") != NULL, "a host crash loses ~1 s: %s", l);
	is_int(verdict(1, "no", "", 1, 0, l, sizeof(l)), DATASET_RISK,
	    "AOF without fsync is at risk");
	ok(strstr(l, "30 s") != NULL, "the kernel's delay named: %s", l);
	is_int(verdict(0, "everysec", "3600 1 300 100", 1, 0, l, sizeof(l)),
	    DATASET_RISK, "RDB only is at risk");
	ok(strstr(l, "since the last snapshot") != NULL &&
	    strstr(l, "3600 1 300 100") != NULL, "snapshots named: %s", l);
	is_int(verdict(0, "everysec", "", 1, 0, l, sizeof(l)), DATASET_RISK,
	    "no persistence is at risk");
	ok(strstr(l, "no persistence") != NULL &&
	    strstr(l, "loses every interaction") != NULL, "and says so: %s", l);
	is_int(verdict(1, "always", "", 1, 2, l, sizeof(l)), DATASET_SAFE,
	    "AOF always with replicas is safe for a crash");
	ok(strstr(l, "2 replicas, asynchronous") != NULL,
	    "the replicas' fail-over risk is named: %s", l);
	is_int(verdict(-1, "", "", 0, -1, l, sizeof(l)), DATASET_UNKNOWN,
	    "unreadable settings are unknown");
	ok(strstr(l, "NOPERM") != NULL, "saying why: %s", l);
	is_int(verdict(1, "", "", 0, 0, l, sizeof(l)), DATASET_UNKNOWN,
	    "AOF on with fsync unknown is unknown");
	is_int(verdict(0, "", "", 0, 0, l, sizeof(l)), DATASET_RISK,
	    "AOF off with CONFIG refused is at risk");
	return (done_testing());
}
