/* A pool's maps: map (mgr_pool_map), map_async, imap and imap_unordered
 * (mgr_map). A map is its input cut into chunks, each one task and one
 * future of the pool (future.c); its results come from those futures, in
 * the input's order (by chunk), or as the chunks end (wait_any). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "pool_int.h"

#define FEED_MAP 64 /* chunks put in one write */

struct mgr_map {
	mgr_pool    *pool;
	size_t       n, cs, nf; /* items, chunk size, chunks (futures) */
	mgr_future **fs;
	bool         ordered;
	done_ring    ring;   /* unordered: the chunks in the order they end */
	bool         ringed; /* its futures tell the ring */
	size_t       given;  /* unordered: chunks begun */
	size_t       next;   /* ordered: the next chunk to begin */
	size_t       cur;    /* the chunk being given out */
	mgr_value    vals;   /* its results (a copy), while some are left */
	size_t       pos;    /* the next of them */
	bool         have;   /* vals holds a chunk */
	/* mgr_map_on_done's: guarded by mtx */
	pthread_mutex_t mtx;
	mgr_future_cb   fn;
	void           *arg;
	size_t          left;  /* chunks not ended */
	bool            fired; /* fn ran (or runs) */
	int             refs;  /* the caller's, and one a chunk callback */
};

/* Items a default chunk holds at most: a chunk is one task, put and
 * answered in one request each, and a request may carry only managerd's
 * --max-op-elements values (16,384 by default); Python's chunks of a
 * million items on two workers would hold 125,000. */
#define CHUNK_MAX 1024

/* Python's default chunk for n items: about four chunks per worker, at
 * most CHUNK_MAX items. */
static size_t
default_chunksize(const mgr_pool *p, size_t n)
{
	size_t per = 4 * p->nworkers;
	size_t cs  = (n + per - 1) / per;
	return cs == 0 ? 1 : cs > CHUNK_MAX ? CHUNK_MAX : cs;
}

static void
map_destroy(mgr_map *m)
{
	if (m->ringed) {
		future_ring_detach(m->fs, m->nf); // they may end after us
	}
	free(m->ring.idx);
	for (size_t k = 0; m->fs != NULL && k < m->nf; k++) {
		mgr_future_free(m->fs[k]);
	}
	if (m->have) {
		mgr_value_free(&m->vals);
	}
	pthread_mutex_destroy(&m->mtx);
	free(m->fs);
	free(m);
}

/* Sends the write of chunks first..last; a failure ends their futures
 * with it (not queued: they never run). */
static int
map_flush(mgr_map *m, mgr_batch *b, size_t first, size_t last, int rv)
{
	mgr_pool *p = m->pool;
	if (rv == 0) {
		rv = mgr_batch_exec(b, false);
	}
	mgr_batch_reset(b);
	if (rv != 0) {
		pthread_mutex_lock(&p->mtx);
		for (size_t j = first; j <= last; j++) {
			if (!m->fs[j]->done) {
				future_finish_locked(p, m->fs[j], rv,
				    "the task could not be queued", NULL);
			}
		}
		pthread_mutex_unlock(&p->mtx);
	}
	return rv;
}

/* Submits m's chunks, FEED_MAP to a pipelined write. A chunk that cannot
 * be submitted (MGR_EKEY, MGR_ECLOSED) fails the whole start: the write
 * under way is not sent. */
static int
map_submit(mgr_map *m, const char *task, const mgr_value *list)
{
	mgr_batch *b     = NULL;
	int        rv    = mgr_batch_new(m->pool->c, &b);
	size_t     first = 0; /* the first chunk of the write under way */
	for (size_t k = 0; k < m->nf && rv == 0; k++) {
		size_t len
		    = k * m->cs + m->cs <= m->n ? m->cs : m->n - k * m->cs;
		mgr_value chunk
		    = mgr_list_of((mgr_value *) list->items + k * m->cs, len);
		rv = pool_submit(m->pool, task, chunk, true,
		    (sending) { .batch = b }, &m->fs[k]);
		if (rv != 0) {
			if (k > first) {
				(void) map_flush(m, b, first, k - 1, rv);
			}
			break;
		}
		if (mgr_batch_len(b) == FEED_MAP || k + 1 == m->nf) {
			rv    = map_flush(m, b, first, k, 0);
			first = k + 1;
		}
	}
	mgr_batch_free(b);
	return rv;
}

