/* Test harness: reading a child's output and speaking on raw sockets,
 * every wait bounded by a deadline (harness.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"
#include "wire.h"

/* ---- a child's output ----------------------------------------------------
 */

/* Reads what the child's stdout has into ch->buf (one read, bounded).
 * > 0 bytes read, 0 end of file, -1 error or full, -2 timeout. */
static int
child_fill(h_child *ch, int64_t deadline)
{
	if (ch->out_fd < 0 || ch->len >= sizeof(ch->buf) - 1) {
		return -1;
	}
	int r = h_poll_one(ch->out_fd, POLLIN, deadline, NULL);
	if (r == 0) {
		return -2;
	}
	if (r < 0) {
		return -1;
	}
	ssize_t n;
	while ((n = read(ch->out_fd, ch->buf + ch->len,
	            sizeof(ch->buf) - 1 - ch->len))
	        < 0
	    && errno == EINTR) { }
	if (n < 0) {
		return -1;
	}
	ch->len += (size_t) n;
	ch->buf[ch->len] = '\0';
	return (int) n;
}

int
h_child_read_line(h_child *ch, char *line, size_t cap, int timeout_ms)
{
	int64_t deadline = h_now_ms() + timeout_ms;
	for (;;) {
		char *nl = memchr(ch->buf, '\n', ch->len);
		if (nl != NULL) {
			size_t n = (size_t) (nl - ch->buf);
			if (cap > 0) {
				size_t c = n < cap - 1 ? n : cap - 1;
				memcpy(line, ch->buf, c);
				line[c] = '\0';
			}
			memmove(ch->buf, nl + 1, ch->len - n - 1);
			ch->len -= n + 1;
			return 0;
		}
		int r = child_fill(ch, deadline);
		if (r <= 0) {
			return r == -2 ? -2 : -1;
		}
	}
}

int
h_child_read_all(
    h_child *ch, char *out, size_t cap, size_t *len, int timeout_ms)
{
	int64_t deadline = h_now_ms() + timeout_ms;
	size_t  n        = 0;
	int     rv       = 0;
	for (;;) {
		if (ch->len > 0) {
			if (n + ch->len >= cap) {
				rv = -1;
				break;
			}
			memcpy(out + n, ch->buf, ch->len);
			n += ch->len;
			ch->len = 0;
		}
		int r = child_fill(ch, deadline);
		if (r == 0) {
			break;
		}
		if (r < 0) {
			rv = r;
			break;
		}
	}
	if (cap > 0) {
		out[n < cap ? n : cap - 1] = '\0';
	}
	if (len != NULL) {
		*len = n;
	}
	return rv;
}

/* ---- raw sockets ------------------------------------------------------- */

int
h_raw_connect(const char *url)
{
	int fd = -1;
	if (strncmp(url, "ipc://", 6) == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		if (strlen(url + 6) >= sizeof(sa.sun_path)) {
			h_log("ipc path too long: %s", url);
			return -1;
		}
		strcpy(sa.sun_path, url + 6);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0
		    && connect(fd, (struct sockaddr *) &sa, sizeof(sa))
		        != 0) {
			h_log("connect %s: %s", url, strerror(errno));
			close(fd);
			return -1;
		}
	} else if (strncmp(url, "tcp://", 6) == 0) {
		char        host[256];
		const char *hp    = url + 6;
		const char *colon = strrchr(hp, ':');
		if (colon == NULL || (size_t) (colon - hp) >= sizeof(host)) {
			h_log("bad tcp URL %s", url);
			return -1;
		}
		memcpy(host, hp, (size_t) (colon - hp));
		host[colon - hp]      = '\0';
		struct addrinfo hints = { .ai_family = AF_UNSPEC,
			.ai_socktype                 = SOCK_STREAM,
			.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV },
		                *ai;
		int rv = getaddrinfo(host, colon + 1, &hints, &ai);
		if (rv != 0) {
			h_log("getaddrinfo %s: %s", url, gai_strerror(rv));
			return -1;
		}
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0
		    && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			h_log("connect %s: %s", url, strerror(errno));
			close(fd);
			fd = -1;
		}
		freeaddrinfo(ai);
		if (fd < 0) {
			return -1;
		}
	} else {
		h_log("unsupported URL %s", url);
		return -1;
	}
	if (fd < 0) {
		h_log("socket: %s", strerror(errno));
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

int
h_raw_send(int fd, const void *buf, size_t len, int timeout_ms)
{
	int64_t        deadline = h_now_ms() + timeout_ms;
	const uint8_t *p        = buf;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t) n;
			continue;
		}
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (h_poll_one(fd, POLLOUT, deadline, NULL) <= 0) {
				return -1;
			}
			continue;
		}
		return -1;
	}
	return 0;
}

