/* Unit tests of the code both sides share: the nesting check run before
 * unpacking, the handshake's HMAC, key files, the arena, the manager's id
 * map, the spin-then-block policy, and Python's repr against Python. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sched.h>
#include <time.h>

#include "arena.h"
#include "auth.h"
#include "idmap.h"
#include "manager.pb-c.h"
#include "mgr.h"
#include "pbcheck.h"
#include "repr.h"
#include "spin.h"
#include "wire.h"

/* A request whose first argument is a list nested `depth` levels deep,
 * packed by protobuf-c itself. */
static uint8_t *
nested_request(int depth, size_t *len)
{
	Mgr__Value *vals = calloc((size_t) depth + 1, sizeof(Mgr__Value));
	Mgr__Seq   *seqs = calloc((size_t) depth, sizeof(Mgr__Seq));
	for (int i = 0; i <= depth; i++) {
		mgr__value__init(&vals[i]);
	}
	for (int i = 0; i < depth; i++) {
		mgr__seq__init(&seqs[i]);
		Mgr__Value **item = malloc(sizeof(*item));
		*item             = &vals[i + 1];
		seqs[i].items     = item;
		seqs[i].n_items   = 1;
		vals[i].kind_case = MGR__VALUE__KIND_LIST;
		vals[i].list      = &seqs[i];
	}
	vals[depth].kind_case = MGR__VALUE__KIND_I;
	vals[depth].i         = 7;
	Mgr__Request rq       = MGR__REQUEST__INIT;
	Mgr__Value  *args[1]  = { &vals[0] };
	rq.id                 = 1;
	rq.op                 = MGR__OP__OP_LIST_APPEND;
	rq.args               = args;
	rq.n_args             = 1;
	*len                  = mgr__request__get_packed_size(&rq);
	uint8_t *buf          = malloc(*len);
	mgr__request__pack(&rq, buf);
	for (int i = 0; i < depth; i++) {
		free(seqs[i].items);
	}
	free(seqs);
	free(vals);
	return buf;
}

static void
test_pbcheck_depth(void **state)
{
	(void) state;
	size_t   len;
	uint8_t *ok = nested_request(60, &len);
	assert_true(
	    pb_check(&mgr__request__descriptor, ok, len, WIRE_PB_MAX_DEPTH));
	Mgr__Request *rq = mgr__request__unpack(NULL, len, ok);
	assert_non_null(rq);
	mgr__request__free_unpacked(rq, NULL);
	free(ok);

	// Deeper than the limit: refused before protobuf-c recurses.
	uint8_t *deep = nested_request(WIRE_PB_MAX_DEPTH, &len);
	assert_false(pb_check(
	    &mgr__request__descriptor, deep, len, WIRE_PB_MAX_DEPTH));
	free(deep);

	// Built by hand from the inside out: a well-formed value that
	// nests 500,000 lists in under 4 MB, the kind of frame
	// that would exhaust the stack inside protobuf-c's unpack.
	size_t   cap = 8u << 20, at = cap;
	uint8_t *buf = malloc(cap);
	buf[--at]    = 0x0e; // zigzag(7)
	buf[--at]    = 0x18; // Value.i
	for (int level = 0; level < 500000; level++) {
		for (int wrap = 0; wrap < 2; wrap++) {
			// Seq.items (field 1) around a Value, then Value.list
			// (field 7) around that Seq.
			size_t  inner = cap - at;
			uint8_t v[10];
			int     nv = 0;
			do {
				v[nv++] = (uint8_t) ((inner & 0x7f) | 0x80);
				inner >>= 7;
			} while (inner != 0);
			v[nv - 1] &= 0x7f;
			for (int k = nv - 1; k >= 0; k--) {
				buf[--at] = v[k];
			}
			buf[--at] = wrap == 0 ? 0x0a : 0x3a;
		}
	}
	// buf + at is a Value (its outermost field is Value.list).
	assert_false(pb_check(
	    &mgr__value__descriptor, buf + at, cap - at, WIRE_PB_MAX_DEPTH));
	free(buf);
}

