mgr_test(test_remote test_remote.c ${HARNESS} LIBS mgr_internal)
add_dependencies(test_remote seed_remote_queue seed_pool)
set_tests_properties(test_remote PROPERTIES SKIP_RETURN_CODE 77)

# TLS and WebSocket on the nng engine (certificates by tests/make_certs.sh).
mgr_test(test_tls test_tls.c ${HARNESS} LIBS mgr_internal)
set_tests_properties(test_tls PROPERTIES SKIP_RETURN_CODE 77)
mgr_test(test_ws_clients test_ws_clients.c ${HARNESS} LIBS mgr_internal)
