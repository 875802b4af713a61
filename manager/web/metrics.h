/* The manager's figures (stats.c) in the Prometheus text exposition
 * format (version 0.0.4), for managerd --metrics. */
#ifndef MGR_MANAGER_WEB_METRICS_H
#define MGR_MANAGER_WEB_METRICS_H

#include <stddef.h>

struct server;

/* The exposition of srv's figures now, in *text (malloc'd, the caller
 * frees) of *len bytes. Takes the server lock while it reads. 0 or
 * MGR_ENOMEM. */
int metrics_render(struct server *srv, char **text, size_t *len);

#endif
