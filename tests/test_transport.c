/* The transport (common/sock.c, manager/conn.c) against a real managerd.
 *
 * - ipc sockets: a socket file left by a killed manager is replaced by the
 *   next one; the socket of a live manager (or its tcp port) is not taken
 *   over, and the live manager serves on; a path that is not a socket is
 *   not removed.
 * - URLs: port 0, "*" and empty hosts, tcp4:// and tcp6:// ("[::1]"
 *   literals), "*" and empty hosts reaching both 127.0.0.1 and [::1]
 *   (dual stack), malformed URLs (MGR_EINVAL with a detail, managerd exiting
 *   1), refused connections (MGR_ECONN, promptly).
 * - One event loop serving everyone (--io-threads 1 over ipc, 3 over tcp):
 *   clients that pipeline requests for megabytes of replies and do not
 *   read stall nobody, get every reply intact once they read, and are
 *   cleaned up when they close instead; 300 clients at once; silent
 *   connections in the handshake stall nobody; a client that sends
 *   requests and never reads is no longer read once TX_HIGH of replies
 *   wait for it (its sends block, the manager's memory stays bounded).
 * - Out of descriptors: the manager waits for some to close (no busy
 *   loop), then accepts the connections that waited.
 *
 * The raw-socket tests speak the wire by hand (frames of a 4-byte
 * big-endian length and a protobuf message; Hello/Auth/Welcome with the
 * HMAC of common/auth.h). Every wait is bounded.
 */
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
#include "manager.pb-c.h"
#include "wire.h"

#define WAIT_MS 5000
#define MAXMSG  ((size_t) 64 << 20) /* managerd's default */
#define BIG     ((size_t) 1 << 20)  /* a big value: 1 MiB */
#define NBIG    4                   /* big values, of distinct content */
#define NSLOW   3 /* clients that do not read (one per loop over tcp) */
#define NGETS                                                                \
	7 /* pipelined gets of a big value each (7 MiB: under                \
	   * the 8 MiB a reader may be behind; see backpressure) */
#define NCALLS     100
#define NCONN      300
#define SERVE_MS   5000 /* bound on others' calls while one is stalled */
#define PROMPT_MS  2000 /* "at once" (a refused connection) */
#define CONNECT_MS 10000

/* ---- helpers ----------------------------------------------------------- */

static void
assert_has(const char *out, const char *needle)
{
	if (strstr(out, needle) == NULL) {
		fail_msg("output lacks \"%s\":\n%s", needle, out);
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
await_info(mgr_client *c, const char *key, int64_t want)
{
	int64_t last = -1;
	if (h_info_await(c, key, NULL, want, WAIT_MS, &last) != 0) {
		fail_msg("mgr_info %s: %" PRId64
		         " after %d ms, want %" PRId64,
		    key, last, WAIT_MS, want);
	}
}

/* A client connects to url with o and makes, uses and releases a dict. */
static void
assert_serves(const char *url, const mgr_opts *o)
{
	mgr_client *c = NULL;
	mgr_obj    *d;
	mgr_value   v;
	int         rv = mgr_connect(&c, url, o);
	if (rv != 0) {
		fail_msg("mgr_connect %s: %s (%s)", url, mgr_strerror(rv),
		    mgr_errdetail());
	}
	OK(mgr_dict_new(c, &d));
	OK(mgr_dict_set(d, mgr_str("x"), mgr_int(42)));
	OK(mgr_dict_get(d, mgr_str("x"), &v));
	assert_int_equal(v.kind, MGR_INT);
	assert_int_equal(v.i, 42);
	mgr_value_free(&v);
	OK(mgr_obj_release(d));
	OK(mgr_disconnect(c));
}

/* The port of the URL managerd printed as bound for a --listen URL whose
 * port was 0: the line must be prefix (that URL less its "0") and a port.
 * -1 if there is no such line. */
static int
printed_port(const h_managerd *m, const char *prefix)
{
	static const char lead[] = "managerd: listening on ";
	FILE             *f      = fopen(m->logfile, "r");
	char              line[1024];
	int               port = -1;
	assert_non_null(f);
	while (port < 0 && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, lead, sizeof(lead) - 1) != 0) {
			continue;
		}
		const char *u = line + sizeof(lead) - 1;
		if (strncmp(u, prefix, strlen(prefix)) != 0) {
			continue;
		}
		char *end;
		long  p = strtol(u + strlen(prefix), &end, 10);
		if ((*end == '\n' || *end == '\0') && p > 0 && p <= 65535) {
			port = (int) p;
		}
	}
	fclose(f);
	return port;
}

/* True once managerd's log has a line containing both a and b. */
static bool
log_line_has(const h_managerd *m, const char *a, const char *b, int ms)
{
	int64_t deadline = h_now_ms() + ms;
	for (;;) {
		FILE *f = fopen(m->logfile, "r");
		if (f != NULL) {
			char line[1024];
			bool found = false;
			while (
			    !found && fgets(line, sizeof(line), f) != NULL) {
				found = strstr(line, a) != NULL
				    && strstr(line, b) != NULL;
			}
			fclose(f);
			if (found) {
				return true;
			}
		}
		if (h_now_ms() >= deadline) {
			return false;
		}
		h_nap(10);
	}
}

/* Runs managerd with args (no MGR_AUTHKEY); its exit code, output in out. */
static int
run_managerd(const char *const *args, char *out, size_t cap)
{
	const char *argv[16] = { h_managerd_path() };
	size_t      n        = 1;
	for (; args[n - 1] != NULL && n < countof(argv) - 1; n++) {
		argv[n] = args[n - 1];
	}
	argv[n]                 = NULL;
	const char *const env[] = { "MGR_AUTHKEY", NULL };
	return h_run(h_managerd_path(), (char *const *) argv, env,
	    H_ERR_TO_OUT, 10000, out, cap);
}

