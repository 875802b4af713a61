/* The HTTP API of managerd --http (webapi.c): read-only JSON of the
 * introspection layer. */
#ifndef MGR_MANAGER_WEB_WEBAPI_H
#define MGR_MANAGER_WEB_WEBAPI_H

#include <stddef.h>

struct server;

/* The answer to GET path?query (query without the '?', may be empty):
 *   /api/info                      mgr_info's figures
 *   /api/objects?offset=N&limit=N  objects, paged (limit <= 1000, 100)
 *   /api/objects/ID                one object: holders, waiters, entries
 *   /api/sessions?offset=N&limit=N sessions, paged
 *   /api/waits                     held locks with their queues of
 *                                  waiters, and the wait-for cycles
 * *status gets 200, 400 (a bad offset or limit) or 404 (no such path or
 * object); *body (malloc'd, the caller frees it) and *len the JSON.
 * 0, or MGR_ENOMEM (nothing to free then). Takes the server lock. */
int webapi_answer(struct server *srv, const char *path, const char *query,
    int *status, char **body, size_t *len);
/* An action (POST) at path?query, for the dashboard's buttons (each also
 * a managerctl command):
 *   /api/sessions/ID/end           ends that session (managerctl end)
 *                                  -> {"ended": ID}
 *   /api/objects/ID/purge          drops a queue's waiting items
 *                                  (managerctl purge) -> {"purged": N}
 *   /api/names/delete?name=NAME    unbinds a name (managerctl del)
 *                                  -> {"deleted": "NAME"}
 * Same answer conventions as webapi_answer; 404 for no such session,
 * object, name or action, 409 for an action its object can't take (a
 * purge of a dict), 400 for a bad name, with {"error": why}. */
int webapi_act(struct server *srv, const char *path, const char *query,
    int *status, char **body, size_t *len);

#endif
