mgr_test(test_batch test_batch.c LIBS mgr_internal)
