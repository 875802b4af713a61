/* The peer the per-peer limits count by (handshake.c's peer_key_of): a
 * host whatever its port and scheme, an IPv6 host by its /64, an IPv4
 * address mapped into IPv6 as itself, a local user by uid. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "session_int.h"

static void
key_is(const char *peer, const char *want)
{
	char key[80];
	peer_key_of(peer, key, sizeof(key));
	if (strcmp(key, want) != 0) {
		fail_msg("%s: key '%s', expected '%s'", peer, key, want);
	}
}

static void
test_peer_keys(void **state)
{
	(void) state;
	key_is("tcp 10.1.2.3:5000", "host 10.1.2.3");
	key_is("tls+tcp 10.1.2.3:6000", "host 10.1.2.3");
	key_is("ws [10.1.2.3]:7000", "host 10.1.2.3");
	key_is("ipc pid 12 uid 1000", "ipc uid 1000");
	// One /64: every address in it is the same peer.
	key_is("tcp [2001:db8:1:2:aaaa::1]:5000", "host [2001:db8:1:2::]/64");
	key_is("wss [2001:db8:1:2:ffff:ffff:ffff:ffff]:443",
	    "host [2001:db8:1:2::]/64");
	key_is("tcp [2001:db8:1:3::1]:5000", "host [2001:db8:1:3::]/64");
	key_is("tcp [::1]:5000", "host [::]/64");
	key_is("tcp [::ffff:192.0.2.7]:5000", "host 192.0.2.7");
	// Not an address (a name, garbage): taken as it is, port dropped.
	key_is("tcp [not-an-ip]:5000", "host [not-an-ip]");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peer_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
