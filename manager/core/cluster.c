/* managerd --cluster (cluster.h): the journal's records in the Raft group's
 * entries, the entries applied on the followers, and who serves.
 *
 * An entry is a batch of records:
 *   u32 "MGRC", u32 format version (1), u64 the incarnation of the
 *   process that made it (random at start), u64 the LSN of its first
 *   record in that process, u32 its count of records, u32 zero; then each
 *   record as u32 length and its bytes; zeros to a multiple of 8 (the
 *   engine refuses other lengths). Integers little-endian.
 * The leader applied its own entries' records before it proposed them:
 * applying them again is skipped, and their commit lets their replies go.
 * Every other entry's records are applied as a restart replays a log. */
#include "cluster.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "clock.h"
#include "conn.h"
#include "journal_int.h"
#include "le.h"
#include "log.h"
#include "raft_node.h"

#define ENTRY_MAGIC   0x4352474du /* "MGRC" */
#define ENTRY_VERSION 1u
#define ENTRY_HEAD    32u
/* Entries a leader has out at once. Records made while they are out
 * gather into the next: on a disk that syncs a few thousand times a
 * second, one sync carries every writer's records (group commit). */
#define MAX_INFLIGHT 1u

struct cluster {
	journal_sink sink; /* what the journal calls (journal.h) */
	server      *srv;
	journal     *j;
	raft_node   *rn;
	cluster_opts o;
	char         dir[4096];
	char         addrbuf[CLUSTER_MAX_MEMBERS][256];
	uint64_t     incarnation;

	/* the batch being made: records appended under the server lock,
	 * handed on by whoever flushes */
	pthread_mutex_t bmtx;
	uint8_t        *buf; /* raft_node_alloc's; ENTRY_HEAD bytes first */
	size_t          len, cap;
	uint32_t        count;
	uint64_t        first_lsn;
	uint64_t        last_lsn; /* the last record appended */
	bool            lost;     /* a record could not be kept */
	uint32_t        inflight; /* entries proposed, not yet committed */

	atomic_uint_least64_t committed; /* of this process's records */
	atomic_bool           promoted;  /* serving clients */
	atomic_bool           leading;   /* the group's leader (maybe not
	                                    serving yet) */
	atomic_bool started;             /* rn is set (cluster_start) */
	/* the group's thread only */
	uint64_t applied_entries; /* command entries and snapshots applied */
	uint64_t snap_bytes;      /* the last snapshot's size */
	uint64_t log_bytes;       /* of the entries applied since */

	pthread_mutex_t imtx;             /* what follows */
	char            urls[512];        /* where this member serves */
	uint64_t        leader_node;      /* the last LOG_LEADER's */
	char            leader_urls[512]; /* and where it serves */
	char            why[512];
};

/* The journal's side (journal_sink), defined below. */
static void cluster_noted_leader(void *arg, uint64_t node, const char *urls);
static bool cluster_redirect(void *arg, char *leader, size_t cap);
static bool cluster_figures_of(void *arg, cluster_figures *f);
static int  cluster_change(
     void *arg, uint64_t id, const char *addr, char *why, size_t whycap);
static void cluster_stop(void *arg);
static void cluster_close(void *arg);

static cluster *
cluster_of(server *srv)
{
	journal *j = srv->journal;
	return j != NULL && j->sink != NULL ? j->sink->arg : NULL;
}

/* ---- the options --------------------------------------------------------
 */

