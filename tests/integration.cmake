# Integration tests: every dict, list and namespace call of mgr.h against a
# real managerd, over ipc:// and over tcp://.
mgr_test(test_integration test_integration.c harness.c LIBS mgr_static)
