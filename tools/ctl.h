/* What managerctl's command files share: the parsed command line, the
 * exit statuses and the output helpers (Python literals, or JSON under
 * --json). */
#ifndef TOOLS_CTL_H
#define TOOLS_CTL_H

#include <mgr.h>
#include <stdbool.h>
#include <stdio.h>

enum { EXIT_MANAGER = 1, EXIT_USAGE = 2, EXIT_CONNECT = 3 };

typedef struct {
	mgr_client  *c;
	const char  *cmd;
	const char **args; // after the command
	int          nargs;
	int64_t      timeout;  // ms, for put and take
	double       interval; // seconds, for watch
	long         count;    // refreshes for watch; 0: until Ctrl-C
} cmd_ctx;

extern bool ctl_json; /* --json */

/* "managerctl: what: MGR_E...: detail" on stderr; EXIT_MANAGER. */
int fail(const char *what, int rv);
/* "managerctl: <fmt with what>" on stderr; EXIT_USAGE. */
int usage_error(const char *fmt, const char *what);
/* Prints v, a repr (or JSON) line. 0 or EXIT_MANAGER. */
int print_value(const mgr_value *v);
/* Prints the result *v of a call that returned rv, and frees it. */
int print_result(const char *what, int rv, mgr_value *v);
/* The member of the dict value d under the str key, or NULL. */
const mgr_value *dict_member(const mgr_value *d, const char *key);

/* The commands on the manager itself (ctl_server.c). */
int cmd_ping(cmd_ctx *x);
int cmd_info(cmd_ctx *x);
int cmd_clients(cmd_ctx *x);
int cmd_objects(cmd_ctx *x);
int cmd_waits(cmd_ctx *x);
int cmd_watch(cmd_ctx *x);
int cmd_shutdown(cmd_ctx *x);

#endif
