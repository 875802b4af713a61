/* TLS by mbedTLS on a non-blocking socket, the parts both sides share:
 * libmgr's tls+tcp:// and wss:// client (proxy/transport_tls.c) and
 * managerd's tls+tcp:// listener, served in its epoll loops
 * (manager/net/xport_tls.c). TLS 1.2 at least, as nng's. */
#ifndef MGR_COMMON_TLS_H
#define MGR_COMMON_TLS_H

#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The socket under an ssl context (mbedtls_ssl_set_bio with tls_bio_send
 * and tls_bio_recv), with a small read-ahead: a record's header and body
 * come in one recv, not two. */
typedef struct tls_bio {
	int      fd;
	uint8_t *ahead; /* TLS_BIO_AHEAD bytes, made at the first read */
	size_t   off, len;
} tls_bio;

#define TLS_BIO_AHEAD 4096

int tls_bio_send(void *bio, const unsigned char *p, size_t n);
int tls_bio_recv(void *bio, unsigned char *p, size_t n);
/* Whether bytes wait in the read-ahead or inside ssl (a record read but
 * not yet returned): read again before waiting on the socket. */
bool tls_pending(const tls_bio *b, const mbedtls_ssl_context *ssl);
void tls_bio_free(tls_bio *b);

/* "what: mbedTLS's text for rv" into why. */
void tls_say(char *why, size_t whycap, const char *what, int rv);

/* Defaults for an endpoint (MBEDTLS_SSL_IS_CLIENT or _SERVER) with the
 * random generator rng (an mbedtls_ctr_drbg_context). MGR_ENOMEM with
 * why. */
int tls_conf_defaults(mbedtls_ssl_config *conf, int endpoint, void *rng,
    char *why, size_t whycap);
/* The CAs of PEM file path into chain, trusted by conf. MGR_EINVAL with
 * why. */
int tls_conf_ca(mbedtls_ssl_config *conf, mbedtls_x509_crt *chain,
    const char *path, char *why, size_t whycap);
/* conf's own certificate chain and key from PEM files. MGR_EINVAL with
 * why (naming the file, and a key that does not match). */
int tls_conf_own(mbedtls_ssl_config *conf, mbedtls_x509_crt *cert,
    mbedtls_pk_context *key, const char *cert_file, const char *key_file,
    char *why, size_t whycap);

#endif
