/* Test harness: a page in headless Chromium (harness.h). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"

const char *
h_chromium(void)
{
	static const char *const paths[]
	    = { "/usr/bin/chromium", "/usr/bin/chromium-browser" };
	for (size_t i = 0; i < 2; i++) {
		if (access(paths[i], X_OK) == 0) {
			return paths[i];
		}
	}
	return NULL;
}

int
h_browse(const char *url, const char *profile_dir, const char *shot,
    char *out, size_t cap)
{
	const char *exe = h_chromium();
	char profile[400], shotarg[400], size[] = "--window-size=1280,900";
	if (exe == NULL) {
		return -1;
	}
	snprintf(profile, sizeof(profile), "--user-data-dir=%s", profile_dir);
	char *argv[20];
	int   n = 0;
	// Through sh, for its stderr (dbus and GPU complaints) to go nowhere.
	argv[n++] = "sh";
	argv[n++] = "-c";
	argv[n++] = "exec \"$0\" \"$@\" 2>/dev/null";
	argv[n++] = (char *) exe;
	argv[n++] = "--headless";
	argv[n++] = "--no-sandbox"; // root in CI
	argv[n++] = "--disable-gpu";
	argv[n++] = "--disable-dev-shm-usage";
	argv[n++] = profile;
	argv[n++] = size;
	// Virtual time: the page's timers (refresh each second) run as fast
	// as the page can, 4 s of them, and then the DOM is dumped.
	argv[n++] = "--virtual-time-budget=4000";
	if (shot != NULL) {
		snprintf(shotarg, sizeof(shotarg), "--screenshot=%s", shot);
		argv[n++] = shotarg;
	} else {
		argv[n++] = "--dump-dom";
	}
	argv[n++] = (char *) url;
	argv[n]   = NULL;
	return h_run("/bin/sh", argv, NULL, 0, 60000, out, cap);
}
