/* Objects of the types managerd modules register (mgr_module.h): each
 * registered type is an mtype of its own (code OBJ_CUSTOM, the module's
 * name), each object a module state and the FIFO of calls parked on it.
 * A call runs the module's method under the server lock, as any handler;
 * a method that answers MGR_MODULE_WAIT parks its call as a queue get
 * parks, and the parked calls are tried again, in arrival order, after
 * every write method that succeeded on the object. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "custom.h"
#include "log.h"
#include "mvalue.h"
#include "report.h"
#include "wait.h"

/* ==== the registered types ============================================== */

typedef struct mod_type {
	mtype               mt; /* first: an object's type points here */
	const mgr_type_def *def;
	void (*value_free)(mgr_value *v);
} mod_type;

#define MAX_MODULE_TYPES 64
static mod_type *mod_types[MAX_MODULE_TYPES];
static size_t    nmod_types;

static const mod_type *
mod_of(const mobj *o)
{
	return (const mod_type *) o->type;
}

static const mtype *
find_type(const char *name)
{
	for (size_t i = 0; i < nmod_types; i++) {
		if (strcmp(mod_types[i]->def->name, name) == 0) {
			return &mod_types[i]->mt;
		}
	}
	return NULL;
}

/* ---- what a module says about its failures ---------------------------- */

static _Thread_local char module_detail[200];

void
mgr_set_errdetail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(module_detail, sizeof(module_detail), fmt, ap);
	va_end(ap);
}

const char *
custom_detail(void)
{
	return module_detail;
}

void
custom_detail_clear(void)
{
	module_detail[0] = '\0';
}

/* ==== pure data: a state and its parked calls =========================== */

typedef struct custom {
	void *state;
	wlist parked; /* calls whose method answered MGR_MODULE_WAIT */
} custom;

/* A module's code as a status the manager can give: its own codes pass;
 * anything else is the module's bug. */
static int
module_status(int rv)
{
	return rv >= 0 && rv < MGR_ENUMERRORS ? rv : MGR_EINTERNAL;
}

/* The state save gives, as an sval in *out. */
static int
save_state(
    const mod_type *t, const void *state, sval *out, char *why, size_t cap)
{
	mgr_value v = { .kind = MGR_NONE };
	custom_detail_clear();
	int rv = module_status(t->def->save(state, &v));
	if (rv == 0 && (rv = mv_to_sval(&v, out)) != 0) {
		snprintf(why, cap,
		    "%s's save gave a value the manager can't "
		    "hold (%s)",
		    t->def->name, mgr_strerror(rv));
	} else if (rv != 0) {
		snprintf(why, cap, "%s's save failed: %s", t->def->name,
		    module_detail[0] ? module_detail : mgr_strerror(rv));
	}
	t->value_free(&v);
	return rv;
}

/* A new state from a saved value (save then load: a deep copy). */
static int
load_state(const mod_type *t, const sval *saved, void **state)
{
	mgr_value v;
	int       rv = mv_view(saved, &v);
	if (rv == 0) {
		custom_detail_clear();
		rv = module_status(t->def->load(&v, state));
		mv_view_free(&v);
	}
	return rv;
}

/* ==== the shared custom types =========================================== */

static int
custom_create(mobj *o, mctx *c)
{
	const mod_type *t  = mod_of(o);
	custom         *cu = calloc(1, sizeof(*cu));
	if (cu == NULL) {
		return mctx_fail(c, MGR_ENOMEM, "out of memory");
	}
	if (c->nargs > 1) {
		free(cu);
		return mctx_fail(c, MGR_EINVAL,
		    "%s takes one init value (%zu given)", t->def->name,
		    c->nargs);
	}
	mgr_value init = { .kind = MGR_NONE };
	int       rv   = c->nargs == 1 ? mv_view(&c->args[0], &init) : 0;
	if (rv != 0) {
		free(cu);
		return mctx_fail(c, rv, "%s's init: %s", t->def->name,
		    rv == MGR_ETYPE ? "a custom object holds no references"
		                    : mgr_strerror(rv));
	}
	custom_detail_clear();
	rv = module_status(t->def->create(&init, &cu->state));
	mv_view_free(&init);
	if (rv != 0) {
		free(cu);
		return mctx_fail(c, rv, "%s: %s", t->def->name,
		    module_detail[0] ? module_detail : mgr_strerror(rv));
	}
	o->data = cu;
	return 0;
}

