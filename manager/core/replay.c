/* The record of a reconnecting session's replies (replay.h): pure data. */
#include "replay.h"

#include <stdlib.h>
#include <string.h>

#include "mgr.h"

void
replay_init(replay *r)
{
	*r = (replay) { 0 };
}

void
replay_fini(replay *r)
{
	free(r->v);
	free(r->buf);
	*r = (replay) { 0 };
}

/* The index of seq in r->v, or where it would go. */
static size_t
find(const replay *r, uint64_t seq)
{
	size_t lo = 0, hi = r->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->v[mid].seq < seq) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

/* Moves the live frames to the front of buf when half of it is dead. */
static void
compact(replay *r)
{
	size_t live = 0;
	for (size_t i = 0; i < r->n; i++) {
		live += r->v[i].done ? r->v[i].len : 0;
	}
	if (live == 0) {
		r->len = 0;
		return;
	}
	if (live * 2 > r->len) {
		return;
	}
	// Frames move down in the order they lie in buf (replies finish out
	// of seq order), so none is overwritten before it moved. Few are
	// unacknowledged at once: the quadratic walk is cheap.
	size_t at = 0, from = 0;
	for (;;) {
		replay_entry *next = NULL;
		for (size_t i = 0; i < r->n; i++) {
			replay_entry *e = &r->v[i];
			if (e->done && e->len > 0 && e->off >= from
			    && (next == NULL || e->off < next->off)) {
				next = e;
			}
		}
		if (next == NULL) {
			break;
		}
		from = next->off + next->len;
		memmove(r->buf + at, r->buf + next->off, next->len);
		next->off = at;
		at += next->len;
	}
	r->len = at;
}

void
replay_ack(replay *r, uint64_t received)
{
	size_t k = 0;
	for (size_t i = 0; i < r->n; i++) {
		const replay_entry *e = &r->v[i];
		if (!(e->done && e->sent != 0 && e->sent <= received)) {
			r->v[k++] = *e;
		}
	}
	if (k != r->n) {
		r->n = k;
		compact(r);
	}
}

void
replay_resume(replay *r, uint64_t received)
{
	replay_ack(r, received);
	for (size_t i = 0; i < r->n; i++) {
		r->v[i].sent = 0;
	}
}

enum replay_state
replay_lookup(
    const replay *r, uint64_t seq, const uint8_t **frame, size_t *len)
{
	size_t i = find(r, seq);
	if (i == r->n || r->v[i].seq != seq) {
		return REPLAY_NEW;
	}
	if (!r->v[i].done) {
		return REPLAY_RUNNING;
	}
	*frame = r->buf + r->v[i].off;
	*len   = r->v[i].len;
	return REPLAY_DONE;
}

int
replay_begin(replay *r, uint64_t seq)
{
	size_t i = find(r, seq);
	if (i < r->n && r->v[i].seq == seq) {
		return 0;
	}
	if (r->n == r->cap) {
		size_t        cap = r->cap ? r->cap * 2 : 16;
		replay_entry *nv  = realloc(r->v, cap * sizeof(*nv));
		if (nv == NULL) {
			return MGR_ENOMEM;
		}
		r->v   = nv;
		r->cap = cap;
	}
	memmove(r->v + i + 1, r->v + i, (r->n - i) * sizeof(*r->v));
	r->v[i] = (replay_entry) { .seq = seq };
	r->n++;
	return 0;
}

uint8_t *
replay_done(replay *r, uint64_t seq, size_t len)
{
	size_t i = find(r, seq);
	if (i == r->n || r->v[i].seq != seq) {
		return NULL; // not recorded (out of memory at its start)
	}
	replay_entry *e = &r->v[i];
	e->done         = true;
	e->off = e->len = 0;
	if (r->size - r->len < len) {
		compact(r);
	}
	if (r->size - r->len < len) {
		size_t size = r->size ? r->size : 4096;
		while (size - r->len < len) {
			size *= 2;
		}
		uint8_t *nb = realloc(r->buf, size);
		if (nb == NULL) {
			return NULL; // done, its reply not kept
		}
		r->buf  = nb;
		r->size = size;
	}
	e->off = r->len;
	e->len = len;
	r->len += len;
	return r->buf + e->off;
}

void
replay_sent(replay *r, uint64_t seq, uint64_t sent)
{
	size_t i = find(r, seq);
	if (i < r->n && r->v[i].seq == seq) {
		r->v[i].sent = sent;
	}
}

size_t
replay_count(const replay *r)
{
	return r->n;
}

size_t
replay_bytes(const replay *r)
{
	return r->len + r->n * sizeof(replay_entry);
}
