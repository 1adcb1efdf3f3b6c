/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_seeds.h — a target whose built-in seeds are C strings defines the
 * aw_fuzz_seeds() hook (read by driver.c and seeds_dump.c) with one line:
 *   AW_FUZZ_TEXT_SEEDS(seeds_txt)
 * where seeds_txt is a `static const char *const []` array.
 */
#ifndef AW_FUZZ_SEEDS_H
#define AW_FUZZ_SEEDS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define AW_FUZZ_TEXT_SEEDS(txt)                                                              \
	size_t aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens)                    \
	{                                                                                    \
		static size_t l[sizeof(txt) / sizeof(txt[0])];                               \
		for (size_t i = 0; i < sizeof(l) / sizeof(l[0]); i++)                       \
			l[i] = strlen(txt[i]);                                               \
		*seeds = (const uint8_t **)txt;                                              \
		*lens = l;                                                                   \
		return sizeof(l) / sizeof(l[0]);                                             \
	}

#endif /* AW_FUZZ_SEEDS_H */
