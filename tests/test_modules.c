/* Modules (mgr_module.h) in a real managerd: the refusals at load, the
 * account example's methods, a module's errors and bugs as clear errors,
 * waiting calls (woken by writes, timed out, dropped with their client),
 * custom objects in containers and names, in atomic batches (undone
 * through save and load), and concurrent withdraws that never overdraw. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"
#include "harness.h"

/* Until the manager has n requests waiting (bounded). */
static void
await_waiters(mgr_client *c, int64_t n)
{
	int64_t last;
	if (h_info_await(c, "waiters", NULL, n, 15000, &last) != 0) {
		fail_msg("waiters: %lld, expected %lld", (long long) last,
		    (long long) n);
	}
}

/* Starts child_module with argv, connected to m (MGR_URL, MGR_AUTHKEY). */
static void
spawn_child(h_child *ch, const h_managerd *m, char **argv)
{
	char url[600], key[100];
	snprintf(url, sizeof(url), "MGR_URL=%s", m->url);
	snprintf(key, sizeof(key), "MGR_AUTHKEY=%s", m->key);
	const char *const env[] = { url, key, NULL };
	assert_int_equal(
	    h_spawn(ch, MGR_TESTS_DIR "/child_module", argv, env, H_PIPE_OUT),
	    0);
}

/* managerd with one more option (--load-module SPEC). */
static void
start_with(h_managerd *m, const char *spec)
{
	char opt[700];
	snprintf(opt, sizeof(opt), "--load-module=%s", spec);
	const char *const extra[] = { opt, NULL };
	assert_int_equal(h_managerd_start(m, H_IPC, extra), 0);
}

/* managerd --load-module spec must exit 2 saying want. */
static void
refused(const char *spec, const char *want)
{
	char  opt[700], out[4096];
	char *argv[] = { "managerd", "--listen", "ipc:///nonexistent/x.sock",
		opt, NULL };
	snprintf(opt, sizeof(opt), "--load-module=%s", spec);
	const char *env[] = { "MGR_AUTHKEY=k", NULL };
	int st = h_run(MGR_MANAGERD_PATH, argv, env, H_ERR_TO_OUT, 10000, out,
	    sizeof(out));
	if (st != 2 || strstr(out, want) == NULL) {
		fail_msg(
		    "--load-module %s: exit %d, said '%s'; want 2 and '%s'",
		    spec, st, out, want);
	}
}

