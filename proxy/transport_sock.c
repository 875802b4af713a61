/* The plain socket transport (ipc://, tcp://), and the dial that builds
 * every kind: a socket, then TLS on it for tls+tcp:// and wss://, then
 * WebSocket framing for ws:// and wss://. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "mgr.h"
#include "sock.h"
#include "transport.h"

typedef struct sock_transport {
	ctransport base;
	int        fd;
} sock_transport;

static int
sock_send_all(ctransport *t, const uint8_t *p, size_t n)
{
	int fd = ((sock_transport *) t)->fd;
	while (n > 0) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR) {
			continue;
		}
		if (k <= 0) {
			return MGR_ECONN;
		}
		p += k;
		n -= (size_t) k;
	}
	return 0;
}

static int
sock_recv_some(ctransport *t, uint8_t *buf, size_t cap, size_t *got,
    int64_t timeout_ms, spinner *spin)
{
	int fd = ((sock_transport *) t)->fd;
	// A shutdown (mgr_disconnect) makes a read blocked here, or begun
	// after it, return at once.
	if (timeout_ms >= 0) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		int           n;
		while ((n = poll(&pf, 1, (int) timeout_ms)) < 0
		    && errno == EINTR) { }
		if (n == 0) {
			return MGR_ETIMEDOUT;
		}
	}
	// The reply usually comes within microseconds: wait for it awake
	// (spin.h) rather than be put to sleep and woken from another CPU.
	if (timeout_ms < 0 && spin != NULL && spin_begin(spin)) {
		ssize_t k;
		do {
			k = recv(fd, buf, cap, MSG_DONTWAIT);
		} while (k < 0 && (errno == EAGAIN || errno == EINTR)
		    && !spin_over(spin));
		spin_end(spin, k > 0);
		if (k > 0) {
			*got = (size_t) k;
			return 0;
		}
		if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
			return MGR_ECONN;
		}
	}
	for (;;) {
		ssize_t k = recv(fd, buf, cap, 0);
		if (k > 0) {
			*got = (size_t) k;
			return 0;
		}
		if (k < 0 && errno == EINTR) {
			continue;
		}
		return MGR_ECONN;
	}
}

static void
sock_shutdown(ctransport *t)
{
	shutdown(((sock_transport *) t)->fd, SHUT_RDWR);
}

static void
sock_free(ctransport *t)
{
	close(((sock_transport *) t)->fd);
	free(t);
}

static const ctransport_ops sock_ops = {
	.send_all  = sock_send_all,
	.recv_some = sock_recv_some,
	.shutdown  = sock_shutdown,
	.free      = sock_free,
};

int
ctransport_sock_new(ctransport **tp, int fd)
{
	sock_transport *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		close(fd);
		return MGR_ENOMEM;
	}
	s->base.ops = &sock_ops;
	s->fd       = fd;
	*tp         = &s->base;
	return 0;
}

/* ---- dialing
 * ---------------------------------------------------------------
 */

bool
ctransport_url_is_tls(const char *url)
{
	return url_after_scheme(url, "tls+tcp") != NULL
	    || url_after_scheme(url, "wss") != NULL;
}

int
ctransport_dial(ctransport **tp, const char *url, const ctls_opts *tls,
    int64_t timeout_ms, char *why, size_t whycap)
{
	const char *rest;
	bool        secure = false, ws = false;
	if ((rest = url_after_scheme(url, "tls+tcp")) != NULL) {
		secure = true;
	} else if ((rest = url_after_scheme(url, "wss")) != NULL) {
		secure = ws = true;
	} else if ((rest = url_after_scheme(url, "ws")) != NULL) {
		ws = true;
	} else {
		int fd, rv = sock_dial(url, timeout_ms, &fd, why, whycap);
		return rv != 0 ? rv : ctransport_sock_new(tp, fd);
	}
	// host:port[/path]: the socket is a tcp:// one.
	size_t hostport = strcspn(rest, "/");
	char   tcp[600], host[300];
	if (hostport == 0 || hostport >= sizeof(host)) {
		snprintf(why, whycap, "bad URL '%s'", url);
		return MGR_EINVAL;
	}
	snprintf(tcp, sizeof(tcp), "tcp://%.*s", (int) hostport, rest);
	memcpy(host, rest, hostport);
	host[hostport]   = '\0';
	const char *path = rest[hostport] ? rest + hostport : "/";
	if (!ws && strcmp(path, "/") != 0) {
		snprintf(
		    why, whycap, "bad URL '%s': tls+tcp:// has no path", url);
		return MGR_EINVAL;
	}
	int64_t deadline = clock_ms() + timeout_ms;
	int     fd, rv = sock_dial(tcp, timeout_ms, &fd, why, whycap);
	if (rv != 0) {
		return rv;
	}
	ctransport *t;
	if (secure) {
		// The name to verify: the host without its port (and an IPv6
		// literal without its brackets).
		char   name[300];
		char  *colon = strrchr(host, ':');
		size_t nl
		    = colon != NULL ? (size_t) (colon - host) : hostport;
		const char *h = host;
		if (nl >= 2 && host[0] == '[' && host[nl - 1] == ']') {
			h++;
			nl -= 2;
		}
		snprintf(name, sizeof(name), "%.*s", (int) nl, h);
		rv = ctransport_tls_new(
		    &t, fd, name, tls, deadline, why, whycap);
	} else {
		rv = ctransport_sock_new(&t, fd);
	}
	if (rv == 0 && ws) {
		rv = ctransport_ws_new(
		    &t, t, host, path, deadline, why, whycap);
	}
	if (rv == 0) {
		*tp = t;
	}
	return rv;
}
