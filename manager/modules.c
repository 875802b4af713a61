/* managerd --load-module: each module's file checked, dlopen'ed and its
 * mgr_module_init run, before anything is served. A module runs inside
 * managerd with all its rights, so its file is refused when group or
 * others may write it (as key files are refused when others may read
 * them), and so is its directory. */
#include "modules.h"

#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "custom.h"

typedef int (*module_init_fn)(mgr_module *m, int argc, char **argv);
typedef void (*value_free_fn)(mgr_value *v);

#define MAX_WORDS 32

static void *handles[16];
static int   nhandles;

/* Whether path (a file or a directory) may be written by group or
 * others: what the message says, or NULL. In a sticky directory (/tmp)
 * only a file's owner may replace it. */
static const char *
writable_by_others(const char *path, char *why, size_t cap)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		snprintf(why, cap, "%s: %s", path, strerror(errno));
		return why;
	}
	if ((st.st_mode & 022) != 0
	    && !(S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX))) {
		snprintf(why, cap,
		    "%s is writable by %s (mode %03o): a module runs inside "
		    "managerd, so only its owner may change it (chmod go-w)",
		    path,
		    (st.st_mode & 022) == 022 ? "its group and others"
		        : (st.st_mode & 020)  ? "its group"
		                              : "others",
		    (unsigned) (st.st_mode & 0777));
		return why;
	}
	return NULL;
}

/* Loads one module from spec ("PATH [WORD...]"): 0, or 2 with a line on
 * stderr. */
static int
load_one(const char *spec)
{
	char *copy = strdup(spec);
	char *words[MAX_WORDS + 1];
	int   n    = 0;
	char *save = NULL;
	char  why[600];
	int   rc = 2;
	void *h  = NULL;
	if (copy == NULL) {
		fprintf(stderr, "managerd: out of memory\n");
		return 2;
	}
	for (char *w                       = strtok_r(copy, " \t", &save);
	     w != NULL && n < MAX_WORDS; w = strtok_r(NULL, " \t", &save)) {
		words[n++] = w;
	}
	words[n] = NULL;
	if (n == 0) {
		fprintf(stderr, "managerd: --load-module needs a path\n");
		goto out;
	}
	const char *path = words[0];
	if (path[0] != '/') {
		// dlopen would search the library path for a bare name.
		fprintf(stderr,
		    "managerd: --load-module %s: give the module's absolute "
		    "path\n",
		    path);
		goto out;
	}
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	if (writable_by_others(path, why, sizeof(why)) != NULL
	    || writable_by_others(dirname(dir), why, sizeof(why)) != NULL) {
		fprintf(stderr, "managerd: --load-module: %s\n", why);
		goto out;
	}
	// RTLD_NOW: a missing symbol is said now, not at a method's call.
	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "managerd: --load-module: %s\n", dlerror());
		goto out;
	}
	module_init_fn init;
	value_free_fn  vfree;
	*(void **) &init  = dlsym(h, "mgr_module_init");
	*(void **) &vfree = dlsym(h, "mgr_value_free");
	if (init == NULL) {
		fprintf(stderr,
		    "managerd: --load-module %s: no mgr_module_init in it\n",
		    path);
		goto out;
	}
	if (vfree == NULL) {
		fprintf(stderr,
		    "managerd: --load-module %s: it does not link libmgr "
		    "(pkg-config --libs mgr), whose mgr_value_free frees "
		    "what "
		    "its save gives\n",
		    path);
		goto out;
	}
	mgr_module m = { .path = path, .value_free = vfree };
	custom_detail_clear();
	int rv = init(&m, n - 1, words + 1);
	if (rv != 0) {
		const char *d = m.detail[0] ? m.detail : custom_detail();
		fprintf(stderr,
		    "managerd: --load-module %s: its init failed: %s%s%s\n",
		    path, mgr_strerror(rv), d[0] ? ": " : "", d);
		goto out;
	}
	if (m.ntypes == 0) {
		fprintf(stderr,
		    "managerd: --load-module %s: its init registered no "
		    "type\n",
		    path);
		goto out;
	}
	handles[nhandles++] = h;
	h                   = NULL;
	rc                  = 0;
out:
	// A failed module is not closed: types it registered before failing
	// point into it, and managerd exits anyway.
	(void) h;
	free(copy);
	return rc;
}

int
modules_load(const char *const *specs, int n)
{
	for (int i = 0;
	     i < n && i < (int) (sizeof(handles) / sizeof(handles[0])); i++) {
		int rc = load_one(specs[i]);
		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

void
modules_unload(void)
{
	custom_types_free();
	// The modules stay mapped: dlclose at exit only adds ways to crash
	// (a module's destructors, threads it started), and frees nothing
	// the exit does not.
	nhandles = 0;
}
