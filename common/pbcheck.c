#include "pbcheck.h"

#include "utf8.h"

static bool
varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (*p >= end) {
			return false;
		}
		uint8_t b = *(*p)++;
		v |= (uint64_t) (b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*out = v;
			return true;
		}
	}
	return false;
}

/* What a walk may still meet: messages left before the limit. */
typedef struct walk_budget {
	size_t messages;
	bool   bad_text; /* a string field that is not UTF-8, or has a NUL */
	bool   over;     /* the walk stopped at the messages' limit */
} walk_budget;

static bool
walk(const ProtobufCMessageDescriptor *desc, const uint8_t *p,
    const uint8_t *end, int depth, walk_budget *b)
{
	if (depth <= 0) {
		return false;
	}
	while (p < end) {
		uint64_t tag, n;
		if (!varint(&p, end, &tag)) {
			return false;
		}
		switch (tag & 7) {
		case 0: // varint
			if (!varint(&p, end, &n)) {
				return false;
			}
			break;
		case 1: // 64-bit
			if (end - p < 8) {
				return false;
			}
			p += 8;
			break;
		case 5: // 32-bit
			if (end - p < 4) {
				return false;
			}
			p += 4;
			break;
		case 2: { // length-delimited: maybe a nested message
			if (!varint(&p, end, &n)
			    || n > (uint64_t) (end - p)) {
				return false;
			}
			const ProtobufCFieldDescriptor *f
			    = protobuf_c_message_descriptor_get_field(
			        desc, (unsigned) (tag >> 3));
			// protobuf-c would cut a string at a NUL and keep
			// invalid UTF-8: noted here, where the length is
			// known.
			if (f != NULL && f->type == PROTOBUF_C_TYPE_STRING
			    && !utf8_valid(
			        (const char *) p, (size_t) n, false)) {
				b->bad_text = true;
			}
			if (f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE) {
				// Each nested message costs its unpacked
				// struct (tens of bytes) however few bytes
				// it takes on the wire: counted.
				if (b->messages == 0) {
					b->over = true;
					return false;
				}
				b->messages--;
				if (!walk(f->descriptor, p, p + n, depth - 1,
				        b)) {
					return false;
				}
			}
			p += n;
			break;
		}
		default: // groups (3, 4) are not used by our schema
			return false;
		}
	}
	return true;
}

bool
pb_check(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
    size_t len, int max_depth)
{
	return pb_check_limits(
	    desc, data, len, max_depth, SIZE_MAX, NULL, NULL, NULL);
}

bool
pb_check_limits(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
    size_t len, int max_depth, size_t max_messages, bool *bad_text,
    bool *over_limit, size_t *messages)
{
	walk_budget b  = { .messages = max_messages };
	bool        ok = walk(desc, data, data + len, max_depth, &b);
	if (bad_text != NULL) {
		*bad_text = b.bad_text;
	}
	if (over_limit != NULL) {
		*over_limit = b.over;
	}
	if (messages != NULL) {
		*messages = max_messages - b.messages;
	}
	return ok;
}

uint32_t
pb_field_key(const ProtobufCMessageDescriptor *desc, const char *field)
{
	const ProtobufCFieldDescriptor *f
	    = protobuf_c_message_descriptor_get_field_by_name(desc, field);
	if (f == NULL) {
		return 0;
	}
	uint32_t wire;
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
		wire = 2;
		break;
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		wire = 1;
		break;
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		wire = 5;
		break;
	default: // the varint kinds: ints, bool, enum
		wire = 0;
		break;
	}
	return (f->id << 3) | wire;
}

size_t
pb_put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t) v;
	return n;
}

bool
pb_peek_varint(const uint8_t *data, size_t len, uint32_t key, uint64_t *v)
{
	const uint8_t *p = data, *end = data + len;
	uint64_t       k;
	return varint(&p, end, &k) && k == key && varint(&p, end, v);
}