/* A private directory with a key file ("secret"). */
static void
make_keydir(char *dir, size_t dcap, char *keyfile, size_t kcap)
{
	snprintf(dir, dcap, "/tmp/mgrtest-tr-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(keyfile, kcap, "%s/key", dir);
	FILE *f = fopen(keyfile, "w");
	assert_non_null(f);
	fputs("secret\n", f);
	fclose(f);
}

/* ---- the wire by hand -------------------------------------------------- */

static int
raw_send_msg(int fd, const ProtobufCMessage *m)
{
	size_t   n = protobuf_c_message_get_packed_size(m);
	uint8_t *b = malloc(n ? n : 1);
	if (b == NULL) {
		return -1;
	}
	protobuf_c_message_pack(m, b);
	int rv = h_raw_send_frame(fd, b, n, WAIT_MS);
	free(b);
	return rv;
}

/* Reads the server's Hello; its nonce goes to nonce. */
static void
raw_hello(int fd, uint8_t nonce[AUTH_NONCE_LEN])
{
	uint8_t buf[512];
	size_t  n;
	int     r = h_raw_recv_frame(fd, buf, sizeof(buf), &n, WAIT_MS);
	if (r != 0) {
		fail_msg("no Hello from the manager: %s",
		    r == -2 ? "timed out" : "end of file or error");
	}
	Mgr__Hello *h = mgr__hello__unpack(NULL, n, buf);
	assert_non_null(h);
	assert_int_equal(h->version, AUTH_VERSION);
	assert_int_equal(h->nonce.len, AUTH_NONCE_LEN);
	memcpy(nonce, h->nonce.data, AUTH_NONCE_LEN);
	mgr__hello__free_unpacked(h, NULL);
}

/* A raw connection to m, authenticated by hand with m's key; *session
 * gets the session id of the Welcome. */
static int
raw_session(const h_managerd *m, uint64_t *session)
{
	uint8_t snonce[AUTH_NONCE_LEN], cnonce[AUTH_NONCE_LEN];
	uint8_t digest[AUTH_DIGEST_LEN], expect[AUTH_DIGEST_LEN];
	uint8_t buf[512];
	size_t  n;
	int     fd = h_raw_connect(m->url);
	assert_true(fd >= 0);

	raw_hello(fd, snonce);
	assert_int_equal(auth_digest(m->key, m->keylen, AUTH_CLIENT_LABEL,
	                     snonce, sizeof(snonce), digest),
	    0);
	assert_int_equal(auth_random(cnonce, sizeof(cnonce)), 0);
	Mgr__Auth a   = MGR__AUTH__INIT;
	a.version     = AUTH_VERSION;
	a.digest.data = digest;
	a.digest.len  = sizeof(digest);
	a.nonce.data  = cnonce;
	a.nonce.len   = sizeof(cnonce);
	a.client      = "test_transport raw";
	assert_int_equal(raw_send_msg(fd, &a.base), 0);

	assert_int_equal(
	    h_raw_recv_frame(fd, buf, sizeof(buf), &n, WAIT_MS), 0);
	Mgr__Welcome *w = mgr__welcome__unpack(NULL, n, buf);
	assert_non_null(w);
	assert_int_equal(w->status, 0);
	assert_int_equal(auth_digest(m->key, m->keylen, AUTH_SERVER_LABEL,
	                     cnonce, sizeof(cnonce), expect),
	    0);
	assert_int_equal(w->digest.len, AUTH_DIGEST_LEN);
	assert_memory_equal(w->digest.data, expect, AUTH_DIGEST_LEN);
	assert_true(w->session > 0);
	assert_int_equal(w->max_message, MAXMSG);
	*session = w->session;
	mgr__welcome__free_unpacked(w, NULL);
	return fd;
}

/* A ping round trip on fd. */
static void
raw_ping(int fd, uint64_t id)
{
	Mgr__Request rq = MGR__REQUEST__INIT;
	uint8_t      buf[512];
	size_t       n;
	rq.id = id;
	rq.op = MGR__OP__OP_PING;
	assert_int_equal(raw_send_msg(fd, &rq.base), 0);
	assert_int_equal(
	    h_raw_recv_frame(fd, buf, sizeof(buf), &n, WAIT_MS), 0);
	Mgr__Reply *rp = mgr__reply__unpack(NULL, n, buf);
	assert_non_null(rp);
	assert_true(rp->id == id);
	assert_int_equal(rp->status, 0);
	mgr__reply__free_unpacked(rp, NULL);
}

/* The connection is open and has nothing to read (not an end of file). */
static void
assert_open_and_quiet(int fd)
{
	char    b;
	ssize_t r = recv(fd, &b, 1, MSG_DONTWAIT);
	if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
		fail_msg("recv on a quiet open connection: %zd (%s)", r,
		    r < 0        ? strerror(errno)
		        : r == 0 ? "end of file"
		                 : "data");
	}
}

/* ---- big values -------------------------------------------------------- */

static char *bigs[NBIG];

/* Value k: BIG printable bytes of a pattern of its own. */
static char *
big_make(int k)
{
	char *s = malloc(BIG + 1);
	if (s == NULL) {
		return NULL;
	}
	for (size_t j = 0; j < BIG; j++) {
		s[j] = (char) ('a'
		    + (j * 13 + j / 4099 + (size_t) k * 5) % 26);
	}
	s[BIG] = '\0';
	return s;
}

