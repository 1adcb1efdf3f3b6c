/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_reorder: order restored, gaps skipped after the timeout with fillers,
 * late packets refused, teardown never frees an mbuf twice — and a probe of
 * the installed DPDK for the 22.11 bug where mbufs returned by drain were freed
 * again by rte_reorder_free (reported, and avoided by aw_reorder either way).
 */
#include "aw_test.h"

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_reorder.h>
#include <rte_version.h>

#include "aw_dp.h"
#include "aw_eal_test.h"
#include "aw_pkt.h"
#include "aw_reorder.h"

static struct rte_mempool *pool;

static void
mark(struct rte_mbuf *m)
{
	aw_meta(m)->verdict = AW_V_FILLER;
}

static struct rte_mbuf *
pkt(uint32_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	*rte_reorder_seqn(m) = seq;
	aw_meta(m)->verdict = AW_V_TX;
	return m;
}

/* Drains and checks that the non-filler packets carry exactly `want`. */
static void
expect_drain(struct aw_reorder *r, uint64_t now, const uint32_t *want, unsigned n)
{
	struct rte_mbuf *out[64];
	unsigned got = aw_reorder_drain(r, out, 64, now), k = 0;

	for (unsigned i = 0; i < got; i++) {
		if (aw_meta(out[i])->verdict != AW_V_FILLER) {
			CHECK(k < n);
			if (k < n)
				CHECK_EQ(*rte_reorder_seqn(out[i]), want[k]);
			k++;
		}
		rte_pktmbuf_free(out[i]);
	}
	CHECK_EQ(k, n);
}

static void
test_dpdk_drain_free_bug_probe(void)
{
	struct rte_reorder_buffer *b = rte_reorder_create("probe", 0, 8);
	struct rte_mbuf *out[8];

	CHECK(b != NULL);
	for (uint32_t s = 0; s < 4; s++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		*rte_reorder_seqn(m) = s;
		CHECK_EQ(rte_reorder_insert(b, m), 0);
	}
	unsigned n = rte_reorder_drain(b, out, 8);
	CHECK_EQ(n, 4);
	unsigned before = rte_mempool_avail_count(pool);
	rte_reorder_free(b);
	unsigned after = rte_mempool_avail_count(pool);
	if (after != before) {
		printf("NOTE: installed DPDK frees drained mbufs again in rte_reorder_free "
		       "(%u extra frees); aw_reorder never calls it\n", after - before);
		return; /* do not free them a second time */
	}
	printf("NOTE: installed DPDK %s has the drain/free fix\n", rte_version());
	for (unsigned i = 0; i < n; i++)
		rte_pktmbuf_free(out[i]);
}

static void
test_in_order_and_out_of_order(void)
{
	struct aw_reorder *r = aw_reorder_create("t1", 64, pool, 1000, 0, mark);
	CHECK(r != NULL);
	CHECK_EQ(aw_reorder_insert(r, pkt(1)), 0);
	CHECK_EQ(aw_reorder_insert(r, pkt(2)), 0);
	expect_drain(r, 0, (uint32_t[]){1, 2}, 2);
	CHECK_EQ(aw_reorder_insert(r, pkt(5)), 0);
	CHECK_EQ(aw_reorder_insert(r, pkt(3)), 0);
	expect_drain(r, 0, (uint32_t[]){3}, 1); /* 4 missing: 5 waits */
	CHECK_EQ(aw_reorder_insert(r, pkt(4)), 0);
	expect_drain(r, 0, (uint32_t[]){4, 5}, 2);
	aw_reorder_destroy(r);
}

static void
test_gap_skipped_after_timeout_and_late_refused(void)
{
	struct aw_reorder *r = aw_reorder_create("t2", 64, pool, 1000, 0, mark);
	uint64_t t0 = 1000000;

	CHECK_EQ(aw_reorder_insert(r, pkt(2)), 0); /* 1 is missing */
	CHECK_EQ(aw_reorder_insert(r, pkt(3)), 0);
	expect_drain(r, t0, NULL, 0);        /* stall starts */
	expect_drain(r, t0 + 500, NULL, 0);  /* still within the timeout */
	expect_drain(r, t0 + 1500, (uint32_t[]){2, 3}, 2);
	CHECK_EQ(r->gaps_skipped, 1);
	struct rte_mbuf *late = pkt(1);
	CHECK_EQ(aw_reorder_insert(r, late), -1);
	rte_pktmbuf_free(late);
	CHECK_EQ(aw_reorder_insert(r, pkt(4)), 0);
	expect_drain(r, t0 + 1600, (uint32_t[]){4}, 1);
	aw_reorder_destroy(r);
}

static void
test_flush_and_destroy_free_nothing_twice(void)
{
	unsigned start = rte_mempool_avail_count(pool);
	struct aw_reorder *r = aw_reorder_create("t3", 64, pool, 1000, 0, mark);
	struct rte_mbuf *out[64];

	CHECK_EQ(aw_reorder_insert(r, pkt(1)), 0);
	CHECK_EQ(aw_reorder_insert(r, pkt(3)), 0);
	CHECK_EQ(aw_reorder_insert(r, pkt(6)), 0);
	unsigned n = aw_reorder_flush(r, out, 64), real = 0;
	for (unsigned i = 0; i < n; i++) {
		real += aw_meta(out[i])->verdict != AW_V_FILLER;
		rte_pktmbuf_free(out[i]);
	}
	CHECK_EQ(real, 3);
	aw_reorder_destroy(r);
	CHECK_EQ(rte_mempool_avail_count(pool), start);
}

int
main(void)
{
	aw_test_eal_init();
	CHECK_EQ(aw_meta_register(), 0);
	pool = rte_pktmbuf_pool_create("ut", 1023, 0, 0, 256, 0);
	CHECK(pool != NULL);
	static const struct aw_test_case cases[] = {
		AW_TEST(test_dpdk_drain_free_bug_probe),
		AW_TEST(test_in_order_and_out_of_order),
		AW_TEST(test_gap_skipped_after_timeout_and_late_refused),
		AW_TEST(test_flush_and_destroy_free_nothing_twice),
	};
	return aw_test_run(cases, sizeof(cases) / sizeof(cases[0]));
}
