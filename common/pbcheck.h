/* The protobuf wire below protobuf-c, for what it does not offer.
 *
 * protobuf-c unpacks nested messages by recursion, without a depth limit:
 * a small frame of deeply nested values would exhaust the stack. pb_check
 * walks the wire bytes first (tags and lengths only, guided by the
 * message descriptors) and refuses what is nested deeper than a limit or
 * malformed at the framing level.
 *
 * The client also writes a few fields by hand (an id in front of a request
 * packed earlier, sub-requests into a batch) and reads a reply's id before
 * unpacking it; the field keys come from the generated descriptors, never
 * from numbers written here. */
#ifndef MGR_COMMON_PBCHECK_H
#define MGR_COMMON_PBCHECK_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when data is well-framed for desc and nests no deeper than
 * max_depth messages. */
bool pb_check(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
    size_t len, int max_depth);

/* pb_check, also false when the frame holds more than max_messages
 * nested messages: a frame of many tiny (or empty) values would unpack to
 * tens of times its size; *over_limit (when not NULL) then says that this
 * limit, not the framing, stopped the walk (the frame may be sound: its
 * sender is told). *bad_text (when not NULL) tells whether a string field
 * is not valid UTF-8 or holds a NUL, which protobuf-c would keep or
 * silently cut: the frame decodes, the request is refused. *messages
 * (when not NULL) gets the nested messages counted. */
bool pb_check_limits(const ProtobufCMessageDescriptor *desc,
    const uint8_t *data, size_t len, int max_depth, size_t max_messages,
    bool *bad_text, bool *over_limit, size_t *messages);

/* The key (field number and wire type) of the field named `field` of
 * desc, as it goes on the wire; 0 when desc has no such field. */
uint32_t pb_field_key(
    const ProtobufCMessageDescriptor *desc, const char *field);
/* Writes v as a varint at p (10 bytes at most); its length. */
size_t pb_put_varint(uint8_t *p, uint64_t v);
/* Reads the varint field that starts data when its key is `key`: true and
 * *v, or false (another field first, or malformed). */
bool pb_peek_varint(
    const uint8_t *data, size_t len, uint32_t key, uint64_t *v);

#endif
