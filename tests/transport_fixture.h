/* What the transport tests share (transport_fixture.c): the wire spoken by
 * hand (frames of a 4-byte big-endian length and a protobuf message;
 * Hello/Auth/Welcome with the HMAC of common/auth.h), big values, and a
 * group's manager with one client. Every wait is bounded. */
#ifndef MGR_TESTS_TRANSPORT_FIXTURE_H
#define MGR_TESTS_TRANSPORT_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "harness.h"
#include "harness_wire.h"

#define WAIT_MS 5000

#define MAXMSG ((size_t) 64 << 20) /* managerd's default */

#define BIG ((size_t) 1 << 20) /* a big value: 1 MiB */

#define NBIG 4 /* big values, of distinct content */

#define NSLOW 3 /* clients that do not read (one per loop over tcp) */

#define NGETS                                                                \
	7 /* pipelined gets of a big value each (7 MiB: under                \
	   * the 8 MiB a reader may be behind; see backpressure) */

#define NCALLS 100

#define NCONN 300

#define SERVE_MS 5000 /* bound on others' calls while one is stalled */

#define PROMPT_MS 2000 /* "at once" (a refused connection) */

#define CONNECT_MS 10000

void assert_has(const char *out, const char *needle);

int64_t info(mgr_client *c, const char *key);

void await_info(mgr_client *c, const char *key, int64_t want);

/* A client connects to url with o and makes, uses and releases a dict. */
void assert_serves(const char *url, const mgr_opts *o);

/* The port of the URL managerd printed as bound for a --listen URL whose
 * port was 0: the line must be prefix (that URL less its "0") and a port.
 * -1 if there is no such line. */
int printed_port(const h_managerd *m, const char *prefix);

/* Runs managerd with args (no MGR_AUTHKEY); its exit code, output in out. */
int run_managerd(const char *const *args, char *out, size_t cap);

/* A private directory with a key file ("secret"). */
void make_keydir(char *dir, size_t dcap, char *keyfile, size_t kcap);

/* The connection is open and has nothing to read (not an end of file). */
void assert_open_and_quiet(int fd);

extern char *bigs[];

/* Value k: BIG printable bytes of a pattern of its own. */
char *big_make(int k);

/* Pipelines n gets of the big values of dict target ("big<i % NBIG>"),
 * request ids 1..n, in one write. */
void raw_send_gets(int fd, uint64_t target, int n);

/* Reads the n replies of raw_send_gets: in order, each whole. */
void raw_read_gets(int fd, int n);

typedef struct fixture {
	h_transport t;
	h_managerd  m;
	mgr_client *good;
	mgr_obj    *gd; /* "k": "v", "ctr": counter, "big0".."big3" */
	int64_t     ctr;
	int64_t     objects0; /* at the start of each test */
	int64_t     sessions0;
} fixture;

extern fixture F;

/* The good client works, and its dict holds what it held. */
void check_good(void);

int group_setup(h_transport t, const char *io_threads);

int group_setup_ipc(void **state);

int group_setup_tcp(void **state);
int group_setup_nng_tcp(void **state);

int group_teardown(void **state);

int test_setup(void **state);

/* Every connection of the test is gone, and nothing of theirs is left. */
int test_teardown(void **state);

/* Waits until the manager has served want requests since base (its
 * "requests" count, read by mgr_info, itself a request). */
void await_served(int64_t base, int64_t want);

/* The manager answers a new connection promptly, by hand, every wait
 * bounded (a library call would wait for a stalled manager without
 * limit). */
void assert_responsive(void);

/* Waits until fd has something to read (bounded). */
void await_readable(int fd);

/* Others are served promptly: the good client makes a dict and does
 * NCALLS set/get pairs on it, and a new client connects and works. */
void assert_others_served(void);

#endif
