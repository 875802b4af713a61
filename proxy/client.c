/* The client: one connection to a manager, its handshake, and calls.
 *
 * A call packs its request straight into the connection's send queue and
 * waits for the reply with its id; replies are matched on nng's receive
 * callback, so several threads (and several requests) share one
 * connection and a thread blocked in a long get does not stall the
 * others. The client struct lives while the user or any proxy holds it,
 * so a proxy outliving mgr_disconnect fails cleanly (MGR_ECLOSED). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "conn.h"
#include "internal.h"
#include "pbcheck.h"

#define DEFAULT_CONNECT_MS  10000
#define DEFAULT_MAX_MESSAGE ((size_t) 64 << 20)

/* Callers waiting for replies: one group per waiting thread (a single
 * call, or a pipelined batch), woken once, when its last reply is in. */
typedef struct pgroup {
	pthread_cond_t cv;
	size_t         remaining;
} pgroup;

typedef struct pending {
	uint64_t        id;
	pgroup         *g;
	bool            done;
	int             err;   /* transport error, when reply is NULL */
	Mgr__Reply     *reply; /* owned once done */
	struct pending *next;
} pending;

enum cstate { C_HANDSHAKE, C_READY, C_DEAD };

struct mgr_client {
	pthread_mutex_t mtx;
	pthread_cond_t  cv; /* handshake done, connection ended */
	fconn          *fc;
	enum cstate     state;
	int             err;       /* why the handshake failed / conn died */
	bool            ended;     /* on_closed ran */
	bool            user_gone; /* mgr_disconnect called */
	size_t          refs;      /* the user's + one per proxy */
	uint64_t        next_id;
	pending        *pending; /* in id order: replies mostly match the head */
	pending        *pending_tail;
	uint8_t        *key;
	size_t          keylen;
	uint8_t         nonce[AUTH_NONCE_LEN];
	uint64_t        session;
	size_t          max_message;
	char           *url;
};

const char *
client_url(mgr_client *c)
{
	return c->url;
}

const void *
client_key(mgr_client *c, size_t *len)
{
	*len = c->keylen;
	return c->key;
}

/* ---- client lifetime ------------------------------------------------------
 */

void client_hold(mgr_client *c);
void client_unhold(mgr_client *c);
bool client_usable(mgr_client *c);

void
client_hold(mgr_client *c)
{
	pthread_mutex_lock(&c->mtx);
	c->refs++;
	pthread_mutex_unlock(&c->mtx);
}

static void
client_destroy(mgr_client *c)
{
	fconn_free(c->fc);
	pthread_mutex_destroy(&c->mtx);
	pthread_cond_destroy(&c->cv);
	free(c->key);
	free(c->url);
	free(c);
}

void
client_unhold(mgr_client *c)
{
	pthread_mutex_lock(&c->mtx);
	bool last = --c->refs == 0;
	pthread_mutex_unlock(&c->mtx);
	if (last) {
		client_destroy(c);
	}
}

bool
client_usable(mgr_client *c)
{
	pthread_mutex_lock(&c->mtx);
	bool ok = !c->user_gone && c->state == C_READY;
	pthread_mutex_unlock(&c->mtx);
	return ok;
}

/* ---- pending requests (under c->mtx) ------------------------------------- */

static void
unlink_pending(mgr_client *c, pending *prev, pending *p)
{
	if (prev != NULL) {
		prev->next = p->next;
	} else {
		c->pending = p->next;
	}
	if (c->pending_tail == p) {
		c->pending_tail = prev;
	}
	p->next = NULL;
}

static void
finish_pending(pending *p)
{
	p->done = true;
	if (--p->g->remaining == 0) {
		pthread_cond_signal(&p->g->cv);
	}
}

/* Registers n requests of group g under consecutive ids (from *first).
 * MGR_ECLOSED / MGR_ECONN when the client can't send. */
static int
pend_begin(mgr_client *c, pending *ps, size_t n, pgroup *g, uint64_t *first)
{
	pthread_mutex_lock(&c->mtx);
	if (c->user_gone || c->state != C_READY) {
		int rv = c->user_gone ? MGR_ECLOSED : MGR_ECONN;
		pthread_mutex_unlock(&c->mtx);
		return rv;
	}
	*first       = c->next_id + 1;
	c->next_id  += n;
	g->remaining = n;
	for (size_t i = 0; i < n; i++) {
		ps[i] = (pending){.id = *first + i, .g = g};
		if (c->pending_tail != NULL) {
			c->pending_tail->next = &ps[i];
		} else {
			c->pending = &ps[i];
		}
		c->pending_tail = &ps[i];
	}
	pthread_mutex_unlock(&c->mtx);
	return 0;
}

