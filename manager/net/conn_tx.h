/* A connection's queued reply bytes: a chain of blocks, appended to at
 * the tail and written from the head. A contiguous buffer had to grow by
 * copying everything unwritten (a client pipelining gets of 1 MiB values
 * made the manager copy 31 MiB per 8 MiB queued, under the server lock,
 * into fresh pages), and gave its memory back after each drain; a chain
 * never moves a queued byte, and a written block goes back to the
 * allocator for the next one (as Redis's reply list). Not thread-safe:
 * the connection's mutex guards it. */
#ifndef MGR_NET_CONN_TX_H
#define MGR_NET_CONN_TX_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"

typedef struct tx_block tx_block;

typedef struct tx_chain {
	tx_block *head, *tail;
	size_t    len; /* bytes queued, counted from head's first byte */
	size_t    off; /* of which written (always inside head) */
} tx_chain;

/* Room for need contiguous bytes at the end, counted in len; NULL when
 * out of memory. The bytes are the caller's to fill before the chain is
 * written. */
uint8_t *tx_reserve(tx_chain *q, size_t need);
/* len bytes at data, not the chain's, queued as they are: written from
 * there, then release(arg) once written, dropped or freed. 0, or -1 when
 * out of memory (release not called). */
int tx_add_external(tx_chain *q, const uint8_t *data, size_t len,
    void (*release)(void *), void *arg);
/* m (n bytes packed) as a frame, its length header first, packed piece
 * by piece: a piece of FCONN_PIN_MIN bytes or more that pin claims is
 * queued as an external block, the rest copied. The bytes added: the
 * whole frame, unless memory ran out (*cut: part of it went). */
size_t tx_pack(tx_chain *q, const ProtobufCMessage *m, size_t n,
    fconn_pin_fn pin, bool *cut);
/* The unwritten bytes of the head block up to end (a position counted as
 * len is): *n of them, at the pointer returned. */
const uint8_t *tx_next(const tx_chain *q, size_t end, size_t *n);
/* k bytes were written: a block wholly written and followed by another
 * goes. The bytes it held are returned (the positions of the chain move
 * down by them), 0 if none went. */
size_t tx_written(tx_chain *q, size_t k);
/* Everything written or dropped: empty, keeping one block no bigger than
 * keep_max for the next replies. Returns the bytes the positions moved
 * down by (len before). */
size_t tx_clear(tx_chain *q, size_t keep_max);
void   tx_free(tx_chain *q);

#endif
