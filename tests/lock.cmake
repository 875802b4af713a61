# Lock, rlock, semaphores and condition end to end against a real managerd
# (harness.c), with child_lock as the client process that holds or waits
# and gets killed. The tests also send raw requests through libmgr's
# internal call (internal.h), hence mgr_internal and the generated headers.
add_executable(child_lock child_lock.c)
target_link_libraries(child_lock PRIVATE mgr)

foreach(t test_lock test_condition)
  mgr_test(${t} ${t}.c sync_fixture.c harness_wire.c ${HARNESS} LIBS mgr_internal)
  add_dependencies(${t} child_lock mgrwire)
endforeach()

# Seed example 3: ten processes printing under one shared lock.
mgr_test(test_seed_lock test_seed_lock.c ${HARNESS} LIBS mgr)
add_dependencies(test_seed_lock seed_lock_hello)

# The lock suite again over tls+tcp:// and over the nng engine's tcp.
foreach(v tls nng-tcp)
  add_test(NAME test_lock_${v} COMMAND test_lock)
  set_tests_properties(test_lock_${v} PROPERTIES TIMEOUT 120 ENVIRONMENT
    "MGR_MANAGERD=$<TARGET_FILE:managerd>;MGR_TEST_TRANSPORT=${v}")
endforeach()
