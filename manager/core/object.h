/* Shared objects, their types, and the request context handlers see.
 *
 * Every shared object is an mobj in the server's store, found by its id
 * (64-bit, never reused). Its reference count is the sum of the sessions'
 * references (proxies), the references held by values stored in containers
 * (SV_REF) and its names; at zero it is destroyed.
 *
 * A type (one file per type: dict.c, list.c, ...) provides an mtype (how to
 * create, destroy, and clean up after a session) and a table of mop entries,
 * one per operation, each with a handler. Handlers run with the server lock
 * held; they validate, call the type's pure data functions, and set the
 * result. They never block and never do I/O.
 */
#ifndef MGR_MANAGER_CORE_OBJECT_H
#define MGR_MANAGER_CORE_OBJECT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "manager.pb-c.h"
#include "mgr.h" /* MGR_E* codes */
#include "object_types.h"
#include "session.h"
#include "value.h"

struct report;
struct server;
struct session;
struct mctx;
struct waiter;
struct snap_out;
struct snap_in;

typedef struct mobj mobj;

typedef struct mtype {
	Mgr__ObjType code;
	const char  *name; /* "dict": Python's name of the type */
	/* Builds o->data from the CREATE arguments (c->args). */
	int (*create)(mobj *o, struct mctx *c);
	/* Frees o->data, dropping the references it holds. */
	void (*destroy)(mobj *o);
	/* Optional: the session s ended; drop what it holds on o (waiters,
	 * locks). Called for every live object that has waiters or owners. */
	void (*session_end)(mobj *o, struct session *s);
	/* Optional: calls fn on every reference value o holds (cycle
	 * collection). */
	void (*each_ref)(
	    mobj *o, void (*fn)(sval *ref, void *arg), void *arg);
	/* Optional: w's deadline passed (it is out of the timer heap, still
	 * in its FIFO). Must answer it (waiter_done) or move it on. Default:
	 * MGR_ETIMEDOUT. */
	void (*expire)(mobj *o, struct waiter *w);
	/* Optional: w's session ended; w is freed (unanswered) right after.
	 * For types where a vanished waiter changes state (a barrier breaks).
	 */
	void (*cancel)(mobj *o, struct waiter *w);
	/* Optional: a reconnecting client came back; hand its waiters what
	 * they were passed over for while it was away (wlist_first_live).
	 * For types that hand things to waiters (items, locks, messages). */
	void (*wake)(mobj *o);
	/* Optional, for the data types: a deep copy of o->data (NULL when
	 * out of memory), kept to undo an atomic batch that fails; freed or
	 * put back through destroy. Types without it can't be batched
	 * atomically. */
	void *(*clone_data)(mobj *o);
	/* Optional, with clone_data: puts the copy saved back into o when
	 * an atomic batch fails (else o->data is swapped for it and the
	 * changed data destroyed): for a type whose data holds what must
	 * stay (a custom object's parked calls). */
	void (*restore)(mobj *o, void *saved);
	/* Optional: an atomic batch that wrote o committed (a custom object
	 * tries its parked calls again; within the batch they must not run:
	 * the batch may still be undone). */
	void (*changed)(mobj *o);
	/* Optional: the flags (enum mop_flags) of request rq on o when they
	 * depend on the request, not only on its operation (a custom
	 * object's method may write, wait, or neither): what atomic batches
	 * check instead of the operation's. */
	uint8_t (*op_flags)(const mobj *o, const Mgr__Request *rq);
	/* Optional, for OBJ_CUSTOM's stand-in type: the type registered
	 * under name (a module's), for CREATE; NULL when there is none. */
	const struct mtype *(*subtype)(const char *name);
	/* Optional: the object the lock operations (acquire, release,
	 * locked) act on when they target o: a condition's lock. */
	mobj *(*lock_of)(mobj *o);
	/* Optional: where o keeps its own lock (Value.get_lock(): a
	 * scalar's or an array's rlock), SV_NONE until GET_LOCK makes it;
	 * the type's destroy frees it and its each_ref reports it. */
	sval *(*own_lock)(mobj *o);
	/* Optional, for the containers: how many elements o holds (len of a
	 * dict, list, namespace or array, qsize of a queue). */
	size_t (*size)(const mobj *o);
	/* Optional, for the containers of values: the values operation op
	 * (a MOP_WHOLE one, or 0 for all of o) reads of o, nested ones
	 * counted (a dict's keys and values, a list's items, and what each
	 * holds), counting stopped once past max (so it costs at most max
	 * steps). Without it, size counts. */
	size_t (*values)(const mobj *o, int op, size_t max);
	/* Optional, for the big containers: frees a slice of o's data, up
	 * to *budget elements (lessening it); true once all of it is gone
	 * (o->data NULL). A container let go with more than STORE_FREE_MIN
	 * elements is freed so, a slice after each request and on the
	 * timer, instead of at once while every client waits (store.c). */
	bool (*destroy_some)(mobj *o, size_t *budget);
	/* Optional: how much of o session s holds (1 for a lock, the depth
	 * of an rlock, permits of a semaphore; 0 when none). */
	uint64_t (*held_by)(const mobj *o, const struct session *s);
	/* Optional, for the introspection layer (describe.c): puts the
	 * type's own figures into the dict d (a queue's maxsize and
	 * unfinished tasks, a semaphore's value, a barrier's parties...). */
	void (*describe)(const mobj *o, struct report *r, sval *d);
	/* Optional, for the containers: calls fn on o's first entries, up to
	 * max, in order (a dict's keys and values; a list's or a queue's
	 * items, key NULL). */
	void (*entries)(const mobj *o, size_t max,
	    void (*fn)(void *arg, const sval *key, const sval *val),
	    void *arg);
	/* Optional (every built-in type): writes o's state into a
	 * snapshot (snapshot.c): its head (snap_put), then, for a
	 * container, its elements (snap_elem). Changes nothing. 0 or
	 * MGR_E*. */
	int (*save)(mobj *o, struct snap_out *out);
	/* With save: rebuilds o->data (NULL before its head) from one part
	 * of its image, in order: part 1 its head, the later ones its
	 * elements (an SV_LIST; an SV_DICT of those given with keys).
	 * Takes from *image what it keeps (the rest is freed). 0, or
	 * snap_bad's code. */
	int (*load)(mobj *o, sval *image, uint64_t part, struct snap_in *in);
} mtype;

