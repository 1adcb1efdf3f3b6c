/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Eight (or sixteen) HMAC-MD5 tags at once (aw_trs_md5x8.h): the MD5 compression of
 * RFC 1321 on eight 32-bit lanes of AVX2 registers. Each lane's data is
 * copied into a padded buffer with whole 32-byte moves (0x80, zeros, the
 * 64-bit bit count that includes the key block already in the state), its
 * words are gathered lane by lane, and the outer block is built in
 * registers from the inner digest. States come in and tags go out through
 * 4x4 word transposes, not word by word. Lanes beyond n read lane 0's
 * buffer and state; their results are not written. The same on sixteen
 * lanes of AVX-512F (aw_md5x16_hmac), and aw_md5xn_hmac picks the widest
 * kernel the CPU runs (checked once).
 *
 * Contract: any thread; only the caller's buffers are touched.
 */
#include "aw_trs_md5x8.h"

#include <immintrin.h>
#include <pthread.h>
#include <stdalign.h>
#include <string.h>

#define BUF_LEN (AW_MD5X8_MAX_BLOCKS * 64)
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "MD5 words and lengths: little-endian");

/* The CPU features, detected once (pthread_once: every lcore may ask at the
 * same time; after the first call each read is of values written before
 * pthread_once returned, so no data race). */
static pthread_once_t cpu_once = PTHREAD_ONCE_INIT;
static bool cpu_avx2;
static unsigned cpu_lanes;

static void
cpu_detect(void)
{
	__builtin_cpu_init();
	cpu_avx2 = __builtin_cpu_supports("avx2");
	cpu_lanes = __builtin_cpu_supports("avx512f") ? AW_MD5X16_LANES
	            : cpu_avx2                         ? AW_MD5X8_LANES
	                                               : 0;
}

bool
aw_md5x8_usable(void)
{
	pthread_once(&cpu_once, cpu_detect);
	return cpu_avx2;
}

/* The 64 step constants of RFC 1321, each repeated in the 8 lanes so that a
 * step adds it as one memory operand. Steps 48..63 (function I) hold k - 1:
 * I(b, c, d) = c ^ (b | ~d) = ~(c ^ (~b & d)), and a + ~y = a - y - 1. */
#define X8(k) {(k), (k), (k), (k), (k), (k), (k), (k)}
static const uint32_t kx8[64][AW_MD5X8_LANES] __attribute__((aligned(32))) = {
	X8(0xd76aa478), X8(0xe8c7b756), X8(0x242070db), X8(0xc1bdceee),
	X8(0xf57c0faf), X8(0x4787c62a), X8(0xa8304613), X8(0xfd469501),
	X8(0x698098d8), X8(0x8b44f7af), X8(0xffff5bb1), X8(0x895cd7be),
	X8(0x6b901122), X8(0xfd987193), X8(0xa679438e), X8(0x49b40821),
	X8(0xf61e2562), X8(0xc040b340), X8(0x265e5a51), X8(0xe9b6c7aa),
	X8(0xd62f105d), X8(0x02441453), X8(0xd8a1e681), X8(0xe7d3fbc8),
	X8(0x21e1cde6), X8(0xc33707d6), X8(0xf4d50d87), X8(0x455a14ed),
	X8(0xa9e3e905), X8(0xfcefa3f8), X8(0x676f02d9), X8(0x8d2a4c8a),
	X8(0xfffa3942), X8(0x8771f681), X8(0x6d9d6122), X8(0xfde5380c),
	X8(0xa4beea44), X8(0x4bdecfa9), X8(0xf6bb4b60), X8(0xbebfbc70),
	X8(0x289b7ec6), X8(0xeaa127fa), X8(0xd4ef3085), X8(0x04881d05),
	X8(0xd9d4d039), X8(0xe6db99e5), X8(0x1fa27cf8), X8(0xc4ac5665),
	X8(0xf4292244 - 1), X8(0x432aff97 - 1), X8(0xab9423a7 - 1), X8(0xfc93a039 - 1),
	X8(0x655b59c3 - 1), X8(0x8f0ccc92 - 1), X8(0xffeff47d - 1), X8(0x85845dd1 - 1),
	X8(0x6fa87e4f - 1), X8(0xfe2ce6e0 - 1), X8(0xa3014314 - 1), X8(0x4e0811a1 - 1),
	X8(0xf7537e82 - 1), X8(0xbd3af235 - 1), X8(0x2ad7d2bb - 1), X8(0xeb86d391 - 1),
};

