/* Fault and bad-input tests against a real managerd (over ipc and tcp):
 * wrong keys, garbage and oversized frames, silent and half-sent
 * connections, a client killed mid-session. (managerd's command line:
 * test_cmdline.c.)
 *
 * Each fixture group runs one managerd (--max-message 4096) and one "good"
 * client holding objects of known content; after every test the good
 * client must still work, its objects must be intact, and the manager must
 * be back to its sessions and objects from before the test: a fault closes
 * only the faulty connection.
 *
 * The raw-socket tests speak the wire protocol by hand (frames of a 4-byte
 * big-endian length and a protobuf message; Hello/Auth/Welcome with the
 * HMAC of common/auth.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth.h"
#include "harness.h"
#include "harness_wire.h"
#include "internal.h"
#include "manager.pb-c.h"
#include "wire.h"

#define MAXMSG  4096
#define WAIT_MS 5000

#ifndef MGR_CHILD_HOLDER
#define MGR_CHILD_HOLDER MGR_TESTS_DIR "/child_holder"
#endif

typedef struct fixture {
	h_transport t;
	h_managerd  m;
	mgr_client *good;     /* a well-behaved client */
	mgr_obj    *gd, *gl;  /* its dict and list */
	int64_t     ctr;      /* its counter's expected value */
	int64_t     objects0; /* at the start of each test */
	int64_t     sessions0;
} fixture;

static fixture F;

static void
assert_repr(const mgr_value *v, const char *want)
{
	char buf[4096];
	OK(mgr_value_repr(v, buf, sizeof(buf)));
	if (strcmp(buf, want) != 0) {
		fail_msg("repr: got %s, want %s", buf, want);
	}
}

static int64_t
info(mgr_client *c, const char *key)
{
	int64_t v = -1;
	OK(h_info_int(c, key, &v));
	return v;
}

static void
await_info(const char *key, int64_t want)
{
	int64_t last = -1;
	if (h_info_await(F.good, key, NULL, want, WAIT_MS, &last) != 0) {
		fail_msg("mgr_info %s: %" PRId64
		         " after %d ms, want %" PRId64,
		    key, last, WAIT_MS, want);
	}
}

/* The good client still works and its objects hold what they held. */
static void
check_good(void)
{
	mgr_value v;
	OK(mgr_dict_copy(F.gd, &v));
	char want[128];
	snprintf(want, sizeof(want), "{'k': 'v', 'ctr': %" PRId64 "}", F.ctr);
	assert_repr(&v, want);
	mgr_value_free(&v);
	OK(mgr_list_copy(F.gl, &v));
	assert_repr(&v, "[1, 2, 3]");
	mgr_value_free(&v);
	OK(mgr_dict_incr(F.gd, mgr_str("ctr"), mgr_int(1), &v));
	F.ctr++;
	assert_int_equal(v.kind, MGR_INT);
	assert_int_equal(v.i, F.ctr);
	mgr_value_free(&v);
}

/* ---- fixtures ---------------------------------------------------------- */

static int
group_setup(h_transport t)
{
	char        maxmsg[16];
	const char *extra[] = { "--max-message", maxmsg, NULL };
	snprintf(maxmsg, sizeof(maxmsg), "%d", MAXMSG);
	h_watchdog_arm(60, "the group setup");
	memset(&F, 0, sizeof(F));
	F.t = t;
	if (h_managerd_start(&F.m, t, extra) != 0) {
		return -1;
	}
	if (h_connect(&F.m, &F.good) != 0 || mgr_dict_new(F.good, &F.gd) != 0
	    || mgr_list_new(F.good, &F.gl) != 0
	    || mgr_dict_set(F.gd, mgr_str("k"), mgr_str("v")) != 0
	    || mgr_dict_set(F.gd, mgr_str("ctr"), mgr_int(0)) != 0) {
		h_managerd_cleanup(&F.m);
		return -1;
	}
	for (int i = 1; i <= 3; i++) {
		if (mgr_list_append(F.gl, mgr_int(i)) != 0) {
			return -1;
		}
	}
	return 0;
}

static int
group_setup_ipc(void **state)
{
	(void) state;
	return group_setup(H_IPC);
}

static int
group_setup_tcp(void **state)
{
	(void) state;
	return group_setup(H_TCP);
}

static int
group_setup_nng_tcp(void **state)
{
	(void) state;
	return group_setup(H_NNG_TCP);
}

