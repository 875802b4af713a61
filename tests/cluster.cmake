# managerd --cluster: three members on loopback, failovers under writers,
# fences across them, snapshots; and in network namespaces (as root), the
# leader cut off from the others (only when managerd is built with
# replication: MGR_RAFT).
if(MGR_HAVE_RAFT)
  add_executable(child_cluster_writer child_cluster_writer.c)
  target_link_libraries(child_cluster_writer PRIVATE mgr)
  mgr_test(test_cluster test_cluster.c cluster_fixture.c ${HARNESS}
    LIBS mgr_internal)
  add_dependencies(test_cluster child_cluster_writer managerctl)
  target_compile_definitions(test_cluster PRIVATE
    MGR_CHILD_CLUSTER_WRITER="$<TARGET_FILE:child_cluster_writer>")
  set_tests_properties(test_cluster PROPERTIES TIMEOUT 300)

  # The leader and consumers killed at random under counter, queue and
  # lock clients, every history checked (MGR_CLUSTER_CHAOS_ROUNDS).
  add_executable(child_cluster_consumer child_cluster_consumer.c)
  target_link_libraries(child_cluster_consumer PRIVATE mgr)
  mgr_test(test_cluster_chaos test_cluster_chaos.c cluster_fixture.c
    history_check.c ${HARNESS} LIBS mgr_internal)
  add_dependencies(test_cluster_chaos child_cluster_consumer)
  target_compile_definitions(test_cluster_chaos PRIVATE
    MGR_CHILD_CLUSTER_CONSUMER="$<TARGET_FILE:child_cluster_consumer>")
  set_tests_properties(test_cluster_chaos PROPERTIES TIMEOUT 900)

  # Stale reads from a follower (mgr_opts.stale_reads).
  add_executable(child_stale_reader child_stale_reader.c)
  target_link_libraries(child_stale_reader PRIVATE mgr)
  mgr_test(test_cluster_stale_reads test_cluster_stale_reads.c
    cluster_fixture.c ${HARNESS} LIBS mgr_internal)
  add_dependencies(test_cluster_stale_reads child_stale_reader)
  target_compile_definitions(test_cluster_stale_reads PRIVATE
    MGR_CHILD_STALE_READER="$<TARGET_FILE:child_stale_reader>")
  set_tests_properties(test_cluster_stale_reads PROPERTIES TIMEOUT 300)

  # The guard around libraft's io for its held-install bug, against a
  # fake io (manager/repl/raft_io_guard.h).
  mgr_test(test_raft_io_guard test_raft_io_guard.c LIBS mgrserver)
endif()

# The history checks themselves, on histories made by hand.
mgr_test(test_history_check test_history_check.c history_check.c)
