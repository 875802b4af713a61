/* managerctl: the command-line client of a manager (usage() lists the
 * commands). Values on the command line and in the output are Python
 * literals (tools/literal.c reads them, mgr_value_repr prints them).
 *
 * URL defaults to $MGR_URL; the key comes from --authkey-file (its bytes
 * less one trailing newline) or $MGR_AUTHKEY. Exit status: 0, 1 for an
 * error from the manager, 2 for a usage error, 3 when it cannot connect
 * or authenticate. */
#include <errno.h>
#include <mgr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "json.h"
#include "literal.h"

/* How long cluster's commands redial a lost leader (its clients' way). */
#define CLUSTER_RECONNECT_MS 15000

int
fail(const char *what, int rv)
{
	fprintf(stderr, "managerctl: %s: %s", what, mgr_strerror(rv));
	// The detail, unless it only repeats the code's text.
	const char *detail = mgr_errdetail();
	if (detail[0] != '\0' && strstr(detail, mgr_strerror(rv)) == NULL) {
		fprintf(stderr, " (%s)", detail);
	}
	fprintf(stderr, "\n");
	return EXIT_MANAGER;
}

/* Prints v's repr, or its JSON. */
int
print_value(const mgr_value *v)
{
	if (ctl_json) {
		int rv = json_print(stdout, v);
		return rv == 0 ? 0 : fail("json", rv);
	}
	if (ctl_raw && v->kind == MGR_STR) { // as `redis-cli --raw`
		fwrite(v->s, 1, v->len, stdout);
		putchar('\n');
		return 0;
	}
	char *text;
	int   rv = literal_repr(v, &text);
	if (rv != 0) {
		return fail("repr", rv);
	}
	printf("%s\n", text);
	free(text);
	return 0;
}

/* Whether o is of a module's type (not one of the manager's own). */
static bool
of_module_type(mgr_obj *o)
{
	static const char *const own[] = { "dict", "list", "namespace",
		"queue", "lock", "rlock", "semaphore", "bounded_semaphore",
		"condition", "event", "barrier", "scalar", "array", "conn" };
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		if (strcmp(mgr_obj_type(o), own[i]) == 0) {
			return false;
		}
	}
	return true;
}

/* A module's object: its state as its type's save gives it, from the
 * manager's listing of objects (paged through until o is met). */
static int
module_state(mgr_obj *o, mgr_value *out)
{
	for (size_t offset = 0;;) {
		mgr_value page;
		int rv = mgr_objects(mgr_obj_client(o), offset, 1000, &page);
		if (rv != 0) {
			return rv;
		}
		const mgr_value *objs = dict_member(&page, "objects");
		size_t           n
		    = objs != NULL && objs->kind == MGR_LIST ? objs->len : 0;
		for (size_t i = 0; i < n; i++) {
			const mgr_value *id
			    = dict_member(&objs->items[i], "object");
			const mgr_value *st
			    = dict_member(&objs->items[i], "state");
			if (id != NULL && id->kind == MGR_INT
			    && (uint64_t) id->i == mgr_obj_id(o)) {
				rv = st != NULL ? mgr_value_copy(out, st)
				                : MGR_ESTATE;
				mgr_value_free(&page);
				return rv;
			}
		}
		mgr_value_free(&page);
		if (n == 0) {
			return MGR_ENOOBJ;
		}
		offset += n;
	}
}

/* The contents of o as a value, by its type. */
static int
contents(mgr_obj *o, mgr_value *out)
{
	const char *t = mgr_obj_type(o);
	if (strcmp(t, "dict") == 0) {
		return mgr_dict_copy(o, out);
	}
	if (strcmp(t, "list") == 0) {
		return mgr_list_copy(o, out);
	}
	if (strcmp(t, "namespace") == 0) {
		return mgr_ns_items(o, out);
	}
	if (strcmp(t, "scalar") == 0) {
		return mgr_scalar_get(o, out);
	}
	if (strcmp(t, "array") == 0) {
		return mgr_array_slice(o, 0, INT64_MAX, out);
	}
	size_t n;
	bool   b;
	int    rv;
	if (strcmp(t, "queue") == 0) {
		rv   = mgr_queue_qsize(o, &n);
		*out = mgr_int((int64_t) n);
	} else if (strcmp(t, "event") == 0) {
		rv   = mgr_event_is_set(o, &b);
		*out = mgr_bool(b);
	} else if (strcmp(t, "barrier") == 0) {
		rv   = mgr_barrier_n_waiting(o, &n);
		*out = mgr_int((int64_t) n);
	} else if (of_module_type(o)) {
		rv = module_state(o, out);
	} else {
		rv   = mgr_locked(o, &b);
		*out = mgr_bool(b);
	}
	return rv;
}

