mgr_test(test_batch test_batch.c LIBS mgr_internal)
mgr_test(test_guards test_guards.c LIBS mgr_internal)
