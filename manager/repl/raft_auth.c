/* The group's transport (raft_auth.h): raft's TCP transport with the
 * authkey proved both ways on every connection before raft reads or
 * writes a byte of it.
 *
 * After raft's own preamble (its protocol, the connector's id and
 * address), each side sends a nonce of 32 bytes, then the HMAC-SHA256
 * under the key of its role's label and the other's nonce; each checks
 * the other's. Every read asks for exactly the bytes still due, so
 * nothing of raft's own traffic is read here. A connection that fails
 * (a wrong key, a peer that says nothing within the timeout) is closed
 * and logged; raft's connector retries as for any failed connection. */
#include "raft_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "log.h"

#define LABEL_CONNECTOR "mgr-raft-connector"
#define LABEL_ACCEPTOR  "mgr-raft-acceptor"
#define PROOF_MS        5000
#define SHAKE_LEN       (AUTH_NONCE_LEN + AUTH_DIGEST_LEN)

typedef struct shake shake;

typedef struct raft_auth {
	struct raft_uv_transport   inner; /* raft's TCP transport */
	struct raft_uv_transport  *outer; /* what raft sees */
	uv_loop_t                 *loop;
	uint8_t                   *key;
	size_t                     keylen;
	raft_uv_accept_cb          accept_cb;
	raft_uv_transport_close_cb close_cb;
	shake                     *shakes; /* under way */
	bool                       closing;
} raft_auth;

/* One connection proving the key. */
struct shake {
	raft_auth          *a;
	shake              *prev, *next;
	struct uv_stream_s *stream;
	uv_timer_t          timer;
	uv_write_t          wr_nonce, wr_proof;
	int                 writes; /* in flight */
	int                 refs;   /* handle closes to come */
	bool                acceptor;
	uint8_t             mine[AUTH_NONCE_LEN];
	uint8_t             out[SHAKE_LEN]; /* our nonce, then proof */
	uint8_t             in[SHAKE_LEN];  /* theirs */
	size_t              got;
	bool                sent_proof, proved, done;
	/* what to give raft once proved */
	raft_id                 id;
	char                    address[256];
	struct raft_uv_connect *req;
	raft_uv_connect_cb      connect_cb;
};

static void
shake_unlist(shake *s)
{
	raft_auth *a = s->a;
	if (s->prev != NULL) {
		s->prev->next = s->next;
	} else if (a->shakes == s) {
		a->shakes = s->next;
	}
	if (s->next != NULL) {
		s->next->prev = s->prev;
	}
	s->prev = s->next = NULL;
}

/* A stream of raft's (raft's allocator) closed before any exchange. */
static void
free_stream(uv_handle_t *h)
{
	raft_free(h);
}

static void
shake_release(shake *s)
{
	if (--s->refs == 0) {
		free(s);
	}
}

static void
shake_stream_closed(uv_handle_t *h)
{
	shake *s = h->data;
	raft_free(h);
	shake_release(s);
}

static void
timer_closed(uv_handle_t *h)
{
	shake_release(h->data);
}

/* It failed: the stream closes (its writes cancelled first); a
 * connector's raft is told. */
static void
shake_fail(shake *s, const char *why)
{
	if (s->done) {
		return;
	}
	s->done = true;
	shake_unlist(s);
	// Anyone can cause this without the key, and raft retries its
	// connections every 100 ms: counted, not a line each.
	char peer[300];
	snprintf(peer, sizeof(peer), "tcp %s", s->address);
	log_refused(LOG_WARN, why, peer, "cluster: %s connection %s %s: %s",
	    s->acceptor ? "a" : "the", s->acceptor ? "from" : "to",
	    s->address, why);
	if (!s->acceptor && s->connect_cb != NULL) {
		s->connect_cb(s->req, NULL,
		    s->a->closing ? RAFT_CANCELED : RAFT_NOCONNECTION);
	}
	s->refs = 2;
	uv_read_stop(s->stream);
	uv_close((uv_handle_t *) s->stream, shake_stream_closed);
	uv_timer_stop(&s->timer);
	uv_close((uv_handle_t *) &s->timer, timer_closed);
}

