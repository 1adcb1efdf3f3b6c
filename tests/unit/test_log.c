/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test of lib/common/aw_log: the plain and journald line formats, level
 * filtering, one line per event (newlines flattened), condensed repeats (a
 * changed text or a flush writes "(repeated N times in S s)") and the rate
 * limit (AW_LOG_RL_BURST lines a window, the rest counted). Lines are read
 * back from a pipe given to aw_log_set_fd.
 */
#include "aw_test.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "aw_log.h"

static int rd = -1;
static char got[16384];

/* Everything written since the last call, into got. */
static const char *
drain(void)
{
	ssize_t n = read(rd, got, sizeof(got) - 1);

	got[n > 0 ? n : 0] = '\0';
	return got;
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void
test_plain_levels_and_filter(void)
{
	unsetenv("JOURNAL_STREAM");
	aw_log_init("prog");
	aw_log_set_level(AW_LOG_INFO);
	aw_log(AW_LOG_WARNING, "mapd %s: %s", "a:1", "refused");
	aw_log(AW_LOG_DEBUG, "hidden");
	aw_log(AW_LOG_ERR, "two\nlines");
	CHECK_STR(drain(), "prog: warning: mapd a:1: refused\nprog: error: two lines\n");
	aw_log_set_level(AW_LOG_ERR);
	aw_log(AW_LOG_WARNING, "hidden");
	CHECK_STR(drain(), "");
	aw_log_set_level(AW_LOG_INFO);
}

static void
test_journald_prefix(void)
{
	setenv("JOURNAL_STREAM", "8:1234", 1);
	aw_log_init("prog");
	aw_log(AW_LOG_NOTICE, "ready");
	aw_log(AW_LOG_ERR, "bad");
	CHECK_STR(drain(), "<5>ready\n<3>bad\n");
	unsetenv("JOURNAL_STREAM");
	aw_log_init("prog");
}

static void
test_parse_level(void)
{
	enum aw_log_level l = AW_LOG_INFO;

	CHECK_EQ(aw_log_parse_level("debug", &l), 0);
	CHECK_EQ(l, AW_LOG_DEBUG);
	CHECK_EQ(aw_log_parse_level("warn", &l), 0);
	CHECK_EQ(l, AW_LOG_WARNING);
	CHECK_EQ(aw_log_parse_level("loud", &l), -1);
	CHECK_EQ(aw_log_parse_level("", &l), -1);
}

static void
test_condensed_repeats(void)
{
	struct aw_log_rep r = {0};

	for (int i = 0; i < 57; i++)
		aw_log_rep(&r, AW_LOG_WARNING, "mapd %s: Connection refused", "m:1");
	CHECK_STR(drain(), "prog: warning: mapd m:1: Connection refused\n");
	CHECK_EQ(r.repeats, 56);
	aw_log_rep(&r, AW_LOG_WARNING, "mapd m:1: timed out"); /* a new text: summary first */
	const char *out = drain();
	CHECK(strncmp(out, "prog: warning: mapd m:1: Connection refused (repeated 56 times in ", 66) == 0);
	CHECK(strstr(out, " s)\nprog: warning: mapd m:1: timed out\n") != NULL);
	aw_log_rep_flush(&r); /* nothing repeated since */
	CHECK_STR(drain(), "");
	aw_log_rep(&r, AW_LOG_WARNING, "x");
	aw_log_rep(&r, AW_LOG_WARNING, "x");
	aw_log_rep_flush(&r);
	out = drain();
	CHECK_EQ(count(out, "\n"), 2);
	CHECK(strstr(out, "prog: warning: x (repeated 1 times in ") != NULL);
	aw_log_rep(&r, AW_LOG_WARNING, "x"); /* forgotten after the flush: printed again */
	CHECK_STR(drain(), "prog: warning: x\n");
}

static void
test_rate_limit(void)
{
	struct aw_log_rl r = {0};

	for (int i = 0; i < 25; i++)
		aw_log_rl(&r, AW_LOG_INFO, "peer %d sent junk", i);
	const char *out = drain();
	CHECK_EQ(count(out, "sent junk"), AW_LOG_RL_BURST);
	CHECK(strstr(out, "peer 0 sent junk") != NULL && strstr(out, "peer 10 ") == NULL);
	CHECK_EQ(r.suppressed, 25 - AW_LOG_RL_BURST);
}

int
main(void)
{
	int p[2];

	if (pipe(p) < 0)
		return 1;
	rd = p[0];
	fcntl(rd, F_SETFL, O_NONBLOCK);
	aw_log_set_fd(p[1]);
	static const struct aw_test_case cases[] = {
		AW_TEST(test_plain_levels_and_filter), AW_TEST(test_journald_prefix),
		AW_TEST(test_parse_level), AW_TEST(test_condensed_repeats), AW_TEST(test_rate_limit),
	};
	return aw_test_run(cases, sizeof(cases) / sizeof(cases[0]));
}