static void
test_pbcheck_malformed(void **state)
{
	(void) state;
	const uint8_t truncated_varint[] = { 0x08, 0xff };
	const uint8_t bad_length[]       = { 0x22, 0x05, 0x01 };
	const uint8_t group[]            = { 0x0b };
	const uint8_t empty[]            = { 0 };
	assert_false(pb_check(&mgr__request__descriptor, truncated_varint,
	    sizeof(truncated_varint), WIRE_PB_MAX_DEPTH));
	assert_false(pb_check(&mgr__request__descriptor, bad_length,
	    sizeof(bad_length), WIRE_PB_MAX_DEPTH));
	assert_false(pb_check(&mgr__request__descriptor, group, sizeof(group),
	    WIRE_PB_MAX_DEPTH));
	assert_true(
	    pb_check(&mgr__request__descriptor, empty, 0, WIRE_PB_MAX_DEPTH));
}

static void
test_hmac_rfc4231(void **state)
{
	(void) state;
	// RFC 4231 test case 2: key "Jefe", data "what do ya want for
	// nothing?" (split here into label + nonce).
	static const uint8_t expect[32] = { 0x5b, 0xdc, 0xc1, 0x46, 0xbf,
		0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95, 0x75,
		0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d,
		0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43 };
	const char          *rest       = " ya want for nothing?";
	uint8_t              out[32];
	assert_int_equal(auth_digest("Jefe", 4, "what do",
	                     (const uint8_t *) rest, strlen(rest), out),
	    0);
	assert_memory_equal(out, expect, 32);
	assert_true(auth_equal(out, expect, 32));
	out[31] ^= 1;
	assert_false(auth_equal(out, expect, 32));
}

static void
test_random_key_and_file(void **state)
{
	(void) state;
	char k1[65], k2[65];
	assert_int_equal(auth_random_key(k1), 0);
	assert_int_equal(auth_random_key(k2), 0);
	assert_int_equal(strlen(k1), 64);
	assert_string_not_equal(k1, k2);

	char path[] = "/tmp/mgr-keytest-XXXXXX";
	int  fd     = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "s3cret\n", 7), 7);
	close(fd);
	char  *key;
	size_t len;
	assert_int_equal(auth_read_key_file(path, &key, &len), 0);
	assert_int_equal(len, 6); // one trailing newline dropped
	assert_memory_equal(key, "s3cret", 6);
	free(key);

	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "\n", 1), 1);
	close(fd);
	assert_int_equal(auth_read_key_file(path, &key, &len), MGR_EINVAL);
	unlink(path);
	assert_int_equal(auth_read_key_file(path, &key, &len), MGR_EINVAL);
}

static void
test_arena(void **state)
{
	(void) state;
	arena a;
	arena_init(&a);
	char *p = arena_alloc(&a, 10);
	char *q = arena_alloc(&a, 10);
	assert_non_null(p);
	assert_true(q >= p + 16);
	assert_int_equal((uintptr_t) q % 16, 0);
	char *big = arena_alloc(&a, 100000); // larger than a chunk
	assert_non_null(big);
	memset(big, 1, 100000);
	arena_reset(&a);
	assert_non_null(arena_alloc(&a, 8));
	arena_fini(&a);
}

static void
test_idmap(void **state)
{
	(void) state;
	idmap m;
	idmap_init(&m);
	for (uint64_t k = 1; k <= 10000; k++) {
		void **slot = idmap_put(&m, k * 7919);
		assert_non_null(slot);
		*slot = (void *) (uintptr_t) k;
	}
	assert_int_equal(m.len, 10000);
	// Delete every other key; the rest must stay reachable (backward
	// shift keeps probe runs intact).
	for (uint64_t k = 1; k <= 10000; k += 2) {
		assert_int_equal((uintptr_t) idmap_del(&m, k * 7919), k);
	}
	for (uint64_t k = 1; k <= 10000; k++) {
		void *v = idmap_get(&m, k * 7919);
		if (k % 2) {
			assert_null(v);
		} else {
			assert_int_equal((uintptr_t) v, k);
		}
	}
	size_t   pos = 0, n = 0;
	uint64_t key;
	void    *val;
	while (idmap_next(&m, &pos, &key, &val)) {
		assert_int_equal(key, (uintptr_t) val * 7919);
		n++;
	}
	assert_int_equal(n, 5000);
	assert_null(idmap_del(&m, 12345678));
	idmap_fini(&m);
}

