/* The manager's figures (stats.h). Rates come from a ring of per-second
 * buckets filled as requests arrive, so nothing wakes up to sample them:
 * a rate over n seconds is what the last n complete seconds counted. */
#include "stats.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cluster.h"
#include "journal.h"
#include "names.h"
#include "sdict.h"
#include "server_state.h"
#include "tls_identity.h"

/* The coarse clock (a few ns, the kernel tick's resolution): once or
 * twice per request, where a second's bucket needs no better. */
static uint64_t
now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t) ts.tv_sec;
}

static stats_second *
bucket_now(stats *st)
{
	uint64_t      sec = now_sec();
	stats_second *b   = &st->ring[sec % STATS_SECONDS];
	if (b->sec != sec) {
		*b = (stats_second) { .sec = sec };
	}
	return b;
}

void
stats_request(server *srv, session *s, size_t bytes)
{
	stats_second *b = bucket_now(&srv->st);
	srv->st.requests++;
	srv->st.bytes_in += bytes;
	b->requests++;
	b->bytes_in += bytes;
	s->requests++;
	s->bytes_in += bytes;
}

void
stats_reply(server *srv, session *s, size_t bytes)
{
	stats_second *b = bucket_now(&srv->st);
	srv->st.bytes_out += bytes;
	b->bytes_out += bytes;
	s->bytes_out += bytes;
}

void
stats_waiter(server *srv, Mgr__ObjType code, int delta)
{
	if ((unsigned) code < STATS_TYPES) {
		srv->st.waiters_by_type[code] += (uint64_t) (int64_t) delta;
	}
}

enum { R_REQUESTS, R_BYTES_IN, R_BYTES_OUT };

/* Per second over the n complete seconds before now. */
static double
rate(const stats *st, int what, unsigned n)
{
	uint64_t now = now_sec(), sum = 0;
	for (unsigned i = 0; i < STATS_SECONDS; i++) {
		const stats_second *b = &st->ring[i];
		if (b->sec < now && b->sec + n >= now && b->sec != 0) {
			sum += what == R_REQUESTS ? b->requests
			    : what == R_BYTES_IN  ? b->bytes_in
			                          : b->bytes_out;
		}
	}
	return (double) sum / n;
}

void
stats_history(server *srv, unsigned n, uint64_t *requests, uint64_t *bytes)
{
	uint64_t now = now_sec();
	for (unsigned i = 0; i < n; i++) {
		uint64_t            sec = now - n + i; // n..1 seconds ago
		const stats_second *b   = &srv->st.ring[sec % STATS_SECONDS];
		bool                hit = b->sec == sec && sec != 0;
		requests[i]             = hit ? b->requests : 0;
		bytes[i] = hit ? b->bytes_in + b->bytes_out : 0;
	}
}

typedef struct builder {
	stats_figure *out;
	size_t        n;
} builder;

static void
add(builder *b, stats_figure f)
{
	if (b->n < STATS_MAX_FIGURES) {
		b->out[b->n++] = f;
	}
}

static void
gauge(builder *b, const char *name, const char *help, uint64_t v)
{
	add(b, (stats_figure) { .name = name, .help = help, .v_int = v });
}

static void
counter(builder *b, const char *name, const char *help, uint64_t v)
{
	add(b,
	    (stats_figure) {
	        .name = name, .help = help, .counter = true, .v_int = v });
}

static void
real(builder *b, const char *name, const char *help, double v)
{
	add(b,
	    (stats_figure) {
	        .name = name, .help = help, .real = true, .v_real = v });
}

/* One figure per object type: name{type="dict"} v; only the containers
 * when sized. */
static void
family(builder *b, const char *name, const char *help,
    const uint64_t v[STATS_TYPES], bool sized)
{
	for (int code = 1; code < STATS_TYPES; code++) {
		const mtype *t = registry_type((Mgr__ObjType) code);
		if (t != NULL && (!sized || t->size != NULL)) {
			stats_figure f = {
				.name = name, .help = help, .v_int = v[code]
			};
			snprintf(f.label, sizeof(f.label), "%s", t->name);
			add(b, f);
		}
	}
}

/* Per member of a cluster: name{node="N"} v. */
static void
member_figure(
    builder *b, const char *name, const char *help, uint64_t node, uint64_t v)
{
	stats_figure f
	    = { .name = name, .help = help, .label_key = "node", .v_int = v };
	snprintf(f.label, sizeof(f.label), "%llu", (unsigned long long) node);
	add(b, f);
}

