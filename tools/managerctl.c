/* managerctl: the command-line client of a manager.
 *
 *   managerctl [--url URL] [--authkey-file F] COMMAND [ARG]
 *     ping          check that the manager answers (and the key is right)
 *     info          the manager's statistics
 *     show NAME     the contents of the object named NAME
 *     unname NAME   remove the name NAME (the object goes when unused)
 *
 * URL defaults to $MGR_URL; the key comes from --authkey-file (its bytes
 * less one trailing newline) or $MGR_AUTHKEY. Exit status: 0, 1 for an
 * error of the manager or the connection, 2 for a usage error. */
#include <mgr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: managerctl [--url URL] [--authkey-file F] "
	    "ping|info|show NAME|unname NAME\n");
}

static int
fail(const char *what, int rv)
{
	fprintf(stderr, "managerctl: %s: %s", what, mgr_strerror(rv));
	if (mgr_errdetail()[0] != '\0') {
		fprintf(stderr, " (%s)", mgr_errdetail());
	}
	fprintf(stderr, "\n");
	return 1;
}

/* Prints v's repr, growing the buffer as needed. */
static int
print_value(const mgr_value *v)
{
	size_t cap = 4096;
	for (;;) {
		char *buf = malloc(cap);
		if (buf == NULL) {
			return fail("repr", MGR_ENOMEM);
		}
		int rv = mgr_value_repr(v, buf, cap);
		if (rv == 0) {
			printf("%s\n", buf);
			free(buf);
			return 0;
		}
		free(buf);
		if (rv != MGR_ETOOBIG || cap > (1u << 28)) {
			return fail("repr", rv);
		}
		cap *= 4;
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
	return strcmp(t, "queue") == 0  ? "qsize "
	    : strcmp(t, "event") == 0   ? "is_set "
	    : strcmp(t, "barrier") == 0 ? "n_waiting "
	    : strcmp(t, "dict") == 0 || strcmp(t, "list") == 0
	        || strcmp(t, "namespace") == 0 || strcmp(t, "scalar") == 0
	        || strcmp(t, "array") == 0
	    ? ""
	    : "locked ";
}

/* Runs cmd (with its argument) on c: the exit status. */
static int
run(mgr_client *c, const char *cmd, const char *arg)
{
	int rv;
	int status = 0;
	if (strcmp(cmd, "ping") == 0 || strcmp(cmd, "info") == 0) {
		mgr_value info;
		int64_t   t0 = clock_us();
		rv           = mgr_info(c, &info);
		int64_t t1   = clock_us();
		if (rv != 0) {
			status = fail(cmd, rv);
		} else if (strcmp(cmd, "ping") == 0) {
			printf("ok (%lld us)\n", (long long) (t1 - t0));
		} else {
			status = print_value(&info);
		}
		if (rv == 0) {
			mgr_value_free(&info);
		}
	} else if (strcmp(cmd, "show") == 0) {
		mgr_obj  *obj;
		mgr_value v;
		if ((rv = mgr_name_get(c, arg, &obj)) != 0) {
			status = fail(arg, rv);
		} else {
			if ((rv = contents(obj, &v)) != 0) {
				status = fail(arg, rv);
			} else {
				printf("%s %s: %s", mgr_obj_type(obj), arg,
				    contents_label(obj));
				status = print_value(&v);
				mgr_value_free(&v);
			}
			mgr_obj_release(obj);
		}
	} else if ((rv = mgr_name_del(c, arg)) != 0) {
		status = fail(arg, rv);
	}
	return status;
}

int
main(int argc, char **argv)
{
	const char *url = getenv("MGR_URL"), *keyfile = NULL;
	int         i = 1;
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("managerctl %s\n", mgr_version());
			return 0;
		}
		if (i + 1 >= argc) {
			usage(stderr);
			return 2;
		}
		if (strcmp(argv[i], "--url") == 0) {
			url = argv[++i];
		} else if (strcmp(argv[i], "--authkey-file") == 0) {
			keyfile = argv[++i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc || url == NULL) {
		if (url == NULL) {
			fprintf(
			    stderr, "managerctl: no --url and no MGR_URL\n");
		}
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[i], *arg = i + 1 < argc ? argv[i + 1] : NULL;
	bool        needs_arg
	    = strcmp(cmd, "show") == 0 || strcmp(cmd, "unname") == 0;
	if ((needs_arg && arg == NULL)
	    || (!needs_arg && strcmp(cmd, "ping") != 0
	        && strcmp(cmd, "info") != 0)) {
		usage(stderr);
		return 2;
	}

	// The key: the file's bytes less one trailing newline, or
	// MGR_AUTHKEY.
	mgr_opts o = { 0 };
	char     key[4096];
	if (keyfile != NULL) {
		FILE *f = fopen(keyfile, "rb");
		if (f == NULL) {
			fprintf(
			    stderr, "managerctl: cannot read %s\n", keyfile);
			return 1;
		}
		size_t n = fread(key, 1, sizeof(key), f);
		fclose(f);
		if (n > 0 && key[n - 1] == '\n') {
			n--;
		}
		o.authkey     = key;
		o.authkey_len = n;
	}
	mgr_client *c;
	int         rv = mgr_connect(&c, url, keyfile ? &o : NULL);
	if (rv != 0) {
		return fail("connect", rv);
	}
	int status = run(c, cmd, arg);
	mgr_disconnect(c);
	return status;
}
