/* What the connection (client.c) and connecting to a manager (connect.c)
 * share:
 * the client struct and the stream calls. Nothing else includes it. */
#ifndef MGR_PROXY_CLIENT_INT_H
#define MGR_PROXY_CLIENT_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "spin.h"
#include "transport.h"

#define DEFAULT_CONNECT_MS  10000
#define DEFAULT_MAX_MESSAGE ((size_t) 64 << 20)
#define RX_MIN              4096

/* Callers waiting for replies: one group per waiting thread (a single
 * call, or a pipelined batch). */
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
	arena          *arena; /* the reply goes there (else malloc) */
	struct pending *next;
} pending;

enum cstate { C_READY, C_DEAD };

struct mgr_client {
	pthread_mutex_t mtx;     /* everything below but the rx buffer */
	pthread_mutex_t txmtx;   /* one writer at a time */
	pthread_cond_t  idle_cv; /* reading and busy went to zero */
	ctransport     *t;       /* NULL until connected */
	spinner         spin;    /* the reading thread's (spin.h) */
	enum cstate     state;
	int             err;       /* why the connection died */
	bool            closing;   /* the stream is (being) closed */
	bool            reading;   /* a thread reads fd into the rx buffer */
	size_t          busy;      /* threads inside a send */
	bool            user_gone; /* mgr_disconnect called */
	size_t          refs;      /* the user's + one per proxy */
	uint64_t        next_id;
	pending *pending; /* in id order: replies mostly match the head */
	pending *pending_tail;
	/* the rx buffer, owned by the reading thread */
	uint8_t *rxbuf;
	size_t   rxcap, rxlen, rxoff;
	size_t   rx_limit; /* our own frame size limit */
	uint8_t *key;
	size_t   keylen;
	uint64_t session;
	size_t   max_message; /* the manager's limit */
	char    *url;
};

/* Writes all of p (one writer at a time). 0 or MGR_ECONN. */
int client_send_bytes(mgr_client *c, const uint8_t *p, size_t n);
/* The next complete frame in the receive buffer, or NULL (*err set to
 * MGR_ETOOBIG for one over the limit). */
const uint8_t *client_next_frame(mgr_client *c, size_t *len, int *err);
/* Reads more into the receive buffer, waiting up to timeout_ms. */
int client_read_more(mgr_client *c, int64_t timeout_ms);
/* The client's first use: the field keys read and written by hand. */
void client_init_once(void);
/* Frees c (its socket closed); for a client never handed out. */
void client_destroy(mgr_client *c);

#endif
