/* sd_notify's datagram, by hand: one sendto to $NOTIFY_SOCKET. */
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

int
notify_state(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (path == NULL || path[0] == '\0') {
		return 0;
	}
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t             n   = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sun.sun_path)) {
		log_msg(
		    LOG_WARN, "NOTIFY_SOCKET %s: not a socket path", path);
		return -1;
	}
	memcpy(sun.sun_path, path, n);
	if (path[0] == '@') {
		sun.sun_path[0] = '\0'; // the abstract namespace
	}
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_msg(LOG_WARN, "NOTIFY_SOCKET: %s", strerror(errno));
		return -1;
	}
	char msg[128];
	int  len = snprintf(
	     msg, sizeof(msg), "%s\nMAINPID=%ld", state, (long) getpid());
	ssize_t k   = sendto(fd, msg, (size_t) len, MSG_NOSIGNAL,
	      (const struct sockaddr *) &sun,
	      (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n));
	int     err = errno;
	close(fd);
	if (k != len) {
		log_msg(
		    LOG_WARN, "NOTIFY_SOCKET %s: %s", path, strerror(err));
		return -1;
	}
	return 0;
}
