/* libFuzzer target: one session of a real server, fed frames in-process
 * (frame checking, decoding, dispatch, every handler, waiters).
 *
 * Input: a first byte (bit 0: start authenticated, else in the handshake;
 * bit 1: authenticated as a reconnecting client, numbered requests
 * answered once from the session's record),
 * then frames, each a 2-byte big-endian length and that many bytes. A
 * fresh server per input, its objects' secrets made predictable (a zero
 * key), and the secret of each request's target filled in when the frame
 * decodes as a request, so that mutated targets still reach handlers.
 * Replies are read and dropped. tests/fuzz/README.md says how to run it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "manager.pb-c.h"
#include "server_state.h"
#include "session.h"
#include "siphash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
drain(int fd)
{
	uint8_t buf[65536];
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) { }
}

/* Fills in the secret of every reference in v (nested too). */
static void
fix_refs(server *srv, Mgr__Value *v, int depth)
{
	if (v == NULL || depth > 64) {
		return;
	}
	if (v->kind_case == MGR__VALUE__KIND_REF && v->ref != NULL) {
		v->ref->secret = siphash13(srv->secret_key, &v->ref->id, 8);
	}
	Mgr__Seq *q = v->kind_case == MGR__VALUE__KIND_LIST ? v->list
	    : v->kind_case == MGR__VALUE__KIND_TUPLE        ? v->tuple
	                                                    : NULL;
	for (size_t i = 0; q != NULL && i < q->n_items; i++) {
		fix_refs(srv, q->items[i], depth + 1);
	}
	if (v->kind_case == MGR__VALUE__KIND_DICT && v->dict != NULL) {
		for (size_t i = 0; i < v->dict->n_values; i++) {
			fix_refs(srv, v->dict->values[i], depth + 1);
		}
	}
}

static void
fix_request(server *srv, Mgr__Request *rq)
{
	rq->secret = siphash13(srv->secret_key, &rq->target, 8);
	for (size_t i = 0; i < rq->n_args; i++) {
		fix_refs(srv, rq->args[i], 0);
	}
}

/* The frame with its target's secret filled in, or NULL to feed it as it
 * is (it does not decode as a request). Freed by the caller. */
static uint8_t *
with_secret(server *srv, const uint8_t *f, size_t n, size_t *len)
{
	Mgr__Request *rq = mgr__request__unpack(NULL, n, f);
	if (rq == NULL) {
		return NULL;
	}
	fix_request(srv, rq);
	for (size_t i = 0; i < rq->n_batch; i++) {
		fix_request(srv, rq->batch[i]);
	}
	*len       = mgr__request__get_packed_size(rq);
	uint8_t *b = malloc(*len ? *len : 1);
	if (b != NULL) {
		mgr__request__pack(rq, b);
	}
	mgr__request__free_unpacked(rq, NULL);
	return b;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1) {
		return 0;
	}
	log_level        = -1; // quiet
	server_opts opts = { .key = "k",
		.keylen           = 1,
		.lim.io_threads   = 1,
		.lim.max_message  = 1 << 20,
		.lim.max_items    = 1 << 16,
		.lim.max_objects  = 4096,
		.lim.max_memory   = (size_t) 256 << 20 };
	server     *srv;
	int         sv[2];
	if (server_new(&srv, &opts) != 0) {
		return 0;
	}
	srv->secret_key[0] = srv->secret_key[1] = 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0) {
		server_free(srv);
		return 0;
	}
	session *s;
	if (session_open_local(srv, sv[0], data[0] & 3, &s) == 0) {
		size_t at = 1;
		while (at + 2 <= size) {
			size_t n = ((size_t) data[at] << 8) | data[at + 1];
			at += 2;
			if (n > size - at) {
				n = size - at;
			}
			size_t   len;
			uint8_t *fixed = with_secret(srv, data + at, n, &len);
			int      rv    = fixed != NULL
			            ? session_feed(s, fixed, len)
			            : session_feed(s, data + at, n);
			free(fixed);
			at += n;
			drain(sv[1]);
			if (rv != 0) {
				break; // the connection would close here
			}
		}
		session_close_local(s);
	}
	close(sv[1]);
	server_free(srv);
	return 0;
}
