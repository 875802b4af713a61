/* What the transports on a socket served by an epoll loop share (the
 * plain one, xport_sock.c, and TLS, xport_tls.c): the descriptor, its
 * watch and events, the peer check, shutdown, detach and kick. */
#ifndef MGR_MANAGER_NET_XPORT_FD_H
#define MGR_MANAGER_NET_XPORT_FD_H

#include <stdint.h>

#include "xport.h"

typedef struct fd_xport {
	xport      base; /* first */
	evloop    *loop;
	loop_watch watch;
	int        fd;
	uint32_t   mask;  /* the epoll events asked for */
	bool       added; /* in the loop's epoll set */
} fd_xport;

/* Sets s up for fd on loop l; on_events gets its events. */
void fd_xport_init(fd_xport *s, const xport_ops *ops, evloop *l, int fd,
    void (*on_events)(loop_watch *w, uint32_t events));
/* The events wanted become: reads while rd, writability while out. The
 * first call adds fd to the loop (a failure shuts it down: the receive
 * side then sees the end). Under the connection's mutex. */
void fd_xport_want(fd_xport *s, bool rd, bool out);
/* What the epoll events mean for the connection (XPORT_*). */
unsigned fd_xport_what(uint32_t events);
/* The xport_ops every such transport uses as they are. */
bool fd_xport_peer_gone(xport *t);
void fd_xport_shutdown(xport *t);
void fd_xport_detach(xport *t);
void fd_xport_kick(xport *t);

#endif
