/* Connecting: a new client, the dial, then the client's side of the
 * handshake (answer the manager's nonce, check its answer to ours; ask
 * for the lease, prove a resume), within a timeout; the connection
 * itself is client.c's, mgr_connect session.c's. */
#include <errno.h> /* program_invocation_short_name */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "client_int.h"
#include "clock.h"
#include "wire.h"

static const uint8_t *
handshake_frame(mgr_client *c, uint64_t deadline, size_t *len, int *err)
{
	for (;;) {
		const uint8_t *f = client_next_frame(c, len, err);
		if (f != NULL || *err != 0) {
			return f;
		}
		uint64_t now = (uint64_t) clock_ms();
		if (now >= deadline) {
			*err = MGR_ECONN;
			return NULL;
		}
		if ((*err = client_read_more(c, (int64_t) (deadline - now)))
		    != 0) {
			*err = MGR_ECONN;
			return NULL;
		}
	}
}

/* Writes a handshake frame on c's transport (no call is sent meanwhile:
 * the client is new, or reconnecting). */
static int
send_frame(mgr_client *c, const uint8_t *buf, size_t n)
{
	return c->t->ops->send_all(c->t, buf, n) == 0 ? 0 : MGR_ECONN;
}

/* The mutual challenge (common/auth.h): answer the manager's nonce, check
 * its answer to ours; ask for c's lease, and to resume c's session
 * (proving its secret on this connection's nonce) when resume. */
static int
handshake(mgr_client *c, int64_t tmo, bool resume)
{
	uint64_t deadline = (uint64_t) clock_ms() + (uint64_t) tmo;
	uint8_t  digest[AUTH_DIGEST_LEN], expect[AUTH_DIGEST_LEN];
	uint8_t  nonce[AUTH_NONCE_LEN];
	size_t   len;
	int      err;

	const uint8_t *f = handshake_frame(c, deadline, &len, &err);
	if (f == NULL) {
		if (err == MGR_ECONN) {
			client_set_detail(
			    "no greeting from the manager at %s: it closed "
			    "the "
			    "connection or said nothing (a TLS or WebSocket "
			    "listener? dial it as tls+tcp://, ws:// or "
			    "wss://)",
			    c->url);
		} else if (err == MGR_ETOOBIG) {
			const char *mix = wire_mixed_up(c->rxbuf + c->rxoff);
			client_set_detail(
			    "%s answered with no greeting but %s", c->url,
			    mix != NULL ? mix
			                : "a frame over the size limit");
			err = MGR_EPROTO;
		}
		return err;
	}
	Mgr__Hello *h = mgr__hello__unpack(NULL, len, f);
	if (h == NULL) {
		client_set_detail("malformed Hello from the manager");
		return MGR_EPROTO;
	}
	if (h->status != 0) {
		// Refused before the handshake (too many connections).
		err = h->status > 0 && h->status < MGR_ENUMERRORS
		    ? h->status
		    : MGR_EPROTO;
		client_set_detail("the manager refused the connection: %s",
		    h->error[0] ? h->error : mgr_strerror(err));
		mgr__hello__free_unpacked(h, NULL);
		return err;
	}
	if (h->version != AUTH_VERSION || h->nonce.len != AUTH_NONCE_LEN) {
		client_set_detail("the manager speaks handshake version %u, "
		                  "this library %u",
		    (unsigned) h->version, (unsigned) AUTH_VERSION);
		mgr__hello__free_unpacked(h, NULL);
		return MGR_EPROTO;
	}
	uint8_t proof[AUTH_DIGEST_LEN];
	err = auth_digest(c->key, c->keylen, AUTH_CLIENT_LABEL, h->nonce.data,
	    h->nonce.len, digest);
	if (err == 0 && resume) {
		err = auth_digest(c->resume_secret, sizeof(c->resume_secret),
		    AUTH_RESUME_LABEL, h->nonce.data, h->nonce.len, proof);
	}
	mgr__hello__free_unpacked(h, NULL);
	if (err == 0) {
		err = auth_random(nonce, sizeof(nonce));
	}
	if (err != 0) {
		return err;
	}
	Mgr__Auth a = MGR__AUTH__INIT;
	char      name[96];
	a.version     = AUTH_VERSION;
	a.digest.data = digest;
	a.digest.len  = sizeof(digest);
	a.nonce.data  = nonce;
	a.nonce.len   = sizeof(nonce);
	snprintf(name, sizeof(name), "%s pid %ld", c->client_name,
	    (long) getpid());
	a.client    = name;
	a.lease_ms  = (uint64_t) c->lease_asked;
	a.reconnect = c->reconnect_ms > 0;
	if (resume) {
		a.resume            = c->session;
		a.resume_proof.data = proof;
		a.resume_proof.len  = sizeof(proof);
		a.received          = c->replies_read;
	}
	size_t   n   = mgr__auth__get_packed_size(&a);
	uint8_t *buf = malloc(n + 4);
	if (buf == NULL) {
		return MGR_ENOMEM;
	}
	wire_put_len(buf, (uint32_t) n);
	mgr__auth__pack(&a, buf + 4);
	err = send_frame(c, buf, n + 4);
	free(buf);
	if (err != 0) {
		return MGR_ECONN;
	}

	if ((f = handshake_frame(c, deadline, &len, &err)) == NULL) {
		return err;
	}
	Mgr__Welcome *w = mgr__welcome__unpack(NULL, len, f);
	if (w == NULL) {
		return MGR_EPROTO;
	}
	if (w->status != 0) {
		err = w->status == MGR_EAUTH ? MGR_EAUTH : MGR_EPROTO;
		client_set_detail("%s",
		    w->error[0] ? w->error
		                : "the manager refused the handshake");
	} else if (w->digest.len != AUTH_DIGEST_LEN
	    || auth_digest(c->key, c->keylen, AUTH_SERVER_LABEL, nonce,
	           sizeof(nonce), expect)
	        != 0
	    || !auth_equal(expect, w->digest.data, AUTH_DIGEST_LEN)) {
		// The server does not know our key: not the manager we want.
		err = MGR_EAUTH;
	} else {
		// Calls read these under the lock (others wait meanwhile).
		pthread_mutex_lock(&c->mtx);
		c->resumed = resume && w->resumed;
		c->session = w->session;
		c->max_message
		    = w->max_message ? w->max_message : c->rx_limit;
		c->lease_ms = (int64_t) w->lease_ms;
		if (w->resume_secret.len == sizeof(c->resume_secret)) {
			memcpy(c->resume_secret, w->resume_secret.data,
			    sizeof(c->resume_secret));
		}
		if (!c->resumed) {
			c->replies_read = 0; // a new session counts anew
		}
		pthread_mutex_unlock(&c->mtx);
	}
	mgr__welcome__free_unpacked(w, NULL);
	return err;
}

