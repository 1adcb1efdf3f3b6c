/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the tag keys of lib/trs (aw_trs_tkey_init, aw_trs_tverify_burst,
 * aw_trs_tsign_burst): known answers (the MD5 states ipsec-mb computes, the
 * golden messages Python computed), both engines == the aw_trs_key API on
 * random messages of both suites, the ipsec-mb GCM key cache (hits, misses,
 * two keys fighting for one slot, a replaced key never verifying, more keys
 * of one set in a burst than it has ways, two keys of one fingerprint), errors.
 * The 8- and 16-lane HMAC-MD5 kernels alone against OpenSSL: every data
 * length they take, every lane count, lanes at different offsets.
 * Set AW_TRS_TEST_NO_MB=1 to run as on a CPU where intel-ipsec-mb cannot run.
 */
#include "aw_test.h"

#include <stdint.h>
#include <stdlib.h>

#include "aw_trs_crypto.h"
#include "aw_trs_crypto_priv.h" /* aw_trs_ossl_md5_states: the reference */
#include "aw_trs_md5x8.h"

static struct aw_trs_engine *engines[2];
static unsigned n_engines;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

#define rnd() aw_test_rnd(&rng_state)
#define rnd_fill(p, n) aw_test_rnd_fill(&rng_state, (p), (n))

static void
random_hdr(uint8_t *m, uint8_t type)
{
	struct aw_trs_hdr h = {.txid = (uint32_t)rnd(), .flag = (uint8_t)(rnd() & 1),
	                       .type = type, .seq = (uint32_t)rnd()};

	rnd_fill(h.id, sizeof(h.id));
	aw_trs_build(m, 48, &h, NULL, 0);
}

static void
test_engines(void)
{
	const char *no_mb = getenv("AW_TRS_TEST_NO_MB");
	struct aw_trs_engine *e = aw_trs_engine_create(AW_TRS_IMPL_OPENSSL);

	CHECK(e != NULL);
	if (e == NULL)
		exit(1);
	engines[n_engines++] = e;
	if (no_mb == NULL || strcmp(no_mb, "1") != 0)
		e = aw_trs_engine_create(AW_TRS_IMPL_IPSECMB);
	else
		e = NULL;
	if (e != NULL)
		engines[n_engines++] = e;
	else
		printf("NOTE: testing the OpenSSL engine only\n");
}

/* The suite-1 tag key holds the states ipsec-mb computes for the same key;
 * the suite-2 one is enc. */
static void
test_states_kat(void)
{
	uint8_t key[32], tk[AW_TRS_TKEY_LEN], tk2[AW_TRS_TKEY_LEN];
	struct aw_trs_key k;

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(3 * i + 1);
	CHECK_EQ(aw_trs_tkey_init(tk, key, AW_TRS_SUITE_CBC_HMAC_MD5), AW_TRS_OK);
	CHECK_EQ(aw_trs_key_init(&k, key, AW_TRS_SUITE_CBC_HMAC_MD5), AW_TRS_OK);
	if (k.mb_ready) {
		CHECK_MEM(tk, k.mb.cbc.ipad, 16);
		CHECK_MEM(tk + 16, k.mb.cbc.opad, 16);
	}
	CHECK_EQ(aw_trs_tkey_init(tk2, key, AW_TRS_SUITE_AES_GCM), AW_TRS_OK);
	CHECK_MEM(tk2, k.enc, 32); /* suite 2: the GCM key itself */
	CHECK(memcmp(tk, tk2, 32) != 0);
	CHECK_EQ(aw_trs_tkey_init(tk, key, 3), AW_TRS_E_BAD_SUITE);
	CHECK_EQ(aw_trs_tkey_init(NULL, key, 1), AW_TRS_E_BAD_ARG);
}

