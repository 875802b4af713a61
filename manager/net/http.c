#include "http.h"

#include <arpa/inet.h>
#include <nng/nng.h>
#include <nng/supplemental/http/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "mgr.h"

struct http_endpoint {
	nng_http_server *hs;
};

/* On an nng task thread: must not block. Rendering takes the server
 * lock for the snapshot only, which no one holds across I/O. */
static void
serve_metrics(nng_aio *aio)
{
	nng_http_handler *h   = nng_aio_get_input(aio, 1);
	struct server    *srv = nng_http_handler_get_data(h);
	nng_http_res     *res = NULL;
	char             *text;
	size_t            len;
	int               rv = metrics_render(srv, &text, &len);
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

int
http_start(struct server *srv, const char *url, http_endpoint **out,
    char *bound, size_t cap)
{
	nng_url          *u = NULL;
	nng_http_handler *h;
	nng_sockaddr      sa = { .s_family = NNG_AF_UNSPEC };
	http_endpoint    *ep = calloc(1, sizeof(*ep));
	int               rv;
	if (ep == NULL) {
		return MGR_ENOMEM;
	}
	if (nng_url_parse(&u, url) != 0 || strcmp(u->u_scheme, "http") != 0) {
		snprintf(bound, cap, "%s is not an http://host:port/path URL",
		    url);
		if (u != NULL) {
			nng_url_free(u);
		}
		free(ep);
		return MGR_EINVAL;
	}
	const char *path = u->u_path[0] != '\0' ? u->u_path : "/metrics";
	if ((rv = nng_http_server_hold(&ep->hs, u)) != 0) {
		snprintf(
		    bound, cap, "cannot serve %s: %s", url, nng_strerror(rv));
		nng_url_free(u);
		free(ep);
		return MGR_ECONN;
	}
	rv = nng_http_handler_alloc(&h, path, serve_metrics);
	if (rv == 0) {
		nng_http_handler_set_method(h, "GET");
		nng_http_handler_set_data(h, srv, NULL);
		if ((rv = nng_http_server_add_handler(ep->hs, h)) != 0) {
			nng_http_handler_free(h);
		}
	}
	if (rv == 0 && (rv = nng_http_server_start(ep->hs)) != 0) {
		snprintf(bound, cap, "cannot listen on %s: %s", url,
		    nng_strerror(rv));
		nng_http_server_release(ep->hs);
		nng_url_free(u);
		free(ep);
		return MGR_ECONN;
	}
	if (rv != 0) {
		snprintf(
		    bound, cap, "cannot serve %s: %s", url, nng_strerror(rv));
		nng_http_server_release(ep->hs);
		nng_url_free(u);
		free(ep);
		return MGR_ENOMEM;
	}
	// The port bound (port 0 asked for any).
	unsigned port = 0;
	if (nng_http_server_get_addr(ep->hs, &sa) != 0) {
		sa.s_family = NNG_AF_UNSPEC;
	}
	if (sa.s_family == NNG_AF_INET) {
		port = ntohs(sa.s_in.sa_port);
	} else if (sa.s_family == NNG_AF_INET6) {
		port = ntohs(sa.s_in6.sa_port);
	}
	snprintf(bound, cap, "http://%s:%u%s", u->u_hostname, port, path);
	nng_url_free(u);
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
	free(ep);
}
