/* The client's session, from mgr_connect to mgr_disconnect: the first
 * connection, the keep-alive thread, and reconnecting.
 *
 * The thread (one per client, while it lives) keeps the lease: when
 * nothing went out or came in for a third of the lease it sends a ping,
 * which the manager answers even while the session's calls are parked.
 * A ping unanswered until the lease has passed since the manager was
 * last heard means a hung manager or a dead link: the connection is
 * given up, so no call hangs for longer than the lease.
 *
 * A lost connection, with mgr_opts.reconnect, is dialled again with
 * backoff and jitter; the new one resumes the session (its id, and an
 * HMAC of the new connection's nonce under the session's resume secret),
 * and the requests still waiting for their replies are sent again with
 * their numbers: the manager answers those it applied from its record
 * (replay.h on its side), so each is applied once. A session the manager
 * ended (its lease ran out: its notice, or a resume refused) is told to
 * the calls in flight once (MGR_ESESSION), and the client goes on in a
 * new session.
 *
 * Above the connection (client.c) and the dial (connect.c): they never
 * call up here; a lost connection only wakes the thread (ka_cv). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "client_int.h"
#include "clock.h"

#define BACKOFF_FIRST_MS 20
#define BACKOFF_MAX_MS   1000

/* Waits on the keep-alive condition until at (ms, monotonic), a stop or
 * a signal. c->mtx held. */
static void
ka_wait_until(mgr_client *c, int64_t at)
{
	int64_t left = at - clock_ms();
	if (left > 0) {
		struct timespec ts = clock_after_ms(left);
		pthread_cond_timedwait(&c->ka_cv, &c->mtx, &ts);
	}
}

/* The next delay (ms) before a redial, with jitter; *backoff (0 at
 * first) doubles up to a second. */
static int64_t
client_backoff(int64_t *backoff)
{
	// A random delay in [b/2, b): clients dropped together don't all
	// come back at the same instant.
	int64_t  b = *backoff > 0 ? *backoff : BACKOFF_FIRST_MS;
	uint32_t r = 0;
	(void) auth_random((uint8_t *) &r, sizeof(r));
	*backoff = b * 2 < BACKOFF_MAX_MS ? b * 2 : BACKOFF_MAX_MS;
	return b / 2 + (b > 1 ? (int64_t) (r % (uint32_t) (b / 2)) : 0);
}

/* Reconnects c, lost: dials until a new connection resumes its session
 * (or starts a new one, when it is gone) or the reconnect window passes,
 * then sends the requests still waiting. c->mtx held (dropped while
 * dialling). */
static void
reconnect_locked(mgr_client *c)
{
	// Whoever still reads or writes the old stream leaves it; nobody
	// starts again while the state is not C_READY.
	if (c->t != NULL) {
		c->t->ops->shutdown(c->t);
	}
	while (c->reading || c->busy > 0) {
		pthread_cond_wait(&c->idle_cv, &c->mtx);
	}
	// Without mgr_opts.reconnect only a new session is dialled (the
	// old one ended), within the connect timeout.
	int64_t window
	    = c->reconnect_ms > 0 ? c->reconnect_ms : c->connect_ms;
	int64_t deadline = c->lost_ms + window;
	int64_t backoff  = 0;
	if (client_url_count(c) > 1 && client_next_url(c) != 0) {
		client_kill_locked(c, MGR_ENOMEM);
		return;
	}
	for (;;) {
		if (c->ka_stop || c->closing) {
			return;
		}
		bool    resume = !c->fresh;
		int64_t left   = deadline - clock_ms();
		int64_t tmo    = left < c->connect_ms ? left : c->connect_ms;
		pthread_mutex_unlock(&c->mtx);
		int rv = tmo > 0 ? client_dial(c, resume, tmo) : MGR_ECONN;
		pthread_mutex_lock(&c->mtx);
		if (rv == 0) {
			break;
		}
		if (c->closing || c->ka_stop) {
			return;
		}
		if (rv == MGR_EAUTH || clock_ms() >= deadline) {
			// A refused key won't be accepted on the next try.
			client_kill_locked(
			    c, rv == MGR_EAUTH ? rv : MGR_ECONN);
			return;
		}
		int64_t until = clock_ms() + client_backoff(&backoff);
		ka_wait_until(c, until < deadline ? until : deadline);
	}
	if (!c->resumed && !c->fresh) {
		// The manager ended the session meanwhile (its lease ran
		// out): the calls waiting are told, not sent again.
		client_session_gone_locked(c);
	}
	c->fresh = false;
	client_resume_sending_locked(c);
}

