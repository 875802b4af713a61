mgr_test(test_remote test_remote.c ${HARNESS} LIBS mgr_static)
add_dependencies(test_remote seed_remote_queue)
set_tests_properties(test_remote PROPERTIES SKIP_RETURN_CODE 77)
