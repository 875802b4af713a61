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
