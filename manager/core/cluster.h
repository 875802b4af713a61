/* managerd --cluster: three (or five...) managers, one state, through a
 * Raft group (repl/raft_node.h). The leader applies requests as a single
 * manager does and logs their records (journal.h) into the group's log,
 * one entry per batch; a reply leaves once its records are committed (the
 * write gate). Followers apply committed entries as a restart replays a
 * log, serve no client, and send each one to the leader. A new leader
 * applies every entry before it, then settles the sessions (those with
 * reconnect wait for their clients for their lease, from now) and serves.
 * A leader that loses its leadership starts again from the group's log
 * (its own state may hold records the group never committed).
 *
 * docs/cluster.md is the users' account. */
#ifndef MGR_MANAGER_CORE_CLUSTER_H
#define MGR_MANAGER_CORE_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "manager.pb-c.h"
#include "raft_node.h"

struct server;
struct journal;
typedef struct cluster cluster;

#define CLUSTER_MAX_MEMBERS RAFT_NODE_MAX_MEMBERS

typedef struct cluster_opts {
	uint64_t    node_id;
	const char *dir; /* --data-dir: the group's log goes in DIR/raft */
	uint64_t    ids[CLUSTER_MAX_MEMBERS];
	const char *addrs[CLUSTER_MAX_MEMBERS]; /* host:port, the group's */
	size_t      n;
	unsigned    election_ms;      /* 0: 300 */
	unsigned    snapshot_entries; /* 0: 4096 */
	bool        join;             /* --join: added to a group that runs */
	/* Called (on the group's thread) when this process must start again
	 * from the group's log: it never returns. why says what happened. */
	void (*restart)(const char *why);
} cluster_opts;

/* Parses --cluster's "ID=HOST:PORT,..." (a tcp:// before each address is
 * allowed) into o's members: 0, or MGR_EINVAL with why. The strings point
 * into buf (a copy of list, cap bytes). */
int cluster_parse(const char *list, cluster_opts *o, char *buf, size_t cap,
    char *why, size_t whycap);

/* srv (serving nobody) becomes a member that serves nobody yet: every
 * handshake is sent elsewhere until cluster_start's group elects it.
 * 0, or MGR_E* with why. Not under the lock. */
int cluster_open(
    struct server *srv, const cluster_opts *o, char *why, size_t whycap);
/* Starts taking part in the group; urls (comma-separated) is where this
 * member serves clients, what it tells them when it leads. Not under the
 * lock. 0, or MGR_E* with why. */
int cluster_start(
    struct server *srv, const char *urls, char *why, size_t whycap);
/* The cluster as this member sees it: journal_cluster_figures gives them
 * (mgr_info, metrics, managerctl cluster). */
typedef struct cluster_figures {
	uint64_t    node;
	const char *role; /* "leader", "follower", "candidate",
	                     "starting" (a leader not serving
	                     yet) */
	char              leader_urls[512];
	raft_node_figures group; /* the group's, as its member sees it */
} cluster_figures;

#endif