struct mobj {
	uint64_t id;
	/* Unguessable, given with every reference to it and required with
	 * every request on it: knowing an id is not enough to use an object
	 * (ids are sequential, so they can be swept). */
	uint64_t       secret;
	const mtype   *type;
	uint64_t       refs;
	void          *data;
	struct server *srv;
	struct mobj   *dying_next; /* in the server's destruction worklist */
	int64_t        gc_refs;    /* cycle collection (gc.c) */
	size_t counted; /* its size as the element figures last counted it
	                 * (stats_note_size) */
	struct session
	    *maker; /* the session that made it, until that one
	             * ends: counted in its --max-objects-per-session
	             * while it lives (session.made) */
	bool gc_reachable;
};

/* The built-in type called name ("dict"), or NULL (registry.c). */
const mtype *registry_type_named(const char *name);

/* ---- store (store.c) ----------------------------------------------------
 */

/* A new object of type t with refs = 0 (the caller adds the first
 * reference), registered in the store. NULL when out of memory. */
mobj *store_new(struct server *srv, const mtype *t);
/* The live object with this id, or NULL. */
mobj *store_find(struct server *srv, uint64_t id);
void  mobj_incref(mobj *o);
/* Drops one reference; at zero the object is destroyed and freed. */
void mobj_decref(mobj *o);
/* At shutdown: every object is destroyed whatever its count, in any
 * order, so decrefs done by destroy must not free (srv->closing). */
void store_free_all(struct server *srv);
/* Containers let go with more elements than this are freed in slices. */
#define STORE_FREE_MIN 8192
/* Frees data (type's, a container's with a destroy_some) a slice at a
 * time, as those let go are: for a clear of a big one. data is no longer
 * any object's. srv->mtx held. */
void store_free_later(struct server *srv, const mtype *type, void *data);
/* o's data replaced by fresh (NULL: none), the old data freed now by its
 * type's destroy, or a slice at a time when it is a big container's
 * (more than STORE_FREE_MIN elements): for a clear, and for the cycle
 * collector's garbage. srv->mtx held. */
void mobj_replace_data(mobj *o, void *fresh);
/* Frees up to budget elements of the containers let go and not yet
 * freed (each request's end, and the timer, call it); true while some
 * are left, or big arrays wait to be unmapped. srv->mtx held. */