static void
test_refusals(void **state)
{
	(void) state;
	refused("/nonexistent/x.so", "/nonexistent/x.so: No such file");
	refused("probe.so", "give the module's absolute path");
	refused(MGR_LIBMGR_PATH, "no mgr_module_init in it");
	refused(MGR_PROBE_MODULE " fail",
	    "its init failed: MGR_EINVAL: invalid argument: the probe was "
	    "told to fail");
	refused(MGR_PROBE_MODULE " api",
	    "a type built for module API 2 (this managerd has 1)");
	refused(MGR_PROBE_MODULE " dup", "type name 'dict' is taken");
	refused(MGR_PROBE_MODULE " badname",
	    "type name 'no spaces' is not a letter then letters");
	refused(MGR_PROBE_MODULE " none", "its init registered no type");
	// A file group or others may write is refused, as its directory.
	char dir[] = "/tmp/mgrtest-mod-XXXXXX", path[300], cmd[700];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/probe.so", dir);
	snprintf(cmd, sizeof(cmd), "cp %s %s", MGR_PROBE_MODULE, path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(chmod(path, 0664), 0);
	refused(path, "is writable by its group (mode 664)");
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(chmod(dir, 0757), 0);
	refused(path, "is writable by others (mode 757)");
	assert_int_equal(chmod(dir, 0700), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* The account example: deposit, withdraw refused with the reason,
 * balance; its type's name; unknown types and methods. */
static void
test_account(void **state)
{
	(void) state;
	h_managerd  m;
	mgr_client *c;
	mgr_obj    *a;
	mgr_value   v;
	start_with(&m, MGR_ACCOUNT_MODULE);
	OK(h_connect(&m, &c));
	OK(mgr_custom_new(c, "account", mgr_int(200), &a));
	assert_string_equal(mgr_obj_type(a), "account");
	OK(mgr_call(a, "withdraw", mgr_int(100), 0, &v));
	assert_int_equal(v.i, 100);
	ERR(MGR_ESTATE, mgr_call(a, "withdraw", mgr_int(200), 0, &v));
	assert_non_null(
	    strstr(mgr_errdetail(), "the balance 100 is short of 200"));
	OK(mgr_call(a, "deposit", mgr_int(50), 0, NULL));
	OK(mgr_call(a, "balance", mgr_none(), 0, &v));
	assert_int_equal(v.i, 150);
	ERR(MGR_ETYPE, mgr_call(a, "deposit", mgr_str("x"), 0, NULL));
	ERR(MGR_EKEY, mgr_call(a, "steal", mgr_none(), 0, NULL));
	assert_non_null(strstr(
	    mgr_errdetail(), "'account' object has no method 'steal'"));
	mgr_obj *bad;
	ERR(MGR_EINVAL, mgr_custom_new(c, "account", mgr_int(-5), &bad));
	ERR(MGR_ETYPE, mgr_custom_new(c, "vault", mgr_none(), &bad));
	assert_non_null(strstr(mgr_errdetail(), "no type 'vault'"));
	// Not a custom object: refused before anything is sent.
	mgr_obj *d;
	OK(mgr_dict_new(c, &d));
	ERR(MGR_ETYPE, mgr_call(d, "balance", mgr_none(), 0, NULL));
	// In a named dict, and back through the name (a token carries it).
	OK(mgr_dict_set(d, mgr_str("acct"), mgr_ref(a)));
	OK(mgr_name_set(c, "bank", d));
	mgr_obj *d2;
	OK(mgr_name_get(c, "bank", &d2));
	OK(mgr_dict_get(d2, mgr_str("acct"), &v));
	assert_int_equal(v.kind, MGR_REF);
	assert_string_equal(mgr_obj_type(mgr_value_ref(&v)), "account");
	mgr_value b;
	OK(mgr_call(mgr_value_ref(&v), "balance", mgr_none(), 0, &b));
	assert_int_equal(b.i, 150);
	char token[128];
	OK(mgr_obj_token(a, token, sizeof(token)));
	mgr_obj *a2;
	OK(mgr_attach(c, token, &a2));
	assert_string_equal(mgr_obj_type(a2), "account");
	mgr_value_free(&v);
	mgr_obj_release(a2);
	mgr_obj_release(d2);
	mgr_obj_release(d);
	mgr_obj_release(a);
	mgr_disconnect(c);
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* A module's failures and bugs: its detail, and clear errors for a bad
 * result, a code that is none, a wait it may not do. */
static void
test_module_errors(void **state)
{
	(void) state;
	h_managerd  m;
	mgr_client *c;
	mgr_obj    *p, *d;
	mgr_value   v;
	start_with(&m, MGR_PROBE_MODULE " second");
	OK(h_connect(&m, &c));
	ERR(MGR_EVALUE, mgr_custom_new(c, "probe", mgr_str("boom"), &p));
	assert_non_null(strstr(mgr_errdetail(), "refused to be made from"));
	OK(mgr_custom_new(c, "probe2", mgr_none(), &p));
	assert_string_equal(mgr_obj_type(p), "probe2");
	mgr_obj_release(p);
	mgr_value items[] = { mgr_int(1), mgr_str("x"), mgr_float(2.5) };
	mgr_value pairs[] = { mgr_str("k"), mgr_list_of(items, 3) };
	OK(mgr_custom_new(c, "probe", mgr_dict_of(pairs, 1), &p));
	OK(mgr_call(p, "get", mgr_none(), 0, &v));
	char buf[128];
	OK(mgr_value_repr(&v, buf, sizeof(buf)));
	assert_string_equal(buf, "{'k': [1, 'x', 2.5]}");
	mgr_value_free(&v);
	ERR(MGR_EVALUE, mgr_call(p, "fail", mgr_none(), 0, NULL));
	assert_non_null(strstr(mgr_errdetail(), "probe.fail: fail failed"));
	ERR(MGR_ETYPE, mgr_call(p, "bad_result", mgr_none(), 0, NULL));
	assert_non_null(strstr(mgr_errdetail(), "returned a value"));
	ERR(MGR_ETYPE, mgr_call(p, "bad_str", mgr_none(), 0, NULL));
	ERR(MGR_EINTERNAL, mgr_call(p, "bad_code", mgr_none(), 0, NULL));
	ERR(MGR_EINTERNAL, mgr_call(p, "wait_bad", mgr_none(), 1000, NULL));
	assert_non_null(
	    strstr(mgr_errdetail(), "without MGR_METHOD_MAY_WAIT"));
	// References do not go into a module's objects.
	OK(mgr_dict_new(c, &d));
	ERR(MGR_ETYPE, mgr_call(p, "set", mgr_ref(d), 0, NULL));
	assert_non_null(strstr(mgr_errdetail(), "takes no references"));
	// The manager goes on serving.
	OK(mgr_call(p, "echo", mgr_int(7), 0, &v));
	assert_int_equal(v.i, 7);
	// A result pointing into the arguments (an echo of a list).
	OK(mgr_call(p, "echo", mgr_dict_of(pairs, 1), 0, &v));
	OK(mgr_value_repr(&v, buf, sizeof(buf)));
	assert_string_equal(buf, "{'k': [1, 'x', 2.5]}");
	mgr_value_free(&v);
	mgr_obj_release(d);
	mgr_obj_release(p);
	mgr_disconnect(c);
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* A call that waits: woken by a write, in arrival order among those that
 * can end; timed out; a timeout of 0 never parks; a waiter whose client
 * is killed is passed over. */
static void
test_waits(void **state)
{
	(void) state;
	h_managerd  m;
	mgr_client *c;
	mgr_obj    *a;
	mgr_value   v;
	start_with(&m, MGR_ACCOUNT_MODULE);
	OK(h_connect(&m, &c));
	OK(mgr_custom_new(c, "account", mgr_int(0), &a));
	OK(mgr_name_set(c, "acct", a));
	ERR(MGR_ETIMEDOUT, mgr_call(a, "wait_at_least", mgr_int(10), 0, &v));
	ERR(MGR_ETIMEDOUT, mgr_call(a, "wait_at_least", mgr_int(10), 50, &v));
	// A child waits for 100 while we deposit: it gets the balance.
	h_child ch;
	char   *argv[] = { "child_module", "call", "acct", "wait_at_least",
		  "100", NULL };
	spawn_child(&ch, &m, argv);
	char line[128];
	assert_int_equal(
	    h_child_read_line(&ch, line, sizeof(line), 15000), 0);
	assert_string_equal(line, "waiting");
	await_waiters(c, 1); // parked in the manager
	OK(mgr_call(a, "deposit", mgr_int(60), 0, NULL)); // not yet
	OK(mgr_call(a, "deposit", mgr_int(60), 0, NULL)); // 120: wakes it
	assert_int_equal(
	    h_child_read_line(&ch, line, sizeof(line), 15000), 0);
	assert_string_equal(line, "got 120");
	assert_int_equal(h_child_wait(&ch, 15000), 0);
	// A killed waiter: parked, then its process dies; a deposit that
	// would have woken it finds no one to answer, and the manager goes
	// on.
	char *argv2[] = { "child_module", "call", "acct", "wait_at_least",
		"1000", NULL };
	spawn_child(&ch, &m, argv2);
	assert_int_equal(
	    h_child_read_line(&ch, line, sizeof(line), 15000), 0);
	assert_string_equal(line, "waiting");
	await_waiters(c, 1);
	OK(h_child_signal(&ch, SIGKILL));
	(void) h_child_wait(&ch, 15000);
	await_waiters(c, 0); // its session's end dropped the call
	OK(mgr_call(a, "deposit", mgr_int(1000), 0, &v));
	assert_int_equal(v.i, 1120);
	OK(mgr_call(a, "wait_at_least", mgr_int(1000), 1000, &v));
	assert_int_equal(v.i, 1120);
	OK(mgr_name_del(c, "acct"));
	mgr_obj_release(a);
	mgr_disconnect(c);
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* Calls in atomic batches: a failing batch puts the state back (save and
 * load), a committed one wakes the parked; a call that may wait is
 * refused in an atomic batch. */
static void
test_batches(void **state)
{
	(void) state;
	h_managerd  m;
	mgr_client *c;
	mgr_obj    *a, *d;
	mgr_batch  *b;
	mgr_value   v;
	start_with(&m, MGR_ACCOUNT_MODULE);
	OK(h_connect(&m, &c));
	OK(mgr_custom_new(c, "account", mgr_int(100), &a));
	OK(mgr_dict_new(c, &d));
	OK(mgr_batch_new(c, &b));
	// Withdraw 30, then a dict get that fails: the withdraw is undone.
	OK(mgr_batch_add(b, a, MGR_OP_CALL,
	    (mgr_value[]) { mgr_str("withdraw"), mgr_int(30) }, 2));
	OK(mgr_batch_add(
	    b, d, MGR_OP_DICT_GET, (mgr_value[]) { mgr_str("nokey") }, 1));
	ERR(MGR_EKEY, mgr_batch_exec(b, true));
	OK(mgr_call(a, "balance", mgr_none(), 0, &v));
	assert_int_equal(v.i, 100);
	// A transfer: withdraw from one account, deposit to another, all or
	// nothing.
	mgr_obj *a2;
	OK(mgr_custom_new(c, "account", mgr_int(0), &a2));
	OK(mgr_batch_add(b, a, MGR_OP_CALL,
	    (mgr_value[]) { mgr_str("withdraw"), mgr_int(70) }, 2));
	OK(mgr_batch_add(b, a2, MGR_OP_CALL,
	    (mgr_value[]) { mgr_str("deposit"), mgr_int(70) }, 2));
	OK(mgr_batch_exec(b, true));
	OK(mgr_batch_result(b, 1, NULL, &v));
	assert_int_equal(v.i, 70);
	// A child waits for a2 to reach 100: a batch that deposits and then
	// fails wakes no one (its deposit is undone); one that commits does.
	OK(mgr_name_set(c, "a2", a2));
	h_child ch;
	char    line[128];
	char   *argv[]
	    = { "child_module", "call", "a2", "wait_at_least", "100", NULL };
	spawn_child(&ch, &m, argv);
	assert_int_equal(
	    h_child_read_line(&ch, line, sizeof(line), 15000), 0);
	await_waiters(c, 1);
	OK(mgr_batch_add(b, a2, MGR_OP_CALL,
	    (mgr_value[]) { mgr_str("deposit"), mgr_int(50) }, 2));
	OK(mgr_batch_add(
	    b, d, MGR_OP_DICT_GET, (mgr_value[]) { mgr_str("nokey") }, 1));
	ERR(MGR_EKEY, mgr_batch_exec(b, true));
	int64_t waiting;
	assert_int_equal(h_info_int(c, "waiters", &waiting), 0);
	assert_int_equal(waiting, 1); // still parked: nothing was applied
	OK(mgr_batch_add(b, a2, MGR_OP_CALL,
	    (mgr_value[]) { mgr_str("deposit"), mgr_int(50) }, 2));
	OK(mgr_batch_exec(b, true));
	assert_int_equal(
	    h_child_read_line(&ch, line, sizeof(line), 15000), 0);
	assert_string_equal(line, "got 120");
	assert_int_equal(h_child_wait(&ch, 15000), 0);
	OK(mgr_name_del(c, "a2"));
	OK(mgr_call(a2, "withdraw", mgr_int(50), 0, NULL)); // back to 70
	OK(mgr_batch_add(b, a, MGR_OP_CALL,
	    (mgr_value[]) { mgr_str("withdraw"), mgr_int(70) }, 2));
	OK(mgr_batch_add(b, a2, MGR_OP_CALL,
	    (mgr_value[]) { mgr_str("deposit"), mgr_int(70) }, 2));
	ERR(MGR_ESTATE, mgr_batch_exec(b, true)); // 30 left: nothing moves
	OK(mgr_call(a2, "balance", mgr_none(), 0, &v));
	assert_int_equal(v.i, 70);
	// A waiting method can't be in one.
	OK(mgr_batch_add(b, a, MGR_OP_CALL,
	    (mgr_value[]) { mgr_str("wait_at_least"), mgr_int(1) }, 2));
	ERR(MGR_ETYPE, mgr_batch_exec(b, true));
	assert_non_null(strstr(mgr_errdetail(), "may block"));
	// Misuse of the entry, refused at once.
	ERR(MGR_EINVAL, mgr_batch_add(b, a, MGR_OP_CALL, NULL, 0));
	ERR(MGR_EINVAL,
	    mgr_batch_add(
	        b, a, MGR_OP_CALL, (mgr_value[]) { mgr_int(1) }, 1));
	// Pipelined calls are each a request of their own.
	OK(mgr_batch_add(b, a, MGR_OP_CALL,
	    (mgr_value[]) { mgr_str("deposit"), mgr_int(5) }, 2));
	OK(mgr_batch_add(
	    b, a, MGR_OP_CALL, (mgr_value[]) { mgr_str("balance") }, 1));
	OK(mgr_batch_exec(b, false));
	OK(mgr_batch_result(b, 1, NULL, &v));
	assert_int_equal(v.i, 35);
	mgr_batch_free(b);
	mgr_obj_release(a2);
	mgr_obj_release(d);
	mgr_obj_release(a);
	mgr_disconnect(c);
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* The token bucket: a take waits for tokens, in arrival order, and each
 * refill serves what it can. */
static void
test_token_bucket(void **state)
{
	(void) state;
	h_managerd  m;
	mgr_client *c;
	mgr_obj    *b;
	mgr_value   v;
	start_with(&m, MGR_BUCKET_MODULE);
	OK(h_connect(&m, &c));
	ERR(MGR_EINVAL, mgr_custom_new(c, "token_bucket", mgr_int(0), &b));
	OK(mgr_custom_new(c, "token_bucket", mgr_int(3), &b));
	OK(mgr_name_set(c, "bucket", b));
	OK(mgr_call(b, "take", mgr_int(3), 0, &v));
	assert_int_equal(v.i, 0);
	ERR(MGR_ETIMEDOUT, mgr_call(b, "take", mgr_int(1), 0, NULL));
	ERR(MGR_EINVAL, mgr_call(b, "take", mgr_int(4), MGR_FOREVER, NULL));
	h_child ch;
	char    line[128];
	char   *argv[]
	    = { "child_module", "call", "bucket", "take", "2", NULL };
	spawn_child(&ch, &m, argv);
	assert_int_equal(
	    h_child_read_line(&ch, line, sizeof(line), 15000), 0);
	await_waiters(c, 1);
	OK(mgr_call(b, "refill", mgr_int(1), 0, &v)); // 1: not enough
	assert_int_equal(v.i, 1);
	OK(mgr_call(b, "available", mgr_none(), 0, &v));
	assert_int_equal(v.i, 1);
	OK(mgr_call(b, "refill", mgr_int(1), 0, &v)); // 2: taken at once
	assert_int_equal(v.i, 2); // what refill left, before the take ran
	assert_int_equal(
	    h_child_read_line(&ch, line, sizeof(line), 15000), 0);
	assert_string_equal(line, "got 0");
	assert_int_equal(h_child_wait(&ch, 15000), 0);
	OK(mgr_call(b, "refill", mgr_int(100), 0, &v)); // up to capacity
	assert_int_equal(v.i, 3);
	OK(mgr_name_del(c, "bucket"));
	mgr_obj_release(b);
	mgr_disconnect(c);
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* Four processes withdraw 1 a thousand times each from 2,500: exactly
 * 2,500 are paid, the balance never goes below 0. */
static void
test_concurrent_withdraws(void **state)
{
	(void) state;
	h_managerd  m;
	mgr_client *c;
	mgr_obj    *a;
	mgr_value   v;
	start_with(&m, MGR_ACCOUNT_MODULE);
	OK(h_connect(&m, &c));
	OK(mgr_custom_new(c, "account", mgr_int(2500), &a));
	OK(mgr_name_set(c, "acct", a));
	h_child ch[4];
	char *argv[] = { "child_module", "withdraws", "acct", "1000", NULL };
	for (int i = 0; i < 4; i++) {
		spawn_child(&ch[i], &m, argv);
	}
	long paid = 0, refused = 0;
	for (int i = 0; i < 4; i++) {
		char line[128];
		long p, r;
		assert_int_equal(
		    h_child_read_line(&ch[i], line, sizeof(line), 60000), 0);
		assert_int_equal(
		    sscanf(line, "paid %ld refused %ld", &p, &r), 2);
		paid += p;
		refused += r;
		assert_int_equal(h_child_wait(&ch[i], 15000), 0);
	}
	assert_int_equal(paid, 2500);
	assert_int_equal(refused, 1500);
	OK(mgr_call(a, "balance", mgr_none(), 0, &v));
	assert_int_equal(v.i, 0);
	OK(mgr_name_del(c, "acct"));
	mgr_obj_release(a);
	mgr_disconnect(c);
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* managerctl makes and calls them: new with a module's type, call, show. */
static void
test_managerctl(void **state)
{
	(void) state;
	h_managerd m;
	start_with(&m, MGR_ACCOUNT_MODULE);
	char url[600], key[100], out[1024];
	snprintf(url, sizeof(url), "MGR_URL=%s", m.url);
	snprintf(key, sizeof(key), "MGR_AUTHKEY=%s", m.key);
	const char *const env[]      = { url, key, NULL };
	const char       *steps[][6] = {
		      { "0", "", "new", "account", "acct", "100" },
		      { "0", "70\n", "call", "acct", "withdraw", "30" },
		      { "1",
		          "managerctl: acct: MGR_ESTATE: operation not allowed in "
		                "this state (account.withdraw: the balance 70 is short "
		                "of "
		                "300)\n",
		          "call", "acct", "withdraw", "300" },
		      { "0", "account acct: state 70\n", "show", "acct", NULL,
		          NULL },
		      { "1",
		          "managerctl: vault: MGR_ETYPE: wrong object or value "
		                "type "
		                "(no type 'vault' (no module loaded with --load-module "
		                "registered it))\n",
		          "new", "vault", "v", NULL },
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		char *argv[6] = { "managerctl" };
		for (int k = 2; k < 6 && steps[i][k] != NULL; k++) {
			argv[k - 1] = (char *) steps[i][k];
		}
		int st = h_run(MGR_TESTS_DIR "/../tools/managerctl", argv,
		    env, H_ERR_TO_OUT, 10000, out, sizeof(out));
		if (st != atoi(steps[i][0])
		    || strcmp(out, steps[i][1]) != 0) {
			fail_msg("managerctl %s %s: exit %d, '%s'",
			    steps[i][2], steps[i][3], st, out);
		}
	}
	assert_int_equal(h_managerd_stop(&m), 0);
}

/* A module's objects with --data-dir: their calls are in the log and
 * their states (the module's save) in a snapshot, which the snapshot
 * process makes with the same module loaded; after kill -9 and a restart
 * the balance is what the acknowledged calls made it. */
static void
test_module_objects_kept(void **state)
{
	(void) state;
	h_datadir *f = h_datadir_new("module-data");
	assert_non_null(f);
	char opt[700];
	snprintf(opt, sizeof(opt), "--load-module=%s", MGR_ACCOUNT_MODULE);
	const char *const extra[]
	    = { opt, "--data-dir", f->data, "--snapshot-after", "0", NULL };
	assert_int_equal(h_managerd_start(&f->m, H_IPC, extra), 0);
	mgr_client *c;
	mgr_obj    *a;
	mgr_value   v;
	int64_t     made;
	OK(h_connect(&f->m, &c));
	OK(mgr_custom_new(c, "account", mgr_int(200), &a));
	OK(mgr_name_set(c, "acct", a));
	OK(mgr_call(a, "withdraw", mgr_int(100), 0, &v));
	OK(mgr_call(a, "deposit", mgr_int(50), 0, NULL));
	OK(mgr_save(c));
	OK(h_info_await(c, "snapshot_running", NULL, 0, 60000, NULL));
	OK(h_info_int(c, "snapshots", &made));
	assert_int_equal(made, 1);
	OK(mgr_call(a, "deposit", mgr_int(7), 0, NULL)); // the log's only
	mgr_obj_release(a);
	mgr_disconnect(c);
	assert_int_equal(h_managerd_kill(&f->m), 0);
	assert_int_equal(h_managerd_restart(&f->m, extra), 0);
	OK(h_connect(&f->m, &c));
	OK(mgr_name_get(c, "acct", &a));
	OK(mgr_call(a, "balance", mgr_none(), 0, &v));
	assert_int_equal(v.i, 157);
	mgr_obj_release(a);
	mgr_disconnect(c);
	assert_int_equal(h_managerd_stop(&f->m), 0);
	h_datadir_free(f);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_account),
		cmocka_unit_test(test_module_errors),
		cmocka_unit_test(test_waits),
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_token_bucket),
		cmocka_unit_test(test_concurrent_withdraws),
		cmocka_unit_test(test_managerctl),
		cmocka_unit_test(test_module_objects_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
