/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: aw_trs_parse on arbitrary bytes. A message it accepts must
 * satisfy the parse rule, and building it again from the view gives the same
 * bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aw_trs_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aw_trs_view v;
	uint8_t *out;
	int rc = aw_trs_parse(data, size, &v);

	if (rc < 0 || rc >= AW_TRS_E__COUNT || aw_trs_err_name(rc)[0] == '?')
		abort();
	if (rc != AW_TRS_OK)
		return 0;
	if (size < AW_TRS_MIN_LEN || v.hdr.msg_len != size || v.hdr.version != 1 ||
	    !aw_trs_type_known(v.hdr.type) || v.body != data + AW_TRS_HDR_LEN ||
	    v.body_len != size - AW_TRS_MIN_LEN || v.tag != data + size - AW_TRS_TAG_LEN)
		abort();
	out = malloc(size);
	if (out == NULL)
		return 0;
	if (aw_trs_build(out, size, &v.hdr, v.body, v.body_len) != size)
		abort();
	memcpy(out + size - AW_TRS_TAG_LEN, v.tag, AW_TRS_TAG_LEN);
	if (memcmp(out, data, size) != 0)
		abort();
	free(out);
	return 0;
}

size_t
aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens)
{
	static const uint8_t types[] = {0x01, 0x22, 0x50, 0x51, 0x52, 0x60};
	static uint8_t bufs[6][AW_TRS_MIN_LEN + 64];
	static const uint8_t *ptrs[6];
	static size_t sizes[6];

	for (size_t i = 0; i < 6; i++) {
		struct aw_trs_hdr h = {.txid = 0x11223344,
		                       .flag = (uint8_t)(i & 1),
		                       .type = types[i],
		                       .seq = (uint32_t)i};

		sizes[i] = aw_trs_build(bufs[i], sizeof(bufs[i]), &h, NULL, i * 12);
		ptrs[i] = bufs[i];
	}
	*seeds = ptrs;
	*lens = sizes;
	return 6;
}
