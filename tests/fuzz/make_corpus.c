/* Writes the seed corpus of fuzz_session: for every operation, an input
 * that creates an object of its type (id 1) and then applies the
 * operation to it with plausible arguments, plus a few that start in the
 * handshake. Run: make_corpus DIR (files are named after the operation).
 * Its output is committed (tests/fuzz/corpus/); run it again when the
 * schema gains operations. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manager.pb-c.h"

typedef struct frames {
	uint8_t buf[8192];
	size_t  len;
} frames;

static void
add(frames *f, const Mgr__Request *rq)
{
	size_t n         = mgr__request__get_packed_size(rq);
	f->buf[f->len++] = (uint8_t) (n >> 8);
	f->buf[f->len++] = (uint8_t) n;
	f->len += mgr__request__pack(rq, f->buf + f->len);
}

/* Values for an argument spec: i int, s str, b bool, f float, n none, l
 * list [1, 'a'], d dict {'k': 1}, t tuple (1,), r a ref to object 1. */
static Mgr__Value vals[16], items[4], *ptrs[16], *iptrs[4];
static Mgr__Seq   seq;
static Mgr__Map   map;
static Mgr__Ref   ref;

static void
fill(Mgr__Value *v, char kind)
{
	mgr__value__init(v);
	switch (kind) {
	case 'i':
		v->kind_case = MGR__VALUE__KIND_I;
		v->i         = 1;
		break;
	case 's':
		v->kind_case = MGR__VALUE__KIND_S;
		v->s         = "k";
		break;
	case 'c': // a typecode
		v->kind_case = MGR__VALUE__KIND_S;
		v->s         = "i";
		break;
	case 'b':
		v->kind_case = MGR__VALUE__KIND_B;
		v->b         = 1;
		break;
	case 'f':
		v->kind_case = MGR__VALUE__KIND_F;
		v->f         = 0.5;
		break;
	case 'l':
	case 't':
		mgr__seq__init(&seq);
		fill(&items[0], 'i');
		fill(&items[1], 's');
		iptrs[0]     = &items[0];
		iptrs[1]     = &items[1];
		seq.items    = iptrs;
		seq.n_items  = kind == 't' ? 1 : 2;
		v->kind_case = kind == 't' ? MGR__VALUE__KIND_TUPLE
		                           : MGR__VALUE__KIND_LIST;
		if (kind == 't') {
			v->tuple = &seq;
		} else {
			v->list = &seq;
		}
		break;
	case 'd':
		mgr__map__init(&map);
		fill(&items[2], 's');
		fill(&items[3], 'i');
		iptrs[2]   = &items[2];
		iptrs[3]   = &items[3];
		map.keys   = &iptrs[2];
		map.values = &iptrs[3];
		map.n_keys = map.n_values = 1;
		v->kind_case              = MGR__VALUE__KIND_DICT;
		v->dict                   = &map;
		break;
	case 'r':
		mgr__ref__init(&ref);
		ref.id       = 1;
		v->kind_case = MGR__VALUE__KIND_REF;
		v->ref       = &ref;
		break;
	default:
		v->kind_case = MGR__VALUE__KIND_NONE;
		v->none      = 1;
		break;
	}
}

static void
request(Mgr__Request *rq, Mgr__Op op, uint64_t target, const char *args)
{
	mgr__request__init(rq);
	rq->id     = 1;
	rq->op     = op;
	rq->target = target;
	rq->name   = "n";
	rq->n_args = strlen(args);
	for (size_t i = 0; i < rq->n_args; i++) {
		fill(&vals[i], args[i]);
		ptrs[i] = &vals[i];
	}
	rq->args       = ptrs;
	rq->timeout_ms = 0;
}

