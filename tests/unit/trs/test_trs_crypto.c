/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/trs cipher suites: known answers (NIST SP 800-38A F.2.5,
 * RFC 2202, McGrew/Viega GCM test cases 13-16, our KDF, whole messages
 * computed with Python's hmac/cryptography), OpenSSL == intel-ipsec-mb on
 * random messages, tag forgery, burst verify, error codes.
 * Set AW_TRS_TEST_NO_MB=1 to run as on a CPU where intel-ipsec-mb cannot run.
 */
#include "aw_test.h"

#include <stdint.h>
#include <stdlib.h>

#include "aw_trs_crypto.h"

/* python3: hmac/hashlib + cryptography; K = 00..1f, header txid 01020304,
 * flag R, TUNNEL_REQUEST, seq 7, id a0..af; suite 1 IV f0..ff. */
static const uint8_t golden_suite1[80] = {
        0x01, 0x02, 0x03, 0x04, 0x01, 0x01, 0x51, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x50,
        0x00, 0x00, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
        0xac, 0xad, 0xae, 0xaf, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9,
        0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff, 0x18, 0x4a, 0x8c, 0x54, 0x62, 0x7f, 0x77, 0x1f,
        0x0c, 0xd7, 0x7b, 0xc2, 0xf5, 0xa5, 0x1a, 0x0a, 0x30, 0x6a, 0xef, 0x9b, 0xa8, 0x2b,
        0x8a, 0x36, 0x78, 0xe1, 0xc5, 0x2a, 0x65, 0x21, 0xe3, 0x29};
static const uint8_t golden_suite2[60] = {
        0x01, 0x02, 0x03, 0x04, 0x01, 0x01, 0x51, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x3c, 0x00,
        0x00, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad,
        0xae, 0xaf, 0x20, 0xd6, 0x98, 0x9c, 0xe2, 0x94, 0x55, 0x57, 0x16, 0x24, 0x54, 0x16, 0x4d,
        0x30, 0x59, 0xaf, 0x98, 0x30, 0xe0, 0xf6, 0x8b, 0x99, 0x42, 0x4c, 0xac, 0xa1, 0xd6, 0xe0};
static const uint8_t golden_sign1[53] = {
        0x01, 0x02, 0x03, 0x04, 0x01, 0x01, 0x51, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x35,
        0x00, 0x00, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
        0xac, 0xad, 0xae, 0xaf, 0x01, 0x02, 0x03, 0x04, 0x05, 0xac, 0xfc, 0x3f, 0x21, 0x41,
        0xd1, 0xc2, 0x23, 0x02, 0xba, 0x49, 0x05, 0x23, 0x11, 0xa6, 0x9c};
static const uint8_t golden_sign2[48] = {0x01, 0x02, 0x03, 0x04, 0x01, 0x01, 0x51, 0x00, 0x00, 0x00,
                                         0x00, 0x07, 0x00, 0x30, 0x00, 0x00, 0xa0, 0xa1, 0xa2, 0xa3,
                                         0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad,
                                         0xae, 0xaf, 0xf2, 0xf5, 0x3e, 0x7a, 0x60, 0x19, 0x33, 0xda,
                                         0xdc, 0x17, 0x6b, 0xcf, 0x05, 0x3d, 0xc2, 0x37};
static const uint8_t golden_sign2b[53] = {
        0x01, 0x02, 0x03, 0x04, 0x01, 0x01, 0x51, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x35,
        0x00, 0x00, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
        0xac, 0xad, 0xae, 0xaf, 0x01, 0x02, 0x03, 0x04, 0x05, 0xc6, 0xe3, 0x0c, 0x2c, 0x0b,
        0xd2, 0x5b, 0xcd, 0xa1, 0x3b, 0xb3, 0xc3, 0xfa, 0x56, 0xeb, 0x56};

static struct aw_trs_engine *ossl, *mb;
static struct aw_trs_engine *engines[2];
static unsigned n_engines;
static uint64_t rng_state = 0x243f6a8885a308d3ull;

#define rnd() aw_test_rnd(&rng_state)
#define rnd_fill(p, n) aw_test_rnd_fill(&rng_state, (p), (n))

static size_t
unhex(const char *s, uint8_t *out)
{
	size_t n = 0;

	for (; s[0] && s[1]; s += 2) {
		unsigned v;

		sscanf(s, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void
test_engines(void)
{
	const char *no_mb = getenv("AW_TRS_TEST_NO_MB");

	ossl = aw_trs_engine_create(AW_TRS_IMPL_OPENSSL);
	CHECK(ossl != NULL);
	if (ossl == NULL)
		exit(1);
	engines[n_engines++] = ossl;
	CHECK_EQ(aw_trs_engine_impl(ossl), AW_TRS_IMPL_OPENSSL);
	if (no_mb == NULL || strcmp(no_mb, "1") != 0)
		mb = aw_trs_engine_create(AW_TRS_IMPL_IPSECMB);
	if (mb == NULL) {
		printf("NOTE: intel-ipsec-mb cannot run here (no AES-NI, init failed or "
		       "AW_TRS_TEST_NO_MB=1): testing the OpenSSL engine only\n");
	} else {
		engines[n_engines++] = mb;
		CHECK_EQ(aw_trs_engine_impl(mb), AW_TRS_IMPL_IPSECMB);
	}
	for (unsigned i = 0; i < n_engines; i++)
		printf("engine: %s\n", aw_trs_engine_desc(engines[i]));
	CHECK(aw_trs_engine_create((enum aw_trs_impl)7) == NULL);
	aw_trs_engine_free(NULL);
}

static void
test_kdf(void)
{
	uint8_t key[32], enc[32], mac[32], want[32];
	struct aw_trs_key k;

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	CHECK_EQ(aw_trs_kdf(key, enc, mac), AW_TRS_OK);
	unhex("112e4110f2fe12830ca74c619ce6eb2cee2ffde75564e052af6b3954eff74367", want);
	CHECK_MEM(enc, want, 32);
	unhex("9dc003faa4414c96f39db8f90d87ea780144b93f7e060b6093ca2898eead3c8f", want);
	CHECK_MEM(mac, want, 32);
	CHECK_EQ(aw_trs_key_init(&k, key, AW_TRS_SUITE_CBC_HMAC_MD5), AW_TRS_OK);
	CHECK_MEM(k.enc, enc, 32);
	CHECK_MEM(k.mac, mac, 32);
	CHECK_EQ(k.suite, 1);
	CHECK_EQ(sizeof(k), 1152);
	CHECK_EQ(_Alignof(struct aw_trs_key), 64);
	CHECK(mb == NULL || k.mb_ready);
	aw_trs_key_wipe(&k);
	CHECK_EQ(k.suite, 0);
	CHECK_EQ(aw_trs_key_init(&k, key, 0), AW_TRS_E_BAD_SUITE);
	CHECK_EQ(aw_trs_key_init(&k, key, 3), AW_TRS_E_BAD_SUITE);
	CHECK_EQ(aw_trs_key_init(NULL, key, 1), AW_TRS_E_BAD_ARG);
	CHECK_EQ(aw_trs_kdf(NULL, enc, mac), AW_TRS_E_BAD_ARG);
}

static void
test_kat_hmac_md5(void)
{
	static const struct {
		uint8_t key_byte;
		size_t key_len;
		const char *data; /* NULL: data_len bytes of data_byte */
		uint8_t data_byte;
		size_t data_len;
		const char *mac;
	} tc[] = {
	        /* RFC 2202 section 2, test cases 1-7 (case 4's key is 01..19) */
	        {0x0b, 16, "Hi There", 0, 0, "9294727a3638bb1c13f48ef8158bfc9d"},
	        {0, 4, "what do ya want for nothing?", 0, 0, "750c783e6ab0b503eaa86e310a5db738"},
	        {0xaa, 16, NULL, 0xdd, 50, "56be34521d144c88dbb8c733f0e8b3f6"},
	        {0x01, 25, NULL, 0xcd, 50, "697eaf0aca3a3aea3a75164746ffaa79"},
	        {0x0c, 16, "Test With Truncation", 0, 0, "56461ef2342edc00f9bab995690efd4c"},
	        {0xaa, 80, "Test Using Larger Than Block-Size Key - Hash Key First", 0, 0,
	         "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"},
	        {0xaa, 80,
	         "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data", 0, 0,
	         "6f630fad67cda0ee1fb1f562db3aa53e"},
	};

	for (unsigned e = 0; e < n_engines; e++) {
		for (size_t i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
			uint8_t key[80], data[128], out[16], want[16];
			size_t dl = tc[i].data ? strlen(tc[i].data) : tc[i].data_len;

			if (i == 1)
				memcpy(key, "Jefe", 4);
			else if (i == 3)
				for (int b = 0; b < 25; b++)
					key[b] = (uint8_t)(b + 1);
			else
				memset(key, tc[i].key_byte, tc[i].key_len);
			if (tc[i].data)
				memcpy(data, tc[i].data, dl);
			else
				memset(data, tc[i].data_byte, dl);
			unhex(tc[i].mac, want);
			CHECK_EQ(aw_trs_hmac_md5(engines[e], key, tc[i].key_len, data, dl, out),
			         AW_TRS_OK);
			CHECK_MEM(out, want, 16);
		}
	}
}

static void
test_kat_aes_cbc(void)
{
	/* NIST SP 800-38A F.2.5 CBC-AES256.Encrypt (F.2.6 is its inverse) */
	uint8_t key[32], iv[16], pt[64], ct[64], out[64];

	unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", key);
	unhex("000102030405060708090a0b0c0d0e0f", iv);
	unhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
	      "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
	      pt);
	unhex("f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
	      "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b",
	      ct);
	for (unsigned e = 0; e < n_engines; e++) {
		memset(out, 0, sizeof(out));
		CHECK_EQ(aw_trs_aes256_cbc(engines[e], key, iv, pt, out, 64, true), AW_TRS_OK);
		CHECK_MEM(out, ct, 64);
		CHECK_EQ(aw_trs_aes256_cbc(engines[e], key, iv, ct, out, 64, false), AW_TRS_OK);
		CHECK_MEM(out, pt, 64);
		memcpy(out, pt, 64); /* in place */
		CHECK_EQ(aw_trs_aes256_cbc(engines[e], key, iv, out, out, 64, true), AW_TRS_OK);
		CHECK_MEM(out, ct, 64);
		CHECK_EQ(aw_trs_aes256_cbc(engines[e], key, iv, out, out, 64, false), AW_TRS_OK);
		CHECK_MEM(out, pt, 64);
		CHECK_EQ(aw_trs_aes256_cbc(engines[e], key, iv, pt, out, 20, true),
		         AW_TRS_E_BAD_ARG);
	}
}

static void
test_kat_aes_gcm(void)
{
	/* McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 13-16 */
	static const struct {
		const char *key, *iv, *pt, *aad, *ct, *tag;
	} tc[] = {
	        {"00", "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
	        {"00", "000000000000000000000000", "00000000000000000000000000000000", "",
	         "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
	        {"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
	         "cafebabefacedbaddecaf888",
	         "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	         "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
	         "",
	         "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	         "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
	         "b094dac5d93471bdec1a502270e3cc6c"},
	        {"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
	         "cafebabefacedbaddecaf888",
	         "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	         "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
	         "feedfacedeadbeeffeedfacedeadbeefabaddad2",
	         "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	         "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
	         "76fc6ece0f4e1768cddf8853bb2d551b"},
	};

	for (unsigned e = 0; e < n_engines; e++) {
		for (size_t i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
			uint8_t key[32] = {0}, iv[12], pt[64], aad[20], ct[64], tag[16];
			uint8_t out[64], otag[16];
			size_t pl = unhex(tc[i].pt, pt), al = unhex(tc[i].aad, aad);

			unhex(tc[i].key, key);
			unhex(tc[i].iv, iv);
			unhex(tc[i].ct, ct);
			unhex(tc[i].tag, tag);
			CHECK_EQ(aw_trs_aes256_gcm(engines[e], key, iv, aad, al, pt, out, pl, otag,
			                           true),
			         AW_TRS_OK);
			CHECK_MEM(out, ct, pl);
			CHECK_MEM(otag, tag, 16);
			memset(out, 0, sizeof(out));
			CHECK_EQ(aw_trs_aes256_gcm(engines[e], key, iv, aad, al, ct, out, pl, tag,
			                           false),
			         AW_TRS_OK);
			CHECK_MEM(out, pt, pl);
			tag[15] ^= 1;
			CHECK_EQ(aw_trs_aes256_gcm(engines[e], key, iv, aad, al, ct, out, pl, tag,
			                           false),
			         AW_TRS_E_BAD_TAG);
		}
	}
}

static void
golden_hdr(uint8_t *m)
{
	struct aw_trs_hdr h = {.txid = 0x01020304,
	                       .flag = AW_TRS_FLAG_R,
	                       .type = AW_TRS_T_TUNNEL_REQUEST,
	                       .seq = 7};

	for (int i = 0; i < 16; i++)
		h.id[i] = (uint8_t)(0xa0 + i);
	aw_trs_build(m, 48, &h, NULL, 0);
}

/* Seal, open, sign and verify against the bytes Python computed. */
static void
test_golden_messages(void)
{
	uint8_t key[32], iv[16], m[128];
	struct aw_trs_key k1, k2;
	size_t len, off, pl;

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 16; i++)
		iv[i] = (uint8_t)(0xf0 + i);
	CHECK_EQ(aw_trs_key_init(&k1, key, AW_TRS_SUITE_CBC_HMAC_MD5), AW_TRS_OK);
	CHECK_EQ(aw_trs_key_init(&k2, key, AW_TRS_SUITE_AES_GCM), AW_TRS_OK);
	for (unsigned e = 0; e < n_engines; e++) {
		struct aw_trs_engine *en = engines[e];

		golden_hdr(m);
		memcpy(m + aw_trs_pt_offset(1), "hello, relay", 12);
		CHECK_EQ(aw_trs_seal(en, &k1, m, sizeof(m), 12, iv, &len), AW_TRS_OK);
		CHECK_EQ(len, sizeof(golden_suite1));
		CHECK_MEM(m, golden_suite1, sizeof(golden_suite1));
		CHECK_EQ(aw_trs_verify(en, &k1, m, len), AW_TRS_OK);
		CHECK_EQ(aw_trs_open(en, &k1, m, len, &off, &pl), AW_TRS_OK);
		CHECK_EQ(off, 48);
		CHECK_EQ(pl, 12);
		CHECK_MEM(m + off, "hello, relay", 12);

		golden_hdr(m);
		memcpy(m + aw_trs_pt_offset(2), "hello, relay", 12);
		CHECK_EQ(aw_trs_seal(en, &k2, m, sizeof(m), 12, NULL, &len), AW_TRS_OK);
		CHECK_EQ(len, sizeof(golden_suite2));
		CHECK_MEM(m, golden_suite2, sizeof(golden_suite2));
		CHECK_EQ(aw_trs_verify(en, &k2, m, len), AW_TRS_OK);
		CHECK_EQ(aw_trs_open(en, &k2, m, len, &off, &pl), AW_TRS_OK);
		CHECK_EQ(off, 32);
		CHECK_EQ(pl, 12);
		CHECK_MEM(m + off, "hello, relay", 12);

		golden_hdr(m);
		memcpy(m + 32, "\1\2\3\4\5", 5);
		CHECK_EQ(aw_trs_sign(en, &k1, m, sizeof(m), 5, &len), AW_TRS_OK);
		CHECK_EQ(len, 53);
		CHECK_MEM(m, golden_sign1, sizeof(golden_sign1));
		CHECK_EQ(aw_trs_verify(en, &k1, golden_sign1, sizeof(golden_sign1)), AW_TRS_OK);
		golden_hdr(m);
		CHECK_EQ(aw_trs_sign(en, &k2, m, sizeof(m), 0, &len), AW_TRS_OK);
		CHECK_MEM(m, golden_sign2, sizeof(golden_sign2));
		CHECK_EQ(aw_trs_verify(en, &k2, golden_sign2, sizeof(golden_sign2)), AW_TRS_OK);
		golden_hdr(m);
		memcpy(m + 32, "\1\2\3\4\5", 5);
		CHECK_EQ(aw_trs_sign(en, &k2, m, sizeof(m), 5, &len), AW_TRS_OK);
		CHECK_MEM(m, golden_sign2b, sizeof(golden_sign2b));
		CHECK_EQ(aw_trs_verify(en, &k2, golden_sign2b, sizeof(golden_sign2b)), AW_TRS_OK);
		/* a suite-2 seal of nothing is the suite-2 sign of nothing */
		golden_hdr(m);
		CHECK_EQ(aw_trs_seal(en, &k2, m, sizeof(m), 0, NULL, &len), AW_TRS_OK);
		CHECK_MEM(m, golden_sign2, sizeof(golden_sign2));
	}
}

/* A random header in m (msg_len left for seal/sign to write). */
static void
random_hdr(uint8_t *m)
{
	struct aw_trs_hdr h = {.txid = (uint32_t)rnd(),
	                       .flag = (uint8_t)(rnd() & 1),
	                       .type = AW_TRS_T_CAPSULE,
	                       .count = (uint8_t)rnd(),
	                       .seq = (uint32_t)rnd()};

	rnd_fill(h.id, sizeof(h.id));
	aw_trs_build(m, 48, &h, NULL, 0);
}

/* OpenSSL and ipsec-mb give identical bytes and accept each other's output. */
static void
test_ossl_equals_mb(void)
{
	static uint8_t a[1600], b[1600], pt[1600], c[1600];
	unsigned bad = 0, runs = 0;
	struct aw_trs_key k;

	if (mb == NULL) {
		printf("  (skipped: no intel-ipsec-mb engine)\n");
		return;
	}
	for (unsigned suite = 1; suite <= 2; suite++) {
		for (size_t i = 0; i < 1501 + 500; i++) {
			size_t pl = i <= 1500 ? i : rnd() % 1501, off = aw_trs_pt_offset(suite);
			size_t la = 0, lb = 0, o1, o2, p1, p2, sa, sb;
			uint8_t key[32], iv[16];

			if (i % 64 == 0) {
				rnd_fill(key, sizeof(key));
				aw_trs_key_init(&k, key, suite);
			}
			rnd_fill(pt, pl);
			rnd_fill(iv, sizeof(iv));
			random_hdr(a);
			memcpy(a + off, pt, pl);
			memcpy(b, a, off + pl);
			bad += aw_trs_seal(ossl, &k, a, sizeof(a), pl, iv, &la) != AW_TRS_OK;
			bad += aw_trs_seal(mb, &k, b, sizeof(b), pl, iv, &lb) != AW_TRS_OK;
			bad += la != lb || la != aw_trs_sealed_len(suite, pl) || memcmp(a, b, la);
			bad += aw_trs_verify(ossl, &k, b, lb) != AW_TRS_OK;
			bad += aw_trs_verify(mb, &k, a, la) != AW_TRS_OK;
			/* sign over the sealed body (tag only) also agrees */
			memcpy(c, a, la);
			bad += aw_trs_sign(ossl, &k, a, sizeof(a), la - 48, &sa) != AW_TRS_OK;
			bad += aw_trs_sign(mb, &k, c, sizeof(c), la - 48, &sb) != AW_TRS_OK;
			bad += sa != la || sb != la || memcmp(a, c, la) || memcmp(a, b, la);
			bad += aw_trs_open(mb, &k, a, la, &o1, &p1) != AW_TRS_OK;
			bad += aw_trs_open(ossl, &k, b, lb, &o2, &p2) != AW_TRS_OK;
			bad += o1 != off || o2 != off || p1 != pl || p2 != pl;
			bad += memcmp(a + off, pt, pl) != 0 || memcmp(b + off, pt, pl) != 0;
			runs++;
		}
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(runs, 2 * 2001);
	aw_trs_key_wipe(&k);
}

/* Flip every bit of a sealed message: verify and open refuse each one. */
static void
test_forgery(void)
{
	uint8_t m[256], c[256], key[32], iv[16] = {0};
	unsigned accepted = 0, tried = 0;
	struct aw_trs_key k, other;
	size_t len, off, pl;

	rnd_fill(key, sizeof(key));
	for (unsigned suite = 1; suite <= 2; suite++) {
		aw_trs_key_init(&k, key, suite);
		key[0] ^= 0x80;
		aw_trs_key_init(&other, key, suite);
		for (unsigned e = 0; e < n_engines; e++) {
			random_hdr(m);
			rnd_fill(m + aw_trs_pt_offset(suite), 40);
			CHECK_EQ(aw_trs_seal(engines[e], &k, m, sizeof(m), 40, iv, &len),
			         AW_TRS_OK);
			CHECK_EQ(aw_trs_verify(engines[e], &other, m, len), AW_TRS_E_BAD_TAG);
			CHECK_EQ(aw_trs_verify(engines[e], &k, m, len - 1), AW_TRS_E_LEN_MISMATCH);
			for (size_t bit = 0; bit < len * 8; bit++) {
				for (unsigned v = 0; v < n_engines; v++) {
					memcpy(c, m, len);
					c[bit / 8] ^= (uint8_t)(1u << (bit % 8));
					accepted += aw_trs_verify(engines[v], &k, c, len) == 0;
					accepted +=
					        aw_trs_open(engines[v], &k, c, len, &off, &pl) == 0;
					tried += 2;
				}
			}
			memcpy(c, m, len);
			CHECK_EQ(aw_trs_open(engines[e], &k, c, len, &off, &pl), AW_TRS_OK);
		}
	}
	CHECK_EQ(accepted, 0);
	CHECK(tried > 1000);
}

/* Burst verify == one-by-one verify, for a mix of suites, keys and damage. */
static void
test_verify_burst(void)
{
	enum { N = 75 };
	static uint8_t bufs[N][300];
	struct aw_trs_vreq req[N];
	int want[N], res[N];
	struct aw_trs_key keys[4];
	unsigned want_ok = 0;
	uint8_t key[32], iv[16];

	for (int i = 0; i < 4; i++) {
		rnd_fill(key, sizeof(key));
		aw_trs_key_init(&keys[i], key, 1 + (unsigned)(i & 1));
	}
	for (int i = 0; i < N; i++) {
		const struct aw_trs_key *k = &keys[rnd() % 4];
		size_t pl = rnd() % 200, len = 0;

		random_hdr(bufs[i]);
		rnd_fill(iv, sizeof(iv));
		aw_trs_seal(ossl, k, bufs[i], sizeof(bufs[i]), pl, iv, &len);
		if (i % 3 == 1)
			bufs[i][rnd() % len] ^= 0x10;
		if (i % 17 == 5)
			len = 40;
		if (i % 19 == 7)
			k = &keys[(k - keys + 2) % 4]; /* same suite, wrong key */
		req[i] = (struct aw_trs_vreq){.key = k, .msg = bufs[i], .len = len};
		want[i] = aw_trs_verify(ossl, k, bufs[i], len);
		want_ok += want[i] == AW_TRS_OK;
	}
	CHECK(want_ok > 20 && want_ok < N);
	for (unsigned e = 0; e < n_engines; e++) {
		memset(res, 0x55, sizeof(res));
		CHECK_EQ(aw_trs_verify_burst(engines[e], req, N, res), want_ok);
		CHECK_MEM(res, want, sizeof(want));
		CHECK_EQ(aw_trs_verify_burst(engines[e], req, 0, res), 0);
		CHECK_EQ(aw_trs_verify_burst(engines[e], req, 1, res), want[0] == AW_TRS_OK);
	}
	CHECK_EQ(aw_trs_verify_burst(NULL, req, N, res), 0);
}

/* Burst open == one-by-one open (same verdicts and plaintexts) on every
 * engine, for a mix of suites, keys, forgeries, bad lengths and bad padding. */
static void
test_open_burst(void)
{
	enum { N = 77 };
	static uint8_t orig[N][300], a[N][300], b[N][300];
	struct aw_trs_oreq req[N];
	int want[N], res[N];
	size_t lens[N], woff[N], wlen[N];
	struct aw_trs_key keys[4];
	unsigned want_ok = 0;
	uint8_t key[32], iv[16];

	for (int i = 0; i < 4; i++) {
		rnd_fill(key, sizeof(key));
		aw_trs_key_init(&keys[i], key, 1 + (unsigned)(i & 1));
	}
	const struct aw_trs_key *ks[N];
	for (int i = 0; i < N; i++) {
		ks[i] = &keys[rnd() % 4];
		size_t pl = rnd() % 200;
		random_hdr(orig[i]);
		rnd_fill(iv, sizeof(iv));
		rnd_fill(orig[i] + aw_trs_pt_offset(ks[i]->suite), pl);
		aw_trs_seal(ossl, ks[i], orig[i], sizeof(orig[i]), pl, iv, &lens[i]);
		if (i % 3 == 1)
			orig[i][rnd() % lens[i]] ^= 0x10;
		if (i % 17 == 5)
			lens[i] = 40;
		if (i % 19 == 7)
			ks[i] = &keys[(ks[i] - keys + 2) % 4];
	}
	for (unsigned e = 0; e < n_engines; e++) {
		want_ok = 0;
		for (int i = 0; i < N; i++) {
			memcpy(a[i], orig[i], sizeof(a[i]));
			memcpy(b[i], orig[i], sizeof(b[i]));
			want[i] = aw_trs_open(ossl, ks[i], a[i], lens[i], &woff[i], &wlen[i]);
			want_ok += want[i] == AW_TRS_OK;
			req[i] = (struct aw_trs_oreq){.key = ks[i], .msg = b[i], .len = lens[i]};
		}
		CHECK(want_ok > 20 && want_ok < N);
		memset(res, 0x55, sizeof(res));
		CHECK_EQ(aw_trs_open_burst(engines[e], req, N, res), want_ok);
		CHECK_MEM(res, want, sizeof(want));
		for (int i = 0; i < N; i++)
			if (want[i] == AW_TRS_OK) {
				CHECK_EQ(req[i].pt_off, woff[i]);
				CHECK_EQ(req[i].pt_len, wlen[i]);
				CHECK_MEM(b[i] + woff[i], a[i] + woff[i], wlen[i]);
			}
	}
}

/* Burst seal == one-by-one seal (same bytes) on every engine, the whole
 * array at once (chunks, mixed suites, a request without room). */
static void
test_seal_burst(void)
{
	enum { N = 71 };
	static uint8_t orig[N][300], a[N][300], b[N][300];
	static uint8_t ivs[N][16];
	struct aw_trs_creq req[N];
	int res[N], want[N];
	size_t lens[N];
	struct aw_trs_key keys[4];
	uint8_t key[32];

	for (int i = 0; i < 4; i++) {
		rnd_fill(key, sizeof(key));
		aw_trs_key_init(&keys[i], key, 1 + (unsigned)(i & 1));
	}
	for (int i = 0; i < N; i++) {
		random_hdr(orig[i]);
		rnd_fill(orig[i] + 32, 240);
		rnd_fill(ivs[i], 16);
	}
	for (unsigned e = 0; e < n_engines; e++) {
		unsigned want_ok = 0;
		for (int i = 0; i < N; i++) {
			const struct aw_trs_key *k = &keys[(i * 7) % 4];
			size_t pl = (size_t)(i * 13) % 220, off = aw_trs_pt_offset(k->suite);
			size_t cap = i % 23 == 3 ? 60 : sizeof(a[i]); /* NO_SPACE */
			memcpy(a[i], orig[i], sizeof(a[i]));
			memmove(a[i] + off, orig[i] + 32, pl); /* the plaintext where seal wants it */
			memcpy(b[i], a[i], sizeof(b[i]));
			want[i] = aw_trs_seal(ossl, k, a[i], cap, pl, ivs[i], &lens[i]);
			want_ok += want[i] == AW_TRS_OK;
			req[i] = (struct aw_trs_creq){.key = k, .msg = b[i], .cap = cap, .pt_len = pl,
						      .iv = ivs[i]};
		}
		memset(res, 0x55, sizeof(res));
		CHECK_EQ(aw_trs_seal_burst(engines[e], req, N, res), want_ok);
		CHECK_MEM(res, want, sizeof(want));
		for (int i = 0; i < N; i++)
			if (want[i] == AW_TRS_OK) {
				CHECK_EQ(req[i].msg_len, lens[i]);
				CHECK_MEM(b[i], a[i], lens[i]);
			}
	}
}

/* Burst sign == one-by-one sign (same bytes), for a mix of suites and keys. */
static void
test_sign_burst(void)
{
	enum { N = 70 };
	static uint8_t a[N][300], b[N][300];
	struct aw_trs_sreq req[N];
	int res[N];
	struct aw_trs_key keys[4];
	uint8_t key[32];

	for (int i = 0; i < 4; i++) {
		rnd_fill(key, sizeof(key));
		aw_trs_key_init(&keys[i], key, 1 + (unsigned)(i & 1));
	}
	for (unsigned e = 0; e < n_engines; e++) {
		for (int i = 0; i < N; i++) {
			const struct aw_trs_key *k = &keys[rnd() % 4];
			size_t body = i % 5 == 0 ? 0 : rnd() % 200, len = 0;

			random_hdr(a[i]);
			rnd_fill(a[i] + AW_TRS_HDR_LEN, body);
			memcpy(b[i], a[i], sizeof(a[i]));
			CHECK_EQ(aw_trs_sign(ossl, k, a[i], sizeof(a[i]), body, &len), AW_TRS_OK);
			req[i] = (struct aw_trs_sreq){.key = k, .msg = b[i], .body_len = body};
		}
		memset(res, 0x55, sizeof(res));
		CHECK_EQ(aw_trs_sign_burst(engines[e], req, N, res), N);
		for (int i = 0; i < N; i++) {
			CHECK_EQ(res[i], AW_TRS_OK);
			CHECK_MEM(a[i], b[i], sizeof(a[i]));
			CHECK_EQ(aw_trs_verify(engines[e], req[i].key, b[i],
			                       AW_TRS_MIN_LEN + req[i].body_len), AW_TRS_OK);
		}
		CHECK_EQ(aw_trs_sign_burst(engines[e], req, 0, res), 0);
	}
	CHECK_EQ(aw_trs_sign_burst(NULL, req, N, res), 0);
}

/* A suite-1 message whose tag is right but whose padding is not: the last
 * plaintext block is last16, encrypted with the key's enc, then signed. */
static void
bad_padding_msg(struct aw_trs_engine *e, const struct aw_trs_key *k, uint8_t *m,
                const uint8_t last16[16], size_t *len)
{
	uint8_t iv[16] = {1}, blk[32] = {0};

	memcpy(blk + 16, last16, 16);
	golden_hdr(m);
	memcpy(m + 32, iv, 16);
	CHECK_EQ(aw_trs_aes256_cbc(e, k->enc, iv, blk, m + 48, 32, true), AW_TRS_OK);
	CHECK_EQ(aw_trs_sign(e, k, m, 128, 48, len), AW_TRS_OK);
}

static void
test_errors(void)
{
	uint8_t m[128], key[32] = {0}, iv[16] = {0}, last[16];
	struct aw_trs_key k1, k2, kx;
	size_t len, off, pl;

	aw_trs_key_init(&k1, key, 1);
	aw_trs_key_init(&k2, key, 2);
	CHECK_EQ(aw_trs_pt_offset(3), 0);
	CHECK_EQ(aw_trs_sealed_len(1, 0), 48 + 32);
	CHECK_EQ(aw_trs_sealed_len(1, 15), 48 + 32);
	CHECK_EQ(aw_trs_sealed_len(1, 16), 48 + 48);
	CHECK_EQ(aw_trs_sealed_len(2, 16), 48 + 16);
	for (unsigned e = 0; e < n_engines; e++) {
		struct aw_trs_engine *en = engines[e];

		golden_hdr(m);
		CHECK_EQ(aw_trs_seal(en, &k1, m, 79, 0, iv, &len), AW_TRS_E_NO_SPACE);
		CHECK_EQ(aw_trs_seal(en, &k1, m, 80, 0, iv, &len), AW_TRS_OK);
		CHECK_EQ(aw_trs_seal(en, &k2, m, 100000, 65535 - 47, iv, &len), AW_TRS_E_NO_SPACE);
		CHECK_EQ(aw_trs_seal(en, &k2, m, 100000, SIZE_MAX, iv, &len), AW_TRS_E_NO_SPACE);
		CHECK_EQ(aw_trs_seal(en, &k1, m, sizeof(m), 0, NULL, &len), AW_TRS_E_BAD_ARG);
		CHECK_EQ(aw_trs_seal(en, &k1, m, sizeof(m), 0, iv, NULL), AW_TRS_E_BAD_ARG);
		CHECK_EQ(aw_trs_seal(en, NULL, m, sizeof(m), 0, iv, &len), AW_TRS_E_BAD_ARG);
		CHECK_EQ(aw_trs_sign(en, &k1, m, 47, 0, &len), AW_TRS_E_NO_SPACE);
		CHECK_EQ(aw_trs_sign(en, &k1, m, 100000, 65535 - 47, &len), AW_TRS_E_NO_SPACE);
		kx = k1;
		kx.suite = 3;
		CHECK_EQ(aw_trs_verify(en, &kx, m, 80), AW_TRS_E_BAD_SUITE);
		kx = k1;
		kx.mb_ready = false;
		CHECK_EQ(aw_trs_verify(en, &kx, m, 80),
		         aw_trs_engine_impl(en) == AW_TRS_IMPL_IPSECMB ? AW_TRS_E_NO_MB_KEY
		                                                       : AW_TRS_OK);
		CHECK_EQ(aw_trs_verify(en, &k1, m, 47), AW_TRS_E_TRUNCATED);
		CHECK_EQ(aw_trs_open(en, &k1, m, 47, &off, &pl), AW_TRS_E_TRUNCATED);
		CHECK_EQ(aw_trs_open(en, &k1, m, 80, NULL, &pl), AW_TRS_E_BAD_ARG);
		/* suite 1 body: IV + n blocks, n >= 1 */
		golden_hdr(m);
		CHECK_EQ(aw_trs_sign(en, &k1, m, sizeof(m), 16, &len), AW_TRS_OK);
		CHECK_EQ(aw_trs_verify(en, &k1, m, len), AW_TRS_OK);
		CHECK_EQ(aw_trs_open(en, &k1, m, len, &off, &pl), AW_TRS_E_BAD_BODY_LEN);
		golden_hdr(m);
		CHECK_EQ(aw_trs_sign(en, &k1, m, sizeof(m), 40, &len), AW_TRS_OK);
		CHECK_EQ(aw_trs_open(en, &k1, m, len, &off, &pl), AW_TRS_E_BAD_BODY_LEN);
		/* padding: byte 0, byte 17, inconsistent run, then a good one of 16 */
		memset(last, 0, 16);
		bad_padding_msg(en, &k1, m, last, &len);
		CHECK_EQ(aw_trs_open(en, &k1, m, len, &off, &pl), AW_TRS_E_BAD_PADDING);
		last[15] = 17;
		bad_padding_msg(en, &k1, m, last, &len);
		CHECK_EQ(aw_trs_open(en, &k1, m, len, &off, &pl), AW_TRS_E_BAD_PADDING);
		last[15] = 3;
		last[14] = 3;
		last[13] = 4;
		bad_padding_msg(en, &k1, m, last, &len);
		CHECK_EQ(aw_trs_open(en, &k1, m, len, &off, &pl), AW_TRS_E_BAD_PADDING);
		memset(last, 16, 16);
		bad_padding_msg(en, &k1, m, last, &len);
		CHECK_EQ(aw_trs_open(en, &k1, m, len, &off, &pl), AW_TRS_OK);
		CHECK_EQ(pl, 16);
		/* suite 2 never has a body-length rule */
		golden_hdr(m);
		CHECK_EQ(aw_trs_sign(en, &k2, m, sizeof(m), 1, &len), AW_TRS_OK);
		CHECK_EQ(aw_trs_open(en, &k2, m, len, &off, &pl), AW_TRS_OK);
		CHECK_EQ(pl, 1);
	}
}

AW_TEST_MAIN(AW_TEST(test_engines), AW_TEST(test_kdf), AW_TEST(test_kat_hmac_md5),
             AW_TEST(test_kat_aes_cbc), AW_TEST(test_kat_aes_gcm), AW_TEST(test_golden_messages),
             AW_TEST(test_ossl_equals_mb), AW_TEST(test_forgery), AW_TEST(test_verify_burst),
             AW_TEST(test_sign_burst), AW_TEST(test_open_burst), AW_TEST(test_seal_burst),
             AW_TEST(test_errors))
