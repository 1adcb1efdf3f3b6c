/* SPDX-License-Identifier: BSD-3-Clause */
/* The forwarding module's next-hop cache (dataplane/aw_fwd.h) as a feature
 * that forwards (ASRS) uses it, against a real neighbour table and LPM: the
 * route path returns the word, the cached path gives the same packet (TTL
 * decremented, IPv4 checksum still right, `forwarded` counted), an unusable
 * neighbour goes to resolution, and aw_fwd_check refuses what the route path
 * would (TTL, MTU with DF: ICMP too big; without DF: dropped). A caller
 * whose rewrite decrements the TTL itself (AW_FWD_TTL_DONE: ASRS's
 * nat_rewrite_ttl) gets the same packet out on both paths. */
#include "aw_test.h"

#include <rte_cycles.h>
#include <rte_lpm.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "aw_asrs_nat.h"
#include "aw_cksum.h"
#include "aw_eal_test.h"
#include "aw_fwd.h"
#include "aw_neigh_priv.h"
#include "aw_pkt.h"

#define PORT_OUT 1

static struct aw_dp dp;
static struct aw_lcore_ctx ctx;
static struct rte_mempool *pool;
static const uint8_t PEER[4] = {198, 51, 100, 7};
static const struct rte_ether_addr MAC1 = {{2, 0, 0, 0, 0, 0x11}};

static void
setup(void)
{
	struct aw_neigh_settings ns = {.max_entries = 64, .reachable_s = 3600,
				       .probe_interval_ms = 1000, .probes = 3,
				       .pending_packets = 4};
	struct rte_lpm_config lc = {.max_rules = 16, .number_tbl8s = 16};
	struct aw_routes *routes;
	struct aw_addr a;
	char err[128];

	aw_test_eal_init();
	CHECK(aw_meta_register() == 0);
	pool = rte_pktmbuf_pool_create("ut_fwd_pool", 63, 0, 0, 2048 + RTE_PKTMBUF_HEADROOM,
				       SOCKET_ID_ANY);
	routes = rte_zmalloc("ut_fwd_routes", sizeof(*routes) + sizeof(struct aw_nexthop), 0);
	CHECK(pool != NULL && routes != NULL);
	routes->lpm4 = rte_lpm_create("ut_fwd_lpm", SOCKET_ID_ANY, &lc);
	CHECK(routes->lpm4 != NULL);
	routes->default4 = routes->default6 = -1;
	routes->min_mtu = 1500;
	routes->n_nh = 1;
	routes->nh[0].port = PORT_OUT;
	CHECK(rte_lpm_add(routes->lpm4, (uint32_t)198 << 24 | 51u << 16 | 100u << 8, 24, 0) == 0);
	dp.routes = routes;
	dp.neigh = aw_neigh_create(&ns, rte_get_tsc_hz(), err, sizeof(err));
	CHECK(dp.neigh != NULL);
	dp.n_ports = 2;
	dp.ports[0].mtu = dp.ports[PORT_OUT].mtu = 1500;
	dp.ports[PORT_OUT].mac = (struct rte_ether_addr){{2, 0, 0, 0, 0, 0x01}};
	dp.cfg = rte_zmalloc("ut_fwd_cfg", sizeof(*dp.cfg), 0);
	CHECK(dp.cfg != NULL);
	dp.cfg->icmp_rate = 0; /* no ICMP errors sent: the drop reason shows the verdict */
	dp.tsc_hz = rte_get_tsc_hz();
	ctx.dp = &dp;
	aw_addr_set4(&a, PEER);
	CHECK(aw_neigh_learn(dp.neigh, &a, &MAC1, PORT_OUT, true, rte_rdtsc()) >= 0);
}

/* An IPv4/UDP frame of `len` IP bytes to PEER with ttl and DF as given. */
static struct rte_mbuf *
frame(uint16_t len, uint8_t ttl, bool df)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	CHECK(m != NULL);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(RTE_ETHER_HDR_LEN + len));
	memset(p, 0, RTE_ETHER_HDR_LEN + len);
	p[12] = 0x08;
	uint8_t *ip = p + RTE_ETHER_HDR_LEN;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(len >> 8);
	ip[3] = (uint8_t)len;
	ip[6] = df ? 0x40 : 0;
	ip[8] = ttl;
	ip[9] = 17;
	ip[12] = 10;
	ip[15] = 1;
	memcpy(ip + 16, PEER, 4);
	uint16_t ck = aw_csum(ip, 20);
	memcpy(ip + 10, &ck, 2);
	aw_meta(m)->verdict = 0xff;
	aw_meta(m)->port_in = 0;
	return m;
}

