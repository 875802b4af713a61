/* Calls: a request with values encoded (codec.c), one round trip on the
 * connection (client.c), the reply's status and result decoded. Every
 * typed proxy goes through obj_call. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

static pthread_key_t  arena_key;
static pthread_once_t arena_once = PTHREAD_ONCE_INIT;

/* Per thread, reused across calls: one arena for the request tree, one
 * for the reply (unpacked into it by whichever thread reads it). A call
 * made while a reply is still in use (releasing a reference nobody took,
 * from inside the outer call) unpacks its own reply with malloc. */
typedef struct tls_arenas {
	arena req;
	arena rep;
	int   depth; /* calls of this thread in progress */
} tls_arenas;

static void
arena_destroy(void *p)
{
	tls_arenas *t = p;
	arena_fini(&t->req);
	arena_fini(&t->rep);
	free(t);
}

static void
arena_key_init(void)
{
	pthread_key_create(&arena_key, arena_destroy);
}

static tls_arenas *
thread_arenas(void)
{
	pthread_once(&arena_once, arena_key_init);
	tls_arenas *t = pthread_getspecific(arena_key);
	if (t == NULL) {
		t = calloc(1, sizeof(*t));
		if (t != NULL) {
			arena_init(&t->req);
			arena_init(&t->rep);
			pthread_setspecific(arena_key, t);
		}
	}
	return t;
}

static uint64_t
thread_id(void)
{
	static _Thread_local uint64_t tid;
	if (tid == 0) {
		tid = (uint64_t) syscall(SYS_gettid);
	}
	return tid;
}

/* The outcome of a reply: its status (with its detail kept), and the
 * result decoded into *result (None when it has none). */
static int
take_reply(mgr_client *c, const Mgr__Reply *reply, mgr_value *result)
{
	int rv = reply->status;
	if (rv != 0) {
		client_set_detail("%s", reply->error);
		if (rv < 0 || rv >= MGR_ENUMERRORS) {
			rv = MGR_EPROTO;
		}
	} else if (result != NULL) {
		if (reply->result != NULL) {
			rv = codec_from_pb(c, reply->result, result);
		} else {
			*result = mgr_none();
		}
	} else if (reply->result != NULL
	    && reply->result->kind_case == MGR__VALUE__KIND_REF) {
		// A reference nobody takes: give it back at once.
		mgr_value tmp;
		if (codec_from_pb(c, reply->result, &tmp) == 0) {
			mgr_value_free(&tmp);
		}
	}
	if (rv == 0) {
		client_set_detail(NULL);
	}
	return rv;
}

int
client_call(mgr_client *c, const call_req *call, mgr_value *result)
{
	Mgr__Request rq = MGR__REQUEST__INIT;
	Mgr__Value  *pv[16];
	Mgr__Value **args = pv;
	Mgr__Reply  *reply;
	tls_arenas  *ta;
	arena       *a;
	int          rv;
	client_set_detail(NULL); // this call's failure, not an earlier one's

	ARG_NONNULL(c);
	ARG_NONNULL(call);
	ARG_CHECK(!(call->nargs > 0 && call->args == NULL), call->args,
	    "is NULL with call->nargs > 0");
	if ((ta = thread_arenas()) == NULL) {
		return MGR_ENOMEM;
	}
	a = &ta->req;
	if (call->nargs > 16
	    && (args = arena_alloc(a, call->nargs * sizeof(*args))) == NULL) {
		arena_reset(a);
		return MGR_ENOMEM;
	}
	for (size_t i = 0; i < call->nargs; i++) {
		args[i] = arena_alloc(a, sizeof(Mgr__Value));
		if (args[i] == NULL) {
			arena_reset(a);
			return MGR_ENOMEM;
		}
		if ((rv = codec_to_pb(c, &call->args[i], a, args[i])) != 0) {
			arena_reset(a);
			return rv;
		}
	}
	rq.op         = call->op;
	rq.target     = call->target;
	rq.secret     = call->secret;
	rq.type       = call->type;
	rq.name       = call->name ? (char *) call->name : "";
	rq.args       = args;
	rq.n_args     = call->nargs;
	rq.timeout_ms = call->timeout;
	rq.thread     = thread_id();

	arena *ra = ta->depth == 0 ? &ta->rep : NULL;
	ta->depth++;
	rv = client_roundtrip(c, &rq, a, ra, &reply);
	arena_reset(a);
	if (rv == 0) {
		rv = take_reply(c, reply, result);
		if (ra == NULL) {
			mgr__reply__free_unpacked(reply, NULL);
		}
	}
	if (ra != NULL) {
		arena_reset(ra);
	}
	ta->depth--;
	return rv;
}

int
obj_call(mgr_obj *o, uint32_t types, Mgr__Op op, const mgr_value *args,
    size_t nargs, int64_t timeout, mgr_value *result)
{
	if (o == NULL || o->client == NULL) {
		client_set_detail("NULL proxy");
		return MGR_EINVAL;
	}
	if (types != 0 && !(types & (1u << o->type))) {
		// "dict_get is an operation of a dict, not of a queue"
		const ProtobufCEnumValue *v
		    = protobuf_c_enum_descriptor_get_value(
		        &mgr__op__descriptor, (int) op);
		char name[64] = "this";
		if (v != NULL) {
			size_t k = 0;
			for (const char *p = v->name + 3; *p && k < 63; p++) {
				name[k++] = (char) (*p >= 'A' && *p <= 'Z'
				        ? *p - 'A' + 'a'
				        : *p);
			}
			name[k] = '\0';
		}
		int want = 0;
		while (want < 32 && !(types & (1u << want))) {
			want++;
		}
		client_set_detail("%s is an operation of a %s, not of a %s",
		    name, obj_type_name((Mgr__ObjType) want),
		    obj_type_name(o->type));
		return MGR_ETYPE;
	}
	call_req call = { .op = op,
		.target       = o->id,
		.secret       = o->secret,
		.args         = args,
		.nargs        = nargs,
		.timeout      = timeout };
	return client_call(o->client, &call, result);
}