int
mgr_pool_map_start(mgr_pool *p, const char *task, mgr_value list,
    size_t chunksize, bool ordered, mgr_map **out)
{
	client_set_detail(NULL);
	ARG_NONNULL(p);
	ARG_NONNULL(task);
	ARG_NONNULL(out);
	ARG_CHECK(list.kind == MGR_LIST || list.kind == MGR_TUPLE, list,
	    "is not a list or a tuple");
	mgr_map *m = calloc(1, sizeof(*m));
	if (m == NULL) {
		return MGR_ENOMEM;
	}
	pthread_mutex_init(&m->mtx, NULL);
	m->pool    = p;
	m->n       = list.len;
	m->cs      = chunksize ? chunksize : default_chunksize(p, m->n);
	m->nf      = (m->n + m->cs - 1) / m->cs;
	m->ordered = ordered;
	m->refs    = 1;
	m->fs      = calloc(m->nf ? m->nf : 1, sizeof(*m->fs));
	int rv     = m->fs == NULL ? MGR_ENOMEM : 0;
	if (rv == 0 && !ordered
	    && (m->ring.idx = calloc(m->nf ? m->nf : 1, sizeof(size_t)))
	        == NULL) {
		rv = MGR_ENOMEM;
	}
	if (rv == 0) {
		rv = map_submit(m, task, &list);
	}
	if (rv == 0 && !ordered) {
		future_ring_attach(m->fs, m->nf, &m->ring);
		m->ringed = true;
	}
	if (rv != 0) {
		char detail[DETAIL_MAX];
		snprintf(detail, sizeof(detail), "%s", mgr_errdetail());
		map_destroy(m); // the chunks that went out run on
		client_set_detail("%s", detail);
		return rv;
	}
	*out = m;
	return 0;
}

/* Waits up to timeout ms for chunk k and copies its results into m->vals.
 * The chunk's task error. */
static int
map_begin_chunk(mgr_map *m, size_t k, int64_t timeout)
{
	int rv = mgr_future_get(m->fs[k], timeout, &m->vals);
	if (rv == 0) {
		m->cur  = k;
		m->pos  = 0;
		m->have = true;
	}
	return rv;
}

int
mgr_map_next(mgr_map *m, int64_t timeout, mgr_value *result, size_t *index)
{
	client_set_detail(NULL);
	ARG_NONNULL(m);
	ARG_NONNULL(result);
	if (m->have && m->pos == m->vals.len) {
		mgr_value_free(&m->vals);
		m->have = false;
	}
	if (!m->have) {
		size_t k;
		int    rv;
		if (m->ordered) {
			if (m->next == m->nf) {
				client_set_detail("every result was given");
				return MGR_EEMPTY;
			}
			k  = m->next;
			rv = map_begin_chunk(m, k, timeout);
			if (rv != MGR_ETIMEDOUT) {
				m->next++; // a task's error is that item's
			}
		} else {
			// The next chunk to end, from the ring its futures
			// fill as they end: O(1), not a look at every chunk.
			if (m->given == m->nf) {
				client_set_detail("every result was given");
				return MGR_EEMPTY;
			}
			rv = future_ring_next(&m->ring, timeout, &k);
			if (rv == 0) {
				m->given++;
				rv = map_begin_chunk(m, k, 0);
			} else {
				client_set_detail(
				    "none of %zu chunks done after %lld ms",
				    m->nf - m->given, (long long) timeout);
			}
		}
		if (rv != 0) {
			return rv;
		}
	}
	*result                 = m->vals.items[m->pos];
	m->vals.items[m->pos++] = mgr_none(); // moved out of the copy
	if (index != NULL) {
		*index = m->cur * m->cs + m->pos - 1;
	}
	return 0;
}

/* Every result, in the input's order, into *results (the caller's):
 * moved out of the futures (take) or copied (get may be asked again). */
static int
map_collect(mgr_map *m, int64_t timeout, bool take, mgr_value *results)
{
	mgr_value *out = calloc(m->n ? m->n : 1, sizeof(*out));
	if (out == NULL) {
		return MGR_ENOMEM;
	}
	int64_t t0  = clock_ms();
	size_t  got = 0;
	int     rv  = 0;
	for (size_t k = 0; k < m->nf && rv == 0; k++) {
		int64_t left = timeout < 0 ? -1 : timeout - (clock_ms() - t0);
		left         = left < 0 && timeout >= 0 ? 0 : left;
		mgr_value chunk;
		rv = take ? future_take(m->fs[k], left, &chunk)
		          : mgr_future_get(m->fs[k], left, &chunk);
		for (size_t i = 0; rv == 0 && i < chunk.len && got < m->n;
		     i++) {
			out[got++]     = chunk.items[i];
			chunk.items[i] = mgr_none();
		}
		if (rv == 0) {
			mgr_value_free(&chunk);
		}
	}
	if (rv == 0 && got != m->n) {
		client_set_detail("%zu results for %zu items", got, m->n);
		rv = MGR_EPROTO;
	}
	if (rv == 0) {
		rv = value_list_take(out, got, results);
	}
	for (size_t i = 0; i < got; i++) {
		mgr_value_free(&out[i]);
	}
	free(out);
	return rv;
}

