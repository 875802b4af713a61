/* Unit tests of svec, the array under lists and tuples: the expected
 * slices, indexes, inserts, pops and sorts are literals generated with
 * python3 (tables below), so that the semantics match Python's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bigmem.h"
#include "codec.h"
#include "data_fixture.h"
#include "object.h"
#include "sdict.h"
#include "server.h"
#include "session.h"
#include "svec.h"
#include "value.h"

/* ---- expected results, generated with python3 (3.11)
 * ------------------------- */

/* list(range(n))[start:stop] (python3) */
static const struct slice_case {
	size_t      n;
	int64_t     start, stop;
	const char *repr;
} slice_cases[] = {
	{ 0, -7, -7, "[]" },
	{ 0, -7, -5, "[]" },
	{ 0, -7, -2, "[]" },
	{ 0, -7, -1, "[]" },
	{ 0, -7, 0, "[]" },
	{ 0, -7, 1, "[]" },
	{ 0, -7, 3, "[]" },
	{ 0, -7, 5, "[]" },
	{ 0, -7, 7, "[]" },
	{ 0, -5, -7, "[]" },
	{ 0, -5, -5, "[]" },
	{ 0, -5, -2, "[]" },
	{ 0, -5, -1, "[]" },
	{ 0, -5, 0, "[]" },
	{ 0, -5, 1, "[]" },
	{ 0, -5, 3, "[]" },
	{ 0, -5, 5, "[]" },
	{ 0, -5, 7, "[]" },
	{ 0, -2, -7, "[]" },
	{ 0, -2, -5, "[]" },
	{ 0, -2, -2, "[]" },
	{ 0, -2, -1, "[]" },
	{ 0, -2, 0, "[]" },
	{ 0, -2, 1, "[]" },
	{ 0, -2, 3, "[]" },
	{ 0, -2, 5, "[]" },
	{ 0, -2, 7, "[]" },
	{ 0, -1, -7, "[]" },
	{ 0, -1, -5, "[]" },
	{ 0, -1, -2, "[]" },
	{ 0, -1, -1, "[]" },
	{ 0, -1, 0, "[]" },
	{ 0, -1, 1, "[]" },
	{ 0, -1, 3, "[]" },
	{ 0, -1, 5, "[]" },
	{ 0, -1, 7, "[]" },
	{ 0, 0, -7, "[]" },
	{ 0, 0, -5, "[]" },
	{ 0, 0, -2, "[]" },
	{ 0, 0, -1, "[]" },
	{ 0, 0, 0, "[]" },
	{ 0, 0, 1, "[]" },
	{ 0, 0, 3, "[]" },
	{ 0, 0, 5, "[]" },
	{ 0, 0, 7, "[]" },
	{ 0, 1, -7, "[]" },
	{ 0, 1, -5, "[]" },
	{ 0, 1, -2, "[]" },
	{ 0, 1, -1, "[]" },
	{ 0, 1, 0, "[]" },
	{ 0, 1, 1, "[]" },
	{ 0, 1, 3, "[]" },
	{ 0, 1, 5, "[]" },
	{ 0, 1, 7, "[]" },
	{ 0, 3, -7, "[]" },
	{ 0, 3, -5, "[]" },
	{ 0, 3, -2, "[]" },
	{ 0, 3, -1, "[]" },
	{ 0, 3, 0, "[]" },
	{ 0, 3, 1, "[]" },
	{ 0, 3, 3, "[]" },
	{ 0, 3, 5, "[]" },
	{ 0, 3, 7, "[]" },
	{ 0, 5, -7, "[]" },
	{ 0, 5, -5, "[]" },
	{ 0, 5, -2, "[]" },
	{ 0, 5, -1, "[]" },
	{ 0, 5, 0, "[]" },
	{ 0, 5, 1, "[]" },
	{ 0, 5, 3, "[]" },
	{ 0, 5, 5, "[]" },
	{ 0, 5, 7, "[]" },
	{ 0, 7, -7, "[]" },
	{ 0, 7, -5, "[]" },
	{ 0, 7, -2, "[]" },
	{ 0, 7, -1, "[]" },
	{ 0, 7, 0, "[]" },
	{ 0, 7, 1, "[]" },
	{ 0, 7, 3, "[]" },
	{ 0, 7, 5, "[]" },
	{ 0, 7, 7, "[]" },
	{ 1, -7, -7, "[]" },
	{ 1, -7, -5, "[]" },
	{ 1, -7, -2, "[]" },
	{ 1, -7, -1, "[]" },
	{ 1, -7, 0, "[]" },
	{ 1, -7, 1, "[0]" },
	{ 1, -7, 3, "[0]" },
	{ 1, -7, 5, "[0]" },
	{ 1, -7, 7, "[0]" },
	{ 1, -5, -7, "[]" },
	{ 1, -5, -5, "[]" },
	{ 1, -5, -2, "[]" },
	{ 1, -5, -1, "[]" },
	{ 1, -5, 0, "[]" },
	{ 1, -5, 1, "[0]" },
	{ 1, -5, 3, "[0]" },
	{ 1, -5, 5, "[0]" },
	{ 1, -5, 7, "[0]" },
	{ 1, -2, -7, "[]" },
	{ 1, -2, -5, "[]" },
	{ 1, -2, -2, "[]" },
	{ 1, -2, -1, "[]" },
	{ 1, -2, 0, "[]" },
	{ 1, -2, 1, "[0]" },
	{ 1, -2, 3, "[0]" },
	{ 1, -2, 5, "[0]" },
	{ 1, -2, 7, "[0]" },
	{ 1, -1, -7, "[]" },
	{ 1, -1, -5, "[]" },
	{ 1, -1, -2, "[]" },
	{ 1, -1, -1, "[]" },
	{ 1, -1, 0, "[]" },
	{ 1, -1, 1, "[0]" },
	{ 1, -1, 3, "[0]" },
	{ 1, -1, 5, "[0]" },
	{ 1, -1, 7, "[0]" },
	{ 1, 0, -7, "[]" },
	{ 1, 0, -5, "[]" },
	{ 1, 0, -2, "[]" },
	{ 1, 0, -1, "[]" },
	{ 1, 0, 0, "[]" },
	{ 1, 0, 1, "[0]" },
	{ 1, 0, 3, "[0]" },
	{ 1, 0, 5, "[0]" },
	{ 1, 0, 7, "[0]" },
	{ 1, 1, -7, "[]" },
	{ 1, 1, -5, "[]" },
	{ 1, 1, -2, "[]" },
	{ 1, 1, -1, "[]" },
	{ 1, 1, 0, "[]" },
	{ 1, 1, 1, "[]" },
	{ 1, 1, 3, "[]" },
	{ 1, 1, 5, "[]" },
	{ 1, 1, 7, "[]" },
	{ 1, 3, -7, "[]" },
	{ 1, 3, -5, "[]" },
	{ 1, 3, -2, "[]" },
	{ 1, 3, -1, "[]" },
	{ 1, 3, 0, "[]" },
	{ 1, 3, 1, "[]" },
	{ 1, 3, 3, "[]" },
	{ 1, 3, 5, "[]" },
	{ 1, 3, 7, "[]" },
	{ 1, 5, -7, "[]" },
	{ 1, 5, -5, "[]" },
	{ 1, 5, -2, "[]" },
	{ 1, 5, -1, "[]" },
	{ 1, 5, 0, "[]" },
	{ 1, 5, 1, "[]" },
	{ 1, 5, 3, "[]" },
	{ 1, 5, 5, "[]" },
	{ 1, 5, 7, "[]" },
	{ 1, 7, -7, "[]" },
	{ 1, 7, -5, "[]" },
	{ 1, 7, -2, "[]" },
	{ 1, 7, -1, "[]" },
	{ 1, 7, 0, "[]" },
	{ 1, 7, 1, "[]" },
	{ 1, 7, 3, "[]" },
	{ 1, 7, 5, "[]" },
	{ 1, 7, 7, "[]" },
	{ 5, -7, -7, "[]" },
	{ 5, -7, -5, "[]" },
	{ 5, -7, -2, "[0, 1, 2]" },
	{ 5, -7, -1, "[0, 1, 2, 3]" },
	{ 5, -7, 0, "[]" },
	{ 5, -7, 1, "[0]" },
	{ 5, -7, 3, "[0, 1, 2]" },
	{ 5, -7, 5, "[0, 1, 2, 3, 4]" },
	{ 5, -7, 7, "[0, 1, 2, 3, 4]" },
	{ 5, -5, -7, "[]" },
	{ 5, -5, -5, "[]" },
	{ 5, -5, -2, "[0, 1, 2]" },
	{ 5, -5, -1, "[0, 1, 2, 3]" },
	{ 5, -5, 0, "[]" },
	{ 5, -5, 1, "[0]" },
	{ 5, -5, 3, "[0, 1, 2]" },
	{ 5, -5, 5, "[0, 1, 2, 3, 4]" },
	{ 5, -5, 7, "[0, 1, 2, 3, 4]" },
	{ 5, -2, -7, "[]" },
	{ 5, -2, -5, "[]" },
	{ 5, -2, -2, "[]" },
	{ 5, -2, -1, "[3]" },
	{ 5, -2, 0, "[]" },
	{ 5, -2, 1, "[]" },
	{ 5, -2, 3, "[]" },
	{ 5, -2, 5, "[3, 4]" },
	{ 5, -2, 7, "[3, 4]" },
	{ 5, -1, -7, "[]" },
	{ 5, -1, -5, "[]" },
	{ 5, -1, -2, "[]" },
	{ 5, -1, -1, "[]" },
	{ 5, -1, 0, "[]" },
	{ 5, -1, 1, "[]" },
	{ 5, -1, 3, "[]" },
	{ 5, -1, 5, "[4]" },
	{ 5, -1, 7, "[4]" },
	{ 5, 0, -7, "[]" },
	{ 5, 0, -5, "[]" },
	{ 5, 0, -2, "[0, 1, 2]" },
	{ 5, 0, -1, "[0, 1, 2, 3]" },
	{ 5, 0, 0, "[]" },
	{ 5, 0, 1, "[0]" },
	{ 5, 0, 3, "[0, 1, 2]" },
	{ 5, 0, 5, "[0, 1, 2, 3, 4]" },
	{ 5, 0, 7, "[0, 1, 2, 3, 4]" },
	{ 5, 1, -7, "[]" },
	{ 5, 1, -5, "[]" },
	{ 5, 1, -2, "[1, 2]" },
	{ 5, 1, -1, "[1, 2, 3]" },
	{ 5, 1, 0, "[]" },
	{ 5, 1, 1, "[]" },
	{ 5, 1, 3, "[1, 2]" },
	{ 5, 1, 5, "[1, 2, 3, 4]" },
	{ 5, 1, 7, "[1, 2, 3, 4]" },
	{ 5, 3, -7, "[]" },
	{ 5, 3, -5, "[]" },
	{ 5, 3, -2, "[]" },
	{ 5, 3, -1, "[3]" },
	{ 5, 3, 0, "[]" },
	{ 5, 3, 1, "[]" },
	{ 5, 3, 3, "[]" },
	{ 5, 3, 5, "[3, 4]" },
	{ 5, 3, 7, "[3, 4]" },
	{ 5, 5, -7, "[]" },
	{ 5, 5, -5, "[]" },
	{ 5, 5, -2, "[]" },
	{ 5, 5, -1, "[]" },
	{ 5, 5, 0, "[]" },
	{ 5, 5, 1, "[]" },
	{ 5, 5, 3, "[]" },
	{ 5, 5, 5, "[]" },
	{ 5, 5, 7, "[]" },
	{ 5, 7, -7, "[]" },
	{ 5, 7, -5, "[]" },
	{ 5, 7, -2, "[]" },
	{ 5, 7, -1, "[]" },
	{ 5, 7, 0, "[]" },
	{ 5, 7, 1, "[]" },
	{ 5, 7, 3, "[]" },
	{ 5, 7, 5, "[]" },
	{ 5, 7, 7, "[]" },
};
/* l = list(range(n)); l[i] (python3): NULL for IndexError */
static const struct index_case {
	size_t      n;
	int64_t     i;
	const char *repr;
} index_cases[] = {
	{ 0, -7, NULL },
	{ 0, -6, NULL },
	{ 0, -5, NULL },
	{ 0, -4, NULL },
	{ 0, -3, NULL },
	{ 0, -2, NULL },
	{ 0, -1, NULL },
	{ 0, 0, NULL },
	{ 0, 1, NULL },
	{ 0, 2, NULL },
	{ 0, 3, NULL },
	{ 0, 4, NULL },
	{ 0, 5, NULL },
	{ 0, 6, NULL },
	{ 0, 7, NULL },
	{ 1, -7, NULL },
	{ 1, -6, NULL },
	{ 1, -5, NULL },
	{ 1, -4, NULL },
	{ 1, -3, NULL },
	{ 1, -2, NULL },
	{ 1, -1, "0" },
	{ 1, 0, "0" },
	{ 1, 1, NULL },
	{ 1, 2, NULL },
	{ 1, 3, NULL },
	{ 1, 4, NULL },
	{ 1, 5, NULL },
	{ 1, 6, NULL },
	{ 1, 7, NULL },
	{ 5, -7, NULL },
	{ 5, -6, NULL },
	{ 5, -5, "0" },
	{ 5, -4, "1" },
	{ 5, -3, "2" },
	{ 5, -2, "3" },
	{ 5, -1, "4" },
	{ 5, 0, "0" },
	{ 5, 1, "1" },
	{ 5, 2, "2" },
	{ 5, 3, "3" },
	{ 5, 4, "4" },
	{ 5, 5, NULL },
	{ 5, 6, NULL },
	{ 5, 7, NULL },
};
/* l = list(range(n)); l.insert(i, 99); l (python3) */
static const struct insert_case {
	size_t      n;
	int64_t     i;
	const char *repr;
} insert_cases[] = {
	{ 0, -100, "[99]" },
	{ 0, -7, "[99]" },
	{ 0, -6, "[99]" },
	{ 0, -5, "[99]" },
	{ 0, -3, "[99]" },
	{ 0, -1, "[99]" },
	{ 0, 0, "[99]" },
	{ 0, 1, "[99]" },
	{ 0, 3, "[99]" },
	{ 0, 4, "[99]" },
	{ 0, 5, "[99]" },
	{ 0, 6, "[99]" },
	{ 0, 100, "[99]" },
	{ 1, -100, "[99, 0]" },
	{ 1, -7, "[99, 0]" },
	{ 1, -6, "[99, 0]" },
	{ 1, -5, "[99, 0]" },
	{ 1, -3, "[99, 0]" },
	{ 1, -1, "[99, 0]" },
	{ 1, 0, "[99, 0]" },
	{ 1, 1, "[0, 99]" },
	{ 1, 3, "[0, 99]" },
	{ 1, 4, "[0, 99]" },
	{ 1, 5, "[0, 99]" },
	{ 1, 6, "[0, 99]" },
	{ 1, 100, "[0, 99]" },
	{ 5, -100, "[99, 0, 1, 2, 3, 4]" },
	{ 5, -7, "[99, 0, 1, 2, 3, 4]" },
	{ 5, -6, "[99, 0, 1, 2, 3, 4]" },
	{ 5, -5, "[99, 0, 1, 2, 3, 4]" },
	{ 5, -3, "[0, 1, 99, 2, 3, 4]" },
	{ 5, -1, "[0, 1, 2, 3, 99, 4]" },
	{ 5, 0, "[99, 0, 1, 2, 3, 4]" },
	{ 5, 1, "[0, 99, 1, 2, 3, 4]" },
	{ 5, 3, "[0, 1, 2, 99, 3, 4]" },
	{ 5, 4, "[0, 1, 2, 3, 99, 4]" },
	{ 5, 5, "[0, 1, 2, 3, 4, 99]" },
	{ 5, 6, "[0, 1, 2, 3, 4, 99]" },
	{ 5, 100, "[0, 1, 2, 3, 4, 99]" },
};
/* l = list(range(n)); l.pop(i); (popped, l) (python3): NULL for IndexError */
static const struct pop_case {
	size_t      n;
	int64_t     i;
	const char *popped;
	const char *rest;
} pop_cases[] = {
	{ 0, -7, NULL, "[]" },
	{ 0, -6, NULL, "[]" },
	{ 0, -5, NULL, "[]" },
	{ 0, -4, NULL, "[]" },
	{ 0, -3, NULL, "[]" },
	{ 0, -2, NULL, "[]" },
	{ 0, -1, NULL, "[]" },
	{ 0, 0, NULL, "[]" },
	{ 0, 1, NULL, "[]" },
	{ 0, 2, NULL, "[]" },
	{ 0, 3, NULL, "[]" },
	{ 0, 4, NULL, "[]" },
	{ 0, 5, NULL, "[]" },
	{ 0, 6, NULL, "[]" },
	{ 0, 7, NULL, "[]" },
	{ 1, -7, NULL, "[0]" },
	{ 1, -6, NULL, "[0]" },
	{ 1, -5, NULL, "[0]" },
	{ 1, -4, NULL, "[0]" },
	{ 1, -3, NULL, "[0]" },
	{ 1, -2, NULL, "[0]" },
	{ 1, -1, "0", "[]" },
	{ 1, 0, "0", "[]" },
	{ 1, 1, NULL, "[0]" },
	{ 1, 2, NULL, "[0]" },
	{ 1, 3, NULL, "[0]" },
	{ 1, 4, NULL, "[0]" },
	{ 1, 5, NULL, "[0]" },
	{ 1, 6, NULL, "[0]" },
	{ 1, 7, NULL, "[0]" },
	{ 5, -7, NULL, "[0, 1, 2, 3, 4]" },
	{ 5, -6, NULL, "[0, 1, 2, 3, 4]" },
	{ 5, -5, "0", "[1, 2, 3, 4]" },
	{ 5, -4, "1", "[0, 2, 3, 4]" },
	{ 5, -3, "2", "[0, 1, 3, 4]" },
	{ 5, -2, "3", "[0, 1, 2, 4]" },
	{ 5, -1, "4", "[0, 1, 2, 3]" },
	{ 5, 0, "0", "[1, 2, 3, 4]" },
	{ 5, 1, "1", "[0, 2, 3, 4]" },
	{ 5, 2, "2", "[0, 1, 3, 4]" },
	{ 5, 3, "3", "[0, 1, 2, 4]" },
	{ 5, 4, "4", "[0, 1, 2, 3]" },
	{ 5, 5, NULL, "[0, 1, 2, 3, 4]" },
	{ 5, 6, NULL, "[0, 1, 2, 3, 4]" },
	{ 5, 7, NULL, "[0, 1, 2, 3, 4]" },
};
/* 300 numbers, equal values of mixed kinds (python3 random.seed(7)) */
static const char stable_in[]
    = "[2, 3, 0, 4, 2, False, 1, 0.0, 3, 1, 4.0, False, 0, 5, 4, 4, 3, 1, 4, "
      "2.0, True, False, 2, 5, False, 4, 1.0, False, 5, 4, 4, 3, 4.0, 2.0, "
      "4.0, 2.0, 1, 5, False, 2, 3.0, 5.0, 2, 0, 4.0, 1.0, 1.0, 3, 5, 4, "
      "2.0, 5.0, 4.0, 4.0, 0, 2.0, 5, 0, 5, 2, 4, 3.0, 5.0, 5.0, 0.0, 2, 4, "
      "3, 1.0, True, 1.0, 3.0, 0, 3.0, 4.0, 1.0, 4.0, 5.0, 2, 3, 1, 1, True, "
      "1, 3, 1.0, 2, 1.0, 4.0, 4, 2, 5, 4, 5, 0.0, 5, 3.0, 3.0, 0.0, 5.0, 0, "
      "0, 3, 0.0, 4, 0, 4, 4, 2, 0, True, 3, 5.0, 2, 2.0, 0, 3.0, 3.0, 2, 1, "
      "5.0, 5.0, 3, True, 0, 4.0, True, 4, 4.0, 5, 5.0, 4.0, 1.0, True, 4, "
      "2, True, 1, 3, 1, 4.0, 2, 0, 2.0, 2, 5, 2.0, 5.0, 2, 1, 1.0, 1.0, "
      "1.0, 4, 0.0, 5.0, 5, 5, 3, 1.0, 1.0, 5.0, False, 3.0, 3, False, 1, 1, "
      "True, 3, True, 4.0, 5.0, True, 4, 0, 5, False, 5, 3, 1, 2, 2, True, "
      "2.0, 4.0, 1, 5.0, 3, 4, 3, True, True, 4, 3, 4, 1, 1.0, 4, False, "
      "0.0, 5, 4, 3, 4, 1, 2, False, 3, 0, 3.0, 4, 4, True, 2.0, 4, 3, True, "
      "4.0, 4, 3, 3, 3.0, 2, 5, 3, True, 2, True, 5, 2, 2, 3, 5, 3.0, True, "
      "1, 5.0, 4.0, 2.0, 1.0, 2, 5.0, 0.0, 4.0, 3, 0.0, 2, 4.0, 4, 0, 0, "
      "2.0, 0, 2, 3, 2.0, True, 4, 3, 2, 2, 5, 3, 2, 5, 2, 4, 0.0, 0.0, 0.0, "
      "4.0, 2, 1, 4, 1, 1.0, 0, 1.0, 5.0, 4, 2.0, 4, 1.0, 2, 2, 0, 5, 4, "
      "4.0, 1.0, False, 5.0, 5.0, 4.0, 4.0, 5, 1.0, True, 5]";
