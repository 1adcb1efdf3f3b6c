/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_cksum — Internet checksum helpers (RFC 1071, incremental update RFC 1624).
 *
 * Contract: pure inline functions, no EAL, callable from any thread. Values are
 * 16-bit one's-complement sums in network byte order as they sit in headers.
 *
 * The fast-path primitive is the 32-bit word sum: aw_csum32_add /
 * aw_csum32_delta accumulate 32-bit words (any alignment) into a 64-bit sum,
 * which is folded once at the end with aw_csum_fold64 (RFC 1071: the one's-
 * complement sum folds alike whatever the word size). A 64-bit accumulator
 * takes 2^32 words before it can overflow, so callers add freely and fold once.
 */
#ifndef AW_CKSUM_H
#define AW_CKSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Sum of 16-bit words (not folded), any alignment. */
static inline uint32_t
aw_csum_partial(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;

	while (len >= 2) {
		uint16_t w;
		memcpy(&w, p, 2);
		sum += w;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint16_t w = 0;
		memcpy(&w, p, 1);
		sum += w;
	}
	return sum;
}

static inline uint16_t
aw_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Final checksum field value for data of len bytes. */
static inline uint16_t
aw_csum(const void *data, size_t len)
{
	return (uint16_t)~aw_csum_fold(aw_csum_partial(data, len, 0));
}

/* RFC 1624 eqn 3: HC' = ~(~HC + ~m + m'), for a 16-bit field changing old -> new. */
static inline uint16_t
aw_csum_update16(uint16_t csum, uint16_t old_val, uint16_t new_val)
{
	uint32_t s = (uint16_t)~csum;
	s += (uint16_t)~old_val;
	s += new_val;
	return (uint16_t)~aw_csum_fold(s);
}

/* Update for an n-byte (even) region changing from old to new. */
static inline uint16_t
aw_csum_update(uint16_t csum, const void *old_data, const void *new_data, size_t n)
{
	uint32_t s = (uint16_t)~csum;
	const uint8_t *o = old_data, *w = new_data;

	for (size_t i = 0; i + 1 < n; i += 2) {
		uint16_t a, b;
		memcpy(&a, o + i, 2);
		memcpy(&b, w + i, 2);
		s += (uint16_t)~a;
		s += b;
	}
	return (uint16_t)~aw_csum_fold(s);
}

/* sum + the n 32-bit words at p (any alignment), not folded. With n a
 * compile-time constant at an inlined call, the loop unrolls. */
static inline __attribute__((always_inline)) uint64_t
aw_csum32_add(uint64_t sum, const void *p, unsigned n)
{
	const uint8_t *b = p;

	for (unsigned i = 0; i < n; i++) {
		uint32_t w;
		memcpy(&w, b + 4 * i, 4);
		sum += w;
	}
	return sum;
}

/* sum + the one's-complement delta of n 32-bit words changing old -> neu
 * (for each word: ~old + neu), not folded. */
static inline __attribute__((always_inline)) uint64_t
aw_csum32_delta(uint64_t sum, const void *old, const void *neu, unsigned n)
{
	const uint8_t *o = old, *w = neu;

	for (unsigned i = 0; i < n; i++) {
		uint32_t a, b;
		memcpy(&a, o + 4 * i, 4);
		memcpy(&b, w + 4 * i, 4);
		sum += (uint32_t)~a;
		sum += b;
	}
	return sum;
}

/* sum + the bytes data[0..len) (any alignment and length; an odd last byte
 * counts as if followed by a zero), not folded: eight bytes per step in two
 * independent accumulators of 32-bit halves, so a 1500-byte payload costs a
 * few hundred instructions, not thousands. Fold with aw_csum_fold64. */
static inline uint64_t
aw_csum_bulk(uint64_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t s0 = 0, s1 = 0;

	for (; len >= 16; len -= 16, p += 16) { /* < 2^45 for any IP length: no overflow */
		uint64_t a, b;
		memcpy(&a, p, 8);
		memcpy(&b, p + 8, 8);
		s0 += (uint32_t)a + (a >> 32);
		s1 += (uint32_t)b + (b >> 32);
	}
	sum += s0 + s1;
	if (len >= 8) {
		uint64_t a;
		memcpy(&a, p, 8);
		sum += (uint32_t)a + (a >> 32);
		p += 8, len -= 8;
	}
	if (len >= 4) {
		uint32_t w;
		memcpy(&w, p, 4);
		sum += w;
		p += 4, len -= 4;
	}
	if (len >= 2) {
		uint16_t w;
		memcpy(&w, p, 2);
		sum += w;
		p += 2, len -= 2;
	}
	if (len != 0) {
		uint16_t w = 0;
		memcpy(&w, p, 1);
		sum += w;
	}
	return sum;
}

/* Folds a 64-bit sum of words to 16 bits (not complemented). */
static inline __attribute__((always_inline)) uint16_t
aw_csum_fold64(uint64_t sum)
{
	uint32_t lo = (uint32_t)sum, t = lo + (uint32_t)(sum >> 32);

	t += t < lo; /* end-around carry: congruent modulo 2^32 - 1, so modulo 2^16 - 1 */
	return aw_csum_fold(t);
}

/* The checksum field at `field` (2 bytes, any alignment) updated by a delta
 * from aw_csum32_delta: ~(~ck + delta), folded once. */
static inline __attribute__((always_inline)) void
aw_csum_apply64(uint8_t *field, uint64_t delta)
{
	uint16_t ck;

	memcpy(&ck, field, 2);
	ck = (uint16_t)~aw_csum_fold64(delta + (uint16_t)~ck);
	memcpy(field, &ck, 2);
}

#endif /* AW_CKSUM_H */
