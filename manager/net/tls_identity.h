/* The server's TLS identity: its certificate chain and key, and the CAs
 * client certificates must chain to, loaded once from PEM files and made
 * into the two configurations that serve it: mbedTLS's for tls+tcp:// in
 * the epoll loops (xport_tls.c), nng's for wss://, https:// and
 * --listen-nng tls+tcp:// (stream_listener.c, the HTTP server). */
#ifndef MGR_MANAGER_NET_TLS_IDENTITY_H
#define MGR_MANAGER_NET_TLS_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tls_identity tls_identity;
struct mbedtls_ssl_config;
struct nng_tls_config;

/* verify_peer refuses clients without a certificate of ca_file's CAs
 * (ca_file alone: a certificate is checked when one is shown). MGR_EINVAL
 * with the reason in why (an unreadable file, a certificate and key that
 * do not match, --tls-verify-peer without --tls-ca). */
int tls_identity_new(tls_identity **ip, const char *cert_file,
    const char *key_file, const char *ca_file, bool verify_peer, char *why,
    size_t whycap);
/* Frees id and what reloads made of it. */
void tls_identity_free(tls_identity *id);
/* The files read again (SIGHUP): new connections in the loops use them
 * from now on (nng's configuration cannot change once used: wss://,
 * https:// and --listen-nng keep theirs). 0 with what happened in why
 * ("unchanged" when the certificates are the same), or an error with
 * why, id unchanged. At most TLS_MAX_RELOADS times (each keeps its
 * configuration until exit, for connections that use it). */
#define TLS_MAX_RELOADS 64
int tls_identity_reload(tls_identity *id, const char *cert_file,
    const char *key_file, const char *ca_file, bool verify_peer, char *why,
    size_t whycap);
/* Each thread-safe to share between connections. */
const struct mbedtls_ssl_config *tls_identity_mbedtls(tls_identity *id);
/* TLS handshakes of the loops (tls+tcp://) that resumed a session from a
 * ticket instead of a full handshake, since the start. */
uint64_t               tls_identity_resumed(void);
struct nng_tls_config *tls_identity_nng(tls_identity *id);

#endif
