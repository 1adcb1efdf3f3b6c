/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_test — a minimal unit-test harness for meson test: CHECK* macros count
 * failures and keep going; AW_TEST_MAIN runs the listed test functions and
 * exits non-zero when any check failed.
 */
#ifndef AW_TEST_H
#define AW_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int aw_test_failures;
static int aw_test_checks;

#define CHECK(cond)                                                                        \
	do {                                                                               \
		aw_test_checks++;                                                          \
		if (!(cond)) {                                                             \
			aw_test_failures++;                                                \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__,   \
				#cond);                                                    \
		}                                                                          \
	} while (0)

#define CHECK_EQ(a, b)                                                                     \
	do {                                                                               \
		long long _a = (long long)(a), _b = (long long)(b);                        \
		aw_test_checks++;                                                          \
		if (_a != _b) {                                                            \
			aw_test_failures++;                                                \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %lld, %s == %lld\n",  \
				__FILE__, __LINE__, #a, _a, #b, _b);                       \
		}                                                                          \
	} while (0)

#define CHECK_STR(a, b)                                                                    \
	do {                                                                               \
		const char *_a = (a), *_b = (b);                                           \
		aw_test_checks++;                                                          \
		if (_a == NULL || _b == NULL || strcmp(_a, _b) != 0) {                     \
			aw_test_failures++;                                                \
			fprintf(stderr, "%s:%d: CHECK_STR failed: '%s' != '%s'\n", __FILE__, \
				__LINE__, _a ? _a : "(null)", _b ? _b : "(null)");         \
		}                                                                          \
	} while (0)

#define CHECK_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)

typedef void (*aw_test_fn)(void);
struct aw_test_case {
	const char *name;
	aw_test_fn fn;
};

#define AW_TEST(fn) {#fn, fn}

/* Deterministic xorshift64 generator for test inputs; *state is the seed
 * (non-zero) and is advanced by each call. */
static inline uint64_t
aw_test_rnd(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

static inline void
aw_test_rnd_fill(uint64_t *state, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)aw_test_rnd(state);
}

static inline int
aw_test_run(const struct aw_test_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int before = aw_test_failures;
		cases[i].fn();
		printf("%s %s\n", aw_test_failures == before ? "ok  " : "FAIL", cases[i].name);
	}
	printf("%d checks, %d failed\n", aw_test_checks, aw_test_failures);
	return aw_test_failures ? 1 : 0;
}

#define AW_TEST_MAIN(...)                                                                  \
	int main(void)                                                                     \
	{                                                                                  \
		static const struct aw_test_case cases[] = {__VA_ARGS__};                 \
		return aw_test_run(cases, sizeof(cases) / sizeof(cases[0]));               \
	}

#endif /* AW_TEST_H */
