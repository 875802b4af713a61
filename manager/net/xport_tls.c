/* TLS by mbedTLS on a socket served by an epoll loop (tls+tcp://): the
 * loop that reads a record decrypts it, serves the request and encrypts
 * the reply, with no hand-off to another thread (nng's TLS runs every
 * record through its task threads: bench/RESULTS.md).
 *
 * The handshake runs in the first reads. Until it is done, writes wait
 * (XPORT_AGAIN); when it is done, or when it must write and the socket is
 * full, the transport asks for writability itself, and tells the
 * connection XPORT_WR (handshake done: queued replies may go) or XPORT_RD
 * (the handshake goes on). mbedTLS's context is not thread-safe and a
 * reply may be written by another thread while the loop reads: every use
 * of it is under the transport's mutex, which also guards the events
 * asked for (the connection's mutex, when held, comes first). */
#include <errno.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "mgr.h"
#include "tls.h"
#include "xport_fd.h"

typedef struct tls_xport {
	fd_xport            fd; /* first */
	pthread_mutex_t     mtx;
	mbedtls_ssl_context ssl;
	tls_bio             bio;
	bool                hs_done;
	bool                own_out; /* the handshake wants writability */
	bool                conn_rd, conn_wr; /* what the connection asked */
	size_t              wlen; /* a write's length after WANT_WRITE */
} tls_xport;

/* The events asked for: the connection's, and the handshake's. The
 * connection's writes wait for the handshake's end (the Hello is queued
 * before it): asking for writability meanwhile would wake the loop at
 * every turn while a client takes its time, a core spent on one
 * half-open connection. mtx held. */
static void
want_locked(tls_xport *s)
{
	fd_xport_want(
	    &s->fd, s->conn_rd, (s->conn_wr && s->hs_done) || s->own_out);
}

static void
tls_events(loop_watch *w, uint32_t events)
{
	tls_xport *s = (tls_xport *) ((char *) w - offsetof(fd_xport, watch));
	unsigned   what = fd_xport_what(events);
	if (events != LOOP_KICK && (events & EPOLLOUT)) {
		pthread_mutex_lock(&s->mtx);
		if (s->own_out) {
			s->own_out = false;
			// The handshake may go on, or is done and what was
			// queued meanwhile may go.
			what |= s->hs_done ? XPORT_WR : XPORT_RD;
			want_locked(s);
		}
		pthread_mutex_unlock(&s->mtx);
	}
	xport_ready(&s->fd.base, what); // last: may free s
}

/* Drives the handshake: 0 when done, else what read returns. mtx held. */
static ssize_t
handshake_locked(tls_xport *s)
{
	int rv = mbedtls_ssl_handshake(&s->ssl);
	if (rv == 0) {
		s->hs_done = true;
		s->own_out = true; // replies queued meanwhile (the Hello)
		want_locked(s);
		return 0;
	}
	if (rv == MBEDTLS_ERR_SSL_WANT_READ) {
		return XPORT_AGAIN;
	}
	if (rv == MBEDTLS_ERR_SSL_WANT_WRITE) {
		s->own_out = true;
		want_locked(s);
		return XPORT_AGAIN;
	}
	if (rv != MBEDTLS_ERR_SSL_CONN_EOF
	    && rv != MBEDTLS_ERR_NET_RECV_FAILED) {
		char why[200];
		tls_say(why, sizeof(why), "TLS handshake failed", rv);
		log_msg(LOG_INFO, "a tls+tcp connection: %s", why);
		// The client is told (mbedTLS sends no alert for a missing
		// client certificate), and the rest of its flight is read
		// and dropped: a close with unread bytes resets the
		// connection, and the reset would overtake the alert.
		(void) mbedtls_ssl_send_alert_message(&s->ssl,
		    MBEDTLS_SSL_ALERT_LEVEL_FATAL,
		    MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE);
		uint8_t junk[4096];
		while (recv(s->fd.fd, junk, sizeof(junk), MSG_DONTWAIT) > 0) {
		}
	}
	return XPORT_CLOSED;
}

