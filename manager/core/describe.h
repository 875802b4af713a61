/* The introspection layer (describe.c): objects, holders, waiters and the
 * wait-for graph as report values. Under the server lock. */
#ifndef MGR_MANAGER_CORE_DESCRIBE_H
#define MGR_MANAGER_CORE_DESCRIBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "idmap.h"
#include "report.h"

struct server;

/* Entries an object's detail shows (a dict's first pairs, a list's or a
 * queue's first items), as reprs. */
#define DESCRIBE_ENTRIES 20
/* The most objects or sessions one page lists. */
#define DESCRIBE_PAGE_MAX 1000

/* {'total': n, 'offset': o, 'objects': [...]}: objects offset to
 * offset + limit of the store, each {'object', 'type', 'name' (None when
 * unnamed), 'size' (containers), the type's own figures (maxsize,
 * unfinished, value, parties...), 'holders' [{'session', 'count'}]
 * (locks, semaphores), 'waiters' (how many)}. names: id -> name. */
sval describe_objects(struct server *srv, const idmap *names, size_t offset,
    size_t limit, report *r);

/* Which objects a listing shows, in which order (the dashboard's search
 * and sortable columns): match, a substring of the name or the type
 * (case ignored; NULL or "": all), type, the type's name exactly (NULL or
 * "": any), sorted by sort, descending when desc; then a page. */
enum describe_sort {
	DESCRIBE_BY_ID,
	DESCRIBE_BY_NAME,
	DESCRIBE_BY_TYPE,
	DESCRIBE_BY_SIZE,
	DESCRIBE_BY_WAITERS
};
typedef struct describe_query {
	size_t             offset, limit;
	const char        *match, *type;
	enum describe_sort sort;
	bool               desc;
} describe_query;
/* describe_objects for the objects q selects: 'total' counts those. */
sval describe_objects_query(struct server *srv, const idmap *names,
    const describe_query *q, report *r);
/* One object as in describe_objects, its 'waiters' listed in the order
 * they will be served ({'session', 'op', 'waited_ms', 'timeout_ms'}) and
 * its first 'entries'. *found false (and an empty dict) when there is no
 * such object. */
sval describe_object(struct server *srv, uint64_t id, const idmap *names,
    report *r, bool *found);
/* {'locks': [each held object with 'holders' and 'waiters'], 'cycles':
 * [[{'session', 'waits_on': object, 'held_by': session}, ...], ...]}: a
 * cycle is sessions that wait on each other, a deadlock. */
sval describe_waits(struct server *srv, const idmap *names, report *r);
/* {'requests_per_sec': [60 ints], 'bytes_per_sec': [60]}: the last
 * minute, a second each, oldest first. */
sval describe_history(struct server *srv, report *r);
/* mgr_info's dict: the figures of stats.c (introspect.c). collect: first
 * free the garbage cycles, so that the counts include none (mgr_info,
 * which programs and tests read exactly); else only when enough garbage
 * may have piled up (the dashboard's polling: a collection walks every
 * reference, which it must not make everyone wait for each second). */
sval introspect_info(struct server *srv, bool collect, report *r);

#endif
