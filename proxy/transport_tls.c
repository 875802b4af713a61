/* TLS by mbedTLS on the direct engine's socket (tls+tcp://, and under
 * WebSocket wss://).
 *
 * Not nng's TLS client: with the manager killed, its pending receive never
 * completed (see docs/architecture.md). Here the socket is ours, so a
 * dead manager's FIN or RST ends a blocked read at once, and a reply is
 * awaited as on a plain socket (spin, then poll).
 *
 * The socket is non-blocking under TLS: a read and a write may run at once
 * on different threads, but mbedTLS's context is not thread-safe, so each
 * record operation runs under a mutex and returns at once (WANT_READ or
 * WANT_WRITE); the waiting (poll) happens outside it. */
#include <errno.h>
#include <fcntl.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "mgr.h"
#include "tls.h"
#include "transport.h"

/* Debian's bundle of the system's CAs (package ca-certificates). */
#define SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt"

typedef struct tls_transport {
	ctransport               base;
	int                      fd;
	tls_bio                  bio;
	pthread_mutex_t          mtx; /* the ssl context */
	mbedtls_ssl_context      ssl;
	mbedtls_ssl_config       conf;
	mbedtls_x509_crt         ca, cert;
	mbedtls_pk_context       key;
	mbedtls_entropy_context  entropy;
	mbedtls_ctr_drbg_context drbg;
} tls_transport;

struct ctls_resume {
	pthread_mutex_t     mtx;
	bool                have;
	mbedtls_ssl_session session;
};

ctls_resume *
ctls_resume_new(void)
{
	ctls_resume *r = calloc(1, sizeof(*r));
	if (r != NULL) {
		pthread_mutex_init(&r->mtx, NULL);
		mbedtls_ssl_session_init(&r->session);
	}
	return r;
}

void
ctls_resume_free(ctls_resume *r)
{
	if (r != NULL) {
		mbedtls_ssl_session_free(&r->session);
		pthread_mutex_destroy(&r->mtx);
		free(r);
	}
}

/* The session kept, offered to the manager (a failure only means a full
 * handshake). */
static void
resume_offer(ctls_resume *r, mbedtls_ssl_context *ssl)
{
	if (r == NULL) {
		return;
	}
	pthread_mutex_lock(&r->mtx);
	if (r->have) {
		(void) mbedtls_ssl_set_session(ssl, &r->session);
	}
	pthread_mutex_unlock(&r->mtx);
}

/* After a handshake: its session (and ticket) kept for the next dial. */
static void
resume_keep(ctls_resume *r, const mbedtls_ssl_context *ssl)
{
	if (r == NULL) {
		return;
	}
	mbedtls_ssl_session s;
	mbedtls_ssl_session_init(&s);
	if (mbedtls_ssl_get_session(ssl, &s) != 0) {
		mbedtls_ssl_session_free(&s);
		return;
	}
	pthread_mutex_lock(&r->mtx);
	mbedtls_ssl_session_free(&r->session);
	r->session = s; // moved: s is not freed
	r->have    = true;
	pthread_mutex_unlock(&r->mtx);
}

/* Waits until fd is ready for what rv (WANT_READ / WANT_WRITE) asks,
 * up to timeout_ms (< 0: no limit). false on a timeout. */
static bool
wait_ready(int fd, int rv, int64_t timeout_ms)
{
	struct pollfd pf = { .fd = fd,
		.events
		= rv == MBEDTLS_ERR_SSL_WANT_WRITE ? POLLOUT : POLLIN };
	int           n;
	while ((n = poll(&pf, 1, timeout_ms < 0 ? -1 : (int) timeout_ms)) < 0
	    && errno == EINTR) { }
	return n != 0;
}

static int
tls_send_all(ctransport *t, const uint8_t *p, size_t n)
{
	tls_transport *s = (tls_transport *) t;
	while (n > 0) {
		pthread_mutex_lock(&s->mtx);
		int k = mbedtls_ssl_write(&s->ssl, p, n);
		pthread_mutex_unlock(&s->mtx);
		if (k > 0) {
			p += k;
			n -= (size_t) k;
		} else if (k == MBEDTLS_ERR_SSL_WANT_WRITE
		    || k == MBEDTLS_ERR_SSL_WANT_READ) {
			wait_ready(s->fd, k, -1); // a shutdown wakes it
		} else {
			return MGR_ECONN;
		}
	}
	return 0;
}