/* Pipelines n gets of the big values of dict target ("big<i % NBIG>"),
 * request ids 1..n, in one write. */
static void
raw_send_gets(int fd, uint64_t target, int n)
{
	size_t   len = 0, cap = 4096 + (size_t) n * 64;
	uint8_t *buf = malloc(cap);
	assert_non_null(buf);
	for (int i = 0; i < n; i++) {
		char key[16];
		snprintf(key, sizeof(key), "big%d", i % NBIG);
		Mgr__Value  v      = MGR__VALUE__INIT;
		Mgr__Value *args[] = { &v };
		v.kind_case        = MGR__VALUE__KIND_S;
		v.s                = key;
		Mgr__Request rq    = MGR__REQUEST__INIT;
		rq.id              = (uint64_t) i + 1;
		rq.op              = MGR__OP__OP_DICT_GET;
		rq.target          = target;
		rq.args            = args;
		rq.n_args          = 1;
		size_t sz          = mgr__request__get_packed_size(&rq);
		assert_true(len + 4 + sz <= cap);
		wire_put_len(buf + len, (uint32_t) sz);
		mgr__request__pack(&rq, buf + len + 4);
		len += 4 + sz;
	}
	assert_int_equal(h_raw_send(fd, buf, len, WAIT_MS), 0);
	free(buf);
}

/* Reads the n replies of raw_send_gets: in order, each whole. */
static void
raw_read_gets(int fd, int n)
{
	size_t   cap = BIG + 1024;
	uint8_t *buf = malloc(cap);
	assert_non_null(buf);
	for (int i = 0; i < n; i++) {
		size_t len = 0;
		int    r   = h_raw_recv_frame(fd, buf, cap, &len, WAIT_MS);
		if (r != 0) {
			fail_msg("reply %d of %d: %s", i + 1, n,
			    r == -2 ? "timed out" : "end of file or error");
		}
		Mgr__Reply *rp = mgr__reply__unpack(NULL, len, buf);
		assert_non_null(rp);
		assert_true(rp->id == (uint64_t) i + 1);
		assert_int_equal(rp->status, 0);
		assert_non_null(rp->result);
		assert_int_equal(rp->result->kind_case, MGR__VALUE__KIND_S);
		assert_int_equal(strlen(rp->result->s), BIG);
		if (memcmp(rp->result->s, bigs[i % NBIG], BIG) != 0) {
			fail_msg("reply %d: big%d's content differs", i + 1,
			    i % NBIG);
		}
		mgr__reply__free_unpacked(rp, NULL);
	}
	free(buf);
}

/* ---- a group's manager: one client, a dict with the big values --------- */

typedef struct fixture {
	h_transport t;
	h_managerd  m;
	mgr_client *good;
	mgr_obj    *gd; /* "k": "v", "ctr": counter, "big0".."big3" */
	int64_t     ctr;
	int64_t     objects0; /* at the start of each test */
	int64_t     sessions0;
} fixture;

static fixture F;

/* The good client works, and its dict holds what it held. */
static void
check_good(void)
{
	mgr_value v;
	size_t    n;
	OK(mgr_dict_get(F.gd, mgr_str("k"), &v));
	assert_int_equal(v.kind, MGR_STR);
	assert_string_equal(v.s, "v");
	mgr_value_free(&v);
	OK(mgr_dict_incr(F.gd, mgr_str("ctr"), mgr_int(1), &v));
	F.ctr++;
	assert_int_equal(v.kind, MGR_INT);
	assert_int_equal(v.i, F.ctr);
	mgr_value_free(&v);
	OK(mgr_dict_len(F.gd, &n));
	assert_int_equal(n, NBIG + 2);
}

static int
group_setup(h_transport t, const char *io_threads)
{
	const char *extra[] = { "--io-threads", io_threads, NULL };
	h_watchdog_arm(60, "the group setup");
	memset(&F, 0, sizeof(F));
	F.t = t;
	for (int k = 0; k < NBIG; k++) {
		if (bigs[k] == NULL && (bigs[k] = big_make(k)) == NULL) {
			return -1;
		}
	}
	if (h_managerd_start(&F.m, t, extra) != 0) {
		return -1;
	}
	if (h_connect(&F.m, &F.good) != 0 || mgr_dict_new(F.good, &F.gd) != 0
	    || mgr_dict_set(F.gd, mgr_str("k"), mgr_str("v")) != 0
	    || mgr_dict_set(F.gd, mgr_str("ctr"), mgr_int(0)) != 0) {
		h_managerd_cleanup(&F.m);
		return -1;
	}
	for (int k = 0; k < NBIG; k++) {
		char key[16];
		snprintf(key, sizeof(key), "big%d", k);
		if (mgr_dict_set(F.gd, mgr_str(key), mgr_str(bigs[k])) != 0) {
			h_managerd_cleanup(&F.m);
			return -1;
		}
	}
	return 0;
}

static int
group_setup_ipc(void **state)
{
	(void) state;
	return group_setup(H_IPC, "1"); // everyone on one loop
}

static int
group_setup_tcp(void **state)
{
	(void) state;
	return group_setup(H_TCP, "3");
}

static int
group_teardown(void **state)
{
	(void) state;
	h_watchdog_arm(60, "the group teardown");
	mgr_obj_release(F.gd);
	mgr_disconnect(F.good);
	int code = h_managerd_stop(&F.m);
	h_watchdog_disarm();
	return code == 0 ? 0 : -1;
}