static int
group_teardown(void **state)
{
	(void) state;
	h_watchdog_arm(60, "the group teardown");
	mgr_obj_release(F.gd);
	mgr_obj_release(F.gl);
	mgr_disconnect(F.good);
	int code = h_managerd_stop(&F.m);
	h_watchdog_disarm();
	return code == 0 ? 0 : -1;
}

static int
test_setup(void **state)
{
	(void) state;
	// Every test is bounded, even where a library call might not be.
	h_watchdog_arm(60, "the test of the last [ RUN ] line");
	if (h_info_int(F.good, "objects_total", &F.objects0) != 0
	    || h_info_int(F.good, "sessions", &F.sessions0) != 0) {
		return -1;
	}
	return 0;
}

/* The faulty connections are gone and nothing of theirs is left. */
static int
test_teardown(void **state)
{
	(void) state;
	if (h_info_await_baseline(F.good, F.sessions0, F.objects0, WAIT_MS)
	    != 0) {
		return -1;
	}
	return 0;
}

/* ---- the wire by hand -------------------------------------------------- */

/* The server closes fd without sending one more frame. */
static void
assert_closed_silently(int fd)
{
	uint8_t buf[512];
	size_t  n;
	int     r = h_raw_recv_frame(fd, buf, sizeof(buf), &n, WAIT_MS);
	if (r == 0) {
		fail_msg("got a frame of %zu bytes instead of a close", n);
	}
	if (r == -2) {
		fail_msg("the connection is still open after %d ms", WAIT_MS);
	}
}

/* Deterministic pseudo-random bytes. */
static void
fill_garbage(uint8_t *b, size_t n, uint32_t seed)
{
	uint32_t x = seed ? seed : 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (uint8_t) x;
	}
}

/* ---- authentication ---------------------------------------------------- */

static void
test_wrong_authkey(void **state)
{
	(void) state;
	mgr_client *c = NULL;
	mgr_opts    o = h_opts(&F.m);
	char        wrong[65];

	memcpy(wrong, F.m.key, sizeof(wrong));
	wrong[0]  = wrong[0] == 'a' ? 'b' : 'a';
	o.authkey = wrong;
	ERR(MGR_EAUTH, mgr_connect(&c, F.m.url, &o));
	assert_null(c);
	// The key file's trailing newline is not part of the key.
	char nl[66];
	snprintf(nl, sizeof(nl), "%s\n", F.m.key);
	o.authkey     = nl;
	o.authkey_len = 65;
	ERR(MGR_EAUTH, mgr_connect(&c, F.m.url, &o));
	// A prefix of the key is not the key.
	o.authkey     = F.m.key;
	o.authkey_len = 63;
	ERR(MGR_EAUTH, mgr_connect(&c, F.m.url, &o));
	assert_true(
	    h_managerd_log_has(&F.m, "authentication failed", WAIT_MS));

	// No key at all: a bad argument, found before connecting.
	unsetenv("MGR_AUTHKEY");
	ERR(MGR_EINVAL, mgr_connect(&c, F.m.url, NULL));
	mgr_opts none = { 0 };
	ERR(MGR_EINVAL, mgr_connect(&c, F.m.url, &none));
	none.authkey = F.m.key; // a key of length 0
	ERR(MGR_EINVAL, mgr_connect(&c, F.m.url, &none));
	assert_null(c);

	// MGR_AUTHKEY is the key when opts give none.
	setenv("MGR_AUTHKEY", wrong, 1);
	ERR(MGR_EAUTH, mgr_connect(&c, F.m.url, NULL));
	setenv("MGR_AUTHKEY", F.m.key, 1);
	OK(mgr_connect(&c, F.m.url, NULL));
	mgr_obj *x;
	OK(mgr_dict_new(c, &x));
	OK(mgr_obj_release(x));
	OK(mgr_disconnect(c));
	unsetenv("MGR_AUTHKEY");

	// By hand: a wrong proof gets a Welcome saying MGR_EAUTH, then the
	// connection closes, and no request is served.
	int fd = h_raw_connect(F.m.url);
	assert_true(fd >= 0);
	assert_int_equal(h_wire_auth(fd, wrong, 64, NULL), MGR_EAUTH);
	Mgr__Request rq = MGR__REQUEST__INIT;
	rq.id           = 1;
	rq.op           = MGR__OP__OP_PING;
	h_wire_send(fd, &rq.base); // may fail: the server may be gone
	assert_closed_silently(fd);
	close(fd);

	check_good();
}

