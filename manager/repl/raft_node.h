/* One member of a Raft group (cowsql/raft 0.22 over libuv's TCP
 * transport), run by a thread of its own: buffers in from any thread,
 * committed entries out in the same order on every member. It knows
 * bytes, not what they mean: core/cluster.c gives them their meaning.
 *
 * Its directory holds Raft's log segments and snapshots (raft's own
 * format). Automatic segment recovery is off: a damaged segment stops
 * the member at start instead of shortening its log (which would forget
 * acknowledged entries). */
#ifndef MGR_MANAGER_REPL_RAFT_NODE_H
#define MGR_MANAGER_REPL_RAFT_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RAFT_NODE_MAX_MEMBERS 9
#define RAFT_NODE_ADDR_MAX    256

typedef struct raft_node raft_node;

/* What the member tells its owner, on its thread (never under a lock of
 * the member's). */
typedef struct raft_node_ops {
	void *arg;
	/* A committed entry (p, n: the member's until the call returns),
	 * in log order: 0, or nonzero when it cannot be applied (the owner
	 * has said why: the member stops applying). */
	int (*apply)(void *arg, uint64_t index, const uint8_t *p, size_t n);
	/* The state as of the last entry applied, for a snapshot: 0 with
	 * *p (allocated with raft_node_alloc) and *n, or nonzero to decline
	 * now (it is asked again after a later entry). */
	int (*snapshot)(void *arg, uint8_t **p, size_t *n);
	/* A snapshot to take the place of the state (p, n: the member's
	 * until the call returns): 0, or nonzero (the member stops). */
	int (*restore)(void *arg, const uint8_t *p, size_t n);
	/* This member became leader (true) in term, or stopped being it. */
	void (*role)(void *arg, bool leader, uint64_t term);
	/* A barrier asked for passed (ok: every entry before it is applied)
	 * or failed (leadership lost). */
	void (*barrier_done)(void *arg, bool ok);
	/* A buffer submitted was not committed by this member as leader
	 * (leadership lost, or refused): what it held may never be. */
	void (*submit_failed)(void *arg, const char *why);
	/* Every few ms, on the member's thread. */
	void (*tick)(void *arg);
} raft_node_ops;

typedef struct raft_node_opts {
	uint64_t    id;  /* this member's, one of ids */
	const char *dir; /* made when absent (0700) */
	uint64_t    ids[RAFT_NODE_MAX_MEMBERS];
	const char *addrs[RAFT_NODE_MAX_MEMBERS]; /* host:port each */
	size_t      n;
	unsigned    election_ms;        /* 0: 300 */
	unsigned    heartbeat_ms;       /* 0: a sixth of election_ms */
	unsigned    snapshot_threshold; /* entries; 0: 4096 */
	unsigned    snapshot_trailing;  /* 0: 512 */
	unsigned    tick_ms;            /* ops.tick's period; 0: 5 */
	const void *key; /* what members prove to each other (copied) */
	size_t      keylen;
	/* joining a group that runs (managerctl cluster add): no first
	 * configuration of its own; the leader sends it the group's */
	bool join;
} raft_node_opts;

/* Starts a member (bootstrapping the group's first configuration when the
 * directory is new), *out set before its thread runs (its callbacks may
 * use it). 0, or MGR_E* with why filled (*out NULL). Not under a lock. */
int raft_node_start(raft_node **out, const raft_node_opts *o,
    const raft_node_ops *ops, char *why, size_t whycap);
/* Stops it (its thread joined, what was submitted and not committed
 * dropped). NULL: nothing. Not on its thread. */
void raft_node_stop(raft_node *rn);

/* Memory for buffers the member takes (raft's allocator). */
void *raft_node_alloc(size_t n);
void *raft_node_realloc(void *p, size_t n);
void  raft_node_free(void *p);
/* Proposes p (n bytes, a multiple of 8, from raft_node_alloc: the
 * member's from now) as one entry; any thread. ops.apply sees it once
 * committed; ops.submit_failed when it cannot be. 0 or MGR_ENOMEM. */
int raft_node_submit(raft_node *rn, void *p, size_t n);
/* Asks for a barrier (ops.barrier_done says when it passed). On the
 * member's thread (from its callbacks). */
void raft_node_barrier(raft_node *rn);

typedef struct raft_node_member {
	uint64_t    id;
	char        addr[RAFT_NODE_ADDR_MAX];
	uint64_t    match; /* as the leader knows it (0: unknown) */
	const char *role;  /* "voter", "standby" or "spare" */
} raft_node_member;

/* What the member last saw (updated each tick). */
typedef struct raft_node_figures {
	const char      *state; /* "follower", "candidate", "leader", ... */
	uint64_t         term;
	uint64_t         leader; /* its id, 0: none known */
	uint64_t         commit, applied, last;
	uint64_t         snapshot; /* the last snapshot's index */
	uint64_t         elections_won;
	raft_node_member members[RAFT_NODE_MAX_MEMBERS];
	size_t           n;
	char             change[200]; /* the last membership change, how it
	                                 went ("": none asked here) */
	bool changing;                /* one is under way */
} raft_node_figures;
void raft_node_figures_of(raft_node *rn, raft_node_figures *f);

/* Asks the group (this member leading it) to add member id at addr
 * (HOST:PORT; its managerd started with join) as a voter, once it has
 * caught up with the log, or to remove it (addr NULL). Returns once
 * asked: the change goes on on the member's thread, one at a time, and
 * raft_node_figures' change says how it went. 0, or MGR_ESTATE (this
 * member does not lead, or a change is under way), MGR_EINVAL (the id
 * or the address is taken, or the member leads itself out), MGR_ENOOBJ
 * (no such member), with why filled. Any thread. */
int raft_node_change(
    raft_node *rn, uint64_t id, const char *addr, char *why, size_t whycap);

#endif
