/* The connection layer's rule for replies (manager/net/conn.h): what is
 * queued under the server lock is written only once the lock is dropped,
 * and a system call under the lock is a bug the build catches
 * (common/syscall_guard.h). In-process, on a socket pair. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "conn.h"
#include "listener.h"
#include "log.h"
#include "manager.pb-c.h"
#include "syscall_guard.h"
#include "wire.h"

static int
on_frame(void *arg, const uint8_t *data, size_t len)
{
	(void) arg;
	(void) data;
	(void) len;
	return 0;
}

static atomic_int ended; /* on_closed calls */

static void
on_closed(void *arg, int err)
{
	(void) err;
	fconn_free_later(arg);
	atomic_fetch_add(&ended, 1);
}

/* Bytes readable on fd within ms. */
static bool
readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

typedef struct pair {
	evgroup *g;
	fconn   *c;
	int      peer;
	int      ended_want; /* on_closed calls once this one ended */
} pair;

static void
pair_open(pair *p)
{
	int sv[2];
	assert_int_equal(
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(evgroup_new(&p->g, 1), 0);
	assert_int_equal(
	    listener_conn_new(&p->c, p->g, sv[0], NULL, 1 << 20), 0);
	p->peer       = sv[1];
	p->ended_want = atomic_load(&ended) + 1;
	fconn_bind(p->c, on_frame, on_closed, p->c);
	fconn_start(p->c);
}

static void
pair_close(pair *p)
{
	close(p->peer); // the loop sees the end; on_closed frees c
	for (int i = 0; i < 5000 && atomic_load(&ended) < p->ended_want;
	     i++) {
		usleep(1000); // bounded: 5 s
	}
	assert_true(atomic_load(&ended) >= p->ended_want);
	evgroup_free(p->g);
}

static void
hello(ProtobufCMessage **m, Mgr__Hello *h)
{
	mgr__hello__init(h);
	h->version = 7;
	*m         = &h->base;
}

/* Queued under the lock, written when it is dropped. */
static void
test_queued_under_lock(void **state)
{
	(void) state;
	pair              p;
	Mgr__Hello        h;
	ProtobufCMessage *m;
	hello(&m, &h);
	pair_open(&p);

	syscall_guard_enter();
	assert_int_equal(fconn_send_msg(p.c, m, NULL), 0);
	assert_int_equal(fconn_send_msg(p.c, m, NULL), 0);
	assert_false(readable(p.peer, 50)); // nothing written yet
	syscall_guard_leave();
	fconn_flush_queued(); // what server_unlock does
	assert_true(readable(p.peer, 5000));
	uint8_t buf[256];
	ssize_t n   = recv(p.peer, buf, sizeof(buf), 0);
	size_t  one = WIRE_HEADER_LEN + mgr__hello__get_packed_size(&h);
	assert_int_equal((size_t) n, 2 * one); // both, in one write
	assert_int_equal(wire_get_len(buf), one - WIRE_HEADER_LEN);

	// Outside the lock, a reply goes at once.
	assert_int_equal(fconn_send_msg(p.c, m, NULL), 0);
	assert_true(readable(p.peer, 5000));
	pair_close(&p);
}

/* A close asked for under the lock waits too. */
static void
test_close_under_lock(void **state)
{
	(void) state;
	pair p;
	pair_open(&p);
	syscall_guard_enter();
	fconn_close(p.c);
	char b;
	assert_int_equal(recv(p.peer, &b, 1, MSG_DONTWAIT), -1); // open
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	syscall_guard_leave();
	fconn_flush_queued();
	struct pollfd pf = { .fd = p.peer, .events = POLLIN };
	assert_int_equal(poll(&pf, 1, 5000), 1);
	assert_int_equal(recv(p.peer, &b, 1, 0), 0); // end of file
	pair_close(&p);
}

/* A log line under the lock waits for the unlock. */
static void
test_log_under_lock(void **state)
{
	(void) state;
	int pp[2];
	assert_int_equal(pipe2(pp, O_NONBLOCK), 0);
	int saved = dup(STDERR_FILENO);
	dup2(pp[1], STDERR_FILENO);
	syscall_guard_enter();
	log_msg(LOG_WARN, "under the lock");
	char    buf[512];
	ssize_t n = read(pp[0], buf, sizeof(buf));
	syscall_guard_leave();
	log_flush_deferred();
	ssize_t m = read(pp[0], buf, sizeof(buf) - 1);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(pp[0]);
	close(pp[1]);
	assert_int_equal(n, -1); // nothing while held
	assert_true(m > 0);
	buf[m] = '\0';
	assert_non_null(strstr(buf, "under the lock"));
}

/* Writing under the lock is caught: the process aborts, naming it. */
static void
test_write_under_lock_aborts(void **state)
{
	(void) state;
#ifndef MGR_LOCK_CHECKS
	skip(); // a Release build: the check is compiled out
#else
	int err[2];
	assert_int_equal(pipe(err), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		// No loop threads here: the flush itself is what is tested.
		dup2(err[1], STDERR_FILENO);
		int sv[2];
		socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
		evgroup *g;
		fconn   *c;
		if (evgroup_new(&g, 1) != 0
		    || listener_conn_new(&c, g, sv[0], NULL, 1 << 20) != 0) {
			_exit(3);
		}
		Mgr__Hello        h;
		ProtobufCMessage *m;
		hello(&m, &h);
		syscall_guard_enter();
		fconn_send_msg(c, m, NULL);
		fconn_flush_queued(); // the bug: a send under the lock
		_exit(0);
	}
	close(err[1]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	char    buf[512] = "";
	ssize_t n        = read(err[0], buf, sizeof(buf) - 1);
	close(err[0]);
	buf[n > 0 ? n : 0] = '\0';
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGABRT);
	assert_non_null(strstr(buf, "send under the server lock"));
#endif
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queued_under_lock),
		cmocka_unit_test(test_close_under_lock),
		cmocka_unit_test(test_log_under_lock),
		cmocka_unit_test(test_write_under_lock_aborts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
