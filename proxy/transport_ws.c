/* WebSocket framing (RFC 6455) over a plain or TLS transport, for ws://
 * and wss://: the client's upgrade request, then each send one masked
 * binary message; what the manager sends is unwrapped into a byte
 * stream (its messages carry our length-prefixed frames, so their
 * boundaries do not matter). Pings are answered, a close ends the
 * connection as a hang-up would. */
#include <mbedtls/base64.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "clock.h"
#include "mgr.h"
#include "transport.h"
#include "websocket.h"

#define WS_RAW      (64 * 1024) /* what is read from inner at once */
#define WS_MAX_HEAD 8192        /* the upgrade answer's headers */

typedef struct ws_transport {
	ctransport      base;
	ctransport     *inner;
	pthread_mutex_t txmtx; /* a pong from the reader among the sends */
	uint32_t        mask_state;
	/* the reader's */
	uint8_t *raw;
	size_t   rawlen, rawoff;
	uint64_t left; /* payload bytes of the current data message */
} ws_transport;

/* The masks need not be secret (they defeat caching proxies, not
 * eavesdroppers): a xorshift seeded at random. */
static uint32_t
next_mask(ws_transport *w)
{
	uint32_t x = w->mask_state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return w->mask_state = x ? x : 0x9e3779b9u;
}

/* One message of opcode op with payload p[0..n), masked. */
static int
send_message(ws_transport *w, int op, const uint8_t *p, size_t n)
{
	uint32_t m       = next_mask(w);
	uint8_t  mask[4] = { (uint8_t) (m >> 24), (uint8_t) (m >> 16),
		 (uint8_t) (m >> 8), (uint8_t) m };
	uint8_t  head[WS_HEAD_MAX];
	size_t   h = ws_head(head, op, n, mask);
	// Masking needs a copy; one buffer for head and payload makes one
	// send (one TLS record, one segment) of a small message.
	uint8_t *buf = malloc(h + n);
	if (buf == NULL) {
		return MGR_ENOMEM;
	}
	memcpy(buf, head, h);
	for (size_t i = 0; i < n; i++) {
		buf[h + i] = p[i] ^ mask[i & 3];
	}
	int rv = w->inner->ops->send_all(w->inner, buf, h + n);
	free(buf);
	return rv;
}

static int
ws_send_all(ctransport *t, const uint8_t *p, size_t n)
{
	ws_transport *w = (ws_transport *) t;
	pthread_mutex_lock(&w->txmtx);
	int rv = send_message(w, WS_OP_BINARY, p, n);
	pthread_mutex_unlock(&w->txmtx);
	return rv;
}

/* Reads more raw bytes from inner (keeping those not parsed yet). */
static int
fill(ws_transport *w, int64_t timeout_ms, spinner *spin)
{
	if (w->rawoff > 0) {
		memmove(w->raw, w->raw + w->rawoff, w->rawlen - w->rawoff);
		w->rawlen -= w->rawoff;
		w->rawoff = 0;
	}
	size_t got;
	int    rv = w->inner->ops->recv_some(w->inner, w->raw + w->rawlen,
	       WS_RAW - w->rawlen, &got, timeout_ms, spin);
	if (rv == 0) {
		w->rawlen += got;
	}
	return rv;
}

static int
ws_recv_some(ctransport *t, uint8_t *buf, size_t cap, size_t *got,
    int64_t timeout_ms, spinner *spin)
{
	ws_transport *w  = (ws_transport *) t;
	int64_t deadline = timeout_ms >= 0 ? clock_ms() + timeout_ms : -1;
	for (;;) {
		size_t avail = w->rawlen - w->rawoff;
		if (w->left > 0 && avail > 0) {
			size_t n = avail < cap ? avail : cap;
			if (n > w->left) {
				n = (size_t) w->left;
			}
			memcpy(buf, w->raw + w->rawoff, n);
			w->rawoff += n;
			w->left -= n;
			*got = n;
			return 0;
		}
		if (w->left == 0 && avail >= 2) {
			// A message header, if all of it is here.
			const uint8_t *h    = w->raw + w->rawoff;
			int            op   = h[0] & 0x0f;
			bool           mask = (h[1] & 0x80) != 0;
			uint64_t       len  = h[1] & 0x7f;
			size_t         hl   = 2;
			if (len == 126) {
				hl = 4;
			} else if (len == 127) {
				hl = 10;
			}
			if (mask) {
				return MGR_ECONN; // a server never masks
			}
			if (avail >= hl) {
				if (hl == 4) {
					len = (uint64_t) h[2] << 8 | h[3];
				} else if (hl == 10) {
					len = 0;
					for (int i = 2; i < 10; i++) {
						len = len << 8 | h[i];
					}
				}
				if (op == WS_OP_BINARY || op == WS_OP_CONT
				    || op == WS_OP_TEXT) {
					w->rawoff += hl;
					w->left = len; // 0: an empty one
					continue;
				}
				// A control message: at most 125 bytes.
				if (len > 125) {
					return MGR_ECONN;
				}
				if (avail >= hl + len) {
					const uint8_t *pl = h + hl;
					w->rawoff += hl + (size_t) len;
					if (op == WS_OP_CLOSE) {
						return MGR_ECONN;
					}
					if (op == WS_OP_PING) {
						uint8_t pong[125];
						memcpy(
						    pong, pl, (size_t) len);
						pthread_mutex_lock(&w->txmtx);
						int rv = send_message(w,
						    WS_OP_PONG, pong,
						    (size_t) len);
						pthread_mutex_unlock(
						    &w->txmtx);
						if (rv != 0) {
							return rv;
						}
					}
					continue; // a pong, or ping answered
				}
			}
		}
		int64_t left = -1;
		if (deadline >= 0 && (left = deadline - clock_ms()) < 0) {
			left = 0;
		}
		int rv = fill(w, left, spin);
		if (rv != 0) {
			return rv;
		}
	}
}

