/* The kernel socket under an nng stream (nng_socket.c). */
#ifndef MGR_MANAGER_NET_NNG_SOCKET_H
#define MGR_MANAGER_NET_NNG_SOCKET_H

typedef struct nng_stream nng_stream;

/* The descriptor under st, claimed (no later stream gets it) until
 * nng_socket_release: found by its two addresses for a TCP-based stream
 * (tls+tcp, ws, wss, nng's tcp), unique while it is open; for an ipc
 * stream (ipc_path: its listener's socket path) by path, peer pid and no
 * hang-up, when unique. -1 when not found (an ipc process with several
 * connections: ambiguous). */
int nng_socket_find(nng_stream *st, const char *ipc_path);
/* Gives up fd's claim (its stream is closed, or going). */
void nng_socket_release(int fd);

#endif