/* The golden messages of test_trs_crypto (K = 00..1f): verified with tag keys. */
static void
test_golden(void)
{
	static const char s1[] = "01020304010151000000000700500000a0a1a2a3a4a5a6a7a8a9aaabacadaeaff0f1f2f3f4f5f6f7"
	                         "f8f9fafbfcfdfeff184a8c54627f771f0cd77bc2f5a51a0a306aef9ba82b8a3678e1c52a6521e329";
	static const char s2[] = "010203040101510000000007003c0000a0a1a2a3a4a5a6a7a8a9aaabacad"
	                         "aeaf20d6989ce2945557162454164d3059af9830e0f68b99424caca1d6e0";
	uint8_t key[32], tk1[32], tk2[32], m1[80], m2[60];

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(m1); i++)
		sscanf(s1 + 2 * i, "%2hhx", &m1[i]);
	for (size_t i = 0; i < sizeof(m2); i++)
		sscanf(s2 + 2 * i, "%2hhx", &m2[i]);
	CHECK_EQ(aw_trs_tkey_init(tk1, key, 1), AW_TRS_OK);
	CHECK_EQ(aw_trs_tkey_init(tk2, key, 2), AW_TRS_OK);
	for (unsigned e = 0; e < n_engines; e++) {
		struct aw_trs_treq r[3] = {{tk1, m1, sizeof(m1), 1}, {tk2, m2, sizeof(m2), 2},
		                           {tk1, m2, sizeof(m2), 1}};
		int res[3];

		CHECK_EQ(aw_trs_tverify_burst(engines[e], r, 3, res), 2);
		CHECK_EQ(res[0], AW_TRS_OK);
		CHECK_EQ(res[1], AW_TRS_OK);
		CHECK_EQ(res[2], AW_TRS_E_BAD_TAG);
	}
}

/* Random messages of both suites and 6 keys, some damaged: tverify == verify
 * with the aw_trs_key of the same key, tsign == sign byte for byte. */
static void
test_equals_key_api(void)
{
	enum { N = 90, K = 6 };
	static uint8_t a[N][400], b[N][400];
	struct aw_trs_key keys[K];
	uint8_t tks[K][AW_TRS_TKEY_LEN], key[32];
	struct aw_trs_treq req[N];
	int res[N], want[N];
	unsigned kn[N], want_ok = 0;

	for (int i = 0; i < K; i++) {
		rnd_fill(key, sizeof(key));
		CHECK_EQ(aw_trs_key_init(&keys[i], key, 1 + (unsigned)(i & 1)), AW_TRS_OK);
		CHECK_EQ(aw_trs_tkey_init(tks[i], key, 1 + (unsigned)(i & 1)), AW_TRS_OK);
	}
	for (unsigned e = 0; e < n_engines; e++) {
		for (int i = 0; i < N; i++) {
			size_t body = i % 7 == 0 ? 0 : rnd() % 340, len = 0; /* past 256: the long GCM path */

			kn[i] = (unsigned)(rnd() % K);
			random_hdr(a[i], AW_TRS_T_HOLE_PUNCHING);
			rnd_fill(a[i] + AW_TRS_HDR_LEN, body);
			memcpy(b[i], a[i], sizeof(a[i]));
			CHECK_EQ(aw_trs_sign(engines[0], &keys[kn[i]], a[i], sizeof(a[i]), body, &len),
			         AW_TRS_OK);
			req[i] = (struct aw_trs_treq){tks[kn[i]], b[i], (uint16_t)body, keys[kn[i]].suite};
		}
		CHECK_EQ(aw_trs_tsign_burst(engines[e], req, N, res), N);
		for (int i = 0; i < N; i++)
			CHECK_MEM(a[i], b[i], sizeof(a[i]));
		want_ok = 0;
		for (int i = 0; i < N; i++) {
			size_t len = AW_TRS_MIN_LEN + req[i].len;
			unsigned k = kn[i];

			if (i % 3 == 1)
				b[i][rnd() % len] ^= 0x04;
			if (i % 11 == 4)
				k = (k + 2) % K; /* same suite, another key */
			if (i % 13 == 6)
				len = 40;
			req[i] = (struct aw_trs_treq){tks[k], b[i], (uint16_t)len, keys[k].suite};
			want[i] = aw_trs_verify(engines[0], &keys[k], b[i], len);
			want_ok += want[i] == AW_TRS_OK;
		}
		CHECK(want_ok > 20 && want_ok < N);
		memset(res, 0x55, sizeof(res));
		CHECK_EQ(aw_trs_tverify_burst(engines[e], req, N, res), want_ok);
		CHECK_MEM(res, want, sizeof(want));
		CHECK_EQ(aw_trs_tverify_burst(engines[e], req, 0, res), 0);
	}
	CHECK_EQ(aw_trs_tverify_burst(NULL, req, N, res), 0);
}

