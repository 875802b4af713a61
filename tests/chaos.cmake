# Chaos: clients killed at random under a mixed workload, then every
# invariant checked (MGR_CHAOS_SECONDS, default 5; CI runs 20).
add_executable(child_chaos child_chaos.c)
target_link_libraries(child_chaos PRIVATE mgr)
mgr_test(test_chaos test_chaos.c proxy_fixture.c ${HARNESS} LIBS mgr_internal)
add_dependencies(test_chaos child_chaos)

# Soak: churn with the manager's memory and descriptors required flat
# (MGR_SOAK_SECONDS, default 10; CI 60). Not under the sanitizers, whose
# allocators keep what is freed.
if(NOT MGR_SANITIZE AND NOT MGR_TSAN)
  mgr_test(test_soak test_soak.c harness_wire.c ${HARNESS} LIBS mgr_internal)
  set_tests_properties(test_soak PROPERTIES TIMEOUT 7200)
endif()
