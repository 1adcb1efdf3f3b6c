/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the cluster header parser (lib/cluster/aw_clhdr), which the
 * data plane runs on every packet to cluster.udp_port before anything else.
 * Checks the result's invariants (hop count 1..2, index below it, an unused
 * second entry when one hop), that a header rebuilt from the result parses
 * to the same values and verifies, and that the input verifies only when its
 * tag is the one the rebuild computes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aw_clhdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens);

static const uint64_t key[2] = {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aw_clh h, g;
	uint8_t buf[AW_CLH_LEN];
	enum aw_clh_err e = aw_clh_parse(data, size, &h);

	if ((unsigned)e >= AW_CLH_ERR_COUNT)
		abort();
	if (e != AW_CLH_OK)
		return 0;
	if (size < AW_CLH_LEN || h.hop_cnt < 1 || h.hop_cnt > AW_CLH_MAX_HOPS ||
	    h.hop_idx >= h.hop_cnt || (h.hop_cnt == 1 && h.hops[1] != AW_CLH_HOP_NONE))
		abort();
	aw_clh_write(buf, &h, key);
	if (aw_clh_parse(buf, sizeof(buf), &g) != AW_CLH_OK || g.epoch != h.epoch ||
	    g.hop_idx != h.hop_idx || g.hop_cnt != h.hop_cnt || g.hops[0] != h.hops[0] ||
	    g.hops[1] != h.hops[1] ||
	    !aw_clh_tag_ok(buf, key) || memcmp(buf, data, 16) != 0)
		abort();
	if (aw_clh_tag_ok(data, key) != (memcmp(buf + 16, data + 16, 8) == 0))
		abort();
	return 0;
}

static uint8_t seed_one[AW_CLH_LEN + 20], seed_two[AW_CLH_LEN];
static const uint8_t *seed_ptrs[2];
static size_t seed_lens[2];

size_t
aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens)
{
	struct aw_clh a = {.epoch = 7, .hop_idx = 0, .hop_cnt = 1, .hops = {3, AW_CLH_HOP_NONE}};
	struct aw_clh b = {.epoch = 1ull << 40, .hop_idx = 1, .hop_cnt = 2, .hops = {0, 5}};

	aw_clh_write(seed_one, &a, key);
	seed_one[AW_CLH_LEN] = 0x45;
	aw_clh_write(seed_two, &b, key);
	seed_ptrs[0] = seed_one, seed_lens[0] = sizeof(seed_one);
	seed_ptrs[1] = seed_two, seed_lens[1] = sizeof(seed_two);
	*seeds = seed_ptrs;
	*lens = seed_lens;
	return 2;
}
