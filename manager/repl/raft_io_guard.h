/* A guard around libraft's uv io for a bug of cowsql/raft 0.22 (the
 * version Debian's bookworm-backports has, unfixed upstream as of this
 * writing): an InstallSnapshot that arrives while the member stores a
 * snapshot of its own is held by libraft's legacy layer, whose
 * takeSnapshotCb then starts it from a pointer it has just set to NULL
 * (a crash of the follower). The guard holds such a message itself and
 * hands it to libraft once the member's own snapshot is stored, when
 * libraft installs it at once. The member's thread only. */
#ifndef MGR_MANAGER_REPL_RAFT_IO_GUARD_H
#define MGR_MANAGER_REPL_RAFT_IO_GUARD_H

#include <stdbool.h>

#include <raft.h>

typedef struct raft_io_guard {
	struct raft_io io; /* libraft's uv io (raft_uv_init it here) */
	int (*start)(struct raft_io *io, unsigned msecs, raft_io_tick_cb tick,
	    raft_io_recv_cb recv);
	int (*snapshot_put)(struct raft_io *io, unsigned trailing,
	    struct raft_io_snapshot_put *req,
	    const struct raft_snapshot *snapshot, raft_io_snapshot_put_cb cb);
	raft_io_recv_cb              recv; /* libraft's */
	struct raft_io_snapshot_put  put;  /* the member's own snapshot's */
	struct raft_io_snapshot_put *their_put;
	raft_io_snapshot_put_cb      their_cb;
	struct raft_message held; /* an InstallSnapshot, if holding */
	bool                holding;
	unsigned long long  held_total; /* for the log */
} raft_io_guard;

/* Wraps g->io's start and snapshot_put (after raft_uv_init, before
 * raft_init). */
void raft_io_guard_wrap(raft_io_guard *g);
/* Frees a message still held (the member closes). */
void raft_io_guard_close(raft_io_guard *g);

#endif