static const char *
contents_label(mgr_obj *o)
{
	const char *t = mgr_obj_type(o);
	if (of_module_type(o)) {
		return "state ";
	}
	return strcmp(t, "queue") == 0  ? "qsize "
	    : strcmp(t, "event") == 0   ? "is_set "
	    : strcmp(t, "barrier") == 0 ? "n_waiting "
	    : strcmp(t, "dict") == 0 || strcmp(t, "list") == 0
	        || strcmp(t, "namespace") == 0 || strcmp(t, "scalar") == 0
	        || strcmp(t, "array") == 0
	    ? ""
	    : "locked ";
}

static bool
is_type(mgr_obj *o, const char *t)
{
	return strcmp(mgr_obj_type(o), t) == 0;
}

/* Whether arg, not a literal, is a bare word to take as a str: it has no
 * quote or bracket, so it was not meant as a str, list, tuple or dict
 * literal gone wrong (those still get the parser's message). */
static bool
bare_word(const char *arg)
{
	return arg[0] != '\0' && strpbrk(arg, "'\"[](){}") == NULL;
}

/* A bare word's str borrows arg: argv lives on. */
int
parse_arg(const char *what, const char *arg, mgr_value *v)
{
	char why[200];
	if (literal_parse(arg, v, why, sizeof(why)) != 0) {
		if (bare_word(arg)) {
			*v = mgr_str(arg);
			return 0;
		}
		fprintf(stderr,
		    "managerctl: %s %s is not a Python literal: %s\n", what,
		    arg, why);
		return EXIT_USAGE;
	}
	return 0;
}

/* An index for a list or array: a literal int. */
static int
parse_index(const char *arg, int64_t *i)
{
	mgr_value v;
	int       st = parse_arg("INDEX", arg, &v);
	if (st != 0) {
		return st;
	}
	bool ok = v.kind == MGR_INT;
	*i      = ok ? v.i : 0;
	mgr_value_free(&v);
	return ok ? 0 : usage_error("INDEX %s is not an integer", arg);
}

/* A namespace attribute: a bare name, or a quoted literal str. */
static const char *
attr_name(const char *arg, mgr_value *v)
{
	*v = mgr_none();
	if ((arg[0] == '\'' || arg[0] == '"')
	    && literal_parse(arg, v, NULL, 0) == 0 && v->kind == MGR_STR) {
		return v->s;
	}
	mgr_value_free(v);
	return arg;
}

const mgr_value *
dict_member(const mgr_value *d, const char *key)
{
	for (size_t i = 0; d->kind == MGR_DICT && i < d->len; i++) {
		const mgr_value *k = &d->pairs[2 * i];
		if (k->kind == MGR_STR && strcmp(k->s, key) == 0) {
			return &d->pairs[2 * i + 1];
		}
	}
	return NULL;
}

/* Prints the result of rv (a call that filled *v) and frees it. */
int
print_result(const char *what, int rv, mgr_value *v)
{
	if (rv != 0) {
		return fail(what, rv);
	}
	int st = print_value(v);
	mgr_value_free(v);
	return st;
}

/* The size ls shows: elements of a container, items queued, else -1. */
static long long
obj_size(mgr_obj *o)
{
	size_t    n  = 0;
	int       rv = MGR_ETYPE;
	mgr_value items;
	if (is_type(o, "dict")) {
		rv = mgr_dict_len(o, &n);
	} else if (is_type(o, "list")) {
		rv = mgr_list_len(o, &n);
	} else if (is_type(o, "array")) {
		rv = mgr_array_len(o, &n);
	} else if (is_type(o, "queue")) {
		rv = mgr_queue_qsize(o, &n);
	} else if (is_type(o, "namespace")
	    && (rv = mgr_ns_items(o, &items)) == 0) {
		n = items.len;
		mgr_value_free(&items);
	}
	return rv == 0 ? (long long) n : -1;
}