int
cluster_parse(const char *list, cluster_opts *o, char *buf, size_t cap,
    char *why, size_t whycap)
{
	if (strlen(list) >= cap) {
		snprintf(why, whycap, "--cluster: too long");
		return MGR_EINVAL;
	}
	snprintf(buf, cap, "%s", list);
	o->n = 0;
	for (char *save = NULL, *item = strtok_r(buf, ",", &save);
	     item != NULL; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		char *end;
		if (eq == NULL) {
			snprintf(why, whycap,
			    "--cluster: \"%s\" is not ID=HOST:PORT", item);
			return MGR_EINVAL;
		}
		*eq                     = '\0';
		errno                   = 0;
		unsigned long long id   = strtoull(item, &end, 10);
		char              *addr = eq + 1;
		if (strncmp(addr, "tcp://", 6) == 0) {
			addr += 6;
		}
		char *colon = strrchr(addr, ':');
		if (errno != 0 || *end != '\0' || end == item || id == 0
		    || colon == NULL || colon == addr || colon[1] == '\0') {
			snprintf(why, whycap,
			    "--cluster: \"%s=%s\" is not ID=HOST:PORT (an id "
			    "from 1)",
			    item, eq + 1);
			return MGR_EINVAL;
		}
		if (o->n == CLUSTER_MAX_MEMBERS) {
			snprintf(why, whycap, "--cluster: at most %d members",
			    CLUSTER_MAX_MEMBERS);
			return MGR_EINVAL;
		}
		for (size_t i = 0; i < o->n; i++) {
			if (o->ids[i] == id
			    || strcmp(o->addrs[i], addr) == 0) {
				snprintf(why, whycap,
				    "--cluster: member %llu or %s given "
				    "twice",
				    id, addr);
				return MGR_EINVAL;
			}
		}
		o->ids[o->n]   = id;
		o->addrs[o->n] = addr;
		o->n++;
	}
	if (o->n == 0) {
		snprintf(why, whycap, "--cluster: no member");
		return MGR_EINVAL;
	}
	return 0;
}

/* ---- records into batches -----------------------------------------------
 */

/* A record of n bytes, written by fill, into the batch being made: its
 * LSN, or 0 (out of memory: lost). cl->bmtx held. */
static uint64_t
append_locked(
    cluster *cl, size_t n, void (*fill)(void *, uint8_t *), void *fill_arg)
{
	size_t need = (cl->len ? cl->len : ENTRY_HEAD) + 4 + n + 8;
	if (need > cl->cap) {
		size_t cap = cl->cap ? cl->cap : 4096;
		while (cap < need) {
			cap *= 2;
		}
		uint8_t *nb = raft_node_realloc(cl->buf, cap);
		if (nb == NULL) {
			cl->lost = true;
			return 0;
		}
		cl->buf = nb;
		cl->cap = cap;
	}
	if (cl->len == 0) {
		cl->len       = ENTRY_HEAD;
		cl->count     = 0;
		cl->first_lsn = cl->last_lsn + 1;
	}
	put32(cl->buf + cl->len, (uint32_t) n);
	fill(fill_arg, cl->buf + cl->len + 4);
	cl->len += 4 + n;
	cl->count++;
	return ++cl->last_lsn;
}

static uint64_t
cluster_append_with(void *arg, size_t                 n,
    void (*fill)(void *fill_arg, uint8_t *dst), void *fill_arg)
{
	cluster *cl = arg;
	pthread_mutex_lock(&cl->bmtx);
	uint64_t lsn = append_locked(cl, n, fill, fill_arg);
	pthread_mutex_unlock(&cl->bmtx);
	return lsn;
}

/* Hands the batch on to the group (cl->bmtx held). */
static void hand_on_locked(cluster *cl);

/* Hands on what was gathered (when no entry is out): after a record
 * that could not be kept, the leader starts again (its state holds what
 * the group will not). cl->bmtx taken here. */
static void
cluster_flush(cluster *cl)
{
	pthread_mutex_lock(&cl->bmtx);
	hand_on_locked(cl);
	bool lost = cl->lost;
	pthread_mutex_unlock(&cl->bmtx);
	if (lost && atomic_load(&cl->promoted)) {
		cl->o.restart("a record could not be kept (out of memory)");
	}
}

static void
nothing(void *arg, uint8_t *dst)
{
	(void) arg;
	(void) dst;
}

