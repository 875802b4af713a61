# The Python client's tests (python/tests, pytest) against a real managerd,
# with the C peer of the interoperation test and the Python examples.
if(MGR_PYTHON_CLIENT)
  execute_process(COMMAND ${MGR_PYTHON} -c "import pytest"
                  RESULT_VARIABLE _pytest_rc OUTPUT_QUIET ERROR_QUIET)
  if(NOT _pytest_rc EQUAL 0)
    if(MGR_PYTHON_REQUIRED)
      message(FATAL_ERROR "The Python client's tests need pytest "
              "(apt-get install python3-pytest)")
    endif()
    message(STATUS "Python client tests left out: no pytest "
            "(apt-get install python3-pytest)")
    return()
  endif()
  add_executable(child_python_peer child_python_peer.c)
  target_link_libraries(child_python_peer PRIVATE mgr)
  add_test(NAME test_python
           COMMAND ${MGR_PYTHON} -m pytest -q -p no:cacheprovider
                   ${CMAKE_SOURCE_DIR}/python/tests)
  set_tests_properties(test_python PROPERTIES TIMEOUT 240
    ENVIRONMENT "PYTHONPATH=${CMAKE_BINARY_DIR}/python;PYTHONDONTWRITEBYTECODE=1;MGR_MANAGERD=$<TARGET_FILE:managerd>;MGR_PY_PEER=$<TARGET_FILE:child_python_peer>;MGR_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
  add_dependencies(child_python_peer python_client managerd)
endif()