bool store_free_step(struct server *srv, size_t budget);
/* Unmaps up to 256 bytes an element of budget of the big arrays and
 * strings let go (2 MiB after a request, 8 MiB a timer tick). Never under
 * the server lock: an munmap of 8 MiB took 4.5-7 ms on these VMs. */
void store_reclaim(size_t budget);
/* Elements of request-time freeing: a few hundred microseconds. */
#define STORE_FREE_STEP 8192
/* mobj_incref / mobj_decref for the reference a value (SV_REF) holds: the
 * store counts those too, since while none exist no cycle can (gc.c). */
void mobj_incref_value(mobj *o);
void mobj_decref_value(mobj *o);
/* The hooks through which values (data/) reach objects: these. */
extern const sv_ref_hooks store_ref_hooks;
/* mobj_decref for a short hold taken by the manager itself (around a
 * request): such a drop can't leave a new garbage cycle behind, so it
 * does not count towards the next cycle collection. */
void mobj_unhold(mobj *o);

/* ---- snapshots (snapshot.c), for the types' save and load -------------
 */

/* Adds a part of the image of the object being saved: *image (moved). */
int snap_put(struct snap_out *out, sval *image);
/* Adds an element (key NULL for a sequence's; both copied) of the object
 * being saved: they go in parts after its head, as many as they fill. */
int snap_elem(struct snap_out *out, const sval *key, const sval *val);
/* The same with a sequence's element made for the image: *val moved. */
int snap_elem_move(struct snap_out *out, sval *val);
/* The session of id sid the snapshot holds, or NULL. */
struct session *snap_session(struct snap_in *in, uint64_t sid);
/* MGR_EPROTO, saying why the image of the object being loaded is not
 * one its type makes. */
int snap_bad(struct snap_in *in, const char *why);
/* The image's i-th item (an SV_LIST's), or NULL. */
sval *snap_item(sval *image, size_t i);
/* The image's i-th item as an integer (false when it is not one). */
bool snap_int(sval *image, size_t i, int64_t *out);
/* A head of n items (moved from items[], freed whatever happens), for
 * snap_put; made is how making them went: not 0, it is returned. */
int snap_put_list(struct snap_out *out, int made, sval *items, size_t n);
/* Whether v is what a type keeps as its own lock (mtype.own_lock): none,
 * or a reference to an rlock. */
bool snap_own_lock(const sval *v);
/* Moves a part's items (an SV_LIST) to the end of v. snap_bad's code
 * when the part is something else. */
int snap_load_items(svec *v, sval *image, struct snap_in *in);
/* A plain dict's or list's image (an empty head, then the entries or
 * items), and its load into *data (made by part 1). */
int snap_save_dict(struct snap_out *out, const sdict *d);
int snap_save_list(struct snap_out *out, const svec *v);
int snap_load_dict(
    void **data, sval *image, uint64_t part, struct snap_in *in);
int snap_load_list(
    void **data, sval *image, uint64_t part, struct snap_in *in);

/* ---- request context -----------------------------------------------------
 */

typedef struct mctx {
	struct server      *srv;
	struct session     *sess;
	const Mgr__Request *rq;
	mobj               *obj;   /* target; NULL for manager operations */
	sval               *args;  /* decoded arguments, owned by the */
	size_t              nargs; /* dispatcher: handlers may sv_move */
	sval                res;   /* owned result, freed after encoding */
	const sval         *res_borrowed; /* or: a result borrowed from the
	                                   * object, encoded before the lock
	                                   * is dropped (takes precedence) */
	uint8_t op_flags; /* the operation's (enum mop_flags) */
	/* Inside an atomic batch: the batch's contexts (those before
	 * batch_index have run, their results kept) for MGR_OP_ASSERT;
	 * NULL for a request of its own. */
	const struct mctx *batch;
	size_t             batch_index;
	bool res_on_failure; /* res goes out with the error status too */
	/* Elements' worth of work done beyond the result (a list's moves
	 * and searches: mctx_note_work): what an atomic batch adds up
	 * against --max-op-elements, its entries all run in one hold. */
	size_t work;
	char   err[200]; /* error detail */
} mctx;

/* What a request's walk of n elements counts as in an atomic batch
 * (searches compare, inserts move): an eighth of a search and a
 * sixty-fourth of a move (memmove) as an element read and encoded costs,
 * and more, as a batch may repeat them thousands of times. */
