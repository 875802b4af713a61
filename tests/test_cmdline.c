/* managerd's command line: key files (unreadable, empty, readable by
 * others, generated, --authkey-out) and usage errors, each an exit status
 * and a message that says what is wrong. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* ---- managerd's command line ------------------------------------------- */

static int
cmdline_setup(void **state)
{
	(void) state;
	h_watchdog_arm(60, "the test of the last [ RUN ] line");
	return 0;
}

static int
cmdline_teardown(void **state)
{
	(void) state;
	h_watchdog_disarm();
	return 0;
}

/* Runs managerd with args; returns its exit code, output in out. */
static int
run_managerd(const char *const *args, char *out, size_t cap)
{
	const char *argv[16] = { h_managerd_path() };
	size_t      n        = 1;
	for (; args[n - 1] != NULL && n < countof(argv) - 1; n++) {
		argv[n] = args[n - 1];
	}
	argv[n]                 = NULL;
	const char *const env[] = { "MGR_AUTHKEY", NULL };
	return h_run(h_managerd_path(), (char *const *) argv, env,
	    H_ERR_TO_OUT, 10000, out, cap);
}

static void
assert_has(const char *out, const char *needle)
{
	if (strstr(out, needle) == NULL) {
		fail_msg("output lacks \"%s\":\n%s", needle, out);
	}
}

static void
test_cmdline_bad_authkey_file(void **state)
{
	(void) state;
	char        dir[] = "/tmp/mgrtest-cmd-XXXXXX";
	char        sock[128], url[160], missing[128], empty[128], out[16384];
	struct stat st;
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	snprintf(url, sizeof(url), "ipc://%s", sock);
	snprintf(missing, sizeof(missing), "%s/no-such-key", dir);
	snprintf(empty, sizeof(empty), "%s/empty-key", dir);
	FILE *f = fopen(empty, "w");
	assert_non_null(f);
	assert_int_equal(chmod(empty, 0600), 0);
	fputs("\n", f); // only the newline: an empty key
	fclose(f);

	// Unreadable for lack of permission (root reads it anyway).
	char noperm[128];
	snprintf(noperm, sizeof(noperm), "%s/no-permission", dir);
	f = fopen(noperm, "w");
	assert_non_null(f);
	fputs("secret\n", f);
	fclose(f);
	assert_int_equal(chmod(noperm, 0), 0);

	const char *files[] = { missing, empty, dir, noperm };
	size_t      nfiles  = countof(files) - (geteuid() == 0);
	for (size_t i = 0; i < nfiles; i++) {
		const char *args[]
		    = { "--listen", url, "--authkey-file", files[i], NULL };
		int code = run_managerd(args, out, sizeof(out));
		if (code <= 0 || code >= 128) {
			fail_msg("--authkey-file %s: exit %d, want an error "
			         "exit\n%s",
			    files[i], code, out);
		}
		assert_has(out, "cannot read a key");
		assert_has(out, files[i]);
		// It did not start listening.
		assert_int_not_equal(stat(sock, &st), 0);
	}
	unlink(empty);
	unlink(noperm);
	unlink(sock);
	assert_int_equal(rmdir(dir), 0);
}

/* Key files: one others may read is refused (as ssh does) unless asked
 * for; a generated key goes to a private directory of unpredictable name,
 * removed at exit, or to --authkey-out, created 0600 and kept. */
