/* Test harness: the manager's statistics (mgr_info), read and awaited
 * (harness.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* ---- statistics -------------------------------------------------------- */

const mgr_value *
h_dict_find(const mgr_value *d, const char *key)
{
	if (d->kind != MGR_DICT) {
		return NULL;
	}
	for (size_t i = 0; i < d->len; i++) {
		const mgr_value *k = &d->pairs[2 * i];
		if (k->kind == MGR_STR && strcmp(k->s, key) == 0) {
			return &d->pairs[2 * i + 1];
		}
	}
	return NULL;
}

static int
info_get(mgr_client *c, const char *key, const char *type, int64_t *out)
{
	mgr_value info;
	int       rv = mgr_info(c, &info);
	if (rv != 0) {
		return rv;
	}
	const mgr_value *v = h_dict_find(&info, key);
	if (v != NULL && type != NULL) {
		v = h_dict_find(v, type);
	}
	if (v == NULL) {
		rv = MGR_EKEY;
	} else if (v->kind != MGR_INT) {
		rv = MGR_ETYPE;
	} else {
		*out = v->i;
	}
	mgr_value_free(&info);
	return rv;
}

int
h_info_int(mgr_client *c, const char *key, int64_t *out)
{
	return info_get(c, key, NULL, out);
}

int
h_info_objects(mgr_client *c, const char *type, int64_t *out)
{
	return info_get(c, "objects", type, out);
}

int
h_info_await(mgr_client *c, const char *key, const char *type, int64_t want,
    int timeout_ms, int64_t *last)
{
	int64_t deadline = h_now_ms() + timeout_ms;
	int64_t v        = INT64_MIN;
	for (;;) {
		int rv = type != NULL ? info_get(c, key, type, &v)
		                      : info_get(c, key, NULL, &v);
		if (rv == 0 && v == want) {
			return 0;
		}
		if (rv != 0 || h_now_ms() >= deadline) {
			if (rv != 0) {
				h_log("mgr_info: %s", mgr_strerror(rv));
			}
			if (last != NULL) {
				*last = v;
			}
			return -1;
		}
		h_nap(10);
	}
}

int
h_info_await_baseline(
    mgr_client *c, int64_t sessions0, int64_t objects0, int timeout_ms)
{
	int64_t last = -1;
	if (h_info_await(c, "sessions", NULL, sessions0, timeout_ms, &last)
	    != 0) {
		fprintf(stderr, "sessions: %" PRId64 ", want %" PRId64 "\n",
		    last, sessions0);
		return -1;
	}
	if (h_info_await(
	        c, "objects_total", NULL, objects0, timeout_ms, &last)
	    != 0) {
		fprintf(stderr,
		    "objects_total: %" PRId64 ", want %" PRId64 "\n", last,
		    objects0);
		return -1;
	}
	return 0;
}

int64_t
h_proc_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	long kb = -1;
	snprintf(path, sizeof(path), "/proc/%ld/status", (long) pid);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return -1;
	}
	size_t n = strlen(field);
	while (kb < 0 && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, field, n) != 0 || line[n] != ':'
		    || sscanf(line + n + 1, "%ld kB", &kb) != 1) {
			kb = -1;
		}
	}
	fclose(f);
	return kb;
}

int64_t
h_proc_cpu_ms(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long) pid);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return -1;
	}
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n]              = '\0';
	const char   *p     = strrchr(buf, ')'); // the name may hold spaces
	unsigned long utime = 0, stime = 0;
	// Fields 3 to 15 of proc(5): utime and stime are the last two.
	if (p == NULL
	    || sscanf(p + 1,
	           " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	           &utime, &stime)
	        != 2) {
		return -1;
	}
	long hz = sysconf(_SC_CLK_TCK);
	return (int64_t) (utime + stime) * 1000 / (hz > 0 ? hz : 100);
}