#define MCTX_SEARCH_COST(n) ((n) / 8 + 1)
#define MCTX_MOVE_COST(n)   ((n) / 64 + 1)
/* For a request of its own, measured: a compare costs at worst about a
 * 32nd of an element read and encoded (8.7 ms for a million str of one
 * length whose fingerprints match, on a 2-CPU VM; 1-2 ms when they do
 * not), a move about a 256th (a memmove of 16 bytes an element). */
#define MCTX_SEARCH_ONE(n) ((n) / 32)
#define MCTX_MOVE_ONE(n)   ((n) / 256)
enum mctx_walk { MCTX_SEARCH, MCTX_MOVE };
/* The request is about to search or move n elements (what: its words):
 * in an atomic batch the work adds up (checked after each entry, the
 * batch undone when over); a request of its own is refused before it
 * starts when the walk alone would be over --max-op-elements (a search
 * of a list of 16 million held every client for about 100 ms).
 * MGR_ETOOBIG with its detail, or 0. */
int mctx_walk(mctx *c, enum mctx_walk kind, size_t n, const char *what);

/* Records a formatted error detail and returns code (for return ...). */
/* MGR_ETOOBIG with its detail when what (an operation's words) would
 * touch n elements, over --max-op-elements; 0 when it may. Every request
 * holds the manager while it runs: one that walks a million elements
 * stalls every client (a handler with a range checks its own count). */
int mctx_check_elements(mctx *c, size_t n, const char *what);
/* --max-op-elements: where a handler's count of what it would walk (for
 * mctx_check_elements) may stop. */
size_t mctx_max_op_elements(const mctx *c);
/* The values operation op (0: a copy of all of o) reads of o: its type's
 * values hook, else its size; counted up to just past max. */
size_t mobj_whole_values(const mobj *o, int op, size_t max);
int    mctx_fail(mctx *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* MGR_ETOOBIG (with a detail) when a container of have elements can't
 * take adding more (--max-items); 0 otherwise. */
int mctx_check_room(mctx *c, size_t have, size_t adding);
/* Is a container of have elements at the limit (a cheap test first)? */
bool mctx_full(mctx *c, size_t have);

/* Argument accessors: MGR_ETYPE (with a detail) when the kind is wrong. */
int mctx_arg_int(mctx *c, size_t i, int64_t *out);
int mctx_arg_bool(mctx *c, size_t i, bool *out);
/* The request's timeout: -1 (none) or >= 0, as Python refuses a negative
 * one ("'timeout' must be a non-negative number"). 0, or MGR_EINVAL. */
int mctx_check_timeout(mctx *c);
/* A SV_STR argument's string (borrowed from c->args). */
int mctx_arg_str(mctx *c, size_t i, const char **s, size_t *len);

typedef int (*mop_fn)(mctx *c);

#define MT(code) (1u << (code))

/* What an operation does, for the core to act on (as Redis's command
 * flags): atomic batches snapshot only the objects their MOP_WRITE
 * operations change and refuse MOP_BLOCKS and MOP_ADMIN ones before
 * running anything; only a MOP_BLOCKS handler may park (MGR_PENDING). */
enum mop_flags {
	MOP_WRITE  = 1 << 0, /* may change its target (or the manager) */
	MOP_BLOCKS = 1 << 1, /* may wait (parks a waiter) */
	MOP_ADMIN  = 1 << 2, /* a manager operation (target 0 or any) */
	MOP_GROWS  = 1 << 3, /* may make the manager hold more memory:
	                      * refused over --max-memory */
	MOP_WHOLE = 1 << 4,  /* reads, copies or sorts every element of its
	                      * target (its type's size): refused over
	                      * --max-op-elements, before any work */
};

typedef struct mop {
	Mgr__Op  op;
	uint32_t types;   /* MT(...) bits of the target types it applies
	                   * to; 0: a manager operation */
	uint8_t min_args; /* checked by the dispatcher */
	uint8_t max_args;
	uint8_t flags; /* enum mop_flags */
	mop_fn  fn;
} mop;

/* Every type's mtype and every table of operations (types.def), each
 * defined in its own file (types/NAME.c, admin.c, introspect.c). */
#define MGR_TYPE(code, sym) extern const mtype sym;
#define MGR_OPS(sym)        extern const mop sym[];
#include "types.def"
#undef MGR_TYPE
#undef MGR_OPS

#endif