static const char *
opt_or_env(const char *opt, const char *env)
{
	const char *v = opt != NULL ? opt : getenv(env);
	return v != NULL && v[0] != '\0' ? v : NULL;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

int
client_dial(mgr_client *c, bool resume, int64_t timeout_ms)
{
	char        why[600] = "";
	ctransport *t;
	if (c->tls_resume == NULL && ctransport_url_is_tls(c->url)) {
		c->tls_resume = ctls_resume_new(); // NULL: full handshakes
	}
	ctls_opts tls = { .ca_file = c->tls_ca,
		.cert_file         = c->tls_cert,
		.key_file          = c->tls_key,
		.server_name       = c->tls_name,
		.resume            = c->tls_resume };
	int       rv
	    = ctransport_dial(&t, c->url, &tls, timeout_ms, why, sizeof(why));
	if (rv != 0) {
		client_set_detail("%s", why);
		return rv;
	}
	// Nobody uses the old transport any more (a new client, or one
	// reconnecting: no reader, no sender); mgr_disconnect shuts down
	// whichever c->t is there, under the lock.
	pthread_mutex_lock(&c->mtx);
	bool        closing = c->closing;
	ctransport *old     = closing ? t : c->t;
	if (!closing) {
		c->t = t;
	}
	pthread_mutex_unlock(&c->mtx);
	if (old != NULL) {
		old->ops->free(old);
	}
	if (closing) {
		return MGR_ECLOSED;
	}
	c->rxlen = c->rxoff = 0;
	client_set_detail(NULL);
	if ((rv = handshake(c, timeout_ms, resume)) != 0
	    && mgr_errdetail()[0] == '\0') { // the handshake said nothing
		client_set_detail(rv == MGR_EAUTH
		        ? "authentication failed: wrong authkey"
		        : "handshake with %s failed",
		    c->url);
	}
	return rv;
}

mgr_client *
client_new(
    const char *url, const void *key, size_t keylen, const mgr_opts *opts)
{
	mgr_client *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return NULL;
	}
	pthread_mutex_init(&c->mtx, NULL);
	pthread_mutex_init(&c->txmtx, NULL);
	pthread_cond_init(&c->idle_cv, NULL);
	pthread_cond_init(&c->ka_cv, NULL);
	c->refs        = 1;
	c->rx_limit    = opts && opts->max_message ? opts->max_message
	                                           : DEFAULT_MAX_MESSAGE;
	c->max_message = c->rx_limit;
	c->connect_ms  = opts && opts->connect_timeout > 0
	     ? opts->connect_timeout
	     : DEFAULT_CONNECT_MS;
	// As the TLS fields: what opts leaves 0 may come from the
	// environment (ms).
	const char *env_lease = opt_or_env(NULL, "MGR_LEASE");
	const char *env_recon = opt_or_env(NULL, "MGR_RECONNECT");
	c->lease_asked        = opts && opts->lease > 0        ? opts->lease
	           : env_lease != NULL && atoll(env_lease) > 0 ? atoll(env_lease)
	                                                       : DEFAULT_LEASE_MS;
	c->reconnect_ms       = opts && opts->reconnect > 0 ? opts->reconnect
	          : env_recon != NULL && atoll(env_recon) > 0 ? atoll(env_recon)
	                                                      : 0;
	c->key                = malloc(keylen);
	c->url                = strdup(url);
	c->rxbuf              = malloc(RX_MIN);
	c->rxcap              = RX_MIN;
	spin_init(&c->spin);
	// As the key: what opts leaves NULL may come from the environment.
	c->tls_ca = dup_or_null(
	    opt_or_env(opts ? opts->tls_ca_file : NULL, "MGR_TLS_CA_FILE"));
	c->tls_cert = dup_or_null(opt_or_env(
	    opts ? opts->tls_cert_file : NULL, "MGR_TLS_CERT_FILE"));
	c->tls_key  = dup_or_null(
	     opt_or_env(opts ? opts->tls_key_file : NULL, "MGR_TLS_KEY_FILE"));
	c->tls_name = dup_or_null(opt_or_env(
	    opts ? opts->tls_server_name : NULL, "MGR_TLS_SERVER_NAME"));
	const char *cname
	    = opt_or_env(opts ? opts->client_name : NULL, "MGR_CLIENT_NAME");
	snprintf(c->client_name, sizeof(c->client_name), "%s",
	    cname != NULL ? cname : program_invocation_short_name);
	if (c->key == NULL || c->url == NULL || c->rxbuf == NULL) {
		client_destroy(c);
		return NULL;
	}
	memcpy(c->key, key, keylen);
	c->keylen = keylen;
	return c;
}
