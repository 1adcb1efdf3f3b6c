/* SPDX-License-Identifier: BSD-3-Clause */
/* Pieces of the common per-packet path that the golden tests cannot reach
 * one by one:
 * - the route path's one-entry neighbour position cache (aw_fwd_inline.h):
 *   a zeroed lcore context has no entry, whatever the key (an all-zero key
 *   is looked up, not taken for position 0); the cache answers only for the
 *   same 20 key bytes (another padding, another family with the same leading
 *   bytes: the hash decides); the IPv4 compare without a built key agrees
 *   with the full one;
 * - the IPv4 TTL decrement's one-add checksum update gives the very bytes a
 *   full recomputation gives, for every checksum value (0x0000 and the
 *   carries included);
 * - the address set's "not ours" filter: every member found, sets with many
 *   members, an empty set, a set copied without a VIP. */
#include "aw_test.h"

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "aw_addrset.h"
#include "aw_cksum.h"
#include "aw_eal_test.h"
#include "aw_fwd_inline.h"
#include "aw_neigh_priv.h"
#include "aw_pkt.h"

static struct aw_dp dp;

static struct aw_addr
A(const char *s)
{
	struct aw_addr a;
	CHECK(aw_addr_parse(s, &a, NULL, 0) == 0);
	return a;
}

static void
setup(void)
{
	struct aw_neigh_settings ns = {.max_entries = 64, .reachable_s = 3600,
				       .probe_interval_ms = 1000, .probes = 3,
				       .pending_packets = 4};
	char err[128];

	aw_test_eal_init();
	CHECK(aw_meta_register() == 0);
	dp.neigh = aw_neigh_create(&ns, rte_get_tsc_hz(), err, sizeof(err));
	CHECK(dp.neigh != NULL);
}

static void
test_neigh_pos_cache(void)
{
	static const struct rte_ether_addr mac = {{2, 0, 0, 0, 0, 9}};
	struct aw_lcore_ctx *c;
	struct aw_addr zero, a = A("192.0.2.1"), b = A("192.0.2.2"), a6 = A("c000:201::");

	setup();
	c = rte_zmalloc("ut_core_ctx", sizeof(*c), 0);
	CHECK(c != NULL);
	c->dp = &dp;
	memset(&zero, 0, sizeof(zero));
	/* the first key learnt takes position 0: what a zeroed context held */
	int32_t pa = aw_neigh_learn(dp.neigh, &a, &mac, 0, true, rte_rdtsc());
	int32_t pb = aw_neigh_learn(dp.neigh, &b, &mac, 0, true, rte_rdtsc());
	CHECK(pa >= 0 && pb >= 0 && pa != pb);
	CHECK(aw_fwd_neigh_pos(c, &zero) < 0); /* looked up: no such key */
	CHECK(!c->nb_valid);

	CHECK_EQ(aw_fwd_neigh_pos(c, &a), pa);
	CHECK(c->nb_valid);
	CHECK_EQ(aw_fwd_neigh_pos(c, &a), pa); /* from the cache */
	CHECK_EQ(aw_fwd_neigh_pos(c, &b), pb);
	CHECK_EQ(aw_fwd_neigh_pos(c, &a), pa);

	/* same address, other padding: not the cached key, and not in the hash */
	struct aw_addr odd = a;
	odd.pad[1] = 1;
	CHECK(aw_fwd_neigh_pos(c, &odd) < 0);
	CHECK_EQ(aw_fwd_neigh_pos(c, &a), pa);
	/* an IPv6 key with the cached IPv4 address as its first bytes */
	CHECK(memcmp(a6.b, a.b, 4) == 0);
	CHECK(aw_fwd_neigh_pos(c, &a6) < 0);

	/* the IPv4 compare without a built key */
	CHECK(aw_fwd_key4_eq(&c->nb_key, a.b));
	CHECK(!aw_fwd_key4_eq(&c->nb_key, b.b));
	CHECK(!aw_fwd_key4_eq(&a6, a.b));
	CHECK(!aw_fwd_key4_eq(&odd, a.b));
	struct aw_addr tail = a;
	tail.b[15] = 1; /* not a key aw_addr_set4 makes */
	CHECK(!aw_fwd_key4_eq(&tail, a.b));
	rte_free(c);
}

/* One's-complement checksum of a 20-byte IPv4 header with its field zeroed. */
static uint16_t
full_cksum(const uint8_t *ip)
{
	uint8_t h[20];

	memcpy(h, ip, 20);
	h[10] = h[11] = 0;
	return aw_csum(h, 20);
}