/* Gives the connection up when the manager was not heard from for the
 * lease (half of it for a cluster's member: another can serve, and the
 * new leader keeps the session for a lease from half a lease after its
 * election, which the client must not miss), pinging when it was silent
 * for a third of that. */
static void *
ka_main(void *arg)
{
	mgr_client *c          = arg;
	uint64_t    seen_reads = 0, seen_sends = 0;
	int64_t     heard = clock_ms(), sent = heard;
	pthread_mutex_lock(&c->mtx);
	while (!c->ka_stop) {
		if (c->state == C_RECONNECTING) {
			reconnect_locked(c);
			heard = sent = clock_ms();
			continue;
		}
		int64_t lease  = c->lease_ms;
		int64_t silent = client_url_count(c) > 1 ? lease / 2 : lease;
		int64_t period = silent / 3;
		if (c->state == C_DEAD || lease <= 0) {
			pthread_cond_wait(&c->ka_cv, &c->mtx);
			continue;
		}
		int64_t now = clock_ms();
		if (c->replies_read != seen_reads) {
			seen_reads = c->replies_read;
			heard      = now;
		}
		if (c->sends != seen_sends) {
			seen_sends = c->sends;
			sent       = now;
		}
		if (now - sent < period && now - heard < period) {
			ka_wait_until(
			    c, (sent < heard ? sent : heard) + period);
			continue;
		}
		// The ping's answer is due by a lease after the manager was
		// last heard; after this process was itself stopped, a third
		// of one from now (the manager's notice may be waiting).
		int64_t due = heard + silent > now + period ? heard + silent
		                                            : now + period;
		pthread_mutex_unlock(&c->mtx);
		int rv = client_heartbeat(c, due);
		pthread_mutex_lock(&c->mtx);
		if (rv == MGR_ETIMEDOUT && c->state == C_READY
		    && !c->ka_stop) {
			// Nothing heard for the lease (or half): a hung
			// manager or a dead link. Calls fail (MGR_ECONN) or
			// wait for a reconnect.
			client_lost_locked(c, MGR_ECONN);
			c->t->ops->shutdown(c->t);
		}
		sent
		    = clock_ms(); // the ping went out (or the stream is gone)
	}
	pthread_mutex_unlock(&c->mtx);
	return NULL;
}

static int
keepalive_start(mgr_client *c)
{
	pthread_cond_destroy(&c->ka_cv);
	clock_cond_init(&c->ka_cv);
	if (pthread_create(&c->ka, NULL, ka_main, c) != 0) {
		return MGR_ENOMEM;
	}
	pthread_setname_np(c->ka, "mgr:keepalive");
	c->ka_running = true;
	return 0;
}

static void
keepalive_stop(mgr_client *c)
{
	pthread_mutex_lock(&c->mtx);
	c->ka_stop = true;
	pthread_cond_broadcast(&c->ka_cv);
	pthread_mutex_unlock(&c->mtx);
	if (c->ka_running) {
		pthread_join(c->ka, NULL);
		c->ka_running = false;
	}
}

/* ---- the client's life: connect, disconnect ------------------------------
 */

