/* The guard around libraft's io (manager/repl/raft_io_guard.c) against a
 * fake io and a fake raft: an InstallSnapshot that arrives while the
 * member stores a snapshot of its own is held, and handed on once that
 * snapshot is stored (not while another is); everything else passes
 * through at once; a held message is freed when the member closes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "raft_io_guard.h"

static struct raft                  fake_raft;
static raft_io_recv_cb              io_recv; /* what the guard gave the io */
static struct raft_io_snapshot_put *io_put;  /* the put the io was given */
static raft_io_snapshot_put_cb      io_put_cb;
static unsigned                     io_put_trailing;
static int                          delivered, delivered_installs;
static raft_index                   delivered_index;
static int                          their_calls, their_status;
static bool                         take_again; /* their callback takes */

static int
fake_start(struct raft_io *io, unsigned msecs, raft_io_tick_cb tick,
    raft_io_recv_cb recv)
{
	(void) io;
	(void) msecs;
	(void) tick;
	io_recv = recv;
	return 0;
}

static int
fake_put(struct raft_io *io, unsigned trailing,
    struct raft_io_snapshot_put *req, const struct raft_snapshot *snapshot,
    raft_io_snapshot_put_cb cb)
{
	(void) io;
	(void) snapshot;
	io_put          = req;
	io_put_cb       = cb;
	io_put_trailing = trailing;
	return 0;
}

/* libraft's receive callback: it owns the message (frees it here). */
static void
libraft_recv(struct raft_io *io, struct raft_message *m)
{
	(void) io;
	delivered++;
	if (m->type == RAFT_INSTALL_SNAPSHOT) {
		delivered_installs++;
		delivered_index = m->install_snapshot.last_index;
		raft_configuration_close(&m->install_snapshot.conf);
		raft_free(m->install_snapshot.data.base);
	}
}

/* libraft's takeSnapshotCb: the taking ends (or, asked, starts again). */
static void
their_cb(struct raft_io_snapshot_put *req, int status)
{
	(void) req;
	their_calls++;
	their_status                     = status;
	fake_raft.legacy.snapshot_taking = take_again;
}

static raft_io_guard g;

static int
setup(void **state)
{
	(void) state;
	memset(&g, 0, sizeof(g));
	memset(&fake_raft, 0, sizeof(fake_raft));
	g.io.start        = fake_start;
	g.io.snapshot_put = fake_put;
	g.io.data         = &fake_raft;
	raft_io_guard_wrap(&g);
	delivered = delivered_installs = their_calls = 0;
	take_again                                   = false;
	assert_int_equal(g.io.start(&g.io, 100, NULL, libraft_recv), 0);
	assert_non_null(io_recv);
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	raft_io_guard_close(&g); // frees what is still held
	return 0;
}

static void
recv_install(raft_index index)
{
	struct raft_message m = { .type = RAFT_INSTALL_SNAPSHOT };
	raft_configuration_init(&m.install_snapshot.conf);
	assert_int_equal(raft_configuration_add(&m.install_snapshot.conf, 1,
	                     "127.0.0.1:7000", RAFT_VOTER),
	    0);
	m.install_snapshot.last_index = index;
	m.install_snapshot.data.base  = raft_malloc(64);
	m.install_snapshot.data.len   = 64;
	io_recv(&g.io, &m);
}

static void
recv_append(void)
{
	struct raft_message m = { .type = RAFT_APPEND_ENTRIES };
	io_recv(&g.io, &m);
}

/* The member starts storing its own snapshot (libraft's take). */
static struct raft_io_snapshot_put their_req;
static struct raft_snapshot        snap;

static void
own_put_starts(void)
{
	fake_raft.legacy.snapshot_taking = true;
	assert_int_equal(
	    g.io.snapshot_put(&g.io, 32, &their_req, &snap, their_cb), 0);
	assert_int_equal(io_put_trailing, 32);
	assert_ptr_not_equal(io_put, &their_req); // the guard's own
}

static void
test_passes_through_when_not_taking(void **state)
{
	(void) state;
	recv_append();
	recv_install(10);
	assert_int_equal(delivered, 2);
	assert_int_equal(delivered_installs, 1);
	assert_int_equal(delivered_index, 10);
}

static void
test_install_held_while_taking(void **state)
{
	(void) state;
	own_put_starts();
	recv_install(20);
	recv_append(); // others are not held
	assert_int_equal(delivered, 1);
	assert_int_equal(delivered_installs, 0);
	io_put_cb(io_put, 0); // stored
	assert_int_equal(their_calls, 1);
	assert_int_equal(their_status, 0);
	assert_int_equal(delivered_installs, 1);
	assert_int_equal(delivered_index, 20);
}

static void
test_held_past_a_second_take(void **state)
{
	(void) state;
	own_put_starts();
	recv_install(30);
	take_again = true; // libraft begins another from its callback
	io_put_cb(io_put, 0);
	assert_int_equal(delivered_installs, 0);
	take_again = false;
	io_put_cb(io_put, 0);
	assert_int_equal(their_calls, 2);
	assert_int_equal(delivered_installs, 1);
	assert_int_equal(delivered_index, 30);
}

static void
test_newer_install_replaces_held(void **state)
{
	(void) state;
	own_put_starts();
	recv_install(40);
	recv_install(41); // the older is freed (LeakSanitizer sees it)
	io_put_cb(io_put, 0);
	assert_int_equal(delivered_installs, 1);
	assert_int_equal(delivered_index, 41);
}

static void
test_cancelled_frees_held(void **state)
{
	(void) state;
	own_put_starts();
	recv_install(50);
	io_put_cb(io_put, RAFT_CANCELED); // the member closes
	assert_int_equal(their_status, RAFT_CANCELED);
	assert_int_equal(delivered_installs, 0);
}

static void
test_close_frees_held(void **state)
{
	(void) state;
	own_put_starts();
	recv_install(60); // still held at teardown: freed there
	assert_int_equal(delivered_installs, 0);
}

static void
test_install_put_untouched(void **state)
{
	(void) state;
	// libraft storing a snapshot the leader sent: trailing 0, as is.
	assert_int_equal(
	    g.io.snapshot_put(&g.io, 0, &their_req, &snap, their_cb), 0);
	assert_ptr_equal(io_put, &their_req);
	assert_ptr_equal(io_put_cb, their_cb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_passes_through_when_not_taking, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_install_held_while_taking, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_held_past_a_second_take, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_newer_install_replaces_held, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_cancelled_frees_held, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_close_frees_held, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_install_put_untouched, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