static void
test_cmdline_key_files(void **state)
{
	(void) state;
	char out[16384], dir[] = "/tmp/mgrtest-key-XXXXXX", key[128],
	                 kept[128];
	struct stat st;
	assert_non_null(mkdtemp(dir));
	snprintf(key, sizeof(key), "%s/key", dir);
	FILE *f = fopen(key, "w");
	assert_non_null(f);
	fputs("secret\n", f);
	fclose(f);
	assert_int_equal(chmod(key, 0644), 0);
	// bogus:// makes a managerd that got past its key exit at once (2,
	// a usage error); one refused its key file exits 1 before that.
	const char *open_key[]
	    = { "--listen", "bogus://x", "--authkey-file", key, NULL };
	assert_int_equal(run_managerd(open_key, out, sizeof(out)), 1);
	assert_has(out, "may be read by other users");
	assert_has(out, "chmod 600");
	const char *insecure[] = { "--listen", "bogus://x", "--authkey-file",
		key, "--authkey-file-insecure", NULL };
	assert_int_equal(run_managerd(insecure, out, sizeof(out)), 2);
	assert_has(out, "cannot listen");
	// A generated key: announced, private, and gone at exit.
	const char *gen[] = { "--listen", "bogus://x", NULL };
	assert_int_equal(run_managerd(gen, out, sizeof(out)), 2);
	const char *at = strstr(out, "generated one in ");
	assert_non_null(at);
	char path[512];
	assert_int_equal(sscanf(at + 17, "%511s", path), 1);
	// Unpredictable: mkdtemp's letters and digits, not a pid (all
	// digits: 1 in 55,000 of mkdtemp's names, where the old check, "no
	// 0 after the dash", failed 1 run in 62).
	const char *name = strstr(path, "/managerd-");
	assert_non_null(name);
	name += strlen("/managerd-");
	size_t letters = 0, len = strcspn(name, "/");
	for (size_t i = 0; i < len; i++) {
		letters += name[i] < '0' || name[i] > '9';
	}
	assert_true(len >= 6 && letters > 0);
	assert_int_not_equal(stat(path, &st), 0);
	*strrchr(path, '/') = '\0';
	assert_int_not_equal(stat(path, &st), 0); // the directory too
	// --authkey-out: written 0600, kept.
	snprintf(kept, sizeof(kept), "%s/kept", dir);
	const char *out_key[]
	    = { "--listen", "bogus://x", "--authkey-out", kept, NULL };
	assert_int_equal(run_managerd(out_key, out, sizeof(out)), 2);
	assert_int_equal(stat(kept, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 64);
	// ... and not over an existing file.
	assert_int_equal(run_managerd(out_key, out, sizeof(out)), 1);
	assert_has(out, "cannot write the key");
	unlink(kept);
	unlink(key);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_cmdline_usage_errors(void **state)
{
	(void) state;
	char out[16384];
	// A key file, so that no case makes managerd invent a key (and write
	// it to a file of its own).
	char dir[] = "/tmp/mgrtest-cmd-XXXXXX", keyfile[128];
	assert_non_null(mkdtemp(dir));
	snprintf(keyfile, sizeof(keyfile), "%s/key", dir);
	FILE *f = fopen(keyfile, "w");
	assert_non_null(f);
	assert_int_equal(chmod(keyfile, 0600), 0);
	fputs("secret\n", f);
	fclose(f);
	struct {
		const char *args[10];
		int         code;
		const char *says;
	} cases[] = {
		{ { NULL }, 2, "--listen" },
		{ { "--authkey-file", "/dev/null", NULL }, 2, "--listen" },
		{ { "--listen", NULL }, 2, "needs a value" },
		{ { "--bogus", "1", NULL }, 2, "unknown option" },
		{ { "--listen", "tcp://127.0.0.1:0", "--max-message", "10",
		      NULL },
		    2, "--max-message" },
		{ { "--listen", "tcp://127.0.0.1:0", "--log-level", "loud",
		      NULL },
		    2, "log level" },
		{ { "--listen", "bogus://x", "--authkey-file", keyfile,
		      NULL },
		    2, "managerd serves ipc:///path" },
		{ { "--listen", "tcp://256.1.1.1:1", "--authkey-file",
		      keyfile, NULL },
		    2, "cannot listen" },
		// --opt=value, as getopt_long takes it.
		{ { "--listen=tcp://127.0.0.1:0", "--max-items=abc", NULL },
		    2, "--max-items takes a number, not abc" },
		{ { "--listen=tcp://127.0.0.1:0", "--max-memory=1x", NULL },
		    2, "--max-memory takes a size" },
		{ { "--listen", "tcp://127.0.0.1:0", "stray", NULL }, 2,
		    "stray is not an option" },
		// The data directory's options.
		{ { "--check", NULL }, 2, "--check needs --data-dir" },
		{ { "--listen", "tcp://127.0.0.1:0", "--authkey-file",
		      keyfile, "--fsync", "always", NULL },
		    2, "--fsync needs --data-dir" },
		{ { "--listen", "tcp://127.0.0.1:0", "--authkey-file",
		      keyfile, "--data-dir", dir, "--fsync", "sometimes" },
		    2, "--fsync sometimes: always, everysec or no" },
		{ { "--listen", "tcp://127.0.0.1:0", "--data-dir", dir,
		      "--load-module", "/nonexistent.so", NULL },
		    2, "--load-module" },
	};
	for (size_t i = 0; i < countof(cases); i++) {
		int code = run_managerd(cases[i].args, out, sizeof(out));
		if (code != cases[i].code) {
			fail_msg("case %zu: exit %d, want %d\n%s", i, code,
			    cases[i].code, out);
		}
		assert_has(out, cases[i].says);
		// A usage error is one line naming it, not the whole help.
		assert_null(strstr(out, "--max-waiters-per-session"));
	}
	const char *help[] = { "--help", NULL }, *h[] = { "-h", NULL };
	assert_int_equal(run_managerd(help, out, sizeof(out)), 0);
	assert_has(out, "usage: managerd");
	assert_has(out, "--max-waiters-per-session"); // made from the table
	assert_int_equal(run_managerd(h, out, sizeof(out)), 0);
	assert_has(out, "usage: managerd");
	unlink(keyfile);
	assert_int_equal(rmdir(dir), 0);
}

/* Config files: a line that is no option, a bad value, a missing file,
 * each named with the file and line; what they say is taken (a bad
 * --listen in one is refused as on the command line). */
static void
test_cmdline_config_errors(void **state)
{
	(void) state;
	char path[] = "/tmp/mgrtest-conf-XXXXXX", out[4096], opt[64];
	int  fd     = mkstemp(path);
	assert_true(fd >= 0);
	snprintf(opt, sizeof(opt), "--config=%s", path);
	const struct {
		const char *text;
		const char *says;
	} cases[] = {
		{ "# fine\nlisten tcp://127.0.0.1:0\nfrob 1\n",
		    ":3: frob is not an option a config file takes" },
		{ "max-items abc\n", "--max-items takes a number, not abc" },
		{ "max-items abc\n", ", line 1)" },
		{ "listen\n", ":1: listen needs a value" },
		{ "config /etc/x\n", ":1: config is not an option" },
		{ "listen bogus://x\n", "cannot listen on bogus://x" },
		// ipc://$XDG_RUNTIME_DIR/mgr.sock with the variable empty
		{ "listen ipc:///mgr.sock\n", "such as $XDG_RUNTIME_DIR" },
	};
	for (size_t i = 0; i < countof(cases); i++) {
		assert_int_equal(ftruncate(fd, 0), 0);
		assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
		size_t n = strlen(cases[i].text);
		assert_int_equal(write(fd, cases[i].text, n), (ssize_t) n);
		const char *args[] = { opt, NULL };
		int         code   = run_managerd(args, out, sizeof(out));
		if (code != 2 || strstr(out, cases[i].says) == NULL) {
			fail_msg(
			    "config '%s': exit %d, said '%s'; want 2 and "
			    "'%s'",
			    cases[i].text, code, out, cases[i].says);
		}
	}
	close(fd);
	unlink(path);
	const char *missing[]
	    = { "--config", "/nonexistent/managerd.conf", NULL };
	assert_int_equal(run_managerd(missing, out, sizeof(out)), 2);
	assert_has(out, "--config /nonexistent/managerd.conf: No such file");
}

/* Under systemd's Type=notify: READY=1 (with its pid) once it listens,
 * STOPPING=1 when SIGTERM starts the shutdown, on $NOTIFY_SOCKET. */
static void
test_cmdline_notify_socket(void **state)
{
	(void) state;
	char dir[] = "/tmp/mgrtest-notify-XXXXXX", sock[64], env_ns[100];
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/notify", dir);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	assert_int_equal(bind(fd, (struct sockaddr *) &sun, sizeof(sun)), 0);
	snprintf(env_ns, sizeof(env_ns), "NOTIFY_SOCKET=%s", sock);
	const char *const env[] = { env_ns, "MGR_AUTHKEY=k", NULL };
	char *argv[] = { "managerd", "--listen", "tcp://127.0.0.1:0", NULL };
	h_child ch;
	assert_int_equal(
	    h_spawn(&ch, h_managerd_path(), argv, env, H_PIPE_OUT), 0);
	const char *want[] = { "READY=1", "STOPPING=1" };
	for (int i = 0; i < 2; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		assert_int_equal(poll(&p, 1, 15000), 1);
		char    msg[256];
		ssize_t n = recv(fd, msg, sizeof(msg) - 1, 0);
		assert_true(n > 0);
		msg[n] = '\0';
		char pid[64];
		snprintf(pid, sizeof(pid), "%s\nMAINPID=%ld", want[i],
		    (long) ch.pid);
		assert_string_equal(msg, pid);
		if (i == 0) {
			assert_int_equal(h_child_signal(&ch, SIGTERM), 0);
		}
	}
	assert_int_equal(h_child_wait(&ch, 15000), 0);
	close(fd);
	unlink(sock);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	unsetenv("MGR_AUTHKEY");
	unsetenv("MGR_URL");
	const struct CMUnitTest cmdline[] = {
		cmocka_unit_test_setup_teardown(test_cmdline_bad_authkey_file,
		    cmdline_setup, cmdline_teardown),
		cmocka_unit_test_setup_teardown(test_cmdline_usage_errors,
		    cmdline_setup, cmdline_teardown),
		cmocka_unit_test_setup_teardown(
		    test_cmdline_key_files, cmdline_setup, cmdline_teardown),
		cmocka_unit_test_setup_teardown(test_cmdline_notify_socket,
		    cmdline_setup, cmdline_teardown),
		cmocka_unit_test_setup_teardown(test_cmdline_config_errors,
		    cmdline_setup, cmdline_teardown),
	};
	return cmocka_run_group_tests_name(
	    "managerd command line", cmdline, NULL, NULL);
}
