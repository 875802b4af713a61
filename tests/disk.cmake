# The data directory's log (manager/disk/wal.c) as a unit: records,
# segments, group commits, torn and damaged records, no room.
mgr_test(test_wal test_wal.c LIBS mgrserver)
