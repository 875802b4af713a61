mgr_test(test_process test_process.c ${HARNESS} LIBS mgr_internal)

# Process pools: this test program is its own worker.
mgr_test(test_pool test_pool.c ${HARNESS} LIBS mgr_internal)

# Pipes: between threads and with a child process (its own worker).
mgr_test(test_pipe test_pipe.c ${HARNESS} LIBS mgr_internal)