static const char stable_code[]
    = "i2i3i0i4i2b0i1f0i3i1f4b0i0i5i4i4i3i1i4f2b1b0i2i5b0i4f1b0i5i4i4i3f4f2f4"
      "f2i1i5b0i2f3f5i2i0f4f1f1i3i5i4f2f5f4f4i0f2i5i0i5i2i4f3f5f5f0i2i4i3f1b1"
      "f1f3i0f3f4f1f4f5i2i3i1i1b1i1i3f1i2f1f4i4i2i5i4i5f0i5f3f3f0f5i0i0i3f0i4"
      "i0i4i4i2i0b1i3f5i2f2i0f3f3i2i1f5f5i3b1i0f4b1i4f4i5f5f4f1b1i4i2b1i1i3i1"
      "f4i2i0f2i2i5f2f5i2i1f1f1f1i4f0f5i5i5i3f1f1f5b0f3i3b0i1i1b1i3b1f4f5b1i4"
      "i0i5b0i5i3i1i2i2b1f2f4i1f5i3i4i3b1b1i4i3i4i1f1i4b0f0i5i4i3i4i1i2b0i3i0"
      "f3i4i4b1f2i4i3b1f4i4i3i3f3i2i5i3b1i2b1i5i2i2i3i5f3b1i1f5f4f2f1i2f5f0f4"
      "i3f0i2f4i4i0i0f2i0i2i3f2b1i4i3i2i2i5i3i2i5i2i4f0f0f0f4i2i1i4i1f1i0f1f5"
      "i4f2i4f1i2i2i0i5i4f4f1b0f5f5f4f4i5f1b1i5";