int
mgr_map_get(mgr_map *m, int64_t timeout, mgr_value *results)
{
	client_set_detail(NULL);
	ARG_NONNULL(m);
	ARG_NONNULL(results);
	return map_collect(m, timeout, false, results);
}

int
mgr_map_done(mgr_map *m, bool *done)
{
	client_set_detail(NULL);
	ARG_NONNULL(m);
	ARG_NONNULL(done);
	*done = true;
	for (size_t k = 0; k < m->nf; k++) {
		*done = *done && m->fs[k]->done;
	}
	return 0;
}

/* Drops a reference to m: the last one frees it. */
static void
map_unref(mgr_map *m)
{
	pthread_mutex_lock(&m->mtx);
	bool last = --m->refs == 0;
	pthread_mutex_unlock(&m->mtx);
	if (last) {
		map_destroy(m);
	}
}

/* A chunk ended: the map's callback runs with the first error, or with
 * every result once the last chunk ended. */
static void
chunk_done(mgr_future *f, int status, const mgr_value *result, void *arg)
{
	(void) f;
	(void) result;
	mgr_map *m = arg;
	pthread_mutex_lock(&m->mtx);
	bool fire = !m->fired && (status != 0 || --m->left == 0);
	m->fired  = m->fired || fire;
	pthread_mutex_unlock(&m->mtx);
	if (fire && status != 0) {
		m->fn(NULL, status, NULL, m->arg); // detail set by the caller
	} else if (fire) {
		mgr_value all = mgr_none();
		int       rv  = map_collect(m, 0, false, &all);
		m->fn(NULL, rv, rv == 0 ? &all : NULL, m->arg);
		mgr_value_free(&all);
	}
	map_unref(m);
}

int
mgr_map_on_done(mgr_map *m, mgr_future_cb fn, void *arg)
{
	client_set_detail(NULL);
	ARG_NONNULL(m);
	ARG_NONNULL(fn);
	pthread_mutex_lock(&m->mtx);
	if (m->fn != NULL) {
		pthread_mutex_unlock(&m->mtx);
		client_set_detail("the map has its callback already");
		return MGR_ESTATE;
	}
	m->fn   = fn;
	m->arg  = arg;
	m->left = m->nf;
	m->refs += (int) m->nf; // each chunk's callback holds m
	pthread_mutex_unlock(&m->mtx);
	if (m->nf == 0) {
		fn(NULL, 0, &(mgr_value) { .kind = MGR_LIST }, arg);
		return 0;
	}
	for (size_t k = 0; k < m->nf; k++) {
		int rv = mgr_future_on_done(m->fs[k], chunk_done, m);
		if (rv != 0) {
			// Out of memory: the chunks not hooked never call.
			pthread_mutex_lock(&m->mtx);
			m->refs -= (int) (m->nf - k);
			m->fired = true;
			pthread_mutex_unlock(&m->mtx);
			return rv;
		}
	}
	return 0;
}

int
mgr_map_free(mgr_map *m)
{
	if (m != NULL) {
		map_unref(m); // chunk callbacks still to run keep it
	}
	return 0;
}

int
mgr_pool_map(mgr_pool *p, const char *task, mgr_value list, size_t chunksize,
    int64_t timeout, mgr_value *results)
{
	ARG_NONNULL(results);
	mgr_map *m;
	int      rv = mgr_pool_map_start(p, task, list, chunksize, true, &m);
	if (rv != 0) {
		return rv;
	}
	// Moved from the futures (the map's alone) into the list: no copy.
	rv = map_collect(m, timeout, true, results);
	char detail[DETAIL_MAX];
	snprintf(detail, sizeof(detail), "%s", mgr_errdetail());
	mgr_map_free(m);
	client_set_detail("%s", rv != 0 ? detail : "");
	return rv;
}
