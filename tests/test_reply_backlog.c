/* Replies queued for clients, against a real managerd.
 *
 * - A client that does not read its replies is closed past
 *   --max-pending-per-connection; past --max-pending-total those waiting
 *   to be read are not served while a client that reads is.
 * - Replies of 1 MiB pipelined and read late come whole and in order,
 *   with and without --data-dir's gate (a connection's replies wait in a
 *   chain of blocks, manager/net/conn_tx.c).
 * - A big value's reply is sent from where it is stored: replaced and
 *   deleted while the reply waits, it still arrives as it was read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "harness_wire.h"
#include "internal.h"

static int64_t
info(mgr_client *c, const char *key)
{
	int64_t v = -1;
	OK(h_info_int(c, key, &v));
	return v;
}

/* A raw client that asks for n copies of d's value k (1 MiB) and reads
 * none of them. */
static int
greedy_reader(h_managerd *m, mgr_obj *d, int n)
{
	int fd = h_wire_session(m, NULL);
	for (int i = 0; i < n; i++) {
		Mgr__Value   key = MGR__VALUE__INIT, *args[1] = { &key };
		Mgr__Request rq = MGR__REQUEST__INIT;
		key.kind_case   = MGR__VALUE__KIND_S;
		key.s           = "k";
		rq.id           = (uint64_t) i + 1;
		rq.op           = MGR__OP__OP_DICT_GET;
		rq.target       = d->id;
		rq.secret       = d->secret;
		rq.args         = args;
		rq.n_args       = 1;
		if (h_wire_send(fd, &rq.base) != 0) {
			break; // the manager stopped reading it: fine
		}
	}
	return fd;
}

/* Replies a client does not read: past --max-pending-per-connection its
 * connection is closed; past --max-pending-total those waiting to be read
 * are not served, and a client that reads is served all along. */
static void
test_reply_backlog_limits(void **state)
{
	(void) state;
	const char *const extra[] = { "--max-pending-per-connection", "6m",
		"--max-pending-total", "8m", NULL };
	h_managerd        m;
	mgr_client       *c;
	mgr_obj          *d;
	h_start_client(&m, &c, extra);
	OK(mgr_dict_new(c, &d));
	char *big = malloc(1 << 20);
	assert_non_null(big);
	memset(big, 'v', 1 << 20);
	OK(mgr_dict_set(d, mgr_str("k"), mgr_bytes(big, 1 << 20)));
	free(big);
	// One greedy client: closed once 6 MiB wait for it.
	int fd = greedy_reader(&m, d, 40);
	assert_int_equal(h_raw_await_close(fd, 10000), 0);
	close(fd);
	assert_true(
	    h_managerd_log_has(&m, "--max-pending-per-connection", 2000));
	// Four at once, each under its own bound but together over 8 MiB:
	// the backlog stops growing, and a reader is still served.
	int fds[4];
	for (int i = 0; i < 4; i++) {
		fds[i] = greedy_reader(&m, d, 5);
	}
	h_nap(300);
	int64_t pending = info(c, "reply_bytes_pending");
	print_message("reply bytes pending: %lld\n", (long long) pending);
	// The total, plus a reply each that was under way.
	assert_true(pending <= (8 << 20) + 4 * ((1 << 20) + 64));
	mgr_value v;
	OK(mgr_dict_get(d, mgr_str("k"), &v));
	assert_int_equal(v.len, 1 << 20);
	mgr_value_free(&v);
	for (int i = 0; i < 4; i++) {
		close(fds[i]);
	}
	OK(mgr_obj_release(d));
	h_stop_client(&m, c);
}

/* Replies of 1 MiB pipelined by a client that reads them only once 6 MiB
 * wait (the manager stops reading it near 8): each comes whole, in order,
 * with writes among them; under --data-dir the log's gate holds the
 * replies while the chain of blocks they wait in grows and is written. */
