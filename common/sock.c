#include "sock.h"
#include "clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mgr.h"

typedef struct {
	bool   tcp;
	int    family;    /* AF_UNSPEC, AF_INET or AF_INET6 (tcp) */
	char   path[108]; /* ipc */
	char   host[256]; /* tcp; "" for any */
	char   port[16];  /* tcp */
	size_t port_at;   /* offset of the port in the URL */
} sock_url;

static void
say(char *buf, size_t cap, const char *fmt, const char *a, const char *b)
{
	if (buf != NULL && cap > 0) {
		snprintf(buf, cap, fmt, a, b);
	}
}

const char *
url_after_scheme(const char *url, const char *scheme)
{
	size_t n = strlen(scheme);
	return strncmp(url, scheme, n) == 0 && strncmp(url + n, "://", 3) == 0
	    ? url + n + 3
	    : NULL;
}

/* Whether an ipc path names a socket at the root of the file system:
 * almost always a variable that was empty (ipc://$XDG_RUNTIME_DIR/mgr.sock
 * with XDG_RUNTIME_DIR unset is ipc:///mgr.sock). */
static bool
ipc_at_root(const char *path)
{
	return path[0] == '/' && strchr(path + 1, '/') == NULL;
}

#define ROOT_TRAP                                                            \
	" (a socket at the root of the file system: was a variable in the "  \
	"URL empty, such as $XDG_RUNTIME_DIR in "                            \
	"ipc://$XDG_RUNTIME_DIR/mgr.sock?)"

static int
parse_url(const char *url, sock_url *u)
{
	memset(u, 0, sizeof(*u));
	const char *rest = url_after_scheme(url, "ipc");
	if (rest != NULL) {
		size_t n = strlen(rest);
		if (n == 0 || n >= sizeof(u->path)) {
			return MGR_EINVAL;
		}
		memcpy(u->path, rest, n + 1);
		return 0;
	}
	if ((rest = url_after_scheme(url, "tcp")) != NULL) {
		u->family = AF_UNSPEC;
	} else if ((rest = url_after_scheme(url, "tcp4")) != NULL) {
		u->family = AF_INET;
	} else if ((rest = url_after_scheme(url, "tcp6")) != NULL) {
		u->family = AF_INET6;
	} else {
		return MGR_EINVAL;
	}
	u->tcp = true;
	const char *hend;
	const char *h = rest;
	if (*h == '[') { // [v6 literal]
		if ((hend = strchr(h, ']')) == NULL || hend[1] != ':') {
			return MGR_EINVAL;
		}
		h++;
	} else if ((hend = strrchr(h, ':')) == NULL) {
		return MGR_EINVAL;
	}
	size_t hl = (size_t) (hend - h);
	if (hl >= sizeof(u->host)) {
		return MGR_EINVAL;
	}
	memcpy(u->host, h, hl);
	u->host[hl] = '\0';
	if (strcmp(u->host, "*") == 0) {
		u->host[0] = '\0';
	}
	const char *p  = strchr(hend, ':') + 1;
	size_t      pl = strlen(p);
	if (pl == 0 || pl >= sizeof(u->port) || strspn(p, "0123456789") != pl
	    || atol(p) > 65535) {
		return MGR_EINVAL;
	}
	memcpy(u->port, p, pl + 1);
	u->port_at = (size_t) (p - url);
	return 0;
}

static int
set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0) {
		return -1;
	}
	return fcntl(
	    fd, F_SETFL, on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK));
}

void
sock_tune(int fd)
{
	int                     one = 1;
	struct sockaddr_storage ss;
	socklen_t               sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *) &ss, &sl) == 0
	    && ss.ss_family != AF_UNIX) {
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	}
}

static int
unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

