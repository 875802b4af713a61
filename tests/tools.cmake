mgr_test(test_tools test_tools.c ${HARNESS} LIBS mgr_internal)
add_dependencies(test_tools managerctl)

# The libraries' global symbols are the API and nothing else.
add_test(NAME check_exports
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/check_exports.sh
                 $<TARGET_FILE:mgr> ${CMAKE_SOURCE_DIR}/include/mgr.h
                 $<TARGET_FILE:mgr_static>)
mgr_test(test_literal test_literal.c ${CMAKE_SOURCE_DIR}/tools/literal.c
         LIBS mgr_internal)
target_include_directories(test_literal PRIVATE ${CMAKE_SOURCE_DIR}/tools)
