/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test of aw_metrics (suite 'unit'): the exact OpenMetrics text of
 * counter, gauge and info families; escaping of label values and HELP text
 * (backslash, double quote, newline); suffixes; refusal of invalid names;
 * special float values; growth of the buffer past its first allocation.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "aw_metrics.h"
#include "aw_test.h"

static void
test_text(void)
{
	struct aw_metrics w;

	aw_metrics_init(&w);
	aw_metrics_family(&w, "a_requests", AW_METRIC_COUNTER, "Requests \\ \"all\"\nof them.");
	aw_metrics_u64(&w, 18446744073709551615ull, "path", "/x\"y\\z\nw", "code", "", NULL);
	aw_metrics_u64(&w, 0, NULL);
	aw_metrics_family(&w, "a:b_g", AW_METRIC_GAUGE, "G.");
	aw_metrics_f64(&w, 1.5, "l", "v", NULL);
	aw_metrics_f64(&w, NAN, NULL);
	aw_metrics_f64(&w, -INFINITY, NULL);
	aw_metrics_family(&w, "a_build", AW_METRIC_INFO, "");
	aw_metrics_u64(&w, 1, "version", "1.0", NULL);
	aw_metrics_end(&w);
	CHECK(!w.oom);
	CHECK(!w.bad_name);
	CHECK_STR(w.buf, "# TYPE a_requests counter\n"
			 "# HELP a_requests Requests \\\\ \\\"all\\\"\\nof them.\n"
			 "a_requests_total{path=\"/x\\\"y\\\\z\\nw\",code=\"\"} 18446744073709551615\n"
			 "a_requests_total 0\n"
			 "# TYPE a:b_g gauge\n"
			 "# HELP a:b_g G.\n"
			 "a:b_g{l=\"v\"} 1.5\n"
			 "a:b_g NaN\n"
			 "a:b_g -Inf\n"
			 "# TYPE a_build info\n"
			 "# HELP a_build \n"
			 "a_build_info{version=\"1.0\"} 1\n"
			 "# EOF\n");
	aw_metrics_free(&w);
}

static void
test_bad_names(void)
{
	struct aw_metrics w;

	CHECK(aw_metrics_name_ok("_a:b9", false));
	CHECK(!aw_metrics_name_ok("_a:b9", true)); /* no colon in label names */
	CHECK(!aw_metrics_name_ok("9a", false));
	CHECK(!aw_metrics_name_ok("", false));
	CHECK(!aw_metrics_name_ok("a-b", false));
	CHECK(!aw_metrics_name_ok("a b", true));
	aw_metrics_init(&w);
	aw_metrics_u64(&w, 1, NULL); /* no family yet */
	CHECK(w.bad_name);
	CHECK_EQ(w.len, 0);
	w.bad_name = false;
	aw_metrics_family(&w, "x-y", AW_METRIC_GAUGE, "h");
	CHECK(w.bad_name);
	aw_metrics_u64(&w, 1, NULL); /* the bad family has no samples */
	CHECK_EQ(w.len, 0);
	w.bad_name = false;
	aw_metrics_family(&w, "ok", AW_METRIC_GAUGE, "h");
	aw_metrics_u64(&w, 2, "bad-label", "v", "good", "w", NULL);
	CHECK(w.bad_name);
	CHECK_STR(w.buf, "# TYPE ok gauge\n# HELP ok h\nok{good=\"w\"} 2\n");
	aw_metrics_free(&w);
}

static void
test_growth(void)
{
	struct aw_metrics w;
	char v[16];
	size_t lines = 0;

	aw_metrics_init(&w);
	aw_metrics_family(&w, "many", AW_METRIC_COUNTER, "h");
	for (int i = 0; i < 5000; i++) {
		snprintf(v, sizeof(v), "%d", i);
		aw_metrics_u64(&w, (uint64_t)i, "i", v, NULL);
	}
	CHECK(!w.oom);
	CHECK(w.cap > 4096);
	for (size_t i = 0; i < w.len; i++)
		lines += w.buf[i] == '\n';
	CHECK_EQ(lines, 5002);
	CHECK(strstr(w.buf, "\nmany_total{i=\"4999\"} 4999\n") != NULL);
	CHECK_EQ(strlen(w.buf), w.len);
	aw_metrics_free(&w);
}

AW_TEST_MAIN({"text", test_text}, {"bad_names", test_bad_names}, {"growth", test_growth})