#define NK (AW_TRS_GCM_WAYS + 1)
_Static_assert(AW_TRS_GCM_WAYS >= 3, "test_gcm_cache's sequence needs 3 ways or more");

/* NK suite-2 tag keys that map to the same cache set (one more than its
 * ways). */
static void
colliding_keys(uint8_t tk[NK][32])
{
	uint8_t key[32];
	uint32_t w0 = 0, w;

	for (int i = 0; i < NK; i++) {
		do {
			rnd_fill(key, sizeof(key));
			aw_trs_tkey_init(tk[i], key, 2);
			memcpy(&w, tk[i], 4);
			if (i == 0)
				w0 = w;
		} while (((w ^ w0) & (AW_TRS_GCM_CACHE / AW_TRS_GCM_WAYS - 1)) != 0);
	}
}

static int
tverify1(struct aw_trs_engine *e, const uint8_t *tk, uint8_t *m, size_t len)
{
	struct aw_trs_treq r = {tk, m, (uint16_t)len, 2};
	int res = -1;

	aw_trs_tverify_burst(e, &r, 1, &res);
	return res;
}

/* The GCM key cache: a repeat hits; one key more than a set's ways evicts
 * the least recently used; each message verifies only with its own key,
 * whatever the set holds. */
static void
test_gcm_cache(void)
{
	uint8_t tk[NK][32], m[NK][100];
	uint64_t h0, m0, h1, m1;

	colliding_keys(tk);
	for (unsigned e = 0; e < n_engines; e++) {
		struct aw_trs_engine *en = engines[e];
		int res;

		for (int i = 0; i < NK; i++) {
			struct aw_trs_treq r = {tk[i], m[i], 40, 2};
			random_hdr(m[i], AW_TRS_T_KEEP_ALIVE);
			CHECK_EQ(aw_trs_tsign_burst(en, &r, 1, &res), 1);
		}
		aw_trs_engine_gcm_stats(en, &h0, &m0);
		for (int i = 0; i < AW_TRS_GCM_WAYS; i++) /* misses: the set fills */
			CHECK_EQ(tverify1(en, tk[i], m[i], 88), AW_TRS_OK);
		CHECK_EQ(tverify1(en, tk[0], m[0], 88), AW_TRS_OK);        /* hit */
		CHECK_EQ(tverify1(en, tk[1], m[0], 88), AW_TRS_E_BAD_TAG); /* hit */
		/* least recent first: 2, 3, ..., 0, 1 */
		CHECK_EQ(tverify1(en, tk[NK - 1], m[NK - 1], 88), AW_TRS_OK); /* miss: evicts 2 */
		CHECK_EQ(tverify1(en, tk[2], m[2], 88), AW_TRS_OK);           /* miss: evicts 3 or NK-1 */
		CHECK_EQ(tverify1(en, tk[0], m[0], 88), AW_TRS_OK);           /* hit */
		CHECK_EQ(tverify1(en, tk[1], m[1], 88), AW_TRS_OK);           /* hit */
		CHECK_EQ(tverify1(en, tk[0], m[1], 88), AW_TRS_E_BAD_TAG);    /* hit */
		aw_trs_engine_gcm_stats(en, &h1, &m1);
		if (aw_trs_engine_impl(en) == AW_TRS_IMPL_IPSECMB) {
			CHECK_EQ(h1 - h0, 5);
			CHECK_EQ(m1 - m0, AW_TRS_GCM_WAYS + 2);
		} else {
			CHECK_EQ(h1 + m1, 0);
		}
	}
}

/* NK keys of one set in one burst, twice over and shuffled, one message
 * altered: the burst needs more ways than the set has while every key is
 * still to be used (ipsec-mb ends a lookup phase there). Signed by every
 * engine, verified by every engine: the tags agree. */
