# scalar (Value) and array (Array): a unit test of typecode.c in-process
# (hence mgrserver) and integration tests against a real managerd (harness,
# libmgr), with a child program for the multi-process atomicity test.
add_executable(child_scalar_add child_scalar_add.c)
target_link_libraries(child_scalar_add PRIVATE mgr)

mgr_test(test_typecode test_typecode.c LIBS mgrserver)
mgr_test(test_scalar_array test_scalar_array.c ${HARNESS}
         LIBS mgrserver mgr_internal)
add_dependencies(test_scalar_array child_scalar_add)