/* Waits for the group; after a failed send (err != 0) takes back the
 * requests no reply came for. */
static void
pend_wait(mgr_client *c, pending *ps, size_t n, pgroup *g, int err)
{
	pthread_mutex_lock(&c->mtx);
	if (err != 0) {
		for (size_t i = 0; i < n; i++) {
			if (ps[i].done) {
				continue;
			}
			pending *prev = NULL, *p = c->pending;
			while (p != NULL && p != &ps[i]) {
				prev = p;
				p    = p->next;
			}
			if (p != NULL) {
				unlink_pending(c, prev, p);
			}
			ps[i].err = err;
			finish_pending(&ps[i]);
		}
	}
	while (g->remaining > 0) {
		pthread_cond_wait(&g->cv, &c->mtx);
	}
	pthread_mutex_unlock(&c->mtx);
}

/* ---- receive path (nng callbacks) -------------------------------------- */

static int
on_hello(mgr_client *c, const uint8_t *data, size_t len)
{
	Mgr__Hello *h = mgr__hello__unpack(NULL, len, data);
	Mgr__Auth   a = MGR__AUTH__INIT;
	uint8_t     digest[AUTH_DIGEST_LEN];
	int         rv;
	if (h == NULL || h->nonce.len != AUTH_NONCE_LEN) {
		if (h != NULL) {
			mgr__hello__free_unpacked(h, NULL);
		}
		return MGR_EPROTO;
	}
	rv = auth_digest(c->key, c->keylen, AUTH_CLIENT_LABEL, h->nonce.data,
	    h->nonce.len, digest);
	mgr__hello__free_unpacked(h, NULL);
	if (rv == 0) {
		rv = auth_random(c->nonce, sizeof(c->nonce));
	}
	if (rv != 0) {
		return rv;
	}
	a.version     = AUTH_VERSION;
	a.digest.data = digest;
	a.digest.len  = sizeof(digest);
	a.nonce.data  = c->nonce;
	a.nonce.len   = sizeof(c->nonce);
	char name[64];
	snprintf(name, sizeof(name), "pid %ld", (long) getpid());
	a.client = name;
	return fconn_send_msg(c->fc, &a.base);
}

static int
on_welcome(mgr_client *c, const uint8_t *data, size_t len)
{
	Mgr__Welcome *w = mgr__welcome__unpack(NULL, len, data);
	uint8_t       expect[AUTH_DIGEST_LEN];
	int           rv = 0;
	if (w == NULL) {
		return MGR_EPROTO;
	}
	if (w->status != 0) {
		rv = w->status == MGR_EAUTH ? MGR_EAUTH : MGR_EPROTO;
	} else if (w->digest.len != AUTH_DIGEST_LEN
	    || auth_digest(c->key, c->keylen, AUTH_SERVER_LABEL, c->nonce,
	           sizeof(c->nonce), expect)
	        != 0
	    || !auth_equal(expect, w->digest.data, AUTH_DIGEST_LEN)) {
		// The server does not know our key: not the manager we want.
		rv = MGR_EAUTH;
	}
	if (rv == 0) {
		pthread_mutex_lock(&c->mtx);
		c->session     = w->session;
		c->max_message = w->max_message;
		c->state       = C_READY;
		// From the next receive on, wait for replies without limit.
		fconn_set_rx_timeout(c->fc, 0);
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->mtx);
	}
	mgr__welcome__free_unpacked(w, NULL);
	return rv;
}

static int
on_frame(void *arg, const uint8_t *data, size_t len)
{
	mgr_client *c = arg;
	pthread_mutex_lock(&c->mtx);
	enum cstate st = c->state;
	pthread_mutex_unlock(&c->mtx);
	if (st == C_HANDSHAKE) {
		// Hello first, then Welcome: tell them apart by our nonce.
		static const uint8_t zero[AUTH_NONCE_LEN];
		return memcmp(c->nonce, zero, sizeof(zero)) == 0
		    ? on_hello(c, data, len)
		    : on_welcome(c, data, len);
	}
	Mgr__Reply *rp = NULL;
	if (pb_check(&mgr__reply__descriptor, data, len, PB_MAX_DEPTH)) {
		rp = mgr__reply__unpack(NULL, len, data);
	}
	if (rp == NULL) {
		return MGR_EPROTO;
	}
	pthread_mutex_lock(&c->mtx);
	pending *prev = NULL, *p = c->pending;
	while (p != NULL && p->id != rp->id) {
		prev = p;
		p    = p->next;
	}
	if (p != NULL) {
		unlink_pending(c, prev, p);
		p->reply = rp;
		finish_pending(p);
	}
	pthread_mutex_unlock(&c->mtx);
	if (p == NULL) {
		// A reply nobody waits for: a protocol error of the server.
		mgr__reply__free_unpacked(rp, NULL);
		return MGR_EPROTO;
	}
	return 0;
}

