/* agent.h - agents as the configuration and Redis know them: the
 * "agents" table and "agent ID PRESENCE". */
#ifndef MAILACD_AGENT_H
#define MAILACD_AGENT_H

#include <stdint.h>

#include "ctl.h"

/* One agent: the configured profile and what Redis holds. */
struct agent_info {
	char	*id;
	const struct cfg_agent *cfg;	/* NULL: not in the configuration */
	int	in_redis;		/* mailacd:{org}:agent:ID exists */
	int	roster;			/* in Redis, and its roster is not 0 */
	char	*address;		/* the fields of the hash; NULL when */
	char	*presence;		/* missing */
	char	*skills;		/* comma-separated lists */
	char	*languages;
	char	*queues;
	char	*last;			/* interaction last assigned */
	long long capacity;		/* -1: unknown */
	int64_t	since;			/* -1: unknown */
	int64_t	presence_at;		/* -1: unknown */
	char	**ix;			/* interactions held, sorted */
	size_t	nix;			/* the load */
};

/* The agents of one organisation. */
struct agent_list {
	struct agent_info *v;
	size_t	n;
};

/* agent_read - the agents of organisation O: the configured ones in file
 * order, then those of the Redis roster the file lacks, then (ALL) every
 * other agent hash found by SCAN; 0, or an exit status with the reason on
 * stderr.  agent_list_free() it either way. */
int	agent_read(struct ctl *ctl, const struct cfg_org *o, int all,
		    struct agent_list *l);

/* agent_list_free - free the list.  Accepts an empty one. */
void	agent_list_free(struct agent_list *l);

/* agent_serves - A serves QUEUE (by Redis' profile, else the file's) */
int	agent_serves(const struct agent_info *a, const char *queue);

/* agents_cmd - "agents": one table per organisation */
int	agents_cmd(struct ctl *ctl, int argc, char **argv);

/* agent_cmd - "agent ID available|away|offline" */
int	agent_cmd(struct ctl *ctl, int argc, char **argv);

#endif
