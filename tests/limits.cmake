# Connection limits against a real managerd: pre-authentication frames,
# floods of connections that never authenticate, the connection limit,
# handshake versions and deadlines.
mgr_test(test_limits test_limits.c harness_wire.c ${HARNESS} LIBS mgr_internal)

# Replies queued for clients: the backlog limits, big replies pipelined.
mgr_test(test_reply_backlog test_reply_backlog.c harness_wire.c ${HARNESS} LIBS mgr_internal)

# What one request may carry and walk while every other waits
# (--max-request-items, --max-op-elements, nested values counted).
mgr_test(test_op_elements test_op_elements.c ${HARNESS} LIBS mgr_internal)

# Input a hostile client sends: str values that are not text, log
# forging, the details of refusals.
mgr_test(test_hostile test_hostile.c harness_wire.c ${HARNESS} LIBS mgr_internal)

# The peer the per-peer limits count by (an IPv6 host by its /64).
mgr_test(test_peer_key test_peer_key.c LIBS mgrserver)

# Refusals logged by cause and network, counted between lines.
mgr_test(test_log_refusals test_log_refusals.c LIBS mgrserver)

# Before the key on every port: a hostile WebSocket client's cases, a slow
# client under a flood from another network, floods on ws:// and wss://
# while a client with the key pings (MGR_FLOOD_SECONDS).
mgr_test(test_preauth test_preauth.c harness_wire.c ${HARNESS} LIBS mgr_internal)
