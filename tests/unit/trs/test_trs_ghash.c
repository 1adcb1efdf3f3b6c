/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/trs/aw_trs_ghash.c (AES-256-GCM tags on PCLMULQDQ and
 * AES-NI) against OpenSSL's AES-256-GCM: every AAD length and every
 * ciphertext length 0..256 with random keys, IVs and data, and the block
 * form against the same tags; the TRS message form in both its 128-bit and
 * 512-bit (VPCLMULQDQ) versions, the latter also at a page's end to prove
 * it reads nothing past the body. On a CPU without the instructions the
 * module must say so and the checks are skipped (printed).
 */
#include "aw_test.h"
#include "aw_trs_ghash.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAXLEN 256

/* OpenSSL's tag of AES-256-GCM over aad and plaintext pt; ct gets the
 * ciphertext. */
static void
ossl_tag(const uint8_t key[32], const uint8_t iv[12], const uint8_t *aad, size_t alen,
         const uint8_t *pt, size_t plen, uint8_t *ct, uint8_t tag[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0;

	CHECK(c != NULL);
	if (c == NULL)
		return;
	CHECK(EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv) == 1);
	if (alen > 0)
		CHECK(EVP_EncryptUpdate(c, NULL, &n, aad, (int)alen) == 1);
	if (plen > 0)
		CHECK(EVP_EncryptUpdate(c, ct, &n, pt, (int)plen) == 1);
	CHECK(EVP_EncryptFinal_ex(c, ct + plen, &n) == 1);
	CHECK(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1);
	EVP_CIPHER_CTX_free(c);
}

/* Every (aad length, ciphertext length) in 0..MAXLEN, a new key per AAD
 * length, misaligned buffers. */
static void
test_tag_all_lengths(void)
{
	static uint8_t aad[MAXLEN + 1], pt[MAXLEN + 1], ct[MAXLEN + 1 + 16];
	struct aw_gcm_hkey *k = aligned_alloc(16, sizeof(*k));
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	uint8_t key[32], iv[12], want[16], got[16];
	unsigned bad = 0;

	CHECK(k != NULL);
	if (k == NULL)
		return;
	for (size_t alen = 0; alen <= MAXLEN; alen++) {
		aw_test_rnd_fill(&seed, key, sizeof(key));
		aw_gcm_hkey_init(k, key);
		for (size_t plen = 0; plen <= MAXLEN; plen++) {
			aw_test_rnd_fill(&seed, iv, sizeof(iv));
			aw_test_rnd_fill(&seed, aad + 1, alen);
			aw_test_rnd_fill(&seed, pt, plen);
			ossl_tag(key, iv, aad + 1, alen, pt, plen, ct + 1, want);
			aw_gcm_tag(k, iv, aad + 1, alen, ct + 1, plen, got);
			bad += memcmp(want, got, 16) != 0;
		}
	}
	CHECK_EQ(bad, 0);
	free(k);
}

/* The block form: AAD and ciphertext zero-padded and laid out with the
 * lengths block, as the ipsec-mb engine does for a TRS message. */
static void
test_tag_blocks(void)
{
	static uint8_t aad[MAXLEN], pt[MAXLEN], ct[MAXLEN + 16];
	static uint8_t blocks[2 * MAXLEN + 32];
	struct aw_gcm_hkey *k = aligned_alloc(16, sizeof(*k));
	uint64_t seed = 0x1234567887654321ull;
	uint8_t key[32], j0[16], want[16], got[16];
	unsigned bad = 0;

	CHECK(k != NULL);
	if (k == NULL)
		return;
	aw_test_rnd_fill(&seed, key, sizeof(key));
	aw_gcm_hkey_init(k, key);
	for (size_t alen = 0; alen <= 64; alen += 16)
		for (size_t plen = 0; plen <= MAXLEN; plen++) {
			size_t ap = (alen + 15) / 16 * 16, cp = (plen + 15) / 16 * 16;
			uint64_t abits = __builtin_bswap64(alen * 8), cbits = __builtin_bswap64(plen * 8);

			aw_test_rnd_fill(&seed, j0, 12);
			memcpy(j0 + 12, "\0\0\0\1", 4);
			aw_test_rnd_fill(&seed, aad, alen);
			aw_test_rnd_fill(&seed, pt, plen);
			ossl_tag(key, j0, aad, alen, pt, plen, ct, want);
			memset(blocks, 0, sizeof(blocks));
			memcpy(blocks, aad, alen);
			memcpy(blocks + ap, ct, plen);
			memcpy(blocks + ap + cp, &abits, 8);
			memcpy(blocks + ap + cp + 8, &cbits, 8);
			aw_gcm_tag_blocks(k, blocks, ap / 16 + cp / 16 + 1, j0, got);
			bad += memcmp(want, got, 16) != 0;
		}
	CHECK_EQ(bad, 0);
	free(k);
}

typedef void hdr2_fn(const struct aw_gcm_hkey *, const uint8_t *, size_t, const uint8_t *,
                     uint8_t *);

/* One message at msg (its header random, the body the encryption of
 * blen random bytes under key / k): 1 when tag_fn's tag differs from
 * OpenSSL's. */