static void
cluster_stats(builder *b, const cluster_figures *cf)
{
	const raft_node_figures *g      = &cf->group;
	bool                     leader = strcmp(cf->role, "leader") == 0;
	gauge(b, "cluster_node", "This member's id (--node-id)", cf->node);
	gauge(b, "cluster_serving",
	    "1 while this member leads and serves clients", leader);
	gauge(b, "cluster_leader",
	    "The leader's id as this member knows it (0: none)", g->leader);
	counter(b, "cluster_term", "The Raft term", g->term);
	gauge(b, "cluster_members", "Members of the group", g->n);
	counter(b, "cluster_commit_index",
	    "The last entry of the group's log known committed", g->commit);
	counter(b, "cluster_applied_index",
	    "The last entry applied to this member's state", g->applied);
	counter(b, "cluster_last_index",
	    "The last entry in this member's log", g->last);
	gauge(b, "cluster_snapshot_index",
	    "The last entry this member's snapshot covers", g->snapshot);
	uint64_t lag_max = 0;
	for (size_t i = 0; i < g->n; i++) {
		const raft_node_member *m = &g->members[i];
		uint64_t                lag
		    = m->match < g->last && leader ? g->last - m->match : 0;
		lag_max = lag > lag_max ? lag : lag_max;
	}
	gauge(b, "cluster_lag_max",
	    "On the leader: the most entries a member lacks", lag_max);
	counter(b, "cluster_elections_won", "Elections this process won",
	    g->elections_won);
	gauge(b, "cluster_changing",
	    "1 while a membership change is under way (cluster_change says "
	    "which)",
	    g->changing);
	for (size_t i = 0; i < g->n; i++) {
		member_figure(b, "cluster_member_voter",
		    "1: the member votes; 0: it is being caught up (a spare "
		    "or a standby)",
		    g->members[i].id,
		    strcmp(g->members[i].role, "voter") == 0);
	}
	for (size_t i = 0; i < g->n && leader; i++) {
		member_figure(b, "cluster_member_match",
		    "On the leader: the last entry it knows the member holds",
		    g->members[i].id, g->members[i].match);
	}
	for (size_t i = 0; i < g->n && leader; i++) {
		const raft_node_member *m = &g->members[i];
		member_figure(b, "cluster_member_lag",
		    "On the leader: the entries the member lacks", m->id,
		    m->match < g->last ? g->last - m->match : 0);
	}
}

void
stats_note_size(server *srv, mobj *o)
{
	if (o->data == NULL || o->type->size == NULL
	    || (unsigned) o->type->code >= STATS_TYPES) {
		return;
	}
	size_t now = o->type->size(o);
	srv->elements_by_type[o->type->code] += now - o->counted; // mod 2^64
	o->counted = now;
}

void
stats_forget_size(server *srv, mobj *o)
{
	if ((unsigned) o->type->code < STATS_TYPES) {
		srv->elements_by_type[o->type->code] -= o->counted;
	}
	o->counted = 0;
}

