/* The event loops (manager/net/conn.c) against a real managerd, with one
 * loop serving everyone (--io-threads 1 over ipc, 3 over tcp): clients
 * that pipeline requests for megabytes of replies and do not read stall
 * nobody, get every reply intact once they read, and are cleaned up when
 * they close instead; 300 clients at once; silent connections in the
 * handshake stall nobody; a client that sends requests and never reads is
 * no longer read once TX_HIGH of replies wait for it (its sends block, the
 * manager's memory stays bounded). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth.h"
#include "harness.h"
#include "internal.h"
#include "manager.pb-c.h"
#include "transport_fixture.h"
#include "wire.h"

/* ---- 3. clients that do not read --------------------------------------- */

/* NSLOW clients pipeline NGETS gets of 1 MiB each and do not read: the
 * manager serves them all, holding what the socket buffers do not take
 * (under the backpressure bound), and serves the others meanwhile; then the
 * slow clients read every reply, in order and intact, and go on working. */
static void
test_slow_reader(void **state)
{
	(void) state;
	int      fds[NSLOW];
	uint64_t sid;
	for (int i = 0; i < NSLOW; i++) {
		fds[i] = h_wire_session(&F.m, &sid);
	}
	assert_int_equal(info(F.good, "sessions"), F.sessions0 + NSLOW);
	int64_t base = info(F.good, "requests");
	for (int i = 0; i < NSLOW; i++) {
		raw_send_gets(fds[i], mgr_obj_id(F.gd), NGETS);
	}
	for (int i = 0; i < NSLOW; i++) {
		await_readable(fds[i]); // the manager is at them
	}
	assert_responsive();
	await_served(base, NSLOW * NGETS + 1); // and the ping

	assert_others_served();

	for (int i = 0; i < NSLOW; i++) {
		raw_read_gets(fds[i], NGETS);
		h_wire_ping(fds[i], NGETS + 1);
		assert_open_and_quiet(fds[i]);
	}
	for (int i = 0; i < NSLOW; i++) {
		close(fds[i]);
	}
	await_info(F.good, "sessions", F.sessions0);
	check_good();
}

/* The same, but the slow clients close without reading: the manager drops
 * what it held for them, says so in its log, and serves on. */
static void
test_slow_reader_closes(void **state)
{
	(void) state;
	int      fds[NSLOW];
	uint64_t sids[NSLOW];
	for (int i = 0; i < NSLOW; i++) {
		fds[i] = h_wire_session(&F.m, &sids[i]);
	}
	int64_t base = info(F.good, "requests");
	for (int i = 0; i < NSLOW; i++) {
		raw_send_gets(fds[i], mgr_obj_id(F.gd), NGETS);
	}
	for (int i = 0; i < NSLOW; i++) {
		await_readable(fds[i]); // the manager is at them
	}
	assert_responsive();
	await_served(base, NSLOW * NGETS + 1); // and the ping
	assert_others_served();

	// One reads part of a reply first: a frame cut short by the close.
	uint8_t part[1000];
	assert_int_equal(h_raw_recv(fds[0], part, sizeof(part), WAIT_MS), 0);
	for (int i = 0; i < NSLOW; i++) {
		close(fds[i]);
	}
	await_info(F.good, "sessions", F.sessions0);
	char after[64];
	snprintf(
	    after, sizeof(after), "closed by peer after %d requests", NGETS);
	for (int i = 0; i < NSLOW; i++) {
		char who[64];
		snprintf(who, sizeof(who), "session %" PRIu64 " (", sids[i]);
		if (!h_managerd_log_line_has(&F.m, who, after, WAIT_MS)) {
			h_managerd_dump_log(&F.m);
			fail_msg("no \"%s...%s\" in the log", who, after);
		}
	}
	assert_others_served();
}

/* ---- 4. many connections ----------------------------------------------- */

/* NCONN clients of this process connected at once, each making calls on
 * a shared dict; all disconnect, and only the good client's session is
 * left. */
