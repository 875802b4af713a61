# The transport against a real managerd: the event loops (test_transport:
# clients that do not read, hundreds of connections, silent connections,
# backpressure) and sockets and URLs (test_sockets: stale and live ipc
# sockets, URL forms and malformed URLs, running out of descriptors). Both
# speak the wire by hand too (transport_fixture.c).
foreach(t test_transport test_sockets)
  mgr_test(${t} ${t}.c transport_fixture.c harness_wire.c ${HARNESS}
           LIBS mgr_internal)
endforeach()
