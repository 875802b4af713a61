# managerd --cluster: three members on loopback, failovers under writers,
# fences across them, snapshots; and in network namespaces (as root), the
# leader cut off from the others (only when managerd is built with
# replication: MGR_RAFT).
if(MGR_HAVE_RAFT)
  add_executable(child_cluster_writer child_cluster_writer.c)
  target_link_libraries(child_cluster_writer PRIVATE mgr)
  mgr_test(test_cluster test_cluster.c cluster_fixture.c ${HARNESS}
    LIBS mgr_internal)
  add_dependencies(test_cluster child_cluster_writer)
  target_compile_definitions(test_cluster PRIVATE
    MGR_CHILD_CLUSTER_WRITER="$<TARGET_FILE:child_cluster_writer>")
  set_tests_properties(test_cluster PROPERTIES TIMEOUT 300)
endif()
