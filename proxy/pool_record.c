/* The records a pool sends through the manager, packed and checked in
 * one place (pool_int.h). */
#include "pool_int.h"

int
pool_task_pack(
    const pool_task *t, bool own, mgr_value parts[4], mgr_value *out)
{
	parts[0]      = mgr_int((int64_t) t->id);
	parts[1]      = mgr_strn(t->name, t->name_len);
	parts[2]      = *t->arg;
	parts[3]      = mgr_bool(t->chunked);
	mgr_value rec = mgr_list_of(parts, 4);
	if (!own) {
		*out = rec;
		return 0;
	}
	return mgr_value_copy(out, &rec);
}

bool
pool_task_unpack(const mgr_value *item, pool_task *t)
{
	if (item->kind != MGR_LIST || item->len != 4
	    || item->items[0].kind != MGR_INT
	    || item->items[1].kind != MGR_STR
	    || item->items[3].kind != MGR_BOOL) {
		return false;
	}
	*t = (pool_task) { .id = (uint64_t) item->items[0].i,
		.name          = item->items[1].s,
		.name_len      = item->items[1].len,
		.arg           = &item->items[2],
		.chunked       = item->items[3].b };
	return true;
}

int
pool_result_pack(uint64_t id, int status, mgr_value *value,
    const char *detail, mgr_value *out)
{
	mgr_value parts[3] = { mgr_int((int64_t) id), mgr_int(status),
		status == 0 && value != NULL ? *value : mgr_str(detail) };
	int       rv       = value_list_take(parts, 3, out);
	if (rv == 0 && status == 0 && value != NULL) {
		*value = mgr_none(); // taken: the record has it now
	}
	return rv;
}

bool
pool_result_unpack(mgr_value *r, pool_result *out)
{
	if (r->kind != MGR_LIST || r->len != 3 || r->items[0].kind != MGR_INT
	    || r->items[1].kind != MGR_INT) {
		return false;
	}
	int status = (int) r->items[1].i;
	*out       = (pool_result) { .id = (uint64_t) r->items[0].i,
		      .status            = status,
		      .value             = status == 0 ? &r->items[2] : NULL,
		      .detail = status != 0 && r->items[2].kind == MGR_STR
		          ? r->items[2].s
		          : "" };
	return true;
}
