/* SipHash-1-3 (Aumasson and Bernstein; the variant Python and Redis hash
 * with): a keyed hash, so that keys colliding in a dict can't be computed
 * by anyone who does not know the key. */
#ifndef MGR_MANAGER_DATA_SIPHASH_H
#define MGR_MANAGER_DATA_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* The hash of data[0..len) under the 128-bit key k. */
uint64_t siphash13(const uint64_t k[2], const void *data, size_t len);

#endif
