/* The server's connections: one layer over every transport.
 *
 * Frames are a 4-byte big-endian length and a protobuf message. This
 * layer owns them whatever carries the bytes (xport.h: a plain socket or
 * TLS in the epoll loops, an nng stream): splitting what is read into
 * frames, the largest frame a peer may send, the receive deadline, the
 * send buffer, backpressure (a peer that does not read its replies stops
 * being read), the bound on replies queued, closing once written, and
 * the end of the connection, reported once.
 *
 * Frames are handed to on_frame on the receive side: the thread that
 * read them (a loop's, or nng's receive callback), one connection's
 * frames one at a time, in order.
 *
 * The one rule for replies: fconn_send_msg only queues. What a thread
 * queued is written by that thread once it holds no server lock and is
 * not serving a read: at the end of the read it serves (one write per
 * connection for all the replies of a read), when it drops the server
 * lock (server_unlock calls fconn_flush_queued), or at once when it holds
 * neither. So replies to waiters woken by a request, by the timer, by a
 * session's end or by a request on another transport are all written
 * after the lock is dropped, by whoever produced them, and no system
 * call of this layer ever runs under the server lock (the peer check of
 * fconn_peer_gone aside). Closing under the lock waits the same way. */
#ifndef MGR_MANAGER_NET_CONN_H
#define MGR_MANAGER_NET_CONN_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

typedef struct fconn fconn;
struct xport;

/* One complete frame (data valid only during the call). Return 0 to go on,
 * or an MGR_E* code to close the connection with that reason. */
typedef int (*fconn_frame_fn)(void *arg, const uint8_t *data, size_t len);
/* Called once, when the connection ends, on its receive side or a thread
 * of its transport's: err is MGR_ECONN (peer closed, I/O error),
 * MGR_ETOOBIG (frame over the limit, or unread replies over theirs),
 * MGR_ETIMEDOUT (receive deadline), MGR_ECLOSED (fconn_close), or the code
 * on_frame returned. No on_frame call follows. */
typedef void (*fconn_closed_fn)(void *arg, int err);

/* A connection on transport t (owned from here on, freed on every path)
 * whose deadline runs on loop l, with replies up to max_message bytes.
 * Nothing happens until fconn_bind and fconn_start. MGR_ENOMEM. */
int fconn_new(fconn **cp, struct xport *t, evloop *l, size_t max_message);
/* A frame of len bytes is coming (its first bytes in head[0..hlen)) that
 * would be buffered whole before on_frame: return 0 to buffer it,
 * FCONN_DROP to drop it (its bytes are read and thrown away as they
 * come: the callee answered it), or an MGR_E* code to close c. What lets
 * a manager near its memory limit refuse a big request before holding
 * it. */
#define FCONN_DROP (-1)
/* ... or FCONN_MORE: ask again once more of its first bytes are in (up
 * to 64: a read may end right after the length). */
#define FCONN_MORE (-2)
typedef int (*fconn_big_frame_fn)(
    void *arg, const uint8_t *head, size_t hlen, size_t len);
/* Frames over this many bytes are asked about (fconn_set_big_frame). */
#define FCONN_BIG_FRAME (64 * 1024)
/* Who decides on big frames (NULL: buffer them all); before
 * fconn_start. */
void fconn_set_big_frame(fconn *c, fconn_big_frame_fn fn);
/* Who gets c's frames and its end; before fconn_start. */
void fconn_bind(
    fconn *c, fconn_frame_fn on_frame, fconn_closed_fn on_closed, void *arg);
/* Receiving starts (and with it the end's report). */
void fconn_start(fconn *c);
/* The connection ends with MGR_ETIMEDOUT unless this is called again
 * with ms <= 0 (no deadline) within ms from now, however many bytes come
 * meanwhile: bounds the handshake. Before fconn_start or from on_frame. */
void fconn_set_rx_timeout(fconn *c, int ms);
/* The largest frame c may receive from now on (max_message until then):
 * a bigger one ends c with MGR_ETOOBIG as soon as its length is read.
 * Before fconn_start, or from on_frame. */
void fconn_set_rx_max(fconn *c, size_t n);
/* Once c ended on an oversized first frame: what its bytes looked like
 * (wire_mixed_up), for the log line; else NULL. Static storage. */
