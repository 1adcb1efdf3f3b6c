/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/asrs/aw_maglev: hash known answers (computed with an
 * independent Python version of aw_hash64), primes, argument errors, balance
 * of slots and of flows, weights, minimal disruption, independence of input
 * order. Prints the measured balance and disruption figures.
 */
#include "aw_test.h"

#include <stdlib.h>

#include "aw_maglev.h"

#define SIZE AW_MAGLEV_SIZE_DEFAULT

static uint64_t rng_state = 0x243f6a8885a308d3ull;

#define rnd() aw_test_rnd(&rng_state)

/* Destination i: 10.0.(i/256).(i%256):8080, or 2001:db8::i:443 for odd i when mixed. */
static void
make_dests(struct aw_maglev_dest *d, size_t n, int mixed)
{
	memset(d, 0, n * sizeof(*d));
	for (size_t i = 0; i < n; i++) {
		if (mixed && (i & 1)) {
			d[i].addr.family = AW_AF_INET6;
			d[i].addr.b[0] = 0x20, d[i].addr.b[1] = 0x01;
			d[i].addr.b[2] = 0x0d, d[i].addr.b[3] = 0xb8;
			d[i].addr.b[14] = (uint8_t)(i >> 8), d[i].addr.b[15] = (uint8_t)i;
			d[i].port = 443;
		} else {
			d[i].addr.family = AW_AF_INET4;
			d[i].addr.b[0] = 10, d[i].addr.b[2] = (uint8_t)(i >> 8);
			d[i].addr.b[3] = (uint8_t)i;
			d[i].port = 8080;
		}
		d[i].weight = 1;
	}
}

static void
count_slots(const uint16_t *t, uint32_t size, size_t n, uint32_t *cnt)
{
	memset(cnt, 0, n * sizeof(*cnt));
	for (uint32_t s = 0; s < size; s++) {
		CHECK(t[s] < n);
		if (t[s] < n)
			cnt[t[s]]++;
	}
}

static void
test_hash_known_answers(void)
{
	struct aw_addr a = {0};
	uint8_t nine[9];

	for (int i = 0; i < 9; i++)
		nine[i] = (uint8_t)i;
	CHECK(aw_hash64("asrs://shop.example/web", 23, 0) == 0x4524a3e47831736eull);
	CHECK(aw_hash64(nine, 9, 1) == 0x7951a6d066a1ce0cull);
	a.family = AW_AF_INET4;
	a.b[0] = 192, a.b[1] = 0, a.b[2] = 2, a.b[3] = 1;
	CHECK(aw_maglev_flow_hash(&a, 40000, 6) == 0x9e0dd7a232061f85ull);
	CHECK(aw_maglev_flow_hash(&a, 40000, 17) != 0x9e0dd7a232061f85ull);
	CHECK(aw_maglev_flow_hash(&a, 40001, 6) != 0x9e0dd7a232061f85ull);
	memset(&a, 0, sizeof(a));
	a.family = AW_AF_INET6;
	a.b[0] = 0x20, a.b[1] = 0x01, a.b[2] = 0x0d, a.b[3] = 0xb8, a.b[15] = 1;
	CHECK(aw_maglev_flow_hash(&a, 40000, 17) == 0x89f62042540912a7ull);
}

static void
test_primes(void)
{
	CHECK(!aw_is_prime(0));
	CHECK(!aw_is_prime(1));
	CHECK(aw_is_prime(2));
	CHECK(aw_is_prime(3));
	CHECK(!aw_is_prime(4));
	CHECK(!aw_is_prime(65535));
	CHECK(!aw_is_prime(65536));
	CHECK(aw_is_prime(65537));
	CHECK(aw_is_prime(AW_MAGLEV_SIZE_MAX));
	CHECK(aw_is_prime(4294967291u));
	CHECK(!aw_is_prime(4294967295u));
	CHECK_EQ(aw_next_prime(0), 2);
	CHECK_EQ(aw_next_prime(65536), 65537);
	CHECK_EQ(aw_next_prime(65537), 65537);
	CHECK_EQ(aw_next_prime(1000), 1009);
	CHECK_EQ(aw_next_prime(16777214), 16777259);
	CHECK_EQ(aw_next_prime(4294967292u), 0);
}

