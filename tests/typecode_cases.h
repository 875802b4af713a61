/* The integer typecodes' ranges, for test_typecode (in-process) and
 * test_scalar_array (through a manager). */
#ifndef MGR_TESTS_TYPECODE_CASES_H
#define MGR_TESTS_TYPECODE_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct int_case {
	char    code;
	size_t  size;
	int64_t min, max;
	bool    below; /* min - 1 fits an int64 (so it can be tried) */
	bool    above; /* max + 1 fits an int64 */
} int_case;

/* C ranges on Linux x86_64; L and Q stop at INT64_MAX (typecode.h). */
static const int_case int_cases[] = {
	{ 'b', 1, INT8_MIN, INT8_MAX, true, true },
	{ 'B', 1, 0, UINT8_MAX, true, true },
	{ 'h', 2, INT16_MIN, INT16_MAX, true, true },
	{ 'H', 2, 0, UINT16_MAX, true, true },
	{ 'i', 4, INT32_MIN, INT32_MAX, true, true },
	{ 'I', 4, 0, UINT32_MAX, true, true },
	{ 'l', 8, INT64_MIN, INT64_MAX, false, false },
	{ 'L', 8, 0, INT64_MAX, true, false },
	{ 'q', 8, INT64_MIN, INT64_MAX, false, false },
	{ 'Q', 8, 0, INT64_MAX, true, false },
};
#define N_INT_CASES (sizeof(int_cases) / sizeof(int_cases[0]))

#endif