/* Verdict, TTL after, and whether the IPv4 header checksum verifies. */
static void
expect_tx(struct rte_mbuf *m, uint8_t ttl)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, RTE_ETHER_HDR_LEN);

	CHECK_EQ(aw_meta(m)->verdict, AW_V_TX);
	CHECK_EQ(aw_meta(m)->port_out, PORT_OUT);
	CHECK(rte_is_same_ether_addr(&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr,
				     &MAC1));
	CHECK_EQ(ip[8], ttl);
	CHECK_EQ(aw_csum(ip, 20), 0);
}

static void
test_forwarded_through_cache(void)
{
	setup();
	struct rte_mbuf *m = frame(100, 64, true);
	CHECK(aw_fwd_check(&ctx, m, 100, 0, PEER, 0, 0));
	uint32_t nh = aw_fwd_send(&ctx, m, 0, 0, AW_FWD_CHECKED); /* route path fills */
	expect_tx(m, 63);
	CHECK(nh != 0);
	CHECK_EQ(aw_fwd_nh_port(nh), PORT_OUT);
	CHECK_EQ(nh, aw_fwd_nh_resolve(&dp, PEER, 0));
	CHECK_EQ(ctx.stats.info[AW_INFO_FORWARDED], 1);
	rte_pktmbuf_free(m);

	m = frame(100, 64, true); /* the cached path: same packet out */
	CHECK(aw_fwd_check(&ctx, m, 100, 0, PEER, nh, 0));
	CHECK_EQ(aw_fwd_send(&ctx, m, nh, 0, AW_FWD_CHECKED), nh);
	expect_tx(m, 63);
	CHECK_EQ(ctx.stats.info[AW_INFO_FORWARDED], 2);
	rte_pktmbuf_free(m);

	/* An unusable neighbour: the route path, which asks for resolution. */
	int32_t pos = (int32_t)(nh & 0xffffff) - 1;
	uint64_t w = dp.neigh->fast[pos].word;
	dp.neigh->fast[pos].word = w & ~AW_NEIGH_VALID;
	m = frame(100, 64, true);
	CHECK_EQ(aw_fwd_send(&ctx, m, nh, 0, AW_FWD_CHECKED), nh);
	CHECK_EQ(aw_meta(m)->verdict, AW_V_SLOW);
	CHECK_EQ(aw_meta(m)->arg, AW_SLOW_RESOLVE);
	dp.neigh->fast[pos].word = w;
	rte_pktmbuf_free(m);
}

static void
test_check_refuses(void)
{
	uint32_t nh = aw_fwd_nh_resolve(&dp, PEER, 0);
	struct rte_mbuf *m = frame(100, 1, true); /* TTL runs out */
	CHECK(!aw_fwd_check(&ctx, m, 100, 0, PEER, nh, 0));
	CHECK_EQ(aw_meta(m)->verdict, AW_V_DROP);
	CHECK_EQ(aw_meta(m)->arg, AW_DROP_TTL_EXCEEDED);
	rte_pktmbuf_free(m);

	m = frame(1501, 64, false); /* too big, no DF: dropped, with or without a word */
	CHECK(!aw_fwd_check(&ctx, m, 1501, 0, PEER, nh, 0));
	CHECK_EQ(aw_meta(m)->arg, AW_DROP_MTU_EXCEEDED);
	rte_pktmbuf_free(m);
	m = frame(1501, 64, false);
	CHECK(!aw_fwd_check(&ctx, m, 1501, 0, PEER, 0, 0));
	CHECK_EQ(aw_meta(m)->arg, AW_DROP_MTU_EXCEEDED);
	rte_pktmbuf_free(m);

	m = frame(1504, 64, true); /* fits once 4 bytes are removed */
	CHECK(aw_fwd_check(&ctx, m, 1500, 4, PEER, nh, 0));
	rte_pktmbuf_free(m);
}

/* AW_FWD_TTL_DONE: the TTL the caller decremented is not decremented again,
 * on the cached path nor on the route path (aw_fwd_route_done4: no
 * decrement there, no restore before it). */
static void
test_ttl_done(void)
{
	uint32_t nh = aw_fwd_nh_resolve(&dp, PEER, 0);
	uint64_t fwd = ctx.stats.info[AW_INFO_FORWARDED];

	for (unsigned cached = 0; cached < 2; cached++) {
		struct rte_mbuf *m = frame(100, 64, true);
		CHECK(aw_fwd_check(&ctx, m, 100, 0, PEER, cached ? nh : 0, 0));
		aw_fwd_ttl_decrement(rte_pktmbuf_mtod_offset(m, uint8_t *, RTE_ETHER_HDR_LEN), 0);
		CHECK_EQ(aw_fwd_send(&ctx, m, cached ? nh : 0, 0, AW_FWD_CHECKED | AW_FWD_TTL_DONE),
			 nh);
		expect_tx(m, 63);
		CHECK_EQ(ctx.stats.info[AW_INFO_FORWARDED], ++fwd);
		rte_pktmbuf_free(m);
	}
}

