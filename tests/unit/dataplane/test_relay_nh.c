/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay's next-hop cache (dataplane/trs/aw_relay_nh.h) against a real
 * neighbour table and LPM: filled by the first packet, used by the next ones,
 * a neighbour's new MAC seen at once, an unusable neighbour sent down the
 * route path (to be resolved), the MTU checked, a rebind clearing it and a
 * fill racing a rebind refused. */
#include "aw_test.h"

#include <rte_cycles.h>
#include <rte_lpm.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "aw_eal_test.h"
#include "aw_neigh_priv.h"
#include "aw_pkt.h"
#include "aw_relay_nh.h"

#define PORT_OUT 1

static struct aw_dp dp;
static struct aw_lcore_ctx ctx;
static struct rte_mempool *pool;
static struct aw_routes *routes;
static const uint8_t PEER[4] = {198, 51, 100, 7};
static const struct rte_ether_addr MAC1 = {{2, 0, 0, 0, 0, 0x11}}, MAC2 = {{2, 0, 0, 0, 0, 0x22}};

static void
setup(void)
{
	struct aw_neigh_settings ns = {.max_entries = 64, .reachable_s = 3600,
				       .probe_interval_ms = 1000, .probes = 3,
				       .pending_packets = 4};
	struct rte_lpm_config lc = {.max_rules = 16, .number_tbl8s = 16};
	char err[128];

	aw_test_eal_init();
	CHECK(aw_meta_register() == 0);
	pool = rte_pktmbuf_pool_create("ut_nh_pool", 63, 0, 0, 2048 + RTE_PKTMBUF_HEADROOM,
				       SOCKET_ID_ANY);
	routes = rte_zmalloc("ut_nh_routes", sizeof(*routes) + sizeof(struct aw_nexthop), 0);
	CHECK(pool != NULL && routes != NULL);
	routes->lpm4 = rte_lpm_create("ut_nh_lpm", SOCKET_ID_ANY, &lc);
	CHECK(routes->lpm4 != NULL);
	routes->default4 = routes->default6 = -1;
	routes->n_nh = 1;
	routes->nh[0].port = PORT_OUT; /* connected: the peer is its own next hop */
	CHECK(rte_lpm_add(routes->lpm4, (uint32_t)198 << 24 | 51u << 16 | 100u << 8, 24, 0) == 0);
	dp.routes = routes;
	dp.neigh = aw_neigh_create(&ns, rte_get_tsc_hz(), err, sizeof(err));
	CHECK(dp.neigh != NULL);
	dp.n_ports = 2;
	dp.ports[PORT_OUT].mtu = 1500;
	dp.ports[PORT_OUT].mac = (struct rte_ether_addr){{2, 0, 0, 0, 0, 0x01}};
	ctx.dp = &dp;
}

static void
learn(const struct rte_ether_addr *mac)
{
	struct aw_addr a;

	aw_addr_set4(&a, PEER);
	CHECK(aw_neigh_learn(dp.neigh, &a, mac, PORT_OUT, true, rte_rdtsc()) >= 0);
}

/* An IPv4/UDP frame of `len` IP bytes to PEER, sent through the cache. */
static struct aw_meta
nh_send(struct aw_relay_side *s, uint16_t len, struct rte_ether_addr *dst)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct aw_relay_bind b;
	uint32_t seq = 0;
	struct aw_meta out;

	CHECK(m != NULL);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(RTE_ETHER_HDR_LEN + len));
	memset(p, 0, RTE_ETHER_HDR_LEN + len);
	p[14] = 0x45;
	p[22] = 64;
	p[23] = 17;
	memcpy(p + 30, PEER, 4);
	CHECK(aw_relay_bind_read(s, &b, &seq));
	aw_meta(m)->verdict = 0xff;
	aw_relay_nh_send(&ctx, m, s, &b, seq);
	out = *aw_meta(m);
	*dst = rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr;
	rte_pktmbuf_free(m);
	return out;
}

static void
test_nh_cache(void)
{
	struct aw_relay_side s;
	struct rte_ether_addr dst;
	struct aw_meta v;

	setup();
	memset(&s, 0, sizeof(s));
	memcpy(s.bind.addr, PEER, 4);
	s.bind.port_be = RTE_BE16(4000);
	s.bind.bound = 1;
	learn(&MAC1);

	v = nh_send(&s, 100, &dst); /* miss: the route path sends it, the cache is filled */
	CHECK_EQ(v.verdict, AW_V_TX);
	CHECK_EQ(v.port_out, PORT_OUT);
	CHECK(rte_is_same_ether_addr(&dst, &MAC1));
	CHECK(s.bind.nh != 0);
	CHECK_EQ(s.bind.nh >> 24, PORT_OUT);
	CHECK_EQ(s.wseq, 2);
	uint32_t nh = s.bind.nh;

	v = nh_send(&s, 100, &dst); /* hit */
	CHECK_EQ(v.verdict, AW_V_TX);
	CHECK(rte_is_same_ether_addr(&dst, &MAC1));
	CHECK_EQ(s.wseq, 2);

	learn(&MAC2); /* the neighbour moved: seen by the next packet */
	v = nh_send(&s, 100, &dst);
	CHECK_EQ(v.verdict, AW_V_TX);
	CHECK(rte_is_same_ether_addr(&dst, &MAC2));
	CHECK_EQ(s.bind.nh, nh);

	v = nh_send(&s, 1501, &dst); /* over the egress MTU */
	CHECK_EQ(v.verdict, AW_V_DROP);
	CHECK_EQ(v.arg, AW_DROP_MTU_EXCEEDED);

	/* An unusable neighbour: the route path takes it (resolution). */
	uint64_t w = dp.neigh->fast[(nh & 0xffffff) - 1].word;
	dp.neigh->fast[(nh & 0xffffff) - 1].word = w & ~AW_NEIGH_VALID;
	v = nh_send(&s, 100, &dst);
	CHECK_EQ(v.verdict, AW_V_SLOW);
	CHECK_EQ(v.arg, AW_SLOW_RESOLVE);
	dp.neigh->fast[(nh & 0xffffff) - 1].word = w;

	/* A fill from a version a rebind has passed is refused. */
	aw_relay_side_lock(&s);
	s.bind.nh = 0; /* as accept_signal does on a rebind */
	aw_relay_side_unlock(&s);
	aw_relay_side_set_nh(&s, 2, nh);
	CHECK_EQ(s.bind.nh, 0);
	CHECK_EQ(s.wseq, 4);
	v = nh_send(&s, 100, &dst); /* refilled from the current version */
	CHECK_EQ(v.verdict, AW_V_TX);
	CHECK_EQ(s.bind.nh, nh);
	CHECK_EQ(s.wseq, 6);
}

static void
test_no_route_not_cached(void)
{
	struct aw_relay_side s;
	struct rte_ether_addr dst;

	memset(&s, 0, sizeof(s));
	s.bind.addr[0] = 203;
	s.bind.bound = 1;
	struct aw_meta v = nh_send(&s, 100, &dst);
	(void)v; /* PEER is written into the frame; the cache looks at the binding */
	CHECK_EQ(s.bind.nh, 0);
	CHECK_EQ(s.wseq, 0);
}

AW_TEST_MAIN(AW_TEST(test_nh_cache), AW_TEST(test_no_route_not_cached))
