/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * miss_rate — what a cache miss costs on this machine, for reading the
 * 1M-session / 1M-path numbers of bench/RESULTS.md against their targets.
 * No EAL, no DPDK: one thread, a table of MB megabytes (4 KiB pages, as the
 * in-process bench's --no-huge; -H for 2 MiB pages when the kernel has them),
 * every page touched first.
 *   latency:    a pointer chase through random lines (each load waits for
 *               the previous one): TSC cycles per dependent miss;
 *   throughput: independent random lines, each prefetched D loads ahead
 *               (D = 0, 1, 2, 4, ..., 64), like a software-pipelined bulk
 *               lookup: TSC cycles per line. Its best D is the floor a
 *               packet pays per line it must fetch from memory.
 *
 * Usage: miss_rate [-H] [MB] [LINES]. Not a test: timings, no assertions.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <x86intrin.h>

#define LINE 64

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static double
tsc_hz(void)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	uint64_t t0 = __rdtsc();
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec) < 2e8);
	return (double)(__rdtsc() - t0) / ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9);
}

/* A random cyclic permutation of the lines (Sattolo), stored as the next
 * line's index in each line's first word. */
static void
chain(uint8_t *t, size_t lines, uint64_t *seed)
{
	uint32_t *perm = malloc(lines * sizeof(*perm));
	for (size_t i = 0; i < lines; i++)
		perm[i] = (uint32_t)i;
	for (size_t i = lines - 1; i > 0; i--) {
		size_t j = xorshift(seed) % i;
		uint32_t x = perm[i];
		perm[i] = perm[j];
		perm[j] = x;
	}
	for (size_t i = 0; i < lines; i++) {
		uint64_t next = perm[i];
		memcpy(t + (size_t)i * LINE, &next, 8);
	}
	free(perm);
}

static double
latency(const uint8_t *t, size_t n)
{
	uint64_t at = 0, t0 = __rdtsc();
	for (size_t i = 0; i < n; i++)
		memcpy(&at, t + at * LINE, 8);
	double c = (double)(__rdtsc() - t0) / (double)n;
	return at == UINT64_MAX ? 0 : c; /* keeps the chase */
}

static double
throughput(const uint8_t *t, const uint32_t *idx, size_t n, unsigned d)
{
	uint64_t sum = 0, t0 = __rdtsc();
	for (size_t i = 0; i < n; i++) {
		if (d != 0 && i + d < n)
			_mm_prefetch((const char *)t + (size_t)idx[i + d] * LINE, _MM_HINT_T0);
		uint64_t v;
		memcpy(&v, t + (size_t)idx[i] * LINE + 8, 8);
		sum += v;
	}
	double c = (double)(__rdtsc() - t0) / (double)n;
	return sum == 42 ? c + 1e-9 : c;
}

int
main(int argc, char **argv)
{
	int huge = argc > 1 && strcmp(argv[1], "-H") == 0;
	size_t mb = argc > 1 + huge ? strtoul(argv[1 + huge], NULL, 0) : 512;
	size_t n = argc > 2 + huge ? strtoul(argv[2 + huge], NULL, 0) : 4000000;
	size_t bytes = mb << 20, lines = bytes / LINE;
	uint64_t seed = 0x243f6a8885a308d3ull;

	uint8_t *t = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | (huge ? MAP_HUGETLB : 0), -1, 0);
	if (t == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(t, 1, bytes);
	chain(t, lines, &seed);
	uint32_t *idx = malloc(n * sizeof(*idx));
	for (size_t i = 0; i < n; i++)
		idx[i] = (uint32_t)(xorshift(&seed) % lines);
	double hz = tsc_hz();
	printf("miss_rate: %zu MB table (%s pages), %zu lines each, TSC %.2f GHz\n", mb,
	       huge ? "2 MiB" : "4 KiB", n, hz / 1e9);
	double lat = latency(t, n);
	printf("latency: %.1f cycles (%.1f ns) per dependent miss\n", lat, lat / hz * 1e9);
	static const unsigned depth[] = {0, 1, 2, 4, 8, 16, 32, 64};
	for (unsigned k = 0; k < sizeof(depth) / sizeof(depth[0]); k++) {
		double c = throughput(t, idx, n, depth[k]);
		printf("throughput: prefetch %2u ahead: %.1f cycles (%.1f ns) per line\n", depth[k], c,
		       c / hz * 1e9);
	}
	free(idx);
	munmap(t, bytes);
	return 0;
}
