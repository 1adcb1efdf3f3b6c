/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test of anyway-bench's report rules (bench/README.md "Valid runs"):
 * the bottleneck named on every RESULT line from the generator's and the data
 * plane's idle shares, the data plane's idle share from two `stats` replies,
 * and the drops that make a run INVALID. Pure functions: no EAL.
 */
#include <jansson.h>

#include "ab_opts.h"
#include "ab_report.h"
#include "aw_test.h"

static const char *
rule(const struct ab_opts *o, double gen_idle, double dp_idle, double dp_share)
{
	struct ab_result r = {.o = o, .gen_idle = gen_idle, .dp_idle = dp_idle,
			      .dp_share = dp_share};
	return ab_result_bottleneck(&r);
}

static void
test_bottleneck(void)
{
	struct ab_opts o = {0};

	/* through ports: the generator waits on its peer, the data plane is busy */
	CHECK_STR(rule(&o, 0.8, 0.02, -1), "dataplane");
	CHECK_STR(rule(&o, 0.8, -1, -1), "dataplane");  /* no --dp-api: as before */
	/* both sides wait: neither is the limit, the link between them is */
	CHECK_STR(rule(&o, 0.8, 0.5, -1), "link");
	CHECK_STR(rule(&o, 0.6, 0.9, -1), "link");
	/* the generator is never refused and the data plane idles: the generator */
	CHECK_STR(rule(&o, 0.1, 0.9, -1), "generator");
	CHECK_STR(rule(&o, -1, -1, -1), "generator");
	/* a data plane that (almost) never finds its queues empty is saturated */
	CHECK_STR(rule(&o, 0.1, 0.05, -1), "dataplane");
	/* in process: the larger share of the one lcore's cycles */
	CHECK_STR(rule(&o, -1, -1, 0.7), "dataplane");
	CHECK_STR(rule(&o, -1, -1, 0.3), "generator");
	o.rate_pps = 1000;
	CHECK_STR(rule(&o, 0.9, 0.9, -1), "rate");
}

static json_t *
stats(long long idle, long long busy, long long no_route, long long tx_full)
{
	/* polls: many cheap empty polls against few busy ones, which the share
	 * must not follow (it is a share of cycles) */
	return json_pack("{s:{s:I,s:I,s:I,s:I},s:{s:I,s:I}}", "counters", "cycles_idle",
			 (json_int_t)idle, "cycles_busy", (json_int_t)busy, "polls_idle",
			 (json_int_t)idle * 1000, "polls_busy", (json_int_t)busy,
			 "drops", "no_route", (json_int_t)no_route, "tx_full", (json_int_t)tx_full);
}

static void
test_idle_share(void)
{
	json_t *a = stats(100, 50, 0, 0), *b = stats(400, 150, 0, 7), *c = stats(500, 150, 3, 9);
	char out[128];

	/* 300 idle and 100 busy cycles between the two replies */
	CHECK(ab_dp_idle_share(a, b) > 0.7499 && ab_dp_idle_share(a, b) < 0.7501);
	CHECK(ab_dp_idle_share(b, c) > 0.9999);
	/* nothing moved, or counters that went back (a restarted data plane): unknown */
	CHECK(ab_dp_idle_share(a, a) < 0);
	CHECK(ab_dp_idle_share(b, a) < 0);
	/* a data plane without cycle counters (older): unknown, not a poll share */
	json_t *old0 = json_pack("{s:{s:I,s:I}}", "counters", "polls_idle", (json_int_t)10,
				 "polls_busy", (json_int_t)10);
	json_t *old1 = json_pack("{s:{s:I,s:I}}", "counters", "polls_idle", (json_int_t)90,
				 "polls_busy", (json_int_t)20);
	CHECK(ab_dp_idle_share(old0, old1) < 0);
	json_decref(old0);
	json_decref(old1);
	/* tx_full alone leaves the run valid; any other reason that grew is named */
	CHECK_EQ(ab_drops_invalid(json_object_get(a, "drops"), json_object_get(b, "drops"), out,
				  sizeof(out)), 0);
	CHECK_EQ(ab_drops_invalid(json_object_get(b, "drops"), json_object_get(c, "drops"), out,
				  sizeof(out)), 1);
	CHECK_STR(out, "no_route:3");
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

int
main(void)
{
	static const struct aw_test_case cases[] = {
		AW_TEST(test_bottleneck), AW_TEST(test_idle_share),
	};
	return aw_test_run(cases, sizeof(cases) / sizeof(cases[0]));
}