static int
cmp_str_value(const void *a, const void *b)
{
	const mgr_value *x = *(const mgr_value *const *) a;
	const mgr_value *y = *(const mgr_value *const *) b;
	return strcmp(x->s, y->s);
}

static int
cmd_ls(cmd_ctx *x)
{
	mgr_value names;
	int       rv = mgr_name_list(x->c, &names);
	if (rv != 0) {
		return fail("ls", rv);
	}
	// Sorted by name, as ls does, so that output is stable.
	const mgr_value **keys = calloc(names.len + 1, sizeof(*keys));
	if (keys == NULL) {
		mgr_value_free(&names);
		return fail("ls", MGR_ENOMEM);
	}
	for (size_t i = 0; i < names.len; i++) {
		keys[i] = &names.pairs[2 * i];
	}
	qsort(keys, names.len, sizeof(*keys), cmp_str_value);
	// For --json: rows of {name, type, size}, pointing into names.
	mgr_value *rows   = calloc(names.len + 1, sizeof(*rows));
	mgr_value *pairs  = calloc(6 * names.len + 1, sizeof(*pairs));
	size_t     nrows  = 0;
	int        status = rows && pairs ? 0 : fail("ls", MGR_ENOMEM);
	for (size_t i = 0; i < names.len && status == 0; i++) {
		const char *name = keys[i]->s;
		const char *type = keys[i][1].s;
		mgr_obj    *o;
		long long   size = -1;
		// A name removed since the listing is simply not shown.
		if ((rv = mgr_name_get(x->c, name, &o)) == 0) {
			size = obj_size(o);
			mgr_obj_release(o);
		} else if (rv != MGR_EKEY) {
			status = fail(name, rv);
			break;
		} else {
			continue;
		}
		mgr_value *p = &pairs[6 * nrows];
		p[0] = mgr_str("name"), p[1] = mgr_str(name);
		p[2] = mgr_str("type"), p[3] = mgr_str(type);
		p[4]          = mgr_str("size");
		p[5]          = size >= 0 ? mgr_int(size) : mgr_none();
		rows[nrows++] = mgr_dict_of(p, 3);
		if (ctl_json) {
			continue;
		}
		if (size >= 0) {
			printf("%-17s %8lld  %s\n", type, size, name);
		} else {
			printf("%-17s %8s  %s\n", type, "-", name);
		}
	}
	if (status == 0 && ctl_json) {
		mgr_value list = mgr_list_of(rows, nrows);
		status         = print_value(&list);
	}
	free(rows);
	free(pairs);
	free(keys);
	mgr_value_free(&names);
	return status;
}

static int
cmd_show(cmd_ctx *x)
{
	mgr_obj    *o;
	mgr_value   v;
	const char *name = x->args[0];
	int         rv   = mgr_name_get(x->c, name, &o);
	if (rv != 0) {
		return fail(name, rv);
	}
	int status;
	if ((rv = contents(o, &v)) != 0) {
		status = fail(name, rv);
	} else {
		if (!ctl_json) { // JSON: the contents alone
			printf("%s %s: %s", mgr_obj_type(o), name,
			    contents_label(o));
		}
		status = print_value(&v);
		mgr_value_free(&v);
	}
	mgr_obj_release(o);
	return status;
}

/* One item or attribute of o. */
static int
get_item(mgr_obj *o, const char *name, const char *arg)
{
	mgr_value v, key;
	int64_t   i;
	int       st;
	if (is_type(o, "dict")) {
		if ((st = parse_arg("KEY", arg, &key)) != 0) {
			return st;
		}
		st = print_result(name, mgr_dict_get(o, key, &v), &v);
		mgr_value_free(&key);
		return st;
	}
	if (is_type(o, "list") || is_type(o, "array")) {
		if ((st = parse_index(arg, &i)) != 0) {
			return st;
		}
		return print_result(name,
		    is_type(o, "list") ? mgr_list_get(o, i, &v)
		                       : mgr_array_get(o, i, &v),
		    &v);
	}
	if (is_type(o, "namespace")) {
		const char *attr = attr_name(arg, &key);
		st = print_result(name, mgr_ns_get(o, attr, &v), &v);
		mgr_value_free(&key);
		return st;
	}
	fprintf(stderr, "managerctl: %s is a %s: it has no items\n", name,
	    mgr_obj_type(o));
	return EXIT_USAGE;
}