static int
listen_ipc(const sock_url *u, int *fdp, char *errmsg, size_t errcap)
{
	struct sockaddr_un sa;
	unix_addr(u->path, &sa);
	int fd
	    = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		say(errmsg, errcap, "socket: %s%s", strerror(errno), "");
		return MGR_ECONN;
	}
	int rv = bind(fd, (struct sockaddr *) &sa, sizeof(sa));
	if (rv != 0 && errno == EADDRINUSE) {
		// A socket file is there: replace it only if nobody listens
		// (a manager that died). Only a socket: any other file there
		// is never removed.
		struct stat st;
		int probe = lstat(u->path, &st) == 0 && S_ISSOCK(st.st_mode)
		    ? socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)
		    : -1;
		if (probe >= 0
		    && connect(probe, (struct sockaddr *) &sa, sizeof(sa))
		        != 0
		    && errno == ECONNREFUSED) {
			unlink(u->path);
			rv = bind(fd, (struct sockaddr *) &sa, sizeof(sa));
		} else {
			errno = EADDRINUSE;
		}
		if (probe >= 0) {
			close(probe);
		}
	}
	if (rv != 0) {
		say(errmsg, errcap, "%s: %s", u->path, strerror(errno));
		close(fd);
		return MGR_ECONN;
	}
	// Only this user may connect to a local manager.
	if (chmod(u->path, 0600) != 0 || listen(fd, SOMAXCONN) != 0) {
		say(errmsg, errcap, "%s: %s", u->path, strerror(errno));
		close(fd);
		unlink(u->path);
		return MGR_ECONN;
	}
	*fdp = fd;
	return 0;
}

static int
listen_tcp(const sock_url *u, int *fdp, char *errmsg, size_t errcap)
{
	struct addrinfo hints = { 0 }, *res, *ai;
	hints.ai_family       = u->family;
	hints.ai_socktype     = SOCK_STREAM;
	hints.ai_flags        = AI_PASSIVE | AI_NUMERICSERV;
	int gai
	    = getaddrinfo(u->host[0] ? u->host : NULL, u->port, &hints, &res);
	if (gai != 0) {
		say(errmsg, errcap, "%s: %s", u->host, gai_strerror(gai));
		return MGR_EINVAL;
	}
	int err = EADDRNOTAVAIL;
	int fd  = -1;
	// Any address ("", "*") of either family: an IPv6 socket that takes
	// IPv4 too serves both, so try those first.
	bool dual = u->host[0] == '\0' && u->family == AF_UNSPEC;
	for (int pass = dual ? 0 : 1; pass < 2 && fd < 0; pass++) {
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			if (pass == 0 && ai->ai_family != AF_INET6) {
				continue;
			}
			fd = socket(ai->ai_family,
			    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (fd < 0) {
				err = errno;
				continue;
			}
			int one = 1, zero = 0;
			setsockopt(
			    fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (pass == 0) {
				setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
				    &zero, sizeof(zero));
			}
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0
			    && listen(fd, SOMAXCONN) == 0) {
				break;
			}
			err = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		say(errmsg, errcap, "port %s: %s", u->port, strerror(err));
		return MGR_ECONN;
	}
	*fdp = fd;
	return 0;
}

int
sock_listen(const char *url, int *fdp, char *bound, size_t cap, char *errmsg,
    size_t errcap)
{
	sock_url u;
	int      rv;
	if (parse_url(url, &u) != 0) {
		say(errmsg, errcap, "bad URL '%s'%s", url, "");
		return MGR_EINVAL;
	}
	if (!u.tcp && ipc_at_root(u.path)) {
		say(errmsg, errcap, "refused '%s'%s", url, ROOT_TRAP);
		return MGR_EINVAL;
	}
	rv = u.tcp ? listen_tcp(&u, fdp, errmsg, errcap)
	           : listen_ipc(&u, fdp, errmsg, errcap);
	if (rv != 0 || bound == NULL || cap == 0) {
		return rv;
	}
	snprintf(bound, cap, "%s", url);
	if (u.tcp) {
		// Replace the port asked for by the one bound (":0" -> ":N").
		struct sockaddr_storage ss;
		socklen_t               sl   = sizeof(ss);
		unsigned                port = 0;
		if (getsockname(*fdp, (struct sockaddr *) &ss, &sl) == 0) {
			port = ntohs(ss.ss_family == AF_INET6
			        ? ((struct sockaddr_in6 *) &ss)->sin6_port
			        : ((struct sockaddr_in *) &ss)->sin_port);
		}
		snprintf(bound, cap, "%.*s%u", (int) u.port_at, url, port);
	}
	return 0;
}

