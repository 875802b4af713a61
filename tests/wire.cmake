mgr_test(test_wire test_wire.c LIBS mgrserver)

# Big buffers mapped in one call (common/prefault.c), not under the lock.
mgr_test(test_prefault test_prefault.c LIBS mgrserver)
