/* Sockets and URLs (common/sock.c) against a real managerd.
 *
 * - ipc sockets: a socket file left by a killed manager is replaced by the
 *   next one; the socket of a live manager (or its tcp port) is not taken
 *   over, and the live manager serves on; a path that is not a socket is
 *   not removed.
 * - URLs: port 0, "*" and empty hosts, tcp4:// and tcp6:// ("[::1]"
 *   literals), "*" and empty hosts reaching both 127.0.0.1 and [::1]
 *   (dual stack), malformed URLs (MGR_EINVAL with a detail, managerd exiting
 *   1), refused connections (MGR_ECONN, promptly).
 * - Out of descriptors: the manager waits for some to close (no busy
 *   loop), then accepts the connections that waited. */
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
#include "transport_fixture.h"
#include "wire.h"

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
 * exits 2 (usage) naming it and the URLs it serves, without listening. */
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
		if (code != 2) {
			fail_msg("--listen %s: exit %d, want 2\n%s", bad[i],
			    code, out);
		}
		assert_has(out, "cannot listen on");
		assert_has(
		    out, "managerd serves ipc:///path, tcp://host:port");
		assert_has(out, bad[i]);
		assert_true(strstr(out, "listening on") == NULL);
		// After a good one: that one is closed again.
		const char *two[] = { "--listen", "tcp://127.0.0.1:0",
			"--listen", bad[i], "--authkey-file", keyfile, NULL };
		code              = run_managerd(two, out, sizeof(out));
		if (code != 2) {
			fail_msg(
			    "--listen tcp://127.0.0.1:0 --listen %s: exit "
			    "%d, want 2\n%s",
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
	int64_t cpu0 = h_proc_cpu_ms(m.pid), t0 = h_now_ms();
	assert_true(cpu0 >= 0);
	h_nap(500);
	int64_t cpu = h_proc_cpu_ms(m.pid) - cpu0, dt = h_now_ms() - t0;
	assert_int_equal(info(c, "sessions"), 1 + room);
	// (Reported at the end, once the rest is checked and cleaned up.)
	bool spun = cpu * 100 > dt * 30;

	// Some close: the waiting ones are accepted and get their Hello.
	for (int i = 0; i < room; i++) {
		close(fds[i]);
	}
	for (int i = room; i < room + waiting; i++) {
		h_wire_hello(fds[i], nonce);
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

#define P(f) cmocka_unit_test_setup_teardown(f, plain_setup, plain_teardown)

int
main(void)
{
	unsetenv("MGR_AUTHKEY");
	unsetenv("MGR_URL");
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
	return cmocka_run_group_tests_name(
	           "sockets and URLs", plain, NULL, NULL)
	        == 0
	    ? 0
	    : 1;
}
