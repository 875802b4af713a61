/* Internals of libmgr shared by its files: the proxy struct, the value
 * codec and the one generic call every typed proxy goes through. */
#ifndef MGR_PROXY_INTERNAL_H
#define MGR_PROXY_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "arena.h"
#include "manager.pb-c.h"
#include "mgr.h"

struct mgr_obj {
	mgr_client *client;
	uint64_t    id;
	uint64_t secret; /* the object's capability, sent with every call */
	Mgr__ObjType type;
	char *type_name; /* OBJ_CUSTOM: its module type's name (owned) */
};

/* ---- value codec (codec.c) ----------------------------------------------
 */

/* Encodes v into *out, allocating nodes from a; strings and bytes are not
 * copied (v must outlive the packing). MGR_EINVAL for a malformed value (a
 * ref to NULL or to another client's object, a NULL string...),
 * MGR_ETOOBIG past 64 levels of nesting. c is the client the request goes
 * to (refs must belong to it); NULL skips that check. */
int codec_to_pb(mgr_client *c, const mgr_value *v, arena *a, Mgr__Value *out);

/* Decodes pb into a new owned value *out (mgr_value_free). A reference
 * becomes a new proxy of client c that owns the reference the manager
 * gave this session. MGR_EPROTO for a malformed value, MGR_ENOMEM. On
 * error *out is None and nothing leaks (references received are released
 * with the proxies). */
int codec_from_pb(mgr_client *c, const Mgr__Value *pb, mgr_value *out);
/* codec_from_pb for a message unpacked with malloc (no arena): its byte
 * strings are taken rather than copied (pb is left without them; freeing
 * it stays right). */
int codec_take_pb(mgr_client *c, Mgr__Value *pb, mgr_value *out);

/* A new proxy of client c for object id of the given type, owning one
 * reference of this session (proxy/object.c). NULL when out of memory. */
mgr_obj *obj_new(
    mgr_client *c, uint64_t id, uint64_t secret, Mgr__ObjType type);
/* The type's name for a code ("dict"...), "unknown" otherwise. */
const char *obj_type_name(Mgr__ObjType type);
/* A new proxy of o's object with its own reference (OP_ATTACH), so that
 * it outlives o's release. */
int obj_dup(mgr_obj *o, mgr_obj **out);

/* ---- calls (client.c: the connection; call.c: values in and out) ------- */

typedef struct call_req {
	Mgr__Op          op;
	uint64_t         target; /* object id, 0 for the manager */
	uint64_t         secret; /* the target's */
	Mgr__ObjType     type;   /* OP_CREATE */
	const char      *name;   /* OP_NAME_* */
	const mgr_value *args;
	size_t           nargs;
	int64_t timeout; /* ms, MGR_FOREVER, for blocking operations */
} call_req;

/* One round trip (client.c): sends rq, its id set here, packed into
 * scratch (the caller resets it), and waits for the reply, unpacked into
 * reply_arena when given (valid until the caller resets it) or with
 * malloc (mgr__reply__free_unpacked). MGR_ETOOBIG over the manager's
 * limit; MGR_ECONN / MGR_ECLOSED / MGR_ENOMEM / MGR_EPROTO from the
 * transport, with the detail set and *reply NULL. */
int client_roundtrip(mgr_client *c, Mgr__Request *rq, arena *scratch,
    arena *reply_arena, Mgr__Reply **reply);
/* A request without arguments that involves no value codec (RELEASE,
 * ATTACH): its status, and when ref_id is not NULL the id of the
 * reference it answered (which the caller then owns). */
int client_call_noargs(mgr_client *c, Mgr__Op op, uint64_t target,
    uint64_t secret, Mgr__Ref *ref);

/* Sends one request and waits for its reply (call.c). On status 0 and result
 * != NULL, *result gets the decoded result (owned by the caller). Returns the
 * reply's status, or MGR_ECONN / MGR_ECLOSED / MGR_ENOMEM / MGR_EPROTO /
 * MGR_ETOOBIG from the transport. The reply's error text is kept for
 * mgr_errdetail() in the calling thread. */
int client_call(mgr_client *c, const call_req *call, mgr_value *result);

