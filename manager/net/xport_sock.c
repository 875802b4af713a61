/* The plain socket transport (ipc://, tcp://), served by an epoll loop;
 * and what every socket transport of a loop shares (xport_fd.h). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mgr.h"
#include "xport_fd.h"

/* ---- what socket transports share ---------------------------------------
 */

static void
watch_hold(loop_watch *w)
{
	conn_hold(((fd_xport *) ((char *) w - offsetof(fd_xport, watch)))
	              ->base.conn);
}

static void
watch_release(loop_watch *w)
{
	conn_release(((fd_xport *) ((char *) w - offsetof(fd_xport, watch)))
	                 ->base.conn);
}

void
fd_xport_init(fd_xport *s, const xport_ops *ops, evloop *l, int fd,
    void (*on_events)(loop_watch *w, uint32_t events))
{
	s->base.ops        = ops;
	s->loop            = l;
	s->fd              = fd;
	s->watch.on_events = on_events;
	s->watch.hold      = watch_hold;
	s->watch.release   = watch_release;
}

void
fd_xport_want(fd_xport *s, bool rd, bool out)
{
	uint32_t mask
	    = (rd ? EPOLLIN | EPOLLRDHUP : 0) | (out ? EPOLLOUT : 0);
	if (s->added && mask == s->mask) {
		return;
	}
	int rv = s->added ? loop_mod(s->loop, s->fd, &s->watch, mask)
	                  : loop_add(s->loop, s->fd, &s->watch, mask);
	if (rv != 0 && !s->added) {
		// Not in the loop: no event would ever come. Shut down and
		// kick, so the receive side sees the end.
		shutdown(s->fd, SHUT_RDWR);
		loop_kick(s->loop, &s->watch);
		return;
	}
	s->added = true;
	s->mask  = mask;
}

unsigned
fd_xport_what(uint32_t events)
{
	if (events == LOOP_KICK) {
		return XPORT_RD;
	}
	unsigned what = 0;
	if (events & EPOLLOUT) {
		what |= XPORT_WR;
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		what |= XPORT_RD;
	}
	if (events & (EPOLLHUP | EPOLLERR)) {
		what |= XPORT_HUP;
	}
	return what;
}

bool
fd_xport_peer_gone(xport *t)
{
	// The loop may not have seen the hang-up yet (it is busy, or another
	// loop serves the caller): the kernel knows.
	struct pollfd p = { .fd = ((fd_xport *) t)->fd, .events = POLLRDHUP };
	return poll(&p, 1, 0) == 1
	    && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

void
fd_xport_shutdown(xport *t)
{
	shutdown(((fd_xport *) t)->fd, SHUT_RDWR);
}

void
fd_xport_detach(xport *t)
{
	fd_xport *s = (fd_xport *) t;
	if (s->added) {
		loop_del(s->loop, s->fd);
		s->added = false;
	}
	conn_quiet(t->conn); // the loop's thread: nothing else runs for it
}

void
fd_xport_kick(xport *t)
{
	fd_xport *s = (fd_xport *) t;
	loop_kick(s->loop, &s->watch);
}

/* ---- the plain socket ---------------------------------------------------
 */

static void
sock_events(loop_watch *w, uint32_t events)
{
	fd_xport *s = (fd_xport *) ((char *) w - offsetof(fd_xport, watch));
	xport_ready(&s->base, fd_xport_what(events)); // last: may free s
}

/* A read's or a write's result as the transport says it. */
static ssize_t
io_result(ssize_t k)
{
	if (k > 0) {
		return k;
	}
	return k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
	    ? XPORT_AGAIN
	    : XPORT_CLOSED;
}

static ssize_t
sock_read(xport *t, uint8_t *buf, size_t cap)
{
	ssize_t k;
	while ((k = recv(((fd_xport *) t)->fd, buf, cap, 0)) < 0
	    && errno == EINTR) { }
	return io_result(k);
}

static bool
sock_more(xport *t)
{
	(void) t;
	return false; // level-triggered: epoll says when there is more
}

static ssize_t
sock_write(xport *t, const uint8_t *buf, size_t n)
{
	ssize_t k;
	while ((k = send(((fd_xport *) t)->fd, buf, n,
	            MSG_NOSIGNAL | MSG_DONTWAIT))
	        < 0
	    && errno == EINTR) { }
	return io_result(k);
}

static void
sock_interest(xport *t, bool rd, bool wr)
{
	fd_xport_want((fd_xport *) t, rd, wr);
}

static void
sock_free(xport *t)
{
	close(((fd_xport *) t)->fd);
	free(t);
}

static const xport_ops sock_ops = {
	.read      = sock_read,
	.more      = sock_more,
	.write     = sock_write,
	.interest  = sock_interest,
	.kick      = fd_xport_kick,
	.peer_gone = fd_xport_peer_gone,
	.shutdown  = fd_xport_shutdown,
	.detach    = fd_xport_detach,
	.free      = sock_free,
	.scheme    = "sock",
};

int
xport_sock_new(xport **tp, evloop *l, int fd)
{
	fd_xport *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		close(fd);
		return MGR_ENOMEM;
	}
	fd_xport_init(s, &sock_ops, l, fd, sock_events);
	*tp = &s->base;
	return 0;
}