/* Proved both ways, every byte written: the stream is raft's. */
static void
shake_pass(shake *s)
{
	s->done = true;
	shake_unlist(s);
	uv_read_stop(s->stream);
	raft_auth *a = s->a;
	if (s->acceptor) {
		a->accept_cb(a->outer, s->id, s->address, s->stream);
	} else {
		s->connect_cb(s->req, s->stream, 0);
	}
	s->refs = 1;
	uv_timer_stop(&s->timer);
	uv_close((uv_handle_t *) &s->timer, timer_closed);
}

static void
wrote(uv_write_t *w, int status)
{
	shake *s = w->data;
	if (status == UV_ECANCELED) {
		return; // failed meanwhile: its stream is closing
	}
	s->writes--;
	if (status != 0) {
		shake_fail(s, uv_strerror(status));
	} else if (s->proved && s->writes == 0 && !s->done) {
		shake_pass(s);
	}
}

static int
send_bytes(shake *s, uv_write_t *w, const uint8_t *p, size_t n)
{
	uv_buf_t b = uv_buf_init((char *) p, (unsigned) n);
	w->data    = s;
	int rv     = uv_write(w, s->stream, &b, 1, wrote);
	s->writes += rv == 0;
	return rv;
}

/* Asks for exactly the bytes still due: raft's own come after. */
static void
alloc_exact(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	shake *s = h->data;
	(void) suggested;
	*b = uv_buf_init(
	    (char *) s->in + s->got, (unsigned) (SHAKE_LEN - s->got));
}

static void
got_bytes(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	shake *s = st->data;
	(void) b;
	if (s->done || n == 0) {
		return;
	}
	if (n < 0) {
		shake_fail(s,
		    n == UV_EOF ? "closed by the peer"
		                : uv_strerror((int) n));
		return;
	}
	s->got += (size_t) n;
	if (s->got >= AUTH_NONCE_LEN && !s->sent_proof) {
		// Their nonce is in: our proof on it.
		s->sent_proof = true;
		if (auth_digest(s->a->key, s->a->keylen,
		        s->acceptor ? LABEL_ACCEPTOR : LABEL_CONNECTOR, s->in,
		        AUTH_NONCE_LEN, s->out + AUTH_NONCE_LEN)
		        != 0
		    || send_bytes(s, &s->wr_proof, s->out + AUTH_NONCE_LEN,
		           AUTH_DIGEST_LEN)
		        != 0) {
			shake_fail(s, "cannot send its proof");
			return;
		}
	}
	if (s->got < SHAKE_LEN) {
		return;
	}
	uint8_t want[AUTH_DIGEST_LEN];
	if (auth_digest(s->a->key, s->a->keylen,
	        s->acceptor ? LABEL_CONNECTOR : LABEL_ACCEPTOR, s->mine,
	        AUTH_NONCE_LEN, want)
	        != 0
	    || !auth_equal(want, s->in + AUTH_NONCE_LEN, AUTH_DIGEST_LEN)) {
		shake_fail(s, "a wrong key (not a member of this cluster)");
		return;
	}
	s->proved = true;
	uv_read_stop(s->stream);
	if (s->writes == 0) {
		shake_pass(s);
	} // else once our proof is written (wrote)
}

static void
too_slow(uv_timer_t *t)
{
	shake_fail(t->data, "no proof of the key in time");
}

/* Starts the exchange on stream (raft's preamble done). */
static void
shake_start(raft_auth *a, struct uv_stream_s *stream, bool acceptor,
    raft_id id, const char *address, struct raft_uv_connect *req,
    raft_uv_connect_cb cb)
{
	shake *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		uv_close((uv_handle_t *) stream, free_stream);
		if (!acceptor) {
			cb(req, NULL, RAFT_NOMEM);
		}
		return;
	}
	s->a          = a;
	s->stream     = stream;
	s->acceptor   = acceptor;
	s->id         = id;
	s->req        = req;
	s->connect_cb = cb;
	snprintf(s->address, sizeof(s->address), "%s",
	    address != NULL ? address : "?");
	stream->data  = s;
	s->timer.data = s;
	uv_timer_init(a->loop, &s->timer);
	s->next = a->shakes;
	if (a->shakes != NULL) {
		a->shakes->prev = s;
	}
	a->shakes = s;
	if (auth_random(s->mine, sizeof(s->mine)) != 0) {
		shake_fail(s, "no randomness");
		return;
	}
	memcpy(s->out, s->mine, AUTH_NONCE_LEN);
	uv_timer_start(&s->timer, too_slow, PROOF_MS, 0);
	if (send_bytes(s, &s->wr_nonce, s->out, AUTH_NONCE_LEN) != 0
	    || uv_read_start(stream, alloc_exact, got_bytes) != 0) {
		shake_fail(s, "cannot start the exchange");
	}
}

