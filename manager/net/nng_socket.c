/* The kernel socket under an nng stream.
 *
 * nng does not expose the descriptor of a stream, and the connection
 * layer needs it to ask the kernel whether a peer hung up before handing
 * it something (fconn_peer_gone), as it does for its own sockets: a
 * client killed just before a put must not take the item with it. So it
 * is found once, when the connection is made, by what the kernel says of
 * each descriptor. */
#include "nng_socket.h"

#include <errno.h>
#include <netinet/in.h>
#include <nng/nng.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

/* Whether sockaddr sa (from the kernel) is nng's na. */
static bool
same_addr(const struct sockaddr_storage *sa, const nng_sockaddr *na)
{
	if (sa->ss_family == AF_INET && na->s_family == NNG_AF_INET) {
		const struct sockaddr_in *in
		    = (const struct sockaddr_in *) sa;
		return in->sin_port == na->s_in.sa_port
		    && in->sin_addr.s_addr == na->s_in.sa_addr;
	}
	if (sa->ss_family == AF_INET6 && na->s_family == NNG_AF_INET6) {
		const struct sockaddr_in6 *in
		    = (const struct sockaddr_in6 *) sa;
		return in->sin6_port == na->s_in6.sa_port
		    && memcmp(&in->sin6_addr, na->s_in6.sa_addr, 16) == 0;
	}
	return false;
}

/* 1 when fd is the TCP socket with these two ends, 0 when not, -1 when fd
 * is not open. */
static int
is_socket_of(int fd, const nng_sockaddr *local, const nng_sockaddr *remote)
{
	struct sockaddr_storage sa;
	socklen_t               sl = sizeof(sa);
	if (getpeername(fd, (struct sockaddr *) &sa, &sl) != 0) {
		return errno == EBADF ? -1 : 0;
	}
	if (!same_addr(&sa, remote)) {
		return 0;
	}
	sl = sizeof(sa);
	return getsockname(fd, (struct sockaddr *) &sa, &sl) == 0
	    && same_addr(&sa, local);
}

/* The highest descriptor found so far: a new connection's is usually near
 * it (the lowest free number, in a process that mostly grows). */
static atomic_int fd_hint;

/* 1 when fd is a unix socket bound at path whose peer is process pid and
 * has not hung up, 0 when not, -1 when fd is not open. */
static int
is_ipc_socket_of(int fd, const char *path, uint64_t pid)
{
	struct sockaddr_un sa;
	socklen_t          sl = sizeof(sa);
	if (getsockname(fd, (struct sockaddr *) &sa, &sl) != 0) {
		return errno == EBADF ? -1 : 0;
	}
	struct ucred cr = { 0 };
	socklen_t    cl = sizeof(cr);
	if (sa.sun_family != AF_UNIX
	    || sl <= offsetof(struct sockaddr_un, sun_path)
	    || strncmp(sa.sun_path, path, sizeof(sa.sun_path)) != 0
	    || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) != 0
	    || (uint64_t) cr.pid != pid) {
		return 0;
	}
	// A connection of the same process that is ending (its peer hung
	// up; nng has not closed it yet) is not the new one.
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };
	return poll(&p, 1, 0) == 1
	        && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0
	    ? 0
	    : 1;
}

/* Descriptors found for live connections: not candidates for another. */
static pthread_mutex_t claimed_mtx = PTHREAD_MUTEX_INITIALIZER;
static int            *claimed;
static size_t          nclaimed, claimed_cap;

static bool
is_claimed_locked(int fd)
{
	for (size_t i = 0; i < nclaimed; i++) {
		if (claimed[i] == fd) {
			return true;
		}
	}
	return false;
}

/* Claims fd for a connection: false when it can't be kept (no memory). */
static bool
claim_locked(int fd)
{
	if (nclaimed == claimed_cap) {
		size_t cap = claimed_cap ? claimed_cap * 2 : 64;
		int   *nv  = realloc(claimed, cap * sizeof(*nv));
		if (nv == NULL) {
			return false;
		}
		claimed     = nv;
		claimed_cap = cap;
	}
	claimed[nclaimed++] = fd;
	return true;
}

void
nng_socket_release(int fd)
{
	pthread_mutex_lock(&claimed_mtx);
	for (size_t i = 0; i < nclaimed; i++) {
		if (claimed[i] == fd) {
			claimed[i] = claimed[--nclaimed];
			break;
		}
	}
	if (nclaimed == 0) {
		free(claimed);
		claimed     = NULL;
		claimed_cap = 0;
	}
	pthread_mutex_unlock(&claimed_mtx);
}

/* The unix socket under an ipc stream: the one descriptor, not claimed by
 * another connection, bound at path whose peer is the stream's process
 * and has not hung up. A unique match is ours (ours is among them unless
 * its peer is gone already). More than one (a process with another
 * connection whose own match failed) is ambiguous: -1, and
 * fconn_peer_gone then knows only what nng says. claimed_mtx held. */
static int
ipc_socket_of(nng_stream *st, const char *path)
{
	uint64_t pid = 0;
	if (nng_stream_get_uint64(st, NNG_OPT_IPC_PEER_PID, &pid) != 0) {
		return -1;
	}
	int found = -1, free_run = 0;
	for (int fd = 0; free_run < 64 || fd <= atomic_load(&fd_hint); fd++) {
		int r = is_claimed_locked(fd)
		    ? 0
		    : is_ipc_socket_of(fd, path, pid);
		if (r > 0) {
			if (found >= 0) {
				return -1;
			}
			found = fd;
		}
		free_run = r < 0 ? free_run + 1 : 0;
	}
	return found;
}

/* The kernel socket under a TCP-based stream (tls+tcp, ws, wss, nng's
 * tcp), found by its two addresses (unique while the socket is open): nng
 * does not expose it, and the nng engine needs it to ask the kernel whether a
 * peer hung up before handing it something (fconn_peer_gone), as the direct
 * engine does. -1 when not found. Probes up from the hint until 64 numbers in
 * a row are free, then down from it. */
static int
socket_of(nng_stream *st)
{
	nng_sockaddr local, remote;
	if (nng_stream_get_addr(st, NNG_OPT_LOCADDR, &local) != 0
	    || nng_stream_get_addr(st, NNG_OPT_REMADDR, &remote) != 0) {
		return -1;
	}
	int hint  = atomic_load(&fd_hint);
	int found = -1;
	for (int fd = hint, free_run = 0; free_run < 64; fd++) {
		int r = is_socket_of(fd, &local, &remote);
		if (r > 0) {
			found = fd;
			break;
		}
		free_run = r < 0 ? free_run + 1 : 0;
	}
	for (int fd = hint - 1; found < 0 && fd >= 0; fd--) {
		if (is_socket_of(fd, &local, &remote) > 0) {
			found = fd;
		}
	}
	if (found > hint) {
		atomic_store(&fd_hint, found);
	}
	return found;
}

int
nng_socket_find(nng_stream *st, const char *ipc_path)
{
	pthread_mutex_lock(&claimed_mtx);
	int fd
	    = ipc_path != NULL ? ipc_socket_of(st, ipc_path) : socket_of(st);
	if (fd >= 0 && !claim_locked(fd)) {
		fd = -1;
	}
	pthread_mutex_unlock(&claimed_mtx);
	return fd;
}
