/* How replies leave for a session: values encoded with the references
 * they carry given to the session, and frames queued on its connection. */
#include <stdio.h>

#include "codec.h"
#include "server_state.h"
#include "session.h"
#include "wire.h"

int
session_encode_value(session *s, const sval *v, arena *a, Mgr__Value *out)
{
	size_t nrefs = 0;
	sv_pins_begin(); // its big strings may be sent from where they are
	int rc = sv_to_pb(v, a, out, &nrefs);
	sv_pins_end();
	// The session's references are taken only once the whole value is
	// encoded, and all or none of them.
	if (rc == 0 && nrefs > 0 && !s->stale_reads) {
		rc = session_ref_add_all(s, v);
	} // a stale-read session's proxies hold nothing (mgr_opts)
	return rc;
}

/* rp (body n bytes), the reply to request seq, goes out on s's
 * connection as its next reply, numbered (what the client's Request.ack
 * counts); a reconnecting session records it first, and a detached one
 * only records it. */
static int
deliver(session *s, uint64_t seq, const Mgr__Reply *rp, size_t n)
{
	bool     record = s->reconnect && seq != 0;
	uint8_t *f      = record
	         ? replay_done(&s->record, seq, n + WIRE_HEADER_LEN)
	         : NULL;
	if (f != NULL) {
		wire_put_len(f, (uint32_t) n);
		protobuf_c_message_pack(&rp->base, f + WIRE_HEADER_LEN);
	}
	if (s->fc == NULL) {
		return 0;
	}
	int rv = f != NULL ? fconn_send_frame(s->fc, f, n + WIRE_HEADER_LEN)
	    : sv_pins_any()
	    ? fconn_send_msg_pinned(s->fc, &rp->base, NULL, sv_pin)
	    : fconn_send_msg(s->fc, &rp->base, NULL);
	// Numbered even when the connection is going (it never arrives; a
	// resume numbers again from what the client read): the number the
	// data directory's log gave it beforehand (session_next_reply).
	s->replies_sent++;
	if (record) {
		replay_sent(&s->record, seq, s->replies_sent);
	}
	return rv;
}

uint64_t
session_next_reply(const session *s)
{
	return s->fc != NULL ? s->replies_sent + 1 : 0;
}

int
session_send_again(session *s, uint64_t seq, const uint8_t *frame, size_t len)
{
	int rv = fconn_send_frame(s->fc, frame, len);
	if (rv == 0) {
		s->replies_sent++;
		replay_sent(&s->record, seq, s->replies_sent);
		stats_reply(s->srv, s, len);
	}
	return rv;
}

/* The one place the reply arena is reset: rp's parts may live there
 * (dispatch's encode, waiter_done), and are no longer needed once it is
 * packed into the connection's buffer (or the session's record). */
int
session_send(session *s, uint64_t seq, const Mgr__Reply *rp)
{
	size_t     n = protobuf_c_message_get_packed_size(&rp->base);
	Mgr__Reply small;
	char       msg[96];
	if (n > s->srv->lim.max_message) {
		// The reply can't travel: say so instead of dropping it.
		snprintf(msg, sizeof(msg),
		    "reply of %zu bytes is over the %zu byte message limit",
		    n, s->srv->lim.max_message);
		small        = (Mgr__Reply) MGR__REPLY__INIT;
		small.id     = rp->id;
		small.status = MGR_ETOOBIG;
		small.error  = msg;
		rp           = &small;
		n            = protobuf_c_message_get_packed_size(&rp->base);
	}
	int rv = deliver(s, seq, rp, n);
	if (rv == 0) {
		stats_reply(s->srv, s, n + WIRE_HEADER_LEN);
	}
	arena_reset(&s->srv->txa);
	sv_pins_reset();
	return rv;
}
