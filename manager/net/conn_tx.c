/* A connection's queued reply bytes as a chain of blocks (conn_tx.h). */
#include <stdlib.h>

#include "conn_tx.h"

/* Blocks double from TX_FIRST up to TX_BLOCK_MAX as replies come; a reply
 * bigger than that gets a block of its own size. */
#define TX_FIRST     512
#define TX_BLOCK_MAX (256u << 10)

struct tx_block {
	tx_block *next;
	size_t    len, cap;
	uint8_t   data[];
};

static tx_block *
block_new(size_t cap)
{
	if (cap > SIZE_MAX - sizeof(tx_block)) {
		return NULL;
	}
	tx_block *b = malloc(sizeof(tx_block) + cap);
	if (b != NULL) {
		b->next = NULL;
		b->len  = 0;
		b->cap  = cap;
	}
	return b;
}

uint8_t *
tx_reserve(tx_chain *q, size_t need)
{
	tx_block *t = q->tail;
	if (t != NULL && t->cap - t->len < need && q->len == 0) {
		// An empty block kept from the last drain, too small.
		free(t);
		q->head = q->tail = t = NULL;
	}
	if (t == NULL || t->cap - t->len < need) {
		size_t cap  = t != NULL ? t->cap * 2 : TX_FIRST;
		cap         = cap > TX_BLOCK_MAX ? TX_BLOCK_MAX : cap;
		tx_block *b = block_new(need > cap ? need : cap);
		if (b == NULL) {
			return NULL;
		}
		if (t != NULL) {
			t->next = b;
		} else {
			q->head = b;
		}
		q->tail = t = b;
	}
	uint8_t *at = t->data + t->len;
	t->len += need;
	q->len += need;
	return at;
}

const uint8_t *
tx_next(const tx_chain *q, size_t end, size_t *n)
{
	const tx_block *h    = q->head;
	size_t          upto = end < h->len ? end : h->len;
	*n                   = upto > q->off ? upto - q->off : 0;
	return h->data + q->off;
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
		free(b);
	}
	return gone;
}

size_t
tx_clear(tx_chain *q, size_t keep_max)
{
	size_t gone = q->len;
	while (q->head != NULL
	    && (q->head->next != NULL || q->head->cap > keep_max)) {
		tx_block *b = q->head;
		q->head     = b->next;
		free(b);
	}
	if (q->head != NULL) {
		q->head->len = 0;
	}
	q->tail = q->head;
	q->len = q->off = 0;
	return gone;
}

void
tx_free(tx_chain *q)
{
	(void) tx_clear(q, 0);
}
