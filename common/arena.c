#include "arena.h"
#include "prefault.h"

#include <stdint.h>
#include <stdlib.h>

struct arena_chunk {
	arena_chunk *next;
	size_t       cap;
	_Alignas(16) unsigned char data[];
};

#define ARENA_CHUNK 8192

static void *
pb_alloc(void *data, size_t n)
{
	return arena_alloc(data, n);
}

static void
pb_free(void *data, void *p)
{
	(void) data;
	(void) p;
}

void
arena_init(arena *a)
{
	a->head              = NULL;
	a->used              = 0;
	a->cap               = 0;
	a->pb.alloc          = pb_alloc;
	a->pb.free           = pb_free;
	a->pb.allocator_data = a;
}

void *
arena_alloc(arena *a, size_t n)
{
	n = (n + 15) & ~(size_t) 15;
	if (n == 0) {
		n = 16;
	}
	if (a->head == NULL || a->cap - a->used < n) {
		size_t       cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		arena_chunk *c   = malloc_prefaulted(sizeof(*c) + cap);
		if (c == NULL) {
			return NULL;
		}
		c->cap  = cap;
		c->next = a->head;
		a->head = c;
		a->used = 0;
		a->cap  = cap;
	}
	void *p = a->head->data + a->used;
	a->used += n;
	return p;
}

void
arena_reset(arena *a)
{
	if (a->head == NULL) {
		return;
	}
	// Keep the oldest chunk only if it is the ordinary size: one big
	// reply must not pin its memory for the session's life.
	arena_chunk *keep = NULL;
	arena_chunk *c    = a->head;
	while (c != NULL) {
		arena_chunk *next = c->next;
		if (next == NULL && c->cap == ARENA_CHUNK) {
			keep = c;
		} else {
			free(c);
		}
		c = next;
	}
	a->head = keep;
	a->used = 0;
	a->cap  = keep != NULL ? keep->cap : 0;
	if (keep != NULL) {
		keep->next = NULL;
	}
}

void
arena_fini(arena *a)
{
	arena_reset(a);
	free(a->head);
	a->head = NULL;
	a->cap  = 0;
}
