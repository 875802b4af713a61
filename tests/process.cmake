mgr_test(test_process test_process.c ${HARNESS} LIBS mgr_static)
