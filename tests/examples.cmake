# The examples' exact output.
mgr_test(test_examples test_examples.c ${HARNESS} LIBS mgr_internal)
add_dependencies(test_examples seed_dict_list seed_list_append seed_pool
  pool_tour pipe as_completed account_withdraw)
