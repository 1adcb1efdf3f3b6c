/* SPDX-License-Identifier: BSD-3-Clause */
/* Address set (own addresses and VIPs, copy-on-write updates) and neighbour
 * cache (states, pending queue, probes, failure, hold-down). */
#include "aw_test.h"

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "aw_addrset.h"
#include "aw_dp.h"
#include "aw_eal_test.h"
#include "aw_neigh.h"
#include "aw_pkt.h"

static struct rte_mempool *pool;

static struct aw_addr
A(const char *s)
{
	struct aw_addr a;
	aw_addr_parse(s, &a, NULL, 0);
	return a;
}

static void
test_addrset(void)
{
	struct aw_port ports[2] = {0};
	struct aw_vip_conf vips[1] = {{.addr = A("203.0.113.10"), .aarp = true}};
	aw_prefix_parse("10.1.0.1/24", true, &ports[0].addrs[0], NULL, 0);
	aw_prefix_parse("2001:db8:2::1/64", true, &ports[1].addrs[0], NULL, 0);
	ports[0].n_addrs = ports[1].n_addrs = 1;

	struct aw_addrset *s = aw_addrset_build(ports, 2, vips, 1);
	struct aw_addr a = A("10.1.0.1"), v6 = A("2001:db8:2::1"), vip = A("203.0.113.10");
	const struct aw_addrset_entry *e = aw_addrset_lookup(s, a.b, a.family);
	CHECK(e != NULL && (e->flags & AW_ADDR_OWN) && e->port == 0);
	e = aw_addrset_lookup(s, v6.b, v6.family);
	CHECK(e != NULL && e->port == 1);
	e = aw_addrset_lookup(s, vip.b, vip.family);
	CHECK(e != NULL && (e->flags & AW_ADDR_VIP) && (e->flags & AW_ADDR_AARP));
	struct aw_addr other = A("10.1.0.2");
	CHECK(aw_addrset_lookup(s, other.b, other.family) == NULL);
	/* IPv4 and IPv6 keys never collide even with equal leading bytes. */
	struct aw_addr v6ish = A("a01:1::");
	CHECK(aw_addrset_lookup(s, v6ish.b, v6ish.family) == NULL);

	/* Add many VIPs one by one (copy-on-write), then remove one. */
	struct aw_addrset *cur = s;
	for (int i = 0; i < 300; i++) {
		struct aw_addr x;
		char buf[32];
		snprintf(buf, sizeof(buf), "198.51.%d.%d", i / 200, i % 200);
		x = A(buf);
		struct aw_addrset *n = aw_addrset_with_vip(cur, &x, 0);
		CHECK(n != NULL);
		aw_addrset_free(cur);
		cur = n;
	}
	CHECK_EQ(cur->count, 3 + 300);
	struct aw_addr x = A("198.51.1.50");
	CHECK(aw_addrset_lookup(cur, x.b, x.family) != NULL);
	bool found;
	struct aw_addrset *n = aw_addrset_without_vip(cur, &x, &found);
	CHECK(found);
	CHECK(aw_addrset_lookup(n, x.b, x.family) == NULL);
	CHECK_EQ(n->count, cur->count - 1);
	/* Removing a VIP never removes an own address. */
	struct aw_addrset *n2 = aw_addrset_without_vip(n, &a, &found);
	CHECK(!found);
	CHECK(aw_addrset_lookup(n2, a.b, a.family) != NULL);
	aw_addrset_free(cur);
	aw_addrset_free(n);
	aw_addrset_free(n2);
}

static int probes;
static int failed;

static void
on_probe(int32_t pos, void *arg)
{
	(void)pos, (void)arg;
	probes++;
}

static void
on_fail(struct rte_mbuf *m, void *arg)
{
	(void)arg;
	failed++;
	rte_pktmbuf_free(m);
}

static void
on_fail_keep(struct rte_mbuf *m, void *arg)
{
	(void)m, (void)arg;
	failed++;
}

