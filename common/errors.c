/* mgr_strerror: shared by the library and managerd's logs. */
#include "mgr.h"

static const char *const names[MGR_ENUMERRORS] = {
	[MGR_OK]        = "MGR_OK: success",
	[MGR_EINVAL]    = "MGR_EINVAL: invalid argument",
	[MGR_ENOMEM]    = "MGR_ENOMEM: out of memory",
	[MGR_ECONN]     = "MGR_ECONN: cannot connect, or connection lost",
	[MGR_EAUTH]     = "MGR_EAUTH: authentication failed",
	[MGR_ETIMEDOUT] = "MGR_ETIMEDOUT: timed out",
	[MGR_EEMPTY]    = "MGR_EEMPTY: queue empty",
	[MGR_EFULL]     = "MGR_EFULL: queue full",
	[MGR_EKEY]      = "MGR_EKEY: no such key, attribute or name",
	[MGR_EINDEX]    = "MGR_EINDEX: index out of range",
	[MGR_EVALUE]    = "MGR_EVALUE: value not in list",
	[MGR_ETYPE]     = "MGR_ETYPE: wrong object or value type",
	[MGR_ENOOBJ]    = "MGR_ENOOBJ: object gone or token stale",
	[MGR_ESTATE]    = "MGR_ESTATE: operation not allowed in this state",
	[MGR_EBROKEN]   = "MGR_EBROKEN: barrier broken",
	[MGR_ERANGE]    = "MGR_ERANGE: value out of the typecode's range",
	[MGR_ETOOBIG]   = "MGR_ETOOBIG: over a size limit",
	[MGR_EPROTO]    = "MGR_EPROTO: protocol violation",
	[MGR_ECLOSED]   = "MGR_ECLOSED: handle closed",
	[MGR_EINTERNAL] = "MGR_EINTERNAL: internal error",
	[MGR_EABORTED] = "MGR_EABORTED: not applied, the atomic batch failed",
};

const char *
mgr_strerror(int err)
{
	if (err >= 0 && err < MGR_ENUMERRORS && names[err] != NULL) {
		return names[err];
	}
	return "MGR_E?: unknown error code";
}
