/* A connection's queued reply bytes as a chain of blocks (conn_tx.h). */
#include <stdlib.h>
#include <string.h>

#include "conn_tx.h"
#include "wire.h"

/* Blocks double from TX_FIRST up to TX_BLOCK_MAX as replies come; a reply
 * bigger than that gets a block of its own size. */
#define TX_FIRST     512
#define TX_BLOCK_MAX (256u << 10)

struct tx_block {
	tx_block      *next;
	size_t         len, cap; /* cap 0: an external block */
	const uint8_t *ext;      /* an external block's bytes, */
	void (*release)(void *); /* let go with release(arg) */
	void   *arg;
	uint8_t data[];
};

static tx_block *
block_new(size_t cap)
{
	if (cap > SIZE_MAX - sizeof(tx_block)) {
		return NULL;
	}
	tx_block *b = malloc(sizeof(tx_block) + cap);
	if (b != NULL) {
		*b     = (tx_block) { 0 };
		b->cap = cap;
	}
	return b;
}

static const uint8_t *
block_bytes(const tx_block *b)
{
	return b->ext != NULL ? b->ext : b->data;
}

static void
block_free(tx_block *b)
{
	if (b->release != NULL) {
		b->release(b->arg);
	}
	free(b);
}

static void
append_block(tx_chain *q, tx_block *b)
{
	if (q->tail != NULL) {
		q->tail->next = b;
	} else {
		q->head = b;
	}
	q->tail = b;
}

/* An empty block kept from the last drain that would stand in the way
 * (too small, or before an external one) goes. */
static void
drop_kept(tx_chain *q)
{
	if (q->len == 0 && q->head != NULL) {
		block_free(q->head);
		q->head = q->tail = NULL;
	}
}

uint8_t *
tx_reserve(tx_chain *q, size_t need)
{
	tx_block *t = q->tail;
	if (t != NULL && t->cap - t->len < need) {
		drop_kept(q);
		t = q->tail;
	}
	if (t == NULL || t->ext != NULL || t->cap - t->len < need) {
		size_t cap  = t != NULL && t->cap > 0 ? t->cap * 2 : TX_FIRST;
		cap         = cap > TX_BLOCK_MAX ? TX_BLOCK_MAX : cap;
		tx_block *b = block_new(need > cap ? need : cap);
		if (b == NULL) {
			return NULL;
		}
		append_block(q, b);
		t = b;
	}
	uint8_t *at = t->data + t->len;
	t->len += need;
	q->len += need;
	return at;
}

int
tx_add_external(tx_chain *q, const uint8_t *data, size_t len,
    void (*release)(void *), void *arg)
{
	tx_block *b = block_new(0);
	if (b == NULL) {
		return -1;
	}
	b->ext     = data;
	b->len     = len;
	b->release = release;
	b->arg     = arg;
	drop_kept(q);
	append_block(q, b);
	q->len += len;
	return 0;
}

const uint8_t *
tx_next(const tx_chain *q, size_t end, size_t *n)
{
	const tx_block *h    = q->head;
	size_t          upto = end < h->len ? end : h->len;
	*n                   = upto > q->off ? upto - q->off : 0;
	return block_bytes(h) + q->off;
}

size_t
tx_written(tx_chain *q, size_t k)
{
	q->off += k;
	size_t gone = 0;
	while (q->head != NULL && q->head->next != NULL
	    && q->off >= q->head->len) {
		tx_block *b = q->head;
		q->head     = b->next;
		q->off -= b->len;
		q->len -= b->len;
		gone += b->len;
		block_free(b);
	}
	return gone;
}

size_t
tx_clear(tx_chain *q, size_t keep_max)
{
	size_t gone = q->len;
	while (q->head != NULL
	    && (q->head->next != NULL || q->head->ext != NULL
	        || q->head->cap > keep_max)) {
		tx_block *b = q->head;
		q->head     = b->next;
		block_free(b);
	}
	if (q->head != NULL) {
		q->head->len = 0;
	}
	q->tail = q->head;
	q->len = q->off = 0;
	return gone;
}

/* Packs a message into a chain piece by piece (protobuf-c's buffer
 * interface). */
typedef struct packer {
	ProtobufCBuffer base;
	tx_chain       *q;
	fconn_pin_fn    pin;
	size_t          added;
	bool            cut; /* out of memory: the frame is cut */
} packer;

static void
packer_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
	packer *p = (packer *) b;
	if (p->cut || len == 0) {
		return;
	}
	void (*release)(void *) = NULL;
	void *arg               = NULL;
	if (len >= FCONN_PIN_MIN && p->pin(data, len, &release, &arg)) {
		if (tx_add_external(p->q, data, len, release, arg) != 0) {
			release(arg);
			p->cut = true;
			return;
		}
	} else {
		uint8_t *at = tx_reserve(p->q, len);
		if (at == NULL) {
			p->cut = true;
			return;
		}
		memcpy(at, data, len);
	}
	p->added += len;
}

size_t
tx_pack(tx_chain *q, const ProtobufCMessage *m, size_t n, fconn_pin_fn pin,
    bool *cut)
{
	uint8_t head[WIRE_HEADER_LEN];
	wire_put_len(head, (uint32_t) n);
	packer p
	    = { .base = { .append = packer_append }, .q = q, .pin = pin };
	packer_append(&p.base, sizeof(head), head);
	protobuf_c_message_pack_to_buffer(m, &p.base);
	*cut = p.cut;
	return p.added;
}

void
tx_free(tx_chain *q)
{
	(void) tx_clear(q, 0);
}