static void
test_gcm_cache_burst(void)
{
	enum { N = 3 * NK };
	uint8_t tk[NK][32], m[N][100];
	struct aw_trs_treq req[N];
	int res[N], want[N];

	for (unsigned s = 0; s < n_engines; s++) {
		uint64_t h0, m0, h1, m1;

		/* new keys, one message each: every key expanded once (none
		 * replaces a way another key of the burst still needs) */
		colliding_keys(tk);
		for (int i = 0; i < NK; i++) {
			req[i] = (struct aw_trs_treq){tk[i], m[i], 40, 2};
			random_hdr(m[i], AW_TRS_T_KEEP_ALIVE);
		}
		aw_trs_engine_gcm_stats(engines[s], &h0, &m0);
		CHECK_EQ(aw_trs_tsign_burst(engines[s], req, NK, res), NK);
		aw_trs_engine_gcm_stats(engines[s], &h1, &m1);
		if (aw_trs_engine_impl(engines[s]) == AW_TRS_IMPL_IPSECMB)
			CHECK_EQ(m1 - m0, NK);
		CHECK_EQ(h1, h0);
		for (int i = 0; i < N; i++) {
			const int k = (i * 7 + i / NK) % NK;
			req[i] = (struct aw_trs_treq){tk[k], m[i], 40, 2};
			random_hdr(m[i], AW_TRS_T_KEEP_ALIVE);
		}
		CHECK_EQ(aw_trs_tsign_burst(engines[s], req, N, res), N);
		for (int i = 0; i < N; i++) {
			req[i].len = 88;
			want[i] = AW_TRS_OK;
		}
		m[N / 2][40] ^= 0x10; /* a body byte: its tag no longer matches */
		want[N / 2] = AW_TRS_E_BAD_TAG;
		for (unsigned v = 0; v < n_engines; v++) {
			memset(res, 0x55, sizeof(res));
			CHECK_EQ(aw_trs_tverify_burst(engines[v], req, N, res), N - 1);
			CHECK_MEM(res, want, sizeof(want));
		}
	}
}

/* Two keys of one set whose first eight bytes are equal (the set's index
 * and ipsec-mb's fingerprint of a way): each message verifies with its own
 * key only, cached or not, alone or in one burst with the other. */
static void
test_gcm_fingerprint(void)
{
	uint8_t tk[2][32], m[4][100];
	struct aw_trs_treq req[4];
	int res[4];

	rnd_fill(tk[0], 32);
	memcpy(tk[1], tk[0], 32);
	tk[1][20] ^= 0x01;
	for (unsigned e = 0; e < n_engines; e++) {
		struct aw_trs_engine *en = engines[e];

		for (int i = 0; i < 4; i++) {
			req[i] = (struct aw_trs_treq){tk[i & 1], m[i], 40, 2};
			random_hdr(m[i], AW_TRS_T_KEEP_ALIVE);
		}
		CHECK_EQ(aw_trs_tsign_burst(en, req, 4, res), 4);
		CHECK_EQ(tverify1(en, tk[0], m[0], 88), AW_TRS_OK);
		CHECK_EQ(tverify1(en, tk[1], m[1], 88), AW_TRS_OK);
		CHECK_EQ(tverify1(en, tk[1], m[0], 88), AW_TRS_E_BAD_TAG);
		CHECK_EQ(tverify1(en, tk[0], m[1], 88), AW_TRS_E_BAD_TAG);
		for (int i = 0; i < 4; i++)
			req[i].len = 88;
		CHECK_EQ(aw_trs_tverify_burst(en, req, 4, res), 4);
		for (int i = 0; i < 4; i++) /* each message against the other key */
			req[i].tk = tk[(i & 1) ^ 1];
		CHECK_EQ(aw_trs_tverify_burst(en, req, 4, res), 0);
		for (int i = 0; i < 4; i++)
			CHECK_EQ(res[i], AW_TRS_E_BAD_TAG);
	}
}

static void
test_errors(void)
{
	uint8_t tk[32] = {0}, m[64] = {0};
	int res[4];

	random_hdr(m, AW_TRS_T_KEEP_ALIVE);
	for (unsigned e = 0; e < n_engines; e++) {
		struct aw_trs_treq r[4] = {{NULL, m, 48, 1}, {tk, m, 48, 9}, {tk, m, 47, 1},
		                           {tk, m, 60, 2}};

		CHECK_EQ(aw_trs_tverify_burst(engines[e], r, 4, res), 0);
		CHECK_EQ(res[0], AW_TRS_E_BAD_ARG);
		CHECK_EQ(res[1], AW_TRS_E_BAD_SUITE);
		CHECK_EQ(res[2], AW_TRS_E_TRUNCATED);
		CHECK_EQ(res[3], AW_TRS_E_LEN_MISMATCH); /* msg_len says 48 */
		r[0] = (struct aw_trs_treq){tk, m, AW_TRS_MAX_LEN, 1};
		CHECK_EQ(aw_trs_tsign_burst(engines[e], r, 1, res), 0);
		CHECK_EQ(res[0], AW_TRS_E_NO_SPACE);
	}
}

