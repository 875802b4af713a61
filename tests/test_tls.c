/* The nng engine's schemes against a real managerd: TLS and WebSocket.
 *
 * - A manager SIGKILLed under blocked clients: every call over tls+tcp,
 *   ws, wss and the nng engine's tcp returns MGR_ECONN within a second.
 * - Each TLS failure: an untrusted certificate, a name mismatch (and the
 *   IP-only certificate trap), a client certificate missing or from
 *   another CA under --tls-verify-peer, a plaintext client on a TLS port
 *   and a TLS client on a plaintext one; the manager serves on.
 * - Peers that drop during the TLS handshake while others connect, a
 *   frame over the limit and garbage inside TLS, 200 TLS clients at once.
 * Certificates come from tests/make_certs.sh (openssl); without openssl
 * the test is skipped (exit 77), not passed. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "transport.h"
#include "wire.h"

static char cert_ca[300], cert_client[300], key_client[300];

/* ---- a manager killed under blocked clients ------------------------------
 */

typedef struct blocked {
	pthread_t th;
	mgr_obj  *o;
	bool      is_lock; /* acquire, else queue get */
	int       rv;
	int64_t   done_ms;
} blocked;

static void *
block_main(void *arg)
{
	blocked  *b = arg;
	mgr_value v;
	b->rv      = b->is_lock ? mgr_acquire(b->o, MGR_FOREVER)
	                        : mgr_queue_get(b->o, &v, MGR_FOREVER);
	b->done_ms = h_now_ms();
	if (b->rv == 0 && !b->is_lock) {
		mgr_value_free(&v);
	}
	return NULL;
}

static void
kill_under_blocked(h_transport t)
{
	h_managerd  m;
	mgr_client *c, *holder;
	assert_int_equal(h_managerd_start(&m, t, NULL), 0);
	OK(h_connect(&m, &c));
	OK(h_connect(&m, &holder));
	mgr_obj *q, *l, *lh;
	OK(mgr_queue_new(c, 0, &q));
	OK(mgr_lock_new(holder, &lh));
	OK(mgr_acquire(lh, MGR_FOREVER));
	OK(mgr_name_set(holder, "L", lh)); // the same lock, held by the other
	OK(mgr_name_get(c, "L", &l));
	blocked b[2] = { { .o = q }, { .o = l, .is_lock = true } };
	for (int i = 0; i < 2; i++) {
		OK(pthread_create(&b[i].th, NULL, block_main, &b[i]));
	}
	// Both parked on the manager before it dies.
	int64_t w = 0;
	assert_int_equal(
	    h_info_await(holder, "waiters", NULL, 2, 5000, &w), 0);
	int64_t killed = h_now_ms();
	assert_int_equal(h_managerd_kill(&m), 0);
	for (int i = 0; i < 2; i++) {
		pthread_join(b[i].th, NULL);
		int64_t took = b[i].done_ms - killed;
		h_log("%s: a blocked %s returned %s %" PRId64
		      " ms after the kill",
		    h_transport_name(t), b[i].is_lock ? "acquire" : "get",
		    mgr_strerror(b[i].rv), took);
		assert_int_equal(b[i].rv, MGR_ECONN);
		assert_true(took < 1000);
	}
	// And every call after it, at once.
	int64_t t0 = h_now_ms();
	assert_int_equal(
	    mgr_queue_put(q, mgr_int(1), MGR_FOREVER), MGR_ECONN);
	assert_true(h_now_ms() - t0 < 1000);
	mgr_obj_release(q);
	mgr_obj_release(l);
	mgr_obj_release(lh);
	mgr_disconnect(c);
	mgr_disconnect(holder);
	h_managerd_cleanup(&m);
}

static void
test_kill_tls(void **state)
{
	(void) state;
	kill_under_blocked(H_TLS);
}

static void
test_kill_ws(void **state)
{
	(void) state;
	kill_under_blocked(H_WS);
}

static void
test_kill_wss(void **state)
{
	(void) state;
	kill_under_blocked(H_WSS);
}

static void
test_kill_nng_tcp(void **state)
{
	(void) state;
	kill_under_blocked(H_NNG_TCP);
}

static void
test_kill_nng_tls(void **state)
{
	(void) state;
	kill_under_blocked(H_NNG_TLS);
}

/* ---- TLS failures ---------------------------------------------------------
 */

