/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/asrs/aw_syncookie: SipHash-2-4 against the reference
 * vectors, cookies valid in the current and the next generation, refused
 * after that (stale), under another master secret, for another flow or ISN,
 * with any bit flipped; the MSS encoding.
 */
#include "aw_test.h"

#include "aw_syncookie.h"

static const uint8_t KEY[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static void
test_siphash_vectors(void)
{
	uint64_t k[2] = {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
	uint8_t m[64];

	for (int i = 0; i < 64; i++)
		m[i] = (uint8_t)i;
	/* From the SipHash paper / reference implementation's vectors.h. */
	CHECK(aw_siphash24(k, m, 0) == 0x726fdb47dd0e0e31ull);
	CHECK(aw_siphash24(k, m, 1) == 0x74f839c593dc67fdull);
	CHECK(aw_siphash24(k, m, 8) == 0x93f5f5799a932462ull);
	CHECK(aw_siphash24(k, m, 15) == 0xa129ca6149be45e5ull);
	CHECK(aw_siphash24(k, m, 63) == 0x958a324ceb064572ull);
}

static struct aw_sc_flow
flow(uint8_t last, uint16_t sport)
{
	struct aw_sc_flow f;

	memset(&f, 0, sizeof(f));
	f.src[0] = 10, f.src[1] = 1, f.src[3] = last;
	f.dst[0] = 203, f.dst[1] = 0, f.dst[2] = 113, f.dst[3] = 10;
	f.sport = sport;
	f.dport = 0x5000; /* 80, network order */
	return f;
}

static void
test_valid_two_generations(void)
{
	struct aw_syncookie sc, other;
	struct aw_sc_flow f = flow(2, 0x1234);
	unsigned mi = 99;

	aw_syncookie_init(&sc, KEY, 64);
	aw_syncookie_init(&other, KEY, 64); /* a second thread's copy: same cookies */
	uint32_t c = aw_syncookie_make(&sc, 1000, &f, 0xdeadbeef, 5);
	CHECK_EQ(c >> 30, (1000 / 64) & 3);
	CHECK_EQ((c >> 27) & 7, 5);
	CHECK_EQ(aw_syncookie_check(&other, 1000, &f, 0xdeadbeef, c, &mi), AW_SC_OK);
	CHECK_EQ(mi, 5);
	/* Still valid through the next generation, then stale. */
	CHECK_EQ(aw_syncookie_check(&sc, 1000 + 64, &f, 0xdeadbeef, c, &mi), AW_SC_OK);
	CHECK_EQ(aw_syncookie_check(&sc, (1000 / 64 + 2) * 64, &f, 0xdeadbeef, c, &mi), AW_SC_STALE);
	CHECK_EQ(aw_syncookie_check(&sc, (1000 / 64 + 3) * 64, &f, 0xdeadbeef, c, &mi), AW_SC_STALE);
	/* Four generations later the 2-bit field matches again, but the key has
	 * rotated: refused as bad. */
	CHECK_EQ(aw_syncookie_check(&sc, 1000 + 4 * 64, &f, 0xdeadbeef, c, &mi), AW_SC_BAD);
	CHECK_EQ(aw_syncookie_check(&sc, 1000 + 5 * 64, &f, 0xdeadbeef, c, &mi), AW_SC_BAD);
	/* Generation 0 has no previous one. */
	uint32_t c0 = aw_syncookie_make(&sc, 3, &f, 1, 0);
	CHECK_EQ(aw_syncookie_check(&sc, 3, &f, 1, c0, &mi), AW_SC_OK);
	CHECK_EQ(aw_syncookie_check(&sc, 3, &f, 1, c0 ^ 0xc0000000u, &mi), AW_SC_STALE);
}

static void
test_wrong_key_flow_isn(void)
{
	struct aw_syncookie sc, k2;
	struct aw_sc_flow f = flow(2, 0x1234), g;
	uint8_t key2[16];
	unsigned mi;

	memcpy(key2, KEY, 16);
	key2[15] ^= 1;
	aw_syncookie_init(&sc, KEY, 64);
	aw_syncookie_init(&k2, key2, 64);
	uint32_t c = aw_syncookie_make(&sc, 500, &f, 77, 7);
	CHECK(c != aw_syncookie_make(&k2, 500, &f, 77, 7));
	CHECK_EQ(aw_syncookie_check(&k2, 500, &f, 77, c, &mi), AW_SC_BAD);
	CHECK_EQ(aw_syncookie_check(&sc, 500, &f, 78, c, &mi), AW_SC_BAD);
	g = flow(3, 0x1234);
	CHECK_EQ(aw_syncookie_check(&sc, 500, &g, 77, c, &mi), AW_SC_BAD);
	g = flow(2, 0x1235);
	CHECK_EQ(aw_syncookie_check(&sc, 500, &g, 77, c, &mi), AW_SC_BAD);
	g = f;
	g.v6 = 1;
	CHECK_EQ(aw_syncookie_check(&sc, 500, &g, 77, c, &mi), AW_SC_BAD);
	g = f;
	g.dport = 0x5100;
	CHECK_EQ(aw_syncookie_check(&sc, 500, &g, 77, c, &mi), AW_SC_BAD);
}

/* Every single-bit change of the cookie is refused: the hash bits and the
 * MSS bits are covered by the hash, the generation bits by the key. */
static void
test_tampered(void)
{
	struct aw_syncookie sc;
	struct aw_sc_flow f = flow(9, 0x4321);
	unsigned mi;

	aw_syncookie_init(&sc, KEY, 64);
	uint64_t now = 64 * 10 + 5;
	for (unsigned m = 0; m < AW_SYNCOOKIE_N_MSS; m++) {
		uint32_t c = aw_syncookie_make(&sc, now, &f, 123456, m);
		CHECK_EQ(aw_syncookie_check(&sc, now, &f, 123456, c, &mi), AW_SC_OK);
		CHECK_EQ(mi, m);
		for (int b = 0; b < 32; b++)
			CHECK(aw_syncookie_check(&sc, now, &f, 123456, c ^ (1u << b), &mi) != AW_SC_OK);
	}
}

static void
test_mss_table(void)
{
	CHECK_EQ(aw_syncookie_mss(aw_syncookie_mss_idx(1460)), 1460);
	CHECK_EQ(aw_syncookie_mss(aw_syncookie_mss_idx(9000)), 1460);
	CHECK_EQ(aw_syncookie_mss(aw_syncookie_mss_idx(1459)), 1440);
	CHECK_EQ(aw_syncookie_mss(aw_syncookie_mss_idx(1220)), 1220);
	CHECK_EQ(aw_syncookie_mss(aw_syncookie_mss_idx(536)), 536);
	CHECK_EQ(aw_syncookie_mss(aw_syncookie_mss_idx(100)), 536); /* never above the table's floor */
	for (unsigned i = 0; i < AW_SYNCOOKIE_N_MSS; i++) {
		CHECK_EQ(aw_syncookie_mss_idx(aw_syncookie_mss(i)), i);
		if (i > 0)
			CHECK(aw_syncookie_mss(i) > aw_syncookie_mss(i - 1));
	}
}

AW_TEST_MAIN(AW_TEST(test_siphash_vectors), AW_TEST(test_valid_two_generations),
	     AW_TEST(test_wrong_key_flow_isn), AW_TEST(test_tampered), AW_TEST(test_mss_table))
