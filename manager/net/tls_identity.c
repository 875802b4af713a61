#include "tls_identity.h"

#include <errno.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ssl_ticket.h>
#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgr.h"
#include "readfile.h"
#include "tls.h"

/* How long a ticket resumes a session: a day, as a client that comes back
 * after longer pays one full handshake. */
#define TICKET_LIFETIME_S 86400

struct tls_identity {
	/* mbedTLS's, for the loops: one configuration and one generator
	 * (mbedTLS is built with MBEDTLS_THREADING_C: it locks its own) */
	mbedtls_ssl_config       conf;
	mbedtls_x509_crt         cert, ca;
	mbedtls_pk_context       key;
	mbedtls_entropy_context  entropy;
	mbedtls_ctr_drbg_context drbg;
	/* Session tickets (RFC 5077): a returning client resumes without a
	 * full handshake (about 5 ms of CPU each); the key is this
	 * identity's, rotated by mbedTLS within the lifetime. */
	mbedtls_ssl_ticket_context ticket;
	/* nng's */
	nng_tls_config *nng;
	/* What a reload (SIGHUP) made of the files since: new connections
	 * of the loops take the newest; those under way keep theirs, so
	 * every one stays until the identity is freed. */
	struct tls_identity *newer;
	int                  reloads; /* in the chain after the first */
};

/* The PEM file at path, NUL-terminated; NULL with why. */
static char *
read_pem(const char *path, char *why, size_t whycap)
{
	char  *buf;
	size_t len;
	int    rv = read_file(path, (size_t) 1 << 24, &buf, &len);
	if (rv == 0) {
		return buf;
	}
	snprintf(why, whycap, "%s: %s", path,
	    rv == MGR_ETOOBIG      ? "too big for a PEM file"
	        : rv == MGR_ENOMEM ? "out of memory"
	                           : strerror(errno));
	return NULL;
}

static void
free_secret(char *s)
{
	if (s != NULL) {
		memset(s, 0, strlen(s));
	}
	free(s);
}

static int
make_nng(tls_identity *id, const char *cert_file, const char *key_file,
    const char *ca_file, bool verify_peer, char *why, size_t whycap)
{
	int rv = nng_tls_config_alloc(&id->nng, NNG_TLS_MODE_SERVER);
	if (rv != 0) {
		snprintf(why, whycap, "TLS: %s", nng_strerror(rv));
		id->nng = NULL;
		return MGR_EINVAL;
	}
	char *cert = read_pem(cert_file, why, whycap);
	char *key  = cert != NULL ? read_pem(key_file, why, whycap) : NULL;
	if (key == NULL) {
		free(cert);
		return MGR_EINVAL;
	}
	rv = nng_tls_config_own_cert(id->nng, cert, key, NULL);
	free(cert);
	free_secret(key);
	if (rv != 0) {
		snprintf(why, whycap,
		    "%s, %s: not a PEM certificate chain and its key (%s)",
		    cert_file, key_file, nng_strerror(rv));
		return MGR_EINVAL;
	}
	if (ca_file != NULL
	    && (rv = nng_tls_config_ca_file(id->nng, ca_file)) != 0) {
		snprintf(why, whycap, "%s: not PEM CA certificates (%s)",
		    ca_file, nng_strerror(rv));
		return MGR_EINVAL;
	}
	nng_tls_config_auth_mode(id->nng,
	    verify_peer   ? NNG_TLS_AUTH_MODE_REQUIRED
	        : ca_file ? NNG_TLS_AUTH_MODE_OPTIONAL
	                  : NNG_TLS_AUTH_MODE_NONE);
	return 0;
}

/* Handshakes resumed from a ticket, by every identity of the process. */
static _Atomic uint64_t resumed;

/* mbedTLS's ticket parser, counting the tickets that resume a session. */
static int
parse_ticket(
    void *ctx, mbedtls_ssl_session *session, unsigned char *buf, size_t len)
{
	int rv = mbedtls_ssl_ticket_parse(ctx, session, buf, len);
	if (rv == 0) {
		atomic_fetch_add(&resumed, 1);
	}
	return rv;
}

uint64_t
tls_identity_resumed(void)
{
	return atomic_load(&resumed);
}

