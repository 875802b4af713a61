/* The web ports in the epoll loops: HTTP/1.1 over a plain or TLS transport
 * (xport_sock.c, xport_tls.c), for ws:// and wss:// (the upgrade, then
 * WebSocket messages carrying the connection's bytes: xport_ws.c) and for
 * --http and --metrics (requests answered by the port's handler).
 *
 * Why not nng's HTTP server: it does the upgrade and under TLS the
 * handshake before the manager sees a connection, with no deadline and
 * no count, keeps a half-sent request for ever, and buffers a whole
 * WebSocket message (up to the frame limit) before handing it over. Here
 * the request is read by the connection's first reads, so the handshake's
 * deadline, the limits on unauthenticated connections and the frame
 * limit before the key (conn.c, session.c) bound a WebSocket as they
 * bound every transport, and an HTTP connection has a deadline for each
 * request and a count per port (web_conns.c). A message's payload is
 * handed on as it arrives, never held whole.
 *
 * The receive side (read, more) runs on the loop's thread, and so do the
 * handlers. What the transport writes itself (an answer, a pong, a
 * close's reply, each message's head) goes through out[] under mtx, which
 * also guards the inner transport's writes and the events asked of it; a
 * connection's write comes in under its own mutex, which comes first. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conn.h"
#include "log.h"
#include "mgr.h"
#include "xport_web_int.h"

/* The inner transport's events. */
static void
web_ready(xport *t, unsigned what)
{
	web_xport *w = (web_xport *) t;
	if (what & XPORT_WR) {
		pthread_mutex_lock(&w->mtx);
		bool all = web_out_flush(w);
		// The connection hears of writability once out is gone (and
		// the upgrade answered: its Hello waits for that).
		if (!all || !w->open || !w->conn_wr || w->closing) {
			what &= ~(unsigned) XPORT_WR;
		}
		// Answers read: requests kept meanwhile are served.
		bool resume = all && !ws_mode(w) && w->inlen > 0;
		web_want_locked(w);
		pthread_mutex_unlock(&w->mtx);
		if (resume) {
			what |= XPORT_RD;
		}
	}
	if (what != 0) {
		conn_ready(w->base.conn, what);
	}
}

/* The request line of head: false (refused) when it is not one. */
static bool
request_line(web_xport *w, char *head, web_request *rq, char *method,
    size_t mcap, char *path, size_t pcap, bool *http10)
{
	size_t ml      = strcspn(head, " \r");
	char  *target  = head + ml + 1;
	size_t tl      = head[ml] == ' ' ? strcspn(target, " \r") : 0;
	char  *version = target + tl + 1;
	if (ml == 0 || ml >= mcap || tl == 0 || target[tl] != ' '
	    || (strncmp(version, "HTTP/1.1\r", 9) != 0
	        && strncmp(version, "HTTP/1.0\r", 9) != 0)) {
		web_refuse(w, 400, NULL, "not an HTTP/1.1 request line");
		return false;
	}
	if (tl >= pcap) {
		web_refuse(w, 431, NULL, "a request target over 2 KiB");
		return false;
	}
	memcpy(method, head, ml);
	method[ml] = '\0';
	memcpy(path, target, tl);
	path[tl] = '\0';
	char *q  = strchr(path, '?');
	if (q != NULL) {
		*q++ = '\0';
	}
	*http10    = version[7] == '0';
	rq->method = method;
	rq->path   = path;
	rq->query  = q != NULL ? q : "";
	rq->head   = head;
	return true;
}

/* ---- HTTP requests -----------------------------------------------------
 */

/* An HTTP request rq (its head read): answered by the port's handler,
 * its body (if any) dropped as it comes. mtx held. */
static void
answer_request(web_xport *w, const web_request *rq, bool http10)
{
	size_t      n;
	const char *v;
	if (web_header(rq, "Transfer-Encoding", &n) != NULL) {
		web_refuse(
		    w, 501, NULL, "a body not sized by Content-Length");
		return;
	}
	if ((v = web_header(rq, "Content-Length", &n)) != NULL) {
		char  digits[24];
		char *end;
		snprintf(digits, sizeof(digits), "%.*s", (int) n, v);
		unsigned long long len = strtoull(digits, &end, 10);
		if (n == 0 || n >= sizeof(digits) || *end != '\0'
		    || digits[0] == '-' || len > WEB_BODY_MAX) {
			web_refuse(w, 413, NULL, "a body over 64 KiB");
			return;
		}
		w->skip = len;
	}
	v = web_header(rq, "Connection", &n);
	w->close_after
	    = http10 || (v != NULL && web_has_token(v, n, "close"));
	web_reply reply = { 0 };
	w->o.serve(w->o.serve_arg, rq, &reply);
	web_out_answer(w, reply.status, reply.ctype, reply.headers,
	    reply.body, reply.len);
	if (reply.free_body) {
		free((void *) reply.body);
	}
}