static void
big_replies_pipelined(h_managerd *m, mgr_client *c)
{
	enum { KEYS = 4, N = 40, MIB = 1 << 20 };
	mgr_obj *d;
	char     key[8];
	uint8_t *big = malloc(MIB + 64);
	assert_non_null(big);
	OK(mgr_dict_new(c, &d));
	for (int k = 0; k < KEYS; k++) {
		memset(big, 'a' + k, MIB);
		snprintf(key, sizeof(key), "k%d", k);
		OK(mgr_dict_set(
		    d, mgr_str(key), mgr_bytes((char *) big, MIB)));
	}
	int fd = h_wire_session(m, NULL);
	for (int i = 0; i < N; i++) {
		Mgr__Value   a = MGR__VALUE__INIT, b = MGR__VALUE__INIT;
		Mgr__Value  *args[2] = { &a, &b };
		Mgr__Request rq      = MGR__REQUEST__INIT;
		bool         write   = i % 5 == 4;
		snprintf(key, sizeof(key), write ? "w" : "k%d", i % KEYS);
		a.kind_case = MGR__VALUE__KIND_S;
		a.s         = key;
		b.kind_case = MGR__VALUE__KIND_I;
		b.i         = i;
		rq.id       = (uint64_t) i + 1;
		rq.op = write ? MGR__OP__OP_DICT_SET : MGR__OP__OP_DICT_GET;
		rq.target = d->id;
		rq.secret = d->secret;
		rq.args   = args;
		rq.n_args = write ? 2 : 1;
		assert_int_equal(h_wire_send(fd, &rq.base), 0);
	}
	int64_t pending = 0;
	// Several MiB wait in the chain (the manager stops reading this
	// client near 8 MiB; the socket holds some of it).
	for (int t = 0; t < 500 && pending < (6 << 20); t++) {
		pending = info(c, "reply_bytes_pending");
		h_nap(10);
	}
	assert_true(pending >= 6 << 20);
	for (int i = 0; i < N; i++) {
		size_t n;
		assert_int_equal(
		    h_raw_recv_frame(fd, big, MIB + 64, &n, H_WIRE_MS), 0);
		Mgr__Reply *rp = mgr__reply__unpack(NULL, n, big);
		assert_non_null(rp);
		assert_int_equal(rp->id, (uint64_t) i + 1);
		assert_int_equal(rp->status, 0);
		if (i % 5 != 4) {
			const ProtobufCBinaryData *y = &rp->result->y;
			assert_int_equal(
			    rp->result->kind_case, MGR__VALUE__KIND_Y);
			assert_int_equal(y->len, MIB);
			for (size_t j = 0; j < MIB; j += 4093) {
				assert_int_equal(y->data[j], 'a' + i % KEYS);
			}
			assert_int_equal(y->data[MIB - 1], 'a' + i % KEYS);
		}
		mgr__reply__free_unpacked(rp, NULL);
	}
	h_wire_ping(fd, N + 1);
	print_message("longest hold: %lld us\n",
	    (long long) info(c, "lock_hold_max_us"));
	close(fd);
	free(big);
	OK(mgr_obj_release(d));
}

static void
test_big_replies_pipelined(void **state)
{
	(void) state;
	h_managerd  m;
	mgr_client *c;
	h_start_client(&m, &c, NULL);
	big_replies_pipelined(&m, c);
	h_stop_client(&m, c);
	h_datadir *f = h_datadir_new("pipelined");
	assert_non_null(f);
	const char *extra[]
	    = { "--data-dir", f->data, "--fsync", "always", NULL };
	assert_int_equal(h_managerd_start(&f->m, H_IPC, extra), 0);
	OK(h_connect(&f->m, &c));
	big_replies_pipelined(&f->m, c);
	mgr_disconnect(c);
	h_datadir_free(f);
}

/* A reply sends a big value from where it is stored, after the lock: the
 * value replaced and deleted while the reply waits unread still arrives
 * whole, as it was when read (ASan would see a use after free), and
 * reading it held nobody up for its copy. */
static void
test_big_reply_outlives_value(void **state)
{
	(void) state;
	enum { LEN = 6 << 20 };
	h_managerd  m;
	mgr_client *c;
	mgr_obj    *d;
	h_start_client(&m, &c, NULL);
	uint8_t *big = malloc(LEN + 64);
	assert_non_null(big);
	memset(big, 'a', LEN);
	OK(mgr_dict_new(c, &d));
	OK(mgr_dict_set(d, mgr_str("k"), mgr_bytes((char *) big, LEN)));
	int          fd  = h_wire_session(&m, NULL);
	Mgr__Value   key = MGR__VALUE__INIT, *args[1] = { &key };
	Mgr__Request rq = MGR__REQUEST__INIT;
	key.kind_case   = MGR__VALUE__KIND_S;
	key.s           = "k";
	rq.id           = 1;
	rq.op           = MGR__OP__OP_DICT_GET;
	rq.target       = d->id;
	rq.secret       = d->secret;
	rq.args         = args;
	rq.n_args       = 1;
	assert_int_equal(h_wire_send(fd, &rq.base), 0);
	int64_t pending = 0;
	for (int t = 0; t < 500 && pending < (2 << 20); t++) {
		pending = info(c, "reply_bytes_pending");
		h_nap(10);
	}
	assert_true(pending >= 2 << 20); // the reply waits, mostly unsent
	memset(big, 'b', LEN);
	OK(mgr_dict_set(d, mgr_str("k"), mgr_bytes((char *) big, LEN)));
	OK(mgr_dict_del(d, mgr_str("k")));
	size_t n;
	assert_int_equal(
	    h_raw_recv_frame(fd, big, LEN + 64, &n, H_WIRE_MS), 0);
	Mgr__Reply *rp = mgr__reply__unpack(NULL, n, big);
	assert_non_null(rp);
	assert_int_equal(rp->status, 0);
	assert_int_equal(rp->result->kind_case, MGR__VALUE__KIND_Y);
	assert_int_equal(rp->result->y.len, LEN);
	for (size_t j = 0; j < LEN; j += 4093) {
		assert_int_equal(rp->result->y.data[j], 'a');
	}
	assert_int_equal(rp->result->y.data[LEN - 1], 'a');
	mgr__reply__free_unpacked(rp, NULL);
	print_message("longest hold: %lld us\n",
	    (long long) info(c, "lock_hold_max_us"));
	close(fd);
	free(big);
	OK(mgr_obj_release(d));
	h_stop_client(&m, c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_backlog_limits),
		cmocka_unit_test(test_big_replies_pipelined),
		cmocka_unit_test(test_big_reply_outlives_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