static void
test_many_connections(void **state)
{
	(void) state;
	mgr_client **cs = calloc(NCONN, sizeof(*cs));
	mgr_obj     *d, *x;
	mgr_value    v;
	char         tok[64];
	assert_non_null(cs);
	assert_int_equal(F.sessions0, 1);
	OK(mgr_dict_new(F.good, &d));
	OK(mgr_obj_token(d, tok, sizeof(tok)));

	for (int i = 0; i < NCONN; i++) {
		int rv = h_connect(&F.m, &cs[i]);
		if (rv != 0) {
			fail_msg("client %d of %d: %s (%s)", i + 1, NCONN,
			    mgr_strerror(rv), mgr_errdetail());
		}
	}
	assert_int_equal(info(F.good, "sessions"), 1 + NCONN);
	// Last connected first: every connection is served, not just the
	// newest.
	for (int i = NCONN - 1; i >= 0; i--) {
		OK(mgr_attach(cs[i], tok, &x));
		OK(mgr_dict_incr(x, mgr_str("n"), mgr_int(1), &v));
		assert_int_equal(v.i, NCONN - i);
		OK(mgr_obj_release(x));
	}
	for (int i = 0; i < NCONN; i++) {
		OK(mgr_disconnect(cs[i]));
	}
	free(cs);
	await_info(F.good, "sessions", 1);
	OK(mgr_dict_get(d, mgr_str("n"), &v));
	assert_int_equal(v.i, NCONN);
	OK(mgr_obj_release(d));
	check_good();
}

/* ---- 5. silent connections in the handshake ---------------------------- */

/* Connections that say nothing (or part of a frame) hold only themselves:
 * others connect and work meanwhile, and the silent ones stay open. */