static void
ws_shutdown(ctransport *t)
{
	ws_transport *w = (ws_transport *) t;
	w->inner->ops->shutdown(w->inner);
}

static void
ws_free(ctransport *t)
{
	ws_transport *w = (ws_transport *) t;
	w->inner->ops->free(w->inner);
	pthread_mutex_destroy(&w->txmtx);
	free(w->raw);
	free(w);
}

static const ctransport_ops ws_ops = {
	.send_all  = ws_send_all,
	.recv_some = ws_recv_some,
	.shutdown  = ws_shutdown,
	.free      = ws_free,
};

/* The value of header name in the response head (NUL-terminated), or
 * NULL; the value ends at its CR. */
static const char *
header_value(const char *head, const char *name, size_t *len)
{
	size_t      nl = strlen(name);
	const char *p  = strstr(head, "\r\n");
	while (p != NULL && p[2] != '\r') {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ' || *v == '\t') {
				v++;
			}
			*len = strcspn(v, "\r");
			return v;
		}
		p = strstr(p, "\r\n");
	}
	return NULL;
}

/* Sends the upgrade request and checks the answer; bytes after its
 * headers stay in w->raw. */
static int
upgrade(ws_transport *w, const char *host, const char *path,
    int64_t deadline_ms, char *why, size_t whycap)
{
	uint8_t nonce[16];
	char    key[32];
	size_t  kl;
	if (auth_random(nonce, sizeof(nonce)) != 0) {
		snprintf(why, whycap, "no randomness for the WebSocket key");
		return MGR_EINTERNAL;
	}
	memcpy(&w->mask_state, nonce, sizeof(w->mask_state));
	mbedtls_base64_encode(
	    (unsigned char *) key, sizeof(key), &kl, nonce, sizeof(nonce));
	key[kl] = '\0';
	char req[1200];
	int  n = snprintf(req, sizeof(req),
	     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
	      "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
	      "Sec-WebSocket-Version: 13\r\n\r\n",
	     path, host, key);
	if (n < 0 || (size_t) n >= sizeof(req)) {
		snprintf(why, whycap, "WebSocket path too long");
		return MGR_EINVAL;
	}
	if (w->inner->ops->send_all(
	        w->inner, (const uint8_t *) req, (size_t) n)
	    != 0) {
		snprintf(why, whycap, "WebSocket upgrade: connection lost");
		return MGR_ECONN;
	}
	// The answer's head, up to its blank line.
	char *end = NULL;
	while (end == NULL) {
		int64_t left = deadline_ms - clock_ms();
		if (w->rawlen >= WS_MAX_HEAD || left <= 0) {
			snprintf(why, whycap, "WebSocket upgrade: %s",
			    left <= 0 ? "no answer in time"
			              : "answer too long");
			return MGR_ECONN;
		}
		size_t got;
		int    rv
		    = w->inner->ops->recv_some(w->inner, w->raw + w->rawlen,
		        WS_MAX_HEAD - w->rawlen, &got, left, NULL);
		if (rv != 0) {
			snprintf(why, whycap,
			    "WebSocket upgrade: the manager %s",
			    rv == MGR_ETIMEDOUT ? "did not answer in time"
			                        : "closed the connection");
			return MGR_ECONN;
		}
		w->rawlen += got;
		w->raw[w->rawlen] = '\0';
		end               = strstr((char *) w->raw, "\r\n\r\n");
	}
	const char *head = (const char *) w->raw;
	if (strncmp(head, "HTTP/1.1 101", 12) != 0) {
		snprintf(why, whycap,
		    "WebSocket upgrade refused: %.*s (the URL's path must be "
		    "the listener's)",
		    (int) strcspn(head, "\r"), head);
		return MGR_ECONN;
	}
	char expect[WS_ACCEPT_LEN + 1];
	ws_accept_of(key, expect);
	size_t      el = strlen(expect);
	size_t      vl;
	const char *v = header_value(head, "Sec-WebSocket-Accept", &vl);
	if (v == NULL || vl != el || memcmp(v, expect, el) != 0) {
		snprintf(why, whycap,
		    "WebSocket upgrade: a wrong Sec-WebSocket-Accept");
		return MGR_ECONN;
	}
	w->rawoff = (size_t) (end + 4 - (char *) w->raw);
	return 0;
}

int
ctransport_ws_new(ctransport **tp, ctransport *inner, const char *host,
    const char *path, int64_t deadline_ms, char *why, size_t whycap)
{
	ws_transport *w = calloc(1, sizeof(*w));
	if (w == NULL || (w->raw = malloc(WS_RAW + 1)) == NULL) {
		free(w);
		inner->ops->free(inner);
		return MGR_ENOMEM;
	}
	w->base.ops = &ws_ops;
	w->inner    = inner;
	pthread_mutex_init(&w->txmtx, NULL);
	int rv = upgrade(w, host, path, deadline_ms, why, whycap);
	if (rv != 0) {
		ws_free(&w->base);
		return rv;
	}
	*tp = &w->base;
	return 0;
}