static uint64_t
cluster_gate(void *arg, uint64_t *committed)
{
	cluster *cl = arg;
	// Replies leave once an entry proposed after they were made is
	// committed: that proves this member still leads, so that what
	// they read is what the group holds (a leader cut off from the
	// others would answer from a state that moved on without it).
	// Records made this pass, or gathered for the next entry, are in
	// such an entry; without any, an empty record is.
	uint64_t want = 0;
	if (atomic_load(&cl->promoted)) {
		pthread_mutex_lock(&cl->bmtx);
		if (cl->len == 0) {
			(void) append_locked(cl, 0, nothing, NULL);
		}
		want = cl->last_lsn;
		pthread_mutex_unlock(&cl->bmtx);
	}
	cluster_flush(cl);
	*committed = atomic_load(&cl->committed);
	return want;
}

static void
hand_on_locked(cluster *cl)
{
	if (cl->len > 0 && atomic_load(&cl->promoted)
	    && cl->inflight < MAX_INFLIGHT) {
		uint8_t *b   = cl->buf;
		size_t   len = (cl->len + 7) & ~(size_t) 7;
		memset(b + cl->len, 0, len - cl->len);
		put32(b, ENTRY_MAGIC);
		put32(b + 4, ENTRY_VERSION);
		put64(b + 8, cl->incarnation);
		put64(b + 16, cl->first_lsn);
		put32(b + 24, cl->count);
		put32(b + 28, 0);
		cl->buf = NULL;
		cl->len = cl->cap = 0;
		// In LSN order: the next batch is handed on after this one.
		if (raft_node_submit(cl->rn, b, len) != 0) {
			cl->lost = true;
		} else {
			cl->inflight++;
		}
	}
}

/* ---- the group's side (its thread) ------------------------------------- */

/* This member's state cannot follow the group's log any more (a record
 * that does not apply, a snapshot that does not load): it stops, said
 * in the log, rather than serve a state the others do not have (etcd
 * does the same). Never returns. */
static _Noreturn void
stop_member(cluster *cl)
{
	log_msg(LOG_ERROR,
	    "cluster: node %llu stops: its state no longer follows the "
	    "group's log (see above); start it on an empty --data-dir to "
	    "copy the state from the leader",
	    (unsigned long long) cl->o.node_id);
	_exit(70);
}

/* Starts this process again from the group's log (never returns). */
static void
restart(cluster *cl, const char *why)
{
	log_msg(LOG_WARN,
	    "cluster: node %llu: %s: starting again from the "
	    "group's log",
	    (unsigned long long) cl->o.node_id, why);
	cl->o.restart(why);
}

static int
apply_entry(void *arg, uint64_t index, const uint8_t *p, size_t n)
{
	cluster *cl = arg;
	cl->log_bytes += n;
	if (n < ENTRY_HEAD || get32(p) != ENTRY_MAGIC
	    || get32(p + 4) != ENTRY_VERSION) {
		log_msg(LOG_ERROR,
		    "cluster: entry %llu is not a batch of records this "
		    "managerd knows (%zu bytes)",
		    (unsigned long long) index, n);
		stop_member(cl);
	}
	uint64_t inc   = get64(p + 8);
	uint64_t first = get64(p + 16);
	uint32_t count = get32(p + 24);
	if (inc == cl->incarnation) {
		// Applied when they were made: their replies may go.
		uint64_t upto = first + count - 1;
		atomic_store(&cl->committed, upto);
		fconn_gate_passed(upto);
		pthread_mutex_lock(&cl->bmtx);
		cl->inflight--;
		hand_on_locked(cl); // what gathered while this one was out
		pthread_mutex_unlock(&cl->bmtx);
		return 0;
	}
	if (atomic_load(&cl->promoted)) {
		// Another leader's entry: this one was deposed (a pause, a
		// partition) before its tick noticed, and its state may hold
		// records the group dropped.
		restart(cl, "another member leads now");
	}
	cl->applied_entries++;
	size_t off = ENTRY_HEAD;
	for (uint32_t i = 0; i < count; i++) {
		uint32_t len;
		if (off + 4 > n || (len = get32(p + off)) > n - off - 4) {
			log_msg(LOG_ERROR,
			    "cluster: entry %llu: record %u runs past its "
			    "end",
			    (unsigned long long) index, i);
			stop_member(cl); // never returns
		}
		if (len == 0) {
			off += 4; // a reply's proof of leadership
			          // (cluster_gate)
			continue;
		}
		char why[400] = "";
		cl->j->why    = why;
		cl->j->whycap = sizeof(why);
		int rv        = journal_replay_record(
		           cl->j, first + i, p + off + 4, len);
		cl->j->why = NULL;
		if (rv != 0) {
			log_msg(LOG_ERROR, "cluster: entry %llu: %s",
			    (unsigned long long) index, why);
			stop_member(cl);
		}
		off += 4 + len;
	}
	return 0;
}

