/* What a client sends that the manager must not take as it comes, against
 * a real managerd: str values that are not UTF-8 or hold a NUL (which the
 * protobuf library would keep or silently cut), client names that would
 * forge log lines, and the details libmgr gives for what it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "auth.h"
#include "harness.h"
#include "harness_wire.h"
#include "internal.h"
#include "pbcheck.h"

static h_managerd  M;
static mgr_client *C;

static int
setup(void **state)
{
	(void) state;
	if (h_managerd_start(&M, H_IPC, NULL) != 0) {
		return -1;
	}
	return h_connect(&M, &C) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void) state;
	mgr_disconnect(C);
	int rv = h_managerd_stop(&M);
	h_managerd_cleanup(&M);
	return rv;
}

/* A DICT_SET of key to a str of the n bytes s, sent by hand: its status. */
static int
raw_set_str(int fd, mgr_obj *d, const char *s, size_t n)
{
	// The str is packed as bytes, whose wire form is a str's: what a
	// hostile client can send that libmgr never would.
	Mgr__Value k = MGR__VALUE__INIT, v = MGR__VALUE__INIT, *args[2];
	k.kind_case     = MGR__VALUE__KIND_I;
	k.i             = 1;
	v.kind_case     = MGR__VALUE__KIND_Y;
	v.y.data        = (uint8_t *) s;
	v.y.len         = n;
	args[0]         = &k;
	args[1]         = &v;
	Mgr__Request rq = MGR__REQUEST__INIT;
	rq.id           = 7;
	rq.op           = MGR__OP__OP_DICT_SET;
	rq.target       = d->id;
	rq.secret       = d->secret;
	rq.args         = args;
	rq.n_args       = 2;
	// Turn the bytes field (y) into the str field (s): same wire type.
	size_t   len = mgr__request__get_packed_size(&rq);
	uint8_t *buf = malloc(len);
	assert_non_null(buf);
	mgr__request__pack(&rq, buf);
	uint32_t ykey = pb_field_key(&mgr__value__descriptor, "y");
	uint32_t skey = pb_field_key(&mgr__value__descriptor, "s");
	assert_true(ykey < 0x80 && skey < 0x80);
	// The value's y field: its key, its length (n < 128: one byte) and
	// the n bytes (other fields, such as the target id or the secret
	// packed after the arguments, may hold the key's byte too).
	uint8_t *at = NULL;
	for (uint8_t *p = buf; p + 2 + n <= buf + len; p++) {
		if (p[0] == ykey && p[1] == n && memcmp(p + 2, s, n) == 0) {
			at = p;
		}
	}
	assert_non_null(at);
	*at = (uint8_t) skey;
	assert_int_equal(h_raw_send_frame(fd, buf, len, H_WIRE_MS), 0);
	free(buf);
	uint8_t rb[1024];
	size_t  rn;
	assert_int_equal(
	    h_raw_recv_frame(fd, rb, sizeof(rb), &rn, H_WIRE_MS), 0);
	Mgr__Reply *rp = mgr__reply__unpack(NULL, rn, rb);
	assert_non_null(rp);
	int status = rp->status;
	if (status != 0) {
		print_message("refused: %s\n", rp->error);
	}
	mgr__reply__free_unpacked(rp, NULL);
	return status;
}

static void
test_raw_str_checked(void **state)
{
	(void) state;
	mgr_obj *d;
	OK(mgr_dict_new(C, &d));
	int fd = h_wire_session(&M, NULL);
	assert_int_equal(raw_set_str(fd, d, "fine", 4), 0);
	assert_int_equal(raw_set_str(fd, d, "a\0b", 3), MGR_EINVAL);
	assert_int_equal(raw_set_str(fd, d, "\xff\xfe", 2), MGR_EINVAL);
	assert_int_equal(raw_set_str(fd, d, "\xed\xa0\x80", 3), MGR_EINVAL);
	h_wire_ping(fd, 8); // refused requests leave the session usable
	close(fd);
	mgr_value v;
	OK(mgr_dict_get(d, mgr_int(1), &v));
	assert_string_equal(v.s, "fine"); // nothing was cut or stored
	mgr_value_free(&v);
	OK(mgr_obj_release(d));
}

