/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_mix — the splitmix64 finaliser (Steele, Lea, Flood 2014): a bijection of
 * 64-bit words with full avalanche, for hashes that must be the same on every
 * instance (Maglev) and for table hashes (SNAT pairs). Pure, any thread.
 */
#ifndef AW_MIX_H
#define AW_MIX_H

#include <stdint.h>

static inline uint64_t
aw_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

#endif /* AW_MIX_H */
