/* What a session holds: its references to objects (counted per object),
 * the objects whose session_end hook must run when it ends (it holds a
 * lock or permits of them), and its parked requests. */
#include <stdint.h>

#include "object.h"
#include "sdict.h"
#include "session.h"
#include "svec.h"

uint64_t
session_id(const session *s)
{
	return s->id;
}

int
session_ref_add(session *s, mobj *o)
{
	void **slot = idmap_put(&s->refs, o->id);
	if (slot == NULL) {
		return MGR_ENOMEM;
	}
	*slot = (void *) ((uintptr_t) *slot + 1);
	mobj_incref(o);
	return 0;
}

struct waiter **
session_waiters(session *s)
{
	return &s->waiters;
}

int
session_touch(session *s, mobj *o)
{
	void **slot = idmap_put(&s->touched, o->id);
	return slot == NULL ? MGR_ENOMEM : 0;
}

int
session_ref_drop(session *s, mobj *o)
{
	void **slot = idmap_put(&s->refs, o->id);
	if (slot == NULL || *slot == NULL) {
		if (slot != NULL) {
			idmap_del(&s->refs, o->id);
		}
		return MGR_ENOOBJ;
	}
	uintptr_t n = (uintptr_t) *slot - 1;
	if (n == 0) {
		idmap_del(&s->refs, o->id);
	} else {
		*slot = (void *) n;
	}
	mobj_decref(o);
	return 0;
}

/* Gives sess a reference for each reference in v, in a fixed walk order;
 * *done counts them so that a failure can be undone by refs_drop. */
static int
refs_add(const sval *v, session *sess, size_t *done)
{
	switch (v->kind) {
	case SV_REF: {
		int rc = session_ref_add(sess, v->ref);
		if (rc == 0) {
			(*done)++;
		}
		return rc;
	}
	case SV_LIST:
	case SV_TUPLE:
		for (size_t i = 0; i < v->vec->len; i++) {
			int rc = refs_add(&v->vec->items[i], sess, done);
			if (rc != 0) {
				return rc;
			}
		}
		return 0;
	case SV_DICT: {
		size_t pos = 0;
		sval  *k, *x;
		while (sdict_next(v->dict, &pos, &k, &x)) {
			int rc = refs_add(k, sess, done);
			if (rc == 0) {
				rc = refs_add(x, sess, done);
			}
			if (rc != 0) {
				return rc;
			}
		}
		return 0;
	}
	default:
		return 0;
	}
}

static void
refs_drop(const sval *v, session *sess, size_t *left)
{
	if (*left == 0) {
		return;
	}
	switch (v->kind) {
	case SV_REF:
		(void) session_ref_drop(sess, v->ref);
		(*left)--;
		break;
	case SV_LIST:
	case SV_TUPLE:
		for (size_t i = 0; i<v->vec->len && * left> 0; i++) {
			refs_drop(&v->vec->items[i], sess, left);
		}
		break;
	case SV_DICT: {
		size_t pos = 0;
		sval  *k, *x;
		while (*left > 0 && sdict_next(v->dict, &pos, &k, &x)) {
			refs_drop(k, sess, left);
			refs_drop(x, sess, left);
		}
		break;
	}
	default:
		break;
	}
}

int
session_ref_add_all(session *s, const sval *v)
{
	// Taken in one walk and, on failure, given back in the same order.
	size_t done = 0;
	int    rc   = refs_add(v, s, &done);
	if (rc != 0) {
		refs_drop(v, s, &done);
	}
	return rc;
}

bool
session_reachable(session *s)
{
	return s->state != SESSION_CLOSED && !fconn_peer_gone(s->fc);
}