/* The snapshot's records into a buffer: each a u32 length and its bytes. */
typedef struct snap_buf {
	uint8_t *p;
	size_t   len, cap;
} snap_buf;

static int
emit_to_buf(void *arg, const uint8_t *p, size_t n)
{
	snap_buf *b = arg;
	if (b->len + 4 + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1 << 16;
		while (cap < b->len + 4 + n) {
			cap *= 2;
		}
		uint8_t *nb = raft_node_realloc(b->p, cap);
		if (nb == NULL) {
			return MGR_ENOMEM;
		}
		b->p   = nb;
		b->cap = cap;
	}
	put32(b->p + b->len, (uint32_t) n);
	memcpy(b->p + b->len + 4, p, n);
	b->len += 4 + n;
	return 0;
}

static int
take_snapshot(void *arg, uint8_t **out, size_t *n)
{
	cluster *cl  = arg;
	server  *srv = cl->srv;
	snap_buf b   = { 0 };
	char     why[300];
	// Not before the log since the last one is as big as it (Redis's
	// rewrite at 100% growth, as --data-dir's --snapshot-after): a
	// snapshot costs its size in time under the lock and on disk, so
	// the cost per byte logged stays bounded whatever the state's size.
	if (cl->log_bytes < cl->snap_bytes) {
		return MGR_ESTATE; // asked again after a later entry
	}
	server_lock(srv);
	// A serving leader's state holds records not committed yet: its
	// snapshot must be of the committed ones only, so it waits until
	// every record made is.
	pthread_mutex_lock(&cl->bmtx);
	bool busy = atomic_load(&cl->promoted)
	    && (cl->len > 0 || atomic_load(&cl->committed) != cl->last_lsn);
	uint64_t lsn = cl->last_lsn;
	pthread_mutex_unlock(&cl->bmtx);
	int rv = busy
	    ? MGR_ESTATE
	    : snapshot_save(cl->j, lsn, emit_to_buf, &b, why, sizeof(why));
	server_unlock(srv);
	if (rv != 0) {
		if (!busy) {
			log_msg(LOG_WARN, "cluster: no snapshot: %s", why);
		}
		raft_node_free(b.p);
		return rv;
	}
	*out           = b.p;
	*n             = b.len;
	cl->snap_bytes = b.len;
	cl->log_bytes  = 0;
	return 0;
}

static int
restore_snapshot(void *arg, const uint8_t *p, size_t n)
{
	cluster *cl = arg;
	if (cl->applied_entries > 0) {
		// The state cannot be emptied in place: the next process
		// loads the snapshot the group just stored.
		restart(cl,
		    "the leader sent a snapshot in place of entries "
		    "this node lacks");
	}
	cl->applied_entries++;
	char why[400] = "";
	cl->j->why    = why;
	cl->j->whycap = sizeof(why);
	int rv        = 0;
	for (size_t off = 0; rv == 0 && off < n;) {
		uint32_t len;
		if (off + 4 > n || (len = get32(p + off)) > n - off - 4) {
			snprintf(why, sizeof(why), "it runs past its end");
			rv = MGR_EPROTO;
			break;
		}
		rv = journal_replay_record(cl->j, 0, p + off + 4, len);
		off += 4 + len;
	}
	cl->j->why = NULL;
	if (rv == 0 && cl->j->snap != NULL) {
		snprintf(why, sizeof(why), "it ends before its last record");
		rv = MGR_EPROTO;
	}
	if (rv != 0) {
		log_msg(LOG_ERROR, "cluster: a snapshot cannot be loaded: %s",
		    why);
		stop_member(cl);
	}
	cl->snap_bytes = n;
	cl->log_bytes  = 0;
	server_lock(cl->srv);
	size_t objects = cl->srv->objects.len;
	server_unlock(cl->srv);
	log_msg(LOG_INFO,
	    "cluster: node %llu loaded a snapshot of %zu bytes (%zu "
	    "objects)",
	    (unsigned long long) cl->o.node_id, n, objects);
	return 0;
}

