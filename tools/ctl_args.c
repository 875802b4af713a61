/* managerctl's command line: one table of its options and the table of
 * its commands (managerctl.c), from which getopt_long's options, --help
 * and the lists tests/check_options.sh holds the man page to are made. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "help_text.h"

enum {
	O_URL = 256,
	O_KEYFILE,
	O_TIMEOUT,
	O_INTERVAL,
	O_COUNT,
	O_JSON,
	O_RAW,
	O_ACK,
	O_HELP,
	O_VERSION,
	O_LIST_OPTIONS,
	O_LIST_COMMANDS
};

typedef struct ctl_option {
	const char *name;
	int         id;
	const char *arg; /* the value's name in --help; NULL: none */
	const char *help;
} ctl_option;

static const ctl_option options[] = {
	{ "url", O_URL, "URL", "the manager (default: $MGR_URL)" },
	{ "authkey-file", O_KEYFILE, "F",
	    "the key: F's bytes less one trailing newline (default: "
	    "$MGR_AUTHKEY)" },
	{ "timeout", O_TIMEOUT, "S",
	    "put, take: wait up to S seconds (default: no wait)" },
	{ "interval", O_INTERVAL, "S",
	    "watch: seconds between refreshes (1)" },
	{ "count", O_COUNT, "N", "watch: refreshes (default: until Ctrl-C)" },
	{ "json", O_JSON, NULL, "print JSON instead of Python literals" },
	{ "raw", O_RAW, NULL, "print a str result as its text, unquoted" },
	{ "ack", O_ACK, NULL,
	    "take: mark the item done (task_done), so that an acknowledged "
	    "queue does not get it back when managerctl ends" },
	{ "help", O_HELP, NULL, "this text (also -h)" },
	{ "version", O_VERSION, NULL, "the version" },
	{ "list-options", O_LIST_OPTIONS, NULL,
	    "every option's name, one per line (for scripts)" },
	{ "list-commands", O_LIST_COMMANDS, NULL,
	    "every command's name, one per line (for scripts)" },
};

#define NOPTS (sizeof(options) / sizeof(options[0]))

static void
usage(FILE *f, const command *commands)
{
	fputs(
	    "usage: managerctl [options] COMMAND [ARG...]\n\ncommands:\n", f);
	for (const command *c = commands; c->name != NULL; c++) {
		char head[64];
		snprintf(head, sizeof(head), "%s %s", c->name, c->args);
		help_line(f, head, c->help, 26);
	}
	fputs("\noptions:\n", f);
	for (size_t i = 0; i < NOPTS; i++) {
		char head[64];
		snprintf(head, sizeof(head), "--%s%s%s", options[i].name,
		    options[i].arg ? " " : "",
		    options[i].arg ? options[i].arg : "");
		help_line(f, head, options[i].help, 26);
	}
	fputs(
	    "\nVALUE, KEY and DELTA are Python literals: 'a' 1 2.5 None "
	    "True (1, 2)\n[1, 'x'] {'k': 1} b'\\x00'; a bare word that is "
	    "none of them (alice, job-7)\nis a str ('1' and 'None' are strs "
	    "quoted). Options go before or after the\ncommand, as --opt "
	    "VALUE or --opt=VALUE; \"--\" ends them, so a negative\nliteral "
	    "can follow.\n"
	    "environment: MGR_URL, MGR_AUTHKEY. exit status: 0 ok, 1 error "
	    "from the\nmanager, 2 usage, 3 cannot connect or "
	    "authenticate\n",
	    f);
}

bool ctl_json;
bool ctl_raw;

int
usage_error(const char *fmt, const char *what)
{
	fprintf(stderr, "managerctl: ");
	fprintf(stderr, fmt, what);
	fprintf(stderr, " (managerctl --help lists the commands)\n");
	return EXIT_USAGE;
}

