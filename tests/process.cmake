mgr_test(test_process test_process.c LIBS mgr_static)
