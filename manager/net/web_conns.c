/* The connections of an HTTP port (--http, --metrics): each with a
 * deadline for its next request (xport_web.c re-arms it after each
 * answer), counted, and when the port holds its most, the oldest of the
 * network that holds the most is closed to make room: a flood from one
 * network cycles through its own connections, and a dashboard elsewhere
 * keeps its own. */
#include "web_conns.h"

#include <pthread.h>
#include <stdlib.h>

#include "log.h"
#include "mgr.h"
#include "peer.h"

typedef struct web_conn {
	web_conns       *wc;
	fconn           *c;
	uint64_t         net;
	bool             closing; /* closed to make room: counts no more */
	struct web_conn *prev, *next;
} web_conn;

struct web_conns {
	pthread_mutex_t mtx;
	pthread_cond_t  cv;
	const size_t   *max, *timeout_ms; /* the server's limits */
	size_t          n;                /* listed (closing ones too) */
	size_t          counted;          /* of them not closing */
	web_conn       *oldest, *newest;
	unsigned long   evicted;
};

int
web_conns_new(web_conns **out, const size_t *max, const size_t *timeout_ms)
{
	web_conns *wc = calloc(1, sizeof(*wc));
	if (wc == NULL) {
		return MGR_ENOMEM;
	}
	pthread_mutex_init(&wc->mtx, NULL);
	pthread_cond_init(&wc->cv, NULL);
	wc->max        = max;
	wc->timeout_ms = timeout_ms;
	*out           = wc;
	return 0;
}

/* The transport gives an HTTP connection no frames: its requests are
 * answered below the connection layer. */
static int
no_frames(void *arg, const uint8_t *data, size_t len)
{
	(void) arg;
	(void) data;
	(void) len;
	return MGR_EPROTO;
}

static void
unlist_locked(web_conns *wc, web_conn *e)
{
	if (e->prev != NULL) {
		e->prev->next = e->next;
	} else {
		wc->oldest = e->next;
	}
	if (e->next != NULL) {
		e->next->prev = e->prev;
	} else {
		wc->newest = e->prev;
	}
	wc->n--;
	if (!e->closing) {
		wc->counted--;
	}
}

static void
ended(void *arg, int err)
{
	(void) err;
	web_conn  *e  = arg;
	web_conns *wc = e->wc;
	pthread_mutex_lock(&wc->mtx);
	unlist_locked(wc, e);
	pthread_cond_broadcast(&wc->cv);
	pthread_mutex_unlock(&wc->mtx);
	fconn_free_later(e->c);
	free(e);
}

/* The network with the most connections counted (the newcomer's on a
 * tie: its own go first). wc->mtx held. */
static uint64_t
busiest_locked(web_conns *wc, uint64_t mine)
{
	net_tally t;
	net_tally_init(&t, mine);
	for (web_conn *x = wc->oldest; x != NULL; x = x->next) {
		if (!x->closing) {
			net_tally_add(&t, x->net);
		}
	}
	return t.best;
}

void
web_conns_add(web_conns *wc, fconn *c, const char *peer)
{
	web_conn *e = calloc(1, sizeof(*e));
	if (e == NULL) {
		log_refused(LOG_WARN, "connections dropped", peer,
		    "connection from %s dropped: out of memory", peer);
		fconn_free(c);
		return;
	}
	e->wc  = wc;
	e->c   = c;
	e->net = peer_network_hash(peer);
	fconn_bind(c, no_frames, ended, e);
	fconn_set_rx_timeout(
	    c, (int) __atomic_load_n(wc->timeout_ms, __ATOMIC_RELAXED));
	size_t max = __atomic_load_n(wc->max, __ATOMIC_RELAXED);
	pthread_mutex_lock(&wc->mtx);
	if (wc->counted >= max) {
		uint64_t  net    = busiest_locked(wc, e->net);
		web_conn *victim = wc->oldest;
		while (victim != NULL
		    && (victim->closing || victim->net != net)) {
			victim = victim->next;
		}
		if (victim != NULL) {
			victim->closing = true;
			wc->counted--;
			wc->evicted++;
			// Its end (ended) comes on its loop, after this.
			fconn_close(victim->c);
			log_refused(LOG_WARN,
			    "HTTP connections closed to make room", peer,
			    "an HTTP connection closed to make room for one "
			    "from %s (the port holds %zu; the oldest of the "
			    "network holding the most goes)",
			    peer, max);
		}
	}
	e->prev = wc->newest;
	if (wc->newest != NULL) {
		wc->newest->next = e;
	} else {
		wc->oldest = e;
	}
	wc->newest = e;
	wc->n++;
	wc->counted++;
	pthread_mutex_unlock(&wc->mtx);
	fconn_start(c); // may end c at once: e is listed first
}

void
web_conns_free(web_conns *wc)
{
	if (wc == NULL) {
		return;
	}
	pthread_mutex_lock(&wc->mtx);
	for (web_conn *x = wc->oldest; x != NULL; x = x->next) {
		fconn_close(x->c);
	}
	while (wc->n > 0) {
		pthread_cond_wait(&wc->cv, &wc->mtx);
	}
	pthread_mutex_unlock(&wc->mtx);
	pthread_cond_destroy(&wc->cv);
	pthread_mutex_destroy(&wc->mtx);
	free(wc);
}
