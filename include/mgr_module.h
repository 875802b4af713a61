/* mgr_module.h - object types of your own, served by managerd (Python's
 * BaseManager.register for C).
 *
 * A module is a shared library exporting mgr_module_init, which registers
 * types with mgr_module_type; managerd loads it at start:
 *
 *   cc -shared -fPIC -o account.so account.c $(pkg-config --cflags --libs
 * mgr) managerd --load-module /path/account.so ...
 *
 * Clients make objects of a module's type (mgr_custom_new) and call their
 * methods (mgr_call); each call runs under the manager's lock, atomically
 * with every other request, in one round trip. docs/modules.md tells the
 * whole story.
 *
 * A module runs inside managerd: a crash in it takes the manager down, a
 * slow method stalls every client. Methods must be deterministic (no
 * clock, no randomness, no I/O): they see only their state and arguments.
 *
 * Values: a method's args are borrowed (valid during the call); what it
 * puts in *result is borrowed too: the manager copies it as soon as the
 * method returns (so it may point into the state, or be built from
 * mgr_int, mgr_str...). save's *out is the caller's: the manager frees it
 * with the module's libmgr (mgr_value_free), so build it with libmgr's
 * constructors or malloc and MGR_VALUE_OWNED. References (MGR_REF) cannot
 * go into or out of a module's objects.
 *
 * Errors: a method, create or load returns 0 or an MGR_E* code, its
 * detail set with mgr_set_errdetail (the caller's mgr_errdetail). A write
 * method that fails must leave the state as it was (inside an atomic
 * batch the manager puts it back itself, through save and load). */
#ifndef MGR_MODULE_H
#define MGR_MODULE_H

#include <mgr.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this interface: a module built for another is refused. */
#define MGR_MODULE_API 1
/* A method's return: park this call until another write method ran on
 * the object (then it is called again, the parked calls in arrival order)
 * or the call's timeout passes (MGR_ETIMEDOUT). Only for methods flagged
 * MGR_METHOD_MAY_WAIT; the call's client may give up (timeout 0 never
 * parks: MGR_ETIMEDOUT at once). */
#define MGR_MODULE_WAIT 1000

enum {
	MGR_METHOD_WRITE = 1,    /* changes the state: parked calls are tried
	                            again after it succeeds */
	MGR_METHOD_MAY_WAIT = 2, /* may return MGR_MODULE_WAIT (never in an
	                            atomic batch) */
};

typedef struct mgr_module mgr_module;

typedef struct mgr_method_def {
	const char *name;
	unsigned    flags; /* MGR_METHOD_* */
	/* args: what the caller passed (None when nothing); *result is None
	 * on entry. 0, an MGR_E* code, or MGR_MODULE_WAIT. */
	int (*fn)(void *state, const mgr_value *args, mgr_value *result);
} mgr_method_def;

typedef struct mgr_type_def {
	int         api;  /* MGR_MODULE_API */
	const char *name; /* what mgr_custom_new and mgr_obj_type say: a
	                     letter, then letters, digits and '_' (at most
	                     63), not a built-in type's name */
	/* A new state from the caller's init value (None when none). */
	int (*create)(const mgr_value *init, void **state);
	void (*destroy)(void *state);
	/* The state as a value (introspection, undo of atomic batches):
	 * *out is the caller's. */
	int (*save)(const void *state, mgr_value *out);
	/* A new state from what save gave. */
	int (*load)(const mgr_value *saved, void **state);
	const mgr_method_def *methods;
	size_t                nmethods;
} mgr_type_def;

/* Registers a type (from mgr_module_init only). def, its name and its
 * methods must live as long as the module (static data). MGR_EINVAL, with
 * the detail, for a def built for another API, a bad or taken name (a
 * built-in type's, another module's), a missing function or a method
 * without a name or a function. */
MGR_API int mgr_module_type(mgr_module *m, const mgr_type_def *def);

/* Sets the detail of the error the running method, create or load
 * returns (printf format; cut at 200 bytes). */
MGR_API void mgr_set_errdetail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* The module's entry point, called once when managerd loads it, before it
 * serves: registers its types. argv holds the words that followed the
 * path in --load-module's value ("/x/acct.so limit=10": {"limit=10"}).
 * 0, or an MGR_E* code (managerd then refuses to start, printing the
 * detail). */
int mgr_module_init(mgr_module *m, int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif /* MGR_MODULE_H */