static int
cmd_get(cmd_ctx *x)
{
	mgr_obj  *o;
	mgr_value v;
	int       rv = mgr_name_get(x->c, x->args[0], &o);
	if (rv != 0) {
		return fail(x->args[0], rv);
	}
	int st = x->nargs == 1 ? print_result(x->args[0], contents(o, &v), &v)
	                       : get_item(o, x->args[0], x->args[1]);
	mgr_obj_release(o);
	return st;
}

/* set, incr and del on one object; the literal arguments are parsed
 * before anything is sent. */
static int
change(cmd_ctx *x, mgr_obj *o)
{
	const char *name    = x->args[0];
	bool        scalar  = is_type(o, "scalar");
	bool        indexed = is_type(o, "list") || is_type(o, "array");
	bool        ns      = is_type(o, "namespace");
	bool        is_set  = strcmp(x->cmd, "set") == 0;
	bool        is_incr = strcmp(x->cmd, "incr") == 0;
	// Scalars take no KEY: set NAME VALUE, incr NAME [DELTA].
	int nkey = scalar ? 0 : 1;
	int nval = x->nargs - 1 - nkey;
	if (!scalar && !is_type(o, "dict") && !indexed && !ns) {
		fprintf(stderr, "managerctl: %s is a %s: %s does not apply\n",
		    name, mgr_obj_type(o), x->cmd);
		return EXIT_USAGE;
	}
	if ((is_set && nval != 1) || (is_incr && nval > 1)
	    || (!is_set && !is_incr && (scalar || nval != 0))
	    || (is_incr && (indexed || ns)) || nval < 0) {
		return usage_error(
		    "wrong arguments for %s on this object", x->cmd);
	}
	mgr_value key = mgr_none(), val = mgr_int(1), attr_v, out;
	int64_t   i  = 0;
	int       st = 0;
	if (nkey == 1 && indexed) {
		st = parse_index(x->args[1], &i);
	} else if (nkey == 1 && !ns) {
		st = parse_arg("KEY", x->args[1], &key);
	}
	if (st == 0 && nval == 1) {
		st = parse_arg(
		    is_set ? "VALUE" : "DELTA", x->args[1 + nkey], &val);
	}
	if (st != 0) {
		mgr_value_free(&key);
		return st;
	}
	const char *attr = ns ? attr_name(x->args[1], &attr_v) : NULL;
	int         rv;
	if (is_incr) {
		rv = scalar ? mgr_scalar_add(o, val, &out)
		            : mgr_dict_incr(o, key, val, &out);
		st = print_result(name, rv, &out);
	} else if (is_set) {
		rv = scalar              ? mgr_scalar_set(o, val)
		    : ns                 ? mgr_ns_set(o, attr, val)
		    : is_type(o, "list") ? mgr_list_set(o, i, val)
		    : indexed            ? mgr_array_set(o, i, val)
		                         : mgr_dict_set(o, key, val);
		st = rv != 0 ? fail(name, rv) : 0;
	} else {
		rv = ns                             ? mgr_ns_del(o, attr)
		    : indexed && is_type(o, "list") ? mgr_list_pop(o, i, &out)
		    : indexed                       ? MGR_ETYPE
		                                    : mgr_dict_del(o, key);
		if (rv == 0 && indexed) {
			mgr_value_free(&out);
		}
		st = rv != 0 ? fail(name, rv) : 0;
	}
	if (ns) {
		mgr_value_free(&attr_v);
	}
	mgr_value_free(&key);
	if (nval == 1) {
		mgr_value_free(&val);
	}
	return st;
}

static int
cmd_change(cmd_ctx *x)
{
	if (strcmp(x->cmd, "del") == 0 && x->nargs == 1) {
		int rv = mgr_name_del(x->c, x->args[0]);
		return rv != 0 ? fail(x->args[0], rv) : 0;
	}
	mgr_obj *o;
	int      rv = mgr_name_get(x->c, x->args[0], &o);
	if (rv != 0) {
		return fail(x->args[0], rv);
	}
	int st = change(x, o);
	mgr_obj_release(o);
	return st;
}

