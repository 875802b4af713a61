# Values and the value codec of libmgr (tests/test_value.c), through
# libmgr's internals (internal.h), hence mgr_static.
mgr_test(test_value test_value.c LIBS mgr_static)

# The same under valgrind (leaks and invalid accesses), unless the build is
# already sanitized (ASan and valgrind do not mix).
find_program(VALGRIND valgrind)
if(VALGRIND AND NOT MGR_SANITIZE)
  add_test(NAME test_value_valgrind
           COMMAND ${VALGRIND} --error-exitcode=99 --leak-check=full
                   --errors-for-leak-kinds=definite,indirect
                   $<TARGET_FILE:test_value>)
  set_tests_properties(test_value_valgrind PROPERTIES TIMEOUT 300)
endif()
