/* The event type (Python's threading.Event): a flag and the FIFO of
 * requests waiting for it to be set. */
#include <stdlib.h>

#include "report.h"
#include "wait.h"

/* ==== pure data ========================================================= */

typedef struct sevent {
	bool  flag;
	wlist waiters; /* parked only while the flag is clear */
} sevent;

/* ==== the shared event type ============================================= */

static sevent *
target_event(mctx *c)
{
	return c->obj->data;
}

/* CREATE []. */
static int
event_create(mobj *o, mctx *c)
{
	if (c->nargs > 0) {
		return mctx_fail(c, MGR_EINVAL,
		    "Event takes no arguments (%zu given)", c->nargs);
	}
	if ((o->data = calloc(1, sizeof(sevent))) == NULL) {
		return mctx_fail(c, MGR_ENOMEM, "out of memory");
	}
	return 0;
}

static void
event_destroy(mobj *o)
{
	sevent *e = o->data;
	wlist_fail_all(&e->waiters, MGR_ENOOBJ);
	free(e);
	o->data = NULL;
}

/* A timed-out wait is the default MGR_ETIMEDOUT (Python's False). */
static void
event_describe(const mobj *o, report *r, sval *d)
{
	report_put(r, d, "is_set", sv_bool(((const sevent *) o->data)->flag));
}

/* A snapshot's image of it (snapshot.c). */
static int
event_save(mobj *o, struct snap_out *out)
{
	const sevent *e    = o->data;
	sval          flag = sv_bool(e->flag);
	return snap_put_list(out, 0, &flag, 1);
}

static int
event_load(mobj *o, sval *image, uint64_t part, struct snap_in *in)
{
	int64_t flag;
	if (part != 1 || !snap_int(image, 0, &flag)) {
		return snap_bad(in, "an event's image is its flag");
	}
	sevent *e = calloc(1, sizeof(*e));
	if (e == NULL) {
		return snap_bad(in, "out of memory");
	}
	e->flag = flag != 0;
	o->data = e;
	return 0;
}

const mtype event_type = {
	.code     = MGR__OBJ_TYPE__OBJ_EVENT,
	.name     = "event",
	.create   = event_create,
	.destroy  = event_destroy,
	.describe = event_describe,
	.save     = event_save,
	.load     = event_load,
};

/* SET: the flag goes up and every waiter is answered, in arrival order. */
static int
h_set(mctx *c)
{
	sevent *e = target_event(c);
	e->flag   = true;
	while (e->waiters.head != NULL) {
		waiter_done(e->waiters.head, 0, NULL);
	}
	return 0;
}

static int
h_clear(mctx *c)
{
	target_event(c)->flag = false;
	return 0;
}

static int
h_is_set(mctx *c)
{
	c->res = sv_bool(target_event(c)->flag);
	return 0;
}

/* WAIT with the request's timeout: at once when the flag is up. */
static int
h_wait(mctx *c)
{
	sevent *e  = target_event(c);
	int     rc = mctx_check_timeout(c);
	if (rc != 0) {
		return rc;
	}
	if (e->flag) {
		return 0;
	}
	if (c->rq->timeout_ms == 0) {
		return mctx_fail(c, MGR_ETIMEDOUT, "the event is not set");
	}
	return wait_park(c, &e->waiters, NULL);
}

#define T_EVENT MT(MGR__OBJ_TYPE__OBJ_EVENT)

const mop event_ops[] = {
	{ MGR__OP__OP_EVENT_SET, T_EVENT, 0, 0, MOP_WRITE, h_set },
	{ MGR__OP__OP_EVENT_CLEAR, T_EVENT, 0, 0, MOP_WRITE, h_clear },
	{ MGR__OP__OP_EVENT_IS_SET, T_EVENT, 0, 0, 0, h_is_set },
	{ MGR__OP__OP_EVENT_WAIT, T_EVENT, 0, 0, MOP_BLOCKS, h_wait },
	{ 0 },
};
