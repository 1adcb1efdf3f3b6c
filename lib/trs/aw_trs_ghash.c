/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AES-256-GCM tags on PCLMULQDQ and AES-NI (aw_trs_ghash.h). GHASH is
 * computed as POLYVAL (RFC 8452, appendix A): blocks byte-reversed, the key
 * H' = mulX(ByteReverse(H)), and each product a·b·x^-128 reduced with two
 * carry-less multiplies by the polynomial's constant (Montgomery form).
 * Up to eight blocks share a reduction, the products summed unreduced:
 * Y' = (Y ^ X1)·K_r ^ X2·K_(r-1) ^ ... ^ Xr·K_1, K_i = H' "raised" to i
 * in the same algebra (K_(i+1) = K_i·H'·x^-128).
 *
 * aw_gcm_tag_hdr2 (a TRS message's tag, up to eight blocks) multiplies four
 * blocks at a time with 512-bit VPCLMULQDQ where the CPU has it
 * (aw_gcm_tag_hdr2_512), else one at a time (aw_gcm_tag_hdr2_128).
 *
 * lib/ builds without -march: every function that uses the instructions
 * carries a target attribute, and callers check aw_gcm_own_usable() first.
 */
#include "aw_trs_ghash.h"

#include <immintrin.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#define GCM_TARGET __attribute__((target("pclmul,aes,avx")))

/* The 512-bit form of aw_gcm_tag_hdr2 (aw_gcm_tag_hdr2_512). */
#define GCM_WIDE_TARGET                                                                    \
	__attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi,vpclmulqdq,pclmul,aes,avx2")))

static pthread_once_t cpu_once = PTHREAD_ONCE_INIT;
static bool cpu_ok, cpu_wide;

static void
cpu_detect(void)
{
	__builtin_cpu_init();
	cpu_ok = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("aes") &&
	         __builtin_cpu_supports("avx");
	cpu_wide = cpu_ok && __builtin_cpu_supports("avx512f") &&
	           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
	           __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("vpclmulqdq");
}

bool
aw_gcm_own_usable(void)
{
	pthread_once(&cpu_once, cpu_detect);
	return cpu_ok;
}

bool
aw_gcm_wide_usable(void)
{
	pthread_once(&cpu_once, cpu_detect);
	return cpu_wide;
}

GCM_TARGET static inline __m128i
rev(__m128i x)
{
	return _mm_shuffle_epi8(x, _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	                                        15));
}

/* The unreduced 256-bit sum of products: lo, hi and the middle terms. */
struct acc {
	__m128i lo, mid, hi;
};

GCM_TARGET static inline __attribute__((always_inline)) void
acc_mul(struct acc *a, __m128i x, __m128i h)
{
	a->lo = _mm_xor_si128(a->lo, _mm_clmulepi64_si128(x, h, 0x00));
	a->hi = _mm_xor_si128(a->hi, _mm_clmulepi64_si128(x, h, 0x11));
	a->mid = _mm_xor_si128(a->mid, _mm_clmulepi64_si128(x, h, 0x10));
	a->mid = _mm_xor_si128(a->mid, _mm_clmulepi64_si128(x, h, 0x01));
}

/* The 256-bit value hi:lo times x^-128 modulo the POLYVAL polynomial: two
 * Montgomery steps, each folding the low 64 bits with a multiply by
 * 0xc2 << 56. */
GCM_TARGET static inline __attribute__((always_inline)) __m128i
poly_reduce(__m128i lo, __m128i hi)
{
	const __m128i poly = _mm_set_epi64x((long long)0xc200000000000000ull, 1);

	lo = _mm_xor_si128(_mm_shuffle_epi32(lo, 0x4e), _mm_clmulepi64_si128(lo, poly, 0x10));
	lo = _mm_xor_si128(_mm_shuffle_epi32(lo, 0x4e), _mm_clmulepi64_si128(lo, poly, 0x10));
	return _mm_xor_si128(lo, hi);
}

/* The sum (its middle terms folded into lo and hi) reduced. */
GCM_TARGET static inline __attribute__((always_inline)) __m128i
acc_reduce(const struct acc *a)
{
	return poly_reduce(_mm_xor_si128(a->lo, _mm_slli_si128(a->mid, 8)),
	                   _mm_xor_si128(a->hi, _mm_srli_si128(a->mid, 8)));
}

/* Block i of a group at p, times K at hq - i (hq: the group's top power). */
#define BLK(i)                                                                             \
	acc_mul(&a, rev(_mm_loadu_si128((const __m128i *)(const void *)(p + 16 * (i)))),   \
	        _mm_load_si128(hq - (i)))

/* Y after nblocks whole blocks at p (Y and the result byte-reversed); a
 * group's blocks 1..r-1 written out (switch fall-through), no loop. */
GCM_TARGET static __m128i
ghash_blocks(const struct aw_gcm_hkey *k, __m128i y, const uint8_t *p, size_t nblocks)
{
	const __m128i *hp = (const __m128i *)(const void *)k->hp;

	while (nblocks > 0) {
		size_t r = nblocks < AW_GCM_HPOW ? nblocks : AW_GCM_HPOW;
		const __m128i *hq = hp + r - 1;
		struct acc a = {_mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128()};

		acc_mul(&a, _mm_xor_si128(rev(_mm_loadu_si128((const __m128i *)(const void *)p)), y),
		        _mm_load_si128(hq));
		switch (r) {
		case 8: BLK(7); __attribute__((fallthrough));
		case 7: BLK(6); __attribute__((fallthrough));
		case 6: BLK(5); __attribute__((fallthrough));
		case 5: BLK(4); __attribute__((fallthrough));
		case 4: BLK(3); __attribute__((fallthrough));
		case 3: BLK(2); __attribute__((fallthrough));
		case 2: BLK(1); break;
		default: break;
		}
		y = acc_reduce(&a);
		p += 16 * r;
		nblocks -= r;
	}
	return y;
}
_Static_assert(AW_GCM_HPOW == 8, "ghash_blocks writes out groups of up to 8 blocks");

/* v·x in POLYVAL's field: v << 1, and x^128 folded back as x^127 + x^126 +
 * x^121 + 1 when the top bit falls out. */
GCM_TARGET static __m128i
mulx(__m128i v)
{
	uint64_t w[2];

	_mm_storeu_si128((__m128i *)(void *)w, v);
	uint64_t top = w[1] >> 63;
	w[1] = w[1] << 1 | w[0] >> 63;
	w[0] <<= 1;
	w[0] ^= top;
	w[1] ^= top ? 0xc200000000000000ull : 0;
	return _mm_loadu_si128((const __m128i *)(const void *)w);
}

#define AES_R(i) b = _mm_aesenc_si128(b, _mm_load_si128(rk + (i)))
GCM_TARGET static inline __m128i
aes256(const struct aw_gcm_hkey *k, __m128i b)
{
	const __m128i *rk = (const __m128i *)(const void *)k->rk;

	b = _mm_xor_si128(b, _mm_load_si128(rk));
	AES_R(1); AES_R(2); AES_R(3); AES_R(4); AES_R(5); AES_R(6); AES_R(7);
	AES_R(8); AES_R(9); AES_R(10); AES_R(11); AES_R(12); AES_R(13);
	return _mm_aesenclast_si128(b, _mm_load_si128(rk + 14));
}

/* The key schedule's word steps (FIPS-197 5.2 for Nk = 8): w ^= its words
 * shifted in, then ^ the broadcast word of the assist. */
GCM_TARGET static inline __m128i
exp_step(__m128i w, __m128i t)
{
	w = _mm_xor_si128(w, _mm_slli_si128(w, 4));
	w = _mm_xor_si128(w, _mm_slli_si128(w, 4));
	w = _mm_xor_si128(w, _mm_slli_si128(w, 4));
	return _mm_xor_si128(w, t);
}

#define EXP_PAIR(i, rcon)                                                                  \
	do {                                                                               \
		a = exp_step(a, _mm_shuffle_epi32(_mm_aeskeygenassist_si128(b, rcon), 0xff)); \
		rk[2 * (i)] = a;                                                           \
		if (2 * (i) + 1 < 15) {                                                    \
			b = exp_step(b, _mm_shuffle_epi32(_mm_aeskeygenassist_si128(a, 0),  \
			                                  0xaa));                          \
			rk[2 * (i) + 1] = b;                                               \
		}                                                                          \
	} while (0)

GCM_TARGET void
aw_gcm_hkey_init(struct aw_gcm_hkey *k, const uint8_t key[32])
{
	__m128i *rk = (__m128i *)(void *)k->rk, *hp = (__m128i *)(void *)k->hp;
	__m128i a = _mm_loadu_si128((const __m128i *)(const void *)key);
	__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(key + 16));

	rk[0] = a;
	rk[1] = b;
	EXP_PAIR(1, 0x01); EXP_PAIR(2, 0x02); EXP_PAIR(3, 0x04); EXP_PAIR(4, 0x08);
	EXP_PAIR(5, 0x10); EXP_PAIR(6, 0x20); EXP_PAIR(7, 0x40);
	hp[0] = mulx(rev(aes256(k, _mm_setzero_si128())));
	for (unsigned i = 1; i < AW_GCM_HPOW; i++) {
		struct acc m = {_mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128()};

		acc_mul(&m, hp[i - 1], hp[0]);
		hp[i] = acc_reduce(&m);
	}
}