static void
test_neigh(void)
{
	struct aw_neigh_settings set = {.max_entries = 64, .reachable_s = 10,
					.probe_interval_ms = 100, .probes = 3,
					.pending_packets = 2};
	uint64_t hz = 1000000; /* 1 tick = 1 us for the test clock */
	char err[128];
	struct aw_neigh_table *t = aw_neigh_create(&set, hz, err, sizeof(err));
	CHECK(t != NULL);
	struct aw_addr gw = A("10.1.0.254"), other = A("10.1.0.9");
	struct rte_ether_addr mac = {{2, 0, 0, 0, 0, 0xfe}}, got;
	uint8_t port = 0xff;

	CHECK(!aw_neigh_lookup(t, &gw, &got, &port));
	CHECK_EQ(aw_neigh_learn(t, &other, &mac, 0, false, 0), -1); /* unsolicited: ignored */
	int32_t pos = aw_neigh_get_or_create(t, &gw, 1);
	CHECK(pos >= 0);
	CHECK(!aw_neigh_lookup(t, &gw, &got, &port)); /* incomplete */
	CHECK(aw_neigh_enqueue(t, pos, rte_pktmbuf_alloc(pool)));
	CHECK(aw_neigh_enqueue(t, pos, rte_pktmbuf_alloc(pool)));
	struct rte_mbuf *extra = rte_pktmbuf_alloc(pool);
	CHECK(!aw_neigh_enqueue(t, pos, extra)); /* pending_packets = 2 */
	rte_pktmbuf_free(extra);

	/* Probes every 100 ms, then failure drops the queue. */
	for (uint64_t now = 0; now <= 400000; now += 10000)
		aw_neigh_timers(t, now, 64, on_probe, on_fail, NULL);
	CHECK_EQ(probes, 3);
	CHECK_EQ(failed, 2);
	CHECK_EQ(aw_neigh_state(t, pos), AW_NEIGH_FAILED);
	/* Failed at 300 ms (after probes at 0, 100, 200 ms); held down for one interval. */
	CHECK(!aw_neigh_restart(t, pos, 300000 + 1));
	CHECK(aw_neigh_restart(t, pos, 400000));
	CHECK_EQ(aw_neigh_state(t, pos), AW_NEIGH_INCOMPLETE);

	/* An answer makes it reachable on the port it came from. */
	CHECK_EQ(aw_neigh_learn(t, &gw, &mac, 1, false, 700000), pos);
	CHECK(aw_neigh_lookup(t, &gw, &got, &port));
	CHECK(rte_is_same_ether_addr(&got, &mac));
	CHECK_EQ(port, 1);
	/* Past reachable time: stale, still usable, re-probed. */
	probes = 0;
	aw_neigh_timers(t, 700000 + 10 * hz + 1, 64, on_probe, on_fail, NULL);
	aw_neigh_timers(t, 700000 + 10 * hz + 2, 64, on_probe, on_fail, NULL);
	CHECK_EQ(aw_neigh_state(t, pos), AW_NEIGH_STALE);
	CHECK(aw_neigh_lookup(t, &gw, &got, &port));
	CHECK_EQ(probes, 1);

	/* Static entries never expire. */
	struct aw_addr st = A("2001:db8::fe");
	CHECK_EQ(aw_neigh_add_static(t, &st, &mac, 0), 0);
	aw_neigh_timers(t, UINT64_MAX / 2, 64, on_probe, on_fail, NULL);
	CHECK(aw_neigh_lookup(t, &st, &got, &port));

	/* The table is bounded. */
	int created = 0;
	for (int i = 0; i < 200; i++) {
		struct aw_addr x;
		char buf[32];
		snprintf(buf, sizeof(buf), "10.9.%d.%d", i / 250, i % 250);
		x = A(buf);
		created += aw_neigh_get_or_create(t, &x, 0) >= 0;
	}
	CHECK(created < 200);
	CHECK(created >= 60 - 3);
	aw_neigh_free(t);
}

static int32_t probed[16];
static unsigned n_probed;

static void
on_probe_record(int32_t pos, void *arg)
{
	(void)arg;
	if (n_probed < RTE_DIM(probed))
		probed[n_probed] = pos;
	n_probed++;
}

/*
 * The timer scan examines `budget` entries per call, in the order they were
 * created, and a call that reaches the last one stops there (the next starts
 * from the first), however large the table's capacity: a few entries in a
 * table of 65,536 (the scan used to walk the hash's empty slots too, so a
 * call cost the capacity, not the budget: bench/RESULTS.md, tenth round).
 */