/* client_call on a proxy (call.c): checks that o is non-NULL and of one of
 * the types in the bit set `types` (1u << Mgr__ObjType; 0 accepts any) and
 * fills target. */
int obj_call(mgr_obj *o, uint32_t types, Mgr__Op op, const mgr_value *args,
    size_t nargs, int64_t timeout, mgr_value *result);

/* Sends n requests packed without ids, as records [4-byte big-endian
 * length][Request] in recs, and waits for their replies: pipelined (n
 * frames, replies[0..n-1]) or atomic (one OP_BATCH request, replies[0]
 * holding the sub-replies). The replies are the caller's
 * (mgr__reply__free_unpacked); NULL where a transport error (returned)
 * ended the wait. The frames are built in *buf (*cap bytes, grown with
 * realloc; the caller's, kept for its next call and freed by it): a
 * batch reuses its memory, where a fresh buffer per call costs a page
 * fault per 4 KiB of a big request. */
int client_pipeline(mgr_client *c, const uint8_t *recs, size_t recs_len,
    size_t n, bool atomic, Mgr__Reply **replies, uint8_t **buf, size_t *cap);
/* A proxy holds its client: the client is freed by the last of
 * mgr_disconnect and the release of its proxies (client_unhold). */
void client_hold(mgr_client *c);
void client_unhold(mgr_client *c);
/* False once c was disconnected (its proxies then give MGR_ECLOSED). */
bool client_usable(mgr_client *c);

/* The manager's frame size limit for c. */
size_t client_max_message(mgr_client *c);

/* The URL and key c connected with (owned by c). */
const char *client_url(mgr_client *c);
const void *client_key(mgr_client *c, size_t *len);

/* Sets the calling thread's error detail (mgr_errdetail; detail.c). */
void client_set_detail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* A call refused before anything was sent: the detail names the public
 * function (func, its __func__), the argument and what is wrong with it
 * ("mgr_pool_submit: task is NULL"); MGR_EINVAL. */
int client_bad_arg(const char *func, const char *arg, const char *why);
/* A blocking call's timeout: MGR_FOREVER or >= 0, as Python wants (a
 * negative one is its ValueError). 0, or MGR_EINVAL with the detail. */
int client_check_timeout(int64_t timeout);
/* Takes the proxy out of a MGR_REF result into *out (the caller's),
 * freeing the value. MGR_EPROTO (with the detail) for any other value. */
int value_take_ref(mgr_value *v, mgr_obj **out);

/* The argument checks of the public calls: each returns client_bad_arg's
 * MGR_EINVAL from the function it is in when the check fails. a names
 * the argument (it must be one: the sizeof does not compile otherwise),
 * why says what is wrong with it. */
#define ARG_CHECK(ok, a, why)                                                \
	do {                                                                 \
		if (!(ok)) {                                                 \
			(void) sizeof(a);                                    \
			return client_bad_arg(__func__, #a, why);            \
		}                                                            \
	} while (0)
#define ARG_NONNULL(a) ARG_CHECK((a) != NULL, a, "is NULL")

/* An owned list of the n items, each taken (mgr_value_take: moved when
 * owned, copied when borrowed). MGR_ENOMEM: the items taken so far are
 * freed (those moved are lost to the caller too). */
int value_list_take(mgr_value *items, size_t n, mgr_value *out);

/* Functions registered by name (fn_table.c): process entries and pool
 * tasks. At most FN_TABLE_MAX, names copied, thread-safe; callers convert
 * their own function type to and from fn_any. */
#define FN_TABLE_MAX 64
typedef void (*fn_any)(void);
typedef struct fn_table {
	pthread_mutex_t mtx;
	int             n;
	struct {
		char  *name;
		fn_any fn;
	} e[FN_TABLE_MAX];
} fn_table;
#define FN_TABLE_INIT                                                        \
	{                                                                    \
		.mtx = PTHREAD_MUTEX_INITIALIZER                             \
	}
/* Sets (or replaces) name's function. 0, MGR_ETOOBIG, MGR_ENOMEM. */
int fn_table_set(fn_table *t, const char *name, fn_any fn);
/* The function of name[0..len), or NULL. */
fn_any fn_table_get(fn_table *t, const char *name, size_t len);

#endif