GCM_TARGET void
aw_gcm_tag_blocks(const struct aw_gcm_hkey *k, const uint8_t *p, size_t nblocks,
                  const uint8_t j0[16], uint8_t tag[16])
{
	__m128i y = ghash_blocks(k, _mm_setzero_si128(), p, nblocks);
	__m128i ek = aes256(k, _mm_loadu_si128((const __m128i *)(const void *)j0));

	_mm_storeu_si128((__m128i *)(void *)tag, _mm_xor_si128(rev(y), ek));
}

/* Bytes [0, t) of x kept, the rest zeroed (t in 1..15). */
GCM_TARGET static inline __m128i
keep_low(__m128i x, size_t t)
{
	static const uint8_t ones_zeros[32] = {
	        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	return _mm_and_si128(x, _mm_loadu_si128((const __m128i *)(const void *)(ones_zeros + 16 - t)));
}

GCM_TARGET void
aw_gcm_tag_hdr2_128(const struct aw_gcm_hkey *k, const uint8_t *msg, size_t body_len,
                    const uint8_t j0[16], uint8_t tag[16])
{
	const size_t nb = (body_len + 15) / 16; /* 0..5 */
	const __m128i *hq = (const __m128i *)(const void *)k->hp + nb + 2;
	const uint8_t *p = msg + 32;
	struct acc a = {_mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128()};
	const size_t t = body_len % 16;

	acc_mul(&a, rev(_mm_loadu_si128((const __m128i *)(const void *)msg)), _mm_load_si128(hq));
	acc_mul(&a, rev(_mm_loadu_si128((const __m128i *)(const void *)(msg + 16))),
	        _mm_load_si128(hq - 1));
	hq -= 2;
	if (nb > 0) { /* the last body block, zero-padded: the rest below it */
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * (nb - 1)));

		acc_mul(&a, rev(t != 0 ? keep_low(x, t) : x), _mm_load_si128(hq - (nb - 1)));
		switch (nb) {
		case 5: BLK(3); __attribute__((fallthrough));
		case 4: BLK(2); __attribute__((fallthrough));
		case 3: BLK(1); __attribute__((fallthrough));
		case 2: BLK(0); break;
		default: break;
		}
	}
	/* the lengths block, byte-reversed: bit lengths of the header, body */
	acc_mul(&a, _mm_set_epi64x(32 * 8, (long long)body_len * 8),
	        _mm_load_si128((const __m128i *)(const void *)k->hp));
	__m128i ek = aes256(k, _mm_loadu_si128((const __m128i *)(const void *)j0));
	_mm_storeu_si128((__m128i *)(void *)tag, _mm_xor_si128(rev(acc_reduce(&a)), ek));
}