static void
on_closed(void *arg, int err)
{
	mgr_client *c = arg;
	pthread_mutex_lock(&c->mtx);
	if (c->state == C_HANDSHAKE) {
		c->err = err == MGR_ECLOSED || err == MGR_ETIMEDOUT
		    ? MGR_ECONN
		    : err;
	} else {
		c->err = MGR_ECONN;
	}
	c->state = C_DEAD;
	c->ended = true;
	for (pending *p = c->pending, *next; p != NULL; p = next) {
		next   = p->next;
		p->err = c->user_gone ? MGR_ECLOSED : MGR_ECONN;
		finish_pending(p);
	}
	c->pending = c->pending_tail = NULL;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mtx);
}

/* ---- connect / disconnect ---------------------------------------------- */

static int
dial(const char *url, int64_t timeout_ms, nng_stream **out)
{
	nng_stream_dialer *d;
	nng_aio           *aio;
	int                rv;
	if ((rv = nng_stream_dialer_alloc(&d, url)) != 0) {
		client_set_detail("bad URL '%s': %s", url, nng_strerror(rv));
		return MGR_EINVAL;
	}
	if ((rv = nng_aio_alloc(&aio, NULL, NULL)) != 0) {
		nng_stream_dialer_free(d);
		return MGR_ENOMEM;
	}
	nng_aio_set_timeout(aio, (nng_duration) timeout_ms);
	nng_stream_dialer_dial(d, aio);
	nng_aio_wait(aio);
	rv = nng_aio_result(aio);
	if (rv == 0) {
		*out = nng_aio_get_output(aio, 0);
		if (strncmp(url, "tcp", 3) == 0) {
			nng_stream_set_bool(*out, NNG_OPT_TCP_NODELAY, true);
			nng_stream_set_bool(
			    *out, NNG_OPT_TCP_KEEPALIVE, true);
		}
	} else {
		client_set_detail(
		    "cannot connect to %s: %s", url, nng_strerror(rv));
	}
	nng_aio_free(aio);
	nng_stream_dialer_free(d);
	return rv == 0 ? 0 : MGR_ECONN;
}

int
mgr_connect(mgr_client **client, const char *url, const mgr_opts *opts)
{
	const void *key    = opts ? opts->authkey : NULL;
	size_t      keylen = opts ? opts->authkey_len : 0;
	int64_t     tmo    = opts && opts->connect_timeout > 0
	           ? opts->connect_timeout
	           : DEFAULT_CONNECT_MS;
	nng_stream *s;
	int         rv;

	client_set_detail("%s", "");
	if (client == NULL || url == NULL) {
		return MGR_EINVAL;
	}
	if (key == NULL) {
		key    = getenv("MGR_AUTHKEY");
		keylen = key ? strlen(key) : 0;
	}
	if (key == NULL || keylen == 0) {
		client_set_detail(
		    "no authkey (give opts.authkey or MGR_AUTHKEY)");
		return MGR_EINVAL;
	}
	mgr_client *c = calloc(1, sizeof(*c));
	if (c == NULL || (c->key = malloc(keylen)) == NULL) {
		free(c);
		return MGR_ENOMEM;
	}
	memcpy(c->key, key, keylen);
	c->keylen      = keylen;
	if ((c->url = strdup(url)) == NULL) {
		free(c->key);
		free(c);
		return MGR_ENOMEM;
	}
	c->refs        = 1;
	c->max_message = DEFAULT_MAX_MESSAGE;
	pthread_mutex_init(&c->mtx, NULL);
	pthread_cond_init(&c->cv, NULL);
	size_t maxmsg = opts && opts->max_message ? opts->max_message
	                                          : DEFAULT_MAX_MESSAGE;

	if ((rv = dial(url, tmo, &s)) != 0) {
		client_destroy(c);
		return rv;
	}
	if ((rv = fconn_new(&c->fc, s, maxmsg, on_frame, on_closed, c))
	    != 0) {
		nng_stream_free(s);
		client_destroy(c);
		return rv;
	}
	fconn_set_rx_timeout(c->fc, (int) tmo);
	fconn_start(c->fc);

	// Wait for the handshake, bounded by the connect timeout.
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += tmo / 1000;
	dl.tv_nsec += (tmo % 1000) * 1000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&c->mtx);
	while (c->state == C_HANDSHAKE) {
		if (pthread_cond_timedwait(&c->cv, &c->mtx, &dl) != 0) {
			break;
		}
	}
	rv = c->state == C_READY ? 0
	    : c->state == C_DEAD ? (c->err ? c->err : MGR_ECONN)
	                         : MGR_ECONN;
	pthread_mutex_unlock(&c->mtx);
	if (rv != 0) {
		client_set_detail(rv == MGR_EAUTH
		        ? "authentication failed: wrong authkey"
		        : "handshake with %s failed",
		    url);
		client_destroy(c);
		return rv;
	}
	*client = c;
	return 0;
}

