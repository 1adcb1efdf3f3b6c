/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_siphash — SipHash-2-4 (Aumasson, Bernstein), the keyed 64-bit tag of the
 * SYN cookies (lib/asrs/aw_syncookie) and of the cluster header
 * (lib/cluster/aw_clhdr). The key is two 64-bit words, the first 16 key bytes
 * read little-endian; the result is the reference implementation's value.
 *
 * Contract: pure, no allocation, any thread.
 */
#ifndef AW_SIPHASH_H
#define AW_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* SipHash-2-4 of len bytes under key k. */
uint64_t aw_siphash24(const uint64_t k[2], const void *data, size_t len);

#endif /* AW_SIPHASH_H */
