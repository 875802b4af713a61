# The data directory's log (manager/disk/wal.c) as a unit: records,
# segments, group commits, torn and damaged records, no room.
mgr_test(test_wal test_wal.c LIBS mgrserver)
# managerd --data-dir against a real managerd: restarts, kill -9 under
# acknowledged writes (--fsync no and always), a lock's holder resumed,
# --check and damage.
mgr_test(test_durability test_durability.c ${HARNESS} LIBS mgr_internal)
# Snapshots of managerd --data-dir: every type through a snapshot and a
# kill -9, snapshots under load, sessions' exactly-once across them,
# damage refused, a store of 1M entries saved and restarted (timed).
mgr_test(test_snapshot test_snapshot.c ${HARNESS} LIBS mgr_internal)
