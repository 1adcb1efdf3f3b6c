/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_shim.h"

#include <string.h>

#include "aw_cksum.h"
#include "aw_sid.h"

static const char *const err_names[] = {
#define AW_SHIM_ERR_NAME_(id, name) [AW_SHIM_ERR_##id] = #name,
        AW_SHIM_ERRORS(AW_SHIM_ERR_NAME_)
#undef AW_SHIM_ERR_NAME_
};

const char *
aw_shim_err_name(enum aw_shim_err e)
{
	if ((unsigned)e >= AW_SHIM_ERR_COUNT)
		return "unknown";
	return err_names[e];
}

static inline uint16_t
get_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint64_t
get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static inline void
put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* The URI part of a shim with U; p/hdr_len already checked. */
static enum aw_shim_err
parse_uri(const uint8_t *p, uint16_t hdr_len, struct aw_shim *res)
{
	uint16_t uri_len;
	uint64_t sid;

	if (hdr_len < AW_SHIM_URI_OFF)
		return AW_SHIM_ERR_URI_LEN_TRUNC;
	uri_len = get_be16(p + 16);
	if ((size_t)AW_SHIM_URI_OFF + uri_len > hdr_len)
		return AW_SHIM_ERR_URI_LEN_TRUNC;
	if (aw_uri_check((const char *)p + AW_SHIM_URI_OFF, uri_len, NULL, 0) != 0)
		return AW_SHIM_ERR_URI_INVALID;
	sid = aw_sid_from_uri((const char *)p + AW_SHIM_URI_OFF, uri_len);
	if (res->sid != 0 && res->sid != sid)
		return AW_SHIM_ERR_SID_MISMATCH;
	res->sid = sid;
	res->uri = p + AW_SHIM_URI_OFF;
	res->uri_len = uri_len;
	return AW_SHIM_ERR_OK;
}

enum aw_shim_err
aw_shim_parse(const void *payload, size_t len, struct aw_shim *out)
{
	const uint8_t *p = payload;
	struct aw_shim res = {0};
	enum aw_shim_err e;

	if (len < AW_SHIM_MIN_LEN)
		return AW_SHIM_ERR_SHORT;
	if (get_be16(p) != AW_SHIM_MAGIC)
		return AW_SHIM_ERR_BAD_MAGIC;
	if (p[2] != AW_SHIM_VERSION)
		return AW_SHIM_ERR_BAD_VERSION;
	res.flags = p[3];
	res.hdr_len = get_be16(p + 4);
	if (res.hdr_len < AW_SHIM_MIN_LEN)
		return AW_SHIM_ERR_HDR_LEN_SHORT;
	if (res.hdr_len % 4 != 0)
		return AW_SHIM_ERR_HDR_LEN_ALIGN;
	if (res.hdr_len > len)
		return AW_SHIM_ERR_HDR_LEN_TRUNC;
	res.sid = get_be64(p + 8);
	if (!(res.flags & AW_SHIM_FLAG_URI)) {
		if (res.sid == 0)
			return AW_SHIM_ERR_SID_ZERO;
	} else {
		e = parse_uri(p, res.hdr_len, &res);
		if (e != AW_SHIM_ERR_OK)
			return e;
	}
	*out = res;
	return AW_SHIM_ERR_OK;
}

size_t
aw_shim_len(size_t uri_len)
{
	if (uri_len == 0)
		return AW_SHIM_MIN_LEN;
	return (AW_SHIM_URI_OFF + uri_len + 3) & ~(size_t)3;
}