static int
test_setup(void **state)
{
	(void) state;
	h_watchdog_arm(60, "the test of the last [ RUN ] line");
	if (h_info_int(F.good, "objects_total", &F.objects0) != 0
	    || h_info_int(F.good, "sessions", &F.sessions0) != 0) {
		return -1;
	}
	return 0;
}

/* Every connection of the test is gone, and nothing of theirs is left. */
static int
test_teardown(void **state)
{
	(void) state;
	int64_t last = -1;
	if (h_info_await(
	        F.good, "sessions", NULL, F.sessions0, WAIT_MS, &last)
	    != 0) {
		fprintf(stderr, "sessions: %" PRId64 ", want %" PRId64 "\n",
		    last, F.sessions0);
		return -1;
	}
	if (h_info_await(
	        F.good, "objects_total", NULL, F.objects0, WAIT_MS, &last)
	    != 0) {
		fprintf(stderr,
		    "objects_total: %" PRId64 ", want %" PRId64 "\n", last,
		    F.objects0);
		return -1;
	}
	h_watchdog_disarm();
	return 0;
}

/* Waits until the manager has served want requests since base (its
 * "requests" count, read by mgr_info, itself a request). */
static void
await_served(int64_t base, int64_t want)
{
	int64_t deadline = h_now_ms() + WAIT_MS;
	int64_t calls    = 0;
	for (;;) {
		int64_t r = info(F.good, "requests");
		calls++;
		if (r - base - calls >= want) {
			return;
		}
		if (h_now_ms() >= deadline) {
			fail_msg("the manager served %" PRId64 " of %" PRId64
			         " requests in %d ms",
			    r - base - calls, want, WAIT_MS);
		}
		h_nap(5);
	}
}

/* The manager answers a new connection promptly, by hand, every wait
 * bounded (a library call would wait for a stalled manager without
 * limit). */
static void
assert_responsive(void)
{
	uint64_t sid;
	int      fd = raw_session(&F.m, &sid);
	raw_ping(fd, 1);
	close(fd);
}

/* Waits until fd has something to read (bounded). */
static void
await_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int           r;
	do {
		r = poll(&p, 1, WAIT_MS);
	} while (r < 0 && errno == EINTR);
	if (r != 1) {
		fail_msg("nothing to read after %d ms", WAIT_MS);
	}
}

/* Others are served promptly: the good client makes a dict and does
 * NCALLS set/get pairs on it, and a new client connects and works. */
static void
assert_others_served(void)
{
	int64_t     t0 = h_now_ms();
	mgr_obj    *d;
	mgr_value   v;
	mgr_client *c;
	assert_responsive();
	OK(mgr_dict_new(F.good, &d));
	for (int i = 0; i < NCALLS; i++) {
		OK(mgr_dict_set(d, mgr_str("n"), mgr_int(i)));
		OK(mgr_dict_get(d, mgr_str("n"), &v));
		assert_int_equal(v.kind, MGR_INT);
		assert_int_equal(v.i, i);
	}
	OK(mgr_obj_release(d));
	OK(h_connect(&F.m, &c));
	OK(mgr_dict_new(c, &d));
	OK(mgr_dict_set(d, mgr_int(1), mgr_int(2)));
	OK(mgr_obj_release(d));
	OK(mgr_disconnect(c));
	check_good();
	int64_t dt = h_now_ms() - t0;
	if (dt > SERVE_MS) {
		fail_msg("serving others took %" PRId64 " ms (bound %d ms)",
		    dt, SERVE_MS);
	}
}

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
		fds[i] = raw_session(&F.m, &sid);
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
		raw_ping(fds[i], NGETS + 1);
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
		fds[i] = raw_session(&F.m, &sids[i]);
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
		if (!log_line_has(&F.m, who, after, WAIT_MS)) {
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
	raw_hello(fds[5], nonce);
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
			raw_hello(fds[i], nonce);
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

/* pid's resident set (VmRSS, KiB). */
static int64_t
proc_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	snprintf(path, sizeof(path), "/proc/%ld/status", (long) pid);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	while (kb < 0 && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "VmRSS: %ld kB", &kb) != 1) {
			kb = -1;
		}
	}
	fclose(f);
	assert_true(kb >= 0);
	return kb;
}

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
	int64_t  rss0   = proc_rss_kb(F.m.pid);
	int      fd     = raw_session(&F.m, &sid);
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
	int64_t rss = proc_rss_kb(F.m.pid);
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
	rss = proc_rss_kb(F.m.pid);
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
	raw_ping(fd, total + 2);
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
	int64_t  rss0 = proc_rss_kb(F.m.pid);
	int      fd   = raw_session(&F.m, &sid);
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
	int64_t rss = proc_rss_kb(F.m.pid);
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
	raw_ping(fd, N + 1);
	assert_open_and_quiet(fd);
	close(fd);
	await_info(F.good, "sessions", F.sessions0);
	check_good();
}

/* ---- 1. ipc socket files ----------------------------------------------- */

static int
plain_setup(void **state)
{
	(void) state;
	h_watchdog_arm(60, "the test of the last [ RUN ] line");
	return 0;
}

static int
plain_teardown(void **state)
{
	(void) state;
	h_watchdog_disarm();
	return 0;
}

/* A manager killed by SIGKILL leaves its socket file; the next manager on
 * the path replaces it and serves. While that one lives, a third cannot
 * take its path (or its tcp port) and exits 1 saying why, and the live
 * one serves on, on the same path. A clean stop removes the file. */
