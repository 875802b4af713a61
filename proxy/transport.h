/* The client's byte streams to a manager: one seam, three kinds.
 *
 * client.c and connect.c speak frames over a ctransport and never know
 * which kind it is: a plain socket (ipc://, tcp://; transport_sock.c),
 * TLS by mbedTLS on that same socket (tls+tcp://; transport_tls.c) or
 * WebSocket framing over either (ws://, wss://; transport_ws.c). All of
 * them are read and written by the calling thread (no thread of their
 * own, no hand-off), and a dead manager's closed socket ends a blocked
 * read at once.
 *
 * One writer and one reader at a time (the client serialises each), and
 * the two may run at once. */
#ifndef MGR_PROXY_TRANSPORT_H
#define MGR_PROXY_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spin.h"

typedef struct ctransport ctransport;

typedef struct ctransport_ops {
	/* Writes all n bytes. 0 or MGR_ECONN. */
	int (*send_all)(ctransport *t, const uint8_t *p, size_t n);
	/* Reads at least one byte (at most cap > 0) into buf; *got is how
	 * many. Waits up to timeout_ms (< 0: no limit; then spins first
	 * when spin says so). 0, MGR_ECONN (closed, failed, shut down),
	 * MGR_ETIMEDOUT, MGR_ENOMEM. */
	int (*recv_some)(ctransport *t, uint8_t *buf, size_t cap, size_t *got,
	    int64_t timeout_ms, spinner *spin);
	/* Any thread: a blocked send or receive, and every later one,
	 * returns MGR_ECONN at once. */
	void (*shutdown)(ctransport *t);
	/* Closes and frees (nothing inside it any more). */
	void (*free)(ctransport *t);
} ctransport_ops;

struct ctransport {
	const ctransport_ops *ops;
};

/* Options of the secure schemes, borrowed for the call (mgr_opts). */
/* The TLS session a client offers when it dials again (a ticket of the
 * manager's), so that a reconnect resumes instead of paying a full
 * handshake; kept by the client across its connections. */
typedef struct ctls_resume ctls_resume;
ctls_resume *ctls_resume_new(void); /* NULL when out of memory */
void         ctls_resume_free(ctls_resume *r);

typedef struct ctls_opts {
	const char  *ca_file;   /* NULL: the system's CAs */
	const char  *cert_file; /* with key_file: a client certificate */
	const char  *key_file;
	const char  *server_name; /* NULL: the URL's host */
	ctls_resume *resume;      /* offered, and updated; NULL: none */
} ctls_opts;

/* Dials url (ipc://, tcp://, tls+tcp://, ws://, wss://) within
 * timeout_ms, TLS and WebSocket handshakes included. MGR_EINVAL (a bad
 * URL or option; tls is ignored by the plaintext schemes), MGR_ECONN
 * (unreachable, refused, a handshake that fails), MGR_EAUTH (a certificate
 * not trusted or not accepted), with the reason in why. */
int ctransport_dial(ctransport **tp, const char *url, const ctls_opts *tls,
    int64_t timeout_ms, char *why, size_t whycap);

/* Whether url's scheme is a TLS one (tls+tcp://, wss://). */
bool ctransport_url_is_tls(const char *url);

/* ---- between the kinds ---------------------------------------------------
 */

/* A plain socket (owned from here on). */
int ctransport_sock_new(ctransport **tp, int fd);
/* TLS over socket fd (owned from here on, closed on failure), the
 * handshake done by deadline_ms (clock_ms). */
int ctransport_tls_new(ctransport **tp, int fd, const char *host,
    const ctls_opts *o, int64_t deadline_ms, char *why, size_t whycap);
/* WebSocket over inner (owned from here on, freed on failure): the
 * upgrade of GET path on host done by deadline_ms. */
int ctransport_ws_new(ctransport **tp, ctransport *inner, const char *host,
    const char *path, int64_t deadline_ms, char *why, size_t whycap);

#endif