/* The spinner with a budget of us microseconds (MGR_SPIN_US). */
static void
spinner_with(spinner *sp, const char *us)
{
	setenv("MGR_SPIN_US", us, 1);
	spin_init(sp);
	unsetenv("MGR_SPIN_US");
}

/* Calls spin_begin until it says yes; how many calls that took. */
static unsigned
calls_until_spin(spinner *sp)
{
	unsigned n = 1;
	while (!spin_begin(sp) && n < 100000) {
		n++;
	}
	return n;
}

static void
test_spin_off(void **state)
{
	(void) state;
	spinner sp;
	spinner_with(&sp, "0");
	for (int i = 0; i < 10000; i++) {
		assert_false(spin_begin(&sp));
	}
	// A thread that may run on one CPU only never spins: its peer needs
	// that CPU to answer.
	cpu_set_t old, one;
	assert_int_equal(sched_getaffinity(0, sizeof(old), &old), 0);
	CPU_ZERO(&one);
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (CPU_ISSET(c, &old)) {
			CPU_SET(c, &one);
			break;
		}
	}
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	spinner_with(&sp, "50");
	assert_int_equal(sched_setaffinity(0, sizeof(old), &old), 0);
	for (int i = 0; i < 10000; i++) {
		assert_false(spin_begin(&sp));
	}
}

static void
test_spin_policy(void **state)
{
	(void) state;
	cpu_set_t set;
	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	if (CPU_COUNT(&set) < 2 || sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		skip(); // single CPU: spinning is off (test_spin_off)
	}
	spinner sp;
	// A budget of 10 s: spin_over can't be reached within the test.
	spinner_with(&sp, "10000000");
	assert_true(spin_begin(&sp));
	assert_false(spin_over(&sp));
	spin_end(&sp, true);
	// Successes keep it spinning; a failure counts double, so after one
	// success the first failure pauses it.
	assert_true(spin_begin(&sp));
	spin_end(&sp, false);
	// Paused: the next try comes after 64 waits, then 128 after a failed
	// try, 256, ... up to 4096.
	assert_int_equal(calls_until_spin(&sp), 64);
	spin_end(&sp, false);
	assert_int_equal(calls_until_spin(&sp), 128);
	spin_end(&sp, false);
	assert_int_equal(calls_until_spin(&sp), 256);
	// A try that pays resumes spinning at once, and resets the back-off:
	// the next failure pauses for 64 waits again.
	spin_end(&sp, true);
	assert_true(spin_begin(&sp));
	spin_end(&sp, false);
	assert_int_equal(calls_until_spin(&sp), 64);
	spin_end(&sp, false);
	for (int i = 0; i < 8; i++) {
		calls_until_spin(&sp);
		spin_end(&sp, false);
	}
	assert_int_equal(calls_until_spin(&sp), 4096);
	spin_end(&sp, false);
	assert_int_equal(calls_until_spin(&sp), 4096);

	// A tiny budget is spent at once.
	spinner_with(&sp, "1");
	assert_true(spin_begin(&sp));
	struct timespec ts = { 0, 2000000 };
	nanosleep(&ts, NULL);
	assert_true(spin_over(&sp));
	spin_end(&sp, false);
}

/* ---- repr against Python (tests/data/repr_expect.txt) --------------------
 */