static void
test_stale_and_live_ipc(void **state)
{
	(void) state;
	h_managerd  m1, m2;
	mgr_client *c;
	mgr_obj    *d;
	size_t      n;
	struct stat st;
	char        url[512], out[8192];

	assert_int_equal(h_managerd_start(&m1, H_IPC, NULL), 0);
	assert_true(strncmp(m1.url, "ipc://", 6) == 0);
	snprintf(url, sizeof(url), "%s", m1.url);
	const char *path = url + 6;
	mgr_opts    o1   = h_opts(&m1);
	assert_serves(url, &o1);
	OK(h_connect(&m1, &c));
	OK(mgr_dict_new(c, &d));

	assert_int_equal(h_managerd_kill(&m1), 0);
	ERR(MGR_ECONN, mgr_dict_len(d, &n));
	OK(mgr_obj_release(d));
	OK(mgr_disconnect(c));
	// The file stays, and nobody listens on it.
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	int64_t t0 = h_now_ms();
	ERR(MGR_ECONN, mgr_connect(&c, url, &o1));
	assert_true(h_now_ms() - t0 < PROMPT_MS);

	// A new manager on the stale path (besides its tcp listener).
	const char *extra[] = { "--listen", url, NULL };
	assert_int_equal(h_managerd_start(&m2, H_TCP, extra), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	mgr_opts o2 = h_opts(&m2);
	assert_serves(url, &o2);
	mgr_value v;
	OK(mgr_connect(&c, url, &o2));
	OK(mgr_dict_new(c, &d));
	OK(mgr_dict_set(d, mgr_str("live"), mgr_int(1)));

	// A second manager on the live path, then on the live tcp port.
	const char *again[] = { "--listen", url, "--authkey-file", m2.keyfile,
		"--log-level", "info", NULL };
	int         code    = run_managerd(again, out, sizeof(out));
	if (code != 1) {
		fail_msg("a manager on the live %s: exit %d, want 1\n%s", url,
		    code, out);
	}
	assert_has(out, "cannot listen on");
	assert_has(out, url);
	assert_has(out, "Address already in use");
	again[1] = m2.url;
	code     = run_managerd(again, out, sizeof(out));
	if (code != 1) {
		fail_msg("a manager on the live %s: exit %d, want 1\n%s",
		    m2.url, code, out);
	}
	assert_has(out, "cannot listen on");
	assert_has(out, "Address already in use");

	// The live one serves on: the old connection, and new ones on the
	// same path (its file was left alone).
	OK(mgr_dict_get(d, mgr_str("live"), &v));
	assert_int_equal(v.i, 1);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_serves(url, &o2);
	assert_serves(m2.url, &o2);
	OK(mgr_obj_release(d));
	OK(mgr_disconnect(c));

	assert_int_equal(h_managerd_stop(&m2), 0);
	int r = stat(path, &st), e = errno;
	assert_int_not_equal(r, 0);
	assert_int_equal(e, ENOENT);
	h_managerd_cleanup(&m1);
}

/* An ipc path where a file that is not a socket lives: managerd must not
 * remove it (only a stale socket is replaced, sock.h) and exits 1. */
static void
test_ipc_path_not_a_socket(void **state)
{
	(void) state;
	char        dir[64], keyfile[128], file[128], url[160], line[512];
	char        out[8192];
	struct stat st;
	make_keydir(dir, sizeof(dir), keyfile, sizeof(keyfile));
	snprintf(file, sizeof(file), "%s/precious", dir);
	snprintf(url, sizeof(url), "ipc://%s", file);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fputs("precious data\n", f);
	fclose(f);

	const char *argv[] = { h_managerd_path(), "--listen", url,
		"--authkey-file", keyfile, NULL };
	const char *env[]  = { "MGR_AUTHKEY", NULL };
	h_child     ch;
	assert_int_equal(h_spawn(&ch, h_managerd_path(), (char *const *) argv,
	                     env, H_PIPE_OUT | H_ERR_TO_OUT),
	    0);
	// Either it exits, or it says it listens (then it is stopped).
	bool   listening = false;
	size_t len       = 0;
	out[0]           = '\0';
	while (!listening
	    && h_child_read_line(&ch, line, sizeof(line), 10000) == 0) {
		listening = strstr(line, "listening on") != NULL;
		len += (size_t) snprintf(
		    out + len, sizeof(out) - len, "%s\n", line);
		if (len >= sizeof(out)) {
			break;
		}
	}
	if (listening) {
		h_child_signal(&ch, SIGTERM);
	}
	int code = h_child_wait(&ch, WAIT_MS);

	bool intact   = stat(file, &st) == 0 && S_ISREG(st.st_mode);
	char data[64] = "";
	if (intact) {
		f = fopen(file, "r");
		assert_non_null(f);
		if (fgets(data, sizeof(data), f) == NULL) {
			data[0] = '\0';
		}
		fclose(f);
		unlink(file);
	}
	unlink(keyfile);
	rmdir(dir);
	if (!intact) {
		fail_msg("managerd --listen %s removed the regular file "
		         "there (%s, exit %d)\n%s",
		    url, listening ? "and listened" : "did not listen", code,
		    out);
	}
	assert_string_equal(data, "precious data\n");
	if (listening || code != 1) {
		fail_msg("managerd --listen %s: exit %d, want 1\n%s", url,
		    code, out);
	}
	assert_has(out, "cannot listen on");
}

/* ---- 2. URLs ----------------------------------------------------------- */

/* "*" and an empty host listen on every IPv4 address; port 0 gets a port,
 * printed in the URL bound; a client reaches it through 127.0.0.1. */
static void
test_listen_any(void **state)
{
	(void) state;
	static const char *urls[]
	    = { "tcp://*:0", "tcp://:0", "tcp4://*:0", "tcp4://127.0.0.1:0" };
	for (size_t i = 0; i < countof(urls); i++) {
		h_managerd  m;
		const char *extra[] = { "--listen", urls[i], NULL };
		char        prefix[64], url[128];
		assert_int_equal(h_managerd_start(&m, H_IPC, extra), 0);
		mgr_opts o = h_opts(&m);
		snprintf(prefix, sizeof(prefix), "%.*s",
		    (int) strlen(urls[i]) - 1, urls[i]);
		int port = printed_port(&m, prefix);
		if (port <= 0) {
			h_managerd_dump_log(&m);
			fail_msg("no \"listening on %sPORT\" for --listen %s",
			    prefix, urls[i]);
		}
		snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
		assert_serves(url, &o);
		snprintf(url, sizeof(url), "tcp4://127.0.0.1:%d", port);
		assert_serves(url, &o);
		if (strstr(urls[i], "127.0.0.1") != NULL) {
			// What it printed is a URL clients can use.
			snprintf(url, sizeof(url), "%s%d", prefix, port);
			assert_serves(url, &o);
		}
		assert_serves(m.url, &o); // its ipc listener too
		assert_int_equal(h_managerd_stop(&m), 0);
	}

	// The harness's tcp://127.0.0.1:0: the URL it got is the one bound.
	h_managerd m;
	assert_int_equal(h_managerd_start(&m, H_TCP, NULL), 0);
	assert_true(strncmp(m.url, "tcp://127.0.0.1:", 16) == 0);
	assert_true(atoi(m.url + 16) > 0);
	mgr_opts o = h_opts(&m);
	assert_serves(m.url, &o);
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* True when this machine can bind a socket to [::1]. */
static bool
have_ipv6_loopback(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return false;
	}
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	sa.sin6_addr           = in6addr_loopback;
	bool ok = bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/* tcp6://[::1]:0: bound, printed as "tcp6://[::1]:PORT", and reachable by
 * that URL and by tcp://[::1]:PORT. Skipped without IPv6 loopback. */
static void
test_tcp6(void **state)
{
	(void) state;
	if (!have_ipv6_loopback()) {
		fprintf(stderr, "no IPv6 loopback here: skipped\n");
		skip();
	}
	static const char *urls[] = { "tcp6://[::1]:0", "tcp://[::1]:0" };
	for (size_t i = 0; i < countof(urls); i++) {
		h_managerd  m;
		const char *extra[] = { "--listen", urls[i], NULL };
		char        prefix[64], url[128];
		assert_int_equal(h_managerd_start(&m, H_IPC, extra), 0);
		mgr_opts o = h_opts(&m);
		snprintf(prefix, sizeof(prefix), "%.*s",
		    (int) strlen(urls[i]) - 1, urls[i]);
		int port = printed_port(&m, prefix);
		if (port <= 0) {
			h_managerd_dump_log(&m);
			fail_msg("no \"listening on %sPORT\" for --listen %s",
			    prefix, urls[i]);
		}
		snprintf(url, sizeof(url), "%s%d", prefix, port);
		assert_serves(url, &o);
		snprintf(url, sizeof(url), "tcp6://[::1]:%d", port);
		assert_serves(url, &o);
		snprintf(url, sizeof(url), "tcp://[::1]:%d", port);
		assert_serves(url, &o);
		assert_int_equal(h_managerd_stop(&m), 0);
	}
}

/* Any address of no family given ("*" or an empty host, port 0): one
 * listener reached through both tcp://127.0.0.1:PORT and tcp://[::1]:PORT
 * (a dual-stack IPv6 socket). The IPv6 part is skipped without IPv6
 * loopback. */
static void
test_any_address_dual_stack(void **state)
{
	(void) state;
	static const char *urls[] = { "tcp://*:0", "tcp://:0" };
	bool               v6     = have_ipv6_loopback();
	if (!v6) {
		fprintf(stderr, "no IPv6 loopback here: IPv4 only\n");
	}
	for (size_t i = 0; i < countof(urls); i++) {
		h_managerd  m;
		const char *extra[] = { "--listen", urls[i], NULL };
		char        prefix[64], url[128];
		assert_int_equal(h_managerd_start(&m, H_IPC, extra), 0);
		mgr_opts o = h_opts(&m);
		snprintf(prefix, sizeof(prefix), "%.*s",
		    (int) strlen(urls[i]) - 1, urls[i]);
		int port = printed_port(&m, prefix);
		if (port <= 0) {
			h_managerd_dump_log(&m);
			fail_msg("no \"listening on %sPORT\" for --listen %s",
			    prefix, urls[i]);
		}
		snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
		assert_serves(url, &o);
		if (v6) {
			snprintf(url, sizeof(url), "tcp://[::1]:%d", port);
			assert_serves(url, &o);
			snprintf(url, sizeof(url), "tcp6://[::1]:%d", port);
			assert_serves(url, &o);
		}
		snprintf(url, sizeof(url), "tcp4://127.0.0.1:%d", port);
		assert_serves(url, &o);
		assert_int_equal(h_managerd_stop(&m), 0);
	}
}

/* Malformed URLs: MGR_EINVAL at once, with a detail, and no client. */
static void
test_connect_bad_urls(void **state)
{
	(void) state;
	char long_url[160];
	// A path of 108 bytes: no room for the NUL in sun_path.
	snprintf(long_url, sizeof(long_url), "ipc:///tmp/%0103d", 0);
	assert_int_equal(strlen(long_url + 6), 108);
	const char *bad[] = {
		"tcp://127.0.0.1",       // no port
		"tcp://127.0.0.1:",      // empty port
		"tcp://:5",              // no host to connect to
		"tcp://*:5",             // nor here
		"ipc://",                // no path
		"udp://x:1",             // no such scheme
		"",                      // nothing
		"tcp:/127.0.0.1:5",      // not a scheme we know
		long_url,                // a path too long for a unix socket
		"tcp://127.0.0.1:70000", // port out of range
		"tcp://127.0.0.1:99999999999999999999", // far out
		"tcp://127.0.0.1:-1",                   // not a number
		"tcp://127.0.0.1:+80",                  // not digits only
		"tcp://127.0.0.1:80x",                  // trailing junk
		"tcp://[::1]",                          // v6 literal, no port
		"tcp://[::1:5",                         // unclosed bracket
		"tcp://[::1]5",                         // no colon after it
		"tcp4://127.0.0.1",                     // tcp4 without a port
		"tcp6://[::1]",                         // tcp6 without a port
	};
	mgr_opts o        = { 0 };
	o.authkey         = "secret";
	o.authkey_len     = 6;
	o.connect_timeout = CONNECT_MS;
	for (size_t i = 0; i < countof(bad); i++) {
		mgr_client *c  = NULL;
		int64_t     t0 = h_now_ms();
		int         rv = mgr_connect(&c, bad[i], &o);
		if (rv != MGR_EINVAL) {
			fail_msg("mgr_connect \"%s\": %s, want MGR_EINVAL "
			         "(%s)",
			    bad[i], mgr_strerror(rv), mgr_errdetail());
		}
		assert_null(c);
		if (mgr_errdetail() == NULL || mgr_errdetail()[0] == '\0') {
			fail_msg("mgr_connect \"%s\": no detail", bad[i]);
		}
		assert_true(h_now_ms() - t0 < PROMPT_MS);
	}
}

/* Nobody listening: MGR_ECONN at once (not after the connect timeout),
 * with a detail. The longest ipc path (107 bytes) is a URL, not a bad
 * one. */
static void
test_connect_refused(void **state)
{
	(void) state;
	mgr_opts o        = { 0 };
	o.authkey         = "secret";
	o.authkey_len     = 6;
	o.connect_timeout = CONNECT_MS;

	// A tcp port bound but not listening, so that nobody can take it.
	int tfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(tfd >= 0);
	struct sockaddr_in sin = { .sin_family = AF_INET };
	sin.sin_addr.s_addr    = htonl(INADDR_LOOPBACK);
	socklen_t sl           = sizeof(sin);
	assert_int_equal(bind(tfd, (struct sockaddr *) &sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(tfd, (struct sockaddr *) &sin, &sl), 0);

	// A unix socket bound but not listening: a stale socket file.
	char dir[] = "/tmp/mgrtest-tr-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/stale", dir);
	int ufd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(ufd >= 0);
	assert_int_equal(bind(ufd, (struct sockaddr *) &sun, sizeof(sun)), 0);

	char urls[4][160];
	snprintf(urls[0], sizeof(urls[0]), "tcp://127.0.0.1:%u",
	    (unsigned) ntohs(sin.sin_port));
	snprintf(urls[1], sizeof(urls[1]), "ipc://%s", sun.sun_path);
	snprintf(urls[2], sizeof(urls[2]), "ipc://%s/missing", dir);
	snprintf(urls[3], sizeof(urls[3]), "ipc:///tmp/%0102d", 0);
	assert_int_equal(strlen(urls[3] + 6), 107);
	for (size_t i = 0; i < countof(urls); i++) {
		mgr_client *c  = NULL;
		int64_t     t0 = h_now_ms();
		int         rv = mgr_connect(&c, urls[i], &o);
		int64_t     dt = h_now_ms() - t0;
		if (rv != MGR_ECONN) {
			fail_msg("mgr_connect %s: %s, want MGR_ECONN (%s)",
			    urls[i], mgr_strerror(rv), mgr_errdetail());
		}
		assert_null(c);
		assert_has(mgr_errdetail(), "cannot connect");
		if (dt >= PROMPT_MS) {
			fail_msg("mgr_connect %s took %" PRId64 " ms",
			    urls[i], dt);
		}
	}
	close(tfd);
	close(ufd);
	unlink(sun.sun_path);
	assert_int_equal(rmdir(dir), 0);
}

/* managerd with a malformed --listen URL (alone, or after a good one)
 * exits 1 naming it, without listening. */
static void
test_managerd_bad_listen(void **state)
{
	(void) state;
	char dir[64], keyfile[128], out[8192], long_url[160];
	make_keydir(dir, sizeof(dir), keyfile, sizeof(keyfile));
	snprintf(long_url, sizeof(long_url), "ipc:///tmp/%0103d", 0);
	const char *bad[] = { "tcp://127.0.0.1", "tcp://127.0.0.1:70000",
		"tcp://127.0.0.1:x", "ipc://", "udp://x:1", "tcp://[::1",
		long_url };
	for (size_t i = 0; i < countof(bad); i++) {
		const char *args[]
		    = { "--listen", bad[i], "--authkey-file", keyfile, NULL };
		int code = run_managerd(args, out, sizeof(out));
		if (code != 1) {
			fail_msg("--listen %s: exit %d, want 1\n%s", bad[i],
			    code, out);
		}
		assert_has(out, "cannot listen on");
		assert_has(out, bad[i]);
		assert_true(strstr(out, "listening on") == NULL);
		// After a good one: that one is closed again.
		const char *two[] = { "--listen", "tcp://127.0.0.1:0",
			"--listen", bad[i], "--authkey-file", keyfile, NULL };
		code              = run_managerd(two, out, sizeof(out));
		if (code != 1) {
			fail_msg(
			    "--listen tcp://127.0.0.1:0 --listen %s: exit "
			    "%d, want 1\n%s",
			    bad[i], code, out);
		}
		assert_has(out, "cannot listen on");
	}
	unlink(keyfile);
	assert_int_equal(rmdir(dir), 0);
}

/* ---- out of descriptors ------------------------------------------------ */

/* The lowest descriptor limit that leaves pid exactly room free
 * descriptors (new descriptors take the lowest free numbers; those
 * already open above the limit, such as ones inherited, stay open). */
static int
limit_for_room(pid_t pid, int room)
{
	char path[64];
	bool used[4096] = { false };
	snprintf(path, sizeof(path), "/proc/%ld/fd", (long) pid);
	DIR *d = opendir(path);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] != '.' && fd >= 0
		    && fd < (int) countof(used)) {
			used[fd] = true;
		}
	}
	closedir(d);
	int free_below = 0;
	for (int lim = 0; lim < (int) countof(used); lim++) {
		if (free_below == room) {
			return lim;
		}
		free_below += !used[lim];
	}
	fail_msg("no descriptor limit leaves %d free", room);
	return -1;
}

