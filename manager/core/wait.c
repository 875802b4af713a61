/* Waiters and the one timer thread that serves all their deadlines. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "journal.h"
#include "log.h"
#include "server_state.h"
#include "session.h"
#include "stats.h"
#include "wait.h"

/* ---- the deadline heap --------------------------------------------------
 */

static void
heap_swap(server *srv, size_t i, size_t j)
{
	waiter *t              = srv->heap[i];
	srv->heap[i]           = srv->heap[j];
	srv->heap[j]           = t;
	srv->heap[i]->heap_idx = i;
	srv->heap[j]->heap_idx = j;
}

static void
heap_up(server *srv, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (srv->heap[p]->deadline <= srv->heap[i]->deadline) {
			break;
		}
		heap_swap(srv, i, p);
		i = p;
	}
}

static void
heap_down(server *srv, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < srv->heap_len
		    && srv->heap[l]->deadline < srv->heap[m]->deadline) {
			m = l;
		}
		if (r < srv->heap_len
		    && srv->heap[r]->deadline < srv->heap[m]->deadline) {
			m = r;
		}
		if (m == i) {
			return;
		}
		heap_swap(srv, i, m);
		i = m;
	}
}

static int
heap_add(server *srv, waiter *w)
{
	if (srv->heap_len == srv->heap_cap) {
		size_t   cap = srv->heap_cap ? srv->heap_cap * 2 : 64;
		waiter **nh  = realloc(srv->heap, cap * sizeof(*nh));
		if (nh == NULL) {
			return MGR_ENOMEM;
		}
		srv->heap     = nh;
		srv->heap_cap = cap;
	}
	w->heap_idx                = srv->heap_len;
	srv->heap[srv->heap_len++] = w;
	heap_up(srv, w->heap_idx);
	if (w->heap_idx == 0 && srv->timer_until != 0
	    && (int64_t) w->deadline < srv->timer_until) {
		// A deadline before the sleeping timer's wake-up: it must
		// wake sooner. (Not for one after it, as a pool's idle
		// worker's get of a second is, nor while the timer runs:
		// it looks again before it sleeps.) A wake-up costs a
		// cross-CPU switch per parked request.
		pthread_cond_signal(&srv->timer_cv);
	}
	return 0;
}

static void
heap_remove(server *srv, waiter *w)
{
	if (w->deadline == 0) {
		return;
	}
	size_t i = w->heap_idx;
	srv->heap_len--;
	if (i != srv->heap_len) {
		srv->heap[i]           = srv->heap[srv->heap_len];
		srv->heap[i]->heap_idx = i;
		heap_down(srv, i);
		heap_up(srv, i);
	}
	w->deadline = 0;
}

/* ---- lists ----------------------------------------------------------------
 */

static void
wlist_unlink(waiter *w)
{
	wlist *q = w->list;
	if (q == NULL) {
		return;
	}
	if (w->prev != NULL) {
		w->prev->next = w->next;
	} else {
		q->head = w->next;
	}
	if (w->next != NULL) {
		w->next->prev = w->prev;
	} else {
		q->tail = w->prev;
	}
	q->len--;
	w->list = NULL;
	w->prev = w->next = NULL;
}

static void
wlist_append(wlist *q, waiter *w)
{
	w->list = q;
	w->next = NULL;
	w->prev = q->tail;
	if (q->tail != NULL) {
		q->tail->next = w;
	} else {
		q->head = w;
	}
	q->tail = w;
	q->len++;
}

static void
session_unlink(waiter *w)
{
	waiter **head = session_waiters(w->sess);
	if (w->sprev != NULL) {
		w->sprev->snext = w->snext;
	} else {
		*head = w->snext;
	}
	if (w->snext != NULL) {
		w->snext->sprev = w->sprev;
	}
	w->sprev = w->snext = NULL;
	w->sess->nwaiters--;
}

