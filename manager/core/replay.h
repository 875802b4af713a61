/* The record of a reconnecting session's replies, by request number
 * (Request.seq), kept until the client has them: a retried request is
 * answered from it, or ignored while its first copy is still under way
 * (a parked waiter answers later), so that every operation, blocking ones
 * included, is applied once (the client sessions of the Raft
 * dissertation, section 6.3).
 *
 * What the client has is counted in replies, not request numbers: every
 * reply frame of the session is numbered as it goes out, and each request
 * says how many the client has read (Request.ack; Auth.received on a
 * resume). So a call parked for an hour holds back nothing but its own
 * entry, and a resumed connection knows which replies the drop lost.
 *
 * One buffer and one sorted array per session, reused: in the steady
 * state (a reply acknowledged by the next request) recording allocates
 * nothing. Pure data. */
#ifndef MGR_MANAGER_CORE_REPLAY_H
#define MGR_MANAGER_CORE_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct replay_entry {
	uint64_t seq;
	size_t   off, len; /* the packed reply frame in buf, once done */
	uint64_t sent;     /* the reply number it went out as; 0: not on
	                    * this connection */
	bool done;
} replay_entry;

typedef struct replay {
	replay_entry *v; /* by seq */
	size_t        n, cap;
	uint8_t      *buf;
	size_t        len, size;
} replay;

/* What a request numbered seq is to the session. */
enum replay_state {
	REPLAY_NEW,     /* not seen, or its reply was read: apply it */
	REPLAY_RUNNING, /* under way (a parked waiter): nothing to do */
	REPLAY_DONE,    /* answered: send the recorded frame again */
};

void replay_init(replay *r);
void replay_fini(replay *r);
/* Forgets the replies numbered up to received (the client read them). */
void replay_ack(replay *r, uint64_t received);
/* A new connection resumed the session, its client having read received
 * replies: those are forgotten, the others count as never sent. */
void replay_resume(replay *r, uint64_t received);
/* seq's state; REPLAY_DONE with its frame in *frame, *len (len 0: the
 * reply was not kept, for lack of memory: the retry must be told, not
 * applied again). */
enum replay_state replay_lookup(
    const replay *r, uint64_t seq, const uint8_t **frame, size_t *len);
/* seq is being applied. MGR_ENOMEM. */
int replay_begin(replay *r, uint64_t seq);
/* Room for seq's reply frame of len bytes, to be packed there (valid
 * until the next call on r), and seq marked done; NULL when seq is not
 * recorded, or out of memory (seq is then done without its frame). */
uint8_t *replay_done(replay *r, uint64_t seq, size_t len);
/* seq's reply went out as reply number sent. */
void replay_sent(replay *r, uint64_t seq, uint64_t sent);
/* Entries kept, and the bytes they take (frames and entries). */
size_t replay_count(const replay *r);
size_t replay_bytes(const replay *r);

#endif
