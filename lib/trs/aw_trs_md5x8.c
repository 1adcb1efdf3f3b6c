/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Eight HMAC-MD5 tags at once (aw_trs_md5x8.h): the MD5 compression of
 * RFC 1321 on eight 32-bit lanes of AVX2 registers. Each lane's data is
 * copied into a padded buffer (0x80, zeros, the 64-bit bit count that
 * includes the key block already in the state), its words are gathered
 * lane by lane, and the outer block is built in registers from the inner
 * digest. Lanes beyond n repeat lane 0; their results are not written.
 *
 * Contract: any thread; only the caller's buffers are touched.
 */
#include "aw_trs_md5x8.h"

#include <immintrin.h>
#include <stdalign.h>
#include <string.h>

#define BUF_LEN (AW_MD5X8_MAX_BLOCKS * 64)
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "MD5 words and lengths: little-endian");

bool
aw_md5x8_usable(void)
{
	static int ok = -1;

	if (ok < 0) {
		__builtin_cpu_init();
		ok = __builtin_cpu_supports("avx2") ? 1 : 0;
	}
	return ok == 1;
}

/* a = b + rotl(a + f(b, c, d) + k + m[g], s); the caller rotates the roles
 * of a..d from step to step instead of moving registers. */
#define ROTL(x, s) _mm256_or_si256(_mm256_slli_epi32((x), (s)), _mm256_srli_epi32((x), 32 - (s)))
#define STEP(fv, a, b, c, d, g, s, k)                                                            \
	(a) = _mm256_add_epi32(                                                                  \
	        (b), ROTL(_mm256_add_epi32(_mm256_add_epi32((a), (fv)),                          \
	                                   _mm256_add_epi32(_mm256_set1_epi32((int)(k)), m[g])), \
	                  s))
#define F(a, b, c, d, g, s, k)                                                                    \
	STEP(_mm256_or_si256(_mm256_and_si256(b, c), _mm256_andnot_si256(b, d)), a, b, c, d, g, s, k)
#define G(a, b, c, d, g, s, k)                                                                    \
	STEP(_mm256_or_si256(_mm256_and_si256(d, b), _mm256_andnot_si256(d, c)), a, b, c, d, g, s, k)
#define H(a, b, c, d, g, s, k) STEP(_mm256_xor_si256(_mm256_xor_si256(b, c), d), a, b, c, d, g, s, k)
#define I(a, b, c, d, g, s, k)                                                                    \
	STEP(_mm256_xor_si256(c, _mm256_or_si256(b, _mm256_xor_si256(d, ones))), a, b, c, d, g, s, k)

/* The MD5 compression of block m (16 words, one per lane) into st: the 64
 * steps of RFC 1321 written out (constants as immediates). */
