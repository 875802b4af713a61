/* The manager's names (name -> object: Python's register, mgr_name_set)
 * and, kept with them, a name of each named object, so that listings
 * (the dashboard, managerctl objects, mgr_objects) name objects without
 * walking every name (names.c). srv->mtx held for all. */
#ifndef MGR_MANAGER_CORE_NAMES_H
#define MGR_MANAGER_CORE_NAMES_H

#include <stddef.h>

#include "idmap.h"
#include "object.h"

struct server;

/* The object bound to key (a str), or NULL. */
const sval *names_get(struct server *srv, const sval *key);
/* Binds key to o (whatever it was bound to before is unbound). key is
 * borrowed. 0 or MGR_ENOMEM. */
int names_set(struct server *srv, const sval *key, mobj *o);
/* Binds key to o if it is free; *stored gets what it is bound to after
 * (borrowed from the names). 0 or MGR_ENOMEM. */
int names_setdefault(
    struct server *srv, const sval *key, mobj *o, const sval **stored);
/* Unbinds key: 0, or MGR_EKEY when it was not bound. */
int    names_del(struct server *srv, const sval *key);
size_t names_count(struct server *srv);
/* id -> a name of that object (borrowed; the first bound of those it
 * has), for describe.c's listings. */
const idmap *names_index(struct server *srv);
/* At the end: the names and the index freed. */
void names_free(struct server *srv);

#endif
