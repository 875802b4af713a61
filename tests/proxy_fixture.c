/* A TCP proxy inside a test (proxy_fixture.h). */
#include "proxy_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"

#define MAX_PAIRS 64
#define BUF       65536

/* One direction of a connection: bytes read from one side, not yet
 * written to the other. */
typedef struct half {
	uint8_t buf[BUF];
	size_t  off, len;
	bool    eof; /* its source closed: shut the other side's writes */
} half;

typedef struct pair {
	int  fd[2];  /* 0: the client's, 1: the manager's; -1: none */
	half dir[2]; /* dir[i]: from fd[i] to fd[1 - i] */
} pair;

struct h_proxy {
	pthread_t       thr;
	int             lfd;    /* listening */
	int             ctl[2]; /* wakes the thread */
	char            up_host[256], up_port[16];
	int             port; /* ours */
	pthread_mutex_t mtx;
	pthread_cond_t  cv;
	bool            stop, hold;
	int             drop;    /* 0, 1 close, 2 reset: asked */
	int             dropped; /* how many the last drop closed */
	uint64_t        drops_asked, drops_done;
	size_t          accepted;
	pair            pairs[MAX_PAIRS];
};

/* host and port of scheme://host:port[/path]. */
static int
split_url(const char *url, char *host, size_t hcap, char *port, size_t pcap)
{
	const char *hp = strstr(url, "://");
	if (hp == NULL) {
		return -1;
	}
	hp += 3;
	const char *end   = hp + strcspn(hp, "/");
	const char *colon = end;
	while (colon > hp && *colon != ':') {
		colon--;
	}
	if (*colon != ':' || (size_t) (colon - hp) >= hcap
	    || (size_t) (end - colon - 1) >= pcap) {
		return -1;
	}
	memcpy(host, hp, (size_t) (colon - hp));
	host[colon - hp] = '\0';
	memcpy(port, colon + 1, (size_t) (end - colon - 1));
	port[end - colon - 1] = '\0';
	return 0;
}

static int
dial_up(h_proxy *p)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
		.ai_socktype                 = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV },
	                *ai;
	if (getaddrinfo(p->up_host, p->up_port, &hints, &ai) != 0) {
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd >= 0) {
		fcntl(fd, F_SETFL, O_NONBLOCK);
	}
	return fd;
}

static void
close_pair(pair *q, bool rst)
{
	for (int i = 0; i < 2; i++) {
		if (q->fd[i] < 0) {
			continue;
		}
		if (rst) {
			struct linger l = { .l_onoff = 1, .l_linger = 0 };
			setsockopt(
			    q->fd[i], SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		}
		close(q->fd[i]);
		q->fd[i] = -1;
	}
}

/* Moves what can be moved in direction i of q; false when q is done. */
static bool
pump(pair *q, int i, bool readable)
{
	half *h = &q->dir[i];
	if (readable && h->len == 0 && !h->eof) {
		ssize_t k = read(q->fd[i], h->buf, sizeof(h->buf));
		if (k > 0) {
			h->off = 0;
			h->len = (size_t) k;
		} else if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
			h->eof = true;
		}
	}
	while (h->len > 0) {
		ssize_t k = send(
		    q->fd[1 - i], h->buf + h->off, h->len, MSG_NOSIGNAL);
		if (k > 0) {
			h->off += (size_t) k;
			h->len -= (size_t) k;
			continue;
		}
		if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
			break;
		}
		return false; // the other side is gone
	}
	// A close passes on as a close: the manager or client sees the end.
	return !(h->eof && h->len == 0);
}

static void *
proxy_main(void *arg)
{
	h_proxy      *p = arg;
	struct pollfd fds[2 + 2 * MAX_PAIRS];
	int           who[2 + 2 * MAX_PAIRS];
	for (;;) {
		pthread_mutex_lock(&p->mtx);
		bool stop = p->stop, hold = p->hold;
		int  drop = p->drop;
		if (drop != 0) {
			int n = 0;
			for (int k = 0; k < MAX_PAIRS; k++) {
				if (p->pairs[k].fd[0] >= 0) {
					close_pair(&p->pairs[k], drop == 2);
					n++;
				}
			}
			p->drop    = 0;
			p->dropped = n;
			p->drops_done++;
			pthread_cond_broadcast(&p->cv);
		}
		pthread_mutex_unlock(&p->mtx);
		if (stop) {
			break;
		}
		size_t n = 0;
		fds[n]
		    = (struct pollfd) { .fd = p->ctl[0], .events = POLLIN };
		who[n++] = -1;
		if (!hold) { // a silent link takes no new connection either
			fds[n]   = (struct pollfd) { .fd = p->lfd,
				  .events                = POLLIN };
			who[n++] = -2;
		}
		for (int k = 0; k < MAX_PAIRS && !hold; k++) {
			pair *q = &p->pairs[k];
			if (q->fd[0] < 0) {
				continue;
			}
			for (int i = 0; i < 2; i++) {
				short ev = 0;
				if (q->dir[i].len == 0 && !q->dir[i].eof) {
					ev |= POLLIN;
				}
				if (q->dir[1 - i].len > 0) {
					ev |= POLLOUT;
				}
				fds[n]   = (struct pollfd) { .fd = q->fd[i],
					  .events                = ev };
				who[n++] = k * 2 + i;
			}
		}
		if (poll(fds, n, 1000) < 0 && errno != EINTR) {
			break;
		}
		for (size_t j = 0; j < n; j++) {
			if (fds[j].revents == 0) {
				continue;
			}
			if (who[j] == -1) {
				char b[64];
				(void) !read(p->ctl[0], b, sizeof(b));
			} else if (who[j] == -2) {
				int c = accept4(p->lfd, NULL, NULL,
				    SOCK_NONBLOCK | SOCK_CLOEXEC);
				int k = 0;
				while (
				    k < MAX_PAIRS && p->pairs[k].fd[0] >= 0) {
					k++;
				}
				int u = c >= 0 && k < MAX_PAIRS ? dial_up(p)
				                                : -1;
				if (u < 0) {
					if (c >= 0) {
						close(c);
					}
					continue;
				}
				p->pairs[k] = (pair) { .fd = { c, u } };
				pthread_mutex_lock(&p->mtx);
				p->accepted++;
				pthread_cond_broadcast(&p->cv);
				pthread_mutex_unlock(&p->mtx);
			} else {
				pair *q = &p->pairs[who[j] / 2];
				int   i = who[j] % 2;
				if (q->fd[0] < 0) {
					continue; // closed earlier in this
					          // pass
				}
				bool in = fds[j].revents
				    & (POLLIN | POLLHUP | POLLERR);
				if (!pump(q, i, in)
				    || !pump(q, 1 - i, false)) {
					close_pair(q, false);
				}
			}
		}
	}
	for (int k = 0; k < MAX_PAIRS; k++) {
		close_pair(&p->pairs[k], false);
	}
	return NULL;
}

