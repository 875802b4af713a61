# The connection layer's reply rule and the check of system calls under
# the server lock, in-process against libmgrserver.
mgr_test(test_reply_rule test_reply_rule.c LIBS mgrserver)

# A connection's queued reply bytes as a chain of blocks
# (manager/net/conn_tx.c), in-process.
mgr_test(test_conn_tx test_conn_tx.c LIBS mgrserver)
