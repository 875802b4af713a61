/* A framed connection over an nng stream, used by both sides.
 *
 * Frames are a 4-byte big-endian length and a protobuf message. Receiving
 * runs on nng's callbacks: every complete frame is handed to on_frame as it
 * arrives (several per read when the peer pipelines). Sending packs the
 * message straight into an outgoing buffer; frames queued while a send is
 * in flight go out together in the next one, so a burst of replies costs
 * one write. No thread is parked on either direction.
 */
#ifndef MGR_CONN_H
#define MGR_CONN_H

#include <nng/nng.h>
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fconn fconn;

/* One complete frame (data valid only during the call). Return 0 to go on,
 * or an MGR_E* code to close the connection with that reason. */
typedef int (*fconn_frame_fn)(void *arg, const uint8_t *data, size_t len);
/* Called once, on an nng thread, when the connection ends: err is
 * MGR_ECONN (peer closed, I/O error), MGR_ETOOBIG (frame over the limit),
 * MGR_ETIMEDOUT (receive deadline), MGR_ECLOSED (fconn_close), or the code
 * on_frame returned. No on_frame call follows. */
typedef void (*fconn_closed_fn)(void *arg, int err);

/* Takes ownership of s. Nothing happens until fconn_start. */
int  fconn_new(fconn **cp, nng_stream *s, size_t max_message,
     fconn_frame_fn on_frame, fconn_closed_fn on_closed, void *arg);
/* Starts receiving. */
void fconn_start(fconn *c);
/* Deadline (ms) for each receive from now on; <= 0 none. Used to bound
 * the handshake. Takes effect from the next receive posted. */
void fconn_set_rx_timeout(fconn *c, int ms);
/* Packs m into the send queue and starts sending if idle. MGR_ECONN when
 * closed, MGR_ETOOBIG over the limit, MGR_ENOMEM. Thread-safe. */
int  fconn_send_msg(fconn *c, const ProtobufCMessage *m);
/* Appends len bytes of ready-made frames to the send queue (pipelined
 * requests); as fconn_send_msg otherwise. */
int  fconn_send_raw(fconn *c, const void *data, size_t len);
/* Closes the connection once everything queued has been written. */
void fconn_close_after_send(fconn *c);
/* Closes the connection now (idempotent, thread-safe). */
void fconn_close(fconn *c);
/* Closes and frees; waits for c's callbacks to finish, so it must not be
 * called from one of them (use fconn_free_later). */
void fconn_free(fconn *c);
/* fconn_free on a background thread: safe from c's own callbacks. */
void fconn_free_later(fconn *c);
/* Waits until every connection handed to fconn_free_later is freed. */
void fconn_reap_drain(void);
/* The stream (for options such as the peer's pid). */
nng_stream *fconn_stream(fconn *c);

/* Maps an nng error to an MGR_E* code. */
int nng_to_mgr(int nng_err);

#endif
