/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/cluster: the owner table (against digests computed by the
 * independent Python model tests/golden/cluster_ref.py), order independence,
 * drain / down rules, and the cluster header (layout, tag, parse errors).
 */
#include <stdlib.h>

#include "aw_clhdr.h"
#include "aw_owner.h"
#include "aw_siphash.h"
#include "aw_test.h"

static struct aw_member
mem(const char *id, const char *addr, unsigned st)
{
	struct aw_member m;
	char e[64];

	memset(&m, 0, sizeof(m));
	snprintf(m.id, sizeof(m.id), "%s", id);
	if (aw_addr_parse(addr, &m.addr, e, sizeof(e)) < 0)
		abort();
	m.state = (uint8_t)st;
	return m;
}

/* The digest cluster_ref.py prints: d = d * 31 + primary * 256 + secondary. */
static uint64_t
digest(const struct aw_owner_tab *t)
{
	uint64_t d = 0;

	for (unsigned r = 0; r < AW_OWNER_ROWS; r++)
		d = d * 31 + (uint64_t)t->row[r][0] * 256 + t->row[r][1];
	return d;
}

static void
test_python_digests(void)
{
	struct aw_member three[] = {mem("inst-c", "10.9.0.3", AW_MEMBER_ACTIVE),
				    mem("inst-a", "10.9.0.1", AW_MEMBER_ACTIVE),
				    mem("inst-b", "10.9.0.2", AW_MEMBER_ACTIVE)};
	struct aw_member mixed[] = {mem("inst-c", "10.9.0.3", AW_MEMBER_ACTIVE),
				    mem("inst-a", "10.9.0.1", AW_MEMBER_ACTIVE),
				    mem("inst-b", "10.9.0.2", AW_MEMBER_DRAINING),
				    mem("inst-d", "10.9.0.4", AW_MEMBER_DOWN)};
	struct aw_member drain[] = {mem("x", "10.9.0.3", AW_MEMBER_DRAINING),
				    mem("y", "10.9.0.1", AW_MEMBER_DRAINING)};
	struct aw_member one[] = {mem("solo", "10.9.0.1", AW_MEMBER_ACTIVE)};
	char e[128];
	struct aw_owner_tab *t;

	t = aw_owner_build(1, three, 3, "inst-b", e, sizeof(e));
	CHECK(t != NULL && digest(t) == 0x2f707f87498cb4bull && t->self == 1);
	aw_owner_free(t);
	t = aw_owner_build(2, mixed, 4, "inst-x", e, sizeof(e));
	CHECK(t != NULL && digest(t) == 0xc6396b897f5009f0ull && t->self == -1);
	aw_owner_free(t);
	t = aw_owner_build(3, drain, 2, "x", e, sizeof(e));
	CHECK(t != NULL && digest(t) == 0x314915b51df00000ull);
	aw_owner_free(t);
	t = aw_owner_build(4, one, 1, "solo", e, sizeof(e));
	CHECK(t != NULL && digest(t) == 0x76ba8e872df00000ull);
	aw_owner_free(t);
}

static void
test_order_and_rules(void)
{
	struct aw_member m[8], r[8];
	char e[128], id[16], a[32];

	for (unsigned i = 0; i < 8; i++) {
		snprintf(id, sizeof(id), "n%u", i);
		snprintf(a, sizeof(a), "10.9.0.%u", i + 1);
		m[i] = mem(id, a, i == 2 ? AW_MEMBER_DRAINING : i == 5 ? AW_MEMBER_DOWN
								: AW_MEMBER_ACTIVE);
		r[7 - i] = m[i];
	}
	struct aw_owner_tab *t1 = aw_owner_build(9, m, 8, "n0", e, sizeof(e));
	struct aw_owner_tab *t2 = aw_owner_build(9, r, 8, "n0", e, sizeof(e));
	CHECK(t1 != NULL && t2 != NULL);
	CHECK(memcmp(t1->row, t2->row, sizeof(t1->row)) == 0);
	unsigned as_primary[8] = {0}, as_second[8] = {0};
	for (unsigned row = 0; row < AW_OWNER_ROWS; row++) {
		CHECK(t1->row[row][0] != t1->row[row][1]);
		as_primary[t1->row[row][0]]++;
		as_second[t1->row[row][1]]++;
	}
	CHECK_EQ(as_primary[2], 0); /* draining: never primary */
	CHECK(as_second[2] > 0);    /* but where its flows lived */
	CHECK_EQ(as_primary[5] + as_second[5], 0); /* down: neither */
	for (unsigned i = 0; i < 8; i++)
		if (i != 2 && i != 5) /* 6 actives: ~10923 rows each */
			CHECK(as_primary[i] > 9000 && as_primary[i] < 13000);
	CHECK(aw_owner_same_members(t1, r, 8));
	r[0].state = AW_MEMBER_DOWN;
	CHECK(!aw_owner_same_members(t1, r, 8));
	aw_owner_free(t1);
	aw_owner_free(t2);
	/* duplicates and bad ids refused */
	m[1] = m[0];
	CHECK(aw_owner_build(1, m, 8, "n0", e, sizeof(e)) == NULL);
	CHECK(strstr(e, "twice") != NULL);
	CHECK(!aw_member_id_ok("") && !aw_member_id_ok("a b") && aw_member_id_ok("inst-a.1_x"));
	CHECK_EQ(aw_member_state_parse("draining"), AW_MEMBER_DRAINING);
	CHECK_EQ(aw_member_state_parse("up"), -1);
}

