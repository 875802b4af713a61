/* What the connection (client.c), the dial and handshake (connect.c) and
 * the session's life (session.c, above both) share: the client struct and
 * their calls. Nothing else includes it. */
#ifndef MGR_PROXY_CLIENT_INT_H
#define MGR_PROXY_CLIENT_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "spin.h"
#include "transport.h"

#define DEFAULT_CONNECT_MS  10000
#define DEFAULT_MAX_MESSAGE ((size_t) 64 << 20)
#define RX_MIN              4096
#define RX_BIG              65536 /* a frame read to its end alone */

/* Callers waiting for replies: one group per waiting thread (a single
 * call, or a pipelined batch). */
typedef struct pgroup {
	pthread_cond_t cv;
	size_t         remaining;
} pgroup;

typedef struct pending {
	uint64_t    id;
	uint64_t    seq; /* its number in the session (0: none) */
	pgroup     *g;
	bool        done;
	int         err;   /* transport error, when reply is NULL */
	Mgr__Reply *reply; /* owned once done */
	arena      *arena; /* the reply goes there (else malloc) */
	/* the bytes it goes out as (its caller's, alive while it waits),
	 * the client's to send (again, after a reconnect) once queued */
	const uint8_t  *frame;
	size_t          flen;
	bool            queued;
	bool            heartbeat; /* the keep-alive thread's ping */
	struct pending *next;
} pending;

/* Ready; reconnecting (calls wait, their requests are sent again once a
 * new connection resumed the session, or get MGR_ESESSION if it could
 * not be); dead. */
enum cstate { C_READY, C_RECONNECTING, C_DEAD };

#define DEFAULT_LEASE_MS 15000

struct mgr_client {
	pthread_mutex_t mtx;     /* everything below but the rx buffer */
	pthread_mutex_t txmtx;   /* one writer at a time */
	pthread_cond_t  idle_cv; /* reading and busy went to zero */
	ctransport     *t;       /* NULL until connected; swapped (by a
	                          * reconnect) only while nobody uses it */
	spinner     spin;        /* the reading thread's (spin.h) */
	enum cstate state;
	int         err;       /* why the connection died */
	bool        closing;   /* the stream is (being) closed */
	bool        reading;   /* a thread reads fd into the rx buffer */
	size_t      busy;      /* threads inside a send */
	bool        user_gone; /* mgr_disconnect called */
	size_t      refs;      /* the user's + one per proxy */
	uint64_t    next_id;
	pending    *pending; /* in id order: replies mostly match the head */
	pending    *pending_tail;
	/* the rx buffer, owned by the reading thread */
	uint8_t *rxbuf;
	size_t   rxcap, rxlen, rxoff;
	size_t   rx_limit; /* our own frame size limit */
	size_t   rx_last;  /* the last frame's size */
	uint8_t *key;
	size_t   keylen;
	uint64_t session;
	/* the manager's limit: set by the keep-alive thread's handshakes,
	 * read by calls without the lock (client_max_message) */
	_Atomic size_t max_message;
	char          *url; /* the manager dialled (one of urls, or where a
	                       cluster's member sent the client) */
	char *urls;         /* as given: one URL, or a cluster's members,
	                       comma-separated */
	char *redirect;     /* the last handshake's: where the leader
	                       serves (NULL: none said) */

	/* the session: its lease, and reconnecting (mgr_opts) */
	int64_t lease_asked;  /* what it asks for */
	int64_t lease_ms;     /* what the manager granted; 0: none */
	int64_t reconnect_ms; /* 0: never */
	bool    stale_reads;  /* mgr_opts.stale_reads: asked at handshakes */
	int64_t connect_ms;   /* the connect timeout, for redials too */
	uint8_t resume_secret[32];
	bool    resumed;         /* the last handshake resumed the session */
	bool    fresh;           /* the session is gone: the next is new */
	bool    gone_unreported; /* ... and no call in flight was told:
	                          * the next call is */
	uint64_t next_seq;       /* requests' numbers (reconnecting only) */
	uint64_t replies_read;   /* reply frames read in this session: what
	                          * each request acknowledges */
	uint64_t sends;          /* frames written: the keep-alive thread's
	                          * measure of silence */
	int64_t lost_ms;         /* when the connection was lost */
	char   *tls_ca, *tls_cert, *tls_key, *tls_name; /* copies */
	struct ctls_resume *tls_resume; /* the session a reconnect offers */
	char           client_name[64]; /* what Auth.client says, less pid */
	pthread_t      ka; /* the keep-alive thread (session.c) */
	bool           ka_running, ka_stop;
	pthread_cond_t ka_cv; /* wakes it: stop, a connection lost */
};

/* The next complete frame in the receive buffer, or NULL (*err set to
 * MGR_ETOOBIG for one over the limit). */
const uint8_t *client_next_frame(mgr_client *c, size_t *len, int *err);
/* Reads more into the receive buffer, waiting up to timeout_ms. */
int client_read_more(mgr_client *c, int64_t timeout_ms);
/* The client's first use: the field keys read and written by hand. */
void client_init_once(void);

/* ---- connect.c ----------------------------------------------------------
 */

/* The client of opts (url and key copied), not connected yet; NULL
 * without memory. */
mgr_client *client_new(
    const char *url, const void *key, size_t keylen, const mgr_opts *opts);
/* Dials c's URL and runs the handshake into c's transport and session
 * fields, resuming c->session when resume (connect.c). Only while nobody
 * reads or writes c's stream. */
int client_dial(mgr_client *c, bool resume, int64_t timeout_ms);
/* How many URLs c has (a cluster's members: more than one). */
size_t client_url_count(const mgr_client *c);
/* The member after the one dialled last becomes the first to dial (the
 * leader was lost: another member is likelier to lead now). 0 or
 * MGR_ENOMEM. Only while nobody dials. */
int client_next_url(mgr_client *c);
/* ---- client.c: the session's state on the connection ----------------- */

/* Every call in flight gets err; the client is dead (c->mtx held). */
void client_kill_locked(mgr_client *c, int err);
/* Every call in flight (or only the heartbeat) gets err; whether one
 * that is not a heartbeat did (c->mtx held). */
bool client_fail_calls_locked(mgr_client *c, int err, bool heartbeat_only);
/* Sends the requests queued while reconnecting, in order, on the new
 * connection, and makes c ready (c->mtx held, dropped meanwhile). */
void client_resume_sending_locked(mgr_client *c);
/* The connection is lost (c->mtx held): reconnecting when c reconnects
 * (calls wait), else dead with err (calls get it). */
void client_lost_locked(mgr_client *c, int err);
/* The session is gone (the manager's notice; a resume refused): every
 * call in flight gets MGR_ESESSION (or, none being in flight, the next
 * call), and the client goes on in a new session (c->mtx held). */
void client_session_gone_locked(mgr_client *c);
/* A heartbeat: a ping, answered by deadline (ms, monotonic), else the
 * connection is taken for dead. 0, MGR_ETIMEDOUT or the call's error. */
int client_heartbeat(mgr_client *c, int64_t deadline);
/* Wakes a thread waiting for its reply to read for everyone (a new
 * connection is ready). c->mtx held. */
void client_wake_reader_locked(mgr_client *c);
/* Frees c (its socket closed); for a client never handed out. */
void client_destroy(mgr_client *c);

#endif
