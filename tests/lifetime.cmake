mgr_test(test_lifetime test_lifetime.c LIBS mgr_internal)