/* S seconds into ms (a non-negative number). */
static bool
seconds(const char *s, int64_t *ms)
{
	char  *end;
	double d = strtod(s, &end);
	if (end == s || *end != '\0' || !(d >= 0) || d > 1e9) {
		return false;
	}
	*ms = (int64_t) (d * 1000);
	return true;
}

/* Option id with its value v: -1 to go on, or the exit status. */
static int
take(int id, const char *v, ctl_args *a, cmd_ctx *x)
{
	int64_t ms;
	char   *end;
	switch (id) {
	case O_URL:
		a->url = v;
		return -1;
	case O_KEYFILE:
		a->keyfile = v;
		return -1;
	case O_TIMEOUT:
		return seconds(v, &x->timeout)
		    ? -1
		    : usage_error(
		        "--timeout %s is not a number of seconds", v);
	case O_INTERVAL:
		if (!seconds(v, &ms) || ms < 10) {
			return usage_error("--interval %s is not a number of "
			                   "seconds (0.01 or more)",
			    v);
		}
		x->interval = (double) ms / 1000;
		return -1;
	case O_COUNT:
		x->count = strtol(v, &end, 10);
		return end != v && *end == '\0' && x->count >= 1
		    ? -1
		    : usage_error("--count %s is not a positive number", v);
	case O_JSON:
		ctl_json = true;
		return -1;
	case O_ACK:
		x->ack = true;
		return -1;
	case O_RAW:
		ctl_raw = true;
		return -1;
	case O_HELP:
		usage(stdout, a->commands);
		return 0;
	case O_VERSION:
		printf("managerctl %s\n", mgr_version());
		return 0;
	case O_LIST_OPTIONS:
		for (size_t i = 0; i < NOPTS; i++) {
			printf("--%s\n", options[i].name);
		}
		return 0;
	case O_LIST_COMMANDS:
		for (const command *c = a->commands; c->name != NULL; c++) {
			printf("%s\n", c->name);
		}
		return 0;
	default:
		return EXIT_USAGE;
	}
}

static const command *
find_command(const command *commands, const char *name)
{
	for (const command *c = commands; c->name != NULL; c++) {
		if (strcmp(c->name, name) == 0) {
			return c;
		}
	}
	return NULL;
}

int
ctl_parse_args(
    int argc, char **argv, ctl_args *a, cmd_ctx *x, const command **cmd)
{
	struct option longopts[NOPTS + 1];
	for (size_t i = 0; i < NOPTS; i++) {
		longopts[i] = (struct option) { options[i].name,
			options[i].arg ? required_argument : no_argument,
			NULL, options[i].id };
	}
	longopts[NOPTS] = (struct option) { 0 };
	opterr          = 0; // our messages
	int c, st;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout, a->commands);
			return 0;
		}
		if (c == '?' || c == ':') {
			return usage_error(c == ':' ? "%s needs a value"
			                            : "unknown option %s",
			    argv[optind - 1]);
		}
		if ((st = take(c, optarg, a, x)) >= 0) {
			return st;
		}
	}
	static const char *args[8];
	if (optind == argc) {
		usage(stderr, a->commands);
		return EXIT_USAGE;
	}
	x->cmd = argv[optind++];
	for (; optind < argc; optind++) {
		if (x->nargs == (int) (sizeof(args) / sizeof(args[0]))) {
			return usage_error("too many arguments%s", "");
		}
		args[x->nargs++] = argv[optind];
	}
	x->args = args;
	if ((*cmd = find_command(a->commands, x->cmd)) == NULL) {
		return usage_error("unknown command %s", x->cmd);
	}
	if (x->nargs < (*cmd)->min_args) {
		return usage_error("%s needs more arguments", x->cmd);
	}
	if (x->nargs > (*cmd)->max_args) {
		return usage_error("too many arguments for %s", x->cmd);
	}
	if (a->url == NULL) {
		return usage_error("no --url and no MGR_URL%s", "");
	}
	return -1;
}
