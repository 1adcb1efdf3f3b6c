/* SPDX-License-Identifier: BSD-3-Clause */
/* The cluster header; see aw_clhdr.h for the layout. */
#include "aw_clhdr.h"

#include <endian.h>
#include <string.h>

#include "aw_siphash.h"

static inline uint64_t
le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

void
aw_clh_key(const uint8_t key32[32], uint64_t k[2])
{
	k[0] = le64(key32) ^ le64(key32 + 16);
	k[1] = le64(key32 + 8) ^ le64(key32 + 24);
}

void
aw_clh_head(uint8_t out[16], const struct aw_clh *h)
{
	const uint8_t head[8] = {0x41, 0x43, AW_CLH_VERSION, h->hop_idx, h->hop_cnt, h->hops[0],
				 h->hop_cnt > 1 ? h->hops[1] : AW_CLH_HOP_NONE, 0};
	const uint64_t epoch = htobe64(h->epoch);

	memcpy(out, head, 8);
	memcpy(out + 8, &epoch, 8);
}

uint64_t
aw_clh_tag(const uint8_t head[16], const uint64_t k[2])
{
	return htole64(aw_siphash24(k, head, 16));
}

void
aw_clh_write(uint8_t *out, const struct aw_clh *h, const uint64_t k[2])
{
	aw_clh_head(out, h);
	const uint64_t tag = aw_clh_tag(out, k);
	memcpy(out + 16, &tag, 8);
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
	uint64_t e;
	memcpy(&e, p + 8, 8);
	h->epoch = be64toh(e);
	return AW_CLH_OK;
}

int
aw_clh_tag_ok(const uint8_t *p, const uint64_t k[2])
{
	return aw_siphash24(k, p, 16) == le64(p + 16);
}
