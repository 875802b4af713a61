/* managerd's HTTP endpoints, served by the epoll loops (xport_web.c):
 * --metrics (GET of the URL's path answers the Prometheus exposition,
 * metrics.c) and --http (the dashboard's page at /, its JSON API under
 * /api/, webapi.c, behind a token). https:// URLs use the server's TLS
 * certificate. */
#ifndef MGR_MANAGER_WEB_HTTP_H
#define MGR_MANAGER_WEB_HTTP_H

#include <stddef.h>

struct server;
typedef struct http_endpoint http_endpoint;

/* Serves srv's metrics at url (http://host:port/path; port 0: any free
 * one), to scrapes that carry token (copied; NULL: to anyone). The
 * address bound, as a URL, goes to bound (cap bytes), or on failure why
 * not. MGR_EINVAL for a bad URL, MGR_ECONN when it cannot listen,
 * MGR_ENOMEM. */
int http_start(struct server *srv, const char *url, const char *token,
    http_endpoint **out, char *bound, size_t cap);
/* Serves the dashboard at url (http://host:port or https://...; port 0:
 * any free one): the page at /, the API under /api/ for requests that
 * carry token. bound as for http_start. */
int http_dashboard_start(struct server *srv, const char *url,
    const char *token, http_endpoint **out, char *bound, size_t cap);
/* Stops serving and frees ep (NULL: nothing); returns once no handler
 * runs. Call before srv is freed. */
void http_stop(http_endpoint *ep);

#endif
