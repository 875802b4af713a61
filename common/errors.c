/* mgr_strerror: shared by the library and managerd's logs. */
#include "mgr.h"

static const char *const names[MGR_ENUMERRORS] = {
#define MGR_ERROR_TEXT_(name, text) [name] = #name ": " text,
	MGR_ERRORS(MGR_ERROR_TEXT_)
#undef MGR_ERROR_TEXT_
};

const char *
mgr_strerror(int err)
{
	if (err >= 0 && err < MGR_ENUMERRORS && names[err] != NULL) {
		return names[err];
	}
	return "MGR_E?: unknown error code";
}