/* Code point cp as UTF-8 into out (4 bytes at most); its length. */
static size_t
utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char) (0xC0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char) (0xE0 | (cp >> 12));
		out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char) (0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char) (0xF0 | (cp >> 18));
	out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char) (0x80 | (cp & 0x3F));
	return 4;
}

/* What Python's repr gives for the one-character str cp. */
static void
python_char_repr(uint32_t cp, bool printable, char *out, size_t cap)
{
	char ch[5] = { 0 };
	if (cp == '\\' || cp == '\'' || cp == '\t' || cp == '\n'
	    || cp == '\r') {
		const char *e = cp == '\\' ? "'\\\\'"
		    : cp == '\''           ? "\"'\""
		    : cp == '\t'           ? "'\\t'"
		    : cp == '\n'           ? "'\\n'"
		                           : "'\\r'";
		snprintf(out, cap, "%s", e);
	} else if (printable) {
		utf8_encode(cp, ch);
		snprintf(out, cap, "'%s'", ch);
	} else if (cp < 0x100) {
		snprintf(out, cap, "'\\x%02x'", (unsigned) cp);
	} else if (cp < 0x10000) {
		snprintf(out, cap, "'\\u%04x'", (unsigned) cp);
	} else {
		snprintf(out, cap, "'\\U%08x'", (unsigned) cp);
	}
}

static void
test_repr_like_python(void **state)
{
	(void) state;
	FILE *f = fopen(MGR_SOURCE_DIR "/tests/data/repr_expect.txt", "r");
	assert_non_null(f);
	char   line[256], got[64], want[64];
	size_t floats = 0, chars = 0, mismatches = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		char     hex[64], exp[64];
		unsigned first, last, printable;
		if (sscanf(line, "F %63s %63s", hex, exp) == 2) {
			repr_float_to(strtod(hex, NULL), got, sizeof(got));
			if (strcmp(got, exp) != 0 && mismatches++ < 10) {
				print_error("float %s: %s, Python %s\n", hex,
				    got, exp);
			}
			floats++;
		} else if (sscanf(
		               line, "C %x %x %u", &first, &last, &printable)
		    == 3) {
			for (uint32_t cp = first; cp <= last; cp++) {
				char     s[5] = { 0 };
				size_t   n    = utf8_encode(cp, s);
				repr_buf w;
				repr_init(&w, got, sizeof(got));
				repr_str(&w, s, n);
				repr_end(&w);
				python_char_repr(
				    cp, printable != 0, want, sizeof(want));
				if (strcmp(got, want) != 0
				    && mismatches++ < 10) {
					print_error("U+%04X: %s, Python %s\n",
					    (unsigned) cp, got, want);
				}
				chars++;
			}
		}
	}
	fclose(f);
	assert_int_equal(floats, 2 * 2098);
	assert_true(chars > 140000);
	assert_int_equal(mismatches, 0);
}

/* A repr that does not fit stops at a whole character or escape. */
static void
test_repr_cut(void **state)
{
	(void) state;
	char     buf[8];
	repr_buf w;
	repr_init(&w, buf, sizeof(buf));
	repr_str(&w, "ab\xe2\x82\xac\xe2\x82\xac", 8); // 'ab€€'
	assert_int_equal(repr_end(&w), 6);
	assert_true(w.full);
	assert_string_equal(buf, "'ab\xe2\x82\xac");
	repr_init(&w, buf, sizeof(buf));
	repr_bytes(&w, (const unsigned char *) "\x01\x02", 2);
	repr_end(&w);
	assert_string_equal(buf, "b'\\x01");
	repr_init(&w, buf, 0);
	assert_true(w.full);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pbcheck_depth),
		cmocka_unit_test(test_pbcheck_malformed),
		cmocka_unit_test(test_hmac_rfc4231),
		cmocka_unit_test(test_random_key_and_file),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_idmap),
		cmocka_unit_test(test_spin_off),
		cmocka_unit_test(test_spin_policy),
		cmocka_unit_test(test_repr_like_python),
		cmocka_unit_test(test_repr_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
