# The transport (common/sock.c, manager/conn.c) against a real managerd:
# stale and live ipc sockets, URL forms and malformed URLs, a client that
# does not read, hundreds of connections, silent connections, running out
# of descriptors. The raw-socket tests speak the handshake by hand, so they
# see the generated messages and common/auth.h (as test_faults does).
mgr_test(test_transport test_transport.c harness.c LIBS mgr_static)