static int
tls_recv_some(ctransport *t, uint8_t *buf, size_t cap, size_t *got,
    int64_t timeout_ms, spinner *spin)
{
	tls_transport *s = (tls_transport *) t;
	int64_t deadline = timeout_ms >= 0 ? clock_ms() + timeout_ms : -1;
	bool    spinning = timeout_ms < 0 && spin != NULL && spin_begin(spin);
	for (;;) {
		pthread_mutex_lock(&s->mtx);
		int k = mbedtls_ssl_read(&s->ssl, buf, cap);
		pthread_mutex_unlock(&s->mtx);
		if (k > 0) {
			if (spinning) {
				spin_end(spin, true);
			}
			*got = (size_t) k;
			return 0;
		}
		if (k != MBEDTLS_ERR_SSL_WANT_READ
		    && k != MBEDTLS_ERR_SSL_WANT_WRITE) {
			if (spinning) {
				spin_end(spin, false);
			}
			return MGR_ECONN; // closed, close_notify, or broken
		}
		if (spinning) {
			if (!spin_over(spin)) {
				continue;
			}
			spin_end(spin, false);
			spinning = false;
		}
		int64_t left = -1;
		if (deadline >= 0 && (left = deadline - clock_ms()) < 0) {
			left = 0;
		}
		if (!wait_ready(s->fd, k, left)) {
			return MGR_ETIMEDOUT;
		}
	}
}

static void
tls_shutdown(ctransport *t)
{
	shutdown(((tls_transport *) t)->fd, SHUT_RDWR);
}

static void
tls_free(ctransport *t)
{
	tls_transport *s = (tls_transport *) t;
	mbedtls_ssl_free(&s->ssl);
	mbedtls_ssl_config_free(&s->conf);
	mbedtls_x509_crt_free(&s->ca);
	mbedtls_x509_crt_free(&s->cert);
	mbedtls_pk_free(&s->key);
	mbedtls_ctr_drbg_free(&s->drbg);
	mbedtls_entropy_free(&s->entropy);
	tls_bio_free(&s->bio);
	pthread_mutex_destroy(&s->mtx);
	if (s->fd >= 0) {
		close(s->fd);
	}
	free(s);
}

static const ctransport_ops tls_ops = {
	.send_all  = tls_send_all,
	.recv_some = tls_recv_some,
	.shutdown  = tls_shutdown,
	.free      = tls_free,
};

/* The credentials of o into s. MGR_EINVAL with why. */
static int
load_credentials(
    tls_transport *s, const ctls_opts *o, char *why, size_t whycap)
{
	const char *ca
	    = o != NULL && o->ca_file != NULL ? o->ca_file : SYSTEM_CA_FILE;
	if ((o == NULL || o->ca_file == NULL) && access(ca, R_OK) != 0) {
		snprintf(why, whycap,
		    "TLS: no CA to check the manager's certificate against: "
		    "give tls_ca_file (or MGR_TLS_CA_FILE); the system's "
		    "bundle %s is missing",
		    ca);
		return MGR_EINVAL;
	}
	int rv = tls_conf_ca(&s->conf, &s->ca, ca, why, whycap);
	if (rv != 0) {
		return rv;
	}
	const char *cert = o != NULL ? o->cert_file : NULL;
	const char *key  = o != NULL ? o->key_file : NULL;
	if ((cert == NULL) != (key == NULL)) {
		snprintf(why, whycap,
		    "a client certificate needs both tls_cert_file and "
		    "tls_key_file");
		return MGR_EINVAL;
	}
	if (cert != NULL) {
		return tls_conf_own(
		    &s->conf, &s->cert, &s->key, cert, key, why, whycap);
	}
	return 0;
}

/* Why the handshake failed, as an error code and a detail naming the
 * TLS reason. */
