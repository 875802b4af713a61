/* Refusals a peer can cause without the key, logged by cause and network
 * (common/log.c's log_refused): the first of each cause from each network
 * in an interval is written, the rest counted and said in one line once
 * the interval is over; an IPv4 /24 and an IPv6 /64 are one network each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static char path[64];

/* How many lines of the log hold needle. */
static int
lines_with(const char *needle)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[512];
	int  n = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		n += strstr(line, needle) != NULL;
	}
	fclose(f);
	return n;
}

static void
test_refusals_by_network(void **state)
{
	(void) state;
	snprintf(path, sizeof(path), "/tmp/mgr-log-refusals-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(log_open(path), 0);
	log_set_refusals_interval(1500); // the loop below is far shorter
	// 1,000 wrong keys from one /24 (many hosts in it): one line.
	for (int i = 0; i < 1000; i++) {
		char peer[64];
		snprintf(peer, sizeof(peer), "tcp 10.0.0.%d:%d", i % 250,
		    5000 + i);
		log_refused(LOG_WARN, "handshakes with a wrong authkey", peer,
		    "attempt %d from %s", i, peer);
	}
	// Another /24, another cause from the first, two hosts of one /64.
	log_refused(LOG_WARN, "handshakes with a wrong authkey",
	    "tcp 10.0.1.9:1", "attempt from %s", "10.0.1.9");
	log_refused(LOG_WARN, "malformed handshakes", "tcp 10.0.0.3:1",
	    "malformed from %s", "10.0.0.3");
	log_refused(LOG_WARN, "handshakes with a wrong authkey",
	    "wss [2001:db8:0:1::5]:443", "v6 attempt %d", 1);
	log_refused(LOG_WARN, "handshakes with a wrong authkey",
	    "wss [2001:db8:0:1:ffff::9]:443", "v6 attempt %d", 2);
	assert_int_equal(lines_with("attempt 0 from tcp 10.0.0.0:5000"), 1);
	assert_int_equal(lines_with("attempt 1 from"), 0);
	assert_int_equal(lines_with("attempt from 10.0.1.9"), 1);
	assert_int_equal(lines_with("malformed from 10.0.0.3"), 1);
	assert_int_equal(lines_with("v6 attempt"), 1);
	// Once the interval is over: one line with each count.
	usleep(1600 * 1000);
	log_refusals_flush();
	assert_int_equal(
	    lines_with("999 more refusals from 10.0.0.0/24 in the last "), 1);
	assert_int_equal(
	    lines_with(" s: handshakes with a wrong authkey"), 2); // and v6
	assert_int_equal(
	    lines_with("1 more refusals from [2001:db8:0:1::]/64"), 1);
	assert_int_equal(lines_with("more refusals from 10.0.1.0/24"), 0);
	// A new interval: written again.
	log_refused(LOG_WARN, "handshakes with a wrong authkey",
	    "tcp 10.0.0.1:9", "attempt %d again", 7);
	assert_int_equal(lines_with("attempt 7 again"), 1);
	log_set_refusals_interval(0);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusals_by_network),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