typedef void (*md5xn_fn)(const uint8_t *const st[], const uint8_t *const msg[],
                         const size_t len[], unsigned n, uint8_t *const out[]);

/* kernel == OpenSSL's HMAC-MD5 from the same states for every data length
 * of 0..247 (1..4 inner blocks) and every lane count 1..L; the lanes' data
 * at odd offsets, tags only written for the n lanes asked. */
static void
check_md5_kernel(md5xn_fn kernel, unsigned L)
{
	enum { LMAX = AW_MD5X16_LANES, MAXD = AW_MD5X8_MAX_BLOCKS * 64 - 9 };
	static uint8_t data[LMAX][MAXD + 8];
	uint8_t st[LMAX][32], out[LMAX][16], want[16], fence[16];
	const uint8_t *sp[LMAX], *mp[LMAX];
	uint8_t *op[LMAX];
	size_t len[LMAX];
	unsigned bad = 0, tags = 0;

	rnd_fill(&st[0][0], sizeof(st));
	rnd_fill(&data[0][0], sizeof(data));
	memset(fence, 0xa5, sizeof(fence));
	for (size_t d = 0; d <= MAXD; d++) {
		for (unsigned n = 1; n <= L; n++) {
			for (unsigned l = 0; l < L; l++) {
				/* same block count for every lane: d, or down to the
				 * shortest length with as many blocks */
				const unsigned nb = aw_md5x8_blocks(d);
				const size_t lo = nb == 1 ? 0 : 64 * (size_t)(nb - 1) - 8;
				const size_t cut = d - lo < 5 * (size_t)l ? d - lo : 5 * (size_t)l;

				len[l] = d - cut;
				sp[l] = st[(l + d) % L];
				mp[l] = data[l] + (l & 7);
				op[l] = out[l];
				memcpy(out[l], fence, 16);
			}
			kernel(sp, mp, len, n, op);
			for (unsigned l = 0; l < L; l++) {
				if (l >= n) {
					bad += memcmp(out[l], fence, 16) != 0;
					continue;
				}
				CHECK_EQ(aw_trs_ossl_md5_states(sp[l], mp[l], len[l], want), AW_TRS_OK);
				bad += memcmp(out[l], want, 16) != 0;
				tags++;
			}
		}
	}
	CHECK_EQ(tags, (MAXD + 1) * L * (L + 1) / 2);
	CHECK_EQ(bad, 0);
}

/* The AVX2 (8 lanes) and AVX-512F (16 lanes) HMAC-MD5 kernels alone, each
 * where this CPU runs it, and the dispatcher the bursts use. */
static void
test_md5x8_kernel(void)
{
	const unsigned lanes = aw_md5x8_lanes();

	CHECK_EQ(aw_md5x8_blocks(AW_MD5X8_MAX_BLOCKS * 64 - 9), AW_MD5X8_MAX_BLOCKS);
	CHECK_EQ(aw_md5x8_blocks(AW_MD5X8_MAX_BLOCKS * 64 - 8), AW_MD5X8_MAX_BLOCKS + 1);
	CHECK(lanes == 0 || lanes == AW_MD5X8_LANES || lanes == AW_MD5X16_LANES);
	if (aw_md5x8_usable())
		check_md5_kernel(aw_md5x8_hmac, AW_MD5X8_LANES);
	if (lanes == AW_MD5X16_LANES)
		check_md5_kernel(aw_md5x16_hmac, AW_MD5X16_LANES);
	if (lanes != 0)
		check_md5_kernel(aw_md5xn_hmac, lanes);
	printf("     md5 kernels: widest %u lanes\n", lanes);
}

static void
test_cleanup(void)
{
	for (unsigned e = 0; e < n_engines; e++)
		aw_trs_engine_free(engines[e]);
	CHECK(n_engines >= 1);
}

AW_TEST_MAIN(AW_TEST(test_engines), AW_TEST(test_states_kat), AW_TEST(test_golden),
             AW_TEST(test_equals_key_api), AW_TEST(test_gcm_cache), AW_TEST(test_gcm_cache_burst),
             AW_TEST(test_gcm_fingerprint), AW_TEST(test_errors),
             AW_TEST(test_md5x8_kernel),              AW_TEST(test_cleanup))