static const struct {
	Mgr__Op      op;
	Mgr__ObjType type;
	const char  *create, *args;
} ops[] = {
#define D MGR__OBJ_TYPE__OBJ_DICT
#define L MGR__OBJ_TYPE__OBJ_LIST
#define Q MGR__OBJ_TYPE__OBJ_QUEUE
	{ MGR__OP__OP_DICT_SET, D, "", "si" },
	{ MGR__OP__OP_DICT_GET, D, "d", "s" },
	{ MGR__OP__OP_DICT_DEL, D, "d", "s" },
	{ MGR__OP__OP_DICT_CONTAINS, D, "d", "s" },
	{ MGR__OP__OP_DICT_LEN, D, "d", "" },
	{ MGR__OP__OP_DICT_POP, D, "d", "si" },
	{ MGR__OP__OP_DICT_POPITEM, D, "d", "" },
	{ MGR__OP__OP_DICT_SETDEFAULT, D, "", "sl" },
	{ MGR__OP__OP_DICT_UPDATE, D, "", "d" },
	{ MGR__OP__OP_DICT_CLEAR, D, "d", "" },
	{ MGR__OP__OP_DICT_KEYS, D, "d", "" },
	{ MGR__OP__OP_DICT_VALUES, D, "d", "" },
	{ MGR__OP__OP_DICT_ITEMS, D, "d", "" },
	{ MGR__OP__OP_DICT_COPY, D, "d", "" },
	{ MGR__OP__OP_DICT_INCR, D, "", "sf" },
	{ MGR__OP__OP_LIST_APPEND, L, "", "r" },
	{ MGR__OP__OP_LIST_EXTEND, L, "", "l" },
	{ MGR__OP__OP_LIST_INSERT, L, "l", "ib" },
	{ MGR__OP__OP_LIST_GET, L, "l", "i" },
	{ MGR__OP__OP_LIST_SET, L, "l", "in" },
	{ MGR__OP__OP_LIST_DEL, L, "l", "i" },
	{ MGR__OP__OP_LIST_POP, L, "l", "i" },
	{ MGR__OP__OP_LIST_REMOVE, L, "l", "i" },
	{ MGR__OP__OP_LIST_INDEX, L, "l", "s" },
	{ MGR__OP__OP_LIST_COUNT, L, "l", "i" },
	{ MGR__OP__OP_LIST_LEN, L, "l", "" },
	{ MGR__OP__OP_LIST_REVERSE, L, "l", "" },
	{ MGR__OP__OP_LIST_SORT, L, "l", "b" },
	{ MGR__OP__OP_LIST_CLEAR, L, "l", "" },
	{ MGR__OP__OP_LIST_SLICE, L, "l", "ii" },
	{ MGR__OP__OP_LIST_COPY, L, "l", "" },
	{ MGR__OP__OP_NS_SET, MGR__OBJ_TYPE__OBJ_NAMESPACE, "", "st" },
	{ MGR__OP__OP_NS_GET, MGR__OBJ_TYPE__OBJ_NAMESPACE, "", "s" },
	{ MGR__OP__OP_NS_DEL, MGR__OBJ_TYPE__OBJ_NAMESPACE, "", "s" },
	{ MGR__OP__OP_NS_ITEMS, MGR__OBJ_TYPE__OBJ_NAMESPACE, "", "" },
	{ MGR__OP__OP_QUEUE_PUT, Q, "i", "s" },
	{ MGR__OP__OP_QUEUE_GET, Q, "", "" },
	{ MGR__OP__OP_QUEUE_QSIZE, Q, "", "" },
	{ MGR__OP__OP_QUEUE_EMPTY, Q, "", "" },
	{ MGR__OP__OP_QUEUE_FULL, Q, "i", "" },
	{ MGR__OP__OP_QUEUE_TASK_DONE, Q, "", "" },
	{ MGR__OP__OP_QUEUE_JOIN, Q, "", "" },
	{ MGR__OP__OP_QUEUE_GET_COUNTED, Q, "", "" },
	{ MGR__OP__OP_QUEUE_REMOVE, Q, "i", "s" },
	{ MGR__OP__OP_QUEUE_CONTAINS, Q, "i", "s" },
	{ MGR__OP__OP_ACQUIRE, MGR__OBJ_TYPE__OBJ_RLOCK, "", "" },
	{ MGR__OP__OP_RELEASE_LOCK, MGR__OBJ_TYPE__OBJ_LOCK, "", "" },
	{ MGR__OP__OP_LOCKED, MGR__OBJ_TYPE__OBJ_SEMAPHORE, "i", "" },
	{ MGR__OP__OP_ACQUIRE, MGR__OBJ_TYPE__OBJ_BOUNDED_SEMAPHORE, "i",
	    "" },
	{ MGR__OP__OP_COND_WAIT, MGR__OBJ_TYPE__OBJ_CONDITION, "", "" },
	{ MGR__OP__OP_COND_NOTIFY, MGR__OBJ_TYPE__OBJ_CONDITION, "", "i" },
	{ MGR__OP__OP_COND_NOTIFY_ALL, MGR__OBJ_TYPE__OBJ_CONDITION, "", "" },
	{ MGR__OP__OP_EVENT_SET, MGR__OBJ_TYPE__OBJ_EVENT, "", "" },
	{ MGR__OP__OP_EVENT_CLEAR, MGR__OBJ_TYPE__OBJ_EVENT, "", "" },
	{ MGR__OP__OP_EVENT_IS_SET, MGR__OBJ_TYPE__OBJ_EVENT, "", "" },
	{ MGR__OP__OP_EVENT_WAIT, MGR__OBJ_TYPE__OBJ_EVENT, "", "" },
	{ MGR__OP__OP_BARRIER_WAIT, MGR__OBJ_TYPE__OBJ_BARRIER, "i", "" },
	{ MGR__OP__OP_BARRIER_ABORT, MGR__OBJ_TYPE__OBJ_BARRIER, "i", "" },
	{ MGR__OP__OP_BARRIER_RESET, MGR__OBJ_TYPE__OBJ_BARRIER, "i", "" },
	{ MGR__OP__OP_BARRIER_PARTIES, MGR__OBJ_TYPE__OBJ_BARRIER, "i", "" },
	{ MGR__OP__OP_BARRIER_N_WAITING, MGR__OBJ_TYPE__OBJ_BARRIER, "i",
	    "" },
	{ MGR__OP__OP_BARRIER_BROKEN, MGR__OBJ_TYPE__OBJ_BARRIER, "i", "" },
	{ MGR__OP__OP_SCALAR_GET, MGR__OBJ_TYPE__OBJ_SCALAR, "ci", "" },
	{ MGR__OP__OP_SCALAR_SET, MGR__OBJ_TYPE__OBJ_SCALAR, "ci", "i" },
	{ MGR__OP__OP_SCALAR_ADD, MGR__OBJ_TYPE__OBJ_SCALAR, "ci", "i" },
	{ MGR__OP__OP_ARRAY_LEN, MGR__OBJ_TYPE__OBJ_ARRAY, "cl", "" },
	{ MGR__OP__OP_ARRAY_GET, MGR__OBJ_TYPE__OBJ_ARRAY, "cl", "i" },
	{ MGR__OP__OP_ARRAY_SET, MGR__OBJ_TYPE__OBJ_ARRAY, "cl", "ii" },
	{ MGR__OP__OP_ARRAY_SLICE, MGR__OBJ_TYPE__OBJ_ARRAY, "cl", "ii" },
	{ MGR__OP__OP_GET_LOCK, MGR__OBJ_TYPE__OBJ_SCALAR, "ci", "" },
	{ MGR__OP__OP_CONN_SEND, MGR__OBJ_TYPE__OBJ_CONN, "b", "i" },
	{ MGR__OP__OP_CONN_RECV, MGR__OBJ_TYPE__OBJ_CONN, "b", "" },
	{ MGR__OP__OP_CONN_POLL, MGR__OBJ_TYPE__OBJ_CONN, "b", "" },
	{ MGR__OP__OP_CONN_CLOSE, MGR__OBJ_TYPE__OBJ_CONN, "b", "" },
	{ MGR__OP__OP_ATTACH, D, "", "" },
	{ MGR__OP__OP_RELEASE, D, "", "" },
	{ MGR__OP__OP_NAME_SET, D, "", "" },
	{ MGR__OP__OP_NAME_GET, D, "", "" },
	{ MGR__OP__OP_NAME_DEL, D, "", "" },
	{ MGR__OP__OP_INFO, D, "", "" },
	{ MGR__OP__OP_PING, D, "", "" },
	{ MGR__OP__OP_BYE, D, "", "" },
	{ MGR__OP__OP_NAME_SETDEFAULT, D, "", "" },
	{ MGR__OP__OP_NAME_LIST, D, "", "" },
	{ MGR__OP__OP_SESSIONS, D, "", "" },
	{ MGR__OP__OP_SHUTDOWN, D, "", "" },
	{ MGR__OP__OP_OBJECTS, D, "", "ii" },
	{ MGR__OP__OP_WAITS, D, "", "" },
	// Appended (seeds are named by their index).
	{ MGR__OP__OP_LOCK_FENCE, MGR__OBJ_TYPE__OBJ_LOCK, "", "" },
	{ MGR__OP__OP_ASSERT, D, "", "iii" }, // alone: refused
	// No module in the fuzz target: the create and the call are refused.
	{ MGR__OP__OP_CALL, MGR__OBJ_TYPE__OBJ_CUSTOM, "", "i" },
	{ MGR__OP__OP_QUEUE_PEEK, Q, "", "ii" },
	{ MGR__OP__OP_QUEUE_PURGE, Q, "", "" },
	{ MGR__OP__OP_SESSION_END, D, "", "i" }, // no such session
	{ MGR__OP__OP_SAVE, D, "", "" },         // no data directory: refused
	// No cluster in the fuzz target: refused.
	{ MGR__OP__OP_CLUSTER_ADD, D, "", "is" },
	{ MGR__OP__OP_CLUSTER_REMOVE, D, "", "i" },
#undef D
#undef L
#undef Q
};

