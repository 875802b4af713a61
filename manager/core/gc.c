/* Cycle collection. Reference counting alone never frees a container that
 * holds itself, or two that hold each other, once clients let go. This is
 * CPython's trial deletion: count, for every object, the references it
 * gets from other objects; what has more references than that is held
 * from outside (a session's proxy, a name) and so is everything it
 * reaches; the rest is garbage, whatever its counts say.
 *
 * Runs under the server lock, in O(objects + references). It is triggered
 * after a number of decrements that left a container alive (the only way
 * garbage cycles appear) and before mgr_info reports counts. */
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "journal.h"
#include "log.h"
#include "server_state.h"

#define GC_THRESHOLD 256

static void
dec_internal(sval *ref, void *arg)
{
	(void) arg;
	ref->ref->gc_refs--;
}

typedef struct {
	mobj **stack;
	size_t len;
	size_t cap;
	bool   oom;
} markstack;

static void
push_reachable(sval *ref, void *arg)
{
	markstack *ms = arg;
	mobj      *o  = ref->ref;
	if (o->gc_reachable) {
		return;
	}
	o->gc_reachable = true;
	if (ms->len == ms->cap) {
		size_t cap = ms->cap ? ms->cap * 2 : 64;
		mobj **ns  = realloc(ms->stack, cap * sizeof(*ns));
		if (ns == NULL) {
			ms->oom = true;
			return;
		}
		ms->stack = ns;
		ms->cap   = cap;
	}
	ms->stack[ms->len++] = o;
}

void
gc_collect(server *srv)
{
	size_t n   = srv->objects.len;
	mobj **all = malloc((n ? n : 1) * sizeof(*all));
	if (all == NULL) {
		return; // try again next time
	}
	size_t   pos = 0, k = 0;
	uint64_t id;
	void    *v;
	while (idmap_next(&srv->objects, &pos, &id, &v)) {
		mobj *o         = v;
		o->gc_refs      = (int64_t) o->refs;
		o->gc_reachable = false;
		all[k++]        = o;
	}
	// References from objects to objects.
	for (size_t i = 0; i < k; i++) {
		if (all[i]->type->each_ref != NULL && all[i]->data != NULL) {
			all[i]->type->each_ref(all[i], dec_internal, NULL);
		}
	}
	// Roots: held from outside. Everything they reach is alive.
	markstack ms = { 0 };
	for (size_t i = 0; i < k; i++) {
		if (all[i]->gc_refs > 0 && !all[i]->gc_reachable) {
			sval root = { .kind = SV_REF, .ref = all[i] };
			push_reachable(&root, &ms);
		}
		while (ms.len > 0 && !ms.oom) {
			mobj *o = ms.stack[--ms.len];
			if (o->type->each_ref != NULL && o->data != NULL) {
				o->type->each_ref(o, push_reachable, &ms);
			}
		}
	}
	free(ms.stack);
	if (ms.oom) {
		free(all);
		return;
	}
	// The rest is garbage: hold it all, empty it (breaking the cycles),
	// then let go.
	size_t g = 0;
	for (size_t i = 0; i < k; i++) {
		if (!all[i]->gc_reachable) {
			mobj_incref(all[i]);
			all[g++] = all[i];
		}
	}
	for (size_t i = 0; i < g; i++) {
		mobj_replace_data(all[i], NULL); // a big one in slices
	}
	for (size_t i = 0; i < g; i++) {
		mobj_decref(all[i]);
	}
	if (g > 0) {
		log_msg(LOG_DEBUG, "cycle collection freed %zu objects", g);
	}
	srv->gc_freed += g;
	free(all);
}

void
gc_maybe(server *srv, bool force)
{
	if (journal_replaying(srv)) {
		// A garbage cycle may still be attached to by a token in a
		// later record, as it was before the restart: none is
		// collected until the replay is over.
		return;
	}
	if (srv->ref_values == 0) {
		// No object refers to another: no cycle can exist.
		srv->gc_pending = 0;
		return;
	}
	if (srv->gc_pending == 0
	    || (!force && srv->gc_pending < srv->gc_threshold)) {
		return;
	}
	srv->gc_pending = 0;
	uint64_t t0     = (uint64_t) clock_us();
	gc_collect(srv);
	// A pass walks every reference held (a big dict's values too): wait
	// for more decrements after a long one, so that collection costs at
	// most a bounded share of the time however large the store is.
	uint64_t took     = (uint64_t) clock_us() - t0;
	srv->gc_threshold = took * 4 > GC_THRESHOLD ? took * 4 : GC_THRESHOLD;
}
