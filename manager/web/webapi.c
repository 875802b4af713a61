/* The HTTP API's answers: the introspection layer (describe.c, the
 * figures of mgr_info, the sessions of mgr_sessions) as JSON, for the
 * dashboard and for scripts. The server lock is held while the values are
 * built, never while JSON is written or sent. */
#include "webapi.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "describe.h"
#include "json_str.h"
#include "log.h"
#include "mgr.h"
#include "names.h"
#include "server.h"
#include "session.h"
#include "sv_json.h"
#include "utf8.h"

/* The value of name=... in query (NULL: none), as a number in
 * [0, max]; *bad when it is there and not one. */
static size_t
query_size(
    const char *query, const char *name, size_t dflt, size_t max, bool *bad)
{
	size_t nl = strlen(name);
	for (const char *p = query; p != NULL && *p != '\0';) {
		if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
			char              *end;
			unsigned long long v = strtoull(p + nl + 1, &end, 10);
			if (end == p + nl + 1 || (*end != '\0' && *end != '&')
			    || v > max) {
				*bad = true;
				return dflt;
			}
			return (size_t) v;
		}
		p = strchr(p, '&');
		p = p != NULL ? p + 1 : NULL;
	}
	return dflt;
}

/* The text of name=... in query, %XX and + decoded, into out (cap bytes);
 * "" when it is not there. false when it is longer than cap - 1, holds
 * a bad escape or a NUL. */
static bool
query_text(const char *query, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	out[0]    = '\0';
	for (const char *p = query; p != NULL && *p != '\0';) {
		if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
			size_t n = 0;
			for (p += nl + 1; *p != '\0' && *p != '&'; p++) {
				int c = (unsigned char) *p;
				if (c == '+') {
					c = ' ';
				} else if (c == '%') {
					unsigned hi, lo;
					if (sscanf(p + 1, "%1x%1x", &hi, &lo)
					    != 2) {
						return false;
					}
					c = (int) (hi << 4 | lo);
					p += 2;
				}
				if (c == 0 || n + 1 >= cap) {
					return false;
				}
				out[n++] = (char) c;
			}
			out[n] = '\0';
			return true;
		}
		p = strchr(p, '&');
		p = p != NULL ? p + 1 : NULL;
	}
	return true;
}

/* The objects listing's selection and order from the query (q, type,
 * sort, desc); false with a reason in why when one is bad. */
static bool
objects_query(const char *query, describe_query *dq, char *match,
    size_t matchcap, char *type, size_t typecap, const char **why)
{
	char sort[16];
	if (!query_text(query, "q", match, matchcap)
	    || !query_text(query, "type", type, typecap)
	    || !query_text(query, "sort", sort, sizeof(sort))) {
		*why = "q, type and sort are short texts";
		return false;
	}
	static const char *const keys[]
	    = { "id", "name", "type", "size", "waiters" };
	dq->sort   = DESCRIBE_BY_ID;
	bool known = sort[0] == '\0';
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(sort, keys[i]) == 0) {
			dq->sort = (enum describe_sort) i;
			known    = true;
		}
	}
	if (!known) {
		*why = "sort is id, name, type, size or waiters";
		return false;
	}
	bool bad = false;
	dq->desc = query_size(query, "desc", 0, 1, &bad) == 1;
	if (bad) {
		*why = "desc is 0 or 1";
		return false;
	}
	dq->match = match;
	dq->type  = type;
	return true;
}

static int
json_error(int code, const char *why, int *status, char **body, size_t *len)
{
	*status = code;
	FILE *f = open_memstream(body, len);
	if (f == NULL) {
		return MGR_ENOMEM;
	}
	fprintf(f, "{\"error\":\"%s\"}\n", why); // why: our own plain text
	return fclose(f) == 0 ? 0 : MGR_ENOMEM;
}

int
webapi_answer(server *srv, const char *path, const char *query, int *status,
    char **body, size_t *len)
{
	bool   bad    = false;
	size_t offset = query_size(query, "offset", 0, SIZE_MAX / 2, &bad);
	size_t limit
	    = query_size(query, "limit", 100, DESCRIBE_PAGE_MAX, &bad);
	if (bad) {
		return json_error(400,
		    "offset and limit are numbers (limit at most 1000)",
		    status, body, len);
	}
	enum { INFO, OBJECTS, OBJECT, SESSIONS, WAITS } what;
	uint64_t       id = 0;
	describe_query dq = { .offset = offset, .limit = limit };
	char           match[128], type[64];
	const char    *why = NULL;
	if (strcmp(path, "/api/info") == 0) {
		what = INFO;
	} else if (strcmp(path, "/api/objects") == 0) {
		what = OBJECTS;
		if (!objects_query(query, &dq, match, sizeof(match), type,
		        sizeof(type), &why)) {
			return json_error(400, why, status, body, len);
		}
	} else if (strncmp(path, "/api/objects/", 13) == 0) {
		char *end;
		id   = strtoull(path + 13, &end, 10);
		what = OBJECT;
		if (end == path + 13 || *end != '\0') {
			return json_error(
			    404, "no such object", status, body, len);
		}
	} else if (strcmp(path, "/api/sessions") == 0) {
		what = SESSIONS;
	} else if (strcmp(path, "/api/waits") == 0) {
		what = WAITS;
	} else {
		return json_error(404, "no such path", status, body, len);
	}

	report r     = { 0 };
	bool   found = true;
	sval   v     = SV_NONE_INIT;
	server_memory_sample(srv);
	server_lock_as(srv, "the dashboard's API");
	const idmap *names = names_index(srv);
	switch (what) {
	case INFO:
		v = introspect_info(srv, false, &r);
		report_put(&r, &v, "history", describe_history(srv, &r));
		break;
	case OBJECTS:
		v = describe_objects_query(srv, names, &dq, &r);
		break;
	case OBJECT:
		v = describe_object(srv, id, names, &r, &found);
		break;
	case SESSIONS:
		v = sessions_describe_page(srv, names, offset, limit, &r);
		break;
	case WAITS:
		v = describe_waits(srv, names, &r);
		break;
	}
	server_unlock(srv);

	int rv = r.rv;
	if (rv == 0 && !found) {
		sv_free(&v);
		return json_error(404, "no such object", status, body, len);
	}
	if (rv == 0) {
		rv = sv_to_json(&v, body, len);
	}
	sv_free(&v);
	*status = 200;
	return rv;
}

