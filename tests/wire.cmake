mgr_test(test_wire test_wire.c LIBS mgrserver)
