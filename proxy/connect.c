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
	a.client      = name;
	a.lease_ms    = (uint64_t) c->lease_asked;
	a.reconnect   = c->reconnect_ms > 0;
	a.stale_reads = c->stale_reads;
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
	bool key_holder = w->digest.len == AUTH_DIGEST_LEN
	    && auth_digest(c->key, c->keylen, AUTH_SERVER_LABEL, nonce,
	           sizeof(nonce), expect)
	        == 0
	    && auth_equal(expect, w->digest.data, AUTH_DIGEST_LEN);
	if (w->not_leader && key_holder) {
		// A cluster's member that does not lead: where the leader is,
		// from one who knows the key.
		free(c->redirect);
		c->redirect = w->leader[0] != '\0' ? strdup(w->leader) : NULL;
		err         = MGR_ECONN;
		client_set_detail("%s: %s%s%s", c->url, w->error,
		    w->leader[0] ? ": the leader serves at " : "", w->leader);
	} else if (w->status != 0) {
		err = w->status == MGR_EAUTH ? MGR_EAUTH : MGR_EPROTO;
		client_set_detail("%s",
		    w->error[0] ? w->error
		                : "the manager refused the handshake");
	} else if (!key_holder) {
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

/* Dials c->url and shakes hands, within timeout_ms. */
static int
dial_one(mgr_client *c, bool resume, int64_t timeout_ms)
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

/* The n-th URL of list (comma-separated) into out: false past the last. */
static bool
nth_url(const char *list, size_t n, char *out, size_t cap)
{
	const char *p = list;
	for (size_t i = 0; i < n; i++) {
		p = strchr(p, ',');
		if (p == NULL) {
			return false;
		}
		p++;
	}
	size_t len = strcspn(p, ",");
	if (len == 0 || len >= cap) {
		return false;
	}
	memcpy(out, p, len);
	out[len] = '\0';
	return true;
}

static size_t
count_urls(const char *list)
{
	size_t n = 1;
	for (const char *p = list; (p = strchr(p, ',')) != NULL; p++) {
		n++;
	}
	return n;
}

/* Of the leader's URLs, the first of the scheme c->url was dialled
 * with, else the first. */
static void
pick_leader_url(
    const mgr_client *c, const char *leader, char *out, size_t cap)
{
	size_t scheme = strcspn(c->url, ":");
	char   u[1024];
	out[0] = '\0';
	for (size_t i = 0; nth_url(leader, i, u, sizeof(u)); i++) {
		if (strncmp(u, c->url, scheme) == 0 && u[scheme] == ':') {
			snprintf(out, cap, "%s", u);
			return;
		}
	}
	if (nth_url(leader, 0, u, sizeof(u))) {
		snprintf(out, cap, "%s", u);
	}
}

static int
set_url(mgr_client *c, const char *url)
{
	char *u = strdup(url);
	if (u == NULL) {
		return MGR_ENOMEM;
	}
	free(c->url);
	c->url = u;
	return 0;
}

size_t
client_url_count(const mgr_client *c)
{
	return count_urls(c->urls);
}

int
client_next_url(mgr_client *c)
{
	size_t n = count_urls(c->urls);
	char   u[1024];
	for (size_t i = 0; i < n; i++) {
		if (nth_url(c->urls, i, u, sizeof(u))
		    && strcmp(u, c->url) == 0
		    && nth_url(c->urls, (i + 1) % n, u, sizeof(u))) {
			return set_url(c, u);
		}
	}
	return 0; // a leader's URL that is not in the list: dial the list
}

/* The redirects followed in one dial, at most: a cluster electing its
 * leader may send a client round in a circle for a moment. */
#define MAX_REDIRECTS 4
/* How long one member of a cluster is given to answer a dial (its
 * handshake too: TLS over a slow link takes a few round trips). */
#define MEMBER_DIAL_MS 1500

int
client_dial(mgr_client *c, bool resume, int64_t timeout_ms)
{
	// The manager dialled last (a cluster's member, or the leader one
	// of them named), then each of the others in turn, one round,
	// following where they send the client.
	size_t  n        = count_urls(c->urls);
	int64_t deadline = clock_ms() + timeout_ms;
	size_t  start = 0, hops = 0;
	char    u[1024];
	for (size_t i = 0; i < n; i++) {
		if (nth_url(c->urls, i, u, sizeof(u))
		    && strcmp(u, c->url) == 0) {
			start = i;
		}
	}
	int rv = MGR_ECONN;
	for (size_t k = 0; k < n;) {
		int64_t left = deadline - clock_ms();
		if (left <= 0) {
			break;
		}
		// A member that does not answer (a host cut off, or the old
		// leader a follower still names) gets a moment, not all of
		// the time: the next round comes back to it.
		int64_t tmo = n > 1 || hops > 0 ? MEMBER_DIAL_MS : left;
		rv          = dial_one(c, resume, tmo < left ? tmo : left);
		if (rv == 0 || (rv != MGR_ECONN && rv != MGR_ETIMEDOUT)) {
			return rv;
		}
		if (c->redirect != NULL && hops < MAX_REDIRECTS) {
			char to[1024];
			pick_leader_url(c, c->redirect, to, sizeof(to));
			free(c->redirect);
			c->redirect = NULL;
			if (to[0] != '\0' && strcmp(to, c->url) != 0) {
				hops++;
				if (set_url(c, to) != 0) {
					return MGR_ENOMEM;
				}
				continue;
			}
		}
		k++;
		if (k < n && nth_url(c->urls, (start + k) % n, u, sizeof(u))
		    && set_url(c, u) != 0) {
			return MGR_ENOMEM;
		}
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
	const char *env_stale = opt_or_env(NULL, "MGR_STALE_READS");
	c->stale_reads        = (opts != NULL && opts->stale_reads)
	    || (env_stale != NULL && strcmp(env_stale, "1") == 0);
	c->key   = malloc(keylen);
	c->urls  = strdup(url);
	c->url   = strndup(url, strcspn(url, ","));
	c->rxbuf = malloc(RX_MIN);
	c->rxcap = RX_MIN;
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
	if (c->key == NULL || c->url == NULL || c->urls == NULL
	    || c->rxbuf == NULL) {
		client_destroy(c);
		return NULL;
	}
	memcpy(c->key, key, keylen);
	c->keylen = keylen;
	return c;
}