int
mgr_connect_env(mgr_client **client)
{
	const char *url = getenv("MGR_URL");
	if (url == NULL || url[0] == '\0') {
		client_set_detail("MGR_URL is not set");
		return MGR_EINVAL;
	}
	return mgr_connect(client, url, NULL);
}

int
mgr_disconnect(mgr_client *c)
{
	if (c == NULL) {
		return 0;
	}
	pthread_mutex_lock(&c->mtx);
	c->user_gone = true;
	pthread_mutex_unlock(&c->mtx);
	fconn_close(c->fc);
	// Closing the connection makes the manager drop this session's
	// references, locks and waiters; wait until it has ended here.
	pthread_mutex_lock(&c->mtx);
	while (!c->ended) {
		pthread_cond_wait(&c->cv, &c->mtx);
	}
	pthread_mutex_unlock(&c->mtx);
	client_unhold(c);
	return 0;
}

/* ---- calls
 * ------------------------------------------------------------------ */

static pthread_key_t  arena_key;
static pthread_once_t arena_once = PTHREAD_ONCE_INIT;

static void
arena_destroy(void *p)
{
	arena_fini(p);
	free(p);
}

static void
arena_key_init(void)
{
	pthread_key_create(&arena_key, arena_destroy);
}

/* A per-thread arena for request trees, reused across calls. */
static arena *
thread_arena(void)
{
	pthread_once(&arena_once, arena_key_init);
	arena *a = pthread_getspecific(arena_key);
	if (a == NULL) {
		a = malloc(sizeof(*a));
		if (a != NULL) {
			arena_init(a);
			pthread_setspecific(arena_key, a);
		}
	}
	return a;
}

static uint64_t
thread_id(void)
{
	static _Thread_local uint64_t tid;
	if (tid == 0) {
		tid = (uint64_t) syscall(SYS_gettid);
	}
	return tid;
}

int
client_call(mgr_client *c, const mgr_call *call, mgr_value *result)
{
	Mgr__Request rq = MGR__REQUEST__INIT;
	Mgr__Value  *pv[16];
	Mgr__Value **args = pv;
	pending      p;
	arena       *a;
	int          rv;

	if (c == NULL || call == NULL
	    || (call->nargs > 0 && call->args == NULL)) {
		return MGR_EINVAL;
	}
	if ((a = thread_arena()) == NULL) {
		return MGR_ENOMEM;
	}
	if (call->nargs > 16
	    && (args = arena_alloc(a, call->nargs * sizeof(*args))) == NULL) {
		arena_reset(a);
		return MGR_ENOMEM;
	}
	for (size_t i = 0; i < call->nargs; i++) {
		args[i] = arena_alloc(a, sizeof(Mgr__Value));
		if (args[i] == NULL) {
			arena_reset(a);
			return MGR_ENOMEM;
		}
		if ((rv = codec_to_pb(c, &call->args[i], a, args[i])) != 0) {
			arena_reset(a);
			return rv;
		}
	}
	rq.op         = call->op;
	rq.target     = call->target;
	rq.type       = call->type;
	rq.name       = call->name ? (char *) call->name : "";
	rq.args       = args;
	rq.n_args     = call->nargs;
	rq.timeout_ms = call->timeout;
	rq.thread     = thread_id();

	// The manager's limit (from the handshake): over it, the manager
	// would close the connection. 11 bytes leave room for the id.
	if (mgr__request__get_packed_size(&rq) + 11 > c->max_message) {
		arena_reset(a);
		client_set_detail("request over the manager's %zu byte limit",
		    c->max_message);
		return MGR_ETOOBIG;
	}
	pgroup   g;
	uint64_t id;
	pthread_cond_init(&g.cv, NULL);
	if ((rv = pend_begin(c, &p, 1, &g, &id)) != 0) {
		pthread_cond_destroy(&g.cv);
		arena_reset(a);
		return rv;
	}
	rq.id = id;
	rv    = fconn_send_msg(c->fc, &rq.base);
	arena_reset(a);
	pend_wait(c, &p, 1, &g, rv == 0 ? 0 : rv == MGR_ETOOBIG ? rv : MGR_ECONN);
	pthread_cond_destroy(&g.cv);

	if (p.reply == NULL) {
		client_set_detail("%s",
		    p.err == MGR_ETOOBIG
		        ? "request over the message size limit"
		        : "connection to the manager lost");
		return p.err;
	}
	rv = p.reply->status;
	if (rv != 0) {
		client_set_detail("%s", p.reply->error);
		if (rv < 0 || rv >= MGR_ENUMERRORS) {
			rv = MGR_EPROTO;
		}
	} else if (result != NULL) {
		if (p.reply->result != NULL) {
			rv = codec_from_pb(c, p.reply->result, result);
		} else {
			*result = mgr_none();
		}
	} else if (p.reply->result != NULL
	    && p.reply->result->kind_case == MGR__VALUE__KIND_REF) {
		// A reference nobody takes: give it back at once.
		mgr_value tmp;
		if (codec_from_pb(c, p.reply->result, &tmp) == 0) {
			mgr_value_free(&tmp);
		}
	}
	if (rv == 0) {
		client_set_detail("%s", "");
	}
	mgr__reply__free_unpacked(p.reply, NULL);
	return rv;
}

