# cmake --install, then the installed copy used as a user would
# (tests/install.sh): files, soname, no build path, programs that start
# without LD_LIBRARY_PATH, a program built with -lmgr, pkg-config (shared
# and static) and find_package.
find_program(CC_FOR_INSTALL_TEST cc)
if(CC_FOR_INSTALL_TEST AND NOT MGR_SANITIZE AND NOT MGR_TSAN)
  add_test(NAME test_install
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/install.sh ${CMAKE_BINARY_DIR})
  set_tests_properties(test_install PROPERTIES TIMEOUT 300)
endif()