/* A working call on m (the manager serves on). */
static void
assert_serves(const h_managerd *m)
{
	mgr_client *c;
	OK(h_connect(m, &c));
	OK(mgr_ping(c));
	mgr_disconnect(c);
}

static void
expect_refused(
    const char *url, const mgr_opts *o, int want, const char *detail_has)
{
	mgr_client *c  = NULL;
	int64_t     t0 = h_now_ms();
	int         rv = mgr_connect(&c, url, o);
	h_log("%s: %s (%s) after %" PRId64 " ms", url, mgr_strerror(rv),
	    mgr_errdetail(), h_now_ms() - t0);
	if (rv == 0) {
		mgr_disconnect(c);
	}
	assert_int_equal(rv, want);
	assert_non_null(strstr(mgr_errdetail(), detail_has));
}

static void
test_tls_failures(void **state)
{
	(void) state;
	char untrusted_crt[300], untrusted_key[300], ip_crt[300], ip_key[300];
	h_cert_path("untrusted.crt", untrusted_crt, sizeof(untrusted_crt));
	h_cert_path("untrusted.key", untrusted_key, sizeof(untrusted_key));
	h_cert_path("ip-only.crt", ip_crt, sizeof(ip_crt));
	h_cert_path("ip-only.key", ip_key, sizeof(ip_key));

	h_managerd good, bad, iponly, plain;
	assert_int_equal(h_managerd_start(&good, H_TLS, NULL), 0);
	const char *const bad_args[] = { "--tls-cert", untrusted_crt,
		"--tls-key", untrusted_key, NULL };
	assert_int_equal(h_managerd_start(&bad, H_TLS, bad_args), 0);
	const char *const ip_args[]
	    = { "--tls-cert", ip_crt, "--tls-key", ip_key, NULL };
	assert_int_equal(h_managerd_start(&iponly, H_TLS, ip_args), 0);
	assert_int_equal(h_managerd_start(&plain, H_TCP, NULL), 0);

	// A certificate of a CA we do not trust.
	mgr_opts o = h_opts(&bad);
	expect_refused(bad.url, &o, MGR_EAUTH, "not trusted");
	// A name the certificate does not carry.
	o                 = h_opts(&good);
	o.tls_server_name = "manager.example";
	expect_refused(good.url, &o, MGR_EAUTH, "manager.example");
	// Only IP:127.0.0.1: mbedTLS matches DNS names only.
	o = h_opts(&iponly);
	expect_refused(iponly.url, &o, MGR_EAUTH, "DNS names");
	// The same certificate is fine by name "localhost".
	o = h_opts(&good);
	char url[2048];
	snprintf(url, sizeof(url), "tls+tcp://localhost:%s",
	    strrchr(good.url, ':') + 1);
	mgr_client *c;
	OK(mgr_connect(&c, url, &o));
	mgr_disconnect(c);
	// A plaintext client on the TLS port: refused within the connect
	// timeout, saying what may be wrong.
	o                 = h_opts(&good);
	o.tls_ca_file     = NULL;
	o.connect_timeout = 2000;
	snprintf(url, sizeof(url), "tcp://%.500s",
	    good.url + strlen("tls+tcp://"));
	int64_t t0 = h_now_ms();
	expect_refused(url, &o, MGR_ECONN, "TLS");
	assert_true(h_now_ms() - t0 < 2000 + 1000);
	// A TLS client on a plaintext port.
	o = h_opts(&good);
	snprintf(url, sizeof(url), "tls+tcp://%.500s",
	    plain.url + strlen("tcp://"));
	expect_refused(url, &o, MGR_ECONN, "TLS handshake failed");
	// TLS options with a plaintext URL: refused, never plaintext instead.
	expect_refused(plain.url, &o, MGR_EINVAL, "tls+tcp://");

	assert_serves(&good);
	assert_serves(&plain);
	assert_int_equal(h_managerd_stop(&good), 0);
	assert_int_equal(h_managerd_stop(&bad), 0);
	assert_int_equal(h_managerd_stop(&iponly), 0);
	assert_int_equal(h_managerd_stop(&plain), 0);
}