size_t
stats_snapshot(server *srv, stats_figure *out)
{
	builder      b  = { .out = out };
	const stats *st = &srv->st;
	uint64_t     rss, peak;
	static const struct {
		const char *name, *help;
		int         what;
		unsigned    secs;
	} rates[] = {
		{ "requests_per_sec_1s", "Requests per second, last 1 s",
		    R_REQUESTS, 1 },
		{ "requests_per_sec_10s", "Requests per second, last 10 s",
		    R_REQUESTS, 10 },
		{ "requests_per_sec_60s", "Requests per second, last 60 s",
		    R_REQUESTS, 60 },
		{ "bytes_in_per_sec_10s",
		    "Bytes received per second, last 10 s", R_BYTES_IN, 10 },
		{ "bytes_out_per_sec_10s", "Bytes sent per second, last 10 s",
		    R_BYTES_OUT, 10 },
	};
	rss  = atomic_load(&srv->rss);
	peak = atomic_load(&srv->rss_peak);

	gauge(&b, "uptime_ms", "Milliseconds since the manager started",
	    (uint64_t) clock_ms() - srv->start_ms);
	gauge(&b, "pid", "The manager's process id", (uint64_t) srv->pid);
	counter(&b, "requests", "Requests received", st->requests);
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		real(&b, rates[i].name, rates[i].help,
		    rate(st, rates[i].what, rates[i].secs));
	}
	counter(&b, "bytes_in", "Bytes received (frames with headers)",
	    st->bytes_in);
	counter(&b, "bytes_out", "Bytes sent in replies", st->bytes_out);
	gauge(&b, "sessions", "Connections open now", srv->nsessions);
	counter(&b, "sessions_total", "Connections accepted",
	    srv->sessions_total);
	counter(&b, "connections_refused",
	    "Connections refused over --max-connections",
	    srv->connections_refused);
	gauge(&b, "max_connections", "The --max-connections limit",
	    srv->lim.max_connections);
	gauge(&b, "handshakes", "Connections not yet authenticated",
	    srv->nhandshakes);
	counter(&b, "handshakes_evicted",
	    "Unauthenticated connections closed to make room",
	    srv->handshakes_evicted);
	gauge(&b, "objects_total", "Live objects", srv->objects.len);
	family(&b, "objects", "Live objects by type", srv->objects_by_type,
	    false);
	family(&b, "elements", "Elements in containers by type",
	    srv->elements_by_type, true);
	gauge(&b, "names", "Named objects", names_count(srv));
	gauge(&b, "waiters", "Parked (blocked) requests", srv->waiters);
	family(&b, "waiters_by_type", "Parked requests by object type",
	    st->waiters_by_type, false);
	counter(&b, "cycles_freed", "Objects freed by cycle collection",
	    srv->gc_freed);
	counter(&b, "tls_resumed",
	    "TLS handshakes that resumed a session from a ticket",
	    tls_identity_resumed());
	gauge(&b, "lock_hold_max_us",
	    "The longest single hold of the server lock, in microseconds "
	    "(what held it: mgr_info's lock_hold_max_op)",
	    srv->lock_hold_max_us);
	gauge(&b, "memory_used", "Bytes allocated (what --max-memory limits)",
	    server_memory(srv));
	gauge(&b, "max_memory", "The --max-memory limit (0: none)",
	    srv->lim.max_memory);
	gauge(&b, "rss", "Resident set size in bytes", rss);
	gauge(&b, "rss_peak", "Peak resident set size in bytes", peak);
	gauge(&b, "reply_bytes_pending", "Reply bytes queued, not yet sent",
	    fconn_reply_bytes_pending());
	journal_figures jf;
	if (journal_figures_of(srv, &jf)) {
		counter(&b, "log_records",
		    "Records appended to --data-dir's log (its last LSN)",
		    jf.records);
		gauge(&b, "log_durable",
		    "The last record durable under --fsync (its LSN)",
		    jf.durable);
		gauge(&b, "log_bytes", "Bytes in the log's live segments",
		    jf.bytes);
		gauge(&b, "log_segments", "The log's live segments",
		    jf.segments);
		counter(
		    &b, "log_syncs", "fdatasync calls on the log", jf.syncs);
		gauge(&b, "log_sync_group_max",
		    "The most records one sync made durable", jf.max_group);
		gauge(&b, "log_sync_lag_us",
		    "The longest a record waited for its sync (always), or "
		    "since the oldest unsynced write, in microseconds",
		    jf.sync_lag_us);
		gauge(&b, "log_last_sync_us",
		    "How long the last sync took, in microseconds",
		    jf.last_sync_us);
		gauge(&b, "log_refusing",
		    "1 while writes are refused (a full disk, a failed log)",
		    jf.refusing);
	}
	cluster_figures cf;
	if (journal_cluster_figures(srv, &cf)) {
		cluster_stats(&b, &cf);
	}
	journal_snapshot_figures sf;
	if (journal_snapshot_figures_of(srv, &sf)) {
		gauge(&b, "snapshot_lsn",
		    "The last record the live snapshot covers (0: none)",
		    sf.lsn);
		gauge(&b, "snapshot_bytes", "The live snapshot's size",
		    sf.bytes);
		gauge(&b, "snapshot_at_ms",
		    "When the last snapshot was made, in Unix milliseconds "
		    "(0: not by this managerd)",
		    sf.at_ms);
		gauge(&b, "snapshot_ms", "How long the last snapshot took",
		    sf.ms);
		counter(&b, "snapshots", "Snapshots made by this managerd",
		    sf.count);
		counter(&b, "snapshot_failures",
		    "Snapshots that could not be made", sf.failures);
		gauge(&b, "snapshot_running",
		    "1 while a snapshot is asked for or being made",
		    sf.running);
	}
	return b.n;
}
