# The connection layer's reply rule and the check of system calls under
# the server lock, in-process against libmgrserver.
mgr_test(test_reply_rule test_reply_rule.c LIBS mgrserver)