static int
handshake_error(
    tls_transport *s, int rv, const char *host, char *why, size_t whycap)
{
	uint32_t flags = mbedtls_ssl_get_verify_result(&s->ssl);
	if (rv == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
		char info[300];
		mbedtls_x509_crt_verify_info(info, sizeof(info), "", flags);
		info[strcspn(info, "\n")] = '\0';
		snprintf(why, whycap,
		    "TLS: the manager's certificate is not trusted for "
		    "'%s': %s%s",
		    host, info,
		    (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH)
		        ? " (names are matched against the certificate's "
		          "DNS names only: dial a name it carries, or set "
		          "MGR_TLS_SERVER_NAME or mgr_opts.tls_server_name "
		          "to "
		          "one; mgr-certs makes a certificate naming the "
		          "host)"
		        : "");
		return MGR_EAUTH;
	}
	// Past our check of its certificate, an alert is the manager
	// refusing ours; a bare close may be that too, or a link that
	// dropped (MGR_ECONN: a reconnecting client dials again).
	bool reset = rv == MBEDTLS_ERR_NET_CONN_RESET
	    || rv == MBEDTLS_ERR_SSL_CONN_EOF
	    || rv == MBEDTLS_ERR_NET_RECV_FAILED
	    || rv == MBEDTLS_ERR_NET_SEND_FAILED;
	// An alert waiting unread (our flight's send failed first) is a
	// refusal too: its record's type is 21.
	uint8_t first = 0;
	bool    alert = reset
	    && recv(s->fd, &first, 1, MSG_PEEK | MSG_DONTWAIT) == 1
	    && first == MBEDTLS_SSL_MSG_ALERT;
	if (reset && !alert
	    && s->ssl.state > MBEDTLS_SSL_SERVER_CERTIFICATE) {
		tls_say(why, whycap,
		    "TLS: the connection closed in the handshake (a refused "
		    "client certificate, or a dropped link)",
		    rv);
		return MGR_ECONN;
	}
	if (rv == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE
	    || s->ssl.state > MBEDTLS_SSL_SERVER_CERTIFICATE) {
		snprintf(why, whycap,
		    "TLS: the manager refused the handshake (does it "
		    "require a client certificate it trusts? set "
		    "tls_cert_file and tls_key_file)");
		return MGR_EAUTH;
	}
	tls_say(why, whycap,
	    "TLS handshake failed (is it a tls+tcp:// or wss:// listener?)",
	    rv);
	return MGR_ECONN;
}

int
ctransport_tls_new(ctransport **tp, int fd, const char *host,
    const ctls_opts *o, int64_t deadline_ms, char *why, size_t whycap)
{
	tls_transport *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		close(fd);
		return MGR_ENOMEM;
	}
	s->base.ops = &tls_ops;
	s->fd       = fd;
	pthread_mutex_init(&s->mtx, NULL);
	mbedtls_ssl_init(&s->ssl);
	mbedtls_ssl_config_init(&s->conf);
	mbedtls_x509_crt_init(&s->ca);
	mbedtls_x509_crt_init(&s->cert);
	mbedtls_pk_init(&s->key);
	mbedtls_entropy_init(&s->entropy);
	mbedtls_ctr_drbg_init(&s->drbg);

	int rv;
	if ((rv = mbedtls_ctr_drbg_seed(&s->drbg, mbedtls_entropy_func,
	         &s->entropy, (const unsigned char *) "libmgr", 6))
	    != 0) {
		tls_say(why, whycap, "TLS setup", rv);
		tls_free(&s->base);
		return MGR_ENOMEM;
	}
	if ((rv = tls_conf_defaults(
	         &s->conf, MBEDTLS_SSL_IS_CLIENT, &s->drbg, why, whycap))
	    != 0) {
		tls_free(&s->base);
		return rv;
	}
	// The manager's certificate is always verified.
	mbedtls_ssl_conf_authmode(&s->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_rng(&s->conf, mbedtls_ctr_drbg_random, &s->drbg);
	mbedtls_ssl_conf_min_version(&s->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	    MBEDTLS_SSL_MINOR_VERSION_3); // TLS 1.2, as nng's server
	if ((rv = load_credentials(s, o, why, whycap)) != 0) {
		tls_free(&s->base);
		return rv;
	}
	const char *name
	    = o != NULL && o->server_name != NULL ? o->server_name : host;
	if ((rv = mbedtls_ssl_setup(&s->ssl, &s->conf)) != 0
	    || (rv = mbedtls_ssl_set_hostname(&s->ssl, name)) != 0) {
		tls_say(why, whycap, "TLS setup", rv);
		tls_free(&s->base);
		return MGR_ENOMEM;
	}
	s->bio.fd = fd;
	mbedtls_ssl_set_bio(
	    &s->ssl, &s->bio, tls_bio_send, tls_bio_recv, NULL);
	resume_offer(o != NULL ? o->resume : NULL, &s->ssl);
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);

	while ((rv = mbedtls_ssl_handshake(&s->ssl)) != 0) {
		if (rv != MBEDTLS_ERR_SSL_WANT_READ
		    && rv != MBEDTLS_ERR_SSL_WANT_WRITE) {
			rv = handshake_error(s, rv, name, why, whycap);
			tls_free(&s->base);
			return rv;
		}
		int64_t left = deadline_ms - clock_ms();
		if (left <= 0 || !wait_ready(fd, rv, left)) {
			snprintf(why, whycap,
			    "TLS handshake with '%s' timed out (is it a "
			    "tls+tcp:// or wss:// listener?)",
			    name);
			tls_free(&s->base);
			return MGR_ECONN;
		}
	}
	resume_keep(o != NULL ? o->resume : NULL, &s->ssl);
	*tp = &s->base;
	return 0;
}