/* ---- garbage ----------------------------------------------------------- */

static void
test_garbage_before_auth(void **state)
{
	(void) state;
	uint8_t nonce[AUTH_NONCE_LEN];
	uint8_t junk[64];

	// A length-prefixed body that is no Auth.
	fill_garbage(junk, sizeof(junk), 12345);
	Mgr__Auth *a = mgr__auth__unpack(NULL, sizeof(junk), junk);
	assert_true(a == NULL || a->digest.len != AUTH_DIGEST_LEN
	    || a->nonce.len != AUTH_NONCE_LEN);
	if (a != NULL) {
		mgr__auth__free_unpacked(a, NULL);
	}
	int fd = h_raw_connect(F.m.url);
	assert_true(fd >= 0);
	h_wire_hello(fd, nonce);
	assert_int_equal(
	    h_raw_send_frame(fd, junk, sizeof(junk), WAIT_MS), 0);
	assert_closed_silently(fd);
	close(fd);
	assert_true(h_managerd_log_has(&F.m, "malformed handshake", WAIT_MS));

	// An undecodable body (wire type 7) before the handshake.
	static const uint8_t bad[] = { 0x0f, 0xff, 0xff, 0xff };
	assert_null(mgr__auth__unpack(NULL, sizeof(bad), bad));
	fd = h_raw_connect(F.m.url);
	assert_true(fd >= 0);
	assert_int_equal(h_raw_send_frame(fd, bad, sizeof(bad), WAIT_MS), 0);
	h_wire_hello(fd, nonce);
	assert_closed_silently(fd);
	close(fd);

	// A request instead of the handshake: not served.
	Mgr__Request rq = MGR__REQUEST__INIT;
	rq.id           = 7;
	rq.op           = MGR__OP__OP_INFO;
	fd              = h_raw_connect(F.m.url);
	assert_true(fd >= 0);
	h_wire_hello(fd, nonce);
	assert_int_equal(h_wire_send(fd, &rq.base), 0);
	assert_closed_silently(fd);
	close(fd);

	// Random bytes without reading anything.
	fd = h_raw_connect(F.m.url);
	assert_true(fd >= 0);
	fill_garbage(junk, sizeof(junk), 777);
	junk[0] = 0x80; // a length far over the limit
	assert_int_equal(h_raw_send(fd, junk, sizeof(junk), WAIT_MS), 0);
	assert_int_equal(h_raw_await_close(fd, WAIT_MS), 0);
	close(fd);

	check_good();
}

static void
test_garbage_after_auth(void **state)
{
	(void) state;
	int fd = h_wire_session(&F.m, NULL);
	h_wire_ping(fd, 1);

	// Requests the manager refuses but answers: the session goes on.
	Mgr__Request rq = MGR__REQUEST__INIT;
	rq.id           = 2;
	rq.op           = (Mgr__Op) 250; // no such operation
	Mgr__Reply *rp  = h_wire_call(fd, &rq);
	assert_int_equal(rp->status, MGR_EPROTO);
	mgr__reply__free_unpacked(rp, NULL);

	rq.id     = 3;
	rq.op     = MGR__OP__OP_DICT_LEN;
	rq.target = 1u << 30; // no such object
	rp        = h_wire_call(fd, &rq);
	assert_int_equal(rp->status, MGR_ENOOBJ);
	mgr__reply__free_unpacked(rp, NULL);

	// The manager checks the target's type itself.
	Mgr__Value  v      = MGR__VALUE__INIT;
	Mgr__Value *args[] = { &v };
	v.kind_case        = MGR__VALUE__KIND_I;
	v.i                = 5;
	rq.id              = 4;
	rq.op              = MGR__OP__OP_LIST_APPEND;
	rq.target          = mgr_obj_id(F.gd);
	rq.secret          = F.gd->secret;
	rq.args            = args;
	rq.n_args          = 1;
	rp                 = h_wire_call(fd, &rq);
	assert_int_equal(rp->status, MGR_ETYPE);
	mgr__reply__free_unpacked(rp, NULL);

	// And the number of arguments.
	rq.id     = 5;
	rq.op     = MGR__OP__OP_DICT_LEN;
	rq.target = mgr_obj_id(F.gd);
	rq.secret = F.gd->secret;
	rp        = h_wire_call(fd, &rq);
	assert_int_equal(rp->status, MGR_EINVAL);
	mgr__reply__free_unpacked(rp, NULL);

	// A value without a kind is malformed.
	v.kind_case = MGR__VALUE__KIND__NOT_SET;
	rq.id       = 6;
	rq.op       = MGR__OP__OP_DICT_GET;
	rp          = h_wire_call(fd, &rq);
	assert_int_equal(rp->status, MGR_EPROTO);
	mgr__reply__free_unpacked(rp, NULL);
	h_wire_ping(fd, 7);

	// An undecodable request closes the connection.
	static const uint8_t bad[] = { 0x0f, 0xff, 0xff, 0xff };
	assert_null(mgr__request__unpack(NULL, sizeof(bad), bad));
	assert_int_equal(h_raw_send_frame(fd, bad, sizeof(bad), WAIT_MS), 0);
	assert_closed_silently(fd);
	close(fd);
	assert_true(h_managerd_log_has(&F.m, "undecodable frame", WAIT_MS));

	// So does random junk with a plausible length.
	uint8_t junk[200];
	fill_garbage(junk, sizeof(junk), 4242);
	junk[0] = 0x0f; // whatever follows, wire type 7 first
	assert_null(mgr__request__unpack(NULL, sizeof(junk), junk));
	fd = h_wire_session(&F.m, NULL);
	assert_int_equal(
	    h_raw_send_frame(fd, junk, sizeof(junk), WAIT_MS), 0);
	assert_closed_silently(fd);
	close(fd);

	check_good();
}