static void
test_build_errors(void)
{
	static uint16_t t[SIZE];
	struct aw_maglev_dest d[4];
	char err[128];

	make_dests(d, 4, 0);
	CHECK_EQ(aw_maglev_build(d, 0, t, SIZE, err, sizeof(err)), -1);
	CHECK_STR(err, "no destinations");
	CHECK_EQ(aw_maglev_build(d, 70000, t, SIZE, err, sizeof(err)), -1);
	CHECK_STR(err, "70000 destinations exceed the limit of 65535");
	CHECK_EQ(aw_maglev_build(d, 4, t, 65536, err, sizeof(err)), -1);
	CHECK_STR(err, "table size 65536 is not a prime");
	CHECK_EQ(aw_maglev_build(d, 4, t, 1, err, sizeof(err)), -1);
	CHECK_STR(err, "table size 1 is outside 2..16777213");
	d[3].addr.family = 0;
	CHECK_EQ(aw_maglev_build(d, 4, t, SIZE, err, sizeof(err)), -1);
	CHECK_STR(err, "destination 3 has address family 0");
	make_dests(d, 4, 0);
	d[3] = d[1];
	d[3].weight = 5;
	CHECK_EQ(aw_maglev_build(d, 4, t, SIZE, err, sizeof(err)), -1);
	CHECK_STR(err, "destinations 1 and 3 are the same");
	make_dests(d, 4, 0);
	for (int i = 0; i < 4; i++)
		d[i].weight = 0;
	CHECK_EQ(aw_maglev_build(d, 4, t, SIZE, err, sizeof(err)), -1);
	CHECK_STR(err, "all destinations have weight 0");
	CHECK_EQ(aw_maglev_build(d, 4, t, SIZE, NULL, 0), -1);
	/* Same address, other port: distinct; small prime tables work. */
	make_dests(d, 4, 0);
	d[3] = d[1];
	d[3].port = 8081;
	CHECK_EQ(aw_maglev_build(d, 4, t, 7, err, sizeof(err)), 0);
	CHECK_EQ(aw_maglev_build(d, 1, t, 2, err, sizeof(err)), 0);
	CHECK(t[0] == 0 && t[1] == 0);
}

static void
test_equal_balance(void)
{
	static uint16_t t[SIZE];
	struct aw_maglev_dest d[10];
	uint32_t cnt[10], flows[10] = {0}, lo = UINT32_MAX, hi = 0;
	const uint32_t nflows = 1000000;

	make_dests(d, 10, 1);
	CHECK_EQ(aw_maglev_build(d, 10, t, SIZE, NULL, 0), 0);
	count_slots(t, SIZE, 10, cnt);
	for (int i = 0; i < 10; i++) {
		lo = cnt[i] < lo ? cnt[i] : lo;
		hi = cnt[i] > hi ? cnt[i] : hi;
		CHECK(cnt[i] * 100.0 / SIZE > 9.5 && cnt[i] * 100.0 / SIZE < 10.5);
	}
	printf("  equal weights, 10 dests: slots per dest %u..%u (ideal %.1f)\n", lo, hi,
	       SIZE / 10.0);
	for (uint32_t f = 0; f < nflows; f++) {
		struct aw_addr c = {0};
		uint64_t r = rnd();

		c.family = (r & 1) ? AW_AF_INET6 : AW_AF_INET4;
		memcpy(c.b, &r, 8);
		if (c.family == AW_AF_INET4)
			memset(c.b + 4, 0, 12);
		flows[aw_maglev_pick(
		        t, SIZE,
		        aw_maglev_flow_hash(&c, (uint16_t)(r >> 40), (r >> 60) & 1 ? 6 : 17))]++;
	}
	lo = UINT32_MAX, hi = 0;
	for (int i = 0; i < 10; i++) {
		lo = flows[i] < lo ? flows[i] : lo;
		hi = flows[i] > hi ? flows[i] : hi;
		CHECK(flows[i] * 100.0 / nflows > 9.5 && flows[i] * 100.0 / nflows < 10.5);
	}
	printf("  %u random flows: per dest %u..%u (ideal %u)\n", nflows, lo, hi, nflows / 10);
}

static void
test_weights(void)
{
	static uint16_t t[SIZE];
	struct aw_maglev_dest d[4];
	uint32_t cnt[4];

	make_dests(d, 4, 1);
	d[0].weight = 1, d[1].weight = 2, d[2].weight = 3, d[3].weight = 0;
	CHECK_EQ(aw_maglev_build(d, 4, t, SIZE, NULL, 0), 0);
	count_slots(t, SIZE, 4, cnt);
	printf("  weights 1:2:3:0 -> slots %u:%u:%u:%u\n", cnt[0], cnt[1], cnt[2], cnt[3]);
	CHECK_EQ(cnt[3], 0);
	for (int i = 0; i < 3; i++) {
		double want = SIZE * (i + 1) / 6.0;

		CHECK(cnt[i] > want * 0.98 && cnt[i] < want * 1.02);
	}
	/* Huge weights neither overflow nor change the proportions. */
	d[0].weight = 1000000000u, d[1].weight = 2000000000u, d[2].weight = 3000000000u;
	CHECK_EQ(aw_maglev_build(d, 4, t, SIZE, NULL, 0), 0);
	count_slots(t, SIZE, 4, cnt);
	CHECK(cnt[2] > SIZE / 2 * 0.98 && cnt[2] < SIZE / 2 * 1.02);
	/* 1 : UINT32_MAX: the light one gets (almost) nothing, nothing breaks. */
	d[0].weight = 1, d[1].weight = UINT32_MAX, d[2].weight = 0;
	CHECK_EQ(aw_maglev_build(d, 4, t, SIZE, NULL, 0), 0);
	count_slots(t, SIZE, 4, cnt);
	CHECK(cnt[0] <= 1);
	CHECK_EQ(cnt[1] + cnt[0], SIZE);
}

