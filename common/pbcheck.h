/* protobuf-c unpacks nested messages by recursion, without a depth limit:
 * a small frame of deeply nested values would exhaust the stack. This
 * walks the wire bytes first (tags and lengths only, guided by the
 * message descriptors) and refuses what is nested deeper than a limit or
 * malformed at the framing level. */
#ifndef MGR_PBCHECK_H
#define MGR_PBCHECK_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when data is well-framed for desc and nests no deeper than
 * max_depth messages. */
bool pb_check(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
    size_t len, int max_depth);

#endif
