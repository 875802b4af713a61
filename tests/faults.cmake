# Fault and bad-input tests against a real managerd. They speak the wire by
# hand too (the generated messages, common/auth.h: see mgr_test).
mgr_test(test_faults test_faults.c harness_wire.c ${HARNESS} LIBS mgr_internal)

# A client process the fault tests start (exec'ed) and kill mid-session.
add_executable(child_holder child_holder.c)
target_link_libraries(child_holder PRIVATE mgr_internal)
add_dependencies(test_faults child_holder)
target_compile_definitions(test_faults PRIVATE
  MGR_CHILD_HOLDER="$<TARGET_FILE:child_holder>")

# managerd's command line: key files and usage errors.
mgr_test(test_cmdline test_cmdline.c ${HARNESS} LIBS mgr_internal)

# Sessions that survive faults: leases, reconnects through a dropping
# proxy, a stopped manager, links cut in network namespaces (as root).
add_executable(child_fenced child_fenced.c)
target_link_libraries(child_fenced PRIVATE mgr)
mgr_test(test_sessions test_sessions.c proxy_fixture.c harness_wire.c
  ${HARNESS} LIBS mgr_internal)
add_dependencies(test_sessions child_fenced)
target_compile_definitions(test_sessions PRIVATE
  MGR_CHILD_FENCED="$<TARGET_FILE:child_fenced>")
set_tests_properties(test_sessions PROPERTIES TIMEOUT 600)
