/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: aw_shim_parse on arbitrary UDP payloads. Checks the result's
 * invariants (hdr_len within the payload, a multiple of 4, the URI inside the
 * header and printable, the SID that of the URI) and that a rebuilt shim
 * parses to the same result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aw_shim.h"
#include "aw_sid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens);

static void
check_ok(const uint8_t *data, size_t size, const struct aw_shim *s)
{
	uint8_t buf[AW_SHIM_MAX_LEN];
	struct aw_shim r;
	int n;

	if (s->hdr_len < AW_SHIM_MIN_LEN || s->hdr_len > size || s->hdr_len % 4)
		abort();
	if (s->uri == NULL) {
		if (s->sid == 0 || (s->flags & AW_SHIM_FLAG_URI))
			abort();
		n = aw_shim_build(buf, sizeof(buf), s->sid, NULL, 0);
	} else {
		if (s->uri != data + AW_SHIM_URI_OFF ||
		    AW_SHIM_URI_OFF + (size_t)s->uri_len > s->hdr_len ||
		    aw_uri_check((const char *)s->uri, s->uri_len, NULL, 0) != 0 ||
		    aw_sid_from_uri((const char *)s->uri, s->uri_len) != s->sid)
			abort();
		n = aw_shim_build(buf, sizeof(buf), s->sid, (const char *)s->uri, s->uri_len);
	}
	if (n <= 0 || aw_shim_parse(buf, (size_t)n, &r) != AW_SHIM_ERR_OK || r.sid != s->sid ||
	    r.uri_len != s->uri_len)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aw_shim s;
	enum aw_shim_err e = aw_shim_parse(data, size, &s);

	if ((unsigned)e >= AW_SHIM_ERR_COUNT || e >= AW_SHIM_ERR_OPT_NOT_FOUND)
		abort();
	if (e == AW_SHIM_ERR_OK)
		check_ok(data, size, &s);
	return 0;
}

static uint8_t seed_plain[24], seed_uri0[64], seed_urisid[64], seed_long[AW_SHIM_MAX_LEN];
static const uint8_t *seed_ptrs[4];
static size_t seed_lens[4];

size_t
aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens)
{
	static const char uri[] = "asrs://shop.example/web";
	char longuri[255];

	aw_shim_build(seed_plain, sizeof(seed_plain), 0x1122334455667788ull, NULL, 0);
	memcpy(seed_plain + 16, "payload", 8);
	aw_shim_build(seed_uri0, sizeof(seed_uri0), 0, uri, sizeof(uri) - 1);
	aw_shim_build(seed_urisid, sizeof(seed_urisid), aw_sid_from_uri(uri, sizeof(uri) - 1), uri,
	              sizeof(uri) - 1);
	memset(longuri, 'z', sizeof(longuri));
	aw_shim_build(seed_long, sizeof(seed_long), 0, longuri, sizeof(longuri));
	seed_ptrs[0] = seed_plain, seed_lens[0] = sizeof(seed_plain);
	seed_ptrs[1] = seed_uri0, seed_lens[1] = sizeof(seed_uri0);
	seed_ptrs[2] = seed_urisid, seed_lens[2] = 44;
	seed_ptrs[3] = seed_long, seed_lens[3] = sizeof(seed_long);
	*seeds = seed_ptrs;
	*lens = seed_lens;
	return 4;
}