__attribute__((target("avx2"))) static void
md5_block(__m256i st[4], const __m256i m[16])
{
	__m256i a = st[0], b = st[1], c = st[2], d = st[3];
	const __m256i ones = _mm256_set1_epi32(-1);

	F(a, b, c, d, 0, 7, 0xd76aa478);
	F(d, a, b, c, 1, 12, 0xe8c7b756);
	F(c, d, a, b, 2, 17, 0x242070db);
	F(b, c, d, a, 3, 22, 0xc1bdceee);
	F(a, b, c, d, 4, 7, 0xf57c0faf);
	F(d, a, b, c, 5, 12, 0x4787c62a);
	F(c, d, a, b, 6, 17, 0xa8304613);
	F(b, c, d, a, 7, 22, 0xfd469501);
	F(a, b, c, d, 8, 7, 0x698098d8);
	F(d, a, b, c, 9, 12, 0x8b44f7af);
	F(c, d, a, b, 10, 17, 0xffff5bb1);
	F(b, c, d, a, 11, 22, 0x895cd7be);
	F(a, b, c, d, 12, 7, 0x6b901122);
	F(d, a, b, c, 13, 12, 0xfd987193);
	F(c, d, a, b, 14, 17, 0xa679438e);
	F(b, c, d, a, 15, 22, 0x49b40821);
	G(a, b, c, d, 1, 5, 0xf61e2562);
	G(d, a, b, c, 6, 9, 0xc040b340);
	G(c, d, a, b, 11, 14, 0x265e5a51);
	G(b, c, d, a, 0, 20, 0xe9b6c7aa);
	G(a, b, c, d, 5, 5, 0xd62f105d);
	G(d, a, b, c, 10, 9, 0x02441453);
	G(c, d, a, b, 15, 14, 0xd8a1e681);
	G(b, c, d, a, 4, 20, 0xe7d3fbc8);
	G(a, b, c, d, 9, 5, 0x21e1cde6);
	G(d, a, b, c, 14, 9, 0xc33707d6);
	G(c, d, a, b, 3, 14, 0xf4d50d87);
	G(b, c, d, a, 8, 20, 0x455a14ed);
	G(a, b, c, d, 13, 5, 0xa9e3e905);
	G(d, a, b, c, 2, 9, 0xfcefa3f8);
	G(c, d, a, b, 7, 14, 0x676f02d9);
	G(b, c, d, a, 12, 20, 0x8d2a4c8a);
	H(a, b, c, d, 5, 4, 0xfffa3942);
	H(d, a, b, c, 8, 11, 0x8771f681);
	H(c, d, a, b, 11, 16, 0x6d9d6122);
	H(b, c, d, a, 14, 23, 0xfde5380c);
	H(a, b, c, d, 1, 4, 0xa4beea44);
	H(d, a, b, c, 4, 11, 0x4bdecfa9);
	H(c, d, a, b, 7, 16, 0xf6bb4b60);
	H(b, c, d, a, 10, 23, 0xbebfbc70);
	H(a, b, c, d, 13, 4, 0x289b7ec6);
	H(d, a, b, c, 0, 11, 0xeaa127fa);
	H(c, d, a, b, 3, 16, 0xd4ef3085);
	H(b, c, d, a, 6, 23, 0x04881d05);
	H(a, b, c, d, 9, 4, 0xd9d4d039);
	H(d, a, b, c, 12, 11, 0xe6db99e5);
	H(c, d, a, b, 15, 16, 0x1fa27cf8);
	H(b, c, d, a, 2, 23, 0xc4ac5665);
	I(a, b, c, d, 0, 6, 0xf4292244);
	I(d, a, b, c, 7, 10, 0x432aff97);
	I(c, d, a, b, 14, 15, 0xab9423a7);
	I(b, c, d, a, 5, 21, 0xfc93a039);
	I(a, b, c, d, 12, 6, 0x655b59c3);
	I(d, a, b, c, 3, 10, 0x8f0ccc92);
	I(c, d, a, b, 10, 15, 0xffeff47d);
	I(b, c, d, a, 1, 21, 0x85845dd1);
	I(a, b, c, d, 8, 6, 0x6fa87e4f);
	I(d, a, b, c, 15, 10, 0xfe2ce6e0);
	I(c, d, a, b, 6, 15, 0xa3014314);
	I(b, c, d, a, 13, 21, 0x4e0811a1);
	I(a, b, c, d, 4, 6, 0xf7537e82);
	I(d, a, b, c, 11, 10, 0xbd3af235);
	I(c, d, a, b, 2, 15, 0x2ad7d2bb);
	I(b, c, d, a, 9, 21, 0xeb86d391);
	st[0] = _mm256_add_epi32(st[0], a);
	st[1] = _mm256_add_epi32(st[1], b);
	st[2] = _mm256_add_epi32(st[2], c);
	st[3] = _mm256_add_epi32(st[3], d);
}

/* The four state words of each lane's 16 bytes at p[l] + off. */
__attribute__((target("avx2"))) static void
load_states(__m256i st[4], const uint8_t *const p[AW_MD5X8_LANES], size_t off)
{
	alignas(32) uint32_t w[4][AW_MD5X8_LANES];

	for (unsigned l = 0; l < AW_MD5X8_LANES; l++)
		for (unsigned k = 0; k < 4; k++)
			memcpy(&w[k][l], p[l] + off + 4 * k, 4);
	for (unsigned k = 0; k < 4; k++)
		st[k] = _mm256_load_si256((const __m256i *)w[k]);
}

__attribute__((target("avx2"))) void
aw_md5x8_hmac(const uint8_t *const st[], const uint8_t *const msg[], const size_t len[],
              unsigned n, uint8_t *const out[])
{
	alignas(32) uint8_t buf[AW_MD5X8_LANES][BUF_LEN];
	alignas(32) uint32_t dig[4][AW_MD5X8_LANES];
	const uint8_t *sp[AW_MD5X8_LANES];
	const unsigned nb = aw_md5x8_blocks(len[0]);
	const __m256i lane_off = _mm256_setr_epi32(0, BUF_LEN, 2 * BUF_LEN, 3 * BUF_LEN,
	                                           4 * BUF_LEN, 5 * BUF_LEN, 6 * BUF_LEN,
	                                           7 * BUF_LEN);
	__m256i s[4], m[16];

	for (unsigned l = 0; l < AW_MD5X8_LANES; l++) {
		const unsigned x = l < n ? l : 0;
		const uint64_t bits = (uint64_t)(64 + len[x]) * 8; /* the key block counts */

		sp[l] = st[x];
		memcpy(buf[l], msg[x], len[x]);
		buf[l][len[x]] = 0x80;
		memset(buf[l] + len[x] + 1, 0, nb * 64 - 8 - len[x] - 1);
		memcpy(buf[l] + nb * 64 - 8, &bits, 8); /* little-endian, as MD5 wants (x86) */
	}
	load_states(s, sp, 0);
	for (unsigned j = 0; j < nb; j++) {
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
	for (unsigned k = 0; k < 4; k++)
		_mm256_store_si256((__m256i *)dig[k], s[k]);
	for (unsigned l = 0; l < n; l++)
		for (unsigned k = 0; k < 4; k++)
			memcpy(out[l] + 4 * k, &dig[k][l], 4);
}