void
sock_unlisten(int fd, const char *url)
{
	sock_url u;
	close(fd);
	if (parse_url(url, &u) == 0 && !u.tcp) {
		unlink(u.path);
	}
}

/* Connects fd (non-blocking) to sa by the deadline; 0 or an errno. */
static int
connect_by(int fd, const struct sockaddr *sa, socklen_t sl, int64_t deadline)
{
	for (;;) {
		if (connect(fd, sa, sl) == 0) {
			return 0;
		}
		int e = errno;
		if (e == EINTR) {
			continue;
		}
		if (e == EAGAIN) {
			// A unix listener's backlog is full: try again
			// shortly.
			if (clock_ms() >= deadline) {
				return ETIMEDOUT;
			}
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
			continue;
		}
		if (e != EINPROGRESS) {
			return e;
		}
		struct pollfd pf = { .fd = fd, .events = POLLOUT };
		for (;;) {
			int64_t left = deadline - clock_ms();
			if (left <= 0) {
				return ETIMEDOUT;
			}
			int n = poll(&pf, 1, (int) left);
			if (n > 0) {
				break;
			}
			if (n < 0 && errno != EINTR) {
				return errno;
			}
		}
		int       so = 0;
		socklen_t ol = sizeof(so);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &ol);
		return so;
	}
}

int
sock_dial(const char *url, int64_t timeout_ms, int *fdp, char *errmsg,
    size_t errcap)
{
	sock_url u;
	int64_t  deadline = clock_ms() + timeout_ms;
	int      err      = 0;
	int      fd       = -1;
	if (parse_url(url, &u) != 0 || (u.tcp && u.host[0] == '\0')) {
		say(errmsg, errcap, "bad URL '%s'%s", url, "");
		return MGR_EINVAL;
	}
	if (!u.tcp) {
		struct sockaddr_un sa;
		unix_addr(u.path, &sa);
		fd = socket(
		    AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			err = errno;
		} else if ((err = connect_by(fd, (struct sockaddr *) &sa,
		                sizeof(sa), deadline))
		    != 0) {
			close(fd);
			fd = -1;
		}
	} else {
		struct addrinfo hints = { 0 }, *res, *ai;
		hints.ai_family       = u.family;
		hints.ai_socktype     = SOCK_STREAM;
		hints.ai_flags        = AI_NUMERICSERV;
		int gai = getaddrinfo(u.host, u.port, &hints, &res);
		if (gai != 0) {
			say(errmsg, errcap, "cannot resolve '%s': %s", u.host,
			    gai_strerror(gai));
			return MGR_ECONN;
		}
		err = EADDRNOTAVAIL;
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			fd = socket(ai->ai_family,
			    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (fd < 0) {
				err = errno;
				continue;
			}
			err = connect_by(
			    fd, ai->ai_addr, ai->ai_addrlen, deadline);
			if (err == 0) {
				break;
			}
			close(fd);
			fd = -1;
		}
		freeaddrinfo(res);
	}
	if (fd < 0) {
		say(errmsg, errcap, "cannot connect to %s: %s", url,
		    strerror(err));
		if (errmsg != NULL && !u.tcp && err == ENOENT
		    && ipc_at_root(u.path)) {
			size_t n = strlen(errmsg);
			say(errmsg + n, errcap - n, "%s%s", ROOT_TRAP, "");
		}
		return MGR_ECONN;
	}
	set_nonblock(fd, false);
	sock_tune(fd);
	*fdp = fd;
	return 0;
}

void
sock_peer_name(int fd, char *buf, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t               sl = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *) &ss, &sl) != 0) {
		snprintf(buf, cap, "unknown peer");
		return;
	}
	if (ss.ss_family == AF_UNIX) {
		struct ucred cr = { 0 };
		socklen_t    cl = sizeof(cr);
		getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl);
		snprintf(buf, cap, "ipc pid %ld uid %ld", (long) cr.pid,
		    (long) cr.uid);
		return;
	}
	char     a[INET6_ADDRSTRLEN] = "?";
	unsigned port;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) &ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		port = ntohs(s6->sin6_port);
		snprintf(buf, cap, "tcp [%s]:%u", a, port);
		return;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *) &ss;
	inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
	port = ntohs(s4->sin_port);
	snprintf(buf, cap, "tcp %s:%u", a, port);
}
