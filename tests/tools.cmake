mgr_test(test_tools test_tools.c harness.c LIBS mgr_static)
add_dependencies(test_tools managerctl)
