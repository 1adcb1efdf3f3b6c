/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_reorder: order restored, gaps skipped after the timeout (every missing
 * number up to the first packet held), late / duplicate / too-far packets
 * refused, sequence numbers wrapping, flush returning everything held.
 */
#include "aw_test.h"

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_reorder.h>

#include "aw_eal_test.h"
#include "aw_reorder.h"

static struct rte_mempool *pool;

static struct rte_mbuf *
pkt(uint32_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	*rte_reorder_seqn(m) = seq;
	return m;
}

/* Drains and checks that the packets carry exactly `want`. */
static void
expect_drain(struct aw_reorder *r, uint64_t now, const uint32_t *want, unsigned n)
{
	struct rte_mbuf *out[64];
	unsigned got = aw_reorder_drain(r, out, 64, now);

	CHECK_EQ(got, n);
	for (unsigned i = 0; i < got; i++) {
		if (i < n)
			CHECK_EQ(*rte_reorder_seqn(out[i]), want[i]);
		rte_pktmbuf_free(out[i]);
	}
}

/* A packet insert refuses: the caller keeps (and here frees) it. */
static void
expect_refused(struct aw_reorder *r, uint32_t seq)
{
	struct rte_mbuf *m = pkt(seq);
	CHECK_EQ(aw_reorder_insert(r, m), -1);
	rte_pktmbuf_free(m);
}

static void
test_in_order_and_out_of_order(void)
{
	struct aw_reorder *r = aw_reorder_create("t1", 64, 1000, 0);
	CHECK(r != NULL);
	CHECK_EQ(aw_reorder_insert(r, pkt(1)), 0);
	CHECK_EQ(aw_reorder_insert(r, pkt(2)), 0);
	expect_drain(r, 0, (uint32_t[]){1, 2}, 2);
	CHECK_EQ(aw_reorder_insert(r, pkt(5)), 0);
	CHECK_EQ(aw_reorder_insert(r, pkt(3)), 0);
	expect_drain(r, 0, (uint32_t[]){3}, 1); /* 4 missing: 5 waits */
	CHECK_EQ(aw_reorder_insert(r, pkt(4)), 0);
	expect_drain(r, 0, (uint32_t[]){4, 5}, 2);
	CHECK_EQ(r->held, 0);
	aw_reorder_destroy(r);
}

static void
test_gap_skipped_after_timeout_and_late_refused(void)
{
	struct aw_reorder *r = aw_reorder_create("t2", 64, 1000, 0);
	uint64_t t0 = 1000000;

	CHECK_EQ(aw_reorder_insert(r, pkt(2)), 0); /* 1 is missing */
	CHECK_EQ(aw_reorder_insert(r, pkt(3)), 0);
	expect_drain(r, t0, NULL, 0);        /* stall starts */
	expect_drain(r, t0 + 500, NULL, 0);  /* still within the timeout */
	expect_drain(r, t0 + 1500, (uint32_t[]){2, 3}, 2);
	CHECK_EQ(r->gaps_skipped, 1);
	expect_refused(r, 1); /* its number was skipped */
	expect_refused(r, 3); /* drained already */
	CHECK_EQ(aw_reorder_insert(r, pkt(4)), 0);
	expect_drain(r, t0 + 1600, (uint32_t[]){4}, 1);
	/* 5..9 lost: one timeout skips all five */
	CHECK_EQ(aw_reorder_insert(r, pkt(10)), 0);
	expect_drain(r, t0 + 2000, NULL, 0);
	expect_drain(r, t0 + 3500, (uint32_t[]){10}, 1);
	CHECK_EQ(r->gaps_skipped, 6);
	aw_reorder_destroy(r);
}