static void
waiter_free(waiter *w)
{
	server *srv = w->obj->srv;
	heap_remove(srv, w);
	wlist_unlink(w);
	session_unlink(w);
	sv_free(&w->val);
	free(w->logged);
	srv->waiters--;
	stats_waiter(srv, w->obj->type->code, -1);
	free(w);
}

/* ---- parking and answering ------------------------------------------------
 */

int
wait_park_ms(mctx *c, wlist *q, int64_t timeout_ms, waiter **wp)
{
	server *srv = c->srv;
	if (!(c->op_flags & MOP_BLOCKS)) {
		// Only an operation flagged so may park: atomic batches
		// refuse those up front, and nothing else expects a wait.
		log_msg(LOG_ERROR, "bug: %s tried to wait (not MOP_BLOCKS)",
		    registry_op_name(c->rq->op));
		return mctx_fail(c, MGR_EINTERNAL,
		    "%s may not wait (a bug in the manager)",
		    registry_op_name(c->rq->op));
	}
	if (c->sess->nwaiters >= srv->lim.max_waiters_session) {
		log_msg(LOG_WARN,
		    "session %llu: refused a wait: %zu parked, the limit "
		    "(--max-waiters-per-session)",
		    (unsigned long long) session_id(c->sess),
		    c->sess->nwaiters);
		return mctx_fail(c, MGR_ETOOBIG,
		    "this session has %zu requests waiting, the limit "
		    "(--max-waiters-per-session)",
		    c->sess->nwaiters);
	}
	waiter *w = calloc(1, sizeof(*w));
	if (w == NULL) {
		return mctx_fail(c, MGR_ENOMEM, "out of memory");
	}
	w->sess   = c->sess;
	w->rq_id  = c->rq->id;
	w->seq    = c->rq->seq;
	w->thread = c->rq->thread;
	w->op     = c->rq->op;
	w->obj    = c->obj;
	w->since  = (uint64_t) clock_ms();
	if (journal_park(srv, w, c->op_flags & MOP_WRITE) != 0) {
		free(w);
		return mctx_fail(c, MGR_ENOMEM, "out of memory");
	}
	if (timeout_ms >= 0) {
		w->deadline = w->since + (uint64_t) timeout_ms;
		if (w->deadline == 0) {
			w->deadline = 1;
		}
		if (heap_add(srv, w) != 0) {
			free(w->logged);
			free(w);
			return mctx_fail(c, MGR_ENOMEM, "out of memory");
		}
	}
	wlist_append(q, w);
	waiter **head = session_waiters(c->sess);
	w->snext      = *head;
	if (*head != NULL) {
		(*head)->sprev = w;
	}
	*head = w;
	c->sess->nwaiters++;
	srv->waiters++;
	stats_waiter(srv, w->obj->type->code, 1);
	if (wp != NULL) {
		*wp = w;
	}
	return MGR_PENDING;
}

int
wait_park(mctx *c, wlist *q, waiter **wp)
{
	return wait_park_ms(c, q, c->rq->timeout_ms, wp);
}

void
waiter_done(waiter *w, int status, sval *res)
{
	waiter_answer(w, status, res, NULL);
}

void
waiter_fail(waiter *w, int status, const char *detail)
{
	waiter_answer(w, status, NULL, detail);
}

void
waiter_answer(waiter *w, int status, sval *res, const char *detail)
{
	server    *srv = w->obj->srv;
	Mgr__Reply rp  = MGR__REPLY__INIT;
	Mgr__Value pv;
	rp.id     = w->rq_id;
	rp.status = status;
	if (status == 0 && res != NULL && res->kind != SV_NONE) {
		if (session_encode_value(w->sess, res, &srv->txa, &pv) == 0) {
			rp.result = &pv;
		} else {
			rp.status = MGR_ENOMEM;
		}
	}
	if (status != 0) {
		rp.error = detail != NULL && detail[0] != '\0'
		    ? (char *) detail
		    : (char *) mgr_strerror(status);
	}
	// Logged before its reply is queued: the reply waits for it.
	journal_answered(w, rp.status, session_next_reply(w->sess));
	session_send(w->sess, w->seq, &rp);
	if (res != NULL) {
		sv_free(res);
	}
	waiter_free(w);
}