int
aw_shim_build(void *buf, size_t cap, uint64_t sid, const char *uri, size_t uri_len)
{
	uint8_t *p = buf;
	size_t n;

	if (uri != NULL && (uri_len < AW_URI_MIN_LEN || uri_len > AW_URI_MAX_LEN))
		return -1;
	n = aw_shim_len(uri != NULL ? uri_len : 0);
	if (cap < n)
		return -1;
	memset(p, 0, n);
	put_be16(p, AW_SHIM_MAGIC);
	p[2] = AW_SHIM_VERSION;
	p[3] = uri != NULL ? AW_SHIM_FLAG_URI : 0;
	put_be16(p + 4, (uint16_t)n);
	put_be64(p + 8, sid);
	if (uri != NULL) {
		put_be16(p + 16, (uint16_t)uri_len);
		memcpy(p + AW_SHIM_URI_OFF, uri, uri_len);
	}
	return (int)n;
}

/* Checks one kind-253 option at p (olen bytes, olen >= 2, fits in the area). */
static enum aw_shim_err
tcpopt_exp(const uint8_t *p, size_t olen, size_t off, struct aw_tcpopt *res, int *found)
{
	if (olen < 4 || get_be16(p + 2) != AW_TCPOPT_EXID)
		return AW_SHIM_ERR_OK; /* someone else's experiment */
	if (olen != AW_TCPOPT_LEN)
		return AW_SHIM_ERR_OPT_BAD_LEN;
	if (*found)
		return AW_SHIM_ERR_OPT_DUP;
	*found = 1;
	res->sid = get_be64(p + 4);
	res->off = (uint16_t)off;
	return AW_SHIM_ERR_OK;
}

enum aw_shim_err
aw_tcpopt_find(const void *opts, size_t len, struct aw_tcpopt *out)
{
	const uint8_t *p = opts;
	struct aw_tcpopt res = {0};
	int found = 0;
	size_t i = 0;

	while (i < len) {
		uint8_t kind = p[i];
		size_t olen;

		if (kind == 0) /* EOL: the rest is padding */
			break;
		if (kind == 1) { /* NOP */
			i++;
			continue;
		}
		if (i + 1 >= len)
			return AW_SHIM_ERR_OPT_TRUNC;
		olen = p[i + 1];
		if (olen < 2)
			return AW_SHIM_ERR_OPT_MALFORMED;
		if (olen > len - i)
			return AW_SHIM_ERR_OPT_TRUNC;
		if (kind == AW_TCPOPT_KIND) {
			enum aw_shim_err e = tcpopt_exp(p + i, olen, i, &res, &found);

			if (e != AW_SHIM_ERR_OK)
				return e;
		}
		i += olen;
	}
	if (!found)
		return AW_SHIM_ERR_OPT_NOT_FOUND;
	*out = res;
	return AW_SHIM_ERR_OK;
}

int
aw_tcpopt_strip(void *opts, size_t len, size_t off, uint16_t *cksum)
{
	uint8_t *p = opts;
	/*
	 * The checksum sums 16-bit words at even offsets from the TCP header. At an
	 * odd off the option straddles words: pad both images with one zero byte in
	 * front (and one behind) so the words line up; the neighbour bytes do not
	 * change, so their value cancels out of the update and need not be read.
	 */
	size_t lead = off & 1, n = AW_TCPOPT_LEN + 2 * lead;
	uint8_t before[AW_TCPOPT_LEN + 2] = {0}, after[AW_TCPOPT_LEN + 2] = {0};

	if (off > len || len - off < AW_TCPOPT_LEN)
		return -1;
	memcpy(before + lead, p + off, AW_TCPOPT_LEN);
	memset(after + lead, 1, AW_TCPOPT_LEN);
	memset(p + off, 1, AW_TCPOPT_LEN);
	*cksum = aw_csum_update(*cksum, before, after, n);
	return 0;
}

size_t
aw_tcpopt_build(void *buf, size_t cap, uint64_t sid)
{
	uint8_t *p = buf;

	if (cap < AW_TCPOPT_LEN)
		return 0;
	p[0] = AW_TCPOPT_KIND;
	p[1] = AW_TCPOPT_LEN;
	put_be16(p + 2, AW_TCPOPT_EXID);
	put_be64(p + 4, sid);
	return AW_TCPOPT_LEN;
}
