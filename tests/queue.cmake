# The queue, event and barrier types end to end against a real managerd
# (harness.c), with child_queue as the client process that blocks and gets
# killed. test_queue also sends raw requests through libmgr's internal
# call (internal.h), hence mgr_internal and the generated headers.
add_executable(child_queue child_queue.c)
target_link_libraries(child_queue PRIVATE mgr)

foreach(t test_queue test_event_barrier)
  mgr_test(${t} ${t}.c sync_fixture.c harness_wire.c ${HARNESS} LIBS mgr_internal)
  add_dependencies(${t} child_queue mgrwire)
endforeach()

# The seed examples 4 and 5, run as programs with their exact output.
mgr_test(test_seed_queue test_seed_queue.c ${HARNESS} LIBS mgr)
add_dependencies(test_seed_queue seed_producer_consumer seed_queue_results)

# Acknowledged queues: what a dead consumer took comes back.
mgr_test(test_ack_queue test_ack_queue.c sync_fixture.c harness_wire.c
         ${HARNESS} LIBS mgr_internal)

# The queue suite again over tls+tcp:// and over the nng engine's tcp.
foreach(v tls nng-tcp)
  add_test(NAME test_queue_${v} COMMAND test_queue)
  set_tests_properties(test_queue_${v} PROPERTIES TIMEOUT 120 ENVIRONMENT
    "MGR_MANAGERD=$<TARGET_FILE:managerd>;MGR_TEST_TRANSPORT=${v}")
endforeach()