static const char stable_sorted[]
    = "[0, False, 0.0, False, 0, False, False, False, False, 0, 0, 0, 0.0, "
      "0, 0.0, 0.0, 0, 0, 0.0, 0, 0, 0, 0, 0, 0.0, False, False, 0, False, "
      "False, 0.0, False, 0, 0.0, 0.0, 0, 0, 0, 0.0, 0.0, 0.0, 0, 0, False, "
      "1, 1, 1, True, 1.0, 1, 1.0, 1.0, 1.0, True, 1.0, 1.0, 1, 1, True, 1, "
      "1.0, 1.0, True, 1, True, True, 1.0, True, True, 1, 1, 1, 1.0, 1.0, "
      "1.0, 1.0, 1.0, 1, 1, True, True, True, 1, True, 1, True, True, 1, "
      "1.0, 1, True, True, True, True, True, 1, 1.0, True, 1, 1, 1.0, 1.0, "
      "1.0, 1.0, 1.0, True, 2, 2, 2.0, 2, 2.0, 2.0, 2, 2, 2.0, 2.0, 2, 2, 2, "
      "2, 2, 2, 2, 2.0, 2, 2, 2, 2.0, 2, 2.0, 2, 2, 2, 2.0, 2, 2.0, 2, 2, 2, "
      "2, 2.0, 2, 2, 2.0, 2, 2.0, 2, 2, 2, 2, 2, 2.0, 2, 2, 3, 3, 3, 3, 3.0, "
      "3, 3.0, 3, 3.0, 3.0, 3, 3, 3.0, 3.0, 3, 3, 3.0, 3.0, 3, 3, 3, 3.0, 3, "
      "3, 3, 3, 3, 3, 3, 3, 3.0, 3, 3, 3, 3.0, 3, 3, 3.0, 3, 3, 3, 3, 4, "
      "4.0, 4, 4, 4, 4, 4, 4, 4.0, 4.0, 4.0, 4, 4.0, 4.0, 4, 4, 4.0, 4.0, "
      "4.0, 4, 4, 4, 4, 4, 4.0, 4, 4.0, 4.0, 4, 4.0, 4, 4.0, 4, 4.0, 4, 4, "
      "4, 4, 4, 4, 4, 4, 4, 4.0, 4, 4.0, 4.0, 4.0, 4, 4, 4, 4.0, 4, 4, 4, 4, "
      "4.0, 4.0, 4.0, 5, 5, 5, 5, 5.0, 5, 5.0, 5, 5, 5.0, 5.0, 5.0, 5, 5, 5, "
      "5.0, 5.0, 5.0, 5.0, 5, 5.0, 5, 5.0, 5.0, 5, 5, 5.0, 5.0, 5, 5, 5.0, "
      "5, 5, 5, 5, 5.0, 5.0, 5, 5, 5.0, 5, 5.0, 5.0, 5, 5]";