int
h_raw_send_frame(int fd, const void *body, size_t len, int timeout_ms)
{
	uint8_t hdr[WIRE_HEADER_LEN];
	wire_put_len(hdr, (uint32_t) len);
	int64_t deadline = h_now_ms() + timeout_ms;
	if (h_raw_send(fd, hdr, 4, timeout_ms) != 0) {
		return -1;
	}
	return h_raw_send(fd, body, len, h_left_ms(deadline));
}

int
h_raw_recv(int fd, void *buf, size_t len, int timeout_ms)
{
	int64_t  deadline = h_now_ms() + timeout_ms;
	uint8_t *p        = buf;
	while (len > 0) {
		ssize_t n = recv(fd, p, len, 0);
		if (n > 0) {
			p += n;
			len -= (size_t) n;
			continue;
		}
		if (n == 0) {
			return -1;
		}
		if (errno == EINTR) {
			continue;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			return -1;
		}
		int r = h_poll_one(fd, POLLIN, deadline, NULL);
		if (r == 0) {
			return -2;
		}
		if (r < 0) {
			return -1;
		}
	}
	return 0;
}

int
h_raw_recv_frame(
    int fd, uint8_t *buf, size_t cap, size_t *len, int timeout_ms)
{
	int64_t deadline = h_now_ms() + timeout_ms;
	uint8_t hdr[4];
	int     r = h_raw_recv(fd, hdr, 4, timeout_ms);
	if (r != 0) {
		return r;
	}
	size_t n = wire_get_len(hdr);
	if (n > cap) {
		h_log("frame of %zu bytes over %zu", n, cap);
		return -1;
	}
	*len = n;
	return h_raw_recv(fd, buf, n, h_left_ms(deadline));
}

int
h_raw_await_close(int fd, int timeout_ms)
{
	int64_t deadline = h_now_ms() + timeout_ms;
	uint8_t b[4096];
	for (;;) {
		ssize_t n = recv(fd, b, sizeof(b), 0);
		if (n == 0) {
			return 0;
		}
		if (n > 0) {
			continue;
		}
		if (errno == EINTR) {
			continue;
		}
		if (errno == ECONNRESET || errno == EPIPE) {
			return 0;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			return -1;
		}
		if (h_poll_one(fd, POLLIN, deadline, NULL) <= 0) {
			return -1;
		}
	}
}

int
h_http_get(const char *url, const char *header, const char *path, char *out,
    size_t cap)
{
	return h_http_request(url, "GET", header, path, out, cap);
}

int
h_http_request(const char *url, const char *method, const char *header,
    const char *path, char *out, size_t cap)
{
	char tcp[200], host[128];
	int  port;
	if (sscanf(url, "http://%127[^:/]:%d", host, &port) != 2) {
		return -1;
	}
	snprintf(tcp, sizeof(tcp), "tcp://%s:%d", host, port);
	int fd = h_raw_connect(tcp);
	if (fd < 0) {
		return -1;
	}
	char rq[1024];
	int  n = snprintf(rq, sizeof(rq),
	     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
	      "Content-Length: 0\r\n%s%s\r\n",
	     method, path, header != NULL ? header : "",
            header != NULL ? "\r\n" : "");
	if (h_raw_send(fd, rq, (size_t) n, 5000) != 0) {
		close(fd);
		return -1;
	}
	size_t  len      = 0;
	int64_t deadline = h_now_ms() + 10000;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int           r = poll(&p, 1, (int) (deadline - h_now_ms()));
		if (r <= 0) {
			break;
		}
		ssize_t k = read(fd, out + len, cap - 1 - len);
		if (k < 0 && errno == EINTR) {
			continue;
		}
		if (k <= 0 || (len += (size_t) k) == cap - 1) {
			break;
		}
	}
	close(fd);
	out[len]   = '\0';
	int status = -1;
	sscanf(out, "HTTP/1.1 %d", &status);
	return status;
}

int
h_sh(const char *fmt, ...)
{
	char    cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	char *argv[] = { "sh", "-c", cmd, NULL };
	char  out[2048];
	int   rv = h_run(
	      "/bin/sh", argv, NULL, H_ERR_TO_OUT, 10000, out, sizeof(out));
	if (rv != 0) {
		h_log("%s: exit %d: %s", cmd, rv, out);
	}
	return rv;
}