/* ---- pipelines (batch.c) --------------------------------------------------- */

static size_t
put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t) v;
	return n;
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t) (v >> 24);
	p[1] = (uint8_t) (v >> 16);
	p[2] = (uint8_t) (v >> 8);
	p[3] = (uint8_t) v;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) |
	    ((uint32_t) p[2] << 8) | p[3];
}

int
client_pipeline(mgr_client *c, const uint8_t *recs, size_t recs_len, size_t n,
    bool atomic, Mgr__Reply **replies)
{
	size_t   np  = atomic ? 1 : n;
	pending *ps  = calloc(np ? np : 1, sizeof(*ps));
	size_t   cap = recs_len + n * 16 + 32;
	uint8_t *out = malloc(cap);
	pgroup   g;
	uint64_t first;
	int      rv;
	if (ps == NULL || out == NULL) {
		free(ps);
		free(out);
		return MGR_ENOMEM;
	}
	pthread_cond_init(&g.cv, NULL);
	if ((rv = pend_begin(c, ps, np, &g, &first)) != 0) {
		pthread_cond_destroy(&g.cv);
		free(ps);
		free(out);
		return rv;
	}
	// Requests were packed without their id (field 1): a field may come
	// in any order, so the id goes in front of each body here.
	size_t len = 0;
	if (atomic) {
		len = 4;
		out[len++] = 0x08; // Request.id
		len += put_varint(out + len, first);
		out[len++] = 0x10; // Request.op = OP_BATCH
		len += put_varint(out + len, MGR__OP__OP_BATCH);
	}
	for (size_t i = 0, off = 0; i < n; i++) {
		uint32_t blen = get_be32(recs + off);
		off += 4;
		if (atomic) {
			out[len++] = 0x4a; // Request.batch
			len += put_varint(out + len, blen);
		} else {
			uint8_t idf[12];
			size_t  k = 0;
			idf[k++]  = 0x08;
			k += put_varint(idf + k, first + i);
			put_be32(out + len, (uint32_t) (blen + k));
			memcpy(out + len + 4, idf, k);
			len += 4 + k;
		}
		memcpy(out + len, recs + off, blen);
		len += blen;
		off += blen;
	}
	if (atomic) {
		put_be32(out, (uint32_t) (len - 4));
	}
	// Each pipelined request was checked against the limit when added.
	rv = atomic && len - 4 > c->max_message ? MGR_ETOOBIG
	                                        : fconn_send_raw(c->fc, out, len);
	free(out);
	pend_wait(c, ps, np, &g, rv == 0 ? 0 : rv == MGR_ETOOBIG ? rv : MGR_ECONN);
	pthread_cond_destroy(&g.cv);
	int first_err = 0;
	for (size_t i = 0; i < np; i++) {
		replies[i] = ps[i].reply;
		if (ps[i].reply == NULL && first_err == 0) {
			first_err = ps[i].err;
		}
	}
	free(ps);
	return first_err;
}

size_t
client_max_message(mgr_client *c)
{
	return c->max_message;
}