/* The requests whole in w->in, answered (an upgrade, or by the handler)
 * until one is not whole, the answers pile up unread or the connection
 * is to close: XPORT_AGAIN, or 0 once upgraded. */
static ssize_t
read_requests(web_xport *w)
{
	for (;;) {
		if (w->skip > 0) {
			size_t n = w->inlen < w->skip ? w->inlen : w->skip;
			memmove(w->in, w->in + n, w->inlen - n);
			w->inlen -= n;
			w->skip -= n;
		}
		pthread_mutex_lock(&w->mtx);
		bool stop
		    = w->close_after || web_out_pending(w) >= WEB_OUT_HIGH;
		pthread_mutex_unlock(&w->mtx);
		if (stop || w->inlen == 0 || w->skip > 0) {
			return XPORT_AGAIN;
		}
		w->in[w->inlen] = '\0';
		bool  nul       = memchr(w->in, '\0', w->inlen) != NULL;
		char *end = nul ? NULL : strstr((char *) w->in, "\r\n\r\n");
		pthread_mutex_lock(&w->mtx);
		if (end == NULL && (nul || w->inlen >= WEB_HEAD_MAX)) {
			web_refuse(w, nul ? 400 : 431, NULL,
			    nul ? "a NUL in the head" : "a head over 8 KiB");
		} else if (end != NULL) {
			char        method[16], path[2048];
			bool        http10;
			web_request rq;
			char        save = end[2];
			end[2] = '\0'; // the last line keeps its CRLF
			if (request_line(w, (char *) w->in, &rq, method,
			        sizeof(method), path, sizeof(path),
			        &http10)) {
				if (ws_mode(w)) {
					ws_answer_upgrade(w, &rq);
				} else {
					answer_request(w, &rq, http10);
				}
			}
			end[2] = save;
		}
		(void) web_out_flush(w);
		web_want_locked(w);
		bool open = w->open, refused = w->close_after;
		pthread_mutex_unlock(&w->mtx);
		if (end == NULL) {
			return XPORT_AGAIN;
		}
		size_t hl = (size_t) (end + 4 - (char *) w->in);
		memmove(w->in, w->in + hl, w->inlen - hl);
		w->inlen -= hl;
		if (open) {
			w->upgraded = true;
			return 0;
		}
		if (!ws_mode(w) && !refused && w->o.timeout_ms != NULL) {
			// The next request has as long as this one had.
			fconn_set_rx_timeout(w->base.conn,
			    (int) __atomic_load_n(
			        w->o.timeout_ms, __ATOMIC_RELAXED));
		}
	}
}

/* ---- reading -----------------------------------------------------------
 */

/* Whether no more is read: the connection is to close, or (HTTP) its
 * answers pile up unread. */
static bool
read_paused(web_xport *w, bool *shut)
{
	pthread_mutex_lock(&w->mtx);
	*shut       = w->shut;
	bool paused = w->close_after
	    || (!ws_mode(w) && web_out_pending(w) >= WEB_OUT_HIGH);
	pthread_mutex_unlock(&w->mtx);
	return paused;
}

static ssize_t
web_read(xport *t, uint8_t *buf, size_t cap)
{
	web_xport *w = (web_xport *) t;
	for (;;) {
		bool shut;
		bool paused = read_paused(w, &shut);
		if (w->ended || shut) {
			return XPORT_CLOSED; // a close read, or an answer
			                     // that ended the connection
		}
		if (w->upgraded && w->inlen > 0) {
			size_t got = ws_parse_messages(w, buf, cap);
			if (got > 0) {
				return (ssize_t) got;
			}
			if (w->ended) {
				return XPORT_CLOSED;
			}
		} else if (!w->upgraded && w->inlen > 0 && !paused) {
			if (read_requests(w) == 0) {
				continue; // upgraded: what follows is
				          // messages
			}
			paused = read_paused(w, &shut);
		}
		if (paused) {
			// Read again once the answers are out (or, closing,
			// the end is read once the last one is).
			return XPORT_AGAIN;
		}
		if (w->in == NULL
		    && (w->in = malloc(WEB_IN_CAP + 1)) == NULL) {
			return XPORT_CLOSED;
		}
		// Before the upgrade, only what a head may take.
		size_t room
		    = (w->upgraded ? WEB_IN_CAP : WEB_HEAD_MAX) - w->inlen;
		ssize_t k = room > 0
		    ? w->inner->ops->read(w->inner, w->in + w->inlen, room)
		    : XPORT_AGAIN;
		if (k <= 0) {
			if (w->inlen == 0) {
				free(w->in); // an idle connection holds none
				w->in = NULL;
			}
			return k;
		}
		w->inlen += (size_t) k;
	}
}