/* What this member asked of the group's log once it leads: every entry
 * before is applied; the sessions settle; it serves. */
static void
promote(cluster *cl)
{
	server  *srv = cl->srv;
	journal *j   = cl->j;
	server_lock(srv);
	j->replaying = false; // leases run from now (journal_settle)
	if (cl->applied_entries == 0) {
		// A new group: the objects' secrets from here on.
		Mgr__LogRecord r  = MGR__LOG_RECORD__INIT;
		r.kind            = MGR__LOG_KIND__LOG_START;
		r.secret_key.data = (uint8_t *) srv->secret_key;
		r.secret_key.len  = sizeof(srv->secret_key);
		journal_put(j, &r, true);
	}
	server_unlock(srv);
	journal_settle(j);
	server_lock(srv);
	Mgr__LogRecord r = MGR__LOG_RECORD__INIT;
	r.kind           = MGR__LOG_KIND__LOG_LEADER;
	r.node           = cl->o.node_id;
	pthread_mutex_lock(&cl->imtx);
	char urls[sizeof(cl->urls)];
	snprintf(urls, sizeof(urls), "%s", cl->urls);
	pthread_mutex_unlock(&cl->imtx);
	r.urls = urls;
	journal_put(j, &r, true);
	srv->lock_hold_max_us    = 0;
	srv->lock_hold_max_by[0] = '\0';
	size_t objects = srv->objects.len, sessions = srv->nsessions;
	server_unlock(srv);
	journal_gate(j);
	atomic_store(&cl->promoted, true);
	cluster_flush(cl);
	log_msg(LOG_INFO,
	    "cluster: node %llu leads: serving at %s (%zu objects, %zu "
	    "sessions waiting for their clients)",
	    (unsigned long long) cl->o.node_id, urls, objects, sessions);
}

static void
on_role(void *arg, bool leader, uint64_t term)
{
	cluster *cl = arg;
	atomic_store(&cl->leading, leader);
	if (leader) {
		log_msg(LOG_INFO,
		    "cluster: node %llu elected in term %llu: applying "
		    "what came before",
		    (unsigned long long) cl->o.node_id,
		    (unsigned long long) term);
		raft_node_barrier(cl->rn);
	} else if (atomic_load(&cl->promoted)) {
		restart(cl, "no longer the leader");
	}
}

static void
on_barrier(void *arg, bool ok)
{
	cluster *cl = arg;
	if (ok && atomic_load(&cl->leading) && !atomic_load(&cl->promoted)) {
		promote(cl);
	}
}

static void
on_submit_failed(void *arg, const char *why)
{
	cluster *cl = arg;
	if (atomic_load(&cl->promoted)) {
		char w[200];
		snprintf(
		    w, sizeof(w), "an entry was not committed (%s)", why);
		restart(cl, w);
	}
}

static void
on_tick(void *arg)
{
	cluster *cl = arg;
	// Records no reply waits for (a lease that ran out, a wait that
	// timed out) go out too.
	if (atomic_load(&cl->promoted)) {
		cluster_flush(cl);
	}
}

/* ---- opening and closing ------------------------------------------------
 */

