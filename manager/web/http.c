#include "http.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "mgr.h"
#include "server.h"
#include "sock.h"
#include "webapi.h"

/* On a loop's thread, as a request is read: rendering takes the server
 * lock for the snapshot only, which no one holds across I/O. */
typedef struct dashboard {
	struct server *srv;
	char           token[200]; /* "": none asked (--metrics-no-auth) */
	char           path[256];  /* --metrics: where the metrics are */
} dashboard;

struct http_endpoint {
	listener  *l;
	dashboard *dash;
};

/* Every answer of the dashboard's: never cached; the page runs its own
 * inline script and talks to this origin only (nothing else may load or
 * frame it); no type sniffing. */
#define DASH_HEADERS                                                         \
	"Cache-Control: no-store\r\n"                                        \
	"Content-Security-Policy: default-src 'none'; script-src "           \
	"'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "   \
	"img-src 'self'; frame-ancestors 'none'\r\n"                         \
	"X-Content-Type-Options: nosniff\r\n"

static void
answer(web_reply *out, int status, const char *ctype, const char *body,
    size_t len, bool owned)
{
	*out = (web_reply) { .status = status,
		.ctype               = ctype,
		.headers             = DASH_HEADERS,
		.body                = body,
		.len                 = len,
		.free_body           = owned };
}

static void
answer_text(web_reply *out, int status, const char *ctype, const char *text)
{
	answer(out, status, ctype, text, strlen(text), false);
}

/* Whether the request carries the token: "Authorization: Bearer T", or
 * token=T in a GET's query (for scripts). Compared in constant time. */
static bool
authorized(const dashboard *d, const web_request *rq)
{
	// An action (POST) takes the token in its header only: a page of
	// another site can make a browser send a form, never a header.
	const char *query = strcmp(rq->method, "GET") == 0 ? rq->query : NULL;
	const char *given = NULL;
	size_t      glen  = 0, al;
	const char *auth  = web_header(rq, "Authorization", &al);
	if (auth != NULL && al > 7 && strncmp(auth, "Bearer ", 7) == 0) {
		given = auth + 7;
		glen  = al - 7;
	}
	for (const char *p = query; given == NULL && p != NULL && *p;) {
		if (strncmp(p, "token=", 6) == 0) {
			given = p + 6;
			glen  = strcspn(given, "&");
		}
		p = strchr(p, '&');
		p = p != NULL ? p + 1 : NULL;
	}
	size_t tlen = strlen(d->token);
	if (given == NULL || glen != tlen) {
		return false;
	}
	unsigned char diff = 0;
	for (size_t i = 0; i < tlen; i++) {
		diff |= (unsigned char) (given[i] ^ d->token[i]);
	}
	return diff == 0;
}

/* --metrics: GET of its path, behind the token unless --metrics-no-auth
 * (Prometheus sends it as "Authorization: Bearer T": its authorization
 * credentials_file). */
static void
serve_metrics(void *arg, const web_request *rq, web_reply *out)
{
	const dashboard *d = arg;
	if (strcmp(rq->path, d->path) != 0) {
		answer_text(
		    out, 404, "text/plain; charset=utf-8", "not found\n");
		return;
	}
	if (strcmp(rq->method, "GET") != 0) {
		answer_text(
		    out, 405, "text/plain; charset=utf-8", "only GET\n");
		out->headers = "Allow: GET\r\n";
		return;
	}
	if (d->token[0] != '\0' && !authorized(d, rq)) {
		log_preauth(LOG_WARN,
		    "metrics: a scrape without the token: "
		    "refused");
		answer_text(out, 401, "text/plain; charset=utf-8",
		    "the token is missing or wrong\n");
		return;
	}
	char  *text;
	size_t len;
	if (metrics_render(d->srv, &text, &len) != 0) {
		answer_text(
		    out, 500, "text/plain; charset=utf-8", "out of memory\n");
		return;
	}
	answer(out, 200, "text/plain; version=0.0.4; charset=utf-8", text,
	    len, true);
	out->headers = NULL;
}

extern const unsigned char dashboard_html[];
extern const size_t        dashboard_html_len;

/* --http: the page at /, its JSON API under /api/ (GET to read, POST to
 * act) behind the token. */