static void
test_flow_hash(void)
{
	/* cluster_ref.asrs_key_words("192.0.2.10", 40000, "203.0.113.1", 80, 6) */
	uint8_t key[40] = {192, 0, 2, 10};
	uint64_t w[5];

	key[16] = 203, key[17] = 0, key[18] = 113, key[19] = 1;
	key[32] = 40000 >> 8, key[33] = 40000 & 255, key[34] = 0, key[35] = 80, key[36] = 6;
	memcpy(w, key, sizeof(w));
	CHECK(aw_owner_flow_hash(w, 5) == 0xeb9a43a4aab612c2ull);
	CHECK(aw_owner_id_hash("inst-a") == 0xf189748710d82387ull);
	CHECK(aw_owner_score(aw_owner_id_hash("inst-a"), 7) == 0xa31e5dd200c70f00ull);
}

static void
test_header(void)
{
	uint8_t key[32], out[AW_CLH_LEN];
	uint64_t k[2];
	static const uint8_t want[AW_CLH_LEN] = {0x41, 0x43, 1, 0, 2, 2, 0, 0, 0, 0, 0, 0,
						 0,    0,    0, 5, 0xb6, 0xc9, 0x3b, 0x28,
						 0x9c, 0xb9, 0x1c, 0x3f};
	struct aw_clh h = {.epoch = 5, .hop_idx = 0, .hop_cnt = 2, .hops = {2, 0}}, g;

	memset(key, 0, 16);
	memset(key + 16, 0x11, 16);
	aw_clh_key(key, k);
	aw_clh_write(out, &h, k);
	CHECK_MEM(out, want, sizeof(want)); /* cluster_ref.header(...) */
	CHECK(aw_clh_tag_ok(out, k));
	CHECK_EQ(aw_clh_parse(out, sizeof(out), &g), AW_CLH_OK);
	CHECK(g.epoch == 5 && g.hop_cnt == 2 && g.hops[0] == 2 && g.hops[1] == 0);
	CHECK_EQ(aw_clh_parse(out, 23, &g), AW_CLH_TRUNCATED);
	uint8_t bad[AW_CLH_LEN];
	memcpy(bad, out, sizeof(bad));
	bad[16] ^= 1;
	CHECK(!aw_clh_tag_ok(bad, k));
	memcpy(bad, out, sizeof(bad));
	bad[2] = 2;
	CHECK_EQ(aw_clh_parse(bad, sizeof(bad), &g), AW_CLH_MALFORMED);
	memcpy(bad, out, sizeof(bad));
	bad[3] = 2;
	CHECK_EQ(aw_clh_parse(bad, sizeof(bad), &g), AW_CLH_BAD_HOP);
	bad[3] = 0, bad[4] = 3;
	CHECK_EQ(aw_clh_parse(bad, sizeof(bad), &g), AW_CLH_BAD_HOP);
	bad[4] = 1; /* one hop, second entry must be unused */
	CHECK_EQ(aw_clh_parse(bad, sizeof(bad), &g), AW_CLH_MALFORMED);
	/* SipHash reference vector (moved to lib/common) */
	uint64_t rk[2] = {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
	uint8_t msg[15];
	for (unsigned i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	CHECK(aw_siphash24(rk, msg, 15) == 0xa129ca6149be45e5ull);
}

int
main(void)
{
	static const struct aw_test_case cases[] = {
		AW_TEST(test_python_digests),
		AW_TEST(test_order_and_rules),
		AW_TEST(test_flow_hash),
		AW_TEST(test_header),
	};
	return aw_test_run(cases, sizeof(cases) / sizeof(cases[0]));
}
