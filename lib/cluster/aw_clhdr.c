/* SPDX-License-Identifier: BSD-3-Clause */
/* The cluster header; see aw_clhdr.h for the layout. */
#include "aw_clhdr.h"

#include <string.h>

#include "aw_siphash.h"

static uint64_t
le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

void
aw_clh_key(const uint8_t key32[32], uint64_t k[2])
{
	k[0] = le64(key32) ^ le64(key32 + 16);
	k[1] = le64(key32 + 8) ^ le64(key32 + 24);
}

void
aw_clh_write(uint8_t *out, const struct aw_clh *h, const uint64_t k[2])
{
	out[0] = 0x41;
	out[1] = 0x43;
	out[2] = AW_CLH_VERSION;
	out[3] = h->hop_idx;
	out[4] = h->hop_cnt;
	out[5] = h->hops[0];
	out[6] = h->hop_cnt > 1 ? h->hops[1] : AW_CLH_HOP_NONE;
	out[7] = 0;
	for (unsigned i = 0; i < 8; i++)
		out[8 + i] = (uint8_t)(h->epoch >> (56 - 8 * i));
	uint64_t tag = aw_siphash24(k, out, 16);
	for (unsigned i = 0; i < 8; i++)
		out[16 + i] = (uint8_t)(tag >> (8 * i));
}

enum aw_clh_err
aw_clh_parse(const uint8_t *p, size_t n, struct aw_clh *h)
{
	if (n < AW_CLH_LEN)
		return AW_CLH_TRUNCATED;
	if (p[0] != 0x41 || p[1] != 0x43 || p[2] != AW_CLH_VERSION || p[7] != 0)
		return AW_CLH_MALFORMED;
	if (p[4] < 1 || p[4] > AW_CLH_MAX_HOPS || p[3] >= p[4])
		return AW_CLH_BAD_HOP;
	if (p[4] == 1 && p[6] != AW_CLH_HOP_NONE)
		return AW_CLH_MALFORMED;
	h->hop_idx = p[3];
	h->hop_cnt = p[4];
	h->hops[0] = p[5];
	h->hops[1] = p[6];
	h->epoch = 0;
	for (unsigned i = 0; i < 8; i++)
		h->epoch = h->epoch << 8 | p[8 + i];
	return AW_CLH_OK;
}

int
aw_clh_tag_ok(const uint8_t *p, const uint64_t k[2])
{
	return aw_siphash24(k, p, 16) == le64(p + 16);
}
