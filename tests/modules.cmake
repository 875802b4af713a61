# Modules (mgr_module.h) end to end: managerd loads examples/modules'
# account and the probe module (tests/modules/probe.c, which fails on
# demand); child_module is a client that waits in a method or withdraws.
add_library(probe MODULE modules/probe.c)
set_target_properties(probe PROPERTIES PREFIX "")
target_link_libraries(probe PRIVATE mgr)
add_executable(child_module child_module.c)
target_link_libraries(child_module PRIVATE mgr)
mgr_test(test_modules test_modules.c ${HARNESS} LIBS mgr)
target_compile_definitions(test_modules PRIVATE
  MGR_PROBE_MODULE="$<TARGET_FILE:probe>"
  MGR_ACCOUNT_MODULE="$<TARGET_FILE:account>"
  MGR_BUCKET_MODULE="$<TARGET_FILE:token_bucket>"
  MGR_LIBMGR_PATH="$<TARGET_FILE:mgr>")
add_dependencies(test_modules probe account token_bucket child_module
  managerctl)
