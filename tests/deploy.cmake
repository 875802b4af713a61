# docs/deploy.md's TLS walk-through run as written, across two network
# namespaces (root; skipped otherwise).
add_test(NAME test_deploy_tls
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/deploy_tls.sh
                 ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR})
set_tests_properties(test_deploy_tls PROPERTIES TIMEOUT 120
                     SKIP_RETURN_CODE 77)
