/* resp_tls - Redis's protocol over TLS for the bench (Debian's hiredis,
 * 0.14, has no TLS): a blocking socket under mbedTLS, hiredis's command
 * formatter for the requests and its reader for the replies, so the
 * replies are hiredis's redisReply as over plain sockets. */
#ifndef MGR_BENCH_RESP_TLS_H
#define MGR_BENCH_RESP_TLS_H

#include <hiredis.h>
#include <stdarg.h>
#include <stddef.h>

typedef struct resp_tls resp_tls;

/* Connects to host:port and completes the TLS handshake, checking the
 * server's certificate against ca_file for the name "localhost". NULL with
 * the reason in err. */
resp_tls *resp_tls_connect(
    const char *host, int port, const char *ca_file, char *err, size_t cap);
/* One command, as redisvCommand: its reply (freeReplyObject), or NULL
 * (resp_tls_errstr says why). */
redisReply *resp_tls_vcommand(resp_tls *t, const char *fmt, va_list ap);
const char *resp_tls_errstr(const resp_tls *t);
void        resp_tls_free(resp_tls *t);

#endif