static void
custom_destroy(mobj *o)
{
	custom *cu = o->data;
	if (cu == NULL) {
		return;
	}
	wlist_fail_all(&cu->parked, MGR_ENOOBJ);
	if (cu->state != NULL) {
		mod_of(o)->def->destroy(cu->state);
	}
	free(cu);
	o->data = NULL;
}

/* A snapshot's image of it (snapshot.c): [what the module's save gives].
 * Its parked calls are not kept (the log has them as waiters). */
static int
custom_save(mobj *o, struct snap_out *out)
{
	const custom *cu = o->data;
	sval          saved;
	char          why[200];
	if (save_state(mod_of(o), cu->state, &saved, why, sizeof(why)) != 0) {
		log_msg(LOG_ERROR, "object %llu: %s",
		    (unsigned long long) o->id, why);
		return MGR_EINTERNAL;
	}
	return snap_put_list(out, 0, &saved, 1);
}

/* The state the module's load makes of the saved value. */
static int
custom_load(mobj *o, sval *image, uint64_t part, struct snap_in *in)
{
	const mod_type *t     = mod_of(o);
	sval           *saved = snap_item(image, 0);
	if (part != 1 || saved == NULL) {
		return snap_bad(in,
		    "a module's object's image is what its "
		    "save gave");
	}
	custom *cu = calloc(1, sizeof(*cu));
	if (cu == NULL) {
		return snap_bad(in, "out of memory");
	}
	int rv = load_state(t, saved, &cu->state);
	if (rv != 0) {
		char why[200];
		snprintf(why, sizeof(why), "%s's load failed: %s",
		    t->def->name,
		    module_detail[0] ? module_detail : mgr_strerror(rv));
		free(cu);
		return snap_bad(in, why);
	}
	o->data = cu;
	return 0;
}

/* For atomic batches: save and load make the copy. */
static void *
custom_clone(mobj *o)
{
	const mod_type *t  = mod_of(o);
	const custom   *cu = o->data;
	custom         *cp = calloc(1, sizeof(*cp));
	sval            saved;
	char            why[200];
	if (cp == NULL) {
		return NULL;
	}
	if (save_state(t, cu->state, &saved, why, sizeof(why)) != 0) {
		log_msg(LOG_WARN, "%s", why);
		free(cp);
		return NULL;
	}
	int rv = load_state(t, &saved, &cp->state);
	sv_free(&saved);
	if (rv != 0) {
		log_msg(LOG_WARN, "%s's load failed: %s", t->def->name,
		    module_detail[0] ? module_detail : mgr_strerror(rv));
		free(cp);
		return NULL;
	}
	return cp;
}

/* A failed batch: the state saved goes back; the parked calls stay. */
static void
custom_restore(mobj *o, void *saved)
{
	custom *cu = o->data, *sv = saved;
	mod_of(o)->def->destroy(cu->state);
	cu->state = sv->state;
	free(sv);
}

static void
custom_describe(const mobj *o, report *r, sval *d)
{
	const custom *cu = o->data;
	sval          saved;
	char          why[200];
	report_put_int(r, d, "parked", (int64_t) cu->parked.len);
	if (save_state(mod_of(o), cu->state, &saved, why, sizeof(why)) == 0) {
		report_put(r, d, "state", saved);
	} else {
		report_put_str(r, d, "state_error", why);
	}
}

/* The method called name, or NULL. */
static const mgr_method_def *
method_named(const mod_type *t, const char *name, size_t *index)
{
	for (size_t i = 0; i < t->def->nmethods; i++) {
		if (strcmp(t->def->methods[i].name, name) == 0) {
			*index = i;
			return &t->def->methods[i];
		}
	}
	return NULL;
}

/* A method that runs longer stalls every client that long: logged. */
#define SLOW_METHOD_US 10000

/* Runs method m of o with args: 0 and its result in *res, MGR_MODULE_WAIT,
 * or a failure with its detail in why. */