int
cluster_open(server *srv, const cluster_opts *o, char *why, size_t whycap)
{
	bool self = false;
	for (size_t i = 0; i < o->n; i++) {
		self = self || o->ids[i] == o->node_id;
	}
	if (!self) {
		snprintf(why, whycap,
		    "--node-id %llu is not one of --cluster's members",
		    (unsigned long long) o->node_id);
		return MGR_EINVAL;
	}
	// A request is a record: one frame over the log's limit is refused
	// as it comes, as with --data-dir.
	size_t most = WAL_MAX_RECORD - 4096;
	if (srv->lim.max_message > most) {
		log_msg(srv->lim.max_message > WAL_MAX_RECORD ? LOG_WARN
		                                              : LOG_INFO,
		    "--max-message %zu: %zu with --cluster (what one record "
		    "of "
		    "its log takes)",
		    srv->lim.max_message, most);
		srv->lim.max_message = most;
	}
	cluster *cl = calloc(1, sizeof(*cl));
	if (cl == NULL) {
		snprintf(why, whycap, "out of memory");
		return MGR_ENOMEM;
	}
	cl->srv = srv;
	cl->o   = *o;
	snprintf(cl->dir, sizeof(cl->dir), "%s", o->dir);
	cl->o.dir = cl->dir;
	for (size_t i = 0; i < o->n; i++) {
		snprintf(cl->addrbuf[i], sizeof(cl->addrbuf[i]), "%s",
		    o->addrs[i]);
		cl->o.addrs[i] = cl->addrbuf[i];
	}
	pthread_mutex_init(&cl->bmtx, NULL);
	pthread_mutex_init(&cl->imtx, NULL);
	if (auth_random((uint8_t *) &cl->incarnation, sizeof(cl->incarnation))
	    != 0) {
		snprintf(why, whycap, "no randomness for the incarnation");
		free(cl);
		return MGR_EINTERNAL;
	}
	journal *j = journal_attach(srv, 0, why, whycap);
	if (j == NULL) {
		free(cl);
		return MGR_ENOMEM;
	}
	cl->sink = (journal_sink) { .arg = cl,
		.append_with             = cluster_append_with,
		.gate                    = cluster_gate,
		.noted_leader            = cluster_noted_leader,
		.redirect                = cluster_redirect,
		.figures                 = cluster_figures_of,
		.change                  = cluster_change,
		.stop                    = cluster_stop,
		.close                   = cluster_close };
	server_lock(srv);
	j->why  = NULL;
	j->sink = &cl->sink;
	cl->j   = j;
	server_unlock(srv);
	return 0;
}

int
cluster_start(server *srv, const char *urls, char *why, size_t whycap)
{
	cluster *cl = cluster_of(srv);
	if (cl == NULL) {
		snprintf(why, whycap, "no cluster");
		return MGR_ESTATE;
	}
	pthread_mutex_lock(&cl->imtx);
	snprintf(cl->urls, sizeof(cl->urls), "%s", urls);
	pthread_mutex_unlock(&cl->imtx);
	char rdir[4200];
	snprintf(rdir, sizeof(rdir), "%s/raft", cl->dir);
	raft_node_opts ro = { .id   = cl->o.node_id,
		.dir                = rdir,
		.n                  = cl->o.n,
		.election_ms        = cl->o.election_ms,
		.key                = srv->key,
		.keylen             = srv->keylen,
		.snapshot_threshold = cl->o.snapshot_entries,
		.join               = cl->o.join,
		.snapshot_trailing
		= cl->o.snapshot_entries != 0 && cl->o.snapshot_entries < 1024
		    ? cl->o.snapshot_entries / 2
		    : 0 };
	for (size_t i = 0; i < cl->o.n; i++) {
		ro.ids[i]   = cl->o.ids[i];
		ro.addrs[i] = cl->o.addrs[i];
	}
	raft_node_ops ops = { .arg = cl,
		.apply             = apply_entry,
		.snapshot          = take_snapshot,
		.restore           = restore_snapshot,
		.role              = on_role,
		.barrier_done      = on_barrier,
		.submit_failed     = on_submit_failed,
		.tick              = on_tick };
	if (mkdir(cl->dir, 0700) != 0 && errno != EEXIST) {
		snprintf(why, whycap, "%s: %s", cl->dir, strerror(errno));
		return MGR_EINTERNAL;
	}
	int rv = raft_node_start(&cl->rn, &ro, &ops, why, whycap);
	if (rv == 0) {
		atomic_store(&cl->started, true);
		log_msg(LOG_INFO,
		    "cluster: node %llu of %zu started (the group's log in "
		    "%s)",
		    (unsigned long long) cl->o.node_id, cl->o.n, rdir);
	}
	return rv;
}