static const char stable_sorted_rev[]
    = "[5, 5, 5, 5, 5.0, 5, 5.0, 5, 5, 5.0, 5.0, 5.0, 5, 5, 5, 5.0, 5.0, "
      "5.0, 5.0, 5, 5.0, 5, 5.0, 5.0, 5, 5, 5.0, 5.0, 5, 5, 5.0, 5, 5, 5, 5, "
      "5.0, 5.0, 5, 5, 5.0, 5, 5.0, 5.0, 5, 5, 4, 4.0, 4, 4, 4, 4, 4, 4, "
      "4.0, 4.0, 4.0, 4, 4.0, 4.0, 4, 4, 4.0, 4.0, 4.0, 4, 4, 4, 4, 4, 4.0, "
      "4, 4.0, 4.0, 4, 4.0, 4, 4.0, 4, 4.0, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4.0, "
      "4, 4.0, 4.0, 4.0, 4, 4, 4, 4.0, 4, 4, 4, 4, 4.0, 4.0, 4.0, 3, 3, 3, "
      "3, 3.0, 3, 3.0, 3, 3.0, 3.0, 3, 3, 3.0, 3.0, 3, 3, 3.0, 3.0, 3, 3, 3, "
      "3.0, 3, 3, 3, 3, 3, 3, 3, 3, 3.0, 3, 3, 3, 3.0, 3, 3, 3.0, 3, 3, 3, "
      "3, 2, 2, 2.0, 2, 2.0, 2.0, 2, 2, 2.0, 2.0, 2, 2, 2, 2, 2, 2, 2, 2.0, "
      "2, 2, 2, 2.0, 2, 2.0, 2, 2, 2, 2.0, 2, 2.0, 2, 2, 2, 2, 2.0, 2, 2, "
      "2.0, 2, 2.0, 2, 2, 2, 2, 2, 2.0, 2, 2, 1, 1, 1, True, 1.0, 1, 1.0, "
      "1.0, 1.0, True, 1.0, 1.0, 1, 1, True, 1, 1.0, 1.0, True, 1, True, "
      "True, 1.0, True, True, 1, 1, 1, 1.0, 1.0, 1.0, 1.0, 1.0, 1, 1, True, "
      "True, True, 1, True, 1, True, True, 1, 1.0, 1, True, True, True, "
      "True, True, 1, 1.0, True, 1, 1, 1.0, 1.0, 1.0, 1.0, 1.0, True, 0, "
      "False, 0.0, False, 0, False, False, False, False, 0, 0, 0, 0.0, 0, "
      "0.0, 0.0, 0, 0, 0.0, 0, 0, 0, 0, 0, 0.0, False, False, 0, False, "
      "False, 0.0, False, 0, 0.0, 0.0, 0, 0, 0, 0.0, 0.0, 0.0, 0, 0, False]";

