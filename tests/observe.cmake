# What managerd tells about itself: info figures, --metrics, --log-file.
mgr_test(test_observe test_observe.c ${HARNESS} LIBS mgr_static)
