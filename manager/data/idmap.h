/* A hash map from nonzero 64-bit keys to pointers (open addressing,
 * linear probing, backward-shift deletion): the store's id -> object
 * table and each session's object -> reference count table. */
#ifndef MGR_MANAGER_DATA_IDMAP_H
#define MGR_MANAGER_DATA_IDMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct idmap_slot {
	uint64_t key; /* 0: empty */
	void    *val;
} idmap_slot;

typedef struct idmap {
	idmap_slot *slots;
	size_t      cap; /* power of two, or 0 */
	size_t      len;
} idmap;

void idmap_init(idmap *m);
void idmap_fini(idmap *m);
/* The value for key, or NULL. */
void *idmap_get(const idmap *m, uint64_t key);
/* The slot's value pointer for key, inserting NULL if absent; NULL when
 * out of memory. Valid until the next insertion or deletion. */
void **idmap_put(idmap *m, uint64_t key);
/* Removes key; returns its value or NULL. */
void *idmap_del(idmap *m, uint64_t key);
/* Iteration: for (size_t i = 0; idmap_next(m, &i, &k, &v);) */
int idmap_next(const idmap *m, size_t *pos, uint64_t *key, void **val);

#endif
