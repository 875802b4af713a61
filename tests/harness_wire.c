/* Test harness: the wire spoken by hand on a raw socket (harness.h):
 * frames of a protobuf message, the handshake with the HMAC of
 * common/auth.h, a call and a ping. For the tests that send what libmgr
 * never would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "harness.h"
#include "harness_wire.h"

int
h_wire_send(int fd, const ProtobufCMessage *m)
{
	size_t   n = protobuf_c_message_get_packed_size(m);
	uint8_t *b = malloc(n ? n : 1);
	if (b == NULL) {
		return -1;
	}
	protobuf_c_message_pack(m, b);
	int rv = h_raw_send_frame(fd, b, n, H_WIRE_MS);
	free(b);
	return rv;
}

void
h_wire_hello(int fd, uint8_t nonce[AUTH_NONCE_LEN])
{
	uint8_t buf[512];
	size_t  n;
	int     r = h_raw_recv_frame(fd, buf, sizeof(buf), &n, H_WIRE_MS);
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

int
h_wire_auth(int fd, const void *key, size_t keylen, uint64_t *session)
{
	uint8_t snonce[AUTH_NONCE_LEN], cnonce[AUTH_NONCE_LEN];
	uint8_t digest[AUTH_DIGEST_LEN], expect[AUTH_DIGEST_LEN];
	uint8_t buf[512];
	size_t  n;

	h_wire_hello(fd, snonce);
	assert_int_equal(auth_digest(key, keylen, AUTH_CLIENT_LABEL, snonce,
	                     sizeof(snonce), digest),
	    0);
	assert_int_equal(auth_random(cnonce, sizeof(cnonce)), 0);
	Mgr__Auth a   = MGR__AUTH__INIT;
	a.version     = AUTH_VERSION;
	a.digest.data = digest;
	a.digest.len  = sizeof(digest);
	a.nonce.data  = cnonce;
	a.nonce.len   = sizeof(cnonce);
	a.client      = "test raw";
	assert_int_equal(h_wire_send(fd, &a.base), 0);

	assert_int_equal(
	    h_raw_recv_frame(fd, buf, sizeof(buf), &n, H_WIRE_MS), 0);
	Mgr__Welcome *w = mgr__welcome__unpack(NULL, n, buf);
	assert_non_null(w);
	int status = w->status;
	if (status == 0) {
		// The manager proves the key too.
		assert_int_equal(auth_digest(key, keylen, AUTH_SERVER_LABEL,
		                     cnonce, sizeof(cnonce), expect),
		    0);
		assert_int_equal(w->digest.len, AUTH_DIGEST_LEN);
		assert_memory_equal(w->digest.data, expect, AUTH_DIGEST_LEN);
		assert_true(w->session > 0);
		// The limit it announces: at least managerd's smallest.
		assert_true(w->max_message >= 1024);
		if (session != NULL) {
			*session = w->session;
		}
	}
	mgr__welcome__free_unpacked(w, NULL);
	return status;
}

bool
h_wire_plain(const h_managerd *m)
{
	return m->t == H_IPC || m->t == H_TCP || m->t == H_NNG_IPC
	    || m->t == H_NNG_TCP;
}

int
h_wire_session(const h_managerd *m, uint64_t *session)
{
	int fd = h_raw_connect(m->url);
	assert_true(fd >= 0);
	assert_int_equal(h_wire_auth(fd, m->key, m->keylen, session), 0);
	return fd;
}

Mgr__Reply *
h_wire_call(int fd, const Mgr__Request *rq)
{
	static uint8_t buf[1 << 16];
	size_t         n;
	assert_int_equal(h_wire_send(fd, &rq->base), 0);
	assert_int_equal(
	    h_raw_recv_frame(fd, buf, sizeof(buf), &n, H_WIRE_MS), 0);
	Mgr__Reply *rp = mgr__reply__unpack(NULL, n, buf);
	assert_non_null(rp);
	assert_true(rp->id == rq->id);
	return rp;
}

void
h_wire_ping(int fd, uint64_t id)
{
	Mgr__Request rq = MGR__REQUEST__INIT;
	rq.id           = id;
	rq.op           = MGR__OP__OP_PING;
	Mgr__Reply *rp  = h_wire_call(fd, &rq);
	assert_int_equal(rp->status, 0);
	mgr__reply__free_unpacked(rp, NULL);
}
