/* managerd's HTTP endpoint, served by nng's HTTP server on nng's threads:
 * GET of the URL's path answers the Prometheus exposition (metrics.c).
 * The issue of the web dashboard adds its handlers here. */
#ifndef MGR_MANAGER_NET_HTTP_H
#define MGR_MANAGER_NET_HTTP_H

#include <stddef.h>

struct server;
typedef struct http_endpoint http_endpoint;

/* Serves srv's metrics at url (http://host:port/path; port 0: any free
 * one). The address bound, as a URL, goes to bound (cap bytes), or on
 * failure why not. MGR_EINVAL for a bad URL, MGR_ECONN when it cannot
 * listen, MGR_ENOMEM. */
int http_start(struct server *srv, const char *url, http_endpoint **out,
    char *bound, size_t cap);
/* Stops serving and frees ep (NULL: nothing); returns once no handler
 * runs. Call before srv is freed. */
void http_stop(http_endpoint *ep);

#endif