static int
cmd_queue(cmd_ctx *x)
{
	mgr_obj  *q;
	mgr_value v;
	bool      put = strcmp(x->cmd, "put") == 0;
	int       st  = put ? parse_arg("VALUE", x->args[1], &v) : 0;
	if (st != 0) {
		return st;
	}
	int got = mgr_name_get(x->c, x->args[0], &q), rv;
	if (got != 0) {
		st = fail(x->args[0], got);
	} else if (!is_type(q, "queue")) {
		fprintf(stderr, "managerctl: %s is a %s, not a queue\n",
		    x->args[0], mgr_obj_type(q));
		st = EXIT_USAGE;
	} else if (put) {
		rv = mgr_queue_put(q, v, x->timeout);
		st = rv != 0 ? fail(x->args[0], rv) : 0;
	} else if ((rv = mgr_queue_get(q, &v, x->timeout)) == 0 && x->ack
	    && (rv = mgr_queue_task_done(q)) != 0) {
		// Not done: the item goes back (acknowledged) when we end.
		mgr_value_free(&v);
		st = fail(x->args[0], rv);
	} else {
		st = print_result(x->args[0], rv, &v);
	}
	if (got == 0) {
		mgr_obj_release(q);
	}
	if (put) {
		mgr_value_free(&v);
	}
	return st;
}

/* peek NAME [N], range NAME START [STOP], purge NAME. */
static int
cmd_queue_view(cmd_ctx *x)
{
	mgr_obj  *q;
	mgr_value v;
	int64_t   a = 0, b = INT64_MAX;
	bool      peek = strcmp(x->cmd, "peek") == 0;
	int       st   = 0;
	if (peek) {
		b  = 10;
		st = x->nargs > 1 ? parse_index(x->args[1], &b) : 0;
	} else if (strcmp(x->cmd, "range") == 0) {
		if ((st = parse_index(x->args[1], &a)) == 0 && x->nargs > 2) {
			st = parse_index(x->args[2], &b);
		}
	}
	if (st != 0) {
		return st;
	}
	int rv = mgr_name_get(x->c, x->args[0], &q);
	if (rv != 0) {
		return fail(x->args[0], rv);
	}
	if (!is_type(q, "queue")) {
		fprintf(stderr, "managerctl: %s is a %s, not a queue\n",
		    x->args[0], mgr_obj_type(q));
		st = EXIT_USAGE;
	} else if (strcmp(x->cmd, "purge") == 0) {
		size_t n;
		rv = mgr_queue_purge(q, &n);
		v  = mgr_int((int64_t) n);
		st = print_result(x->args[0], rv, &v);
	} else {
		st = print_result(
		    x->args[0], mgr_queue_peek(q, a, b, &v), &v);
	}
	mgr_obj_release(q);
	return st;
}

static int
cmd_unname(cmd_ctx *x)
{
	int rv = mgr_name_del(x->c, x->args[0]);
	return rv != 0 ? fail(x->args[0], rv) : 0;
}

/* Every command: name, arguments, what it does (for --help), and its
 * function. */
