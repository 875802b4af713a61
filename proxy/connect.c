/* Connecting: the dial, then the client's side of the handshake (answer
 * the manager's nonce, check its answer to ours), within the connect
 * timeout; the connection itself is client.c's. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* The mutual challenge (common/auth.h): answer the manager's nonce, check
 * its answer to ours. */
static int
handshake(mgr_client *c, int64_t tmo)
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
	err = auth_digest(c->key, c->keylen, AUTH_CLIENT_LABEL, h->nonce.data,
	    h->nonce.len, digest);
	mgr__hello__free_unpacked(h, NULL);
	if (err == 0) {
		err = auth_random(nonce, sizeof(nonce));
	}
	if (err != 0) {
		return err;
	}
	Mgr__Auth a = MGR__AUTH__INIT;
	char      name[64];
	a.version     = AUTH_VERSION;
	a.digest.data = digest;
	a.digest.len  = sizeof(digest);
	a.nonce.data  = nonce;
	a.nonce.len   = sizeof(nonce);
	snprintf(name, sizeof(name), "pid %ld", (long) getpid());
	a.client     = name;
	size_t   n   = mgr__auth__get_packed_size(&a);
	uint8_t *buf = malloc(n + 4);
	if (buf == NULL) {
		return MGR_ENOMEM;
	}
	wire_put_len(buf, (uint32_t) n);
	mgr__auth__pack(&a, buf + 4);
	err = client_send_bytes(c, buf, n + 4);
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
		c->session = w->session;
		c->max_message
		    = w->max_message ? w->max_message : c->rx_limit;
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

int
mgr_connect(mgr_client **client, const char *url, const mgr_opts *opts)
{
	const void *key    = opts ? opts->authkey : NULL;
	size_t      keylen = opts ? opts->authkey_len : 0;
	int64_t     tmo    = opts && opts->connect_timeout > 0
	           ? opts->connect_timeout
	           : DEFAULT_CONNECT_MS;
	int         rv;

	client_init_once();
	client_set_detail(NULL);
	ARG_NONNULL(client);
	ARG_NONNULL(url);
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
	mgr_client *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return MGR_ENOMEM;
	}
	pthread_mutex_init(&c->mtx, NULL);
	pthread_mutex_init(&c->txmtx, NULL);
	pthread_cond_init(&c->idle_cv, NULL);
	c->refs        = 1;
	c->rx_limit    = opts && opts->max_message ? opts->max_message
	                                           : DEFAULT_MAX_MESSAGE;
	c->max_message = c->rx_limit;
	c->key         = malloc(keylen);
	c->url         = strdup(url);
	c->rxbuf       = malloc(RX_MIN);
	c->rxcap       = RX_MIN;
	spin_init(&c->spin);
	if (c->key == NULL || c->url == NULL || c->rxbuf == NULL) {
		client_destroy(c);
		return MGR_ENOMEM;
	}
	memcpy(c->key, key, keylen);
	c->keylen     = keylen;
	char why[600] = "";
	// As the key: what opts leaves NULL may come from the environment.
	ctls_opts tls = {
		.ca_file = opt_or_env(
		    opts ? opts->tls_ca_file : NULL, "MGR_TLS_CA_FILE"),
		.cert_file = opt_or_env(
		    opts ? opts->tls_cert_file : NULL, "MGR_TLS_CERT_FILE"),
		.key_file = opt_or_env(
		    opts ? opts->tls_key_file : NULL, "MGR_TLS_KEY_FILE"),
		.server_name = opt_or_env(opts ? opts->tls_server_name : NULL,
		    "MGR_TLS_SERVER_NAME"),
	};
	if ((rv = ctransport_dial(&c->t, url, &tls, tmo, why, sizeof(why)))
	    != 0) {
		client_set_detail("%s", why);
		client_destroy(c);
		return rv;
	}
	if ((rv = handshake(c, tmo)) != 0) {
		if (mgr_errdetail()[0]
		    == '\0') { // the handshake said nothing
			client_set_detail(rv == MGR_EAUTH
			        ? "authentication failed: wrong authkey"
			        : "handshake with %s failed",
			    url);
		}
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
