# What managerd tells about itself: info figures, --metrics, --log-file.
mgr_test(test_observe test_observe.c ${HARNESS} LIBS mgr_internal)

# The dashboard of managerd --http: its JSON API and, in headless Chromium
# where it is installed, the page (MGR_DASHBOARD_SHOTS=dir keeps
# screenshots of each view).
mgr_test(test_dashboard test_dashboard.c ${HARNESS} LIBS mgr_internal)
target_compile_definitions(test_dashboard PRIVATE
  MGR_ACCOUNT_MODULE="$<TARGET_FILE:account>")
add_dependencies(test_dashboard account)