/* CPU time (user + system, ms) pid has used. */
static int64_t
proc_cpu_ms(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long) pid);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n]              = '\0';
	const char   *p     = strrchr(buf, ')');
	unsigned long utime = 0, stime = 0;
	assert_non_null(p);
	// Fields 3 to 15 of proc(5): utime and stime are the last two.
	assert_int_equal(sscanf(p + 1,
	                     " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	                     "%lu %lu",
	                     &utime, &stime),
	    2);
	long hz = sysconf(_SC_CLK_TCK);
	return (int64_t) (utime + stime) * 1000 / (hz > 0 ? hz : 100);
}

/* With no descriptor left, connections wait in the listen backlog: the
 * manager waits for descriptors without spinning (its accept thread must
 * not loop on EMFILE), serves the connections it has, and accepts the
 * waiting ones once some close. */
static void
test_out_of_descriptors(void **state)
{
	(void) state;
	h_managerd  m;
	mgr_client *c;
	uint8_t     nonce[AUTH_NONCE_LEN];
	assert_int_equal(h_managerd_start(&m, H_TCP, NULL), 0);
	OK(h_connect(&m, &c));

	// Its descriptors are settled once it serves: the --ready-fd is
	// closed right after "ready", before that log line.
	assert_true(h_managerd_log_has(&m, "serving (pid", WAIT_MS));
	// Room for 4 more descriptors, i.e. 4 more connections.
	int           room = 4;
	struct rlimit rl;
	assert_int_equal(prlimit(m.pid, RLIMIT_NOFILE, NULL, &rl), 0);
	rl.rlim_cur = (rlim_t) limit_for_room(m.pid, room);
	assert_int_equal(prlimit(m.pid, RLIMIT_NOFILE, &rl, NULL), 0);

	int fds[16], waiting = 3;
	for (int i = 0; i < room + waiting; i++) {
		fds[i] = h_raw_connect(m.url); // queued by the kernel
		assert_true(fds[i] >= 0);
	}
	await_info(c, "sessions", 1 + room);

	// The others wait: the manager must idle meanwhile.
	int64_t cpu0 = proc_cpu_ms(m.pid), t0 = h_now_ms();
	h_nap(500);
	int64_t cpu = proc_cpu_ms(m.pid) - cpu0, dt = h_now_ms() - t0;
	assert_int_equal(info(c, "sessions"), 1 + room);
	// (Reported at the end, once the rest is checked and cleaned up.)
	bool spun = cpu * 100 > dt * 30;

	// Some close: the waiting ones are accepted and get their Hello.
	for (int i = 0; i < room; i++) {
		close(fds[i]);
	}
	for (int i = room; i < room + waiting; i++) {
		raw_hello(fds[i], nonce);
	}
	await_info(c, "sessions", 1 + waiting);
	for (int i = room; i < room + waiting; i++) {
		close(fds[i]);
	}
	await_info(c, "sessions", 1);
	OK(mgr_disconnect(c));
	mgr_opts o = h_opts(&m);
	assert_serves(m.url, &o);
	assert_int_equal(h_managerd_stop(&m), 0);
	if (spun) {
		fail_msg("managerd used %" PRId64 " ms of CPU in %" PRId64
		         " ms while out of descriptors: its accept thread "
		         "loops on EMFILE instead of pausing",
		    cpu, dt);
	}
}

/* ---- main -------------------------------------------------------------- */

#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)
#define P(f) cmocka_unit_test_setup_teardown(f, plain_setup, plain_teardown)

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
	const struct CMUnitTest plain[] = {
		P(test_stale_and_live_ipc),
		P(test_ipc_path_not_a_socket),
		P(test_listen_any),
		P(test_tcp6),
		P(test_any_address_dual_stack),
		P(test_connect_bad_urls),
		P(test_connect_refused),
		P(test_managerd_bad_listen),
		P(test_out_of_descriptors),
	};
	int failed = 0;
	failed += cmocka_run_group_tests_name("transport over ipc, one loop",
	    loop, group_setup_ipc, group_teardown);
	failed += cmocka_run_group_tests_name("transport over tcp, 3 loops",
	    loop, group_setup_tcp, group_teardown);
	failed += cmocka_run_group_tests_name(
	    "sockets and URLs", plain, NULL, NULL);
	for (int k = 0; k < NBIG; k++) {
		free(bigs[k]);
	}
	return failed == 0 ? 0 : 1;
}