static void
test_svec_basic(void **state)
{
	(void) state;
	svec *v = svec_new(0);
	assert_non_null(v);
	for (int i = 0; i < 100000; i++) {
		sval x = I(i);
		assert_int_equal(svec_append(v, &x), 0);
		assert_int_equal(x.kind, SV_NONE); // moved
	}
	assert_int_equal(svec_len(v), 100000);
	assert_int_equal(svec_get(v, -1)->i, 99999);
	assert_int_equal(svec_get(v, -100000)->i, 0);
	assert_null(svec_get(v, -100001));
	assert_null(svec_get(v, 100000));
	size_t pos;
	sval   x = I(4242);
	assert_int_equal(svec_find(v, &x, &pos), 0);
	assert_int_equal(pos, 4242);
	x = F(4242.0); // typed: not found
	assert_int_equal(svec_find(v, &x, &pos), MGR_EVALUE);
	sval out;
	while (svec_len(v) > 3) {
		assert_int_equal(svec_pop(v, -1, &out), 0);
	}
	assert_true(v->cap < 1000); // memory given back
	assert_int_equal(svec_pop(v, 0, &out), 0);
	assert_int_equal(out.i, 0);
	// set frees the old item, del too (strings: ASan checks).
	sval s = S("one");
	assert_int_equal(svec_set(v, -1, &s), 0);
	s = S("two");
	assert_int_equal(svec_set(v, 2, &s), MGR_EINDEX);
	assert_int_equal(s.kind, SV_STR); // not taken
	assert_int_equal(svec_insert(v, 0, &s), 0);
	sval c = S("one");
	assert_int_equal(svec_count(v, &c), 1);
	assert_int_equal(svec_remove(v, &c), 0);
	assert_int_equal(svec_remove(v, &c), MGR_EVALUE);
	sv_free(&c);
	sval whole = { .kind = SV_LIST, .vec = v };
	assert_repr(&whole, "['two', 1]");
	svec_reverse(v);
	assert_repr(&whole, "[1, 'two']");
	assert_int_equal(svec_del(v, -2), 0);
	assert_int_equal(svec_del(v, 1), MGR_EINDEX);
	assert_repr(&whole, "['two']");
	svec_clear(v);
	assert_int_equal(svec_len(v), 0);
	assert_int_equal(svec_pop(v, -1, &out), MGR_EINDEX);
	x = I(1);
	assert_int_equal(svec_append(v, &x), 0); // usable after clear
	// count and remove compare typed values.
	x = F(1.0);
	assert_int_equal(svec_append(v, &x), 0);
	x = B(true);
	assert_int_equal(svec_append(v, &x), 0);
	x = I(1);
	assert_int_equal(svec_append(v, &x), 0);
	x = I(1);
	assert_int_equal(svec_count(v, &x), 2);
	x = F(1.0);
	assert_int_equal(svec_remove(v, &x), 0);
	assert_repr(&whole, "[1, True, 1]");
	svec_free(v);
	svec_free(NULL);
}