/* The 64 steps of RFC 1321: function, roles of a..d, message word, shift, step. */
#define MD5_STEPS(F, G, H, I) \
	F(a, b, c, d, 0, 7, 0); \
	F(d, a, b, c, 1, 12, 1); \
	F(c, d, a, b, 2, 17, 2); \
	F(b, c, d, a, 3, 22, 3); \
	F(a, b, c, d, 4, 7, 4); \
	F(d, a, b, c, 5, 12, 5); \
	F(c, d, a, b, 6, 17, 6); \
	F(b, c, d, a, 7, 22, 7); \
	F(a, b, c, d, 8, 7, 8); \
	F(d, a, b, c, 9, 12, 9); \
	F(c, d, a, b, 10, 17, 10); \
	F(b, c, d, a, 11, 22, 11); \
	F(a, b, c, d, 12, 7, 12); \
	F(d, a, b, c, 13, 12, 13); \
	F(c, d, a, b, 14, 17, 14); \
	F(b, c, d, a, 15, 22, 15); \
	G(a, b, c, d, 1, 5, 16); \
	G(d, a, b, c, 6, 9, 17); \
	G(c, d, a, b, 11, 14, 18); \
	G(b, c, d, a, 0, 20, 19); \
	G(a, b, c, d, 5, 5, 20); \
	G(d, a, b, c, 10, 9, 21); \
	G(c, d, a, b, 15, 14, 22); \
	G(b, c, d, a, 4, 20, 23); \
	G(a, b, c, d, 9, 5, 24); \
	G(d, a, b, c, 14, 9, 25); \
	G(c, d, a, b, 3, 14, 26); \
	G(b, c, d, a, 8, 20, 27); \
	G(a, b, c, d, 13, 5, 28); \
	G(d, a, b, c, 2, 9, 29); \
	G(c, d, a, b, 7, 14, 30); \
	G(b, c, d, a, 12, 20, 31); \
	H(a, b, c, d, 5, 4, 32); \
	H(d, a, b, c, 8, 11, 33); \
	H(c, d, a, b, 11, 16, 34); \
	H(b, c, d, a, 14, 23, 35); \
	H(a, b, c, d, 1, 4, 36); \
	H(d, a, b, c, 4, 11, 37); \
	H(c, d, a, b, 7, 16, 38); \
	H(b, c, d, a, 10, 23, 39); \
	H(a, b, c, d, 13, 4, 40); \
	H(d, a, b, c, 0, 11, 41); \
	H(c, d, a, b, 3, 16, 42); \
	H(b, c, d, a, 6, 23, 43); \
	H(a, b, c, d, 9, 4, 44); \
	H(d, a, b, c, 12, 11, 45); \
	H(c, d, a, b, 15, 16, 46); \
	H(b, c, d, a, 2, 23, 47); \
	I(a, b, c, d, 0, 6, 48); \
	I(d, a, b, c, 7, 10, 49); \
	I(c, d, a, b, 14, 15, 50); \
	I(b, c, d, a, 5, 21, 51); \
	I(a, b, c, d, 12, 6, 52); \
	I(d, a, b, c, 3, 10, 53); \
	I(c, d, a, b, 10, 15, 54); \
	I(b, c, d, a, 1, 21, 55); \
	I(a, b, c, d, 8, 6, 56); \
	I(d, a, b, c, 15, 10, 57); \
	I(c, d, a, b, 6, 15, 58); \
	I(b, c, d, a, 13, 21, 59); \
	I(a, b, c, d, 4, 6, 60); \
	I(d, a, b, c, 11, 10, 61); \
	I(c, d, a, b, 2, 15, 62); \
	I(b, c, d, a, 9, 21, 63);

/* a = b + rotl(a + f(b, c, d) + k + m[g], s); the caller rotates the roles
 * of a..d from step to step instead of moving registers. OP is the add of
 * f (sub for I's complemented form). */
