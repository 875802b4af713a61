# managerd --cluster: three members on loopback, failovers under writers,
# fences across them, snapshots (only when managerd is built with
# replication: MGR_RAFT).
if(MGR_HAVE_RAFT)
  mgr_test(test_cluster test_cluster.c cluster_fixture.c ${HARNESS}
    LIBS mgr_internal)
  set_tests_properties(test_cluster PROPERTIES TIMEOUT 300)
endif()
