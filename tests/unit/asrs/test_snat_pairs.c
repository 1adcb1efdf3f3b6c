/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/asrs/aw_snat_pairs: allocation until a pair is exhausted,
 * then failures that probe nothing (the probe callback counts calls), a
 * freed port making allocation succeed again, pairs independent of each
 * other, the bounded probe budget, the pair table's limit, and removal with
 * backward shift under churn (every count checked against a model).
 */
#include "aw_test.h"

#include <stdlib.h>

#include "aw_snat_pairs.h"

/* A model of the session table: which ports are in use toward one pair. */
struct busy {
	uint8_t used[65536];
	unsigned calls;
};

static bool
is_free(void *arg, uint16_t port)
{
	struct busy *b = arg;

	b->calls++;
	return !b->used[port];
}

static struct aw_snat_pair_key
key(uint8_t dest_last, uint16_t dport, uint8_t snat)
{
	struct aw_snat_pair_key k;

	memset(&k, 0, sizeof(k));
	k.dest[0] = 10, k.dest[1] = 2, k.dest[3] = dest_last;
	k.dport = dport;
	k.proto = 6;
	k.snat = snat;
	return k;
}

static void
test_exhaustion_is_o1_and_free_restores(void)
{
	struct busy *b = calloc(1, sizeof(*b));
	struct aw_snat_part part = {.lo = 1024, .n = 1000, .pairs = aw_snat_pairs_create(16)};
	struct aw_snat_pair_key k = key(2, 8080, 0);
	uint16_t port;

	for (unsigned i = 0; i < 1000; i++) {
		CHECK_EQ(aw_snat_alloc(&part, &k, 64, is_free, b, &port), AW_SNAT_OK);
		CHECK(port >= 1024 && port < 2024 && !b->used[port]);
		b->used[port] = 1;
	}
	CHECK_EQ(aw_snat_pairs_used(part.pairs, &k), 1000);
	b->calls = 0;
	for (unsigned i = 0; i < 10000; i++)
		CHECK_EQ(aw_snat_alloc(&part, &k, 64, is_free, b, &port), AW_SNAT_EXHAUSTED);
	CHECK_EQ(b->calls, 0); /* not one probe per failed allocation */
	/* Another destination of the same SNAT address still gets ports. */
	struct aw_snat_pair_key k2 = key(3, 8080, 0);
	struct busy *b2 = calloc(1, sizeof(*b2));
	CHECK_EQ(aw_snat_alloc(&part, &k2, 64, is_free, b2, &port), AW_SNAT_OK);
	CHECK_EQ(b2->calls, 1);
	/* A freed port makes allocation succeed again, with that port. */
	b->used[1500] = 0;
	CHECK(aw_snat_pairs_dec(part.pairs, &k));
	b->calls = 0;
	CHECK_EQ(aw_snat_alloc(&part, &k, 2000, is_free, b, &port), AW_SNAT_OK);
	CHECK_EQ(port, 1500);
	CHECK(b->calls >= 1 && b->calls <= 1000);
	b->used[port] = 1;
	CHECK_EQ(aw_snat_alloc(&part, &k, 64, is_free, b, &port), AW_SNAT_EXHAUSTED);
	aw_snat_pairs_free(part.pairs);
	free(b);
	free(b2);
}

