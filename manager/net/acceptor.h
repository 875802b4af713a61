/* The thread that accepts connections on a listening socket. */
#ifndef MGR_MANAGER_NET_ACCEPTOR_H
#define MGR_MANAGER_NET_ACCEPTOR_H

typedef struct acceptor acceptor;

/* A thread accepting connections on a listening socket (sock_listen):
 * on_accept gets each new socket (non-blocking, close-on-exec) and owns
 * it. Takes ownership of lfd; url is what sock_unlisten needs. */
int acceptor_start(acceptor **ap, int lfd, const char *url,
    void (*on_accept)(void *arg, int fd), void *arg);
/* Stops accepting (no on_accept runs after it returns), closes the
 * socket, and frees a. */
void acceptor_stop(acceptor *a);

#endif
