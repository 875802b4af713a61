/* What harness.c lends harness_managerd.c: the list of live managerd
 * instances (killed if a test dies), and descriptors and environments for
 * children. */
#ifndef MGR_TESTS_HARNESS_INT_H
#define MGR_TESTS_HARNESS_INT_H

#include <sys/types.h>

void h_live_set(
    const char *dir, pid_t pid, const char *keyfile, const char *logfile);
void   h_live_drop(const char *dir);
int    h_high_fd(int fd);
int    h_high_pipe(int p[2]);
char **h_make_env(const char *const env[]);

#endif