/* The answer to an action that went: body, formatted. */
static int acted(int *status, char **body, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
acted(int *status, char **body, size_t *len, const char *fmt, ...)
{
	*status = 200;
	FILE *f = open_memstream(body, len);
	if (f == NULL) {
		return MGR_ENOMEM;
	}
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	return fclose(f) == 0 ? 0 : MGR_ENOMEM;
}

/* A refused action: 404 for what is not there, 409 for what can't be
 * done to it; the detail (the handler's own words) goes in the body. */
static int
refused(int rv, const char *why, int *status, char **body, size_t *len)
{
	*status = rv == MGR_ENOOBJ || rv == MGR_EKEY ? 404 : 409;
	FILE *f = open_memstream(body, len);
	if (f == NULL) {
		return MGR_ENOMEM;
	}
	fputs("{\"error\":", f);
	json_put_string(f, why, strlen(why)); // a handler's detail: UTF-8
	fputs("}\n", f);
	return fclose(f) == 0 ? 0 : MGR_ENOMEM;
}

/* POST /api/objects/ID/purge */
static int
act_purge(server *srv, uint64_t id, int *status, char **body, size_t *len)
{
	char   err[200];
	size_t dropped;
	int    rv = server_purge_queue(srv, id, &dropped, err, sizeof(err));
	if (rv != 0) {
		return refused(rv, err, status, body, len);
	}
	log_msg(LOG_WARN, "dashboard: queue %llu purged (%zu items dropped)",
	    (unsigned long long) id, dropped);
	return acted(status, body, len, "{\"purged\":%zu}\n", dropped);
}

/* POST /api/names/delete?name=NAME */
static int
act_name_del(
    server *srv, const char *query, int *status, char **body, size_t *len)
{
	char name[1024];
	if (!query_text(query, "name", name, sizeof(name)) || name[0] == '\0'
	    || !utf8_valid(name, strlen(name), false)) {
		return json_error(400,
		    "name=NAME: a name (UTF-8, %-escaped, under 1024 bytes)",
		    status, body, len);
	}
	char err[200];
	int  rv = server_name_del(srv, name, err, sizeof(err));
	if (rv != 0) {
		return refused(rv, err, status, body, len);
	}
	char shown[80];
	log_escape(name, shown, sizeof(shown));
	log_msg(LOG_WARN, "dashboard: name '%s' deleted", shown);
	*status = 200;
	FILE *f = open_memstream(body, len);
	if (f == NULL) {
		return MGR_ENOMEM;
	}
	fputs("{\"deleted\":", f);
	json_put_string(f, name, strlen(name));
	fputs("}\n", f);
	return fclose(f) == 0 ? 0 : MGR_ENOMEM;
}

int
webapi_act(server *srv, const char *path, const char *query, int *status,
    char **body, size_t *len)
{
	char              *end = NULL;
	unsigned long long id  = 0;
	if (strcmp(path, "/api/names/delete") == 0) {
		return act_name_del(srv, query, status, body, len);
	}
	if (strncmp(path, "/api/objects/", 13) == 0) {
		id = strtoull(path + 13, &end, 10);
		if (id != 0 && end != path + 13
		    && strcmp(end, "/purge") == 0) {
			return act_purge(srv, id, status, body, len);
		}
		return json_error(404, "no such action", status, body, len);
	}
	if (strncmp(path, "/api/sessions/", 14) == 0) {
		id = strtoull(path + 14, &end, 10);
	}
	if (id == 0 || end == NULL || strcmp(end, "/end") != 0) {
		return json_error(404, "no such action", status, body, len);
	}
	server_lock(srv);
	int rv = session_end_id(srv, id, "the dashboard");
	server_unlock(srv);
	if (rv != 0) {
		return json_error(404, "no such session", status, body, len);
	}
	log_msg(LOG_WARN, "dashboard: session %llu ended", id);
	return acted(status, body, len, "{\"ended\":%llu}\n", id);
}