static void
test_tls_client_certificates(void **state)
{
	(void) state;
	char other_crt[300], other_key[300];
	h_cert_path("untrusted.crt", other_crt, sizeof(other_crt));
	h_cert_path("untrusted.key", other_key, sizeof(other_key));
	h_managerd        m;
	const char *const args[]
	    = { "--tls-ca", cert_ca, "--tls-verify-peer", NULL };
	assert_int_equal(h_managerd_start(&m, H_TLS, args), 0);

	mgr_opts o = h_opts(&m);
	expect_refused(m.url, &o, MGR_EAUTH, "refused the handshake");
	o.tls_cert_file = other_crt; // of a CA the manager does not trust
	o.tls_key_file  = other_key;
	expect_refused(m.url, &o, MGR_EAUTH, "refused the handshake");
	o.tls_cert_file = cert_client;
	o.tls_key_file  = NULL;
	expect_refused(m.url, &o, MGR_EINVAL, "tls_key_file");
	o.tls_key_file = key_client;
	mgr_client *c;
	OK(mgr_connect(&c, m.url, &o));
	OK(mgr_ping(c));
	mgr_disconnect(c);
	assert_true(h_managerd_log_has(&m, "tls+tcp 127.0.0.1", 1000));
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* ---- hostile peers inside and around TLS ---------------------------------
 */

/* The host:port of a scheme://host:port URL, as tcp://host:port. */
static void
tcp_of(const char *url, char *out, size_t cap)
{
	snprintf(out, cap, "tcp://%s", strstr(url, "://") + 3);
}

static void
test_tls_handshake_drops(void **state)
{
	(void) state;
	h_managerd m;
	assert_int_equal(h_managerd_start(&m, H_TLS, NULL), 0);
	char tcp[600];
	tcp_of(m.url, tcp, sizeof(tcp));
	// A ClientHello's first bytes, then gone; silence, then gone; a
	// reset: the listener keeps accepting, real clients get in.
	static const uint8_t hello_start[] = { 0x16, 0x03, 0x01, 0x02, 0x00,
		0x01, 0x00, 0x01, 0xfc, 0x03, 0x03 };
	for (int i = 0; i < 60; i++) {
		int fd = h_raw_connect(tcp);
		assert_true(fd >= 0);
		if (i % 3 == 0) {
			h_raw_send(
			    fd, hello_start, sizeof(hello_start), 1000);
		} else if (i % 3 == 1) {
			struct linger lg = { 1, 0 }; // RST on close
			setsockopt(
			    fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		}
		close(fd);
		if (i % 10 == 0) {
			assert_serves(&m);
		}
	}
	assert_serves(&m);
	assert_int_equal(h_managerd_stop(&m), 0);
}

static void
test_tls_hostile_frames(void **state)
{
	(void) state;
	h_managerd m;
	assert_int_equal(h_managerd_start(&m, H_TLS, NULL), 0);
	ctls_opts tls = { .ca_file = cert_ca };
	char      why[600];
	for (int round = 0; round < 2; round++) {
		ctransport *t;
		OK(ctransport_dial(&t, m.url, &tls, 5000, why, sizeof(why)));
		uint8_t buf[4096];
		size_t  got;
		// The Hello comes through TLS.
		OK(t->ops->recv_some(t, buf, sizeof(buf), &got, 5000, NULL));
		assert_true(got > 4);
		uint8_t bad[64];
		if (round == 0) {
			wire_put_len(
			    bad, 0x7fffffffu); // 2 GiB, before the auth
			memset(bad + 4, 0, 60);
		} else {
			wire_put_len(bad, 60); // garbage for an Auth
			memset(bad + 4, 0xff, 60);
		}
		OK(t->ops->send_all(t, bad, sizeof(bad)));
		int rv;
		while ((rv = t->ops->recv_some(
		            t, buf, sizeof(buf), &got, 5000, NULL))
		    == 0) { }
		assert_int_equal(rv, MGR_ECONN); // closed by the manager
		t->ops->free(t);
	}
	assert_true(h_managerd_log_has(&m, "tls+tcp 127.0.0.1", 1000));
	assert_serves(&m);
	assert_int_equal(h_managerd_stop(&m), 0);
}

enum { MANY = 200, MANY_THREADS = 8 };

typedef struct many_arg {
	const h_managerd *m;
	mgr_client       *c[MANY / MANY_THREADS];
	int               rv;
} many_arg;

static void *
many_main(void *arg)
{
	many_arg *a = arg;
	for (int i = 0; i < MANY / MANY_THREADS && a->rv == 0; i++) {
		a->rv = h_connect(a->m, &a->c[i]);
	}
	return NULL;
}

static void
test_tls_many_clients(void **state)
{
	(void) state;
	h_managerd m;
	assert_int_equal(h_managerd_start(&m, H_TLS, NULL), 0);
	many_arg  a[MANY_THREADS] = { 0 };
	pthread_t th[MANY_THREADS];
	int64_t   t0 = h_now_ms();
	for (int i = 0; i < MANY_THREADS; i++) {
		a[i].m = &m;
		OK(pthread_create(&th[i], NULL, many_main, &a[i]));
	}
	for (int i = 0; i < MANY_THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(a[i].rv, 0);
	}
	h_log("%d TLS clients connected in %" PRId64 " ms", MANY,
	    h_now_ms() - t0);
	// All of them at once on the manager, each served.
	mgr_client *probe;
	OK(h_connect(&m, &probe));
	int64_t n = 0;
	OK(h_info_int(probe, "sessions", &n));
	assert_int_equal(n, MANY + 1);
	mgr_obj *d;
	OK(mgr_dict_new(probe, &d));
	OK(mgr_name_set(probe, "d", d));
	for (int i = 0; i < MANY_THREADS; i++) {
		for (int j = 0; j < MANY / MANY_THREADS; j++) {
			mgr_obj *x;
			OK(mgr_name_get(a[i].c[j], "d", &x));
			OK(mgr_dict_set(x, mgr_int(i * 100 + j), mgr_int(j)));
			mgr_obj_release(x);
		}
	}
	size_t len = 0;
	OK(mgr_dict_len(d, &len));
	assert_int_equal(len, MANY);
	for (int i = 0; i < MANY_THREADS; i++) {
		for (int j = 0; j < MANY / MANY_THREADS; j++) {
			mgr_disconnect(a[i].c[j]);
		}
	}
	OK(mgr_name_del(probe, "d"));
	mgr_obj_release(d);
	mgr_disconnect(probe);
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* A host's silent connections count once against the per-peer handshake
 * bound whichever listener they came by: four on plain tcp, then four on
 * tls+tcp, with a bound of 4, close the tcp ones (oldest first). */
static void
test_per_peer_across_schemes(void **state)
{
	(void) state;
	h_managerd        m;
	const char *const extra[] = { "--listen", "tcp://127.0.0.1:0",
		"--max-handshakes-per-peer", "4", NULL };
	assert_int_equal(h_managerd_start(&m, H_TLS, extra), 0);
	assert_int_equal(strncmp(m.more_urls[0], "tcp://", 6), 0);
	char tls_as_tcp[600];
	tcp_of(m.url, tls_as_tcp, sizeof(tls_as_tcp));
	int plain[4], tls[4];
	for (int i = 0; i < 4; i++) {
		plain[i] = h_raw_connect(m.more_urls[0]);
		assert_true(plain[i] >= 0);
		// Listed before the next comes: its Hello is read.
		uint8_t buf[4];
		assert_int_equal(h_raw_recv(plain[i], buf, 4, 5000), 0);
	}
	for (int i = 0; i < 4; i++) {
		tls[i] = h_raw_connect(tls_as_tcp);
		assert_true(tls[i] >= 0);
	}
	// The four plain ones are the oldest of this host's eight: closed.
	for (int i = 0; i < 4; i++) {
		assert_int_equal(h_raw_await_close(plain[i], 5000), 0);
	}
	for (int i = 0; i < 4; i++) {
		close(plain[i]);
		close(tls[i]);
	}
	assert_true(h_managerd_log_has(&m, "too many from this peer", 1000));
	assert_serves(&m);
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* --max-tls-handshakes-per-net 5: of 40 tls+tcp connections opened at
 * once from one network, those past the burst (10) are closed before any
 * handshake work, with a line; a plain tcp listener is not counted; once
 * the bucket refills, a TLS client gets in. */
static void
test_tls_handshakes_per_net(void **state)
{
	(void) state;
	h_managerd        m;
	const char *const extra[] = { "--listen", "tcp://127.0.0.1:0",
		"--max-tls-handshakes-per-net", "5", NULL };
	assert_int_equal(h_managerd_start(&m, H_TLS, extra), 0);
	char tls_as_tcp[600];
	tcp_of(m.url, tls_as_tcp, sizeof(tls_as_tcp));
	enum { N = 40 };
	int fds[N], closed = 0;
	for (int i = 0; i < N; i++) {
		fds[i] = h_raw_connect(tls_as_tcp);
		assert_true(fds[i] >= 0);
	}
	for (int i = 0; i < N; i++) {
		// Refused ones are closed at once; the others wait for a
		// ClientHello (5 s of handshake time).
		closed += h_raw_await_close(fds[i], 300) == 0;
		close(fds[i]);
	}
	print_message("%d of %d closed before their handshake\n", closed, N);
	assert_true(closed >= N - 10 - 5 && closed <= N - 10);
	assert_true(
	    h_managerd_log_has(&m, "closed before its TLS handshake", 1000));
	// Plain tcp is not counted.
	mgr_client *c;
	mgr_opts    o     = h_opts(&m);
	o.tls_ca_file     = NULL; // plain
	o.tls_server_name = NULL;
	OK(mgr_connect(&c, m.more_urls[0], &o));
	OK(mgr_ping(c));
	mgr_disconnect(c);
	// Refilled (5 a second): TLS clients get in again.
	h_nap(1200);
	assert_serves(&m);
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* managerctl over TLS: the CA from MGR_TLS_CA_FILE, as for any libmgr
 * program; without it, the manager's certificate is refused. */
static void
test_managerctl_over_tls(void **state)
{
	(void) state;
	h_managerd m;
	assert_int_equal(h_managerd_start(&m, H_TLS, NULL), 0);
	char exe[600], env_url[600], env_key[100], env_ca[400], out[4096];
	snprintf(
	    exe, sizeof(exe), "%s/../tools/managerctl", MGR_EXAMPLES_DIR);
	snprintf(env_url, sizeof(env_url), "MGR_URL=%s", m.url);
	snprintf(env_key, sizeof(env_key), "MGR_AUTHKEY=%s", m.key);
	snprintf(env_ca, sizeof(env_ca), "MGR_TLS_CA_FILE=%s", cert_ca);
	char *const       argv[] = { "managerctl", "ping", NULL };
	const char *const env[]  = { env_url, env_key, env_ca, NULL };
	assert_int_equal(
	    h_run(exe, argv, env, H_ERR_TO_OUT, 20000, out, sizeof(out)), 0);
	h_log("managerctl ping over TLS: %s", out);
	const char *const no_ca[] = { env_url, env_key, NULL };
	int               rv
	    = h_run(exe, argv, no_ca, H_ERR_TO_OUT, 20000, out, sizeof(out));
	h_log("without the CA: exit %d: %s", rv, out);
	assert_int_equal(rv, 3); // cannot connect or authenticate
	// Not trusted by the system's CAs (or, without ca-certificates,
	// no CA to check it against): either way, TLS says why.
	assert_non_null(strstr(out, "TLS"));
	assert_int_equal(h_managerd_stop(&m), 0);
}

static int
setup(void **state)
{
	(void) state;
	h_watchdog_arm(60, "the test of the last [ RUN ] line");
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	h_watchdog_disarm();
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	unsetenv("MGR_AUTHKEY");
	unsetenv("MGR_URL");
	if (h_cert_dir() == NULL) {
		fprintf(stderr,
		    "no test certificates (is openssl installed?): "
		    "skipped\n");
		return 77;
	}
	h_cert_path("ca.crt", cert_ca, sizeof(cert_ca));
	h_cert_path("client.crt", cert_client, sizeof(cert_client));
	h_cert_path("client.key", key_client, sizeof(key_client));
	const struct CMUnitTest tests[] = {
		T(test_kill_tls),
		T(test_kill_ws),
		T(test_kill_wss),
		T(test_kill_nng_tcp),
		T(test_kill_nng_tls),
		T(test_tls_failures),
		T(test_tls_handshakes_per_net),
		T(test_tls_client_certificates),
		T(test_tls_handshake_drops),
		T(test_tls_hostile_frames),
		T(test_tls_many_clients),
		T(test_managerctl_over_tls),
		T(test_per_peer_across_schemes),
	};
	return cmocka_run_group_tests_name(
	           "tls and websocket", tests, NULL, NULL)
	        == 0
	    ? 0
	    : 1;
}
