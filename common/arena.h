/* A bump allocator for the short-lived protobuf trees of one request or
 * reply: everything is freed at once by arena_reset, so building a reply
 * costs no free() per node. Also usable as a ProtobufCAllocator. */
#ifndef MGR_COMMON_ARENA_H
#define MGR_COMMON_ARENA_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

typedef struct arena_chunk arena_chunk;

typedef struct arena {
	arena_chunk *head; /* current chunk; older ones chained behind it */
	size_t       used; /* bytes used in head */
	size_t       cap;  /* bytes available in head */
	ProtobufCAllocator pb; /* alloc from this arena, free is a no-op */
} arena;

void arena_init(arena *a);
/* NULL only when out of memory. Memory is 16-byte aligned. */
void *arena_alloc(arena *a, size_t n);
/* Frees all but the first chunk, which is kept for reuse. */
void arena_reset(arena *a);
void arena_fini(arena *a);

#endif
