mgr_test(test_tools test_tools.c ${HARNESS} LIBS mgr_static)
add_dependencies(test_tools managerctl)

# The shared library's dynamic symbols are the API and nothing else.
add_test(NAME check_exports
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/check_exports.sh
                 $<TARGET_FILE:mgr> ${CMAKE_SOURCE_DIR}/include/mgr.h)
mgr_test(test_literal test_literal.c ${CMAKE_SOURCE_DIR}/tools/literal.c
         LIBS mgr_static)
target_include_directories(test_literal PRIVATE ${CMAKE_SOURCE_DIR}/tools)
