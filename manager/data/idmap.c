#include "idmap.h"

#include <stdlib.h>

static size_t
slot_of(uint64_t k, size_t cap)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (size_t) k & (cap - 1);
}

void
idmap_init(idmap *m)
{
	m->slots = NULL;
	m->cap   = 0;
	m->len   = 0;
}

void
idmap_fini(idmap *m)
{
	free(m->slots);
	idmap_init(m);
}

void *
idmap_get(const idmap *m, uint64_t key)
{
	if (m->cap == 0) {
		return NULL;
	}
	for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].key == key) {
			return m->slots[i].val;
		}
		if (m->slots[i].key == 0) {
			return NULL;
		}
	}
}

static int
grow(idmap *m)
{
	size_t      ncap = m->cap ? m->cap * 2 : 16;
	idmap_slot *ns   = calloc(ncap, sizeof(*ns));
	if (ns == NULL) {
		return -1;
	}
	for (size_t j = 0; j < m->cap; j++) {
		if (m->slots[j].key != 0) {
			size_t i = slot_of(m->slots[j].key, ncap);
			while (ns[i].key != 0) {
				i = (i + 1) & (ncap - 1);
			}
			ns[i] = m->slots[j];
		}
	}
	free(m->slots);
	m->slots = ns;
	m->cap   = ncap;
	return 0;
}

void **
idmap_put(idmap *m, uint64_t key)
{
	if ((m->len + 1) * 4 > m->cap * 3 && grow(m) != 0) {
		return NULL;
	}
	size_t i = slot_of(key, m->cap);
	while (m->slots[i].key != 0 && m->slots[i].key != key) {
		i = (i + 1) & (m->cap - 1);
	}
	if (m->slots[i].key == 0) {
		m->slots[i].key = key;
		m->slots[i].val = NULL;
		m->len++;
	}
	return &m->slots[i].val;
}

void *
idmap_del(idmap *m, uint64_t key)
{
	if (m->cap == 0) {
		return NULL;
	}
	size_t mask = m->cap - 1;
	size_t i    = slot_of(key, m->cap);
	while (m->slots[i].key != key) {
		if (m->slots[i].key == 0) {
			return NULL;
		}
		i = (i + 1) & mask;
	}
	void *val = m->slots[i].val;
	// Shift later members of the probe run back into the hole.
	size_t j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (m->slots[j].key == 0) {
			break;
		}
		size_t home = slot_of(m->slots[j].key, m->cap);
		// Move j to i unless its home lies cyclically in (i, j].
		if ((i <= j) ? (i < home && home <= j)
		             : (i < home || home <= j)) {
			continue;
		}
		m->slots[i] = m->slots[j];
		i           = j;
	}
	m->slots[i].key = 0;
	m->slots[i].val = NULL;
	m->len--;
	return val;
}

int
idmap_next(const idmap *m, size_t *pos, uint64_t *key, void **val)
{
	while (*pos < m->cap) {
		size_t i = (*pos)++;
		if (m->slots[i].key != 0) {
			if (key != NULL) {
				*key = m->slots[i].key;
			}
			if (val != NULL) {
				*val = m->slots[i].val;
			}
			return 1;
		}
	}
	return 0;
}
