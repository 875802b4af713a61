/* What the parts of a web port's transport share: what it writes of its
 * own and reads of a request's head (web_out.c, at the bottom), the
 * WebSocket upgrade and messages (xport_ws.c, on it), and the HTTP front
 * and the transport's operations (xport_web.c, on both). Private to
 * them. */
#ifndef MGR_MANAGER_NET_XPORT_WEB_INT_H
#define MGR_MANAGER_NET_XPORT_WEB_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "websocket.h"
#include "xport.h"

#define WEB_IN_CAP   (16 * 1024)  /* raw bytes read at once */
#define WEB_HEAD_MAX 8192         /* a request's head */
#define WEB_BODY_MAX (64 * 1024)  /* a request's body (read, not kept) */
#define WEB_OUT_HIGH (256 * 1024) /* answers unread: stop reading */
#define WS_FRAME_MAX (64 * 1024)  /* payload of one message sent */

/* Close codes (RFC 6455 7.4.1). */
enum {
	CLOSE_GOING    = 1001,
	CLOSE_PROTOCOL = 1002,
	CLOSE_DATA     = 1003,
};

typedef struct web_xport {
	xport    base;
	xport   *inner;
	web_opts o; /* the listener's (its strings outlive c) */
	char     peer[96];

	/* The receive side's. */
	uint8_t *in; /* raw bytes not yet parsed (NULL when none) */
	size_t   inlen;
	uint64_t skip; /* HTTP: body bytes still to drop */
	bool     upgraded;
	bool     in_message; /* a fragmented data message goes on */
	uint64_t left;       /* payload bytes of the current data frame */
	uint8_t  mask[4];
	unsigned maskpos;
	bool     ended; /* a close was read */

	pthread_mutex_t mtx;
	/* Under mtx: what the transport writes of its own, not yet taken
	 * by the inner transport. */
	uint8_t *out;
	size_t   outlen, outoff, outcap;
	bool     open; /* the upgrade's answer is queued */
	bool     conn_rd, conn_wr;
	bool     closing;     /* a close message is queued: nothing after */
	bool     close_after; /* HTTP: the connection ends once out is out */
	bool     shut;        /* ... and has */
} web_xport;

static inline bool
ws_mode(const web_xport *w)
{
	return w->o.serve == NULL;
}

/* ---- web_out.c ----------------------------------------------------------
 */

/* Appends n bytes to out. mtx held. */
bool web_out_put(web_xport *w, const void *p, size_t n);
/* Bytes of out not yet taken by the inner transport. mtx held. */
size_t web_out_pending(const web_xport *w);
/* Gives out to the inner transport as far as it takes it: true when all
 * of it went (and then an HTTP connection told to close is shut down).
 * mtx held. */
bool web_out_flush(web_xport *w);
/* Asks the inner transport for the events w needs now. mtx held. */
void web_want_locked(web_xport *w);
/* Queues an answer: its head (with the extra header lines, each ending
 * CRLF, or NULL; Connection: close when w is to close) and body. mtx
 * held. */
void web_out_answer(web_xport *w, int status, const char *ctype,
    const char *extra, const void *body, size_t len);
/* Refuses a request with status (extra: more header lines, or NULL),
 * logged by cause; the connection closes once that is written. mtx
 * held. */
void web_refuse(web_xport *w, int status, const char *extra, const char *why);
/* Whether a comma-separated header value holds token (case ignored). */
bool web_has_token(const char *v, size_t n, const char *token);

/* ---- xport_ws.c ----------------------------------------------------------
 */

/* Queues a close with code (0: none) and stops sending. mtx held. */
void ws_out_close(web_xport *w, unsigned code);
/* The upgrade request rq: its answer (101, or a refusal) queued. mtx
 * held. */
void ws_answer_upgrade(web_xport *w, const web_request *rq);
/* Parses w->in into buf (at most cap payload bytes): how many; what is
 * left stays in w->in. Control messages are answered; a protocol error
 * or a close sets w->ended. The receive side's; takes mtx. */
size_t ws_parse_messages(web_xport *w, uint8_t *buf, size_t cap);

#endif
