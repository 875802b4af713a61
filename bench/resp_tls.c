#include "resp_tls.h"

#include <errno.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct resp_tls {
	int                      fd;
	mbedtls_ssl_context      ssl;
	mbedtls_ssl_config       conf;
	mbedtls_x509_crt         ca;
	mbedtls_entropy_context  entropy;
	mbedtls_ctr_drbg_context drbg;
	redisReader             *reader;
	char                     err[200];
	unsigned char            ahead[16384];
	size_t                   off, len;
};

static int
bio_send(void *ctx, const unsigned char *p, size_t n)
{
	ssize_t k;
	while ((k = send(((resp_tls *) ctx)->fd, p, n, MSG_NOSIGNAL)) < 0
	    && errno == EINTR) { }
	return k >= 0 ? (int) k : MBEDTLS_ERR_NET_SEND_FAILED;
}

/* With a read-ahead, as libmgr's client has: a record's header and body
 * in one recv (the client's costs are part of every round trip). */
static int
bio_recv(void *ctx, unsigned char *p, size_t n)
{
	resp_tls *t = ctx;
	if (t->off == t->len) {
		ssize_t k;
		while ((k = recv(t->fd, t->ahead, sizeof(t->ahead), 0)) < 0
		    && errno == EINTR) { }
		if (k <= 0) {
			return k == 0 ? 0 : MBEDTLS_ERR_NET_RECV_FAILED;
		}
		t->off = 0;
		t->len = (size_t) k;
	}
	size_t k = t->len - t->off < n ? t->len - t->off : n;
	memcpy(p, t->ahead + t->off, k);
	t->off += k;
	return (int) k;
}

static int
dial(const char *host, int port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	char            ps[16];
	snprintf(ps, sizeof(ps), "%d", port);
	if (getaddrinfo(host, ps, &hints, &ai) != 0) {
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd >= 0) {
		int one = 1; // as hiredis does
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	return fd;
}

void
resp_tls_free(resp_tls *t)
{
	if (t == NULL) {
		return;
	}
	mbedtls_ssl_close_notify(&t->ssl);
	mbedtls_ssl_free(&t->ssl);
	mbedtls_ssl_config_free(&t->conf);
	mbedtls_x509_crt_free(&t->ca);
	mbedtls_ctr_drbg_free(&t->drbg);
	mbedtls_entropy_free(&t->entropy);
	if (t->reader != NULL) {
		redisReaderFree(t->reader);
	}
	if (t->fd >= 0) {
		close(t->fd);
	}
	free(t);
}

resp_tls *
resp_tls_connect(
    const char *host, int port, const char *ca_file, char *err, size_t cap)
{
	resp_tls *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		snprintf(err, cap, "out of memory");
		return NULL;
	}
	mbedtls_ssl_init(&t->ssl);
	mbedtls_ssl_config_init(&t->conf);
	mbedtls_x509_crt_init(&t->ca);
	mbedtls_entropy_init(&t->entropy);
	mbedtls_ctr_drbg_init(&t->drbg);
	t->reader = redisReaderCreate();
	t->fd     = dial(host, port);
	int rv    = 0;
	if (t->fd < 0 || t->reader == NULL) {
		snprintf(err, cap, "cannot connect to %s:%d", host, port);
		resp_tls_free(t);
		return NULL;
	}
	if ((rv = mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func,
	         &t->entropy, (const unsigned char *) "bench", 5))
	        != 0
	    || (rv = mbedtls_ssl_config_defaults(&t->conf,
	            MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
	            MBEDTLS_SSL_PRESET_DEFAULT))
	        != 0
	    || (rv = mbedtls_x509_crt_parse_file(&t->ca, ca_file)) != 0) {
		goto fail;
	}
	mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
	mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
	mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	    MBEDTLS_SSL_MINOR_VERSION_3);
	if ((rv = mbedtls_ssl_setup(&t->ssl, &t->conf)) != 0
	    || (rv = mbedtls_ssl_set_hostname(&t->ssl, "localhost")) != 0) {
		goto fail;
	}
	mbedtls_ssl_set_bio(&t->ssl, t, bio_send, bio_recv, NULL);
	while ((rv = mbedtls_ssl_handshake(&t->ssl)) != 0) {
		if (rv != MBEDTLS_ERR_SSL_WANT_READ
		    && rv != MBEDTLS_ERR_SSL_WANT_WRITE) {
			goto fail;
		}
	}
	return t;
fail:;
	char e[160];
	mbedtls_strerror(rv, e, sizeof(e));
	snprintf(err, cap, "TLS with %s:%d: %s", host, port, e);
	resp_tls_free(t);
	return NULL;
}

redisReply *
resp_tls_vcommand(resp_tls *t, const char *fmt, va_list ap)
{
	char *cmd;
	int   len = redisvFormatCommand(&cmd, fmt, ap);
	if (len < 0) {
		snprintf(t->err, sizeof(t->err), "bad command format");
		return NULL;
	}
	for (int off = 0; off < len;) {
		int k = mbedtls_ssl_write(&t->ssl,
		    (unsigned char *) cmd + off, (size_t) (len - off));
		if (k <= 0) {
			free(cmd);
			snprintf(t->err, sizeof(t->err), "TLS write failed");
			return NULL;
		}
		off += k;
	}
	free(cmd);
	for (;;) {
		void *reply = NULL;
		if (redisReaderGetReply(t->reader, &reply) != REDIS_OK) {
			snprintf(t->err, sizeof(t->err), "protocol error: %s",
			    t->reader->errstr);
			return NULL;
		}
		if (reply != NULL) {
			return reply;
		}
		char buf[16384];
		int  k = mbedtls_ssl_read(
		     &t->ssl, (unsigned char *) buf, sizeof(buf));
		if (k <= 0) {
			snprintf(t->err, sizeof(t->err), "TLS read failed");
			return NULL;
		}
		redisReaderFeed(t->reader, buf, (size_t) k);
	}
}

const char *
resp_tls_errstr(const resp_tls *t)
{
	return t->err;
}