static void
test_probe_budget(void)
{
	struct busy *b = calloc(1, sizeof(*b));
	struct aw_snat_part part = {.lo = 100, .n = 200, .pairs = aw_snat_pairs_create(4)};
	struct aw_snat_pair_key k = key(2, 80, 1);
	uint16_t port;

	/* Ports taken by sessions the pair table does not count here (say,
	 * toward the same pair from before a restart of the model): the
	 * allocator gives up after max_probes tries. */
	for (unsigned p = 100; p < 300; p++)
		b->used[p] = 1;
	CHECK_EQ(aw_snat_alloc(&part, &k, 64, is_free, b, &port), AW_SNAT_BUSY);
	CHECK_EQ(b->calls, 64);
	CHECK_EQ(aw_snat_pairs_used(part.pairs, &k), 0);
	CHECK_EQ(part.pairs->n, 0);
	/* The cursor moved on: the next try starts at port 164. */
	b->used[164] = 0;
	b->calls = 0;
	CHECK_EQ(aw_snat_alloc(&part, &k, 64, is_free, b, &port), AW_SNAT_OK);
	CHECK_EQ(port, 164);
	CHECK_EQ(b->calls, 1);
	aw_snat_pairs_free(part.pairs);
	free(b);
}

static void
test_pair_table_limit(void)
{
	struct busy *b = calloc(1, sizeof(*b));
	struct aw_snat_part part = {.lo = 1, .n = 10, .pairs = aw_snat_pairs_create(4)};
	uint16_t port;
	unsigned max = part.pairs->max_n;

	CHECK(max >= 4);
	for (unsigned i = 0; i < max; i++) {
		struct aw_snat_pair_key k = key((uint8_t)i, 80, 0);
		CHECK_EQ(aw_snat_alloc(&part, &k, 64, is_free, b, &port), AW_SNAT_OK);
	}
	struct aw_snat_pair_key extra = key(200, 80, 0), first = key(0, 80, 0);
	CHECK_EQ(aw_snat_alloc(&part, &extra, 64, is_free, b, &port), AW_SNAT_PAIRS_FULL);
	CHECK_EQ(aw_snat_pairs_inc(part.pairs, &extra), -1);
	CHECK_EQ(aw_snat_alloc(&part, &first, 64, is_free, b, &port), AW_SNAT_OK); /* known pair */
	CHECK(aw_snat_pairs_dec(part.pairs, &first));
	CHECK(aw_snat_pairs_dec(part.pairs, &first)); /* its count reached 0: gone */
	CHECK(!aw_snat_pairs_dec(part.pairs, &first));
	CHECK_EQ(aw_snat_alloc(&part, &extra, 64, is_free, b, &port), AW_SNAT_OK);
	aw_snat_pairs_free(part.pairs);
	free(b);
}

/* Random increments and decrements over many keys in a small table (long
 * probe runs, wrap-around): every count matches a model after each step. */
static void
test_churn_against_model(void)
{
	enum { NK = 40 };
	struct aw_snat_pairs *t = aw_snat_pairs_create(NK);
	uint32_t model[NK] = {0};
	uint64_t rnd = 0x9e3779b97f4a7c15ull;

	for (unsigned step = 0; step < 200000; step++) {
		unsigned i = (unsigned)(aw_test_rnd(&rnd) % NK);
		struct aw_snat_pair_key k = key((uint8_t)i, (uint16_t)(i * 7), (uint8_t)(i % 3));
		if (aw_test_rnd(&rnd) & 1) {
			CHECK_EQ(aw_snat_pairs_inc(t, &k), 0);
			model[i]++;
		} else {
			CHECK_EQ(aw_snat_pairs_dec(t, &k), model[i] != 0);
			if (model[i] != 0)
				model[i]--;
		}
		if (step % 1000 == 0) {
			unsigned present = 0;
			for (unsigned j = 0; j < NK; j++) {
				struct aw_snat_pair_key kj = key((uint8_t)j, (uint16_t)(j * 7), (uint8_t)(j % 3));
				CHECK_EQ(aw_snat_pairs_used(t, &kj), model[j]);
				present += model[j] != 0;
			}
			CHECK_EQ(t->n, present);
		}
	}
	aw_snat_pairs_free(t);
}

AW_TEST_MAIN(AW_TEST(test_exhaustion_is_o1_and_free_restores), AW_TEST(test_probe_budget),
	     AW_TEST(test_pair_table_limit), AW_TEST(test_churn_against_model))
