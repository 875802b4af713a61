/* managerctl new TYPE NAME [ARG...]: an object of any type, a module's
 * too, bound to a name (the name keeps it alive after managerctl has
 * gone); managerctl call NAME METHOD [ARGS]: a module type's method. The name
 * is bound only if it is free (mgr_name_setdefault), so two scripts making
 * the same name race safely: the loser is told what the name holds. */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* A size argument: a non-negative literal int. */
static int
size_arg(const char *what, const char *arg, size_t *n)
{
	mgr_value v;
	int       st = parse_arg(what, arg, &v);
	if (st != 0) {
		return st;
	}
	bool ok = v.kind == MGR_INT && v.i >= 0;
	*n      = ok ? (size_t) v.i : 0;
	mgr_value_free(&v);
	return ok ? 0 : usage_error("%s is not a number of 0 or more", arg);
}

/* A typecode argument: one of array's letters. */
static int
typecode_arg(const char *arg, char *code)
{
	if (strlen(arg) != 1 || strchr("bBhHiIlLqQfd", arg[0]) == NULL) {
		return usage_error(
		    "TYPECODE %s is not one of b B h H i I l L "
		    "q Q f d",
		    arg);
	}
	*code = arg[0];
	return 0;
}

/* queue NAME [MAXSIZE] [fifo|lifo|priority] [ack], in any order: 0 and
 * the manager's answer in *rv, or a usage status. */
static int
new_queue(cmd_ctx *x, mgr_obj **o, int *rv)
{
	mgr_queue_opts q = { 0 };
	for (int i = 2; i < x->nargs; i++) {
		const char *w = x->args[i];
		int         st;
		if (strcmp(w, "ack") == 0) {
			q.ack = true;
		} else if (strcmp(w, "fifo") == 0) {
			q.order = MGR_QUEUE_FIFO;
		} else if (strcmp(w, "lifo") == 0) {
			q.order = MGR_QUEUE_LIFO;
		} else if (strcmp(w, "priority") == 0) {
			q.order = MGR_QUEUE_PRIORITY;
		} else if ((st = size_arg("MAXSIZE", w, &q.maxsize)) != 0) {
			return st;
		}
	}
	*rv = mgr_queue_new_opts(x->c, &q, o);
	return 0;
}

/* The arguments past NAME: at most max of them. */
static int
at_most(cmd_ctx *x, int max)
{
	if (x->nargs - 2 > max) {
		return usage_error(
		    "too many arguments for new %s", x->args[0]);
	}
	return 0;
}

/* Makes the object x's arguments ask for in *o: 0 and the manager's
 * answer in *rv, or a usage status (nothing made). */