static bool
web_more(xport *t)
{
	web_xport *w = (web_xport *) t;
	return w->inlen > 0 || w->inner->ops->more(w->inner);
}

/* ---- writing -----------------------------------------------------------
 */

/* A connection's bytes, as one binary message each write (at most
 * WS_FRAME_MAX): head and payload go out in one inner write (one TLS
 * record, one segment). What the inner transport does not take at once
 * stays in out, counted as taken, and goes before anything else. */
static ssize_t
web_write(xport *t, const uint8_t *buf, size_t n)
{
	web_xport *w = (web_xport *) t;
	pthread_mutex_lock(&w->mtx);
	ssize_t k = XPORT_AGAIN;
	if (w->closing || w->close_after) {
		k = XPORT_CLOSED;
	} else if (w->open && web_out_flush(w)) {
		size_t  m = n < WS_FRAME_MAX ? n : WS_FRAME_MAX;
		uint8_t h[WS_HEAD_MAX];
		if (!web_out_put(w, h, ws_head(h, WS_OP_BINARY, m, NULL))
		    || !web_out_put(w, buf, m)) {
			k = XPORT_CLOSED;
		} else {
			(void) web_out_flush(w);
			k = (ssize_t) m;
		}
	}
	web_want_locked(w);
	pthread_mutex_unlock(&w->mtx);
	return k;
}

static void
web_interest(xport *t, bool rd, bool wr)
{
	web_xport *w = (web_xport *) t;
	pthread_mutex_lock(&w->mtx);
	w->conn_rd = rd;
	w->conn_wr = wr;
	web_want_locked(w);
	pthread_mutex_unlock(&w->mtx);
}

static void
web_kick(xport *t)
{
	web_xport *w = (web_xport *) t;
	w->inner->ops->kick(w->inner);
}

static bool
web_peer_gone(xport *t)
{
	web_xport *w = (web_xport *) t;
	return w->inner->ops->peer_gone(w->inner);
}

/* The manager ends the connection: a WebSocket's close goes first when
 * it can (going away; the socket takes it now or never), so a browser
 * sees why rather than 1006. */
static void
web_shutdown(xport *t)
{
	web_xport *w = (web_xport *) t;
	pthread_mutex_lock(&w->mtx);
	if (web_out_pending(w) == 0) {
		ws_out_close(w, CLOSE_GOING);
		(void) web_out_flush(w);
	}
	w->closing = true;
	pthread_mutex_unlock(&w->mtx);
	w->inner->ops->shutdown(w->inner);
}

static void
web_detach(xport *t)
{
	web_xport *w = (web_xport *) t;
	w->inner->ops->detach(w->inner);
}

static void
web_free(xport *t)
{
	web_xport *w = (web_xport *) t;
	w->inner->ops->free(w->inner);
	pthread_mutex_destroy(&w->mtx);
	free(w->in);
	free(w->out);
	free(w);
}

#define WEB_OPS(name, scheme_name)                                           \
	static const xport_ops name = {                                      \
		.read      = web_read,                                       \
		.more      = web_more,                                       \
		.write     = web_write,                                      \
		.interest  = web_interest,                                   \
		.kick      = web_kick,                                       \
		.peer_gone = web_peer_gone,                                  \
		.shutdown  = web_shutdown,                                   \
		.detach    = web_detach,                                     \
		.free      = web_free,                                       \
		.ready     = web_ready,                                      \
		.scheme    = scheme_name,                                    \
	}
WEB_OPS(ws_ops, "ws");
WEB_OPS(wss_ops, "wss");
WEB_OPS(http_ops, "http");
WEB_OPS(https_ops, "https");

int
xport_web_new(xport **tp, xport *inner, const web_opts *o, const char *peer)
{
	web_xport *w = calloc(1, sizeof(*w));
	if (w == NULL) {
		inner->ops->free(inner);
		return MGR_ENOMEM;
	}
	w->base.ops   = o->serve == NULL ? (o->secure ? &wss_ops : &ws_ops)
	                                 : (o->secure ? &https_ops : &http_ops);
	w->base.inner = inner;
	inner->outer  = &w->base;
	w->inner      = inner;
	w->o          = *o;
	snprintf(w->peer, sizeof(w->peer), "%s", peer);
	pthread_mutex_init(&w->mtx, NULL);
	*tp = &w->base;
	return 0;
}
