/* The condition waits the log saw park and not yet answered
 * (journal_int.h): what a restart parks again for their lock, and what a
 * snapshot holds as LOG_COND_PARKED. The replay keeps them from the
 * records it applies; a cluster's leader, which makes its own snapshots
 * of its live state, from the records it writes. */
#include "journal_int.h"

#include <stdlib.h>
#include <string.h>

void
parked_forget_all(journal *j)
{
	for (size_t i = 0; i < j->nparked; i++) {
		free(j->parked[i].request);
	}
	free(j->parked);
	j->parked  = NULL;
	j->nparked = j->parked_cap = 0;
}

void
parked_forget(journal *j, uint64_t sid, uint64_t seq)
{
	for (size_t i = 0; i < j->nparked;) {
		parked_wait *p = &j->parked[i];
		if (p->session == sid && (seq == 0 || p->seq == seq)) {
			free(p->request);
			*p = j->parked[--j->nparked];
		} else {
			i++;
		}
	}
}

int
parked_add(journal *j, const Mgr__LogRecord *r, const char **why)
{
	Mgr__Request *rq
	    = mgr__request__unpack(NULL, r->request.len, r->request.data);
	if (rq == NULL) {
		*why = "an undecodable wait";
		return MGR_EPROTO;
	}
	uint64_t seq = rq->seq;
	mgr__request__free_unpacked(rq, NULL);
	if (seq == 0) {
		return 0; // its client never retries: nothing to park again
	}
	if (j->nparked == j->parked_cap) {
		size_t       cap = j->parked_cap ? j->parked_cap * 2 : 16;
		parked_wait *np  = realloc(j->parked, cap * sizeof(*np));
		if (np == NULL) {
			*why = "out of memory";
			return MGR_ENOMEM;
		}
		j->parked     = np;
		j->parked_cap = cap;
	}
	parked_wait *p = &j->parked[j->nparked];
	*p             = (parked_wait) { .session = r->session,
		            .seq                  = seq,
		            .depth                = r->depth,
		            .request              = malloc(r->request.len + 1),
		            .len                  = r->request.len };
	if (p->request == NULL) {
		*why = "out of memory";
		return MGR_ENOMEM;
	}
	memcpy(p->request, r->request.data, r->request.len);
	j->nparked++;
	return 0;
}

int
parked_track(journal *j, const Mgr__LogRecord *r, const char **why)
{
	switch (r->kind) {
	case MGR__LOG_KIND__LOG_COND_PARKED:
		return parked_add(j, r, why);
	case MGR__LOG_KIND__LOG_REQUEST:
		if (r->waited != 0) {
			parked_forget(j, r->session, r->waited); // answered
		}
		return 0;
	case MGR__LOG_KIND__LOG_SESSION_END:
		parked_forget(j, r->session, 0);
		return 0;
	default:
		return 0;
	}
}
