# The code's lists of the schema's facts (types.def, the op tables, the
# fuzz corpus) checked against the schema.
mgr_test(test_op_table test_op_table.c LIBS mgrserver)