static const command ctl_commands[] = {
	{ "ping", 0, 0, cmd_ping, "", "round-trip time to the manager" },
	{ "info", 0, 0, cmd_info, "", "the manager's figures" },
	{ "cluster", 0, 2, cmd_cluster,
	    "[status | add ID=HOST:PORT | remove ID]",
	    "a managerd --cluster's figures, from its leader (--url with "
	    "every member's URL): the term, the log's indexes, each member's "
	    "address, role and lag; add a member (its managerd started with "
	    "--join) and wait until it votes, or remove one and wait until "
	    "it "
	    "is out (within --timeout, 60 s by default)" },
	{ "clients", 0, 0, cmd_clients, "",
	    "sessions: peer, pid, age, requests, what each holds and waits "
	    "on" },
	{ "objects", 0, 0, cmd_objects, "",
	    "every object: type, size, figures, holders, waiters" },
	{ "waits", 0, 0, cmd_waits, "",
	    "held locks with their queues of waiters, and any deadlock" },
	{ "watch", 0, 0, cmd_watch, "",
	    "info and rates per second, refreshed (--interval S, 1; --count "
	    "N) until Ctrl-C" },
	{ "shutdown", 0, 0, cmd_shutdown, "", "stop the manager" },
	{ "save", 0, 0, cmd_save, "",
	    "a snapshot of managerd --data-dir's state now, which replaces "
	    "the log it covers; waits until it is made (--timeout MS)" },
	{ "end", 1, 1, cmd_end, "SESSION",
	    "end another session (an id of clients), as its lease running "
	    "out would: what it held is released" },
	{ "ls", 0, 0, cmd_ls, "", "names, with type and size" },
	{ "show", 1, 1, cmd_show, "NAME", "type and contents of an object" },
	{ "get", 1, 2, cmd_get, "NAME [KEY|INDEX]",
	    "contents, or one item or attribute" },
	{ "set", 2, 3, cmd_change, "NAME [KEY] VALUE",
	    "d[KEY] = VALUE (list, array: INDEX; namespace: attribute); "
	    "without KEY, a scalar's value" },
	{ "incr", 1, 3, cmd_change, "NAME [KEY] [DELTA]",
	    "d[KEY] += DELTA (default 1); without KEY, a scalar's" },
	{ "new", 2, 5, cmd_new, "TYPE NAME [ARG...]",
	    "a new object bound to NAME: dict [INIT], list [INIT], "
	    "namespace, "
	    "queue [MAXSIZE] [lifo|priority] [ack], lock, rlock, semaphore "
	    "[VALUE], bounded_semaphore [VALUE], condition, event, barrier "
	    "PARTIES, value TYPECODE [INIT], array TYPECODE INIT|SIZE; a "
	    "module's type with [INIT]" },
	{ "call", 2, 3, cmd_call, "NAME METHOD [ARGS]",
	    "a method of a module's type (--timeout S for one that waits)" },
	{ "put", 2, 2, cmd_queue, "NAME VALUE", "put on a queue" },
	{ "take", 1, 1, cmd_queue, "NAME",
	    "get from a queue (an acknowledged queue gets it back when "
	    "managerctl ends, unless --ack)" },
	{ "peek", 1, 2, cmd_queue_view, "NAME [N]",
	    "the first N (10) items waiting in a queue, in get order; none "
	    "taken" },
	{ "range", 2, 3, cmd_queue_view, "NAME START [STOP]",
	    "the waiting items [START:STOP], as a list slice" },
	{ "purge", 1, 1, cmd_queue_view, "NAME",
	    "drop every waiting item of a queue; prints how many" },
	{ "del", 1, 2, cmd_change, "NAME [KEY|INDEX]",
	    "remove a name, or one item" },
	{ "unname", 1, 1, cmd_unname, "NAME", "remove a name" },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

static int
read_key(const char *keyfile, char *key, size_t cap, size_t *len)
{
	FILE *f = fopen(keyfile, "rb");
	if (f == NULL) {
		fprintf(stderr, "managerctl: cannot read %s: %s\n", keyfile,
		    strerror(errno));
		return EXIT_CONNECT;
	}
	size_t n = fread(key, 1, cap, f);
	fclose(f);
	if (n > 0 && key[n - 1] == '\n') {
		n--;
	}
	*len = n;
	return 0;
}

int
main(int argc, char **argv)
{
	cmd_ctx  x = { .timeout = 0, .interval = 1 };
	ctl_args a = { .commands = ctl_commands, .url = getenv("MGR_URL") };
	const command *cmd;
	int            st = ctl_parse_args(argc, argv, &a, &x, &cmd);
	if (st >= 0) {
		return st;
	}
	// The key: the file's bytes less one trailing newline, or
	// MGR_AUTHKEY.
	mgr_opts o = { 0 };
	char     key[4096];
	if (a.keyfile != NULL) {
		if ((st = read_key(
		         a.keyfile, key, sizeof(key), &o.authkey_len))
		    != 0) {
			return st;
		}
		o.authkey = key;
	}
	// A membership change may move the leader (one removing itself):
	// cluster follows it to the next (given every member's URL).
	if (strcmp(cmd->name, "cluster") == 0) {
		o.reconnect = CLUSTER_RECONNECT_MS;
	}
	int rv = mgr_connect(&x.c, a.url, &o); // no key file: MGR_AUTHKEY
	if (rv != 0) {
		fail("connect", rv);
		return EXIT_CONNECT;
	}
	int status = cmd->run(&x);
	mgr_disconnect(x.c);
	return status;
}