static void
test_window_and_duplicates(void)
{
	struct aw_reorder *r = aw_reorder_create("t3", 64, 1000, 0); /* 128 numbers */

	CHECK(aw_reorder_create("bad", 100, 1000, 0) == NULL); /* not a power of two */
	CHECK_EQ(aw_reorder_insert(r, pkt(128)), 0);  /* 1 + 127: the window's last */
	expect_refused(r, 129);                       /* past it */
	expect_refused(r, 128);                       /* the same number twice */
	CHECK_EQ(r->held, 1);
	for (uint32_t s = 1; s < 128; s++)
		CHECK_EQ(aw_reorder_insert(r, pkt(s)), 0);
	struct rte_mbuf *out[256];
	unsigned n = aw_reorder_drain(r, out, 256, 0);
	CHECK_EQ(n, 128);
	for (unsigned i = 0; i < n; i++) {
		CHECK_EQ(*rte_reorder_seqn(out[i]), i + 1);
		rte_pktmbuf_free(out[i]);
	}
	CHECK_EQ(aw_reorder_insert(r, pkt(129)), 0); /* the window moved */
	expect_drain(r, 0, (uint32_t[]){129}, 1);
	aw_reorder_destroy(r);
}

static void
test_insert_burst_returns_the_refused(void)
{
	struct aw_reorder *r = aw_reorder_create("t6", 64, 1000, 0);
	struct rte_mbuf *m[5] = {pkt(3), pkt(1), pkt(3), pkt(500), pkt(2)}, *late[5];

	unsigned nl = aw_reorder_insert_burst(r, m, 5, late);
	CHECK_EQ(nl, 2); /* the second 3, and 500 (past the window) */
	CHECK(nl == 2 && late[0] == m[2] && late[1] == m[3]);
	rte_pktmbuf_free_bulk(late, nl);
	CHECK_EQ(r->held, 3);
	expect_drain(r, 0, (uint32_t[]){1, 2, 3}, 3);
	aw_reorder_destroy(r);
}

static void
test_sequence_numbers_wrap(void)
{
	struct aw_reorder *r = aw_reorder_create("t4", 64, 1000, 0);

	r->next = UINT32_MAX - 1; /* as after 2^32 - 2 packets */
	CHECK_EQ(aw_reorder_insert(r, pkt(1)), 0);
	CHECK_EQ(aw_reorder_insert(r, pkt(UINT32_MAX)), 0);
	CHECK_EQ(aw_reorder_insert(r, pkt(0)), 0);
	CHECK_EQ(aw_reorder_insert(r, pkt(UINT32_MAX - 1)), 0);
	expect_refused(r, UINT32_MAX - 2);
	expect_drain(r, 0, (uint32_t[]){UINT32_MAX - 1, UINT32_MAX, 0, 1}, 4);
	aw_reorder_destroy(r);
}

static void
test_flush_returns_everything_held(void)
{
	unsigned start = rte_mempool_avail_count(pool);
	struct aw_reorder *r = aw_reorder_create("t5", 64, 1000, 0);
	struct rte_mbuf *out[64];

	CHECK_EQ(aw_reorder_insert(r, pkt(1)), 0);
	CHECK_EQ(aw_reorder_insert(r, pkt(3)), 0);
	CHECK_EQ(aw_reorder_insert(r, pkt(6)), 0);
	unsigned n = aw_reorder_flush(r, out, 64);
	static const uint32_t want[] = {1, 3, 6};
	CHECK_EQ(n, 3);
	for (unsigned i = 0; i < n; i++) {
		CHECK_EQ(*rte_reorder_seqn(out[i]), want[i]);
		rte_pktmbuf_free(out[i]);
	}
	CHECK_EQ(r->held, 0);
	CHECK_EQ(aw_reorder_flush(r, out, 64), 0);
	aw_reorder_destroy(r);
	CHECK_EQ(rte_mempool_avail_count(pool), start);
}

int
main(void)
{
	aw_test_eal_init();
	pool = rte_pktmbuf_pool_create("ut", 1023, 0, 0, 256, 0);
	CHECK(pool != NULL);
	struct aw_reorder *t0 = aw_reorder_create("t0", 64, 1000, 0); /* registers the dynfield */
	CHECK(t0 != NULL);
	aw_reorder_destroy(t0);
	static const struct aw_test_case cases[] = {
		AW_TEST(test_in_order_and_out_of_order),
		AW_TEST(test_gap_skipped_after_timeout_and_late_refused),
		AW_TEST(test_window_and_duplicates),
		AW_TEST(test_insert_burst_returns_the_refused),
		AW_TEST(test_sequence_numbers_wrap),
		AW_TEST(test_flush_returns_everything_held),
	};
	return aw_test_run(cases, sizeof(cases) / sizeof(cases[0]));
}
