/* The protobuf codec of the manager's values (codec.c). */
#ifndef MGR_MANAGER_DATA_CODEC_H
#define MGR_MANAGER_DATA_CODEC_H

#include <stddef.h>

#include "arena.h"
#include "manager.pb-c.h"
#include "value.h"

/* Decodes a protobuf value into *out (owned). References are looked up in
 * store (the hooks' find, value.h): MGR_ENOOBJ for an unknown id. MGR_EPROTO
 * for a malformed value (no kind, dict with unequal keys and values),
 * MGR_ETYPE for an unhashable dict key, MGR_ETOOBIG past SV_MAX_DEPTH. On
 * error *out is SV_NONE and nothing leaks. */
int sv_from_pb(void *store, const Mgr__Value *pb, sval *out);

/* Values from SV_PREPARE_MIN bytes on are copied outside the lock. */
#define SV_PREPARE_MIN ((size_t) 64 << 10)
/* Copies pb's big str and bytes values (nested ones too, up to 16 a
 * request) into their stored form now, on the calling thread, before the
 * server lock: sv_from_pb on this thread then takes them for the same
 * protobuf values instead of copying. sv_prepared_drop frees those not
 * taken; call it once the request is applied, before pb goes. */
void sv_prepare_big(const Mgr__Value *pb);
void sv_prepared_drop(void);

/* Encodes v into *out, allocating protobuf nodes from a. Strings are not
 * copied: *out points into v, so v must outlive the packing of *out. The
 * number of references met goes to *nrefs (when not NULL): a value that
 * leaves the manager gives its receiver a reference to each, which is the
 * session's business (session_encode_value). MGR_ENOMEM, MGR_ETOOBIG. */
int sv_to_pb(const sval *v, arena *a, Mgr__Value *out, size_t *nrefs);

/* Between sv_pins_begin and sv_pins_end, sv_to_pb notes the big strings
 * (BIGMEM_MIN bytes and more) of what it encodes, on this thread, until
 * sv_pins_reset: sv_pin then claims them for the connection layer
 * (fconn_pin_fn), pinned until the release it gives is called. Call
 * sv_pins_reset before the lock that keeps those values is dropped. */
void sv_pins_begin(void);
void sv_pins_end(void);
bool sv_pins_any(void);
void sv_pins_reset(void);
bool sv_pin(
    const uint8_t *data, size_t len, void (**release)(void *), void **arg);

#endif
