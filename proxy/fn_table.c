/* Functions by name: the process entries (process.c) and the pool's tasks
 * (pool.c) a program registers, found again in its exec'ed children. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int
fn_table_set(fn_table *t, const char *name, fn_any fn)
{
	int rv = 0;
	pthread_mutex_lock(&t->mtx);
	int i;
	for (i = 0; i < t->n && strcmp(t->e[i].name, name) != 0; i++) { }
	if (i == t->n) {
		if (t->n == FN_TABLE_MAX) {
			rv = MGR_ETOOBIG;
		} else if ((t->e[i].name = strdup(name)) == NULL) {
			rv = MGR_ENOMEM;
		} else {
			t->n++;
		}
	}
	if (rv == 0) {
		t->e[i].fn = fn;
	}
	pthread_mutex_unlock(&t->mtx);
	return rv;
}

fn_any
fn_table_get(fn_table *t, const char *name, size_t len)
{
	fn_any fn = NULL;
	pthread_mutex_lock(&t->mtx);
	for (int i = 0; i < t->n && fn == NULL; i++) {
		if (strlen(t->e[i].name) == len
		    && memcmp(t->e[i].name, name, len) == 0) {
			fn = t->e[i].fn;
		}
	}
	pthread_mutex_unlock(&t->mtx);
	return fn;
}
