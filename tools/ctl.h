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
	bool         ack;      // take --ack: task_done after the get
} cmd_ctx;

extern bool ctl_json; /* --json (ctl_args.c) */
extern bool ctl_raw;  /* --raw: a str result printed unquoted */

/* A command: its name, how many arguments it takes, what runs it, and
 * for --help its arguments and what it does. */
typedef struct command {
	const char *name;
	int         min_args, max_args;
	int (*run)(cmd_ctx *x);
	const char *args;
	const char *help;
} command;

/* What the command line says besides the command (ctl_args.c). */
typedef struct ctl_args {
	const command *commands; /* in: those to choose from */
	const char    *url;      /* --url, else $MGR_URL */
	const char    *keyfile;  /* --authkey-file */
} ctl_args;

/* The command line into a, x (the command, its arguments, the options
 * it uses) and *cmd: -1 to go on, or the exit status (0 after --help,
 * --version, --list-options or --list-commands; EXIT_USAGE with one line
 * on stderr). Options may come before or after the command, as --opt
 * VALUE or --opt=VALUE; "--" ends them (a negative literal may follow). */
int ctl_parse_args(
    int argc, char **argv, ctl_args *a, cmd_ctx *x, const command **cmd);

/* "managerctl: what: MGR_E...: detail" on stderr; EXIT_MANAGER. */
int fail(const char *what, int rv);
/* "managerctl: <fmt with what>" on stderr; EXIT_USAGE (ctl_args.c). */
int usage_error(const char *fmt, const char *what);
/* Prints v, a repr (or JSON) line. 0 or EXIT_MANAGER. */
int print_value(const mgr_value *v);
/* Prints the result *v of a call that returned rv, and frees it. */
int print_result(const char *what, int rv, mgr_value *v);
/* arg read as a Python literal into *v (mgr_value_free), a bare word as
 * a str, or EXIT_USAGE with a line saying why (what names the argument). */
int parse_arg(const char *what, const char *arg, mgr_value *v);
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
int cmd_save(cmd_ctx *x);

/* managerd --cluster's status and membership (ctl_cluster.c). */
int cmd_cluster(cmd_ctx *x);
int cmd_end(cmd_ctx *x);
/* new TYPE NAME [ARG...] and call NAME METHOD [ARGS] (ctl_create.c). */
int cmd_new(cmd_ctx *x);
int cmd_call(cmd_ctx *x);

#endif
