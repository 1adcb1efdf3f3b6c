/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Linked into every target of the libFuzzer build (-Dfuzz=true) instead of
 * driver.c: with AW_FUZZ_DUMP_SEEDS=DIR in the environment, the target writes
 * its built-in seeds (aw_fuzz_seeds, when it has them) to DIR/builtin-N and
 * exits 0, before any fuzzing. tests/fuzz/run_fuzz.sh adds them to the corpus
 * next to the seeds that make_seeds.py builds from the golden fixtures.
 * Without the variable it does nothing. Runs once, on libFuzzer's main thread.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
__attribute__((weak)) size_t aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("AW_FUZZ_DUMP_SEEDS");
	const uint8_t **seeds = NULL;
	const size_t *lens = NULL;
	size_t n;
	char path[4096];

	(void)argc;
	(void)argv;
	if (dir == NULL)
		return 0;
	n = aw_fuzz_seeds ? aw_fuzz_seeds(&seeds, &lens) : 0;
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/builtin-%zu", dir, i);
		FILE *f = fopen(path, "wb");
		if (f == NULL || fwrite(seeds[i], 1, lens[i], f) != lens[i] || fclose(f) != 0) {
			perror(path);
			exit(1);
		}
	}
	printf("%zu built-in seeds written to %s\n", n, dir);
	exit(0);
}
