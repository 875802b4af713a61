/* WebSocket (RFC 6455) on a web port (xport_web.c): the upgrade's
 * answer, and the messages each way. A client's messages are masked and
 * binary (text is refused: frames are bytes); their payload is handed on
 * as it arrives, whatever the messages' boundaries, so the frame limits
 * of the connection layer bound them, not the messages' sizes. Pings are
 * answered, a close is answered with its code, and a protocol error ends
 * the connection with a close saying which. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "websocket.h"
#include "xport_web_int.h"

static bool
ws_out_control(web_xport *w, int op, const uint8_t *p, size_t n)
{
	uint8_t h[WS_HEAD_MAX];
	return web_out_put(w, h, ws_head(h, op, n, NULL))
	    && web_out_put(w, p, n);
}

/* Queues a close with code (0: none) and stops sending. mtx held. */
void
ws_out_close(web_xport *w, unsigned code)
{
	if (w->closing || !w->open) {
		return;
	}
	uint8_t c[2] = { (uint8_t) (code >> 8), (uint8_t) code };
	(void) ws_out_control(w, WS_OP_CLOSE, c, code != 0 ? 2 : 0);
	w->closing = true;
}

/* ---- the WebSocket upgrade ---------------------------------------------
 */

/* The upgrade request rq: its answer queued. mtx held. */
void
ws_answer_upgrade(web_xport *w, const web_request *rq)
{
	size_t      n, kl = 0;
	const char *v, *key;
	if (strcmp(rq->method, "GET") != 0) {
		web_refuse(w, 405, "Allow: GET\r\n", "not a GET");
		return;
	}
	if (strcmp(rq->path, w->o.ws_path) != 0) {
		web_refuse(w, 404, NULL, "another path");
		return;
	}
	if ((v = web_header(rq, "Upgrade", &n)) == NULL
	    || !web_has_token(v, n, "websocket")
	    || (v = web_header(rq, "Connection", &n)) == NULL
	    || !web_has_token(v, n, "upgrade")
	    || (key = web_header(rq, "Sec-WebSocket-Key", &kl)) == NULL
	    || kl != WS_KEY_LEN) {
		web_refuse(w, 400, NULL, "not a WebSocket upgrade");
		return;
	}
	if ((v = web_header(rq, "Sec-WebSocket-Version", &n)) == NULL
	    || n != 2 || strncmp(v, "13", 2) != 0) {
		web_refuse(w, 426, "Sec-WebSocket-Version: 13\r\n",
		    "a version other than 13");
		return;
	}
	// A browser names the page that opens the socket; programs send no
	// Origin. A page --ws-origin does not list never reaches the
	// handshake.
	if ((v = web_header(rq, "Origin", &n)) != NULL
	    && !ws_origin_allowed(w->o.origins, v, n)) {
		char shown[160], origin[128], why[240];
		snprintf(origin, sizeof(origin), "%.*s", (int) n, v);
		log_escape(origin, shown, sizeof(shown));
		snprintf(why, sizeof(why),
		    "a WebSocket upgrade from Origin '%s', not one "
		    "--ws-origin allows",
		    shown);
		web_refuse(w, 403, NULL, why);
		return;
	}
	char accept[WS_ACCEPT_LEN + 1];
	ws_accept_of(key, accept);
	char resp[200];
	int  rn = snprintf(resp, sizeof(resp),
	     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	      "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
	     accept);
	if (!web_out_put(w, resp, (size_t) rn)) {
		w->close_after = true;
		return;
	}
	w->open = true;
}

/* ---- WebSocket messages ------------------------------------------------
 */

/* Fails the connection for a protocol error (logged): a close with code
 * is queued, and reads end. mtx taken. */
static void
fail(web_xport *w, unsigned code, const char *why)
{
	log_preauth(
	    LOG_INFO, "a WebSocket connection from %s: %s", w->peer, why);
	pthread_mutex_lock(&w->mtx);
	ws_out_close(w, code);
	(void) web_out_flush(w);
	pthread_mutex_unlock(&w->mtx);
	w->ended = true;
}