static unsigned
hdr2_differs(hdr2_fn *tag_fn, const struct aw_gcm_hkey *k, const uint8_t key[32], uint8_t *msg,
             size_t blen, uint64_t *seed)
{
	uint8_t j0[16], pt[AW_GCM_HDR2_BODY_MAX], ct[AW_GCM_HDR2_BODY_MAX + 16], want[16], got[16];

	aw_test_rnd_fill(seed, j0, 12);
	memcpy(j0 + 12, "\0\0\0\1", 4);
	aw_test_rnd_fill(seed, msg, 32);
	aw_test_rnd_fill(seed, pt, blen);
	ossl_tag(key, j0, msg, 32, pt, blen, ct, want);
	memcpy(msg + 32, ct, blen);
	tag_fn(k, msg, blen, j0, got);
	return memcmp(want, got, 16) != 0;
}

/* The in-place form for a 32-byte header and bodies of 0..80 bytes, the
 * 15 bytes after the body random (the 128-bit form reads them, never
 * hashes them). */
static void
check_hdr2(hdr2_fn *tag_fn)
{
	static uint8_t msg[32 + AW_GCM_HDR2_BODY_MAX + 16];
	struct aw_gcm_hkey *k = aligned_alloc(16, sizeof(*k));
	uint64_t seed = 0x5555aaaa12345678ull;
	uint8_t key[32];
	unsigned bad = 0;

	CHECK(k != NULL);
	if (k == NULL)
		return;
	for (int round = 0; round < 20; round++) {
		aw_test_rnd_fill(&seed, key, sizeof(key));
		aw_gcm_hkey_init(k, key);
		for (size_t blen = 0; blen <= AW_GCM_HDR2_BODY_MAX; blen++) {
			aw_test_rnd_fill(&seed, msg, sizeof(msg)); /* past the body too */
			bad += hdr2_differs(tag_fn, k, key, msg, blen, &seed);
		}
	}
	CHECK_EQ(bad, 0);
	free(k);
}

/* The wide form reads nothing past the body: each message ends where an
 * inaccessible page begins (a read past it would fault). */
static void
check_hdr2_512_no_overread(void)
{
	const size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct aw_gcm_hkey *k = aligned_alloc(16, sizeof(*k));
	uint64_t seed = 0x0123456789abcdefull;
	uint8_t key[32];
	unsigned bad = 0;

	CHECK(map != MAP_FAILED && k != NULL);
	if (map == MAP_FAILED || k == NULL)
		return;
	CHECK_EQ(mprotect(map + pg, pg, PROT_NONE), 0);
	aw_test_rnd_fill(&seed, key, sizeof(key));
	aw_gcm_hkey_init(k, key);
	for (size_t blen = 0; blen <= AW_GCM_HDR2_BODY_MAX; blen++)
		bad += hdr2_differs(aw_gcm_tag_hdr2_512, k, key, map + pg - 32 - blen, blen, &seed);
	CHECK_EQ(bad, 0);
	free(k);
	munmap(map, 2 * pg);
}

/* Both forms, and the one aw_gcm_tag_hdr2 picks. */
static void
test_tag_hdr2(void)
{
	check_hdr2(aw_gcm_tag_hdr2);
	check_hdr2(aw_gcm_tag_hdr2_128);
	if (!aw_gcm_wide_usable()) {
		printf("skip: no AVX-512 VPCLMULQDQ here: the 512-bit form is not checked\n");
		return;
	}
	check_hdr2(aw_gcm_tag_hdr2_512);
	check_hdr2_512_no_overread();
}

/* A known answer: NIST GCM test case 14 (AES-256, zero key, zero IV, one
 * zero block of plaintext). */
static void
test_known_answer(void)
{
	static const uint8_t want[16] = {0xd0, 0xd1, 0xc8, 0xa7, 0x99, 0x99, 0x6b, 0xf0,
	                                 0x26, 0x5b, 0x98, 0xb5, 0xd4, 0x8a, 0xb9, 0x19};
	static const uint8_t ct[16] = {0xce, 0xa7, 0x40, 0x3d, 0x4d, 0x60, 0x6b, 0x6e,
	                               0x07, 0x4e, 0xc5, 0xd3, 0xba, 0xf3, 0x9d, 0x18};
	struct aw_gcm_hkey *k = aligned_alloc(16, sizeof(*k));
	uint8_t key[32] = {0}, iv[12] = {0}, got[16];

	CHECK(k != NULL);
	if (k == NULL)
		return;
	aw_gcm_hkey_init(k, key);
	aw_gcm_tag(k, iv, NULL, 0, ct, sizeof(ct), got);
	CHECK_MEM(got, want, 16);
	free(k);
}

static void
test_all(void)
{
	if (!aw_gcm_own_usable()) {
		printf("skip: no PCLMULQDQ / AES-NI / AVX here\n");
		return;
	}
	test_known_answer();
	test_tag_blocks();
	test_tag_hdr2();
	test_tag_all_lengths();
}

AW_TEST_MAIN(AW_TEST(test_all))
