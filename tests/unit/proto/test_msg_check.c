/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/proto aw_msg_check: the relay limits the map server, the
 * agent and the data plane share, on both sides of every boundary, and the
 * decoder applying them (what mapd accepts, the data plane accepts).
 */
#include <stdio.h>
#include <string.h>

#include "aw_msg.h"
#include "aw_msg_check.h"
#include "aw_test.h"

static struct aw_msg_relay
base(void)
{
	struct aw_msg_relay r = {.suite = 1, .idle_timeout_s = 300, .bind_timeout_s = 30};
	return r;
}

static void
test_each_limit_boundary(void)
{
	struct aw_msg_check_err e;
	struct {
		enum aw_relay_limit_id id;
		uint64_t lo, hi;
	} cases[] = {
		{AW_RELAY_LIM_SUITE, 1, 2},
		{AW_RELAY_LIM_IDLE, 1, 65535},
		{AW_RELAY_LIM_BIND, 1, 65535},
		{AW_RELAY_LIM_PPS, 0, 1000000000ull},
		{AW_RELAY_LIM_BPS, 0, 1000000000000ull},
		{AW_RELAY_LIM_BURST, 1, 1000000},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct aw_msg_limit *l = &aw_relay_limits[cases[i].id];
		CHECK_EQ(l->min, cases[i].lo);
		CHECK_EQ(l->max, cases[i].hi);
		CHECK_EQ(aw_msg_limit_check(l, cases[i].lo, &e), 0);
		CHECK_EQ(aw_msg_limit_check(l, cases[i].hi, &e), 0);
		CHECK_EQ(aw_msg_limit_check(l, cases[i].hi + 1, &e), -1);
		CHECK_STR(e.key, l->key);
		if (cases[i].lo > 0) {
			CHECK_EQ(aw_msg_limit_check(l, cases[i].lo - 1, &e), -1);
			CHECK(strstr(e.msg, "expected integer") != NULL);
		}
	}
}

static void
test_relay_check(void)
{
	struct aw_msg_check_err e;
	struct aw_msg_relay r = base();

	CHECK_EQ(aw_msg_relay_check(&r, NULL, &e), 0);
	r.idle_timeout_s = 86400; /* the range that used to disagree */
	CHECK_EQ(aw_msg_relay_check(&r, NULL, &e), -1);
	CHECK_STR(e.key, "idle_timeout_s");
	CHECK_STR(e.msg, "expected integer 1..65535, got 86400");
	r = base();
	r.bind_timeout_s = 0;
	CHECK_EQ(aw_msg_relay_check(&r, NULL, &e), -1);
	CHECK_STR(e.key, "bind_timeout_s");
	r = base();
	r.has_rate = true;
	r.rate = (struct aw_msg_rate){.pps = 10, .bps = 0, .burst = 1000000};
	CHECK_EQ(aw_msg_relay_check(&r, NULL, &e), 0);
	r.rate.burst = 1500000;
	CHECK_EQ(aw_msg_relay_check(&r, NULL, &e), -1);
	CHECK_STR(e.key, "rate.burst");
	r.rate = (struct aw_msg_rate){.pps = 0, .bps = 1000000000001ull, .burst = 1};
	CHECK_EQ(aw_msg_relay_check(&r, "bytes_per_s", &e), -1);
	CHECK_STR(e.key, "rate.bytes_per_s");
	r.rate = (struct aw_msg_rate){.pps = 0, .bps = 0, .burst = 1};
	CHECK_EQ(aw_msg_relay_check(&r, "bytes_per_s", &e), -1);
	CHECK_STR(e.key, "rate");
	CHECK_STR(e.msg, "expected pps and/or bytes_per_s above 0");
	r.has_rate = false; /* rate members are ignored without a rate */
	CHECK_EQ(aw_msg_relay_check(&r, NULL, &e), 0);
}

/* The decoder applies the same limits: accept at the boundary, refuse past it. */
static void
test_decode_uses_check(void)
{
	static const char pfx[] = "{\"op\":\"relay.add\",\"path_id\":\"00112233445566778899aabbccddeeff\","
				  "\"tunnel_key\":\"000102030405060708090a0b0c0d0e0f"
				  "101112131415161718191a1b1c1d1e1f\",\"suite\":1,";
	struct {
		const char *tail;
		int rc;
	} cases[] = {
		{"\"idle_timeout_s\":65535}", 0},
		{"\"idle_timeout_s\":65536}", -1},
		{"\"bind_timeout_s\":65535}", 0},
		{"\"bind_timeout_s\":65536}", -1},
		{"\"rate\":{\"pps\":1000000000,\"bps\":1000000000000,\"burst\":1000000}}", 0},
		{"\"rate\":{\"pps\":1000000001,\"bps\":0,\"burst\":1}}", -1},
		{"\"rate\":{\"pps\":0,\"bps\":1000000000001,\"burst\":1}}", -1},
		{"\"rate\":{\"pps\":1,\"bps\":0,\"burst\":1000001}}", -1},
	};
	char line[512], err[AW_MSG_ERRLEN];
	struct aw_msg m;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(line, sizeof(line), "%s%s", pfx, cases[i].tail);
		CHECK_EQ(aw_msg_decode(line, strlen(line), &m, err, sizeof(err)), cases[i].rc);
		if (cases[i].rc == 0) {
			struct aw_msg_check_err e;
			CHECK_EQ(aw_msg_relay_check(&m.u.relay, NULL, &e), 0);
		}
		aw_msg_free(&m);
	}
}

AW_TEST_MAIN(AW_TEST(test_each_limit_boundary), AW_TEST(test_relay_check),
	     AW_TEST(test_decode_uses_check))
