/* Accepting connections: one thread per listening socket, which hands
 * every new socket to on_accept and pauses, rather than spins, when the
 * process is out of descriptors. */
#include "acceptor.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "mgr.h"
#include "sock.h"

struct acceptor {
	pthread_t thr;
	int       lfd;
	int       stopfd;
	char     *url;
	void (*on_accept)(void *arg, int fd);
	void *arg;
	bool  starved; /* out of descriptors (logged once) */
};

static void *
accept_main(void *arg)
{
	acceptor     *a     = arg;
	struct pollfd pf[2] = { { .fd = a->lfd, .events = POLLIN },
		{ .fd = a->stopfd, .events = POLLIN } };
	bool          pause = false;
	for (;;) {
		// Out of descriptors, the listening socket stays readable:
		// wait for the stop descriptor alone, 100 ms, to let some
		// close.
		int n = pause ? poll(pf + 1, 1, 100) : poll(pf, 2, -1);
		if (n < 0 && errno != EINTR) {
			return NULL;
		}
		if (pf[1].revents != 0) {
			return NULL;
		}
		if (pause) {
			pause = false;
			continue;
		}
		int fd = accept4(
		    a->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			a->on_accept(a->arg, fd);
		} else if (errno == EMFILE || errno == ENFILE
		    || errno == ENOBUFS || errno == ENOMEM) {
			if (!a->starved) {
				log_msg(LOG_WARN,
				    "accept on %s: %s; new connections "
				    "wait until some close",
				    a->url, strerror(errno));
			}
			a->starved = true;
			pause      = true;
			continue;
		}
		if (fd >= 0 && a->starved) {
			log_msg(LOG_INFO, "accept on %s: accepting again",
			    a->url);
			a->starved = false;
		}
	}
}

int
acceptor_start(acceptor **ap, int lfd, const char *url,
    void (*on_accept)(void *arg, int fd), void *arg)
{
	acceptor *a = calloc(1, sizeof(*a));
	if (a == NULL || (a->url = strdup(url)) == NULL) {
		free(a);
		sock_unlisten(lfd, url);
		return MGR_ENOMEM;
	}
	a->lfd       = lfd;
	a->on_accept = on_accept;
	a->arg       = arg;
	a->stopfd    = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (a->stopfd < 0
	    || pthread_create(&a->thr, NULL, accept_main, a) != 0) {
		if (a->stopfd >= 0) {
			close(a->stopfd);
		}
		sock_unlisten(lfd, url);
		free(a->url);
		free(a);
		return MGR_EINTERNAL;
	}
	pthread_setname_np(a->thr, "mgr:accept");
	*ap = a;
	return 0;
}

void
acceptor_stop(acceptor *a)
{
	uint64_t one = 1;
	ssize_t  k   = write(a->stopfd, &one, sizeof(one));
	(void) k;
	pthread_join(a->thr, NULL);
	close(a->stopfd);
	sock_unlisten(a->lfd, a->url);
	free(a->url);
	free(a);
}