/* nat_rewrite_ttl(..., ttl = 1) writes the bytes that nat_rewrite and then
 * aw_fwd_ttl_decrement write, IPv4 and IPv6, UDP (with and without a
 * checksum) and TCP, for every TTL from 2 to 255. */
static void
test_nat_rewrite_ttl(void)
{
	static const uint8_t nsrc[16] = {10, 9, 8, 7, 0x20, 1, 0xd, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8};
	static const uint8_t ndst[16] = {192, 0, 2, 77, 0x20, 1, 0xd, 0xb8, 9, 9, 9, 9, 0xff, 0, 1, 2};
	unsigned bad = 0;

	for (unsigned v6 = 0; v6 < 2; v6++)
		for (unsigned kind = 0; kind < 3; kind++)
			for (unsigned ttl = 2; ttl < 256; ttl++) {
				uint8_t a[80], b[80];
				const unsigned hl = v6 ? 40 : 20;
				const uint8_t proto = kind == 2 ? IPPROTO_TCP : IPPROTO_UDP;
				for (unsigned i = 0; i < sizeof(a); i++)
					a[i] = (uint8_t)(i * 37 + ttl * 11 + kind);
				a[0] = v6 ? 0x60 : 0x45;
				a[v6 ? 7 : 8] = (uint8_t)ttl;
				if (kind == 1) /* UDP without a checksum */
					a[hl + 6] = a[hl + 7] = 0;
				memcpy(b, a, sizeof(a));
				if (v6) {
					nat_rewrite_ttl(a, hl, 40, proto, nsrc, 0x1234, ndst, 0x5678, 1, 1);
					nat_rewrite(b, hl, 40, proto, nsrc, 0x1234, ndst, 0x5678, 1);
					aw_fwd_ttl_decrement(b, 1);
				} else {
					nat_rewrite_ttl(a, hl, 40, proto, nsrc, 0x1234, ndst, 0x5678, 0, 1);
					nat_rewrite(b, hl, 40, proto, nsrc, 0x1234, ndst, 0x5678, 0);
					aw_fwd_ttl_decrement(b, 0);
				}
				bad += memcmp(a, b, sizeof(a)) != 0;
			}
	CHECK_EQ(bad, 0);
}

/* aw_csum_fold64 (the rotate fold) folds every sum as the compare-and-carry
 * reference does: the edges of both folds' carries, then a million
 * pseudo-random sums. */
static uint16_t
fold64_reference(uint64_t sum)
{
	uint32_t lo = (uint32_t)sum, t = lo + (uint32_t)(sum >> 32);

	t += t < lo; /* end-around carry */
	return aw_csum_fold(t);
}

static void
test_csum_fold64(void)
{
	static const uint64_t edge[] = {0, 1, 0xffff, 0x10000, 0x1fffe, 0xffffffff, 0x100000000,
					0xffffffff00000000, 0xffffffffffffffff, 0x8000000080000000,
					0xfffeffff0001, 0x0000ffff0000ffff};
	uint64_t x = 0x9e3779b97f4a7c15;
	unsigned bad = 0;

	for (unsigned i = 0; i < RTE_DIM(edge); i++)
		bad += aw_csum_fold64(edge[i]) != fold64_reference(edge[i]);
	for (unsigned i = 0; i < 1000000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint64_t sum = i & 1 ? x : x >> (i % 40); /* wide and narrow sums */
		bad += aw_csum_fold64(sum) != fold64_reference(sum);
	}
	CHECK_EQ(bad, 0);
}

/* frame(100, 64, true) to dst instead of PEER, through the route path. */
static struct rte_mbuf *
routed_to(const uint8_t dst[4])
{
	struct rte_mbuf *m = frame(100, 64, true);
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, RTE_ETHER_HDR_LEN);

	memcpy(ip + 16, dst, 4);
	memset(ip + 10, 0, 2);
	uint16_t ck = aw_csum(ip, 20);
	memcpy(ip + 10, &ck, 2);
	aw_fwd_send(&ctx, m, 0, 0, AW_FWD_CHECKED);
	return m;
}

static void
expect_mac(struct rte_mbuf *m, const struct rte_ether_addr *mac)
{
	CHECK_EQ(aw_meta(m)->verdict, AW_V_TX);
	CHECK(rte_is_same_ether_addr(&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr, mac));
	rte_pktmbuf_free(m);
}

