/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/proto aw_msg_dest: the one canonical destination order
 * (priority, family, address, port) and equality, shared by mapd, the agent
 * and the data plane; within a priority it is lib/asrs Maglev's key order. */
#include <stdlib.h>
#include <string.h>

#include "aw_maglev.h"
#include "aw_msg_dest.h"
#include "aw_test.h"

static struct aw_msg_dest
dest(const char *addr, uint16_t port, uint16_t prio, uint16_t weight)
{
	struct aw_msg_dest d = {.port = port, .priority = prio, .weight = weight};

	if (aw_addr_parse(addr, &d.addr, NULL, 0) < 0) {
		fprintf(stderr, "bad test address %s\n", addr);
		abort();
	}
	return d;
}

static int
sign(int v)
{
	return (v > 0) - (v < 0);
}

/* Each key in turn decides, the weight never does. */
static void
test_key_order(void)
{
	struct aw_msg_dest a = dest("10.0.0.9", 9000, 0, 1);

	struct aw_msg_dest b = dest("10.0.0.1", 80, 1, 1); /* priority first */
	CHECK(aw_msg_dest_cmp(&a, &b) < 0);
	CHECK(aw_msg_dest_cmp(&b, &a) > 0);
	b = dest("::1", 1, 0, 1); /* IPv4 before IPv6 whatever the bytes */
	CHECK(aw_msg_dest_cmp(&a, &b) < 0);
	b = dest("10.0.0.10", 1, 0, 1); /* address bytes before port */
	CHECK(aw_msg_dest_cmp(&a, &b) < 0);
	b = dest("9.255.255.255", 65535, 0, 1);
	CHECK(aw_msg_dest_cmp(&a, &b) > 0);
	b = dest("10.0.0.9", 9001, 0, 1); /* port, numerically (not byte order) */
	CHECK(aw_msg_dest_cmp(&a, &b) < 0);
	b = dest("10.0.0.9", 256, 0, 1);
	CHECK(aw_msg_dest_cmp(&a, &b) > 0);
	b = dest("10.0.0.9", 9000, 0, 500); /* weight: same place in the order */
	CHECK_EQ(aw_msg_dest_cmp(&a, &b), 0);
	CHECK(!aw_msg_dest_equal(&a, &b));
	CHECK_EQ(aw_msg_dest_qsort_cmp(&a, &b), 0);
	b = dest("2001:db8::2", 80, 0, 1);
	struct aw_msg_dest c = dest("2001:db8::10", 80, 0, 1);
	CHECK(aw_msg_dest_cmp(&b, &c) < 0);
	CHECK(aw_msg_dest_qsort_cmp(&c, &b) > 0);
}

static void
test_equal(void)
{
	struct aw_msg_dest a[3] = {dest("10.0.0.1", 80, 0, 100), dest("::2", 81, 1, 5),
				   dest("10.0.0.3", 82, 2, 0)};
	struct aw_msg_dest b[3];

	memcpy(b, a, sizeof(a));
	CHECK(aw_msg_dests_equal(a, b, 3));
	CHECK(aw_msg_dests_equal(a, b, 0));
	for (int field = 0; field < 4; field++) {
		memcpy(b, a, sizeof(a));
		switch (field) {
		case 0: b[2].addr.b[3] ^= 1; break;
		case 1: b[2].port++; break;
		case 2: b[2].priority++; break;
		default: b[2].weight++; break;
		}
		CHECK(aw_msg_dest_equal(&a[0], &b[0]));
		CHECK(!aw_msg_dest_equal(&a[2], &b[2]));
		CHECK(!aw_msg_dests_equal(a, b, 3));
		CHECK(aw_msg_dests_equal(a, b, 2)); /* only the first n count */
	}
	b[0] = a[0];
	b[0].addr.family = AW_AF_INET6; /* same bytes, other family */
	CHECK(!aw_msg_dest_equal(&a[0], &b[0]));
}

static struct aw_msg_dest
random_dest(uint64_t *rs)
{
	struct aw_msg_dest d = {.port = (uint16_t)aw_test_rnd(rs),
				.priority = (uint16_t)(aw_test_rnd(rs) % 3),
				.weight = (uint16_t)aw_test_rnd(rs)};
	uint8_t b[16];

	aw_test_rnd_fill(rs, b, sizeof(b));
	b[0] &= 3; /* shared prefixes, so later bytes and ports decide too */
	if (aw_test_rnd(rs) & 1)
		aw_addr_set4(&d.addr, b);
	else
		aw_addr_set6(&d.addr, b);
	if (aw_test_rnd(rs) % 4 == 0)
		d.port &= 0x0101; /* ports that tie on one byte */
	return d;
}

/* Within one priority the order is aw_maglev_dest_cmp's (the data plane
 * feeds its preferred group to Maglev in this order). */
static void
test_matches_maglev_key(void)
{
	uint64_t rs = 0x6465737431;

	for (int i = 0; i < 20000; i++) {
		struct aw_msg_dest a = random_dest(&rs), b = random_dest(&rs);
		if (i % 5 == 0)
			b.addr = a.addr; /* port decides */
		b.priority = a.priority;
		struct aw_maglev_dest ma = {a.addr, a.port, a.weight};
		struct aw_maglev_dest mb = {b.addr, b.port, b.weight};
		CHECK_EQ(sign(aw_msg_dest_cmp(&a, &b)), sign(aw_maglev_dest_cmp(&ma, &mb)));
		CHECK_EQ(sign(aw_msg_dest_cmp(&a, &b)), -sign(aw_msg_dest_cmp(&b, &a)));
	}
}

/* The same set in any input order sorts into the same array: sorted by
 * priority, within a priority by the Maglev key. */
static void
test_sort_is_canonical(void)
{
	enum { N = 64 };
	struct aw_msg_dest set[N], want[N], got[N];
	uint64_t rs = 0x736f7274;

	for (int i = 0; i < N; i++) {
		set[i] = random_dest(&rs);
		set[i].port = (uint16_t)(i + 1); /* distinct endpoints */
	}
	memcpy(want, set, sizeof(set));
	aw_msg_dests_sort(want, N);
	for (int i = 1; i < N; i++) {
		CHECK(want[i - 1].priority <= want[i].priority);
		if (want[i - 1].priority == want[i].priority) {
			struct aw_maglev_dest x = {want[i - 1].addr, want[i - 1].port, 0};
			struct aw_maglev_dest y = {want[i].addr, want[i].port, 0};
			CHECK(aw_maglev_dest_cmp(&x, &y) < 0);
		}
	}
	for (int round = 0; round < 50; round++) {
		memcpy(got, set, sizeof(set));
		for (int i = N - 1; i > 0; i--) { /* Fisher-Yates */
			int j = (int)(aw_test_rnd(&rs) % (uint64_t)(i + 1));
			struct aw_msg_dest t = got[i];
			got[i] = got[j];
			got[j] = t;
		}
		aw_msg_dests_sort(got, N);
		CHECK(aw_msg_dests_equal(got, want, N));
	}
	aw_msg_dests_sort(got, 0); /* n = 0 and 1 are no-ops */
	aw_msg_dests_sort(got, 1);
	CHECK(aw_msg_dests_equal(got, want, N));
}

AW_TEST_MAIN(AW_TEST(test_key_order), AW_TEST(test_equal), AW_TEST(test_matches_maglev_key),
	     AW_TEST(test_sort_is_canonical))