/* ---- size limits ------------------------------------------------------- */

static void
test_oversized_frame(void **state)
{
	(void) state;
	uint8_t nonce[AUTH_NONCE_LEN];

	// After the handshake: a length prefix one over the limit closes the
	// connection without waiting for the body.
	int     fd     = h_wire_session(&F.m, NULL);
	uint8_t hdr[4] = { 0, 0, (MAXMSG + 1) >> 8, (MAXMSG + 1) & 0xff };
	assert_int_equal(h_raw_send(fd, hdr, 4, WAIT_MS), 0);
	assert_closed_silently(fd);
	close(fd);
	assert_true(
	    h_managerd_log_has(&F.m, "frame over the size limit", WAIT_MS));

	// Before it too.
	fd = h_raw_connect(F.m.url);
	assert_true(fd >= 0);
	h_wire_hello(fd, nonce);
	uint8_t huge[4] = { 0xff, 0xff, 0xff, 0xff };
	assert_int_equal(h_raw_send(fd, huge, 4, WAIT_MS), 0);
	assert_closed_silently(fd);
	close(fd);

	// A frame of exactly the limit is served.
	fd                = h_wire_session(&F.m, NULL);
	Mgr__Request rq   = MGR__REQUEST__INIT;
	char        *name = malloc(MAXMSG);
	size_t       nlen = MAXMSG - 16;
	rq.id             = 9;
	rq.op             = MGR__OP__OP_PING;
	assert_non_null(name);
	for (;;) {
		memset(name, 'x', nlen);
		name[nlen] = '\0';
		rq.name    = name;
		size_t sz  = mgr__request__get_packed_size(&rq);
		if (sz == MAXMSG) {
			break;
		}
		assert_true(sz < MAXMSG);
		nlen++;
	}
	Mgr__Reply *rp = h_wire_call(fd, &rq);
	assert_int_equal(rp->status, 0);
	mgr__reply__free_unpacked(rp, NULL);
	// One byte more is not.
	name[nlen]     = 'x';
	name[nlen + 1] = '\0';
	size_t sz      = mgr__request__get_packed_size(&rq);
	assert_int_equal(sz, MAXMSG + 1);
	uint8_t *frame = malloc(4 + sz);
	assert_non_null(frame);
	wire_put_len(frame, (uint32_t) sz);
	mgr__request__pack(&rq, frame + 4);
	assert_int_equal(h_raw_send(fd, frame, 4, WAIT_MS), 0);
	// The manager may close before it has the body: don't insist.
	h_raw_send(fd, frame + 4, sz, WAIT_MS);
	free(frame);
	assert_closed_silently(fd);
	close(fd);
	free(name);

	check_good();
}

/* Through the library: a reply over the limit is refused with
 * MGR_ETOOBIG and the session goes on. */
