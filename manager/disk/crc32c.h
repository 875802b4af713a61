/* CRC-32C (Castagnoli), the checksum of every record of the log (as
 * etcd's WAL, ext4 and iSCSI use it): the SSE 4.2 instruction where the
 * CPU has it, a table elsewhere; both give the same value. */
#ifndef MGR_MANAGER_DISK_CRC32C_H
#define MGR_MANAGER_DISK_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* The CRC-32C of p[0..n) continued from crc (0 to start):
 * crc32c(crc32c(0, a, k), a + k, n - k) == crc32c(0, a, n). */
uint32_t crc32c(uint32_t crc, const void *p, size_t n);

#endif
