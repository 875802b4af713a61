/* The guard of raft_io_guard.h: libraft's messages pass through, but for
 * an InstallSnapshot while a snapshot of the member's own is stored. */
#include "raft_io_guard.h"

#include "log.h"

static raft_io_guard *
guard_of(struct raft_io *io)
{
	return (raft_io_guard *) io; // io is its first member
}

/* The message m is the guard's to free (libraft would take it). */
static void
free_install(struct raft_message *m)
{
	raft_configuration_close(&m->install_snapshot.conf);
	raft_free(m->install_snapshot.data.base);
}

static void
on_recv(struct raft_io *io, struct raft_message *m)
{
	raft_io_guard *g = guard_of(io);
	struct raft   *r = io->data; // raft_init's
	if (m->type == RAFT_INSTALL_SNAPSHOT && r->legacy.snapshot_taking) {
		if (g->holding) { // the leader sent it again: the newer one
			free_install(&g->held);
		}
		g->held    = *m;
		g->holding = true;
		log_msg(LOG_INFO,
		    "cluster: the leader's snapshot (index %llu) arrived "
		    "while this member stores its own: held until that one "
		    "is stored",
		    (unsigned long long) m->install_snapshot.last_index);
		return;
	}
	g->recv(io, m);
}

static int
guarded_start(struct raft_io *io, unsigned msecs, raft_io_tick_cb tick,
    raft_io_recv_cb recv)
{
	raft_io_guard *g = guard_of(io);
	g->recv          = recv;
	return g->start(io, msecs, tick, on_recv);
}

static void
on_own_put(struct raft_io_snapshot_put *put, int status)
{
	raft_io_guard *g = put->data;
	struct raft   *r = g->io.data;
	g->their_put->cb = g->their_cb; // as libraft's io would have it
	g->their_cb(g->their_put, status);
	if (g->holding && status == RAFT_CANCELED) {
		free_install(&g->held); // closing
		g->holding = false;
	} else if (g->holding && !r->legacy.snapshot_taking) {
		// (Else libraft began another: held until that one is.)
		struct raft_message m = g->held;
		g->holding            = false;
		g->recv(&g->io, &m);
	}
}

static int
guarded_snapshot_put(struct raft_io *io, unsigned trailing,
    struct raft_io_snapshot_put *req, const struct raft_snapshot *snapshot,
    raft_io_snapshot_put_cb cb)
{
	raft_io_guard *g = guard_of(io);
	if (trailing == 0) { // an install: nothing taken meanwhile
		return g->snapshot_put(io, trailing, req, snapshot, cb);
	}
	// The member's own (one at a time: libraft takes none while one is
	// stored): its end is the moment a held install may go.
	g->their_put = req;
	g->their_cb  = cb;
	g->put.data  = g;
	return g->snapshot_put(io, trailing, &g->put, snapshot, on_own_put);
}

void
raft_io_guard_wrap(raft_io_guard *g)
{
	g->start           = g->io.start;
	g->snapshot_put    = g->io.snapshot_put;
	g->io.start        = guarded_start;
	g->io.snapshot_put = guarded_snapshot_put;
	g->holding         = false;
}

void
raft_io_guard_close(raft_io_guard *g)
{
	if (g->holding) {
		free_install(&g->held);
		g->holding = false;
	}
}