static int
write_file(const char *dir, const char *name, const frames *f)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *out = fopen(path, "wb");
	if (out == NULL || fwrite(f->buf, 1, f->len, out) != f->len) {
		perror(path);
		return 1;
	}
	return fclose(out) != 0;
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: make_corpus DIR\n");
		return 2;
	}
	int rc = 0;
	for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		frames       f = { .len = 1 };
		Mgr__Request rq;
		f.buf[0] = 1; // authenticated
		request(&rq, MGR__OP__OP_CREATE, 0, ops[k].create);
		rq.type = ops[k].type;
		add(&f, &rq);
		int admin = ops[k].op <= MGR__OP__OP_CLUSTER_REMOVE;
		// The manager's own operations on no object, but those that
		// name one (attach, release, name set and setdefault).
		bool on_none = admin && ops[k].op != MGR__OP__OP_ATTACH
		    && ops[k].op != MGR__OP__OP_RELEASE
		    && ops[k].op != MGR__OP__OP_NAME_SET
		    && ops[k].op != MGR__OP__OP_NAME_SETDEFAULT;
		request(&rq, ops[k].op, on_none ? 0 : 1, ops[k].args);
		add(&f, &rq);
		if (admin && ops[k].op == MGR__OP__OP_NAME_SET) {
			request(&rq, MGR__OP__OP_NAME_GET, 0, "");
			add(&f, &rq);
		}
		const ProtobufCEnumValue *v
		    = protobuf_c_enum_descriptor_get_value(
		        &mgr__op__descriptor, (int) ops[k].op);
		char name[64];
		snprintf(name, sizeof(name), "%s_%zu", v ? v->name : "op", k);
		rc |= write_file(argv[1], name, &f);
	}
	// A batch of two, atomic; and a handshake (not authenticated).
	frames       f = { .len = 1 };
	Mgr__Request rq, sub[2], *subs[2] = { &sub[0], &sub[1] };
	f.buf[0] = 1;
	request(&rq, MGR__OP__OP_CREATE, 0, "");
	rq.type = MGR__OBJ_TYPE__OBJ_DICT;
	add(&f, &rq);
	request(&sub[0], MGR__OP__OP_DICT_SET, 1, "si");
	request(&sub[1], MGR__OP__OP_DICT_POP, 1, "s");
	mgr__request__init(&rq);
	rq.id      = 2;
	rq.op      = MGR__OP__OP_BATCH;
	rq.batch   = subs;
	rq.n_batch = 2;
	add(&f, &rq);
	rc |= write_file(argv[1], "BATCH", &f);
	// A guarded one: a set, then an assertion on its result (the two
	// share request()'s argument arrays: set(0, 1), assert(0, NE, 1)).
	f.len = 1;
	request(&rq, MGR__OP__OP_CREATE, 0, "");
	rq.type = MGR__OBJ_TYPE__OBJ_DICT;
	add(&f, &rq);
	request(&sub[0], MGR__OP__OP_DICT_SET, 1, "si");
	request(&sub[1], MGR__OP__OP_ASSERT, 0, "iii");
	sub[1].args[0]->i = 0; // the set's result
	mgr__request__init(&rq);
	rq.id      = 2;
	rq.op      = MGR__OP__OP_BATCH;
	rq.batch   = subs;
	rq.n_batch = 2;
	add(&f, &rq);
	rc |= write_file(argv[1], "BATCH_ASSERT", &f);
	frames h        = { .len = 1 };
	h.buf[0]        = 0;
	Mgr__Auth a     = MGR__AUTH__INIT;
	uint8_t   z[32] = { 0 };
	a.version       = 1;
	a.digest.data   = z;
	a.digest.len    = 32;
	a.nonce.data    = z;
	a.nonce.len     = 32;
	a.client        = "fuzz";
	size_t n        = mgr__auth__get_packed_size(&a);
	h.buf[h.len++]  = (uint8_t) (n >> 8);
	h.buf[h.len++]  = (uint8_t) n;
	h.len += mgr__auth__pack(&a, h.buf + h.len);
	rc |= write_file(argv[1], "AUTH", &h);
	// A reconnecting client's session: numbered requests, one retried
	// (answered from the record), replies acknowledged.
	frames r = { .len = 1 };
	r.buf[0] = 2;
	request(&rq, MGR__OP__OP_CREATE, 0, "");
	rq.type = MGR__OBJ_TYPE__OBJ_DICT;
	rq.seq  = 1;
	add(&r, &rq);
	request(&rq, MGR__OP__OP_DICT_INCR, 1, "si");
	rq.seq = 2;
	rq.ack = 1;
	add(&r, &rq);
	add(&r, &rq); // the retry
	request(&rq, MGR__OP__OP_DICT_GET, 1, "s");
	rq.seq = 3;
	rq.ack = 3;
	add(&r, &rq);
	rc |= write_file(argv[1], "RECONNECT", &r);
	return rc;
}
