/* The manager's figures: counters kept as requests come and go, rates
 * over the last 1, 10 and 60 seconds, and one snapshot of all of it that
 * mgr_info and the Prometheus endpoint both render, so the two never
 * disagree on a name or a value. Everything here runs under the server
 * lock. */
#ifndef MGR_MANAGER_CORE_STATS_H
#define MGR_MANAGER_CORE_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "manager.pb-c.h"
#include "object_types.h"

struct server;
struct session;
struct mobj;

#define STATS_TYPES   MGR_TYPE_SLOTS
#define STATS_SECONDS 64 /* the ring of per-second buckets: > 60 s */

typedef struct stats_second {
	uint64_t sec; /* which second (monotonic) the bucket counts */
	uint64_t requests, bytes_in, bytes_out;
} stats_second;

typedef struct stats {
	uint64_t     requests;
	uint64_t     bytes_in, bytes_out; /* frames, with their headers */
	uint64_t     waiters_by_type[STATS_TYPES];
	stats_second ring[STATS_SECONDS];
} stats;

/* The last n (<= 60) complete seconds, oldest first: requests and bytes
 * (in + out) each second counted (0 for a second without any). */
void stats_history(
    struct server *srv, unsigned n, uint64_t *requests, uint64_t *bytes);
/* A request of bytes arrived from s / a reply of bytes left for s. */
void stats_request(struct server *srv, struct session *s, size_t bytes);
void stats_reply(struct server *srv, struct session *s, size_t bytes);
/* A request on an object of type code parked (+1) or left (-1). */
void stats_waiter(struct server *srv, Mgr__ObjType code, int delta);
/* The element figures (elements in containers, by type) are kept as
 * objects change, not counted by walking them all: o may have changed
 * size (a request on it ran, a hook of its type); o is going away. */
void stats_note_size(struct server *srv, struct mobj *o);
void stats_forget_size(struct server *srv, struct mobj *o);

/* One figure of the snapshot. A family (objects by type, ...) is one
 * figure per label value, with label naming the type (or the cluster
 * member). */
typedef struct stats_figure {
	const char *name; /* info key and, prefixed "mgr_", metric name */
	const char *help; /* one line for the metric's HELP */
	char        label[24]; /* a family member's: its type's name, its
	                          node's id ("": no family) */
	const char *label_key; /* the label's name: "type" when NULL */
	bool        counter;   /* only grows (a Prometheus counter) */
	bool        real;      /* a rate: v_real, else v_int */
	uint64_t    v_int;
	double      v_real;
} stats_figure;

#define STATS_MAX_FIGURES 192

/* Fills out (STATS_MAX_FIGURES entries) with every figure; returns how
 * many. O(types): no walk of the objects. */
size_t stats_snapshot(struct server *srv, stats_figure *out);

#endif
