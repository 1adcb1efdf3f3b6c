/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_reorder: order restored, gaps skipped after the timeout (every missing
 * number up to the first packet held), late / duplicate / too-far packets
 * refused, sequence numbers wrapping, flush returning everything held;
 * bursts of consecutive numbers (block copies) across the ring's end and the
 * bitmap's words, partly refused, in a window smaller than a burst.
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

/* Inserts seq[0..n) as one burst; returns how many were refused (freed). */
static unsigned
insert_burst_of(struct aw_reorder *r, const uint32_t *seq, unsigned n)
{
	struct rte_mbuf *m[64], *late[64];

	for (unsigned i = 0; i < n; i++)
		m[i] = pkt(seq[i]);
	unsigned nl = aw_reorder_insert_burst(r, m, n, late);
	for (unsigned i = 0; i < nl; i++)
		rte_pktmbuf_free(late[i]);
	return nl;
}

/* seq[i] = s0 + i */
static void
run_of(uint32_t *seq, uint32_t s0, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		seq[i] = s0 + i;
}

static void
test_block_insert_across_the_ring_end(void)
{
	struct aw_reorder *r = aw_reorder_create("t7", 8, 1000, 0); /* 16 slots */
	uint32_t s[16];

	r->next = 13;                         /* slots 13, 14, 15, then 0.. */
	run_of(s, 17, 4);
	CHECK_EQ(insert_burst_of(r, s, 4), 0); /* the second half first */
	run_of(s, 13, 4);
	CHECK_EQ(insert_burst_of(r, s, 4), 0); /* 13..16: slots 13..15 and 0 */
	CHECK_EQ(r->held, 8);
	expect_drain(r, 0, (uint32_t[]){13, 14, 15, 16, 17, 18, 19, 20}, 8);
	run_of(s, 21, 16);                      /* the whole window at once */
	CHECK_EQ(insert_burst_of(r, s, 16), 0);
	run_of(s, 21, 16);
	struct rte_mbuf *out[64];
	unsigned n = aw_reorder_drain(r, out, 64, 0);
	CHECK_EQ(n, 16);
	for (unsigned i = 0; i < n; i++) {
		CHECK_EQ(*rte_reorder_seqn(out[i]), s[i]);
		rte_pktmbuf_free(out[i]);
	}
	CHECK_EQ(r->held, 0);
	aw_reorder_destroy(r);
}

static void
test_burst_with_a_held_number_or_past_the_window(void)
{
	struct aw_reorder *r = aw_reorder_create("t8", 64, 1000, 0); /* 128 numbers */
	uint32_t s[16];

	CHECK_EQ(aw_reorder_insert(r, pkt(5)), 0);
	run_of(s, 3, 5);                        /* 3..7: 5 is held already */
	CHECK_EQ(insert_burst_of(r, s, 5), 1);
	CHECK_EQ(r->held, 5);
	run_of(s, 125, 8);                      /* 125..132: 129.. past the window */
	CHECK_EQ(insert_burst_of(r, s, 8), 4);
	CHECK_EQ(r->held, 9);
	s[0] = 1; s[1] = 3; s[2] = 2;           /* 3 held already, out of order */
	CHECK_EQ(insert_burst_of(r, s, 3), 1);
	struct rte_mbuf *out[256];
	unsigned n = aw_reorder_drain(r, out, 256, 0);
	CHECK_EQ(n, 7); /* 1..7; 8 is missing */
	for (unsigned i = 0; i < n; i++) {
		CHECK_EQ(*rte_reorder_seqn(out[i]), i + 1);
		rte_pktmbuf_free(out[i]);
	}
	n = aw_reorder_flush(r, out, 256);
	CHECK_EQ(n, 4);
	for (unsigned i = 0; i < n; i++) {
		CHECK_EQ(*rte_reorder_seqn(out[i]), 125 + i);
		rte_pktmbuf_free(out[i]);
	}
	aw_reorder_destroy(r);
}

