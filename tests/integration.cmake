# Integration tests against a real managerd, over ipc:// and over tcp://:
# every dict, list and namespace call of mgr.h (test_integration), and what
# crosses the wire and who holds what (test_sharing).
foreach(t test_integration test_sharing)
  mgr_test(${t} ${t}.c integration_fixture.c ${HARNESS} LIBS mgr_internal)
endforeach()

# Names shared by independent clients: get-or-create, the list, version.
mgr_test(test_names test_names.c ${HARNESS} LIBS mgr_internal)

# A stale-read session (mgr_opts.stale_reads) on a manager of one.
mgr_test(test_stale_reads test_stale_reads.c ${HARNESS} LIBS mgr_internal)
