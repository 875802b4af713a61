/* The object store: ids (never reused) to objects, and reference
 * counting. All of it runs under the server lock. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "bigmem.h"
#include "clock.h"
#include "log.h"
#include "server_state.h"
#include "siphash.h"
#include "stats.h"
#include "syscall_guard.h"

mobj *
store_new(server *srv, const mtype *t)
{
	mobj *o = calloc(1, sizeof(*o));
	if (o == NULL) {
		return NULL;
	}
	o->id       = ++srv->next_id;
	o->secret   = siphash13(srv->secret_key, &o->id, sizeof(o->id));
	o->type     = t;
	o->srv      = srv;
	void **slot = idmap_put(&srv->objects, o->id);
	if (slot == NULL) {
		free(o);
		return NULL;
	}
	*slot = o;
	srv->objects_by_type[t->code]++;
	return o;
}

mobj *
store_find(server *srv, uint64_t id)
{
	return id == 0 ? NULL : idmap_get(&srv->objects, id);
}

void
mobj_incref(mobj *o)
{
	o->refs++;
}

void
mobj_incref_value(mobj *o)
{
	o->refs++;
	o->srv->ref_values++;
}

void
mobj_decref_value(mobj *o)
{
	o->srv->ref_values--;
	mobj_decref(o);
}

/* ---- what values need of the objects they refer to (data/value.h) ---- */

static void
hook_hold(mobj *o)
{
	mobj_incref_value(o);
}

static void
hook_drop(mobj *o)
{
	mobj_decref_value(o);
}

static uint64_t
hook_id(const mobj *o)
{
	return o->id;
}

static uint64_t
hook_secret(const mobj *o)
{
	return o->secret;
}

static int
hook_type_code(const mobj *o)
{
	return (int) o->type->code;
}

static const char *
hook_type_name(const mobj *o)
{
	return o->type->name;
}

static mobj *
hook_find(void *srv, uint64_t id)
{
	return store_find(srv, id);
}

const sv_ref_hooks store_ref_hooks = {
	.hold      = hook_hold,
	.drop      = hook_drop,
	.id        = hook_id,
	.secret    = hook_secret,
	.type_code = hook_type_code,
	.type_name = hook_type_name,
	.find      = hook_find,
};

void
mobj_unhold(mobj *o)
{
	if (o->refs > 1) {
		o->refs--;
		return;
	}
	mobj_decref(o);
}

/* There is freeing left for the timer: if it sleeps for longer than its
 * next slice's millisecond, it is woken to start now, not at its next
 * wake-up (up to a second away when the manager is idle), as wait.c
 * wakes it for a nearer deadline. */
static void
wake_timer(server *srv)
{
	if (srv->timer_until > clock_ms() + 1) {
		pthread_cond_signal(&srv->timer_cv);
	}
}

/* Puts o (let go, or a shell around data being cleared) on the list
 * store_free_step frees a slice at a time from, as Redis's lazyfree
 * does. */
static void
free_in_slices(server *srv, mobj *o)
{
	if (srv->freeing == NULL) {
		wake_timer(srv);
	}
	o->dying_next = srv->freeing;
	srv->freeing  = o;
}

/* Whether o's data is a big container's, to be freed in slices. */
static bool
big_data(const mobj *o)
{
	return o->data != NULL && !o->srv->closing
	    && o->type->destroy_some != NULL && o->type->size != NULL
	    && o->type->size(o) > STORE_FREE_MIN;
}

void
store_free_later(server *srv, const mtype *type, void *data)
{
	mobj *shell = calloc(1, sizeof(*shell));
	if (shell == NULL) {
		mobj at_once = { .type = type, .data = data, .srv = srv };
		type->destroy(&at_once); // out of memory: now, all of it
		return;
	}
	shell->type = type;
	shell->data = data;
	shell->srv  = srv;
	free_in_slices(srv, shell);
}

void
mobj_replace_data(mobj *o, void *fresh)
{
	if (big_data(o)) {
		void *old = o->data;
		o->data   = fresh;
		store_free_later(o->srv, o->type, old);
		return;
	}
	if (o->data != NULL) {
		o->type->destroy(o);
	}
	o->data = fresh;
}

void
mobj_decref(mobj *o)
{
	if (o->refs == 0) {
		log_msg(LOG_ERROR, "object %llu: reference count underflow",
		    (unsigned long long) o->id);
		return;
	}
	if (--o->refs > 0) {
		// Maybe only a cycle holds it now: counted towards the next
		// cycle collection (gc.c), for containers only.
		if (o->type->each_ref != NULL) {
			o->srv->gc_pending++;
		}
		return;
	}
	if (o->srv->closing) {
		return;
	}
	server *srv = o->srv;
	idmap_del(&srv->objects, o->id);
	srv->objects_by_type[o->type->code]--;
	stats_forget_size(srv, o);
	if (o->maker != NULL) {
		idmap_del(&o->maker->made, o->id);
	}
	// Destroying drops the references o holds, which may free more
	// objects: a worklist instead of recursion, so that a long chain of
	// containers can't exhaust the stack.
	o->dying_next = srv->dying;
	srv->dying    = o;
	if (srv->draining) {
		return;
	}
	srv->draining = true;
	while (srv->dying != NULL) {
		mobj *d    = srv->dying;
		srv->dying = d->dying_next;
		if (big_data(d)) {
			free_in_slices(srv, d);
			continue;
		}
		if (d->data != NULL) {
			d->type->destroy(d);
		}
		free(d);
	}
	srv->draining = false;
}

bool
store_free_step(server *srv, size_t budget)
{
	while (srv->freeing != NULL && budget > 0) {
		// Off the list while its references go: dropping them may
		// let go of more containers, which join it.
		mobj *o      = srv->freeing;
		srv->freeing = o->dying_next;
		if (!o->type->destroy_some(o, &budget)) {
			o->dying_next = srv->freeing;
			srv->freeing  = o;
			break;
		}
		free(o);
	}
	// The big arrays let go are unmapped by store_reclaim, after the
	// lock.
	bool left = srv->freeing != NULL || bigmem_pending();
	if (left) {
		wake_timer(srv);
	}
	return left;
}

void
store_reclaim(size_t budget)
{
	if (bigmem_pending()) {
		syscall_guard_check("munmap");
		(void) bigmem_reclaim(
		    budget > SIZE_MAX / 256 ? SIZE_MAX : budget * 256);
	}
}

void
store_free_all(server *srv)
{
	srv->closing = true;
	// Those being freed first, while every object they refer to is
	// still there.
	while (srv->freeing != NULL) {
		mobj *o      = srv->freeing;
		srv->freeing = o->dying_next;
		o->type->destroy(o);
		free(o);
	}
	size_t   pos = 0;
	uint64_t id;
	void    *v;
	while (idmap_next(&srv->objects, &pos, &id, &v)) {
		mobj *o = v;
		if (o->data != NULL) {
			o->type->destroy(o);
			o->data = NULL;
		}
	}
	pos = 0;
	while (idmap_next(&srv->objects, &pos, &id, &v)) {
		free(v);
	}
	idmap_fini(&srv->objects);
	(void) bigmem_reclaim(SIZE_MAX); // nobody waits any more
}