static void
test_neigh_timer_scan(void)
{
	struct aw_neigh_settings set = {.max_entries = 65536, .reachable_s = 10,
					.probe_interval_ms = 100, .probes = 100,
					.pending_packets = 1};
	const uint64_t hz = 1000000, step = hz; /* 1 s a call: every entry is due */
	char err[128];
	struct aw_neigh_table *t = aw_neigh_create(&set, hz, err, sizeof(err));
	int32_t pos[5];

	CHECK(t != NULL);
	for (unsigned i = 0; i < RTE_DIM(pos); i++) {
		char buf[32];
		snprintf(buf, sizeof(buf), "10.7.%u.%u", i * 37 % 256, 200 - i);
		struct aw_addr a = A(buf);
		pos[i] = aw_neigh_get_or_create(t, &a, 0);
		CHECK(pos[i] >= 0);
	}
	/* budget 2: 0 1 | 2 3 | 4 (the end) | 0 1 */
	const unsigned want[] = {0, 1, 2, 3, 4, 0, 1};
	const unsigned per_call[] = {2, 2, 1, 2};
	unsigned k = 0;
	n_probed = 0;
	for (unsigned call = 0; call < RTE_DIM(per_call); call++) {
		unsigned before = n_probed;
		aw_neigh_timers(t, (call + 1) * step, 2, on_probe_record, on_fail, NULL);
		CHECK_EQ(n_probed - before, per_call[call]);
	}
	CHECK_EQ(n_probed, RTE_DIM(want));
	for (k = 0; k < RTE_DIM(want); k++)
		CHECK_EQ(probed[k], pos[want[k]]);
	/* An empty budget examines nothing. */
	aw_neigh_timers(t, 10 * step, 0, on_probe_record, on_fail, NULL);
	CHECK_EQ(n_probed, RTE_DIM(want));
	aw_neigh_free(t);
}

/*
 * Pending queues come from a pool of AW_NEIGH_PENDING_QUEUES shared by the
 * entries: in a table larger than the pool, one entry more than the pool
 * cannot queue until another entry's packets are taken, and a failed entry
 * gives its queue back too. (One mbuf stands for every packet: all are taken
 * back before the table is freed.)
 */
static void
test_neigh_pending_pool(void)
{
	struct aw_neigh_settings set = {.max_entries = 8192, .reachable_s = 10,
					.probe_interval_ms = 100, .probes = 1,
					.pending_packets = 2};
	const unsigned nq = AW_NEIGH_PENDING_QUEUES, n = nq + 1;
	char err[128];
	struct aw_neigh_table *t = aw_neigh_create(&set, 1000000, err, sizeof(err));
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool), *out[2];
	static int32_t pos[AW_NEIGH_PENDING_QUEUES + 1];
	unsigned queued = 0;

	CHECK(t != NULL && m != NULL);
	for (unsigned i = 0; i < n; i++) {
		struct aw_addr a = {.family = AW_AF_INET4};
		uint32_t v = rte_cpu_to_be_32(0x0a100000u + i);
		memcpy(a.b, &v, 4);
		pos[i] = aw_neigh_get_or_create(t, &a, 0);
		CHECK(pos[i] >= 0);
	}
	for (unsigned i = 0; i < nq; i++)
		queued += aw_neigh_enqueue(t, pos[i], m);
	CHECK_EQ(queued, nq);
	CHECK(aw_neigh_enqueue(t, pos[0], m));   /* its own queue: a second packet */
	CHECK(!aw_neigh_enqueue(t, pos[0], m));  /* pending_packets = 2 */
	CHECK(!aw_neigh_enqueue(t, pos[nq], m)); /* the pool is empty */
	CHECK_EQ(aw_neigh_take_pending(t, pos[0], out), 2);
	CHECK(out[0] == m && out[1] == m);
	CHECK(aw_neigh_enqueue(t, pos[nq], m));  /* entry 0's queue, given back */
	CHECK(!aw_neigh_enqueue(t, pos[0], m));
	/* Every entry fails (one probe, unanswered): the nq waiting packets are
	 * failed and every queue is back in the pool. */
	failed = 0;
	aw_neigh_timers(t, 0, n, on_probe, on_fail_keep, NULL);
	aw_neigh_timers(t, 200000, n, on_probe, on_fail_keep, NULL);
	CHECK_EQ(aw_neigh_state(t, pos[1]), AW_NEIGH_FAILED);
	CHECK_EQ(failed, (int)nq);
	CHECK(aw_neigh_enqueue(t, pos[0], m)); /* it held no queue: one from the pool */
	queued = 0;
	for (unsigned i = 1; i < nq; i++)
		queued += aw_neigh_enqueue(t, pos[i], m);
	CHECK_EQ(queued, nq - 1);
	CHECK(!aw_neigh_enqueue(t, pos[nq], m)); /* the pool is empty again */
	/* Everything back before the table is freed (one mbuf stood for all). */
	for (unsigned i = 0; i <= nq; i++)
		aw_neigh_take_pending(t, pos[i], out);
	aw_neigh_free(t);
	rte_pktmbuf_free(m);
}

int
main(void)
{
	aw_test_eal_init();
	CHECK_EQ(aw_meta_register(), 0);
	pool = rte_pktmbuf_pool_create("ut", 1023, 0, 0, 256, 0);
	static const struct aw_test_case cases[] = {AW_TEST(test_addrset), AW_TEST(test_neigh),
						   AW_TEST(test_neigh_timer_scan),
						   AW_TEST(test_neigh_pending_pool)};
	return aw_test_run(cases, sizeof(cases) / sizeof(cases[0]));
}
