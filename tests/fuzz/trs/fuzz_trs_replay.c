/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the anti-replay window against a brute-force model. The input
 * is a list of 32-bit sequence numbers (the low bit of each byte group's
 * first byte picks "check only" or "check, then update"); every answer must
 * equal the model's, which keeps every accepted number.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aw_replay.h"
#include "aw_trs_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
model(const uint32_t *seen, size_t n, uint32_t top, uint32_t seq)
{
	if (n == 0 || seq > top)
		return AW_TRS_OK;
	if (top - seq >= (1u << 31))
		return AW_TRS_E_REPLAY_WRAP;
	if (top - seq >= AW_REPLAY_WINDOW)
		return AW_TRS_E_REPLAY_OLD;
	for (size_t i = 0; i < n; i++)
		if (seen[i] == seq)
			return AW_TRS_E_REPLAY_DUP;
	return AW_TRS_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint32_t seen[4096];
	struct aw_replay w;
	uint32_t top = 0, base = 0;
	size_t n = 0;

	aw_replay_init(&w);
	if (size >= 4) /* bases near 0 - 64 and 2^31 make wrap and its edge reachable */
		base = (uint32_t)(data[0] % 4) * 0x40000000u - 64;
	for (size_t i = 4; i + 4 <= size && n < 4096; i += 4) {
		uint32_t d, seq;
		int want, rc;

		memcpy(&d, data + i, 4);
		seq = base + (d >> 8) % 256 - 128 + (d & 0x80 ? (d >> 16) : 0);
		want = model(seen, n, top, seq);
		if (aw_replay_check(&w, seq) != want)
			abort();
		rc = d & 1 ? aw_replay_update(&w, seq) : want;
		if (rc != want)
			abort();
		if ((d & 1) && rc == AW_TRS_OK) {
			seen[n++] = seq;
			top = n == 1 || seq > top ? seq : top;
			if (aw_replay_check(&w, seq) != AW_TRS_E_REPLAY_DUP || w.top != top)
				abort();
		}
		if ((d & 0x7e) == 0x7e) /* now and then, jump to another region */
			base = (d >> 24) % 4 * 0x40000000u - 64;
		else
			base += (d >> 1) & 3;
	}
	return 0;
}