static void
test_ttl_decrement(void)
{
	uint8_t ip[20] = {0x45, 0, 0, 84, 0, 0, 0x40, 0, 64, 17, 0, 0,
			  10, 0, 0, 1, 198, 51, 100, 7};
	unsigned seen_zero = 0, seen_ffff_before = 0;

	/* every identification value: the checksum takes every value */
	for (uint32_t id = 0; id <= 0xffff; id++) {
		ip[4] = (uint8_t)(id >> 8);
		ip[5] = (uint8_t)id;
		ip[8] = (uint8_t)(2 + id % 254);
		uint16_t ck = full_cksum(ip);
		memcpy(ip + 10, &ck, 2);
		seen_ffff_before += ck == 0xffff;
		uint8_t want[20];
		memcpy(want, ip, 20);
		want[8]--;
		uint16_t wck = full_cksum(want);
		memcpy(want + 10, &wck, 2);
		aw_fwd_ttl_decrement(ip, 0);
		CHECK(memcmp(ip, want, 20) == 0);
		CHECK_EQ(aw_csum(ip, 20), 0);
		seen_zero += wck == 0;
	}
	CHECK(seen_zero > 0);
	CHECK_EQ(seen_ffff_before, 0); /* a full computation never gives 0xffff */
	uint8_t ip6[40] = {0x60};
	ip6[7] = 9;
	aw_fwd_ttl_decrement(ip6, 1);
	CHECK_EQ(ip6[7], 8);
}

static void
test_addrset_filter(void)
{
	struct aw_port ports[1] = {0};
	struct aw_addrset *empty = aw_addrset_build(ports, 0, NULL, 0);

	CHECK(empty != NULL);
	for (unsigned w = 0; w < AW_ADDRSET_FILTER_WORDS; w++)
		CHECK(empty->filter[0][w] == 0 && empty->filter[1][w] == 0);
	struct aw_addr x = A("10.0.0.1"), y = A("2001:db8::1");
	CHECK(aw_addrset_lookup(empty, x.b, x.family) == NULL);
	CHECK(aw_addrset_lookup(empty, y.b, y.family) == NULL);

	/* 600 VIPs of each family: each found, the neighbours of each not */
	struct aw_addrset *cur = empty;
	char buf[64];
	for (int i = 0; i < 600; i++) {
		snprintf(buf, sizeof(buf), "198.%d.%d.%d", 18 + i % 2, i / 7, i % 250);
		struct aw_addr v4 = A(buf);
		snprintf(buf, sizeof(buf), "2001:db8:%x::%x", i % 5, i);
		struct aw_addr v6 = A(buf);
		struct aw_addrset *n = aw_addrset_with_vip(cur, &v4, 0);
		CHECK(n != NULL);
		aw_addrset_free(cur);
		cur = aw_addrset_with_vip(n, &v6, 0);
		CHECK(cur != NULL);
		aw_addrset_free(n);
	}
	unsigned passed = 0; /* non-members the filter let through to the table */
	for (int i = 0; i < 600; i++) {
		snprintf(buf, sizeof(buf), "198.%d.%d.%d", 18 + i % 2, i / 7, i % 250);
		struct aw_addr v4 = A(buf);
		snprintf(buf, sizeof(buf), "2001:db8:%x::%x", i % 5, i);
		struct aw_addr v6 = A(buf);
		CHECK(aw_addrset_lookup(cur, v4.b, v4.family) != NULL);
		CHECK(aw_addrset_lookup(cur, v6.b, v6.family) != NULL);
		snprintf(buf, sizeof(buf), "203.0.%d.%d", i / 250, i % 250);
		struct aw_addr o4 = A(buf);
		snprintf(buf, sizeof(buf), "2001:db8:99::%x", i);
		struct aw_addr o6 = A(buf);
		CHECK(aw_addrset_lookup(cur, o4.b, o4.family) == NULL);
		CHECK(aw_addrset_lookup(cur, o6.b, o6.family) == NULL);
		passed += aw_addrset_may_hold(cur, o4.b, o4.family);
	}
	CHECK(passed > 0); /* 600 members in 256 bits: the table still decides */

	/* a set of one VIP, copied without it: empty filter again */
	struct aw_addrset *one = aw_addrset_with_vip(empty = aw_addrset_build(ports, 0, NULL, 0),
						     &x, 0);
	CHECK(one != NULL && aw_addrset_lookup(one, x.b, x.family) != NULL);
	bool found = false;
	struct aw_addrset *none = aw_addrset_without_vip(one, &x, &found);
	CHECK(found && none != NULL);
	CHECK(!aw_addrset_may_hold(none, x.b, x.family));
	CHECK(aw_addrset_lookup(none, x.b, x.family) == NULL);
	aw_addrset_free(none);
	aw_addrset_free(one);
	aw_addrset_free(empty);
	aw_addrset_free(cur);
}

AW_TEST_MAIN(AW_TEST(test_neigh_pos_cache), AW_TEST(test_ttl_decrement),
	     AW_TEST(test_addrset_filter))