/* A control message of the peer's (its payload unmasked at p). */
static void
control(web_xport *w, int op, uint8_t *p, size_t n)
{
	if (op == WS_OP_PONG) {
		return;
	}
	pthread_mutex_lock(&w->mtx);
	if (op == WS_OP_PING) {
		if (!w->closing) {
			(void) ws_out_control(w, WS_OP_PONG, p, n);
		}
	} else {
		// A close is answered with its code (none for none), and the
		// connection ends as a hang-up would.
		unsigned code = n >= 2 ? (unsigned) (p[0] << 8 | p[1]) : 0;
		ws_out_close(w, code);
		w->ended = true;
	}
	(void) web_out_flush(w);
	web_want_locked(w);
	pthread_mutex_unlock(&w->mtx);
}

/* Parses w->in into buf (at most cap payload bytes): how many, with
 * what is left in w->in. */
size_t
ws_parse_messages(web_xport *w, uint8_t *buf, size_t cap)
{
	size_t pos = 0, got = 0;
	while (pos < w->inlen && got < cap && !w->ended) {
		uint8_t *p     = w->in + pos;
		size_t   avail = w->inlen - pos;
		if (w->left > 0) {
			size_t n = avail < cap - got ? avail : cap - got;
			if (n > w->left) {
				n = (size_t) w->left;
			}
			for (size_t i = 0; i < n; i++) {
				buf[got + i]
				    = p[i] ^ w->mask[w->maskpos++ & 3];
			}
			got += n;
			pos += n;
			w->left -= n;
			continue;
		}
		if (avail < 2) {
			break;
		}
		bool fin = (p[0] & 0x80) != 0, masked = (p[1] & 0x80) != 0;
		int  op      = p[0] & 0x0f;
		uint64_t len = p[1] & 0x7f;
		size_t   hl  = 2 + (len == 126 ? 2 : len == 127 ? 8 : 0) + 4;
		if ((p[0] & 0x70) != 0) {
			fail(w, CLOSE_PROTOCOL, "reserved bits set");
			break;
		}
		if (!masked) {
			fail(w, CLOSE_PROTOCOL, "an unmasked message");
			break;
		}
		if (avail < hl) {
			break;
		}
		if (len == 126) {
			len = (uint64_t) p[2] << 8 | p[3];
		} else if (len == 127) {
			len = 0;
			for (int i = 2; i < 10; i++) {
				len = len << 8 | p[i];
			}
			if (len >> 63) {
				fail(w, CLOSE_PROTOCOL, "a negative length");
				break;
			}
		}
		memcpy(w->mask, p + hl - 4, 4);
		if (op >= WS_OP_CLOSE) {
			if (op > WS_OP_PONG || !fin || len > 125) {
				fail(w, CLOSE_PROTOCOL,
				    "a bad control message");
				break;
			}
			if (avail < hl + len) {
				break;
			}
			for (size_t i = 0; i < len; i++) {
				p[hl + i] ^= w->mask[i & 3];
			}
			control(w, op, p + hl, (size_t) len);
			pos += hl + (size_t) len;
			continue;
		}
		if (op == WS_OP_TEXT) {
			fail(w, CLOSE_DATA,
			    "a text message (frames are binary)");
			break;
		}
		if (op != WS_OP_BINARY && op != WS_OP_CONT) {
			fail(w, CLOSE_PROTOCOL, "an unknown opcode");
			break;
		}
		if ((op == WS_OP_CONT) != w->in_message) {
			fail(w, CLOSE_PROTOCOL,
			    "a fragment outside a message, or a message "
			    "inside one");
			break;
		}
		// Payload bytes go on as they come: a message's size is
		// bounded by the frames inside it (conn.c), not here.
		w->in_message = !fin;
		w->left       = len;
		w->maskpos    = 0;
		pos += hl;
	}
	if (pos > 0) {
		memmove(w->in, w->in + pos, w->inlen - pos);
		w->inlen -= pos;
	}
	return got;
}