/* libmgr refuses them before sending. */
static void
test_client_str_checked(void **state)
{
	(void) state;
	mgr_obj *l;
	OK(mgr_list_new(C, &l));
	ERR(MGR_EINVAL, mgr_list_append(l, mgr_strn("\xc3(", 2)));
	assert_non_null(strstr(mgr_errdetail(), "UTF-8"));
	ERR(MGR_EINVAL, mgr_list_append(l, mgr_strn("a\0b", 3)));
	assert_non_null(strstr(mgr_errdetail(), "NUL"));
	OK(mgr_list_append(l, mgr_bytes("\xc3(\0", 3))); // bytes can
	OK(mgr_list_append(l, mgr_str("caf\xc3\xa9")));
	OK(mgr_obj_release(l));
}

/* A client name with a newline writes one log line, escaped. */
static void
test_log_lines_not_forged(void **state)
{
	(void) state;
	int     fd = h_raw_connect(M.url);
	uint8_t snonce[AUTH_NONCE_LEN], cnonce[AUTH_NONCE_LEN] = { 0 };
	uint8_t digest[AUTH_DIGEST_LEN];
	h_wire_hello(fd, snonce);
	assert_int_equal(auth_digest(M.key, M.keylen, AUTH_CLIENT_LABEL,
	                     snonce, sizeof(snonce), digest),
	    0);
	Mgr__Auth a   = MGR__AUTH__INIT;
	a.version     = AUTH_VERSION;
	a.digest.data = digest;
	a.digest.len  = sizeof(digest);
	a.nonce.data  = cnonce;
	a.nonce.len   = sizeof(cnonce);
	a.client      = "x\n2026-01-01T00:00:00Z managerd error: FORGED";
	assert_int_equal(h_wire_send(fd, &a.base), 0);
	uint8_t buf[512];
	size_t  n;
	assert_int_equal(
	    h_raw_recv_frame(fd, buf, sizeof(buf), &n, H_WIRE_MS), 0);
	close(fd);
	assert_true(h_managerd_log_has(&M, "as x\\x0a2026", 2000));
	assert_false(h_managerd_log_has(&M, "\nFORGED", 0));
	assert_false(h_managerd_log_has(&M, "\n2026-01-01", 0));
}

/* The details of what libmgr refuses: a token of the wrong type, a call
 * after mgr_disconnect. */
static void
test_details(void **state)
{
	(void) state;
	mgr_obj *d, *x;
	char     tok[64];
	OK(mgr_dict_new(C, &d));
	OK(mgr_obj_token(d, tok, sizeof(tok)));
	memcpy(tok, "list", 4); // "dict:N" -> "list:N"
	ERR(MGR_ENOOBJ, mgr_attach(C, tok, &x));
	assert_non_null(strstr(mgr_errdetail(), "is a dict"));
	// A call on a proxy of another type names the operation and both.
	mgr_value got;
	ERR(MGR_ETYPE, mgr_list_append(d, mgr_int(1)));
	assert_string_equal(mgr_errdetail(),
	    "list_append is an operation of a list, not of a dict");
	ERR(MGR_ETYPE, mgr_queue_get(d, &got, 0));
	assert_non_null(strstr(mgr_errdetail(), "queue_get"));
	mgr_client *c2;
	OK(h_connect(&M, &c2));
	mgr_obj *d2;
	OK(mgr_dict_new(c2, &d2));
	mgr_disconnect(c2);
	ERR(MGR_ECLOSED, mgr_dict_set(d2, mgr_int(1), mgr_int(1)));
	assert_non_null(strstr(mgr_errdetail(), "disconnected"));
	mgr_obj_release(d2);
	OK(mgr_obj_release(d));
}

/* ---- a hostile manager ----------------------------------------------------
 */

/* A server of our own on a unix socket: it completes the handshake, then
 * answers the first request with [ref, ref of an unknown type, ref] and
 * records the RELEASEs that come. */
typedef struct fake_manager {
	char      path[300];
	int       lfd;
	pthread_t th;
	uint64_t  released[8];
	int       nreleased;
} fake_manager;

static uint8_t *
fake_frame(int fd, size_t *n)
{
	static uint8_t buf[4096];
	return h_raw_recv_frame(fd, buf, sizeof(buf), n, H_WIRE_MS) == 0
	    ? buf
	    : NULL;
}

