/* Typecodes of scalar (Python's multiprocessing.Value) and array (Array):
 * the C storage of one item and the conversions between it and an sval.
 * Pure data (no I/O, no locking), shared by scalar.c and array.c.
 *
 * Typecodes and their C types, as on Linux x86_64 (ctypes' and the array
 * module's): b int8, B uint8, h int16, H uint16, i int32, I uint32, l and q
 * int64, L and Q uint64, f float, d double.
 *
 * Values in: an int typecode takes SV_INT only (a float gives MGR_ETYPE, as
 * ctypes refuses one), f and d take SV_FLOAT or SV_INT. Bools are refused
 * with MGR_ETYPE (deviation: Python takes True as 1; here values are typed
 * as dict keys are). An int outside the typecode's range gives MGR_ERANGE
 * (deviation: ctypes wraps silently; the array module raises too). 'f'
 * stores the value rounded to float precision, as ctypes' c_float does; a
 * finite value too large for a float gives MGR_ERANGE (as struct.pack('f')
 * does; ctypes would store inf), while inf and nan are kept.
 *
 * L and Q: values above INT64_MAX cannot travel in the wire's sint64, so
 * they cannot be written either (tc_store gets no such sval and tc_add
 * refuses to reach one with MGR_ERANGE). A stored L/Q item is therefore
 * always <= INT64_MAX and tc_load never meets one it cannot represent.
 */
#ifndef MGR_MANAGER_DATA_TYPECODE_H
#define MGR_MANAGER_DATA_TYPECODE_H

#include <stddef.h>
#include <stdint.h>

#include "value.h"

typedef enum tc_kind {
	TC_SIGNED,
	TC_UNSIGNED,
	TC_FLOAT,
} tc_kind;

/* The widest item (bytes): room for any typecode's storage. */
#define TC_MAX_SIZE 8

typedef struct tcode {
	char    code; /* 'b', 'B', ... */
	uint8_t size; /* bytes of one item */
	uint8_t kind; /* tc_kind */
	/* Int typecodes: the values an sval may store. For L and Q max is
	 * INT64_MAX (see above), not the C type's UINT64_MAX. */
	int64_t min;
	int64_t max;
} tcode;

/* The typecode named by code, or NULL when there is none. */
const tcode *tc_find(char code);
/* The typecode named by a one-character string; NULL for any other
 * string (empty, longer, unknown character). */
const tcode *tc_from_str(const char *s, size_t len);
/* "b, B, h, H, i, I, l, L, q, Q, f or d", for error details. */
const char *tc_list(void);

/* The error details below (err, of errcap bytes) may be NULL. They are
 * Python-like: "value out of range for typecode 'b'", "'float' object
 * cannot be interpreted as an integer", "must be real number, not str",
 * "unsupported operand type(s) for +=: 'int' and 'str'". */

/* Converts v to t's storage and writes it to cell (t->size bytes, any
 * alignment). MGR_ETYPE or MGR_ERANGE (with a detail in err); cell is
 * untouched on error. */
int tc_store(
    const tcode *t, const sval *v, void *cell, char *err, size_t errcap);
/* Checks what tc_store would do, without storing. */
int tc_check(const tcode *t, const sval *v, char *err, size_t errcap);
/* The value in cell: SV_INT for an int typecode, SV_FLOAT for f and d. */
sval tc_load(const tcode *t, const void *cell);
/* cell += delta, as Python's v.value += delta: an int typecode takes an
 * int delta (a float one gives MGR_ETYPE: the float sum could not be
 * stored), f and d an int or float delta. A sum outside t's range gives
 * MGR_ERANGE. *result (may be NULL) gets the new value. On error cell is
 * unchanged. */
int tc_add(const tcode *t, void *cell, const sval *delta, sval *result,
    char *err, size_t errcap);

#endif