void
waiter_move(waiter *w, wlist *q, bool keep_deadline)
{
	if (!keep_deadline) {
		heap_remove(w->obj->srv, w);
	}
	wlist_unlink(w);
	wlist_append(q, w);
}

waiter *
wlist_first_live(wlist *q)
{
	waiter *w = q->head;
	while (w != NULL && !session_reachable(w->sess)) {
		if (session_may_return(w->sess)) {
			// A reconnecting client: it keeps its place, and is
			// handed nothing until it is back.
			w = w->next;
			continue;
		}
		log_msg(LOG_DEBUG,
		    "session %llu: gone while waiting; passed over",
		    (unsigned long long) session_id(w->sess));
		// As its session's end would: the type's hook, then no reply.
		// The hook may answer others too (a barrier breaks): start
		// again from the head.
		if (w->obj->type->cancel != NULL) {
			w->obj->type->cancel(w->obj, w);
		}
		for (waiter *x = q->head; x != NULL; x = x->next) {
			if (x == w) {
				waiter_free(w);
				break;
			}
		}
		w = q->head;
	}
	return w;
}

void
wlist_fail_all(wlist *q, int status)
{
	while (q->head != NULL) {
		waiter_done(q->head, status, NULL);
	}
}

void
wait_cancel_session(session *s, waiter **list)
{
	(void) s;
	while (*list != NULL) {
		waiter *w = *list;
		if (w->obj->type->cancel != NULL) {
			w->obj->type->cancel(w->obj, w);
		}
		// The hook may have answered (freed) it already.
		if (*list == w) {
			waiter_free(w);
		}
	}
}

static int
by_address(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (mobj *const *) a,
	          y = (uintptr_t) * (mobj *const *) b;
	return x < y ? -1 : x > y;
}

void
wait_wake_session(session *s, waiter **list)
{
	// The objects first, each once and held: a wake may answer (free)
	// any of the session's waiters, so the list is not walked meanwhile.
	mobj **objs = malloc((s->nwaiters + 1) * sizeof(*objs));
	size_t n    = 0;
	if (objs == NULL) {
		log_msg(LOG_ERROR,
		    "session %llu: out of memory: its parked calls wait for "
		    "their next chance",
		    (unsigned long long) session_id(s));
		return;
	}
	for (waiter *w = *list; w != NULL && n < s->nwaiters; w = w->snext) {
		if (w->obj->type->wake != NULL) {
			objs[n++] = w->obj;
		}
	}
	qsort(objs, n, sizeof(*objs), by_address);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (k == 0 || objs[k - 1] != objs[i]) {
			objs[k++] = objs[i];
			mobj_incref(objs[i]);
		}
	}
	for (size_t i = 0; i < k; i++) {
		objs[i]->type->wake(objs[i]);
		stats_note_size(objs[i]->srv, objs[i]); // items handed out
	}
	for (size_t i = 0; i < k; i++) {
		mobj_unhold(objs[i]);
	}
	free(objs);
}

/* ---- deadlines ----------------------------------------------------------
 */

int64_t
wait_next_deadline(server *srv)
{
	return srv->heap_len > 0 ? (int64_t) srv->heap[0]->deadline : -1;
}

bool
wait_expire_due(server *srv, int64_t now)
{
	bool any = false;
	while (
	    srv->heap_len > 0 && srv->heap[0]->deadline <= (uint64_t) now) {
		waiter *w = srv->heap[0];
		heap_remove(srv, w);
		if (w->obj->type->expire != NULL) {
			w->obj->type->expire(w->obj, w);
		} else {
			waiter_done(w, MGR_ETIMEDOUT, NULL);
		}
		any = true;
	}
	return any;
}