#define ROTL(x, s) _mm256_or_si256(_mm256_slli_epi32((x), (s)), _mm256_srli_epi32((x), 32 - (s)))
#define KM(g, i)   _mm256_add_epi32(m[g], _mm256_load_si256((const __m256i *)(const void *)kp[i]))
#define STEP(OP, fv, a, b, g, s, i) (a) = _mm256_add_epi32((b), ROTL(_mm256_add_epi32(OP((a), (fv)), KM(g, i)), s))
#define F(a, b, c, d, g, s, i)                                                                    \
	STEP(_mm256_add_epi32, _mm256_xor_si256(d, _mm256_and_si256(b, _mm256_xor_si256(c, d))), \
	     a, b, g, s, i)
#define G(a, b, c, d, g, s, i)                                                                    \
	STEP(_mm256_add_epi32, _mm256_xor_si256(c, _mm256_and_si256(d, _mm256_xor_si256(b, c))), \
	     a, b, g, s, i)
#define H(a, b, c, d, g, s, i)                                                                    \
	STEP(_mm256_add_epi32, _mm256_xor_si256(_mm256_xor_si256(b, c), d), a, b, g, s, i)
#define I(a, b, c, d, g, s, i)                                                                    \
	STEP(_mm256_sub_epi32, _mm256_xor_si256(c, _mm256_andnot_si256(b, d)), a, b, g, s, i)

/* The MD5 compression of block m (16 words, one per lane) into st: the 64
 * steps of RFC 1321 written out. Inlined into both callers, so the outer
 * block's constant words fold into the step constants. */
__attribute__((target("avx2"), always_inline)) static inline void
md5_block(__m256i st[4], const __m256i m[16])
{
	__m256i a = st[0], b = st[1], c = st[2], d = st[3];
	/* The table through a pointer the compiler cannot see into: otherwise
	 * it rebuilds each constant in a register (3 instructions) instead of
	 * adding it from memory. */
	const uint32_t(*kp)[AW_MD5X8_LANES] = kx8;

	__asm__("" : "+r"(kp));
	MD5_STEPS(F, G, H, I)
	st[0] = _mm256_add_epi32(st[0], a);
	st[1] = _mm256_add_epi32(st[1], b);
	st[2] = _mm256_add_epi32(st[2], c);
	st[3] = _mm256_add_epi32(st[3], d);
}

/* The 4x4 transpose of 32-bit words within each 128-bit half: r[l] holds
 * four words of lane l (low half) and of lane l + 4 (high half) <-> r[k]
 * holds word k of lanes 0..3 (low) and 4..7 (high). Its own inverse. */
__attribute__((target("avx2"))) static inline void
transpose4(__m256i r[4])
{
	__m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpacklo_epi32(r[2], r[3]);
	__m256i t2 = _mm256_unpackhi_epi32(r[0], r[1]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);

	r[0] = _mm256_unpacklo_epi64(t0, t1);
	r[1] = _mm256_unpackhi_epi64(t0, t1);
	r[2] = _mm256_unpacklo_epi64(t2, t3);
	r[3] = _mm256_unpackhi_epi64(t2, t3);
}

/* The four state words of each lane's 16 bytes at p[l] + off. */
__attribute__((target("avx2"))) static inline void
load_states(__m256i st[4], const uint8_t *const p[AW_MD5X8_LANES], size_t off)
{
	for (unsigned l = 0; l < 4; l++)
		st[l] = _mm256_inserti128_si256(
		        _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(p[l] + off))),
		        _mm_loadu_si128((const __m128i *)(p[l + 4] + off)), 1);
	transpose4(st);
}

/* Lane buffer b (32-byte aligned): len bytes of data, 0x80, zeros, the bit
 * count (the key block included) in the last 8 bytes of block nb. */