static void
test_reply_over_limit(void **state)
{
	(void) state;
	mgr_client *c;
	mgr_obj    *d;
	mgr_value   v;
	size_t      n;
	char       *s = malloc(3001);
	assert_non_null(s);
	memset(s, 'y', 3000);
	s[3000] = '\0';
	OK(h_connect(&F.m, &c));
	OK(mgr_dict_new(c, &d));
	OK(mgr_dict_set(d, mgr_int(1), mgr_str(s)));
	OK(mgr_dict_set(d, mgr_int(2), mgr_str(s)));
	ERR(MGR_ETOOBIG, mgr_dict_copy(d, &v));
	ERR(MGR_ETOOBIG, mgr_dict_values(d, &v));
	OK(mgr_dict_len(d, &n));
	assert_int_equal(n, 2);
	OK(mgr_dict_get(d, mgr_int(1), &v));
	assert_int_equal(v.len, 3000);
	mgr_value_free(&v);
	OK(mgr_obj_release(d));
	OK(mgr_disconnect(c));
	free(s);
	check_good();
}

/* Through the library: a request over the manager's limit (which the
 * Welcome announced) fails; the manager serves on. */
static void
test_request_over_limit(void **state)
{
	(void) state;
	mgr_client *c;
	mgr_obj    *d;
	size_t      n;
	uint8_t    *b = calloc(1, 2 * MAXMSG);
	assert_non_null(b);
	OK(h_connect(&F.m, &c));
	OK(mgr_dict_new(c, &d));
	int rv = mgr_dict_set(d, mgr_int(1), mgr_bytes(b, 2 * MAXMSG));
	if (rv != MGR_ETOOBIG) {
		fail_msg(
		    "a request over the manager's %d byte limit: %s, want "
		    "MGR_ETOOBIG",
		    MAXMSG, mgr_strerror(rv));
	}
	// Refused before sending: the connection is still good.
	OK(mgr_dict_len(d, &n));
	assert_int_equal(n, 0);
	OK(mgr_obj_release(d));
	OK(mgr_disconnect(c));
	free(b);
	check_good();
}

/* ---- silent connections ------------------------------------------------ */