static int
run_method(mobj *o, const mgr_method_def *m, const sval *args, sval *res,
    char *why, size_t cap)
{
	const mod_type *t  = mod_of(o);
	custom         *cu = o->data;
	mgr_value       a, out = { .kind = MGR_NONE };
	*res   = SV_NONE_INIT;
	int rv = mv_view(args, &a);
	if (rv != 0) {
		snprintf(why, cap, "%s.%s: %s", t->def->name, m->name,
		    rv == MGR_ETYPE ? "a custom object's method takes no "
		                      "references"
		                    : mgr_strerror(rv));
		return rv;
	}
	custom_detail_clear();
	int64_t t0 = clock_us();
	rv         = m->fn(cu->state, &a, &out);
	int64_t us = clock_us() - t0;
	// The result may point into the arguments (an echo): copied first.
	int crv = rv == 0 ? mv_to_sval(&out, res) : 0;
	mv_view_free(&a);
	if (us >= SLOW_METHOD_US) {
		// Every client waited that long: say whose method it was.
		log_msg(LOG_WARN,
		    "slow method: %s.%s ran %lld us under the server lock",
		    t->def->name, m->name, (long long) us);
	}
	if (rv == MGR_MODULE_WAIT && (m->flags & MGR_METHOD_MAY_WAIT)) {
		return rv;
	}
	if (rv == MGR_MODULE_WAIT) {
		snprintf(why, cap,
		    "%s.%s waited without MGR_METHOD_MAY_WAIT (a bug in the "
		    "module)",
		    t->def->name, m->name);
		return MGR_EINTERNAL;
	}
	if ((rv = module_status(rv)) != 0) {
		snprintf(why, cap, "%s.%s: %s", t->def->name, m->name,
		    module_detail[0] ? module_detail : mgr_strerror(rv));
		return rv;
	}
	// The result was the module's (borrowed): copied above.
	if ((rv = crv) != 0) {
		snprintf(why, cap,
		    "%s.%s returned a value the manager can't hold (%s)",
		    t->def->name, m->name, mgr_strerror(rv));
	}
	return rv;
}

/* After a write: the parked calls, in arrival order, each run again; one
 * that ends is answered, and when it wrote the scan starts over (what it
 * changed may let an earlier one end). Calls of clients that are gone
 * are left to their session's end: nothing is done for a dead client. */
static void
retry_parked(mobj *o)
{
	custom *cu       = o->data;
	bool    progress = true;
	while (progress) {
		progress = false;
		for (waiter *w = cu->parked.head, *next; w != NULL;
		     w         = next) {
			next = w->next;
			if (!session_reachable(w->sess)) {
				continue;
			}
			const mgr_method_def *m
			    = &mod_of(o)->def->methods[w->n];
			sval res;
			char why[240];
			int  rv = run_method(
			     o, m, &w->val, &res, why, sizeof(why));
			if (rv == MGR_MODULE_WAIT) {
				continue;
			}
			waiter_answer(w, rv, &res, why);
			if (rv == 0 && (m->flags & MGR_METHOD_WRITE)) {
				progress = true;
				break;
			}
		}
	}
}

static void
custom_changed(mobj *o)
{
	retry_parked(o);
}

/* CALL (name: the method) [args] -> what the method gives. */
static int
h_call(mctx *c)
{
	const mod_type       *t    = mod_of(c->obj);
	const char           *name = c->rq->name != NULL ? c->rq->name : "";
	size_t                index;
	const mgr_method_def *m = method_named(t, name, &index);
	if (m == NULL) {
		char e[80];
		log_escape(name, e, sizeof(e));
		return mctx_fail(c, MGR_EKEY,
		    "'%s' object has no method '%s'", t->def->name, e);
	}
	int rv = mctx_check_timeout(c);
	if (rv != 0) {
		return rv;
	}
	sval none = SV_NONE_INIT, res;
	char why[240];
	rv = run_method(c->obj, m, c->nargs ? &c->args[0] : &none, &res, why,
	    sizeof(why));
	if (rv == MGR_MODULE_WAIT) {
		if (c->rq->timeout_ms == 0) {
			return mctx_fail(c, MGR_ETIMEDOUT,
			    "%s.%s would wait (timeout 0)", t->def->name,
			    m->name);
		}
		waiter *w;
		custom *cu = c->obj->data;
		if ((rv = wait_park(c, &cu->parked, &w)) == MGR_PENDING) {
			w->n   = (int64_t) index;
			w->val = c->nargs ? sv_move(&c->args[0]) : none;
		}
		return rv;
	}
	if (rv != 0) {
		return mctx_fail(c, rv, "%s", why);
	}
	c->res = res;
	// Inside an atomic batch, the batch's commit does it (changed).
	if ((m->flags & MGR_METHOD_WRITE) && c->batch == NULL) {
		retry_parked(c->obj);
	}
	return 0;
}

