/* What the tests of libmgr's values share (value_fixture.c): static
 * initializers for table values, the table of values with the repr
 * Python 3.11 gives them, and checks of results. */
#ifndef MGR_TESTS_VALUE_FIXTURE_H
#define MGR_TESTS_VALUE_FIXTURE_H

#include <stddef.h>

#include "mgr.h"

/* Static initializers for table values (the constructors are functions,
 * unusable in a file-scope table). */
// clang-format off
#define NONE      {.kind = MGR_NONE}
#define B(x)      {.kind = MGR_BOOL, .b = (x)}
#define I(x)      {.kind = MGR_INT, .i = (x)}
#define F(x)      {.kind = MGR_FLOAT, .f = (x)}
#define S(x)      {.kind = MGR_STR, .len = sizeof(x) - 1, .s = (x)}
#define Y(x)      {.kind = MGR_BYTES, .len = sizeof(x) - 1, .bytes = (x)}
#define L(n, ...) {.kind = MGR_LIST, .len = (n), .items = (mgr_value[]){__VA_ARGS__}}
#define T(n, ...) {.kind = MGR_TUPLE, .len = (n), .items = (mgr_value[]){__VA_ARGS__}}
#define D(n, ...) {.kind = MGR_DICT, .len = (n), .pairs = (mgr_value[]){__VA_ARGS__}}
#define L0        {.kind = MGR_LIST}
#define T0        {.kind = MGR_TUPLE}
#define D0        {.kind = MGR_DICT}
// clang-format on

struct rcase {
	mgr_value   v;
	const char *repr;
};

/* Values with the repr Python 3.11 gives them (generated once with
 * python3; D(...) with typed keys Python would merge is printed pair by
 * pair, as dict.__repr__ does). */
extern const struct rcase cases[];
extern const size_t       ncases;
#define NCASES ncases

char *repr_of(const mgr_value *v);

/* Every node of an owned result carries MGR_VALUE_OWNED. */
void assert_owned(const mgr_value *v);

#endif