static void
test_svec_tables(void **state)
{
	(void) state;
	for (size_t i = 0; i < sizeof(slice_cases) / sizeof(slice_cases[0]);
	     i++) {
		sval  l = range_list(slice_cases[i].n);
		svec *r;
		assert_int_equal(svec_slice(l.vec, slice_cases[i].start,
		                     slice_cases[i].stop, &r),
		    0);
		sval rv = { .kind = SV_LIST, .vec = r };
		if (strcmp(repr(&rv), slice_cases[i].repr) != 0) {
			fail_msg(
			    "list(range(%zu))[%lld:%lld] gave %s, not %s",
			    slice_cases[i].n,
			    (long long) slice_cases[i].start,
			    (long long) slice_cases[i].stop, repr(&rv),
			    slice_cases[i].repr);
		}
		sv_free(&rv);
		sv_free(&l);
	}
	for (size_t i = 0; i < sizeof(index_cases) / sizeof(index_cases[0]);
	     i++) {
		sval        l = range_list(index_cases[i].n);
		const sval *x = svec_get(l.vec, index_cases[i].i);
		if (index_cases[i].repr == NULL) {
			assert_null(x);
		} else {
			assert_non_null(x);
			assert_repr(x, index_cases[i].repr);
		}
		sv_free(&l);
	}
	for (size_t i = 0; i < sizeof(insert_cases) / sizeof(insert_cases[0]);
	     i++) {
		sval l = range_list(insert_cases[i].n);
		sval x = I(99);
		assert_int_equal(
		    svec_insert(l.vec, insert_cases[i].i, &x), 0);
		assert_repr(&l, insert_cases[i].repr);
		sv_free(&l);
	}
	for (size_t i = 0; i < sizeof(pop_cases) / sizeof(pop_cases[0]);
	     i++) {
		sval l  = range_list(pop_cases[i].n);
		sval x  = N;
		int  rc = svec_pop(l.vec, pop_cases[i].i, &x);
		if (pop_cases[i].popped == NULL) {
			assert_int_equal(rc, MGR_EINDEX);
		} else {
			assert_int_equal(rc, 0);
			assert_repr(&x, pop_cases[i].popped);
		}
		assert_repr(&l, pop_cases[i].rest);
		// del follows the same indexing.
		sval l2 = range_list(pop_cases[i].n);
		assert_int_equal(svec_del(l2.vec, pop_cases[i].i), rc);
		assert_repr(&l2, pop_cases[i].rest);
		sv_free(&l2);
		sv_free(&l);
	}
	// Extreme bounds.
	sval  l = range_list(3);
	svec *r;
	assert_int_equal(svec_slice(l.vec, INT64_MIN, INT64_MAX, &r), 0);
	assert_int_equal(svec_len(r), 3);
	svec_free(r);
	assert_null(svec_get(l.vec, INT64_MIN));
	sv_free(&l);
}

