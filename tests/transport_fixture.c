/* The shared part of the transport tests (transport_fixture.h). */
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

/* ---- helpers ----------------------------------------------------------- */

void
assert_has(const char *out, const char *needle)
{
	if (strstr(out, needle) == NULL) {
		fail_msg("output lacks \"%s\":\n%s", needle, out);
	}
}

int64_t
info(mgr_client *c, const char *key)
{
	int64_t v = -1;
	OK(h_info_int(c, key, &v));
	return v;
}

void
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
void
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
int
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

/* Runs managerd with args (no MGR_AUTHKEY); its exit code, output in out. */
int
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
void
make_keydir(char *dir, size_t dcap, char *keyfile, size_t kcap)
{
	snprintf(dir, dcap, "/tmp/mgrtest-tr-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(keyfile, kcap, "%s/key", dir);
	FILE *f = fopen(keyfile, "w");
	assert_non_null(f);
	assert_int_equal(chmod(keyfile, 0600), 0);
	fputs("secret\n", f);
	fclose(f);
}

/* ---- the wire by hand -------------------------------------------------- */

/* The connection is open and has nothing to read (not an end of file). */
void
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

char *bigs[NBIG];

/* Value k: BIG printable bytes of a pattern of its own. */
char *
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
void
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
		rq.secret = F.gd->secret; // the only dict they get from
		rq.args   = args;
		rq.n_args = 1;
		size_t sz = mgr__request__get_packed_size(&rq);
		assert_true(len + 4 + sz <= cap);
		wire_put_len(buf + len, (uint32_t) sz);
		mgr__request__pack(&rq, buf + len + 4);
		len += 4 + sz;
	}
	assert_int_equal(h_raw_send(fd, buf, len, WAIT_MS), 0);
	free(buf);
}

/* Reads the n replies of raw_send_gets: in order, each whole. */
void
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

fixture F;

/* The good client works, and its dict holds what it held. */
void
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

int
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

int
group_setup_ipc(void **state)
{
	(void) state;
	return group_setup(H_IPC, "1"); // everyone on one loop
}

int
group_setup_tcp(void **state)
{
	(void) state;
	return group_setup(H_TCP, "3");
}

int
group_setup_nng_tcp(void **state)
{
	(void) state;
	return group_setup(H_NNG_TCP, "2"); // io threads unused by nng
}

int
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

int
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
int
test_teardown(void **state)
{
	(void) state;
	if (h_info_await_baseline(F.good, F.sessions0, F.objects0, WAIT_MS)
	    != 0) {
		return -1;
	}
	h_watchdog_disarm();
	return 0;
}

/* Waits until the manager has served want requests since base (its
 * "requests" count, read by mgr_info, itself a request). */
void
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
void
assert_responsive(void)
{
	uint64_t sid;
	int      fd = h_wire_session(&F.m, &sid);
	h_wire_ping(fd, 1);
	close(fd);
}

/* Waits until fd has something to read (bounded). */
void
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
void
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
