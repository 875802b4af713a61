/* A data directory for the tests of managerd --data-dir (harness.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

h_datadir *
h_datadir_new(const char *what)
{
	h_datadir *f = calloc(1, sizeof(*f));
	if (f == NULL) {
		fprintf(stderr, "harness: out of memory\n");
		return NULL;
	}
	snprintf(f->tmp, sizeof(f->tmp), "%s/mgr-%s-XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", what);
	if (mkdtemp(f->tmp) == NULL) {
		perror("harness: mkdtemp");
		free(f);
		return NULL;
	}
	snprintf(f->data, sizeof(f->data), "%s/data", f->tmp);
	return f;
}

void
h_datadir_free(h_datadir *f)
{
	if (f == NULL) {
		return;
	}
	h_managerd_cleanup(&f->m);
	if (f->mounted) {
		char *const umount_argv[] = { "umount", f->data, NULL };
		h_run("/bin/umount", umount_argv, NULL, 0, 10000, NULL, 0);
	}
	char *const argv[] = { "rm", "-rf", f->tmp, NULL };
	h_run("/bin/rm", argv, NULL, 0, 10000, NULL, 0);
	free(f);
}

mgr_client *
h_reconnecting(const h_managerd *m)
{
	mgr_opts o  = h_opts(m);
	o.lease     = 30000;
	o.reconnect = 30000;
	mgr_client *c;
	return mgr_connect(&c, m->url, &o) == 0 ? c : NULL;
}

int
h_appends_check(mgr_obj *l, size_t acked)
{
	size_t n;
	int    rv = mgr_list_len(l, &n);
	if (rv != 0 || (n != acked && n != acked + 1)) {
		fprintf(stderr,
		    "harness: %zu appends acknowledged, the list holds %zu "
		    "(%s)\n",
		    acked, rv == 0 ? n : 0,
		    rv == 0 ? "ok" : mgr_strerror(rv));
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		mgr_value v;
		if ((rv = mgr_list_get(l, (int64_t) i, &v)) != 0
		    || v.kind != MGR_INT || v.i != (int64_t) i) {
			fprintf(stderr,
			    "harness: item %zu of the appends is not %zu\n",
			    i, i);
			mgr_value_free(&v);
			return -1;
		}
	}
	return 0;
}