int
mgr_connect(mgr_client **client, const char *url, const mgr_opts *opts)
{
	const void *key    = opts ? opts->authkey : NULL;
	size_t      keylen = opts ? opts->authkey_len : 0;

	client_init_once();
	client_set_detail(NULL);
	ARG_NONNULL(client);
	ARG_NONNULL(url);
	ARG_CHECK(
	    opts == NULL || opts->lease >= 0, opts->lease, "is negative");
	ARG_CHECK(opts == NULL || opts->reconnect >= 0, opts->reconnect,
	    "is negative");
	// TLS asked for in opts and a URL without it: refused, never a
	// plaintext connection instead.
	if (opts != NULL
	    && (opts->tls_ca_file || opts->tls_cert_file || opts->tls_key_file
	        || opts->tls_server_name)
	    && !ctransport_url_is_tls(url)) {
		client_set_detail("TLS options given for %s: TLS needs a "
		                  "tls+tcp:// or wss:// URL",
		    url);
		return MGR_EINVAL;
	}
	if (key == NULL) {
		key    = getenv("MGR_AUTHKEY");
		keylen = key ? strlen(key) : 0;
	}
	if (key == NULL || keylen == 0) {
		client_set_detail(
		    "no authkey (give opts.authkey or MGR_AUTHKEY)");
		return MGR_EINVAL;
	}
	mgr_client *c = client_new(url, key, keylen, opts);
	if (c == NULL) {
		return MGR_ENOMEM;
	}
	// With reconnect, a connection lost in the handshake is dialled
	// again too, within the connect timeout.
	int64_t deadline = clock_ms() + c->connect_ms, backoff = 0;
	int     rv;
	// So is one to a cluster electing its leader.
	while (
	    (rv = client_dial(c, false, deadline - clock_ms())) == MGR_ECONN
	    && (c->reconnect_ms > 0 || strchr(c->urls, ',') != NULL)) {
		int64_t wait = client_backoff(&backoff);
		if (clock_ms() + wait >= deadline) {
			break;
		}
		struct timespec ts = { .tv_sec = wait / 1000,
			.tv_nsec               = (wait % 1000) * 1000000 };
		nanosleep(&ts, NULL);
	}
	if (rv == 0 && (rv = keepalive_start(c)) != 0) {
		client_set_detail("cannot start the keep-alive thread");
	}
	if (rv != 0) {
		client_destroy(c);
		return rv;
	}
	*client = c;
	return 0;
}

int
mgr_connect_env(mgr_client **client)
{
	const char *url = getenv("MGR_URL");
	if (url == NULL || url[0] == '\0') {
		client_set_detail("MGR_URL is not set");
		return MGR_EINVAL;
	}
	return mgr_connect(client, url, NULL);
}

int
mgr_disconnect(mgr_client *c)
{
	if (c == NULL) {
		return 0;
	}
	// Say goodbye first: the manager drops this session's references,
	// locks and waiters before it answers, so once this returns, other
	// clients see them gone. A dead manager answers MGR_ECONN at once.
	if (client_usable(c)) {
		(void) client_call_noargs(c, MGR__OP__OP_BYE, 0, 0, NULL);
	}
	// Threads still inside a call get MGR_ECLOSED; the keep-alive thread
	// stops (a reconnect under way gives up); wait until all of them
	// are out of the stream.
	pthread_mutex_lock(&c->mtx);
	c->user_gone = true;
	c->closing   = true;
	if (c->t != NULL) {
		c->t->ops->shutdown(c->t); // the one c->t: swapped under mtx
	}
	client_kill_locked(c, MGR_ECLOSED);
	pthread_mutex_unlock(&c->mtx);
	keepalive_stop(c);
	pthread_mutex_lock(&c->mtx);
	while (c->reading || c->busy > 0) {
		pthread_cond_wait(&c->idle_cv, &c->mtx);
	}
	pthread_mutex_unlock(&c->mtx);
	client_unhold(c);
	return 0;
}

int
mgr_client_session(mgr_client *c, uint64_t *session)
{
	client_set_detail(NULL);
	ARG_NONNULL(c);
	ARG_NONNULL(session);
	pthread_mutex_lock(&c->mtx);
	*session = c->session;
	pthread_mutex_unlock(&c->mtx);
	return 0;
}