__attribute__((target("avx2"))) static inline void
pad_lane(uint8_t *b, const uint8_t *msg, size_t len, unsigned nb)
{
	const size_t end = (size_t)nb * 64;
	const uint64_t bits = (uint64_t)(64 + len) * 8;

	for (size_t o = len & ~(size_t)31; o < end; o += 32)
		_mm256_store_si256((__m256i *)(void *)(b + o), _mm256_setzero_si256());
	for (size_t o = 0; o + 32 <= len; o += 32)
		_mm256_store_si256((__m256i *)(void *)(b + o),
		                   _mm256_loadu_si256((const __m256i *)(const void *)(msg + o)));
	if ((len & 31) != 0 && len >= 32) /* the tail: the 32 bytes that end at len */
		_mm256_storeu_si256((__m256i *)(void *)(b + len - 32),
		                    _mm256_loadu_si256((const __m256i *)(const void *)(msg + len - 32)));
	else if ((len & 31) != 0)
		memcpy(b, msg, len);
	b[len] = 0x80;
	memcpy(b + end - 8, &bits, 8); /* little-endian, as MD5 wants (x86) */
}

__attribute__((target("avx2"))) void
aw_md5x8_hmac(const uint8_t *const st[], const uint8_t *const msg[], const size_t len[],
              unsigned n, uint8_t *const out[])
{
	alignas(32) uint8_t buf[AW_MD5X8_LANES][BUF_LEN];
	alignas(32) int loff[AW_MD5X8_LANES];
	const uint8_t *sp[AW_MD5X8_LANES];
	const unsigned nb = aw_md5x8_blocks(len[0]);
	__m256i s[4], m[16];

	for (unsigned l = 0; l < AW_MD5X8_LANES; l++) {
		const unsigned x = l < n ? l : 0;

		sp[l] = st[x];
		loff[l] = (int)(x * BUF_LEN);
		if (l < n)
			pad_lane(buf[l], msg[l], len[l], nb);
	}
	const __m256i lane_off = _mm256_load_si256((const __m256i *)(const void *)loff);
	load_states(s, sp, 0);
	for (unsigned j = 0; j < nb; j++) {
#pragma GCC unroll 16
		for (unsigned w = 0; w < 16; w++)
			m[w] = _mm256_i32gather_epi32((const int *)(const void *)buf[0],
			                              _mm256_add_epi32(lane_off,
			                                               _mm256_set1_epi32((int)(64 * j + 4 * w))),
			                              1);
		md5_block(s, m);
	}
	/* outer: opad state, then the inner digest, 0x80, zeros, 640 bits */
	for (unsigned w = 0; w < 4; w++)
		m[w] = s[w];
	m[4] = _mm256_set1_epi32(0x80);
	for (unsigned w = 5; w < 16; w++)
		m[w] = _mm256_setzero_si256();
	m[14] = _mm256_set1_epi32((64 + 16) * 8);
	load_states(s, sp, 16);
	md5_block(s, m);
	transpose4(s); /* s[l]: the tag of lane l (low half) and of lane l + 4 (high) */
	for (unsigned l = 0; l < 4; l++) {
		if (l < n)
			_mm_storeu_si128((__m128i *)(void *)out[l], _mm256_castsi256_si128(s[l]));
		if (l + 4 < n)
			_mm_storeu_si128((__m128i *)(void *)out[l + 4], _mm256_extracti128_si256(s[l], 1));
	}
}

/* --- 16 lanes of AVX-512: rotates and the step functions are one instruction
 * each (vprold, vpternlogd); the constants are added as broadcast operands. */

static const uint32_t k1[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
	0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
	0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
	0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
	0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
	0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
	0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
	0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
	0xeb86d391,
};

/* vpternlogd truth tables (operands b, c, d): F = b ? c : d, G = d ? b : c,
 * H = b ^ c ^ d, I = c ^ (b | ~d). */
#define STEP16(imm, a, b, c, d, g, s, i)                                                         \
	(a) = _mm512_add_epi32(                                                                  \
	        (b), _mm512_rol_epi32(_mm512_add_epi32(                                          \
	                                      _mm512_add_epi32((a), _mm512_ternarylogic_epi32(   \
	                                                                    b, c, d, imm)),      \
	                                      _mm512_add_epi32(m[g], _mm512_set1_epi32((int)kp[i]))), \
	                              s))
#define F16(a, b, c, d, g, s, i) STEP16(0xca, a, b, c, d, g, s, i)
#define G16(a, b, c, d, g, s, i) STEP16(0xe4, a, b, c, d, g, s, i)
#define H16(a, b, c, d, g, s, i) STEP16(0x96, a, b, c, d, g, s, i)
#define I16(a, b, c, d, g, s, i) STEP16(0x39, a, b, c, d, g, s, i)