static void
test_silent_handshake(void **state)
{
	(void) state;
	int     fds[6];
	uint8_t nonce[AUTH_NONCE_LEN];
	for (size_t i = 0; i < countof(fds); i++) {
		fds[i] = h_raw_connect(F.m.url);
		assert_true(fds[i] >= 0);
	}
	// fds[0..3] say nothing; fds[4] half a length prefix; fds[5] reads
	// the Hello and sends part of an Auth frame.
	uint8_t half[2] = { 0, 0 };
	assert_int_equal(h_raw_send(fds[4], half, 2, WAIT_MS), 0);
	h_wire_hello(fds[5], nonce);
	uint8_t part[14] = { 0, 0, 0, 100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	assert_int_equal(h_raw_send(fds[5], part, sizeof(part), WAIT_MS), 0);
	await_info(F.good, "sessions", F.sessions0 + (int64_t) countof(fds));

	for (int i = 0; i < 5; i++) {
		assert_others_served();
	}

	// Still open: the Hello waits for those that did not read it, and
	// nothing follows.
	for (size_t i = 0; i < countof(fds); i++) {
		if (i != 5) {
			h_wire_hello(fds[i], nonce);
		}
		assert_open_and_quiet(fds[i]);
	}
	await_info(F.good, "sessions", F.sessions0 + (int64_t) countof(fds));
	for (size_t i = 0; i < countof(fds); i++) {
		close(fds[i]);
	}
	await_info(F.good, "sessions", F.sessions0);
}

/* ---- 6. backpressure --------------------------------------------------- */

#define BP_PAD     ((size_t) 512 << 10) /* padding of each request */
#define BP_MAXREQ  200 /* 200 MiB of replies: the manager never paused */
#define BP_BLOCKED 200 /* ms without room to send: the client is blocked */
#define BP_RSS_KB  ((int64_t) 64 << 10) /* bound on the manager's growth */

/* A frame of a get of big<(id - 1) % NBIG> of dict target, request id id,
 * padded to over BP_PAD bytes by an unknown field (number 1000, ignored by
 * the manager) so that the socket buffers hold few requests. */
static uint8_t *
bp_frame(uint64_t target, uint64_t id, size_t *len)
{
	char key[16];
	snprintf(key, sizeof(key), "big%d", (int) ((id - 1) % NBIG));
	Mgr__Value  v      = MGR__VALUE__INIT;
	Mgr__Value *args[] = { &v };
	v.kind_case        = MGR__VALUE__KIND_S;
	v.s                = key;
	Mgr__Request rq    = MGR__REQUEST__INIT;
	rq.id              = id;
	rq.op              = MGR__OP__OP_DICT_GET;
	rq.target          = target;
	rq.secret          = F.gd->secret; // the only dict they get from
	rq.args            = args;
	rq.n_args          = 1;
	size_t   sz        = mgr__request__get_packed_size(&rq);
	size_t   n         = 4 + sz + 2 + 3 + BP_PAD;
	uint8_t *b         = malloc(n);
	assert_non_null(b);
	wire_put_len(b, (uint32_t) (n - 4));
	mgr__request__pack(&rq, b + 4);
	uint8_t *p = b + 4 + sz;
	*p++       = 0xc2; // field 1000, length-delimited: varint 8002
	*p++       = 0x3e;
	*p++       = (uint8_t) (0x80 | (BP_PAD & 0x7f)); // 3-byte varint
	*p++       = (uint8_t) (0x80 | ((BP_PAD >> 7) & 0x7f));
	*p++       = (uint8_t) (BP_PAD >> 14);
	assert_true(BP_PAD >> 21 == 0);
	memset(p, 'p', BP_PAD);
	*len = n;
	return b;
}

/* Reads the reply to bp_frame's request id: whole, its big value. */
static void
bp_read_reply(int fd, uint8_t *buf, size_t cap, uint64_t id)
{
	size_t len = 0;
	int    r   = h_raw_recv_frame(fd, buf, cap, &len, WAIT_MS);
	if (r != 0) {
		fail_msg("reply %" PRIu64 ": %s", id,
		    r == -2 ? "timed out" : "end of file or error");
	}
	Mgr__Reply *rp = mgr__reply__unpack(NULL, len, buf);
	assert_non_null(rp);
	if (rp->id != id) {
		fail_msg("reply %" PRIu64 " where %" PRIu64 " was due",
		    (uint64_t) rp->id, id);
	}
	assert_int_equal(rp->status, 0);
	assert_non_null(rp->result);
	assert_int_equal(rp->result->kind_case, MGR__VALUE__KIND_S);
	assert_int_equal(strlen(rp->result->s), BIG);
	int k = (int) ((id - 1) % NBIG);
	if (memcmp(rp->result->s, bigs[k], BIG) != 0) {
		fail_msg("reply %" PRIu64 ": big%d's content differs", id, k);
	}
	mgr__reply__free_unpacked(rp, NULL);
}

/* Sends what is left of frame f (from *off) without waiting: true once
 * all of it is sent. */
static bool
bp_send_some(int fd, const uint8_t *f, size_t len, size_t *off)
{
	while (*off < len) {
		ssize_t k = send(
		    fd, f + *off, len - *off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (k > 0) {
			*off += (size_t) k;
		} else if (k < 0 && errno == EINTR) {
			continue;
		} else if (k < 0
		    && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return false;
		} else {
			fail_msg("send: %s", k < 0 ? strerror(errno) : "0");
		}
	}
	return true;
}

/* A client pipelines gets of 1 MiB values and never reads: once more than
 * TX_HIGH of replies wait for it, the manager stops reading it, so its
 * sends block (far below BP_MAXREQ requests) and the manager's memory
 * stays bounded; others are served meanwhile. Then the client reads every
 * reply, in order and intact, and its session goes on working. */
static void
test_backpressure(void **state)
{
	(void) state;
	uint64_t sid;
	int64_t  rss0   = h_proc_kb(F.m.pid, "VmRSS");
	int      fd     = h_wire_session(&F.m, &sid);
	uint64_t target = mgr_obj_id(F.gd);
	int64_t  base   = info(F.good, "requests");

	// Send until no room comes for BP_BLOCKED ms. f is the frame in
	// flight (off of its len bytes sent); sent counts whole frames.
	uint64_t sent = 0;
	size_t   len = 0, off = 0;
	uint8_t *f        = bp_frame(target, 1, &len);
	int64_t  deadline = h_now_ms() + 4 * WAIT_MS;
	for (;;) {
		if (bp_send_some(fd, f, len, &off)) {
			sent++;
			free(f);
			if (sent >= BP_MAXREQ) {
				fail_msg(
				    "%d requests of %zu bytes sent (for "
				    "%d MiB of replies) without blocking: "
				    "the manager did not stop reading",
				    BP_MAXREQ, len, BP_MAXREQ);
			}
			f   = bp_frame(target, sent + 1, &len);
			off = 0;
			continue;
		}
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int           r = poll(&p, 1, BP_BLOCKED);
		if (r == 0) {
			break; // blocked
		}
		assert_true(r == 1 || (r < 0 && errno == EINTR));
		if (h_now_ms() >= deadline) {
			fail_msg("still sending after %d ms (%" PRIu64
			         " requests)",
			    4 * WAIT_MS, sent);
		}
	}
	uint64_t total = sent + (off > 0); // a frame partly sent counts
	fprintf(stderr,
	    "blocked after %" PRIu64 " requests of %zu bytes (+%zu bytes)\n",
	    sent, len, off);

	// Blocked: the manager holds a bounded amount, and serves others.
	int64_t rss = h_proc_kb(F.m.pid, "VmRSS");
	if (rss - rss0 > BP_RSS_KB) {
		fail_msg("managerd's RSS grew from %" PRId64 " to %" PRId64
		         " KiB for a client that does not read",
		    rss0, rss);
	}
	int64_t served = info(F.good, "requests") - base - 1;
	assert_true(served >= 0 && served <= (int64_t) total);
	fprintf(stderr,
	    "manager served %" PRId64 ", RSS %" PRId64 " -> %" PRId64
	    " KiB\n",
	    served, rss0, rss);
	assert_others_served();
	rss = h_proc_kb(F.m.pid, "VmRSS");
	if (rss - rss0 > BP_RSS_KB) {
		fail_msg("managerd's RSS grew from %" PRId64 " to %" PRId64
		         " KiB for a client that does not read",
		    rss0, rss);
	}

	// Reads every reply, in order, finishing the frame in flight as room
	// comes; then one more request.
	size_t   cap = BIG + 1024;
	uint8_t *buf = malloc(cap);
	assert_non_null(buf);
	for (uint64_t id = 1; id <= total; id++) {
		if (off > 0 && off < len) {
			bp_send_some(fd, f, len, &off);
		}
		if (id == total && off > 0 && off < len) {
			assert_int_equal(
			    h_raw_send(fd, f + off, len - off, WAIT_MS), 0);
			off = len;
		}
		bp_read_reply(fd, buf, cap, id);
	}
	free(f);
	f = bp_frame(target, total + 1, &len);
	assert_int_equal(h_raw_send(fd, f, len, WAIT_MS), 0);
	bp_read_reply(fd, buf, cap, total + 1);
	free(f);
	free(buf);
	h_wire_ping(fd, total + 2);
	assert_open_and_quiet(fd);
	close(fd);
	await_info(F.good, "sessions", F.sessions0);
	check_good();
}

/* Small requests arrive many per read: 300 gets of 1 MiB values in one
 * write (a few KiB, one read) must not queue 300 MiB of replies either.
 * The manager stops serving that read's frames past TX_HIGH, serves the
 * rest as the replies are written, and every reply comes, in order. */
static void
test_backpressure_one_read(void **state)
{
	(void) state;
	enum { N = 300 };
	uint64_t sid;
	int64_t  rss0 = h_proc_kb(F.m.pid, "VmRSS");
	int      fd   = h_wire_session(&F.m, &sid);
	int64_t  base = info(F.good, "requests");
	raw_send_gets(fd, mgr_obj_id(F.gd), N);

	// Wait until the manager stops serving them (no progress for
	// BP_BLOCKED ms), within WAIT_MS.
	int64_t t0 = h_now_ms(), last = -1, since = t0, calls = 0;
	for (;;) {
		// Each mgr_info is a request too.
		int64_t n   = info(F.good, "requests") - base - ++calls;
		int64_t now = h_now_ms();
		if (n != last) {
			last  = n;
			since = now;
		} else if (now - since >= BP_BLOCKED) {
			break;
		}
		assert_true(now - t0 < WAIT_MS);
		struct timespec ts = { 0, 10 * 1000000 }; // polling a counter
		nanosleep(&ts, NULL);
	}
	int64_t rss = h_proc_kb(F.m.pid, "VmRSS");
	fprintf(stderr,
	    "served %" PRId64 " of %d before pausing, RSS %" PRId64
	    " -> %" PRId64 " KiB\n",
	    last, N, rss0, rss);
	if (rss - rss0 > BP_RSS_KB) {
		fail_msg("managerd's RSS grew from %" PRId64 " to %" PRId64
		         " KiB for one read of a client that does not read",
		    rss0, rss);
	}
	assert_true(last < N / 2);
	assert_others_served();
	raw_read_gets(fd, N);
	h_wire_ping(fd, N + 1);
	assert_open_and_quiet(fd);
	close(fd);
	await_info(F.good, "sessions", F.sessions0);
	check_good();
}

#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

int
main(void)
{
	unsetenv("MGR_AUTHKEY");
	unsetenv("MGR_URL");
	const struct CMUnitTest loop[] = {
		T(test_slow_reader),
		T(test_slow_reader_closes),
		T(test_many_connections),
		T(test_silent_handshake),
		T(test_backpressure),
		T(test_backpressure_one_read),
	};
	int failed = 0;
	failed += cmocka_run_group_tests_name("transport over ipc, one loop",
	    loop, group_setup_ipc, group_teardown);
	failed += cmocka_run_group_tests_name("transport over tcp, 3 loops",
	    loop, group_setup_tcp, group_teardown);
	// The nng engine keeps the same limits: backpressure, slow readers,
	// silent handshakes.
	failed += cmocka_run_group_tests_name("transport over nng tcp", loop,
	    group_setup_nng_tcp, group_teardown);
	for (int k = 0; k < NBIG; k++) {
		free(bigs[k]);
	}
	return failed == 0 ? 0 : 1;
}