/* The numbers of stable_code: i<k> int, f<k> float, b<k> bool. */
static sval
stable_list(void)
{
	sval l = LIST0;
	for (const char *p = stable_code; *p != '\0'; p += 2) {
		int  k = p[1] - '0';
		sval x = p[0] == 'i' ? I(k) : p[0] == 'f' ? F(k) : B(k != 0);
		assert_int_equal(svec_append(l.vec, &x), 0);
	}
	return l;
}

static void
test_svec_sort(void **state)
{
	(void) state;
	// Stable, in both directions, over runs and merges (300 items).
	sval l = stable_list();
	assert_repr(&l, stable_in);
	assert_int_equal(svec_sort(l.vec, false, NULL, NULL), 0);
	assert_repr(&l, stable_sorted);
	sv_free(&l);
	l = stable_list();
	assert_int_equal(svec_sort(l.vec, true, NULL, NULL), 0);
	assert_repr(&l, stable_sorted_rev);
	sv_free(&l);

	// Large: reverse-sorted input, then sorted input.
	l = range_list(5000);
	svec_reverse(l.vec);
	assert_int_equal(svec_sort(l.vec, false, NULL, NULL), 0);
	for (int i = 0; i < 5000; i++) {
		assert_int_equal(svec_get(l.vec, i)->i, i);
	}
	assert_int_equal(svec_sort(l.vec, true, NULL, NULL), 0);
	assert_int_equal(svec_get(l.vec, 0)->i, 4999);
	sv_free(&l);

	l = LIST(S("pear"), S("apple"), S("fig"), S("apple pie"), S(""));
	assert_int_equal(svec_sort(l.vec, false, NULL, NULL), 0);
	check_free(l, "['', 'apple', 'apple pie', 'fig', 'pear']");
	l = LIST(TUPLE(I(2), S("a")), TUPLE(I(1), S("b")),
	    TUPLE(I(1), S("a")), TUPLE(I(1)));
	assert_int_equal(svec_sort(l.vec, false, NULL, NULL), 0);
	check_free(l, "[(1,), (1, 'a'), (1, 'b'), (2, 'a')]");
	l = LIST(N); // one item: nothing compared, as in Python
	assert_int_equal(svec_sort(l.vec, false, NULL, NULL), 0);
	sv_free(&l);

	// Unorderable: an error naming the pair, and the list unchanged.
	const char *mixed[] = { "[3, 1, 2, 'a', 0]", "[None, None]",
		"[[1], ['a']]", "[{}, {}]", "[(1,), [1]]" };
	sval lists[] = { LIST(I(3), I(1), I(2), S("a"), I(0)), LIST(N, N),
		LIST(LIST(I(1)), LIST(S("a"))), LIST(DICT0, DICT0),
		LIST(TUPLE(I(1)), LIST(I(1))) };
	const char *pairs[][2] = { { "str", "int" },
		{ "NoneType", "NoneType" }, { "str", "int" },
		{ "dict", "dict" }, { "list", "tuple" } };
	for (size_t i = 0; i < 5; i++) {
		const sval *a = NULL, *b = NULL;
		assert_int_equal(
		    svec_sort(lists[i].vec, i % 2, &a, &b), MGR_ETYPE);
		assert_repr(&lists[i], mixed[i]);
		if (i % 2 == 0) { // reversed sorts compare the other way
			assert_string_equal(sv_type_name(a), pairs[i][0]);
			assert_string_equal(sv_type_name(b), pairs[i][1]);
		}
		sv_free(&lists[i]);
	}
	// NaN: not an error, and nothing lost.
	l = LIST(F(3), F(NAN), F(1), F(2));
	assert_int_equal(svec_sort(l.vec, false, NULL, NULL), 0);
	assert_int_equal(svec_len(l.vec), 4);
	sv_free(&l);
}