/* The wide form's power loads start up to five blocks below hp. */
_Static_assert(offsetof(struct aw_gcm_hkey, hp) >= 5 * 16 &&
                       sizeof(((struct aw_gcm_hkey *)0)->hp) == 8 * 16,
               "aw_gcm_tag_hdr2_512 reads K from hp - 5 blocks to hp + 8 blocks");

/* x's four 128-bit lanes xored into one. */
GCM_WIDE_TARGET static inline __m128i
fold4(__m512i x)
{
	__m256i y = _mm256_xor_si256(_mm512_castsi512_si256(x), _mm512_extracti64x4_epi64(x, 1));

	return _mm_xor_si128(_mm256_castsi256_si128(y), _mm256_extracti128_si256(y, 1));
}

/*
 * The blocks of aw_gcm_tag_hdr2 four to a register: the header and body
 * bytes (len = 32 + body_len, 32..112) come in with two masked loads (no
 * byte past the body is read, the padding is zero), the lengths block goes
 * in at block `last`, and one 64-byte reversal per register turns its
 * blocks into POLYVAL's byte order with block 3 - j in lane j. Block i is
 * multiplied by K_(n - i) (n: the blocks, 3..8), so lane j of the first
 * register takes K at hp[n - 4 + j] and of the second hp[n - 8 + j]: two
 * 64-byte loads. Where n < 8 they start below hp, in the round keys of the
 * same struct: those lanes hold zero blocks, whose products are zero.
 * Eight 512-bit multiplies, the middle terms folded in lane by lane, one
 * fold of the lanes, one reduction.
 */