/* A destination's identity as made by make_dests (unique for n <= 256). */
static uint32_t
ident(const struct aw_maglev_dest *d)
{
	return (uint32_t)d->addr.b[3] | (uint32_t)d->addr.b[15] << 8 |
	       (uint32_t)d->addr.family << 16 | (uint32_t)d->port << 24;
}

/* Owner identity of every slot. */
static void
owners(const struct aw_maglev_dest *d, const uint16_t *t, uint32_t size, uint32_t *out)
{
	for (uint32_t s = 0; s < size; s++)
		out[s] = ident(&d[t[s]]);
}

static void
test_disruption(void)
{
	static uint16_t t1[SIZE], t2[SIZE];
	static uint32_t o1[SIZE], o2[SIZE];
	struct aw_maglev_dest d[100];
	const size_t ns[] = {10, 100};

	for (size_t k = 0; k < 2; k++) {
		size_t n = ns[k], gone = n / 3;
		uint32_t moved = 0, others = 0, gone_id;

		make_dests(d, n, 1);
		CHECK_EQ(aw_maglev_build(d, n, t1, SIZE, NULL, 0), 0);
		owners(d, t1, SIZE, o1);
		gone_id = ident(&d[gone]);
		memmove(&d[gone], &d[gone + 1], (n - gone - 1) * sizeof(d[0]));
		CHECK_EQ(aw_maglev_build(d, n - 1, t2, SIZE, NULL, 0), 0);
		owners(d, t2, SIZE, o2);
		for (uint32_t s = 0; s < SIZE; s++) {
			CHECK(o2[s] != gone_id);
			if (o1[s] == gone_id)
				continue;
			others++;
			moved += o1[s] != o2[s];
		}
		printf("  remove 1 of %zu: %u of %u other slots changed owner (%.2f%%)\n", n, moved,
		       others, moved * 100.0 / others);
		CHECK(moved * 100.0 / others < 2.0);
	}
}

static void
test_order_independence(void)
{
	static uint16_t t1[SIZE], t2[SIZE];
	static uint32_t o1[SIZE], o2[SIZE];
	struct aw_maglev_dest d[50], z[51];

	make_dests(d, 50, 1);
	for (int i = 0; i < 50; i++)
		d[i].weight = 1 + (uint32_t)(i % 4);
	CHECK_EQ(aw_maglev_build(d, 50, t1, SIZE, NULL, 0), 0);
	owners(d, t1, SIZE, o1);
	for (int round = 0; round < 5; round++) {
		for (int i = 49; i > 0; i--) { /* Fisher-Yates */
			int j = (int)(rnd() % (uint64_t)(i + 1));
			struct aw_maglev_dest x = d[i];

			d[i] = d[j], d[j] = x;
		}
		CHECK_EQ(aw_maglev_build(d, 50, t2, SIZE, NULL, 0), 0);
		owners(d, t2, SIZE, o2);
		CHECK_MEM(o1, o2, sizeof(o1));
	}
	/* A zero-weight extra destination changes nothing. */
	memcpy(z + 1, d, sizeof(d));
	z[0] = d[7];
	z[0].port = 1, z[0].weight = 0;
	CHECK_EQ(aw_maglev_build(z, 51, t2, SIZE, NULL, 0), 0);
	owners(z, t2, SIZE, o2);
	CHECK_MEM(o1, o2, sizeof(o1));
	/* Qsort-compatible canonical order: IPv4 before IPv6, then address, then port. */
	CHECK(aw_maglev_dest_cmp(&d[0], &d[0]) == 0);
	z[0] = d[0], z[1] = d[0];
	z[1].port++;
	CHECK(aw_maglev_dest_cmp(&z[0], &z[1]) < 0);
	make_dests(z, 2, 1);
	CHECK(aw_maglev_dest_cmp(&z[0], &z[1]) < 0);
	CHECK(aw_maglev_dest_cmp(&z[1], &z[0]) > 0);
}

AW_TEST_MAIN(AW_TEST(test_hash_known_answers), AW_TEST(test_primes), AW_TEST(test_build_errors),
             AW_TEST(test_equal_balance), AW_TEST(test_weights), AW_TEST(test_disruption),
             AW_TEST(test_order_independence))
