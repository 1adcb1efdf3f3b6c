/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_maglev — weighted Maglev consistent hashing (Eisenbud et al., "Maglev: A
 * Fast and Reliable Software Network Load Balancer", NSDI 2016), SPEC §4.3.
 *
 * Contract: no EAL. aw_maglev_build allocates scratch memory (malloc, freed
 * before it returns) and takes O(size * n) time in the worst case: call it off
 * the packet path (control thread), then publish the finished table to the
 * lcores; aw_maglev_pick and the hash helpers are pure, allocation-free and
 * callable from any thread. Failing calls return -1 with a one-line reason in
 * the caller's err buffer (err may be NULL).
 *
 * Same input set, same table, on every instance and platform:
 *   - a destination's identity is its key: family byte (4 or 6), the address
 *     bytes (4 or 16, network order), the port (2 bytes, big-endian);
 *   - its permutation is offset = H(key, SEED_OFFSET) % size,
 *     skip = H(key, SEED_SKIP) % (size - 1) + 1, slot j = (offset + j*skip) % size,
 *     with H = aw_hash64 below (byte-defined, independent of endianness);
 *   - destinations are filled in canonical order (sorted by key, memcmp), never
 *     in input order; the table stores indices into the caller's array, so the
 *     owner of each slot is the same destination whatever the input order.
 * Weights: each round, every destination earns `weight` credits; whenever its
 * credits reach the largest weight it spends that many to take one turn (claim
 * its next free preferred slot). The heaviest destination takes one turn per
 * round, a destination of half that weight one every other round, so slot
 * counts are proportional to weights (with Maglev's usual few-% spread) and
 * huge weights cannot overflow or starve anyone. Weight 0 = no slots.
 */
#ifndef AW_MAGLEV_H
#define AW_MAGLEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aw_inet.h"

#define AW_MAGLEV_SIZE_DEFAULT 65537u    /* prime; paper: size >> 100 * n */
#define AW_MAGLEV_SIZE_MAX     16777213u /* largest prime below 2^24 */
#define AW_MAGLEV_MAX_DESTS    65535u    /* table entries are uint16_t */

/* Fixed seeds of aw_hash64 (part of the cross-instance contract: never change). */
#define AW_MAGLEV_SEED_OFFSET 0x6173727330666673ull /* "asrs0ffs" */
#define AW_MAGLEV_SEED_SKIP   0x6173727330736b70ull /* "asrs0skp" */
#define AW_MAGLEV_SEED_FLOW   0x6173727330666c77ull /* "asrs0flw" */

struct aw_maglev_dest {
	struct aw_addr addr;
	uint16_t port;   /* host order */
	uint32_t weight; /* 0 = no slots */
};

/*
 * 64-bit hash of len bytes with a seed: the bytes are read as little-endian
 * 64-bit words (the tail zero-filled), each folded in with the splitmix64
 * finaliser; the length is mixed into the start value. Same value everywhere.
 */
uint64_t aw_hash64(const void *data, size_t len, uint64_t seed);

/* Flow hash of (client addr, client port in host order, IP protocol). */
uint64_t aw_maglev_flow_hash(const struct aw_addr *client, uint16_t port, uint8_t proto);

bool aw_is_prime(uint32_t n);
/* Smallest prime >= n, or 0 when there is none below 2^32. */
uint32_t aw_next_prime(uint32_t n);

/* Canonical order of destinations (by key: family, address, port); qsort-compatible. */
int aw_maglev_dest_cmp(const void *a, const void *b);

/*
 * Fills table[0..size) with indices into dests[0..n). Returns 0, or -1 with:
 *   "no destinations" / "70000 destinations exceed the limit of 65535"
 *   "table size 65536 is not a prime" / "table size 1 is outside 2..16777213"
 *   "destination 3 has address family 0" / "destinations 1 and 4 are the same"
 *   "all destinations have weight 0" / "out of memory"
 * table is left unspecified on error.
 */
int aw_maglev_build(const struct aw_maglev_dest *dests, size_t n, uint16_t *table, uint32_t size,
                    char *err, size_t errlen);

/* The destination index for a flow hash. */
static inline uint16_t
aw_maglev_pick(const uint16_t *table, uint32_t size, uint64_t hash)
{
	return table[hash % size];
}

#endif /* AW_MAGLEV_H */