static void
test_svec_copy_extend(void **state)
{
	(void) state;
	sval  l = LIST(S("a"), LIST(S("b")), DICT(S("k"), S("v")));
	svec *c;
	assert_int_equal(svec_copy(l.vec, &c), 0);
	sval cv = { .kind = SV_LIST, .vec = c };
	assert_true(sv_equal(&cv, &l));
	// Deep: changing the copy's nested list leaves the original.
	sval x = S("c");
	assert_int_equal(svec_append(svec_get(c, 1)->vec, &x), 0);
	assert_repr(&l, "['a', ['b'], {'k': 'v'}]");
	assert_repr(&cv, "['a', ['b', 'c'], {'k': 'v'}]");
	// extend moves the items; the source is left empty.
	assert_int_equal(svec_extend(l.vec, c), 0);
	assert_int_equal(svec_len(c), 0);
	assert_repr(
	    &l, "['a', ['b'], {'k': 'v'}, 'a', ['b', 'c'], {'k': 'v'}]");
	assert_int_equal(svec_extend(l.vec, c), 0); // empty: a no-op
	assert_int_equal(svec_len(l.vec), 6);
	sv_free(&cv);
	sv_free(&l);
}

/* ==== sdict
 * ================================================================= */

/* A big list's items live in a mapping of their own (bigmem): it grows
 * without a copy, and once let go it is unmapped a slice at a time
 * (bigmem_reclaim), counted until then. */
static void
test_svec_big_items(void **state)
{
	(void) state;
	(void) bigmem_reclaim(SIZE_MAX);
	size_t base = bigmem_bytes();
	svec  *v    = svec_new(0);
	assert_non_null(v);
	for (int64_t i = 0; i < 200000; i++) { // 3.2 MB of items
		sval x = sv_int(i);
		assert_int_equal(svec_append(v, &x), 0);
	}
	size_t mapped = bigmem_bytes() - base;
	assert_true(mapped >= 200000 * sizeof(sval));
	assert_int_equal(svec_get(v, 199999)->i, 199999);
	svec_free(v);
	assert_int_equal(bigmem_bytes() - base, mapped); // not yet
	assert_true(bigmem_reclaim(1 << 20));            // 1 MiB of it
	assert_true(bigmem_bytes() - base < mapped);
	assert_true(bigmem_bytes() - base > 0);
	assert_false(bigmem_reclaim(SIZE_MAX)); // the rest
	assert_int_equal(bigmem_bytes(), base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		DATA_TEST(test_svec_basic),
		DATA_TEST(test_svec_big_items),
		DATA_TEST(test_svec_tables),
		DATA_TEST(test_svec_sort),
		DATA_TEST(test_svec_copy_extend),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
