/* The server's connections: one interface, two engines.
 *
 * Frames are a 4-byte big-endian length and a protobuf message. What
 * sessions see is the same whichever engine made the connection: the
 * direct engine (fconn_new_socket: plain unix and TCP sockets served by a
 * few epoll loops, below) or nng's streams (fconn_new_stream: tls+tcp,
 * ws, wss, and ipc/tcp on demand, served by nng's callbacks).
 *
 * The direct engine: each
 * connection belongs to one loop thread (epoll), which reads it and hands
 * every complete frame to on_frame as it arrives (several per read when
 * the peer pipelines), on that thread: a request is served by the thread
 * that read it, with no hand-off to another thread. Replies queued while
 * on_frame runs go out together in one write once the read is processed.
 * A reply queued from any other thread (a waiter answered, a timeout) is
 * written at once by that thread when the socket has room; only what
 * does not fit waits for the loop to see the socket writable. No thread
 * ever blocks on a socket.
 */
#ifndef MGR_MANAGER_NET_CONN_H
#define MGR_MANAGER_NET_CONN_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fconn   fconn;
typedef struct evgroup evgroup;

/* Starts nthreads (>= 1) loop threads. MGR_ENOMEM / MGR_EINTERNAL. */
int evgroup_new(evgroup **gp, int nthreads);
/* Stops and joins the loops. Every connection must have ended (its
 * on_closed returned) first; connections freed with fconn_free_later are
 * freed by then. */
void evgroup_free(evgroup *g);

/* One complete frame (data valid only during the call). Return 0 to go on,
 * or an MGR_E* code to close the connection with that reason. */
typedef int (*fconn_frame_fn)(void *arg, const uint8_t *data, size_t len);
/* Called once, on the loop thread (or in fconn_start; on an nng thread
 * for the nng engine), when the
 * connection ends: err is MGR_ECONN (peer closed, I/O error),
 * MGR_ETOOBIG (frame over the limit), MGR_ETIMEDOUT (receive deadline),
 * MGR_ECLOSED (fconn_close), or the code on_frame returned. No on_frame
 * call follows. */
typedef void (*fconn_closed_fn)(void *arg, int err);

/* A connection of the direct engine on socket fd, served by one of g's
 * loops. Takes ownership of fd (closed on every path). Nothing happens
 * until fconn_bind and fconn_start. MGR_ENOMEM. */
int fconn_new_socket(fconn **cp, evgroup *g, int fd, size_t max_message);
/* A connection of the nng engine on an accepted stream (owned from here
 * on, freed on every path), served by nng's callbacks (stream_conn.c);
 * ipc_path: the socket path of an ipc listener's stream, else NULL;
 * websocket: each frame goes out as one WebSocket message. MGR_ENOMEM. */
typedef struct nng_stream nng_stream;

int fconn_new_stream(fconn **cp, nng_stream *st, const char *ipc_path,
    bool websocket, size_t max_message);
/* Who gets c's frames and its end; before fconn_start. */
void fconn_bind(
    fconn *c, fconn_frame_fn on_frame, fconn_closed_fn on_closed, void *arg);
/* Hands the connection to a loop: receiving starts. */
void fconn_start(fconn *c);
/* The connection ends with MGR_ETIMEDOUT unless this is called again
 * with ms <= 0 (no deadline) within ms from now, however many bytes come
 * meanwhile: bounds the handshake. Call before fconn_start or from
 * on_frame. */
void fconn_set_rx_timeout(fconn *c, int ms);
/* Packs m into the send queue and writes it unless the loop is reading
 * c (then it goes with the other replies of that read). MGR_ECONN when
 * closed, MGR_ETOOBIG over the limit, MGR_ENOMEM. The frame's size goes
 * to *queued when not NULL. Thread-safe. */
int fconn_send_msg(fconn *c, const ProtobufCMessage *m, size_t *queued);
/* Closes the connection once everything queued has been written. */
void fconn_close_after_send(fconn *c);
/* The largest frame c may receive from now on (max_message until then):
 * a bigger one ends c with MGR_ETOOBIG as soon as its length is read.
 * Before fconn_start, or on c's loop thread (from on_frame). */
void fconn_set_rx_max(fconn *c, size_t n);
/* Bounds on the replies queued and not yet read (0: leave as is): a
 * connection whose backlog would pass per_connection is closed; while all
 * together pass total, connections with replies waiting are not read.
 * Process-wide, set before serving. */
void fconn_set_reply_limits(size_t per_connection, size_t total);
/* Reply bytes queued and not yet written, in all. */
size_t fconn_reply_bytes_pending(void);
/* True when the peer has hung up or the connection is closing, even if
 * its loop has not handled that yet: the one question that costs a system
 * call (a poll that does not wait, on either engine; an nng connection
 * whose socket is unknown, such as --listen-nng ipc's, knows only what its
 * last receive said), asked before something is handed to a client that
 * may have died. */
bool fconn_peer_gone(fconn *c);
/* From fconn_defer_begin to fconn_defer_end (given what begin returned),
 * (the direct engine's; the nng engine's sends never wait anyway)
 * replies this thread queues are written at the end, one write per
 * connection, instead of at once: for a thread that queues replies under
 * a lock it must not hold across a system call (the server lock). The
 * loop threads do the same around every read; deferrals nest, and the
 * outermost one writes. */
bool fconn_defer_begin(void);
void fconn_defer_end(bool was_deferring);
/* Frees the calling thread's deferral list, before the thread ends. */
void fconn_defer_thread_done(void);
/* Closes the connection now (idempotent, thread-safe): the loop reports
 * it to on_closed with MGR_ECLOSED. */
void fconn_close(fconn *c);
/* Frees a connection never started, or one that has ended (waits for
 * on_closed to have returned). Not from c's own callbacks. */
void fconn_free(fconn *c);
/* From on_closed: c is freed once on_closed has returned. */
void fconn_free_later(fconn *c);

#endif