static ssize_t
tls_read(xport *t, uint8_t *buf, size_t cap)
{
	tls_xport *s = (tls_xport *) t;
	pthread_mutex_lock(&s->mtx);
	ssize_t k = s->hs_done ? 0 : handshake_locked(s);
	if (k == 0) {
		int rv = mbedtls_ssl_read(&s->ssl, buf, cap);
		k      = rv > 0                             ? rv
		         : rv == MBEDTLS_ERR_SSL_WANT_READ  ? XPORT_AGAIN
		         : rv == MBEDTLS_ERR_SSL_WANT_WRITE ? XPORT_AGAIN
		                                            : XPORT_CLOSED;
	}
	pthread_mutex_unlock(&s->mtx);
	return k;
}

static bool
tls_more(xport *t)
{
	tls_xport *s = (tls_xport *) t;
	pthread_mutex_lock(&s->mtx);
	bool more = tls_pending(&s->bio, &s->ssl);
	pthread_mutex_unlock(&s->mtx);
	return more;
}

static ssize_t
tls_write(xport *t, const uint8_t *buf, size_t n)
{
	tls_xport *s = (tls_xport *) t;
	pthread_mutex_lock(&s->mtx);
	if (!s->hs_done) {
		pthread_mutex_unlock(&s->mtx);
		return XPORT_AGAIN; // XPORT_WR once it is done
	}
	// After WANT_WRITE mbedTLS wants the same length again (it has
	// encrypted that much already and only sends the rest).
	size_t  len = s->wlen ? s->wlen : n;
	int     rv  = mbedtls_ssl_write(&s->ssl, buf, len);
	ssize_t k;
	if (rv > 0) {
		s->wlen = 0;
		k       = rv;
	} else if (rv == MBEDTLS_ERR_SSL_WANT_WRITE
	    || rv == MBEDTLS_ERR_SSL_WANT_READ) {
		s->wlen = len;
		k       = XPORT_AGAIN;
	} else {
		k = XPORT_CLOSED;
	}
	pthread_mutex_unlock(&s->mtx);
	return k;
}

static void
tls_interest(xport *t, bool rd, bool wr)
{
	tls_xport *s = (tls_xport *) t;
	pthread_mutex_lock(&s->mtx);
	s->conn_rd = rd;
	s->conn_wr = wr;
	want_locked(s);
	pthread_mutex_unlock(&s->mtx);
}

static void
tls_free(xport *t)
{
	tls_xport *s = (tls_xport *) t;
	mbedtls_ssl_free(&s->ssl);
	tls_bio_free(&s->bio);
	pthread_mutex_destroy(&s->mtx);
	close(s->fd.fd);
	free(s);
}

static const xport_ops tls_ops = {
	.read      = tls_read,
	.more      = tls_more,
	.write     = tls_write,
	.interest  = tls_interest,
	.kick      = fd_xport_kick,
	.peer_gone = fd_xport_peer_gone,
	.shutdown  = fd_xport_shutdown,
	.detach    = fd_xport_detach,
	.free      = tls_free,
	.scheme    = "tls+tcp",
};

int
xport_tls_new(
    xport **tp, evloop *l, int fd, const struct mbedtls_ssl_config *cfg)
{
	tls_xport *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		close(fd);
		return MGR_ENOMEM;
	}
	fd_xport_init(&s->fd, &tls_ops, l, fd, tls_events);
	pthread_mutex_init(&s->mtx, NULL);
	mbedtls_ssl_init(&s->ssl);
	s->bio.fd = fd;
	if (mbedtls_ssl_setup(&s->ssl, cfg) != 0) {
		tls_free(&s->fd.base);
		return MGR_ENOMEM;
	}
	mbedtls_ssl_set_bio(
	    &s->ssl, &s->bio, tls_bio_send, tls_bio_recv, NULL);
	*tp = &s->fd.base;
	return 0;
}
