/* How replies leave for a session: values encoded with the references
 * they carry given to the session, and frames queued on its connection. */
#include <stdio.h>

#include "codec.h"
#include "server_state.h"
#include "session.h"

int
session_encode_value(session *s, const sval *v, arena *a, Mgr__Value *out)
{
	size_t nrefs = 0;
	int    rc    = sv_to_pb(v, a, out, &nrefs);
	// The session's references are taken only once the whole value is
	// encoded, and all or none of them.
	if (rc == 0 && nrefs > 0) {
		rc = session_ref_add_all(s, v);
	}
	return rc;
}

/* The one place the reply arena is reset: rp's parts may live there
 * (dispatch's encode, waiter_done), and are no longer needed once it is
 * packed into the connection's buffer. */
int
session_send(session *s, const Mgr__Reply *rp)
{
	size_t n  = 0;
	int    rv = fconn_send_msg(s->fc, &rp->base, &n);
	if (rv == MGR_ETOOBIG) {
		// The reply can't travel: say so instead of dropping it.
		Mgr__Reply small = MGR__REPLY__INIT;
		char       msg[96];
		snprintf(msg, sizeof(msg),
		    "reply of %zu bytes is over the %zu "
		    "byte message limit",
		    protobuf_c_message_get_packed_size(&rp->base),
		    s->srv->lim.max_message);
		small.id     = rp->id;
		small.status = MGR_ETOOBIG;
		small.error  = msg;
		rv           = fconn_send_msg(s->fc, &small.base, &n);
	}
	if (rv == 0) {
		stats_reply(s->srv, s, n);
	}
	arena_reset(&s->srv->txa);
	return rv;
}
