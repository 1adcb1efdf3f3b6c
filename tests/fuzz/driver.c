/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz driver for gcc builds and `meson test`: feeds a fuzz target
 * (LLVMFuzzerTestOneInput) the files named on the command line, then a
 * deterministic stream of random and mutated inputs. With clang and
 * -Dfuzz=true the same targets link against libFuzzer instead.
 *
 * Usage: fuzz_X [-n ITERATIONS | -runs=ITERATIONS] [-s SEED] [FILE...]
 * (-runs=N is libFuzzer's spelling, so that a meson test runs either build.)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional: a target may provide seed inputs that mutation starts from. */
__attribute__((weak)) size_t aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens);

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static void
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		exit(2);
	}
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
}

static void
mutate(uint8_t *buf, size_t *len, size_t cap)
{
	unsigned edits = 1 + (unsigned)(rng() % 8);
	for (unsigned e = 0; e < edits; e++) {
		switch (rng() % 5) {
		case 0: /* flip a bit */
			if (*len)
				buf[rng() % *len] ^= (uint8_t)(1u << (rng() % 8));
			break;
		case 1: /* random byte */
			if (*len)
				buf[rng() % *len] = (uint8_t)rng();
			break;
		case 2: /* truncate */
			if (*len)
				*len = rng() % *len;
			break;
		case 3: /* extend */
			while (*len < cap && rng() % 4)
				buf[(*len)++] = (uint8_t)rng();
			break;
		default: /* interesting values */
			if (*len >= 2) {
				static const uint16_t v[] = {0, 1, 0x7fff, 0x8000, 0xffff, 4, 16};
				uint16_t x = v[rng() % (sizeof(v) / sizeof(v[0]))];
				memcpy(buf + rng() % (*len - 1), &x, 2);
			}
		}
	}
}

int
main(int argc, char **argv)
{
	unsigned long iters = 200000;
	int i = 1;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			iters = strtoul(argv[++i], NULL, 0);
		else if (strncmp(argv[i], "-runs=", 6) == 0)
			iters = strtoul(argv[i] + 6, NULL, 0);
		else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			rng_state = strtoull(argv[++i], NULL, 0) | 1;
		else
			run_file(argv[i]);
	}
	const uint8_t **seeds = NULL;
	const size_t *lens = NULL;
	size_t nseeds = aw_fuzz_seeds ? aw_fuzz_seeds(&seeds, &lens) : 0;
	static uint8_t buf[4096];
	for (unsigned long it = 0; it < iters; it++) {
		size_t len;
		if (nseeds && (rng() % 4) != 0) {
			size_t s = rng() % nseeds;
			len = lens[s] < sizeof(buf) ? lens[s] : sizeof(buf);
			memcpy(buf, seeds[s], len);
			mutate(buf, &len, sizeof(buf));
		} else {
			len = rng() % 600;
			for (size_t k = 0; k < len; k++)
				buf[k] = (uint8_t)rng();
		}
		/* Copy to an exact-size heap block so ASan catches any over-read. */
		uint8_t *exact = malloc(len ? len : 1);
		memcpy(exact, buf, len);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	printf("fuzz: %lu inputs, no crash\n", iters);
	return 0;
}
