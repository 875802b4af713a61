/* managerctl's reader of Python literals: what it reads prints back as
 * Python prints it (mgr_value_repr), and what is not a literal is refused
 * with the reason and the offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "literal.h"

/* text read and printed gives expect. */
static void
check_reads(const char *text, const char *expect)
{
	mgr_value v;
	char      why[200], repr[512];
	int       rv = literal_parse(text, &v, why, sizeof(why));
	if (rv != 0) {
		fail_msg("%s: %s", text, why);
	}
	assert_int_equal(mgr_value_repr(&v, repr, sizeof(repr)), 0);
	if (strcmp(repr, expect) != 0) {
		fail_msg("%s read as %s, expected %s", text, repr, expect);
	}
	mgr_value_free(&v);
	assert_int_equal(v.kind, MGR_NONE);
}

static void
test_reads_python_literals(void **state)
{
	(void) state;
	// repr's own output reads back as itself.
	const char *same[] = { "None", "True", "False", "0", "-5", "2.5",
		"-0.0", "inf", "-inf", "nan", "1e+100", "9223372036854775807",
		"-9223372036854775808", "'a'", "''", "'it\\'s \"q\"'",
		"'a\\nb\\tc\\\\'", "'é€😀'", "b''", "b'\\x00\\xff a'", "()",
		"(1,)", "(1, 'x')", "[]", "[1, [2, [3]]]", "{}",
		"{'k': [None, {}], (1, 2): b'x'}" };
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		check_reads(same[i], same[i]);
	}
	// Other spellings Python accepts for the same values.
	check_reads("\"it's\"", "\"it's\"");
	check_reads("'\\u00e9\\U0001F600\\x41'", "'é😀A'");
	check_reads("  [ 1 ,2, ]  ", "[1, 2]");
	check_reads("(3)", "3");
	check_reads("1e3", "1000.0");
	check_reads("+7", "7");
	check_reads(".5", "0.5");
	check_reads("{'a': 1, 'b': 2,}", "{'a': 1, 'b': 2}");
}

static void
check_refuses(const char *text, const char *reason)
{
	mgr_value v = mgr_int(99);
	char      why[200];
	assert_int_equal(
	    literal_parse(text, &v, why, sizeof(why)), MGR_EINVAL);
	if (strstr(why, reason) == NULL || strstr(why, "at offset") == NULL) {
		fail_msg("%s: '%s' does not say '%s'", text, why, reason);
	}
	assert_int_equal(v.kind, MGR_INT); // untouched
}

static void
test_refuses_what_is_not_a_literal(void **state)
{
	(void) state;
	check_refuses("", "expected a value");
	check_refuses("'abc", "unterminated string");
	check_refuses("[1, 2", "expected ',' or ']'");
	check_refuses("[1, ", "expected a value");
	check_refuses("[1 2]", "expected ',' or ']'");
	check_refuses("{1}", "expected ':'");
	check_refuses("1 2", "after the value");
	check_refuses("99999999999999999999", "64-bit range");
	check_refuses("1.2.3", "malformed number");
	check_refuses("b'\xc3\xa9'", "ASCII");
	check_refuses("'\\q'", "unknown escape");
	check_refuses("'\\x4'", "hex digits");
	check_refuses("'\\ud800'", "not a code point");
	check_refuses("nul", "malformed number");
	check_refuses("abc", "unexpected 'a'");
	// Nesting is bounded, and a failure deep inside frees what was read.
	char deep[600];
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	check_refuses(deep, "nested deeper");
	check_refuses("[[1, 'a', (2, b'x')], {'k': [3, 'unterminated]}",
	    "unterminated string");
	mgr_value v;
	assert_int_equal(literal_parse(NULL, &v, NULL, 0), MGR_EINVAL);
	assert_int_equal(literal_parse("1", NULL, NULL, 0), MGR_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_python_literals),
		cmocka_unit_test(test_refuses_what_is_not_a_literal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