GCM_WIDE_TARGET void
aw_gcm_tag_hdr2_512(const struct aw_gcm_hkey *k, const uint8_t *msg, size_t body_len,
                    const uint8_t j0[16], uint8_t tag[16])
{
	alignas(64) static const uint8_t rev64[64] = {
	        63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48,
	        47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32,
	        31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16,
	        15, 14, 13, 12, 11, 10, 9,  8,  7,  6,  5,  4,  3,  2,  1,  0,
	};
	const size_t len = 32 + body_len;
	const unsigned last = (unsigned)((len + 15) / 16); /* the lengths block: 2..7 */
	const int n = (int)last + 1;
	const __mmask64 m0 = len >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << len) - 1;
	const __mmask64 m1 = len > 64 ? ((__mmask64)1 << (len - 64)) - 1 : 0;
	const __mmask8 l0 = last < 4 ? (__mmask8)(3u << (2 * last)) : 0;
	const __mmask8 l1 = last < 4 ? 0 : (__mmask8)(3u << (2 * (last - 4)));
	/* the lengths block as it stands in memory: bit lengths, big-endian */
	const __m512i lens = _mm512_broadcast_i32x4(
	        _mm_set_epi64x((long long)__builtin_bswap64((uint64_t)body_len * 8),
	                       (long long)__builtin_bswap64(32 * 8)));
	const __m512i idx = _mm512_load_si512((const void *)rev64);
	/* from the struct's start: the loads below hp stay inside the struct */
	const uint8_t *hp = (const uint8_t *)k + offsetof(struct aw_gcm_hkey, hp);
	__m512i x0 = _mm512_mask_mov_epi64(_mm512_maskz_loadu_epi8(m0, msg), l0, lens);
	__m512i x1 = _mm512_mask_mov_epi64(_mm512_maskz_loadu_epi8(m1, msg + 64), l1, lens);
	__m512i p0 = _mm512_loadu_si512((const void *)(hp + 16 * (n - 4)));
	__m512i p1 = _mm512_loadu_si512((const void *)(hp + 16 * (n - 8)));

	x0 = _mm512_permutexvar_epi8(idx, x0);
	x1 = _mm512_permutexvar_epi8(idx, x1);
	__m512i lo = _mm512_xor_si512(_mm512_clmulepi64_epi128(x0, p0, 0x00),
	                              _mm512_clmulepi64_epi128(x1, p1, 0x00));
	__m512i hi = _mm512_xor_si512(_mm512_clmulepi64_epi128(x0, p0, 0x11),
	                              _mm512_clmulepi64_epi128(x1, p1, 0x11));
	__m512i mid = _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(x0, p0, 0x10),
	                                        _mm512_clmulepi64_epi128(x0, p0, 0x01),
	                                        _mm512_clmulepi64_epi128(x1, p1, 0x10), 0x96);
	mid = _mm512_xor_si512(mid, _mm512_clmulepi64_epi128(x1, p1, 0x01));
	__m128i y = poly_reduce(fold4(_mm512_xor_si512(lo, _mm512_bslli_epi128(mid, 8))),
	                        fold4(_mm512_xor_si512(hi, _mm512_bsrli_epi128(mid, 8))));
	__m128i ek = aes256(k, _mm_loadu_si128((const __m128i *)(const void *)j0));

	_mm_storeu_si128((__m128i *)(void *)tag, _mm_xor_si128(rev(y), ek));
}

void
aw_gcm_tag_hdr2(const struct aw_gcm_hkey *k, const uint8_t *msg, size_t body_len,
                const uint8_t j0[16], uint8_t tag[16])
{
	if (cpu_wide)
		aw_gcm_tag_hdr2_512(k, msg, body_len, j0, tag);
	else
		aw_gcm_tag_hdr2_128(k, msg, body_len, j0, tag);
}

/* Y after len bytes at p, the last block zero-padded. */
GCM_TARGET static __m128i
ghash_bytes(const struct aw_gcm_hkey *k, __m128i y, const uint8_t *p, size_t len)
{
	alignas(16) uint8_t last[16] = {0};

	y = ghash_blocks(k, y, p, len / 16);
	if (len % 16 == 0)
		return y;
	memcpy(last, p + len - len % 16, len % 16);
	return ghash_blocks(k, y, last, 1);
}

GCM_TARGET void
aw_gcm_tag(const struct aw_gcm_hkey *k, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
           const uint8_t *ct, size_t ct_len, uint8_t tag[16])
{
	alignas(16) uint8_t lens[16], j0[16];
	uint64_t abits = __builtin_bswap64((uint64_t)aad_len * 8);
	uint64_t cbits = __builtin_bswap64((uint64_t)ct_len * 8);
	__m128i y = _mm_setzero_si128();

	memcpy(lens, &abits, 8);
	memcpy(lens + 8, &cbits, 8);
	memcpy(j0, iv, 12);
	memcpy(j0 + 12, "\0\0\0\1", 4);
	y = ghash_bytes(k, y, aad, aad_len);
	y = ghash_bytes(k, y, ct, ct_len);
	y = ghash_blocks(k, y, lens, 1);
	_mm_storeu_si128((__m128i *)(void *)tag,
	                 _mm_xor_si128(rev(y), aes256(k, _mm_load_si128((const __m128i *)(const void *)j0))));
}
