# Unit tests of the manager's data types (values, svec/sdict, the list,
# dict and namespace handlers), in-process against libmgrserver.
mgr_test(test_data test_data.c LIBS mgrserver)
# test_data counts the references sv_to_pb gives a session with a stand-in
# session (a real one needs a connection): see the top of test_data.c.
target_link_options(test_data PRIVATE
  -Wl,--wrap=session_ref_add,--wrap=session_ref_drop)
