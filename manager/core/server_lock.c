/* The server lock (server.h): held while a request is applied in memory,
 * never across a system call. Taking it counts the thread as holding it
 * (syscall_guard); dropping it writes what the thread queued meanwhile:
 * its log lines, and its replies unless it serves a read (whose end
 * writes them, conn.h's rule). Below everything in core/ that locks. */
#include "conn.h"
#include "log.h"
#include "server_state.h"
#include "syscall_guard.h"

void
server_lock(server *srv)
{
	pthread_mutex_lock(&srv->mtx);
	syscall_guard_enter();
}

void
server_unlock(server *srv)
{
	syscall_guard_leave();
	pthread_mutex_unlock(&srv->mtx);
	log_flush_deferred();
	if (!fconn_serving()) {
		fconn_flush_queued();
	}
}