static void
serve_dashboard(void *arg, const web_request *rq, web_reply *out)
{
	const dashboard *d   = arg;
	bool             get = strcmp(rq->method, "GET") == 0;
	bool             api = strcmp(rq->path, "/api") == 0
	    || strncmp(rq->path, "/api/", 5) == 0;
	if (!api && strcmp(rq->path, "/") != 0) {
		answer_text(out, 404, "application/json",
		    "{\"error\":\"no such path\"}\n");
		return;
	}
	if (!get && (!api || strcmp(rq->method, "POST") != 0)) {
		answer_text(out, 405, "application/json",
		    "{\"error\":\"method not allowed\"}\n");
		return;
	}
	if (!api) {
		answer(out, 200, "text/html; charset=utf-8",
		    (const char *) dashboard_html, dashboard_html_len, false);
		return;
	}
	if (!authorized(d, rq)) {
		log_preauth(LOG_WARN,
		    "dashboard: %.200s without the token: "
		    "refused",
		    rq->path);
		answer_text(out, 401, "application/json",
		    "{\"error\":\"the token is missing or wrong\"}\n");
		return;
	}
	int    status;
	char  *body;
	size_t len;
	int    rv = get
	       ? webapi_answer(d->srv, rq->path, rq->query, &status, &body, &len)
	       : webapi_act(d->srv, rq->path, rq->query, &status, &body, &len);
	if (rv != 0) {
		answer_text(out, 500, "application/json",
		    "{\"error\":\"out of memory\"}\n");
		return;
	}
	answer(out, status, "application/json", body, len, true);
}

/* Serves fn on url (http:// or https://; its path, or dflt_path when it
 * has none, is where: given to fn in d->path). */
static int
endpoint_start(struct server *srv, const char *url, const char *token,
    const char *dflt_path, web_serve_fn fn, http_endpoint **out, char *bound,
    size_t cap)
{
	const char *after = url_after_scheme(url, "http");
	if (after == NULL) {
		after = url_after_scheme(url, "https");
	}
	if (after == NULL || after[0] == '\0' || after[0] == '/') {
		snprintf(bound, cap,
		    "%s is not an http:// or https://host:port/path URL",
		    url);
		return MGR_EINVAL;
	}
	http_endpoint *ep = calloc(1, sizeof(*ep));
	if (ep == NULL || (ep->dash = calloc(1, sizeof(*ep->dash))) == NULL) {
		free(ep);
		snprintf(bound, cap, "out of memory");
		return MGR_ENOMEM;
	}
	ep->dash->srv = srv;
	const char *p = strchr(after, '/');
	snprintf(ep->dash->token, sizeof(ep->dash->token), "%s",
	    token != NULL ? token : "");
	snprintf(ep->dash->path, sizeof(ep->dash->path), "%s",
	    p != NULL ? p : dflt_path);
	char full[600];
	snprintf(full, sizeof(full), "%s%s", url, p != NULL ? "" : dflt_path);
	int rv
	    = server_web_listen(srv, full, fn, ep->dash, &ep->l, bound, cap);
	if (rv == MGR_ECONN) {
		char why[300];
		snprintf(why, sizeof(why), "%s", bound);
		snprintf(bound, cap, "cannot listen on %s: %s", full, why);
	}
	if (rv != 0) {
		free(ep->dash);
		free(ep);
		return rv;
	}
	*out = ep;
	return 0;
}

int
http_start(struct server *srv, const char *url, const char *token,
    http_endpoint **out, char *bound, size_t cap)
{
	return endpoint_start(
	    srv, url, token, "/metrics", serve_metrics, out, bound, cap);
}

int
http_dashboard_start(struct server *srv, const char *url, const char *token,
    http_endpoint **out, char *bound, size_t cap)
{
	const char *after = url_after_scheme(url, "http");
	after = after != NULL ? after : url_after_scheme(url, "https");
	const char *p = after != NULL ? strchr(after, '/') : NULL;
	if (p != NULL && strcmp(p, "/") != 0) {
		snprintf(bound, cap,
		    "--http %s: give no path (the dashboard "
		    "is at / and its API under /api/)",
		    url);
		return MGR_EINVAL;
	}
	return endpoint_start(
	    srv, url, token, "/", serve_dashboard, out, bound, cap);
}

void
http_stop(http_endpoint *ep)
{
	if (ep == NULL) {
		return;
	}
	// Stopping closes its connections and waits for their ends: no
	// handler runs after, none touches srv.
	listener_stop(ep->l);
	free(ep->dash);
	free(ep);
}
