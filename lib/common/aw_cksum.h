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
#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#endif

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

#if defined(__SSE2__) && defined(__x86_64__)
/* aw_csum_bulk's long-run step (x86-64's baseline SSE2, so lib/ needs no
 * -march): 32 bytes a step, each 32-bit word added into a 64-bit lane of one
 * of four accumulators (low words masked, high words shifted down). Returns
 * the not-folded sum of the 32-bit words of p[0 .. 32 * (len / 32)). */
static inline uint64_t
aw_csum_bulk_sse2(const uint8_t *p, size_t len)
{
	const __m128i lo32 = _mm_set_epi32(0, -1, 0, -1);
	__m128i a0 = _mm_setzero_si128(), a1 = a0, b0 = a0, b1 = a0;

	for (; len >= 32; len -= 32, p += 32) {
		__m128i v = _mm_loadu_si128((const __m128i *)p);
		__m128i w = _mm_loadu_si128((const __m128i *)(p + 16));
		a0 = _mm_add_epi64(a0, _mm_and_si128(v, lo32));
		b0 = _mm_add_epi64(b0, _mm_srli_epi64(v, 32));
		a1 = _mm_add_epi64(a1, _mm_and_si128(w, lo32));
		b1 = _mm_add_epi64(b1, _mm_srli_epi64(w, 32));
	}
	__m128i t = _mm_add_epi64(_mm_add_epi64(a0, a1), _mm_add_epi64(b0, b1));
	return (uint64_t)_mm_cvtsi128_si64(t) + (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(t, t));
}
#endif

/* sum + the bytes data[0..len) (any alignment and length; an odd last byte
 * counts as if followed by a zero), not folded: 32 bytes per step in SSE2
 * lanes on x86-64 (aw_csum_bulk_sse2), else eight bytes per step in two
 * independent accumulators of 32-bit halves, so a 1500-byte payload costs a
 * few hundred instructions, not thousands. Fold with aw_csum_fold64. */
static inline uint64_t
aw_csum_bulk(uint64_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t s0 = 0, s1 = 0;

#if defined(__SSE2__) && defined(__x86_64__)
	if (len >= 32) {
		sum += aw_csum_bulk_sse2(p, len);
		p += len & ~(size_t)31;
		len &= 31;
	}
#endif

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

/* Folds a 64-bit sum of words to 16 bits (not complemented). The upper half
 * of x + (x rotated by half its width) is the end-around sum of x's two
 * halves (the carry out of the lower half is the end-around carry): once for
 * 64 -> 32 bits, once for 32 -> 16 (test_fwd checks it against the
 * compare-and-carry form for carry edges and a million sums). */
static inline __attribute__((always_inline)) uint16_t
aw_csum_fold64(uint64_t sum)
{
	uint32_t u = (uint32_t)((sum + (sum << 32 | sum >> 32)) >> 32);

	return (uint16_t)((u + (u << 16 | u >> 16)) >> 16);
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
