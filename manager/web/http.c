#include "http.h"

#include <arpa/inet.h>
#include <nng/nng.h>
#include <nng/supplemental/http/http.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "mgr.h"
#include "server.h"
#include "tls_identity.h"
#include "webapi.h"

struct dashboard;

struct http_endpoint {
	nng_http_server  *hs;
	struct dashboard *dash; /* --http's token and server, or NULL */
};

/* On an nng task thread: must not block. Rendering takes the server
 * lock for the snapshot only, which no one holds across I/O. */
typedef struct dashboard {
	struct server *srv;
	char           token[200]; /* "": none asked (--metrics-no-auth) */
} dashboard;

static bool authorized(
    const dashboard *d, nng_http_req *req, const char *query);
static void answer(nng_aio *aio, uint16_t status, const char *ctype,
    const void *body, size_t len);

/* /metrics: behind the token unless --metrics-no-auth (Prometheus sends
 * it as "Authorization: Bearer T": its authorization credentials_file). */
static void
serve_metrics(nng_aio *aio)
{
	nng_http_req     *req = nng_aio_get_input(aio, 0);
	nng_http_handler *h   = nng_aio_get_input(aio, 1);
	const dashboard  *d   = nng_http_handler_get_data(h);
	struct server    *srv = d->srv;
	nng_http_res     *res = NULL;
	const char       *uri = nng_http_req_get_uri(req);
	const char       *q   = strchr(uri, '?');
	if (d->token[0] != '\0' && !authorized(d, req, q ? q + 1 : "")) {
		log_preauth(LOG_WARN,
		    "metrics: a scrape without the token: "
		    "refused");
		const char *e = "the token is missing or wrong\n";
		answer(aio, 401, "text/plain; charset=utf-8", e, strlen(e));
		return;
	}
	char  *text;
	size_t len;
	int    rv = metrics_render(srv, &text, &len);
	if (rv != 0) {
		nng_aio_finish(aio, NNG_ENOMEM);
		return;
	}
	if ((rv = nng_http_res_alloc(&res)) != 0
	    || (rv = nng_http_res_set_header(res, "Content-Type",
	            "text/plain; version=0.0.4; charset=utf-8"))
	        != 0
	    || (rv = nng_http_res_copy_data(res, text, len)) != 0) {
		free(text);
		if (res != NULL) {
			nng_http_res_free(res);
		}
		nng_aio_finish(aio, rv);
		return;
	}
	free(text);
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

/* Adds a handler of method for path (tree: and everything under it). */
static int
add_method_handler(http_endpoint *ep, const char *method, const char *path,
    bool tree, void (*fn)(nng_aio *), void *data)
{
	nng_http_handler *h;
	int               rv = nng_http_handler_alloc(&h, path, fn);
	if (rv != 0) {
		return rv;
	}
	nng_http_handler_set_method(h, method);
	nng_http_handler_set_data(h, data, NULL);
	if (tree) {
		nng_http_handler_set_tree(h);
	}
	if ((rv = nng_http_server_add_handler(ep->hs, h)) != 0) {
		nng_http_handler_free(h);
	}
	return rv;
}

static int
add_handler(http_endpoint *ep, const char *path, bool tree,
    void (*fn)(nng_aio *), void *data)
{
	return add_method_handler(ep, "GET", path, tree, fn, data);
}

/* Parses url (http:// or https://) and holds its server; *u is the
 * caller's (nng_url_free). */
static int
open_endpoint(struct server *srv, const char *url, http_endpoint *ep,
    nng_url **u, char *bound, size_t cap)
{
	*u = NULL;
	if (nng_url_parse(u, url) != 0
	    || (strcmp((*u)->u_scheme, "http") != 0
	        && strcmp((*u)->u_scheme, "https") != 0)) {
		snprintf(bound, cap,
		    "%s is not an http:// or https://host:port/path URL",
		    url);
		return MGR_EINVAL;
	}
	bool tls = strcmp((*u)->u_scheme, "https") == 0;
	if (tls && server_tls(srv) == NULL) {
		snprintf(bound, cap,
		    "%s needs a certificate (--tls-cert and "
		    "--tls-key)",
		    url);
		return MGR_EINVAL;
	}
	int rv = nng_http_server_hold(&ep->hs, *u);
	if (rv == 0 && tls) {
		rv = nng_http_server_set_tls(
		    ep->hs, tls_identity_nng(server_tls(srv)));
	}
	if (rv != 0) {
		snprintf(
		    bound, cap, "cannot serve %s: %s", url, nng_strerror(rv));
		if (ep->hs != NULL) {
			nng_http_server_release(ep->hs);
			ep->hs = NULL;
		}
		return MGR_ECONN;
	}
	return 0;
}

/* Starts ep's server and writes the URL bound (port 0 resolved) with
 * path to bound. */
static int
run_endpoint(http_endpoint *ep, const nng_url *u, const char *path,
    const char *url, char *bound, size_t cap)
{
	int rv = nng_http_server_start(ep->hs);
	if (rv != 0) {
		snprintf(bound, cap, "cannot listen on %s: %s", url,
		    nng_strerror(rv));
		return MGR_ECONN;
	}
	unsigned     port = 0;
	nng_sockaddr sa   = { .s_family = NNG_AF_UNSPEC };
	if (nng_http_server_get_addr(ep->hs, &sa) != 0) {
		sa.s_family = NNG_AF_UNSPEC;
	}
	if (sa.s_family == NNG_AF_INET) {
		port = ntohs(sa.s_in.sa_port);
	} else if (sa.s_family == NNG_AF_INET6) {
		port = ntohs(sa.s_in6.sa_port);
	}
	snprintf(bound, cap, "%s://%s:%u%s", u->u_scheme, u->u_hostname, port,
	    path);
	return 0;
}

int
http_start(struct server *srv, const char *url, const char *token,
    http_endpoint **out, char *bound, size_t cap)
{
	nng_url       *u;
	http_endpoint *ep = calloc(1, sizeof(*ep));
	if (ep == NULL || (ep->dash = calloc(1, sizeof(*ep->dash))) == NULL) {
		free(ep);
		return MGR_ENOMEM;
	}
	ep->dash->srv = srv;
	snprintf(ep->dash->token, sizeof(ep->dash->token), "%s",
	    token != NULL ? token : "");
	int rv = open_endpoint(srv, url, ep, &u, bound, cap);
	if (rv == 0) {
		const char *path
		    = u->u_path[0] != '\0' ? u->u_path : "/metrics";
		if ((rv = add_handler(
		         ep, path, false, serve_metrics, ep->dash))
		    != 0) {
			snprintf(bound, cap, "cannot serve %s: %s", url,
			    nng_strerror(rv));
			rv = MGR_ENOMEM;
		} else {
			rv = run_endpoint(ep, u, path, url, bound, cap);
		}
	}
	if (u != NULL) {
		nng_url_free(u);
	}
	if (rv != 0) {
		if (ep->hs != NULL) {
			nng_http_server_release(ep->hs);
		}
		free(ep->dash);
		free(ep);
		return rv;
	}
	*out = ep;
	return 0;
}

/* ---- the dashboard ---------------------------------------------------- */

extern const unsigned char dashboard_html[];
extern const size_t        dashboard_html_len;

/* Answers aio with status and body (copied), of content type ctype. */
static void
answer(nng_aio *aio, uint16_t status, const char *ctype, const void *body,
    size_t len)
{
	nng_http_res *res = NULL;
	int           rv;
	if ((rv = nng_http_res_alloc(&res)) != 0
	    || (rv = nng_http_res_set_status(res, status)) != 0
	    || (rv = nng_http_res_set_header(res, "Content-Type", ctype)) != 0
	    || (rv = nng_http_res_set_header(
	            res, "Cache-Control", "no-store"))
	        != 0
	    // The page runs its own inline script and talks to this origin
	    // only: nothing else may load or be framed.
	    || (rv = nng_http_res_set_header(res, "Content-Security-Policy",
	            "default-src 'none'; script-src 'unsafe-inline'; "
	            "style-src 'unsafe-inline'; connect-src 'self'; "
	            "img-src 'self'; frame-ancestors 'none'"))
	        != 0
	    || (rv = nng_http_res_set_header(
	            res, "X-Content-Type-Options", "nosniff"))
	        != 0
	    || (rv = nng_http_res_copy_data(res, body, len)) != 0) {
		if (res != NULL) {
			nng_http_res_free(res);
		}
		nng_aio_finish(aio, rv);
		return;
	}
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

static void
serve_page(nng_aio *aio)
{
	answer(aio, 200, "text/html; charset=utf-8", dashboard_html,
	    dashboard_html_len);
}

/* Whether the request carries the token: "Authorization: Bearer T", or
 * token=T in the query (for scripts). Compared in constant time. */
static bool
authorized(const dashboard *d, nng_http_req *req, const char *query)
{
	// An action (POST) takes the token in its header only: a page of
	// another site can make a browser send a form, never a header.
	if (strcmp(nng_http_req_get_method(req), "GET") != 0) {
		query = NULL;
	}
	const char *given = NULL;
	size_t      glen  = 0;
	const char *auth  = nng_http_req_get_header(req, "Authorization");
	if (auth != NULL && strncmp(auth, "Bearer ", 7) == 0) {
		given = auth + 7;
		glen  = strlen(given);
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

/* On an nng task thread: the introspection takes the server lock for the
 * walk only (webapi.c); nothing here blocks. */
static void
serve_api(nng_aio *aio)
{
	nng_http_req     *req = nng_aio_get_input(aio, 0);
	nng_http_handler *h   = nng_aio_get_input(aio, 1);
	const dashboard  *d   = nng_http_handler_get_data(h);
	const char       *uri = nng_http_req_get_uri(req);
	char              path[256];
	size_t            pl    = strcspn(uri, "?");
	const char       *query = uri[pl] == '?' ? uri + pl + 1 : "";
	if (pl >= sizeof(path)) {
		const char *e = "{\"error\":\"no such path\"}\n";
		answer(aio, 404, "application/json", e, strlen(e));
		return;
	}
	memcpy(path, uri, pl);
	path[pl] = '\0';
	if (!authorized(d, req, query)) {
		log_msg(LOG_WARN, "dashboard: %s without the token: refused",
		    path);
		const char *e
		    = "{\"error\":\"the token is missing or wrong\"}\n";
		answer(aio, 401, "application/json", e, strlen(e));
		return;
	}
	int    status;
	char  *body;
	size_t len;
	int    rv = strcmp(nng_http_req_get_method(req), "POST") == 0
	       ? webapi_act(d->srv, path, query, &status, &body, &len)
	       : webapi_answer(d->srv, path, query, &status, &body, &len);
	if (rv != 0) {
		nng_aio_finish(aio, NNG_ENOMEM);
		return;
	}
	answer(aio, (uint16_t) status, "application/json", body, len);
	free(body);
}

int
http_dashboard_start(struct server *srv, const char *url, const char *token,
    http_endpoint **out, char *bound, size_t cap)
{
	nng_url       *u;
	http_endpoint *ep = calloc(1, sizeof(*ep));
	if (ep == NULL || (ep->dash = calloc(1, sizeof(*ep->dash))) == NULL) {
		free(ep);
		return MGR_ENOMEM;
	}
	ep->dash->srv = srv;
	snprintf(ep->dash->token, sizeof(ep->dash->token), "%s", token);
	int rv = open_endpoint(srv, url, ep, &u, bound, cap);
	if (rv == 0 && u->u_path[0] != '\0' && strcmp(u->u_path, "/") != 0) {
		snprintf(bound, cap,
		    "--http %s: give no path (the dashboard "
		    "is at / and its API under /api/)",
		    url);
		rv = MGR_EINVAL;
	}
	if (rv == 0
	    && ((rv = add_handler(ep, "/", false, serve_page, NULL)) != 0
	        || (rv = add_handler(ep, "/api", true, serve_api, ep->dash))
	        || (rv = add_method_handler(
	                ep, "POST", "/api", true, serve_api, ep->dash))
	            != 0)) {
		snprintf(
		    bound, cap, "cannot serve %s: %s", url, nng_strerror(rv));
		rv = MGR_ENOMEM;
	}
	if (rv == 0) {
		rv = run_endpoint(ep, u, "/", url, bound, cap);
	}
	if (u != NULL) {
		nng_url_free(u);
	}
	if (rv != 0) {
		if (ep->hs != NULL) {
			nng_http_server_release(ep->hs);
		}
		free(ep->dash);
		free(ep);
		return rv;
	}
	*out = ep;
	return 0;
}

void
http_stop(http_endpoint *ep)
{
	if (ep == NULL) {
		return;
	}
	// Stopping waits for running handlers: none touches srv after.
	nng_http_server_stop(ep->hs);
	nng_http_server_release(ep->hs);
	free(ep->dash);
	free(ep);
}