const char *fconn_end_why(const fconn *c);
/* Queues m as a frame (written by the rule above). MGR_ECONN when
 * closing, MGR_ETOOBIG over max_message, MGR_ENOMEM. The frame's size
 * goes to *queued when not NULL. Thread-safe. */
int fconn_send_msg(fconn *c, const ProtobufCMessage *m, size_t *queued);
/* Pieces of FCONN_PIN_MIN bytes and more may be sent from where they are. */
#define FCONN_PIN_MIN ((size_t) 1 << 20)
/* Whether the len bytes at data (a piece of a message being queued) may
 * be sent from where they are: then they stay there, unchanged, until
 * *release(*arg), which the connection calls once they are written or
 * dropped, from any thread. */
typedef bool (*fconn_pin_fn)(
    const uint8_t *data, size_t len, void (**release)(void *), void **arg);
/* fconn_send_msg, where the pieces pin claims are queued as they are, not
 * copied: what the caller packs under its lock costs no copy of them. A
 * frame cut by running out of memory ends c (MGR_ENOMEM). */
int fconn_send_msg_pinned(
    fconn *c, const ProtobufCMessage *m, size_t *queued, fconn_pin_fn pin);
/* Queues a frame packed already (its length header included): a
 * recorded reply sent again. As fconn_send_msg. */
int fconn_send_frame(fconn *c, const uint8_t *frame, size_t len);
/* Closes the connection once everything queued has been written. */
void fconn_close_after_send(fconn *c);
/* Closes the connection once what is queued is written, or as soon as the
 * peer's socket takes no more: a peer that stopped reading holds up
 * nothing (a notice it may never read). */
void fconn_close_after_try(fconn *c);
/* Closes the connection (idempotent, thread-safe, by the rule above): its
 * end is reported to on_closed with MGR_ECLOSED. */
void fconn_close(fconn *c);
/* True when the peer has hung up or the connection is closing, even if
 * no event said so yet: the one system call allowed under the server lock
 * (a poll that does not wait; an nng stream whose socket is unknown, such
 * as --listen-nng ipc's when ambiguous, knows only what its last receive
 * said), asked before something is handed to a client that may have
 * died. */
bool fconn_peer_gone(fconn *c);
/* The transport's scheme ("tcp", "tls+tcp", "ws", ...). */
const char *fconn_scheme(const fconn *c);
/* Frees a connection never started, or one that has ended (waits for
 * on_closed to have returned). Not from c's own callbacks. */
void fconn_free(fconn *c);
/* From on_closed: c is freed once on_closed has returned. */
void fconn_free_later(fconn *c);

/* ---- the reply rule, for the server lock's holders ----------------------
 */

/* The write gate: a function every writer of replies calls first, not
 * under the server lock (NULL: none). The data directory's log writes
 * there the records the replies queued so far depend on, and says when
 * they may leave: FCONN_GATE_OPEN now; FCONN_GATE_SHUT never (the log
 * failed: they would acknowledge what it does not hold, so their
 * connections close); any other value is the log's position they wait
 * for: they are held (the thread goes on) until fconn_gate_passed says
 * it was reached. Process-wide. */
#define FCONN_GATE_OPEN ((uint64_t) 0)
#define FCONN_GATE_SHUT UINT64_MAX
void fconn_set_write_gate(uint64_t (*gate)(void));
/* The gate's position reached pos: replies held for it are written (by
 * the calling thread). Not under the server lock. */
void fconn_gate_passed(uint64_t pos);
/* The gate will never pass again (the log failed): connections with
 * replies held close. */
void fconn_gate_failed(void);
/* Writes (and closes) what the calling thread queued. Never under the
 * server lock. */
void fconn_flush_queued(void);
/* Whether the calling thread is serving a read (its queue is written at
 * the end of it, not at each unlock). */
bool fconn_serving(void);

/* Bounds on the replies queued and not yet written (0: leave as is): a
 * connection whose backlog would pass per_connection is closed; while all
 * together pass total, connections with replies waiting are not read.
 * Process-wide, set before serving. */
void fconn_set_reply_limits(size_t per_connection, size_t total);
/* Reply bytes queued and not yet written, in all. */
size_t fconn_reply_bytes_pending(void);

#endif