/* ---- the transport raft sees --------------------------------------------
 */

static int
outer_init(struct raft_uv_transport *t, raft_id id, const char *address)
{
	raft_auth *a = t->impl;
	return a->inner.init(&a->inner, id, address);
}

static void
inner_accepted(struct raft_uv_transport *inner, raft_id id,
    const char *address, struct uv_stream_s *stream)
{
	raft_auth *a = inner->data;
	if (a->closing) {
		uv_close((uv_handle_t *) stream, free_stream);
		return;
	}
	shake_start(a, stream, true, id, address, NULL, NULL);
}

static int
outer_listen(struct raft_uv_transport *t, raft_uv_accept_cb cb)
{
	raft_auth *a = t->impl;
	a->accept_cb = cb;
	return a->inner.listen(&a->inner, inner_accepted);
}

/* A connection of raft's own under way through the inner transport. */
typedef struct dial {
	struct raft_uv_connect  inner_req;
	struct raft_uv_connect *req;
	raft_uv_connect_cb      cb;
	raft_auth              *a;
	raft_id                 id;
	char                    address[256];
} dial;

static void
inner_connected(struct raft_uv_connect *ir, struct uv_stream_s *st, int rv)
{
	dial *d = ir->data;
	if (rv != 0 || d->a->closing) {
		if (st != NULL) {
			uv_close((uv_handle_t *) st, free_stream);
		}
		d->cb(d->req, NULL, rv != 0 ? rv : RAFT_CANCELED);
	} else {
		shake_start(
		    d->a, st, false, d->id, d->address, d->req, d->cb);
	}
	free(d);
}

static int
outer_connect(struct raft_uv_transport *t, struct raft_uv_connect *req,
    raft_id id, const char *address, raft_uv_connect_cb cb)
{
	raft_auth *a = t->impl;
	dial      *d = calloc(1, sizeof(*d));
	if (d == NULL) {
		return RAFT_NOMEM;
	}
	d->req            = req;
	d->cb             = cb;
	d->a              = a;
	d->id             = id;
	d->inner_req.data = d;
	snprintf(d->address, sizeof(d->address), "%s", address);
	int rv = a->inner.connect(
	    &a->inner, &d->inner_req, id, address, inner_connected);
	if (rv != 0) {
		free(d);
	}
	return rv;
}

static void
inner_closed(struct raft_uv_transport *inner)
{
	raft_auth *a = inner->data;
	if (a->close_cb != NULL) {
		a->close_cb(a->outer);
	}
}

static void
outer_close(struct raft_uv_transport *t, raft_uv_transport_close_cb cb)
{
	raft_auth *a = t->impl;
	a->closing   = true;
	a->close_cb  = cb;
	while (a->shakes != NULL) {
		shake_fail(a->shakes, "the member stops");
	}
	a->inner.close(&a->inner, inner_closed);
}

int
raft_auth_init(struct raft_uv_transport *t, uv_loop_t *loop, const void *key,
    size_t keylen)
{
	raft_auth *a = calloc(1, sizeof(*a));
	if (a == NULL || (a->key = malloc(keylen ? keylen : 1)) == NULL) {
		free(a);
		return RAFT_NOMEM;
	}
	memcpy(a->key, key, keylen);
	a->keylen        = keylen;
	a->loop          = loop;
	a->outer         = t;
	a->inner.version = 1;
	a->inner.data    = a;
	int rv           = raft_uv_tcp_init(&a->inner, loop);
	if (rv != 0) {
		free(a->key);
		free(a);
		return rv;
	}
	t->version = 1;
	t->impl    = a;
	t->init    = outer_init;
	t->listen  = outer_listen;
	t->connect = outer_connect;
	t->close   = outer_close;
	return 0;
}

void
raft_auth_close(struct raft_uv_transport *t)
{
	raft_auth *a = t->impl;
	if (a == NULL) {
		return;
	}
	raft_uv_tcp_close(&a->inner);
	memset(a->key, 0, a->keylen);
	free(a->key);
	free(a);
	t->impl = NULL;
}
