/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: aw_tcpopt_find on arbitrary TCP options areas (up to 40 bytes
 * are used as the area; more input is cut), then aw_tcpopt_strip on a copy
 * when found: the option must be the ASRS one at the reported offset, the
 * strip must leave no ASRS option and must keep a checksum over the area
 * consistent with a full recomputation.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aw_cksum.h"
#include "aw_shim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens);

static void
check_found(const uint8_t *data, size_t size, const struct aw_tcpopt *t)
{
	uint8_t copy[AW_TCPOPT_MAX_AREA];
	struct aw_tcpopt again;
	uint16_t c;

	if ((size_t)t->off + AW_TCPOPT_LEN > size || data[t->off] != AW_TCPOPT_KIND ||
	    data[t->off + 1] != AW_TCPOPT_LEN)
		abort();
	memcpy(copy, data, size);
	c = aw_csum(copy, size);
	if (aw_tcpopt_strip(copy, size, t->off, &c) != 0)
		abort();
	if (aw_tcpopt_find(copy, size, &again) != AW_SHIM_ERR_OPT_NOT_FOUND)
		abort();
	/* Receiver's check: the area plus its checksum sums to 0xffff. */
	if (aw_csum_fold(aw_csum_partial(copy, size, c)) != 0xffff)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aw_tcpopt t;
	enum aw_shim_err e;

	if (size > AW_TCPOPT_MAX_AREA)
		size = AW_TCPOPT_MAX_AREA;
	e = aw_tcpopt_find(data, size, &t);
	if (e != AW_SHIM_ERR_OK && e != AW_SHIM_ERR_OPT_NOT_FOUND &&
	    e != AW_SHIM_ERR_OPT_MALFORMED && e != AW_SHIM_ERR_OPT_TRUNC &&
	    e != AW_SHIM_ERR_OPT_BAD_LEN && e != AW_SHIM_ERR_OPT_DUP)
		abort();
	if (e == AW_SHIM_ERR_OK)
		check_found(data, size, &t);
	return 0;
}

/*
 * Typical SYN options with the ASRS option at an even and at an odd offset,
 * another experiment, a duplicate.
 */
static const uint8_t seed_syn[] = {2,    4,    0x05, 0xb4, 4,    2,    8,    10,   1,    2,   3,
                                   4,    0,    0,    0,    0,    1,    3,    3,    7,    253, 12,
                                   0x41, 0x53, 0xc6, 0x25, 0x18, 0x32, 0xbd, 0x2b, 0x33, 0xf2};
static const uint8_t seed_odd[] = {1, 253, 12, 0x41, 0x53, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1, 1};
static const uint8_t seed_other[] = {253, 6, 0x12, 0x34, 0, 0, 253, 12, 0x41, 0x53,
                                     0,   0, 0,    0,    0, 0, 0,   42, 0,    0};
static const uint8_t seed_dup[] = {253, 12, 0x41, 0x53, 0, 0, 0, 0, 0, 0, 0, 1,
                                   253, 12, 0x41, 0x53, 0, 0, 0, 0, 0, 0, 0, 2};
static const uint8_t *seed_ptrs[] = {seed_syn, seed_odd, seed_other, seed_dup};
static const size_t seed_lens[] = {sizeof(seed_syn), sizeof(seed_odd), sizeof(seed_other),
                                   sizeof(seed_dup)};

size_t
aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens)
{
	*seeds = seed_ptrs;
	*lens = seed_lens;
	return sizeof(seed_lens) / sizeof(seed_lens[0]);
}