static int
make(cmd_ctx *x, mgr_obj **o, int *rv)
{
	const char *type = x->args[0];
	const char *a2   = x->nargs > 2 ? x->args[2] : NULL;
	const char *a3   = x->nargs > 3 ? x->args[3] : NULL;
	mgr_value   v    = mgr_none();
	size_t      n    = 1;
	char        code = 0;
	int         st   = 0;
	if (strcmp(type, "queue") == 0) {
		return new_queue(x, o, rv);
	} else if (strcmp(type, "dict") == 0 || strcmp(type, "list") == 0) {
		bool dict = type[0] == 'd';
		if ((st = at_most(x, 1)) != 0
		    || (a2 != NULL
		        && (st = parse_arg("INIT", a2, &v)) != 0)) {
			return st;
		}
		if (a2 != NULL && v.kind != (dict ? MGR_DICT : MGR_LIST)) {
			mgr_value_free(&v);
			return usage_error(dict
			        ? "INIT %s is not a dict literal"
			        : "INIT %s is not a list literal",
			    a2);
		}
		*rv = dict ? mgr_dict_new(x->c, o) : mgr_list_new(x->c, o);
		if (*rv == 0 && a2 != NULL) {
			*rv = dict ? mgr_dict_update(*o, v)
			           : mgr_list_extend(*o, v);
		}
		mgr_value_free(&v);
	} else if (strcmp(type, "namespace") == 0 || strcmp(type, "lock") == 0
	    || strcmp(type, "rlock") == 0 || strcmp(type, "event") == 0
	    || strcmp(type, "condition") == 0) {
		if ((st = at_most(x, 0)) != 0) {
			return st;
		}
		*rv = type[0] == 'n' ? mgr_ns_new(x->c, o)
		    : type[0] == 'l' ? mgr_lock_new(x->c, o)
		    : type[0] == 'r' ? mgr_rlock_new(x->c, o)
		    : type[0] == 'e' ? mgr_event_new(x->c, o)
		                     : mgr_condition_new(x->c, NULL, o);
	} else if (strcmp(type, "semaphore") == 0
	    || strcmp(type, "bounded_semaphore") == 0) {
		if ((st = at_most(x, 1)) != 0
		    || (a2 != NULL
		        && (st = size_arg("VALUE", a2, &n)) != 0)) {
			return st;
		}
		*rv = type[0] == 's' ? mgr_semaphore_new(x->c, n, o)
		                     : mgr_bounded_semaphore_new(x->c, n, o);
	} else if (strcmp(type, "barrier") == 0) {
		if ((st = at_most(x, 1)) != 0) {
			return st;
		}
		if (a2 == NULL) {
			return usage_error("new %s takes PARTIES", type);
		}
		if ((st = size_arg("PARTIES", a2, &n)) != 0) {
			return st;
		}
		*rv = mgr_barrier_new(x->c, n, MGR_FOREVER, o);
	} else if (strcmp(type, "value") == 0 || strcmp(type, "scalar") == 0
	    || strcmp(type, "array") == 0) {
		bool array = type[0] == 'a';
		if ((st = at_most(x, 2)) != 0) {
			return st;
		}
		if (a2 == NULL || (array && a3 == NULL)) {
			return usage_error(array
			        ? "new %s takes TYPECODE and "
			          "INIT (a list, or a size)"
			        : "new %s takes TYPECODE [INIT]",
			    type);
		}
		if ((st = typecode_arg(a2, &code)) != 0
		    || (a3 != NULL
		        && (st = parse_arg("INIT", a3, &v)) != 0)) {
			return st;
		}
		if (!array) {
			*rv = mgr_scalar_new(
			    x->c, code, a3 != NULL ? v : mgr_int(0), o);
		} else if (v.kind == MGR_INT && v.i >= 0 && v.i <= 1 << 24) {
			// A size: that many zeros, as Array('i', 10).
			mgr_value *zeros
			    = calloc((size_t) v.i + 1, sizeof(*zeros));
			if (zeros == NULL) {
				*rv = MGR_ENOMEM;
			} else {
				for (int64_t i = 0; i < v.i; i++) {
					zeros[i] = mgr_int(0);
				}
				*rv = mgr_array_new(x->c, code,
				    mgr_list_of(zeros, (size_t) v.i), o);
				free(zeros);
			}
		} else if (v.kind == MGR_LIST) {
			*rv = mgr_array_new(x->c, code, v, o);
		} else {
			mgr_value_free(&v);
			return usage_error("INIT %s is not a list or a size "
			                   "(0 to 16777216)",
			    a3);
		}
		mgr_value_free(&v);
	} else {
		// A module's type (managerd --load-module): the manager
		// knows.
		if ((st = at_most(x, 1)) != 0
		    || (a2 != NULL
		        && (st = parse_arg("INIT", a2, &v)) != 0)) {
			return st;
		}
		*rv = mgr_custom_new(x->c, type, v, o);
		mgr_value_free(&v);
	}
	return 0;
}

int
cmd_call(cmd_ctx *x)
{
	mgr_obj  *o;
	mgr_value args = mgr_none(), res;
	int st = x->nargs > 2 ? parse_arg("ARGS", x->args[2], &args) : 0;
	if (st != 0) {
		return st;
	}
	int rv = mgr_name_get(x->c, x->args[0], &o);
	if (rv != 0) {
		mgr_value_free(&args);
		return fail(x->args[0], rv);
	}
	st = print_result(x->args[0],
	    mgr_call(o, x->args[1], args, x->timeout, &res), &res);
	mgr_obj_release(o);
	mgr_value_free(&args);
	return st;
}

int
cmd_new(cmd_ctx *x)
{
	mgr_obj    *o = NULL, *bound = NULL;
	const char *name = x->args[1];
	int         rv   = 0;
	int         st   = make(x, &o, &rv);
	if (st != 0) {
		return st;
	}
	if (rv != 0) {
		mgr_obj_release(o); // made, then refused its contents
		return fail(x->args[0], rv);
	}
	rv = mgr_name_setdefault(x->c, name, o, &bound);
	if (rv != 0) {
		st = fail(name, rv);
	} else if (mgr_obj_id(bound) != mgr_obj_id(o)) {
		fprintf(stderr,
		    "managerctl: %s: the name is taken (a %s); del it "
		    "first\n",
		    name, mgr_obj_type(bound));
		st = EXIT_MANAGER;
	}
	mgr_obj_release(bound);
	mgr_obj_release(o);
	return st;
}
