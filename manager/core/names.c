/* The names and their index (names.h). The index maps a named object's
 * id to one of its names, a copy counted with how many names the object
 * has: a name going away gives the object another of its names only when
 * it was the one shown, the one case that walks the names. */
#include "names.h"

#include <stdlib.h>
#include <string.h>

#include "mgr.h"
#include "sdict.h"
#include "server_state.h"

/* An index entry: the name shown, after the count of the object's names
 * (the index holds a pointer to text). */
typedef struct shown_name {
	size_t count;
	char   text[];
} shown_name;

static shown_name *
entry_of(const char *text)
{
	return (shown_name *) (void *) (text - offsetof(shown_name, text));
}

static shown_name *
entry_new(const sval *key, size_t count)
{
	size_t      n = sv_slen(key);
	shown_name *e = malloc(sizeof(*e) + n + 1);
	if (e != NULL) {
		e->count = count;
		memcpy(e->text, sv_sdata(key), n);
		e->text[n] = '\0';
	}
	return e;
}

/* Object o gained the name key. */
static int
index_add(server *srv, const sval *key, const mobj *o)
{
	char *text = idmap_get(&srv->name_of, o->id);
	if (text != NULL) {
		entry_of(text)->count++;
		return 0;
	}
	shown_name *e    = entry_new(key, 1);
	void      **slot = e != NULL ? idmap_put(&srv->name_of, o->id) : NULL;
	if (slot == NULL) {
		free(e);
		return MGR_ENOMEM;
	}
	*slot = e->text;
	return 0;
}

/* Another name of object id than key, from the names, or NULL. */
static const sval *
other_name(server *srv, uint64_t id, const sval *key)
{
	size_t pos = 0;
	sval  *k, *v;
	while (sdict_next(srv->names.dict, &pos, &k, &v)) {
		if (v->kind == SV_REF && v->ref->id == id
		    && !sv_equal(k, key)) {
			return k;
		}
	}
	return NULL;
}

/* Object id lost the name key (already out of the names). */
static void
index_drop(server *srv, const sval *key, uint64_t id)
{
	char *text = idmap_get(&srv->name_of, id);
	if (text == NULL) {
		return;
	}
	shown_name *e = entry_of(text);
	if (--e->count == 0) {
		idmap_del(&srv->name_of, id);
		free(e);
		return;
	}
	if (sv_slen(key) != strlen(text)
	    || memcmp(sv_sdata(key), text, sv_slen(key)) != 0) {
		return; // another name is shown: still right
	}
	const sval *k = other_name(srv, id, key);
	shown_name *n = k != NULL ? entry_new(k, e->count) : NULL;
	if (n != NULL) {
		*idmap_put(&srv->name_of, id) = n->text; // the slot exists
		free(e);
	} // else out of memory: the old name stays shown
}

const sval *
names_get(server *srv, const sval *key)
{
	return sdict_get(srv->names.dict, key);
}

int
names_set(server *srv, const sval *key, mobj *o)
{
	const sval *old = sdict_get(srv->names.dict, key);
	uint64_t was = old != NULL && old->kind == SV_REF ? old->ref->id : 0;
	if (was == o->id) {
		return 0;
	}
	sval k, v = sv_ref(o);
	int  rv = sv_copy(&k, key);
	if (rv == 0 && (rv = index_add(srv, key, o)) != 0) {
		sv_free(&k);
	}
	if (rv == 0 && (rv = sdict_set(srv->names.dict, &k, &v)) != 0) {
		sv_free(&k);
		index_drop(srv, key, o->id);
	}
	sv_free(&v);
	if (rv == 0 && was != 0) {
		index_drop(srv, key, was);
	}
	return rv;
}

int
names_setdefault(server *srv, const sval *key, mobj *o, const sval **stored)
{
	const sval *old = sdict_get(srv->names.dict, key);
	if (old != NULL) {
		*stored = old;
		return 0;
	}
	sval  k, v = sv_ref(o);
	sval *in;
	int   rv = sv_copy(&k, key);
	if (rv == 0 && (rv = index_add(srv, key, o)) != 0) {
		sv_free(&k);
	}
	if (rv == 0
	    && (rv = sdict_setdefault(srv->names.dict, &k, &v, &in)) != 0) {
		index_drop(srv, key, o->id);
	}
	sv_free(&k); // moved in, or left to us on failure
	sv_free(&v);
	if (rv == 0) {
		*stored = in;
	}
	return rv;
}

int
names_del(server *srv, const sval *key)
{
	const sval *old = sdict_get(srv->names.dict, key);
	if (old == NULL) {
		return MGR_EKEY;
	}
	uint64_t id = old->kind == SV_REF ? old->ref->id : 0;
	int      rv = sdict_del(srv->names.dict, key, NULL);
	if (rv == 0 && id != 0) {
		index_drop(srv, key, id);
	}
	return rv == 0 ? 0 : MGR_EKEY;
}

size_t
names_count(server *srv)
{
	return sdict_len(srv->names.dict);
}

const idmap *
names_index(server *srv)
{
	return &srv->name_of;
}

void
names_free(server *srv)
{
	size_t   pos = 0;
	uint64_t id;
	void    *text;
	while (idmap_next(&srv->name_of, &pos, &id, &text)) {
		free(entry_of(text));
	}
	idmap_fini(&srv->name_of);
	sv_free(&srv->names);
}
