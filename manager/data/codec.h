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

/* Encodes v into *out, allocating protobuf nodes from a. Strings are not
 * copied: *out points into v, so v must outlive the packing of *out. The
 * number of references met goes to *nrefs (when not NULL): a value that
 * leaves the manager gives its receiver a reference to each, which is the
 * session's business (session_encode_value). MGR_ENOMEM, MGR_ETOOBIG. */
int sv_to_pb(const sval *v, arena *a, Mgr__Value *out, size_t *nrefs);

#endif
