# Every public declaration has a doc comment, and docs/api.md is what
# docs/gen_api.py makes of the header now.
find_program(PYTHON3 python3)
if(PYTHON3)
  add_test(NAME check_api_docs
           COMMAND ${PYTHON3} ${CMAKE_SOURCE_DIR}/docs/gen_api.py --check
                   ${CMAKE_SOURCE_DIR}/include/mgr.h
                   ${CMAKE_SOURCE_DIR}/docs/api.md)
endif()
add_test(NAME check_options
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/check_options.sh
                 ${CMAKE_SOURCE_DIR} $<TARGET_FILE:managerd>
                 $<TARGET_FILE:managerctl>)
find_program(BASH bash)
if(BASH)
  add_test(NAME check_completion
           COMMAND ${BASH} ${CMAKE_CURRENT_SOURCE_DIR}/check_completion.sh
                   ${CMAKE_SOURCE_DIR} $<TARGET_FILE:managerctl>)
endif()
