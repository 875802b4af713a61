# Unit tests of the manager's data types (values, svec/sdict, the codec,
# the list, dict and namespace handlers), in-process against libmgrserver.
mgr_test(test_data test_data.c LIBS mgrserver)