static void
wake(h_proxy *p)
{
	(void) !write(p->ctl[1], "x", 1);
}

int
h_proxy_start(h_proxy **pp, const char *url)
{
	h_proxy *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		return -1;
	}
	for (int k = 0; k < MAX_PAIRS; k++) {
		p->pairs[k].fd[0] = p->pairs[k].fd[1] = -1;
	}
	if (split_url(url, p->up_host, sizeof(p->up_host), p->up_port,
	        sizeof(p->up_port))
	    != 0) {
		h_log("proxy: no host:port in %s", url);
		free(p);
		return -1;
	}
	struct sockaddr_in sa = { .sin_family = AF_INET,
		.sin_addr.s_addr              = htonl(INADDR_LOOPBACK) };
	socklen_t          sl = sizeof(sa);
	p->lfd
	    = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->lfd < 0
	    || bind(p->lfd, (struct sockaddr *) &sa, sizeof(sa)) != 0
	    || listen(p->lfd, 64) != 0
	    || getsockname(p->lfd, (struct sockaddr *) &sa, &sl) != 0
	    || pipe2(p->ctl, O_NONBLOCK | O_CLOEXEC) != 0) {
		h_log("proxy: listen: %s", strerror(errno));
		if (p->lfd >= 0) {
			close(p->lfd);
		}
		free(p);
		return -1;
	}
	p->port = ntohs(sa.sin_port);
	pthread_mutex_init(&p->mtx, NULL);
	clock_cond_init(&p->cv);
	if (pthread_create(&p->thr, NULL, proxy_main, p) != 0) {
		close(p->lfd);
		close(p->ctl[0]);
		close(p->ctl[1]);
		free(p);
		return -1;
	}
	*pp = p;
	return 0;
}

void
h_proxy_url(const h_proxy *p, const char *url, char *out, size_t cap)
{
	const char *hp   = strstr(url, "://");
	const char *path = hp != NULL ? strchr(hp + 3, '/') : NULL;
	snprintf(out, cap, "%.*s127.0.0.1:%d%s",
	    hp != NULL ? (int) (hp + 3 - url) : 0, url, p->port,
	    path != NULL ? path : "");
}

int
h_proxy_drop(h_proxy *p, bool rst)
{
	pthread_mutex_lock(&p->mtx);
	uint64_t want = p->drops_done + 1;
	p->drop       = rst ? 2 : 1;
	wake(p);
	struct timespec deadline = clock_after_ms(10000);
	while (p->drops_done < want
	    && pthread_cond_timedwait(&p->cv, &p->mtx, &deadline) == 0) { }
	int n = p->drops_done >= want ? p->dropped : -1;
	pthread_mutex_unlock(&p->mtx);
	return n;
}

void
h_proxy_hold(h_proxy *p, bool hold)
{
	pthread_mutex_lock(&p->mtx);
	p->hold = hold;
	pthread_mutex_unlock(&p->mtx);
	wake(p);
}

bool
h_proxy_await_accepted(h_proxy *p, size_t n, int timeout_ms)
{
	struct timespec deadline = clock_after_ms(timeout_ms);
	pthread_mutex_lock(&p->mtx);
	while (p->accepted < n
	    && pthread_cond_timedwait(&p->cv, &p->mtx, &deadline) == 0) { }
	bool ok = p->accepted >= n;
	pthread_mutex_unlock(&p->mtx);
	return ok;
}

size_t
h_proxy_accepted(h_proxy *p)
{
	pthread_mutex_lock(&p->mtx);
	size_t n = p->accepted;
	pthread_mutex_unlock(&p->mtx);
	return n;
}

void
h_proxy_stop(h_proxy *p)
{
	if (p == NULL) {
		return;
	}
	pthread_mutex_lock(&p->mtx);
	p->stop = true;
	pthread_mutex_unlock(&p->mtx);
	wake(p);
	pthread_join(p->thr, NULL);
	close(p->lfd);
	close(p->ctl[0]);
	close(p->ctl[1]);
	pthread_mutex_destroy(&p->mtx);
	pthread_cond_destroy(&p->cv);
	free(p);
}