static void
test_silent_clients(void **state)
{
	(void) state;
	int     fds[5];
	uint8_t nonce[AUTH_NONCE_LEN];

	// Two connect and say nothing, one reads the Hello and says nothing,
	// one sends half a length prefix, one a prefix and part of a body.
	for (size_t i = 0; i < countof(fds); i++) {
		fds[i] = h_raw_connect(F.m.url);
		assert_true(fds[i] >= 0);
	}
	h_wire_hello(fds[2], nonce);
	uint8_t half[2] = { 0, 0 };
	assert_int_equal(h_raw_send(fds[3], half, 2, WAIT_MS), 0);
	uint8_t part[14] = { 0, 0, 0, 100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	assert_int_equal(h_raw_send(fds[4], part, sizeof(part), WAIT_MS), 0);
	await_info("sessions", F.sessions0 + (int64_t) countof(fds));

	// Others are served meanwhile, promptly.
	int64_t t0 = h_now_ms();
	check_good();
	mgr_client *c;
	mgr_obj    *d;
	mgr_value   v;
	OK(h_connect(&F.m, &c));
	OK(mgr_dict_new(c, &d));
	OK(mgr_dict_set(d, mgr_str("x"), mgr_int(1)));
	OK(mgr_dict_get(d, mgr_str("x"), &v));
	assert_repr(&v, "1");
	OK(mgr_obj_release(d));
	OK(mgr_disconnect(c));
	int64_t dt = h_now_ms() - t0;
	if (dt > 3000) {
		fail_msg("serving others took %" PRId64 " ms", dt);
	}
	// Their connections are still open (not closed for others' sake).
	char b;
	for (size_t i = 0; i < countof(fds); i++) {
		// The Hello waiting, or nothing yet: not an end of file or a
		// reset.
		ssize_t r = recv(fds[i], &b, 1, MSG_PEEK);
		assert_true(r == 1 || (r < 0 && errno == EAGAIN));
	}
	for (size_t i = 0; i < countof(fds); i++) {
		close(fds[i]);
	}
}

/* ---- a client killed mid-session --------------------------------------- */

static void
spawn_holder(h_child *ch, const char *name, char *dtok, char *ltok)
{
	char url[600], key[100], line[256];
	snprintf(url, sizeof(url), "MGR_URL=%s", F.m.url);
	snprintf(key, sizeof(key), "MGR_AUTHKEY=%s", F.m.key);
	const char *env[]  = { url, key, NULL };
	char       *argv[] = { MGR_CHILD_HOLDER, (char *) name, NULL };
	assert_int_equal(
	    h_spawn(ch, MGR_CHILD_HOLDER, argv, env, H_PIPE_IN | H_PIPE_OUT),
	    0);
	int r = h_child_read_line(ch, line, sizeof(line), 30000);
	if (r != 0) {
		h_child_wait(ch, 1000);
		fail_msg("child_holder did not get ready (%d)", r);
	}
	assert_int_equal(sscanf(line, "ready %63s %63s", dtok, ltok), 2);
}

static void
test_client_killed(void **state)
{
	(void) state;
	mgr_obj  *named, *x;
	mgr_value v;
	h_child   ch;
	char      dtok[64], ltok[64];

	OK(mgr_dict_new(F.good, &named));
	OK(mgr_name_set(F.good, "faults.shared", named));
	spawn_holder(&ch, "faults.shared", dtok, ltok);
	pid_t child = ch.pid;

	// The child's session and its two objects are there.
	await_info("sessions", F.sessions0 + 1);
	assert_int_equal(info(F.good, "objects_total"), F.objects0 + 3);
	OK(mgr_attach(F.good, ltok, &x));
	OK(mgr_obj_release(x));

	assert_int_equal(h_child_signal(&ch, SIGKILL), 0);
	assert_int_equal(h_child_wait(&ch, WAIT_MS), 128 + SIGKILL);

	// Its session ends on the manager, and its unnamed objects with it
	// (the list too, held only by the dict).
	await_info("sessions", F.sessions0);
	await_info("objects_total", F.objects0 + 1);
	ERR(MGR_ENOOBJ, mgr_attach(F.good, dtok, &x));
	ERR(MGR_ENOOBJ, mgr_attach(F.good, ltok, &x));
	// What it wrote into the named object stays.
	OK(mgr_dict_get(named, mgr_str("child"), &v));
	assert_int_equal(v.kind, MGR_INT);
	assert_int_equal(v.i, child);
	mgr_value_free(&v);

	// A child that ends cleanly frees the same way.
	spawn_holder(&ch, "faults.shared", dtok, ltok);
	assert_int_equal(info(F.good, "objects_total"), F.objects0 + 3);
	assert_int_equal(h_child_wait(&ch, WAIT_MS), 0);
	await_info("objects_total", F.objects0 + 1);

	OK(mgr_name_del(F.good, "faults.shared"));
	OK(mgr_obj_release(named));
	check_good();
}

/* SIGTERM with clients and half-open connections: a clean, prompt exit, and
 * the clients learn it. */
static void
test_stop_with_clients(void **state)
{
	(void) state;
	h_managerd  m;
	mgr_client *c;
	mgr_obj    *d;
	size_t      n;
	assert_int_equal(h_managerd_start(&m, F.t, NULL), 0);
	int fd = h_raw_connect(m.url);
	assert_true(fd >= 0);
	OK(h_connect(&m, &c));
	OK(mgr_dict_new(c, &d));
	OK(mgr_dict_set(d, mgr_int(1), mgr_int(2)));
	int64_t t0 = h_now_ms();
	assert_int_equal(h_managerd_stop(&m), 0);
	assert_true(h_now_ms() - t0 < 5000);
	ERR(MGR_ECONN, mgr_dict_len(d, &n));
	assert_int_equal(h_raw_await_close(fd, WAIT_MS), 0);
	close(fd);
	OK(mgr_obj_release(d));
	OK(mgr_disconnect(c));
}

/* ---- main -------------------------------------------------------------- */

#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

int
main(void)
{
	// The key must come from where each test says.
	unsetenv("MGR_AUTHKEY");
	unsetenv("MGR_URL");
	const struct CMUnitTest tests[] = {
		T(test_wrong_authkey),
		T(test_garbage_before_auth),
		T(test_garbage_after_auth),
		T(test_oversized_frame),
		T(test_reply_over_limit),
		T(test_request_over_limit),
		T(test_silent_clients),
		T(test_client_killed),
		T(test_stop_with_clients),
	};
	int failed = 0;
	failed += cmocka_run_group_tests_name(
	    "faults over ipc", tests, group_setup_ipc, group_teardown);
	failed += cmocka_run_group_tests_name(
	    "faults over tcp", tests, group_setup_tcp, group_teardown);
	failed += cmocka_run_group_tests_name("faults over nng tcp", tests,
	    group_setup_nng_tcp, group_teardown);
	return failed == 0 ? 0 : 1;
}