__attribute__((target("avx512f"), always_inline)) static inline void
md5_block16(__m512i st[4], const __m512i m[16])
{
	__m512i a = st[0], b = st[1], c = st[2], d = st[3];
	const uint32_t *kp = k1; /* opaque: constants stay broadcast memory operands */

	__asm__("" : "+r"(kp));
	MD5_STEPS(F16, G16, H16, I16)
	st[0] = _mm512_add_epi32(st[0], a);
	st[1] = _mm512_add_epi32(st[1], b);
	st[2] = _mm512_add_epi32(st[2], c);
	st[3] = _mm512_add_epi32(st[3], d);
}

/* The four state words of each lane's 16 bytes at p[l] + off. */
__attribute__((target("avx512f"))) static inline void
load_states16(__m512i st[4], const uint8_t *const p[AW_MD5X16_LANES], size_t off)
{
	alignas(64) uint32_t w[4][AW_MD5X16_LANES];

	for (unsigned l = 0; l < AW_MD5X16_LANES; l++)
		for (unsigned k = 0; k < 4; k++)
			memcpy(&w[k][l], p[l] + off + 4 * k, 4);
	for (unsigned k = 0; k < 4; k++)
		st[k] = _mm512_load_si512(w[k]);
}

__attribute__((target("avx512f"))) void
aw_md5x16_hmac(const uint8_t *const st[], const uint8_t *const msg[], const size_t len[],
               unsigned n, uint8_t *const out[])
{
	alignas(64) uint8_t buf[AW_MD5X16_LANES][BUF_LEN];
	alignas(64) int loff[AW_MD5X16_LANES];
	alignas(64) uint32_t dig[4][AW_MD5X16_LANES];
	const uint8_t *sp[AW_MD5X16_LANES];
	const unsigned nb = aw_md5x8_blocks(len[0]);
	__m512i s[4], m[16];

	for (unsigned l = 0; l < AW_MD5X16_LANES; l++) {
		const unsigned x = l < n ? l : 0;

		sp[l] = st[x];
		loff[l] = (int)(x * BUF_LEN);
		if (l < n)
			pad_lane(buf[l], msg[l], len[l], nb);
	}
	const __m512i lane_off = _mm512_load_si512(loff);
	load_states16(s, sp, 0);
	for (unsigned j = 0; j < nb; j++) {
#pragma GCC unroll 16
		for (unsigned w = 0; w < 16; w++)
			m[w] = _mm512_i32gather_epi32(
			        _mm512_add_epi32(lane_off, _mm512_set1_epi32((int)(64 * j + 4 * w))),
			        (const void *)buf[0], 1);
		md5_block16(s, m);
	}
	for (unsigned w = 0; w < 4; w++)
		m[w] = s[w];
	m[4] = _mm512_set1_epi32(0x80);
	for (unsigned w = 5; w < 16; w++)
		m[w] = _mm512_setzero_si512();
	m[14] = _mm512_set1_epi32((64 + 16) * 8);
	load_states16(s, sp, 16);
	md5_block16(s, m);
	for (unsigned k = 0; k < 4; k++)
		_mm512_store_si512(dig[k], s[k]);
	for (unsigned l = 0; l < n; l++)
		for (unsigned k = 0; k < 4; k++)
			memcpy(out[l] + 4 * k, &dig[k][l], 4);
}

unsigned
aw_md5x8_lanes(void)
{
	pthread_once(&cpu_once, cpu_detect);
	return cpu_lanes;
}

void
aw_md5xn_hmac(const uint8_t *const st[], const uint8_t *const msg[], const size_t len[],
              unsigned n, uint8_t *const out[])
{
	if (aw_md5x8_lanes() == AW_MD5X16_LANES) {
		aw_md5x16_hmac(st, msg, len, n, out);
		return;
	}
	for (unsigned i = 0; i < n; i += AW_MD5X8_LANES)
		aw_md5x8_hmac(st + i, msg + i, len + i,
		              n - i < AW_MD5X8_LANES ? n - i : AW_MD5X8_LANES, out + i);
}