static void *
fake_main(void *arg)
{
	fake_manager *f  = arg;
	int           fd = accept(f->lfd, NULL, NULL);
	if (fd < 0) {
		return NULL;
	}
	uint8_t    nonce[AUTH_NONCE_LEN] = { 3 }, mine[AUTH_DIGEST_LEN];
	Mgr__Hello h                     = MGR__HELLO__INIT;
	h.version                        = AUTH_VERSION;
	h.nonce.data                     = nonce;
	h.nonce.len                      = sizeof(nonce);
	h_wire_send(fd, &h.base);
	size_t     n;
	uint8_t   *b = fake_frame(fd, &n);
	Mgr__Auth *a = b ? mgr__auth__unpack(NULL, n, b) : NULL;
	if (a == NULL) {
		close(fd);
		return NULL;
	}
	auth_digest(
	    "k", 1, AUTH_SERVER_LABEL, a->nonce.data, a->nonce.len, mine);
	mgr__auth__free_unpacked(a, NULL);
	Mgr__Welcome w = MGR__WELCOME__INIT;
	w.digest.data  = mine;
	w.digest.len   = sizeof(mine);
	w.session      = 1;
	w.max_message  = 1 << 20;
	h_wire_send(fd, &w.base);
	while ((b = fake_frame(fd, &n)) != NULL) {
		Mgr__Request *rq = mgr__request__unpack(NULL, n, b);
		if (rq == NULL) {
			break;
		}
		Mgr__Reply rp = MGR__REPLY__INIT;
		rp.id         = rq->id;
		if (rq->op == MGR__OP__OP_RELEASE && f->nreleased < 8) {
			f->released[f->nreleased++] = rq->target;
		} else if (rq->op == MGR__OP__OP_DICT_GET) {
			Mgr__Ref   r[3];
			Mgr__Value v[3], *vp[3], list = MGR__VALUE__INIT;
			Mgr__Seq   seq = MGR__SEQ__INIT;
			for (int i = 0; i < 3; i++) {
				mgr__ref__init(&r[i]);
				mgr__value__init(&v[i]);
				r[i].id = 5 + (uint64_t) i;
				r[i].type
				    = i == 1 ? 999 : MGR__OBJ_TYPE__OBJ_DICT;
				v[i].kind_case = MGR__VALUE__KIND_REF;
				v[i].ref       = &r[i];
				vp[i]          = &v[i];
			}
			seq.items      = vp;
			seq.n_items    = 3;
			list.kind_case = MGR__VALUE__KIND_LIST;
			list.list      = &seq;
			rp.result      = &list;
			h_wire_send(fd, &rp.base);
			mgr__request__free_unpacked(rq, NULL);
			continue;
		}
		h_wire_send(fd, &rp.base);
		mgr__request__free_unpacked(rq, NULL);
	}
	close(fd);
	return NULL;
}

/* Every reference of a reply libmgr can't take goes back: the one before
 * the bad one (its proxy freed), the bad one, and the one after. */
static void
test_hostile_manager_refs(void **state)
{
	(void) state;
	fake_manager f = { .nreleased = 0 };
	snprintf(f.path, sizeof(f.path), "%s/fake.sock", M.dir);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	assert_true(strlen(f.path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, f.path, strlen(f.path) + 1);
	f.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(f.lfd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	assert_int_equal(listen(f.lfd, 1), 0);
	assert_int_equal(pthread_create(&f.th, NULL, fake_main, &f), 0);
	char url[320];
	snprintf(url, sizeof(url), "ipc://%s", f.path);
	mgr_opts    o = { .authkey = "k", .authkey_len = 1 };
	mgr_client *c;
	OK(mgr_connect(&c, url, &o));
	// A proxy of the fake's object 9, made by hand (no round trip).
	mgr_value v;
	mgr_obj   fake
	    = { .client = c, .id = 9, .type = MGR__OBJ_TYPE__OBJ_DICT };
	ERR(MGR_EPROTO, mgr_dict_get(&fake, mgr_int(1), &v));
	assert_non_null(strstr(mgr_errdetail(), "unknown type"));
	mgr_disconnect(c);
	pthread_join(f.th, NULL);
	close(f.lfd);
	unlink(f.path);
	bool got[3] = { false };
	for (int i = 0; i < f.nreleased; i++) {
		if (f.released[i] >= 5 && f.released[i] <= 7) {
			got[f.released[i] - 5] = true;
		}
	}
	assert_true(got[0] && got[1] && got[2]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw_str_checked),
		cmocka_unit_test(test_client_str_checked),
		cmocka_unit_test(test_log_lines_not_forged),
		cmocka_unit_test(test_details),
		cmocka_unit_test(test_hostile_manager_refs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
