# Fault and bad-input tests against a real managerd. They speak the wire by
# hand too, so they see the generated messages and common/auth.h (both in
# mgr_static already).
mgr_test(test_faults test_faults.c harness.c LIBS mgr_static)
target_include_directories(test_faults PRIVATE
  $<TARGET_PROPERTY:mgrwire,INTERFACE_INCLUDE_DIRECTORIES>)

# A client process the fault tests start (exec'ed) and kill mid-session.
add_executable(child_holder child_holder.c)
target_link_libraries(child_holder PRIVATE mgr_static)
add_dependencies(test_faults child_holder)
target_compile_definitions(test_faults PRIVATE
  MGR_CHILD_HOLDER="$<TARGET_FILE:child_holder>")