/* The route path keeps the last neighbour found (its position only): other
 * next hops in between, a changed MAC, an unusable entry and a neighbour
 * learnt after a first miss all come out as the table says at the time. */
static void
test_neighbour_kept_by_the_lcore(void)
{
	static const uint8_t PEER2[4] = {198, 51, 100, 8}, PEER3[4] = {198, 51, 100, 9};
	static const struct rte_ether_addr MAC2 = {{2, 0, 0, 0, 0, 0x22}},
					   MAC3 = {{2, 0, 0, 0, 0, 0x33}};
	struct aw_addr a;

	aw_addr_set4(&a, PEER2);
	CHECK(aw_neigh_learn(dp.neigh, &a, &MAC2, PORT_OUT, true, rte_rdtsc()) >= 0);
	expect_mac(routed_to(PEER), &MAC1);
	expect_mac(routed_to(PEER), &MAC1);
	expect_mac(routed_to(PEER2), &MAC2);
	expect_mac(routed_to(PEER), &MAC1);
	aw_addr_set4(&a, PEER);
	CHECK(aw_neigh_learn(dp.neigh, &a, &MAC3, PORT_OUT, true, rte_rdtsc()) >= 0);
	expect_mac(routed_to(PEER), &MAC3); /* the new MAC, not a kept one */
	int32_t pos = rte_hash_lookup(dp.neigh->hash, &a);
	CHECK(pos >= 0);
	uint64_t w = dp.neigh->fast[pos].word;
	dp.neigh->fast[pos].word = w & ~AW_NEIGH_VALID;
	struct rte_mbuf *m = routed_to(PEER);
	CHECK_EQ(aw_meta(m)->verdict, AW_V_SLOW);
	CHECK_EQ(aw_meta(m)->arg, AW_SLOW_RESOLVE);
	rte_pktmbuf_free(m);
	dp.neigh->fast[pos].word = w;
	m = routed_to(PEER3); /* not known yet: resolution asked */
	CHECK_EQ(aw_meta(m)->verdict, AW_V_SLOW);
	CHECK_EQ(aw_meta(m)->arg, AW_SLOW_RESOLVE);
	rte_pktmbuf_free(m);
	aw_addr_set4(&a, PEER3);
	CHECK(aw_neigh_learn(dp.neigh, &a, &MAC2, PORT_OUT, true, rte_rdtsc()) >= 0);
	expect_mac(routed_to(PEER3), &MAC2);
	expect_mac(routed_to(PEER), &MAC3);
}

/* aw_csum_bulk (32 bytes a step in SSE2 lanes, 8 bytes a step else) folds
 * to what the 16-bit reference sum aw_csum_partial gives, for every length
 * 0..300 and 1400..1600 at every alignment 0..7, on patterned bytes, on all
 * ones (every add carries) and on pseudo-random bytes. */
static unsigned
csum_bulk_mismatches(const uint8_t *buf, unsigned lo, unsigned hi)
{
	unsigned bad = 0;

	for (unsigned off = 0; off < 8; off++)
		for (unsigned len = lo; len <= hi; len++) {
			uint16_t want = aw_csum_fold(aw_csum_partial(buf + off, len, 0x1234));
			uint16_t got = aw_csum_fold64(aw_csum_bulk(0x1234, buf + off, len));
			bad += want != got;
		}
	return bad;
}

static void
test_csum_bulk_equals_reference(void)
{
	static uint8_t buf[1616];
	uint32_t x = 0x9e3779b9;

	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 151 + 7 + (i >> 3) * 13);
	CHECK_EQ(csum_bulk_mismatches(buf, 0, 300), 0);
	CHECK_EQ(csum_bulk_mismatches(buf, 1400, 1600), 0);
	memset(buf, 0xff, sizeof(buf));
	CHECK_EQ(csum_bulk_mismatches(buf, 0, 300), 0);
	CHECK_EQ(csum_bulk_mismatches(buf, 1400, 1600), 0);
	for (unsigned i = 0; i < sizeof(buf); i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
	CHECK_EQ(csum_bulk_mismatches(buf, 0, 300), 0);
	CHECK_EQ(csum_bulk_mismatches(buf, 1400, 1600), 0);
}

AW_TEST_MAIN(AW_TEST(test_forwarded_through_cache), AW_TEST(test_check_refuses),
	     AW_TEST(test_ttl_done), AW_TEST(test_nat_rewrite_ttl), AW_TEST(test_csum_fold64),
	     AW_TEST(test_neighbour_kept_by_the_lcore), AW_TEST(test_csum_bulk_equals_reference))
