# Values (test_value) and the value codec, errors and proxies' argument
# checks (test_codec) of libmgr, through its internals (internal.h), hence
# mgr_internal.
foreach(t test_value test_codec)
  mgr_test(${t} ${t}.c value_fixture.c LIBS mgr_internal)
endforeach()

# The same under valgrind (leaks and invalid accesses), unless the build is
# already sanitized (ASan and valgrind do not mix).
find_program(VALGRIND valgrind)
if(VALGRIND AND NOT MGR_SANITIZE AND NOT MGR_TSAN)
  foreach(t test_value test_codec)
    add_test(NAME ${t}_valgrind
             COMMAND ${VALGRIND} --error-exitcode=99 --leak-check=full
                     --errors-for-leak-kinds=definite,indirect
                     $<TARGET_FILE:${t}>)
    set_tests_properties(${t}_valgrind PROPERTIES TIMEOUT 300)
  endforeach()
endif()