static void
test_tiny_window(void)
{
	struct aw_reorder *r = aw_reorder_create("t9", 1, 1000, 0); /* 2 numbers */
	uint32_t s[4] = {1, 2, 3, 4};

	CHECK_EQ(insert_burst_of(r, s, 4), 2); /* 3 and 4 too far ahead */
	expect_drain(r, 0, (uint32_t[]){1, 2}, 2);
	s[0] = 4; s[1] = 3;
	CHECK_EQ(insert_burst_of(r, s, 2), 0);
	expect_drain(r, 0, (uint32_t[]){3, 4}, 2);
	aw_reorder_destroy(r);
}

static void
test_drain_limit_and_long_gap(void)
{
	struct aw_reorder *r = aw_reorder_create("t10", 128, 1000, 0); /* 256 numbers */
	uint32_t s[64];
	struct rte_mbuf *out[256];

	for (uint32_t b = 0; b < 4; b++) { /* 1..200 in bursts of 50, last first */
		run_of(s, 151 - 50 * b, 50);
		CHECK_EQ(insert_burst_of(r, s, 50), 0);
	}
	unsigned n = aw_reorder_drain(r, out, 70, 0);  /* 1..70: across a word */
	CHECK_EQ(n, 70);
	for (unsigned i = 0; i < n; i++) {
		CHECK_EQ(*rte_reorder_seqn(out[i]), i + 1);
		rte_pktmbuf_free(out[i]);
	}
	n = aw_reorder_drain(r, out, 256, 0);
	CHECK_EQ(n, 130);
	for (unsigned i = 0; i < n; i++) {
		CHECK_EQ(*rte_reorder_seqn(out[i]), i + 71);
		rte_pktmbuf_free(out[i]);
	}
	/* 201..400 lost: one timeout skips all 200, over three bitmap words */
	CHECK_EQ(aw_reorder_insert(r, pkt(401)), 0);
	expect_drain(r, 10, NULL, 0);
	expect_drain(r, 2000, (uint32_t[]){401}, 1);
	CHECK_EQ(r->gaps_skipped, 200);
	aw_reorder_destroy(r);
}

/* Bursts of consecutive numbers arriving out of order (as from several
 * workers), over many turns of the ring: every packet comes out, in order. */
static void
test_shuffled_bursts_come_out_in_order(void)
{
	struct aw_reorder *r = aw_reorder_create("t11", 64, 1000, 0); /* 128 numbers */
	uint32_t next_out = 1, base = 1, rnd = 12345;
	struct rte_mbuf *out[256];

	for (unsigned round = 0; round < 200; round++) {
		/* up to 4 bursts of 1..32 consecutive numbers, inserted in reverse */
		uint32_t len[4], nb = 1 + round % 4, start = base;
		for (unsigned b = 0; b < nb; b++) {
			rnd = rnd * 1103515245 + 12345;
			len[b] = 1 + (rnd >> 16) % 32;
			base += len[b];
		}
		uint32_t end = base;
		for (unsigned b = nb; b-- > 0;) {
			uint32_t s[32];
			end -= len[b];
			run_of(s, end, len[b]);
			CHECK_EQ(insert_burst_of(r, s, len[b]), 0);
		}
		CHECK_EQ(end, start);
		unsigned n = aw_reorder_drain(r, out, 256, 0);
		CHECK_EQ(n, base - start);
		for (unsigned i = 0; i < n; i++) {
			CHECK_EQ(*rte_reorder_seqn(out[i]), next_out);
			next_out++;
			rte_pktmbuf_free(out[i]);
		}
	}
	CHECK_EQ(r->held, 0);
	CHECK_EQ(r->gaps_skipped, 0);
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
		AW_TEST(test_block_insert_across_the_ring_end),
		AW_TEST(test_burst_with_a_held_number_or_past_the_window),
		AW_TEST(test_tiny_window),
		AW_TEST(test_drain_limit_and_long_gap),
		AW_TEST(test_shuffled_bursts_come_out_in_order),
	};
	return aw_test_run(cases, sizeof(cases) / sizeof(cases[0]));
}