/* A call's flags for atomic batches: its method's. */
static uint8_t
call_flags(const mobj *o, const Mgr__Request *rq)
{
	size_t                index;
	const mgr_method_def *m = method_named(
	    mod_of(o), rq->name != NULL ? rq->name : "", &index);
	if (m == NULL) {
		return 0; // the call says there is no such method
	}
	return (m->flags & MGR_METHOD_WRITE ? MOP_WRITE | MOP_GROWS : 0)
	    | (m->flags & MGR_METHOD_MAY_WAIT ? MOP_BLOCKS : 0);
}

/* OBJ_CUSTOM's own entry (types.def): the stand-in CREATE finds the
 * module's type through. */
const mtype custom_type = {
	.code    = MGR__OBJ_TYPE__OBJ_CUSTOM,
	.name    = "custom",
	.subtype = find_type,
};

#define T_CUSTOM MT(MGR__OBJ_TYPE__OBJ_CUSTOM)

const mop custom_ops[] = {
	{ MGR__OP__OP_CALL, T_CUSTOM, 0, 1,
	    MOP_WRITE | MOP_BLOCKS | MOP_GROWS, h_call },
	{ 0 },
};

/* ==== registration (mgr_module_init's calls) =============================
 */

/* Whether name can name a type: a letter, then letters, digits and '_'. */
static bool
good_name(const char *name)
{
	size_t n = name != NULL ? strlen(name) : 0;
	if (n == 0 || n > 63
	    || !((name[0] >= 'a' && name[0] <= 'z')
	        || (name[0] >= 'A' && name[0] <= 'Z'))) {
		return false;
	}
	return strspn(name,
	           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	           "0123456789_")
	    == n;
}

/* Why def can't be registered, into m->detail; 0 when it can. */
static int
refuse(mgr_module *m, const char *fmt, const char *what)
{
	snprintf(m->detail, sizeof(m->detail), fmt, what);
	return MGR_EINVAL;
}

int
mgr_module_type(mgr_module *m, const mgr_type_def *def)
{
	if (m == NULL || def == NULL) {
		return MGR_EINVAL;
	}
	if (def->api != MGR_MODULE_API) {
		snprintf(m->detail, sizeof(m->detail),
		    "a type built for module API %d (this managerd has %d)",
		    def->api, MGR_MODULE_API);
		return MGR_EINVAL;
	}
	if (!good_name(def->name)) {
		return refuse(m,
		    "type name '%s' is not a letter then letters, digits "
		    "and '_' (at most 63)",
		    def->name != NULL ? def->name : "");
	}
	if (registry_type_named(def->name) != NULL
	    || find_type(def->name) != NULL) {
		return refuse(m, "type name '%s' is taken", def->name);
	}
	if (def->create == NULL || def->destroy == NULL || def->save == NULL
	    || def->load == NULL
	    || (def->nmethods > 0 && def->methods == NULL)) {
		return refuse(m,
		    "type '%s' lacks create, destroy, save or "
		    "load, or its methods",
		    def->name);
	}
	for (size_t i = 0; i < def->nmethods; i++) {
		const mgr_method_def *md = &def->methods[i];
		if (md->name == NULL || md->name[0] == '\0'
		    || md->fn == NULL) {
			return refuse(m,
			    "type '%s' has a method without a name "
			    "or a function",
			    def->name);
		}
	}
	if (nmod_types == MAX_MODULE_TYPES) {
		return refuse(m, "more than 64 types (at '%s')", def->name);
	}
	mod_type *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		return MGR_ENOMEM;
	}
	t->def        = def;
	t->value_free = m->value_free;
	t->mt         = (mtype) {
		        .code       = MGR__OBJ_TYPE__OBJ_CUSTOM,
		        .name       = def->name,
		        .create     = custom_create,
		        .destroy    = custom_destroy,
		        .clone_data = custom_clone,
		        .restore    = custom_restore,
		        .changed    = custom_changed,
		        .wake       = custom_changed,
		        .describe   = custom_describe,
		        .op_flags   = call_flags,
		        .save       = custom_save,
		        .load       = custom_load,
	};
	mod_types[nmod_types++] = t;
	m->ntypes++;
	return 0;
}

void
custom_types_free(void)
{
	for (size_t i = 0; i < nmod_types; i++) {
		free(mod_types[i]);
	}
	nmod_types = 0;
}
