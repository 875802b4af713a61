/* The group's transport: cowsql/raft's TCP transport with managerd's
 * authkey proved both ways on each connection before raft uses it, so
 * that nobody without the key can send a member raft's messages (a vote,
 * entries) or take its place (raft_auth.c). */
#ifndef MGR_MANAGER_REPL_RAFT_AUTH_H
#define MGR_MANAGER_REPL_RAFT_AUTH_H

#include <raft.h>
#include <raft/uv.h>
#include <stddef.h>
#include <uv.h>

/* Makes t such a transport on loop, with the key (copied). 0 or a raft
 * code. On the member's thread. */
int raft_auth_init(struct raft_uv_transport *t, uv_loop_t *loop,
    const void *key, size_t keylen);
/* Frees what raft_auth_init made (after raft closed t). */
void raft_auth_close(struct raft_uv_transport *t);

#endif