static int
make_mbedtls(tls_identity *id, const char *cert_file, const char *key_file,
    const char *ca_file, bool verify_peer, char *why, size_t whycap)
{
	int rv = mbedtls_ctr_drbg_seed(&id->drbg, mbedtls_entropy_func,
	    &id->entropy, (const unsigned char *) "managerd", 8);
	if (rv != 0) {
		tls_say(why, whycap, "TLS setup", rv);
		return MGR_EINVAL;
	}
	if ((rv = tls_conf_defaults(
	         &id->conf, MBEDTLS_SSL_IS_SERVER, &id->drbg, why, whycap))
	        != 0
	    || (rv = tls_conf_own(&id->conf, &id->cert, &id->key, cert_file,
	            key_file, why, whycap))
	        != 0) {
		return rv;
	}
	if (ca_file != NULL
	    && (rv = tls_conf_ca(&id->conf, &id->ca, ca_file, why, whycap))
	        != 0) {
		return rv;
	}
	mbedtls_ssl_conf_authmode(&id->conf,
	    verify_peer   ? MBEDTLS_SSL_VERIFY_REQUIRED
	        : ca_file ? MBEDTLS_SSL_VERIFY_OPTIONAL
	                  : MBEDTLS_SSL_VERIFY_NONE);
	if ((rv = mbedtls_ssl_ticket_setup(&id->ticket,
	         mbedtls_ctr_drbg_random, &id->drbg,
	         MBEDTLS_CIPHER_AES_256_GCM, TICKET_LIFETIME_S))
	    != 0) {
		tls_say(why, whycap, "TLS session tickets", rv);
		return MGR_EINVAL;
	}
	mbedtls_ssl_conf_session_tickets_cb(
	    &id->conf, mbedtls_ssl_ticket_write, parse_ticket, &id->ticket);
	return 0;
}

int
tls_identity_new(tls_identity **ip, const char *cert_file,
    const char *key_file, const char *ca_file, bool verify_peer, char *why,
    size_t whycap)
{
	if (verify_peer && ca_file == NULL) {
		snprintf(why, whycap, "--tls-verify-peer needs --tls-ca");
		return MGR_EINVAL;
	}
	tls_identity *id = calloc(1, sizeof(*id));
	if (id == NULL) {
		snprintf(why, whycap, "out of memory");
		return MGR_ENOMEM;
	}
	mbedtls_ssl_config_init(&id->conf);
	mbedtls_x509_crt_init(&id->cert);
	mbedtls_x509_crt_init(&id->ca);
	mbedtls_pk_init(&id->key);
	mbedtls_entropy_init(&id->entropy);
	mbedtls_ctr_drbg_init(&id->drbg);
	mbedtls_ssl_ticket_init(&id->ticket);
	int rv = make_nng(
	    id, cert_file, key_file, ca_file, verify_peer, why, whycap);
	if (rv == 0) {
		rv = make_mbedtls(id, cert_file, key_file, ca_file,
		    verify_peer, why, whycap);
	}
	if (rv != 0) {
		tls_identity_free(id);
		return rv;
	}
	*ip = id;
	return 0;
}

void
tls_identity_free(tls_identity *id)
{
	if (id == NULL) {
		return;
	}
	tls_identity_free(id->newer);
	if (id->nng != NULL) {
		nng_tls_config_free(id->nng);
	}
	mbedtls_ssl_config_free(&id->conf);
	mbedtls_ssl_ticket_free(&id->ticket);
	mbedtls_x509_crt_free(&id->cert);
	mbedtls_x509_crt_free(&id->ca);
	mbedtls_pk_free(&id->key);
	mbedtls_ctr_drbg_free(&id->drbg);
	mbedtls_entropy_free(&id->entropy);
	free(id);
}

static tls_identity *
newest(tls_identity *id)
{
	tls_identity *n;
	while ((n = __atomic_load_n(&id->newer, __ATOMIC_ACQUIRE)) != NULL) {
		id = n;
	}
	return id;
}

const struct mbedtls_ssl_config *
tls_identity_mbedtls(tls_identity *id)
{
	return &newest(id)->conf;
}

static bool
same_crt(const mbedtls_x509_crt *a, const mbedtls_x509_crt *b)
{
	for (; a != NULL && b != NULL; a = a->next, b = b->next) {
		if (a->raw.len != b->raw.len
		    || (a->raw.len > 0
		        && memcmp(a->raw.p, b->raw.p, a->raw.len) != 0)) {
			return false;
		}
	}
	return a == b; // both chains ended
}

int
tls_identity_reload(tls_identity *id, const char *cert_file,
    const char *key_file, const char *ca_file, bool verify_peer, char *why,
    size_t whycap)
{
	tls_identity *cur = newest(id), *n;
	if (id->reloads >= TLS_MAX_RELOADS) {
		snprintf(why, whycap,
		    "reloaded %d times already: restart managerd to take "
		    "new certificates",
		    id->reloads);
		return MGR_ETOOBIG;
	}
	int rv = tls_identity_new(
	    &n, cert_file, key_file, ca_file, verify_peer, why, whycap);
	if (rv != 0) {
		return rv;
	}
	if (same_crt(&n->cert, &cur->cert) && same_crt(&n->ca, &cur->ca)) {
		tls_identity_free(n);
		snprintf(why, whycap, "unchanged");
		return 0;
	}
	id->reloads++;
	__atomic_store_n(&cur->newer, n, __ATOMIC_RELEASE);
	snprintf(why, whycap,
	    "new certificates for tls+tcp://, wss:// and https:// "
	    "(--listen-nng keeps its own until a restart)");
	return 0;
}

struct nng_tls_config *
tls_identity_nng(tls_identity *id)
{
	return id->nng;
}
