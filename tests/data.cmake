# Unit tests of the manager's data layer and of the handlers of the data
# types, in-process against libmgrserver (data_fixture.c gives them a real
# store): values and the codec, svec, sdict, the list/dict/namespace
# handlers.
foreach(t test_sval test_svec test_sdict test_handlers)
  mgr_test(${t} ${t}.c data_fixture.c LIBS mgrserver)
endforeach()

# Big str and bytes values: made ready before the lock, mapped on their
# own and unmapped later.
mgr_test(test_big_str test_big_str.c LIBS mgrserver)

# The record of a reconnecting session's replies (manager/core/replay.c).
mgr_test(test_replay test_replay.c LIBS mgrserver)