static void
cluster_stop(void *arg)
{
	cluster *cl = arg;
	if (cl != NULL && atomic_exchange(&cl->started, false)) {
		// Nothing is applied from here on: the sessions may close.
		atomic_store(&cl->promoted, false);
		raft_node_stop(cl->rn);
		cl->rn = NULL;
	}
}

static void
cluster_close(void *arg)
{
	cluster *cl = arg;
	if (cl == NULL) {
		return;
	}
	// Replies held for records never committed are dropped with their
	// connections, as the stop drops them.
	cluster_stop(cl);
	journal_replay_forget(cl->j);
	raft_node_free(cl->buf);
	pthread_mutex_destroy(&cl->bmtx);
	pthread_mutex_destroy(&cl->imtx);
	free(cl);
}

static void
cluster_noted_leader(void *arg, uint64_t node, const char *urls)
{
	cluster *cl = arg;
	pthread_mutex_lock(&cl->imtx);
	cl->leader_node = node;
	snprintf(cl->leader_urls, sizeof(cl->leader_urls), "%s",
	    urls != NULL ? urls : "");
	pthread_mutex_unlock(&cl->imtx);
}

static bool
cluster_redirect(void *arg, char *leader, size_t cap)
{
	cluster *cl = arg;
	if (atomic_load(&cl->promoted)) {
		return false;
	}
	leader[0] = '\0';
	if (!atomic_load(&cl->started)) {
		return true;
	}
	raft_node_figures f;
	raft_node_figures_of(cl->rn, &f);
	pthread_mutex_lock(&cl->imtx);
	if (f.leader != 0 && f.leader == cl->leader_node
	    && f.leader != cl->o.node_id) {
		snprintf(leader, cap, "%s", cl->leader_urls);
	}
	pthread_mutex_unlock(&cl->imtx);
	return true;
}

static bool
cluster_figures_of(void *arg, cluster_figures *f)
{
	cluster *cl = arg;
	if (!atomic_load(&cl->started)) {
		return false;
	}
	raft_node_figures r;
	raft_node_figures_of(cl->rn, &r);
	*f = (cluster_figures) { .node = cl->o.node_id,
		.role                  = atomic_load(&cl->promoted) ? "leader"
		                     : strcmp(r.state, "leader") == 0 ? "starting"
		                                                      : r.state,
		.group                 = r };
	pthread_mutex_lock(&cl->imtx);
	if (r.leader == cl->leader_node || r.leader == cl->o.node_id) {
		snprintf(f->leader_urls, sizeof(f->leader_urls), "%s",
		    r.leader == cl->o.node_id ? cl->urls : cl->leader_urls);
	}
	pthread_mutex_unlock(&cl->imtx);
	return true;
}

static int
cluster_change(
    void *arg, uint64_t id, const char *addr, char *why, size_t whycap)
{
	cluster *cl = arg;
	if (!atomic_load(&cl->promoted)) {
		snprintf(why, whycap,
		    "this member does not serve: ask the leader");
		return MGR_ESTATE;
	}
	if (id == 0) {
		snprintf(why, whycap, "a member's id is from 1");
		return MGR_EINVAL;
	}
	if (addr != NULL) {
		if (strncmp(addr, "tcp://", 6) == 0) {
			addr += 6;
		}
		const char *colon = strrchr(addr, ':');
		if (colon == NULL || colon == addr || colon[1] == '\0'
		    || strspn(colon + 1, "0123456789") != strlen(colon + 1)) {
			snprintf(why, whycap,
			    "\"%s\" is not HOST:PORT (where the other "
			    "members "
			    "reach it, as in --cluster)",
			    addr);
			return MGR_EINVAL;
		}
	}
	return raft_node_change(cl->rn, id, addr, why, whycap);
}
