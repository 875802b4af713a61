/* What a web port's transport writes of its own (an answer, a refusal,
 * a WebSocket's control messages and heads: out[], under its mutex) and
 * what it reads from a request's head: below both halves of the
 * transport (xport_web.c, xport_ws.c; xport_web_int.h). */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "xport_web_int.h"

/* ---- what the transport writes of its own ------------------------------
 */

/* Appends n bytes to out. mtx held. */
bool
web_out_put(web_xport *w, const void *p, size_t n)
{
	if (w->outoff > 0 && w->outoff == w->outlen) {
		w->outoff = w->outlen = 0;
	}
	if (w->outlen + n > w->outcap) {
		size_t   cap = w->outlen + n < 512 ? 512 : w->outlen + n;
		uint8_t *b   = realloc(w->out, cap);
		if (b == NULL) {
			return false;
		}
		w->out    = b;
		w->outcap = cap;
	}
	memcpy(w->out + w->outlen, p, n);
	w->outlen += n;
	return true;
}

size_t
web_out_pending(const web_xport *w)
{
	return w->outlen - w->outoff;
}

/* Gives out to the inner transport as far as it takes it: true when all
 * of it went (and then an HTTP connection told to close is shut down).
 * mtx held. */
bool
web_out_flush(web_xport *w)
{
	while (w->outoff < w->outlen) {
		ssize_t k = w->inner->ops->write(
		    w->inner, w->out + w->outoff, w->outlen - w->outoff);
		if (k <= 0) {
			return false; // XPORT_CLOSED: the read side sees it
		}
		w->outoff += (size_t) k;
	}
	w->outoff = w->outlen = 0;
	if (w->outcap > WS_FRAME_MAX + 16) {
		free(w->out); // a big answer's copy is not kept
		w->out    = NULL;
		w->outcap = 0;
	}
	if (w->close_after && !w->shut) {
		w->shut = true; // the read side then sees the end
		w->inner->ops->shutdown(w->inner);
	}
	return true;
}

/* The events asked of the inner transport: reads as the connection wants
 * them (an HTTP connection's not while its answers go unread, nor once it
 * is to close), writability while out holds bytes or (once open) the
 * connection has some. mtx held. */
void
web_want_locked(web_xport *w)
{
	bool rd = w->conn_rd
	    && (ws_mode(w)
	        || (!w->close_after && web_out_pending(w) < WEB_OUT_HIGH));
	bool wr = web_out_pending(w) > 0 || (w->conn_wr && w->open);
	w->inner->ops->interest(w->inner, rd, wr);
}

/* ---- requests ----------------------------------------------------------
 */

const char *
web_header(const web_request *rq, const char *name, size_t *len)
{
	size_t      nl = strlen(name);
	const char *p  = strstr(rq->head, "\r\n");
	while (p != NULL && p[2] != '\r' && p[2] != '\0') {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ' || *v == '\t') {
				v++;
			}
			size_t n = strcspn(v, "\r");
			while (
			    n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t')) {
				n--;
			}
			*len = n;
			return v;
		}
		p = strstr(p, "\r\n");
	}
	return NULL;
}

/* Whether a comma-separated header value holds token (case ignored). */
bool
web_has_token(const char *v, size_t n, const char *token)
{
	size_t tl = strlen(token);
	for (size_t i = 0; i < n;) {
		while (
		    i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) {
			i++;
		}
		size_t j = i;
		while (j < n && v[j] != ',') {
			j++;
		}
		size_t e = j;
		while (e > i && (v[e - 1] == ' ' || v[e - 1] == '\t')) {
			e--;
		}
		if (e - i == tl && strncasecmp(v + i, token, tl) == 0) {
			return true;
		}
		i = j;
	}
	return false;
}

bool
ws_origin_allowed(const char *origins, const char *origin, size_t n)
{
	if (strcmp(origins, ",*,") == 0) {
		return true;
	}
	for (const char *p = origins; (p = strchr(p, ',')) != NULL; p++) {
		if (strncasecmp(p + 1, origin, n) == 0 && p[1 + n] == ',') {
			return true;
		}
	}
	return false;
}

static const char *
reason_phrase(int status)
{
	static const struct {
		int         status;
		const char *phrase;
	} phrases[] = { { 200, "OK" }, { 400, "Bad Request" },
		{ 401, "Unauthorized" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 409, "Conflict" }, { 413, "Content Too Large" },
		{ 426, "Upgrade Required" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
		{ 505, "HTTP Version Not Supported" } };
	for (size_t i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++) {
		if (phrases[i].status == status) {
			return phrases[i].phrase;
		}
	}
	return "Unknown";
}

/* Queues an answer: its head (with the extra header lines, each ending
 * CRLF) and body. mtx held. */
void
web_out_answer(web_xport *w, int status, const char *ctype, const char *extra,
    const void *body, size_t len)
{
	char head[1024];
	int  n = snprintf(head, sizeof(head),
	     "HTTP/1.1 %d %s\r\n%s%s%sContent-Length: %zu\r\n%s%s\r\n", status,
	     reason_phrase(status), ctype != NULL ? "Content-Type: " : "",
            ctype != NULL ? ctype : "", ctype != NULL ? "\r\n" : "", len,
            extra != NULL ? extra : "",
            w->close_after ? "Connection: close\r\n" : "");
	if (n < 0 || (size_t) n >= sizeof(head)
	    || !web_out_put(w, head, (size_t) n)
	    || !web_out_put(w, body, len)) {
		w->outoff = w->outlen = 0; // nothing half-said
		w->close_after        = true;
	}
}

/* Refuses a request with status, logged by cause; the connection closes
 * once that is written. mtx held. */
void
web_refuse(web_xport *w, int status, const char *extra, const char *why)
{
	w->close_after = true;
	web_out_answer(w, status, NULL, extra, "", 0);
	log_refused(LOG_WARN,
	    ws_mode(w) ? "WebSocket upgrades refused"
	               : "HTTP requests refused",
	    w->peer, "%s from %s refused (%d %s): %s",
	    ws_mode(w) ? "a WebSocket upgrade" : "an HTTP request", w->peer,
	    status, reason_phrase(status), why);
}
