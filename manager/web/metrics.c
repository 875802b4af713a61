/* Prometheus names follow its conventions: every metric is prefixed
 * "mgr_", a counter ends in "_total", a family is one metric with a
 * "type" label. */
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgr.h"
#include "server.h"
#include "stats.h"

static void
put_figure(FILE *f, const stats_figure *x, bool first_of_family)
{
	size_t      n      = strlen(x->name);
	bool        totals = n > 6 && strcmp(x->name + n - 6, "_total") == 0;
	const char *suffix = x->counter && !totals ? "_total" : "";
	if (first_of_family) {
		fprintf(f, "# HELP mgr_%s%s %s\n", x->name, suffix, x->help);
		fprintf(f, "# TYPE mgr_%s%s %s\n", x->name, suffix,
		    x->counter ? "counter" : "gauge");
	}
	fprintf(f, "mgr_%s%s", x->name, suffix);
	if (x->label[0] != '\0') { // type names [a-z_], node ids [0-9]
		fprintf(f, "{%s=\"%s\"}",
		    x->label_key != NULL ? x->label_key : "type", x->label);
	}
	if (x->real) {
		fprintf(f, " %.3f\n", x->v_real);
	} else {
		fprintf(f, " %llu\n", (unsigned long long) x->v_int);
	}
}

int
metrics_render(server *srv, char **text, size_t *len)
{
	stats_figure fig[STATS_MAX_FIGURES];
	server_memory_sample(srv);
	server_lock_as(srv, "a /metrics scrape");
	size_t n = stats_snapshot(srv, fig);
	server_unlock(srv);

	*text   = NULL;
	FILE *f = open_memstream(text, len);
	if (f == NULL) {
		return MGR_ENOMEM;
	}
	fprintf(f,
	    "# HELP mgr_info The manager's version\n"
	    "# TYPE mgr_info gauge\n"
	    "mgr_info{version=\"%s\"} 1\n",
	    MGR_VERSION_STRING);
	for (size_t i = 0; i < n; i++) {
		bool first = i == 0 || fig[i - 1].name != fig[i].name;
		put_figure(f, &fig[i], first);
	}
	if (fclose(f) != 0 || *text == NULL) {
		free(*text);
		*text = NULL;
		return MGR_ENOMEM;
	}
	return 0;
}
