#include "tls.h"

#include <errno.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mgr.h"

int
tls_bio_send(void *bio, const unsigned char *p, size_t n)
{
	tls_bio *b = bio;
	ssize_t  k;
	while ((k = send(b->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT)) < 0
	    && errno == EINTR) { }
	if (k >= 0) {
		return (int) k;
	}
	return errno == EAGAIN || errno == EWOULDBLOCK
	    ? MBEDTLS_ERR_SSL_WANT_WRITE
	    : MBEDTLS_ERR_NET_SEND_FAILED;
}

int
tls_bio_recv(void *bio, unsigned char *p, size_t n)
{
	tls_bio *b = bio;
	if (b->off == b->len && n < TLS_BIO_AHEAD) {
		// Read ahead: mbedTLS asks for a header, then for the body.
		if (b->ahead == NULL
		    && (b->ahead = malloc(TLS_BIO_AHEAD)) == NULL) {
			return MBEDTLS_ERR_SSL_ALLOC_FAILED;
		}
		ssize_t k;
		while (
		    (k = recv(b->fd, b->ahead, TLS_BIO_AHEAD, MSG_DONTWAIT))
		        < 0
		    && errno == EINTR) { }
		if (k <= 0) {
			return k == 0 ? 0 // the peer closed
			    : errno == EAGAIN || errno == EWOULDBLOCK
			    ? MBEDTLS_ERR_SSL_WANT_READ
			    : MBEDTLS_ERR_NET_RECV_FAILED;
		}
		b->off = 0;
		b->len = (size_t) k;
	}
	if (b->off < b->len) {
		size_t k = b->len - b->off < n ? b->len - b->off : n;
		memcpy(p, b->ahead + b->off, k);
		b->off += k;
		return (int) k;
	}
	ssize_t k;
	while ((k = recv(b->fd, p, n, MSG_DONTWAIT)) < 0 && errno == EINTR) {
	}
	if (k >= 0) {
		return (int) k;
	}
	return errno == EAGAIN || errno == EWOULDBLOCK
	    ? MBEDTLS_ERR_SSL_WANT_READ
	    : MBEDTLS_ERR_NET_RECV_FAILED;
}

bool
tls_pending(const tls_bio *b, const mbedtls_ssl_context *ssl)
{
	return b->off < b->len || mbedtls_ssl_check_pending(ssl) != 0;
}

void
tls_bio_free(tls_bio *b)
{
	free(b->ahead);
	b->ahead = NULL;
	b->off = b->len = 0;
}

void
tls_say(char *why, size_t whycap, const char *what, int rv)
{
	char e[160];
	mbedtls_strerror(rv, e, sizeof(e));
	snprintf(why, whycap, "%s: %s", what, e);
}

int
tls_conf_defaults(mbedtls_ssl_config *conf, int endpoint, void *rng,
    char *why, size_t whycap)
{
	int rv = mbedtls_ssl_config_defaults(conf, endpoint,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
	if (rv != 0) {
		tls_say(why, whycap, "TLS setup", rv);
		return MGR_ENOMEM;
	}
	mbedtls_ssl_conf_rng(conf, mbedtls_ctr_drbg_random, rng);
	mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	    MBEDTLS_SSL_MINOR_VERSION_3); // TLS 1.2, as nng's
	return 0;
}

int
tls_conf_ca(mbedtls_ssl_config *conf, mbedtls_x509_crt *chain,
    const char *path, char *why, size_t whycap)
{
	int rv = mbedtls_x509_crt_parse_file(chain, path);
	if (rv < 0) { // > 0: some certificates of a bundle were skipped
		char what[400];
		snprintf(what, sizeof(what), "TLS CA file %s", path);
		tls_say(why, whycap, what, rv);
		return MGR_EINVAL;
	}
	mbedtls_ssl_conf_ca_chain(conf, chain, NULL);
	return 0;
}

int
tls_conf_own(mbedtls_ssl_config *conf, mbedtls_x509_crt *cert,
    mbedtls_pk_context *key, const char *cert_file, const char *key_file,
    char *why, size_t whycap)
{
	char what[400];
	int  rv = mbedtls_x509_crt_parse_file(cert, cert_file);
	if (rv != 0) {
		snprintf(what, sizeof(what), "TLS certificate %s", cert_file);
		tls_say(why, whycap, what, rv);
		return MGR_EINVAL;
	}
	if ((rv = mbedtls_pk_parse_keyfile(key, key_file, NULL)) != 0) {
		snprintf(what, sizeof(what), "TLS key %s", key_file);
		tls_say(why, whycap, what, rv);
		return MGR_EINVAL;
	}
	if ((rv = mbedtls_pk_check_pair(&cert->pk, key)) != 0) {
		snprintf(why, whycap,
		    "TLS key %s does not match the certificate %s", key_file,
		    cert_file);
		return MGR_EINVAL;
	}
	if ((rv = mbedtls_ssl_conf_own_cert(conf, cert, key)) != 0) {
		snprintf(what, sizeof(what), "TLS key %s", key_file);
		tls_say(why, whycap, what, rv);
		return MGR_EINVAL;
	}
	return 0;
}
