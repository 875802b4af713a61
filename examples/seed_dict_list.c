/* Seed example 1: a dict and a list shared with a child process.
 *
 * The parent starts an embedded manager, makes a dict and a list, and
 * starts a child (by exec: nng is not fork-safe) that gets the manager's
 * address and key in its environment and the two proxies as tokens. The
 * child fills the dict and reverses the list; the parent prints both:
 *
 *   {1: '1', '2': 2, 0.25: None}
 *   [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
 */
#include <mgr.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

#define CHECK(call)                                                        \
	do {                                                               \
		int rv_ = (call);                                          \
		if (rv_ != 0) {                                            \
			fprintf(stderr, "%s: %s (%s)\n", #call,            \
			    mgr_strerror(rv_), mgr_errdetail());           \
			exit(1);                                           \
		}                                                          \
	} while (0)

/* The child: d[1] = '1'; d['2'] = 2; d[0.25] = None; l.reverse() */
static int
child(const char *dtok, const char *ltok)
{
	mgr_client *c;
	mgr_obj    *d, *l;
	CHECK(mgr_connect_env(&c));
	CHECK(mgr_attach(c, dtok, &d));
	CHECK(mgr_attach(c, ltok, &l));
	CHECK(mgr_dict_set(d, mgr_int(1), mgr_str("1")));
	CHECK(mgr_dict_set(d, mgr_str("2"), mgr_int(2)));
	CHECK(mgr_dict_set(d, mgr_float(0.25), mgr_none()));
	CHECK(mgr_list_reverse(l));
	mgr_obj_release(d);
	mgr_obj_release(l);
	mgr_disconnect(c);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "child") == 0) {
		return child(argv[2], argv[3]);
	}

	mgr_server *srv;
	mgr_client *c;
	mgr_obj    *d, *l;
	CHECK(mgr_server_start(&srv, NULL));
	CHECK(mgr_server_connect(srv, &c));
	CHECK(mgr_dict_new(c, &d));
	CHECK(mgr_list_new(c, &l));
	for (int i = 0; i < 10; i++) {
		CHECK(mgr_list_append(l, mgr_int(i)));
	}

	// The child finds the manager through MGR_URL and MGR_AUTHKEY (the
	// environment, not argv, which other users can read).
	size_t      keylen;
	const char *key = mgr_server_authkey(srv, &keylen);
	char       *k   = strndup(key, keylen);
	setenv("MGR_URL", mgr_server_url(srv), 1);
	setenv("MGR_AUTHKEY", k, 1);
	free(k);
	char dtok[64], ltok[64];
	CHECK(mgr_obj_token(d, dtok, sizeof(dtok)));
	CHECK(mgr_obj_token(l, ltok, sizeof(ltok)));
	char *args[] = {argv[0], "child", dtok, ltok, NULL};
	pid_t pid;
	int   status;
	// Run this same program again (argv[0]; it is a path when run as
	// ./seed_dict_list, and /proc/self/exe otherwise).
	const char *self = strchr(argv[0], '/') ? argv[0] : "/proc/self/exe";
	if (posix_spawn(&pid, self, NULL, NULL, args, environ) != 0 ||
	    waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "the child failed\n");
		return 1;
	}

	mgr_value dv, lv;
	char      buf[256];
	CHECK(mgr_dict_copy(d, &dv));
	CHECK(mgr_list_copy(l, &lv));
	CHECK(mgr_value_repr(&dv, buf, sizeof(buf)));
	printf("%s\n", buf);
	CHECK(mgr_value_repr(&lv, buf, sizeof(buf)));
	printf("%s\n", buf);
	mgr_value_free(&dv);
	mgr_value_free(&lv);

	mgr_obj_release(d);
	mgr_obj_release(l);
	mgr_disconnect(c);
	mgr_server_shutdown(srv);
	return 0;
}
