/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/asrs/aw_shim: every valid and malformed UDP shim variant,
 * the TCP option finder (option walking, EOL/NOP, lengths, duplicates), option
 * removal with the checksum checked by full recomputation over a pseudo-header
 * and the segment, and the builders.
 */
#include "aw_test.h"

#include <stdlib.h>

#include "aw_cksum.h"
#include "aw_shim.h"
#include "aw_sid.h"

#define URI     "asrs://shop.example/web"
#define URI_SID 0xc6251832bd2b33f2ull

/* Parses an exact-size heap copy, so ASan reports any read past len. */
static enum aw_shim_err
parse_exact(const uint8_t *buf, size_t len, struct aw_shim *out)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum aw_shim_err e;

	memcpy(copy, buf, len);
	e = aw_shim_parse(copy, len, out);
	if (e == AW_SHIM_ERR_OK && out->uri != NULL)
		out->uri = buf + (out->uri - copy); /* keep the pointer meaningful */
	free(copy);
	return e;
}

static void
test_err_names(void)
{
	CHECK_STR(aw_shim_err_name(AW_SHIM_ERR_OK), "ok");
	CHECK_STR(aw_shim_err_name(AW_SHIM_ERR_BAD_MAGIC), "bad_magic");
	CHECK_STR(aw_shim_err_name(AW_SHIM_ERR_URI_LEN_TRUNC), "uri_len_trunc");
	CHECK_STR(aw_shim_err_name(AW_SHIM_ERR_OPT_DUP), "opt_dup");
	CHECK_STR(aw_shim_err_name(AW_SHIM_ERR_COUNT), "unknown");
	CHECK_STR(aw_shim_err_name((enum aw_shim_err) - 1), "unknown");
	for (int i = 0; i < AW_SHIM_ERR_COUNT; i++) {
		CHECK(strlen(aw_shim_err_name(i)) > 0);
		for (int j = 0; j < i; j++)
			CHECK(strcmp(aw_shim_err_name(i), aw_shim_err_name(j)) != 0);
	}
}

static void
test_shim_valid(void)
{
	uint8_t b[512];
	struct aw_shim s;
	int n;

	/* No U: 16 bytes, payload follows. */
	memset(b, 0xee, sizeof(b));
	CHECK_EQ(aw_shim_build(b, sizeof(b), 0x1122334455667788ull, NULL, 0), 16);
	CHECK_EQ(parse_exact(b, 100, &s), AW_SHIM_ERR_OK);
	CHECK(s.sid == 0x1122334455667788ull);
	CHECK(s.uri == NULL);
	CHECK_EQ(s.uri_len, 0);
	CHECK_EQ(s.hdr_len, 16);
	CHECK_EQ(s.flags, 0);
	CHECK_EQ(parse_exact(b, 16, &s), AW_SHIM_ERR_OK); /* empty payload after shim */
	/* No U, longer header with non-zero padding, reserved and unknown flags. */
	b[5] = 24;
	b[6] = 0xab;
	b[3] = 0x80;
	CHECK_EQ(parse_exact(b, 24, &s), AW_SHIM_ERR_OK);
	CHECK_EQ(s.hdr_len, 24);
	CHECK_EQ(s.flags, 0x80);

	/* U with SID 0: the parsed SID is the URI's. */
	n = aw_shim_build(b, sizeof(b), 0, URI, strlen(URI));
	CHECK_EQ(n, 44); /* 18 + 23 = 41, padded to 44 */
	CHECK_EQ(b[41] | b[42] | b[43], 0);
	CHECK_EQ(parse_exact(b, 60, &s), AW_SHIM_ERR_OK);
	CHECK(s.sid == URI_SID);
	CHECK_EQ(s.uri_len, 23);
	CHECK(s.uri == b + 18);
	CHECK_MEM(s.uri, URI, 23);
	CHECK_EQ(s.hdr_len, 44);
	CHECK_EQ(s.flags, AW_SHIM_FLAG_URI);
	/* U with the matching SID; non-zero padding is ignored. */
	n = aw_shim_build(b, sizeof(b), URI_SID, URI, strlen(URI));
	b[42] = 0x55;
	CHECK_EQ(parse_exact(b, (size_t)n, &s), AW_SHIM_ERR_OK);
	CHECK(s.sid == URI_SID);
	/* Largest URI: 255 bytes, 276-byte shim. */
	{
		char u[255];

		memset(u, 'u', sizeof(u));
		n = aw_shim_build(b, sizeof(b), 0, u, sizeof(u));
		CHECK_EQ(n, AW_SHIM_MAX_LEN);
		CHECK_EQ(parse_exact(b, (size_t)n, &s), AW_SHIM_ERR_OK);
		CHECK(s.sid == aw_sid_from_uri(u, 255));
	}
}

static void
check_bad(const uint8_t *b, size_t len, enum aw_shim_err want)
{
	struct aw_shim s;

	memset(&s, 0x5a, sizeof(s));
	CHECK_STR(aw_shim_err_name(parse_exact(b, len, &s)), aw_shim_err_name(want));
	CHECK_EQ(s.hdr_len, 0x5a5a); /* untouched on error */
}

static void
test_shim_header_errors(void)
{
	uint8_t b[512], t[512];

	aw_shim_build(b, sizeof(b), 42, NULL, 0);
	for (size_t len = 0; len < 16; len++)
		check_bad(b, len, AW_SHIM_ERR_SHORT);
	memcpy(t, b, 16), t[0] = 0x61;
	check_bad(t, 16, AW_SHIM_ERR_BAD_MAGIC);
	memcpy(t, b, 16), t[1] = 0x54;
	check_bad(t, 16, AW_SHIM_ERR_BAD_MAGIC);
	memcpy(t, b, 16), t[2] = 0;
	check_bad(t, 16, AW_SHIM_ERR_BAD_VERSION);
	memcpy(t, b, 16), t[2] = 2;
	check_bad(t, 16, AW_SHIM_ERR_BAD_VERSION);
	memcpy(t, b, 16), t[5] = 0;
	check_bad(t, 16, AW_SHIM_ERR_HDR_LEN_SHORT);
	memcpy(t, b, 16), t[5] = 12;
	check_bad(t, 16, AW_SHIM_ERR_HDR_LEN_SHORT);
	memset(t, 0, sizeof(t));
	memcpy(t, b, 16), t[5] = 18;
	check_bad(t, 64, AW_SHIM_ERR_HDR_LEN_ALIGN);
	t[5] = 17;
	check_bad(t, 64, AW_SHIM_ERR_HDR_LEN_ALIGN);
	t[4] = 0x01, t[5] = 0x02; /* 258 */
	check_bad(t, 300, AW_SHIM_ERR_HDR_LEN_ALIGN);
	t[4] = 0, t[5] = 20;
	check_bad(t, 19, AW_SHIM_ERR_HDR_LEN_TRUNC);
	check_bad(t, 16, AW_SHIM_ERR_HDR_LEN_TRUNC);
	t[4] = 0xff, t[5] = 0xfc;
	check_bad(t, 300, AW_SHIM_ERR_HDR_LEN_TRUNC);
	memcpy(t, b, 16), t[4] = 0, t[5] = 16;
	memset(t + 8, 0, 8);
	check_bad(t, 16, AW_SHIM_ERR_SID_ZERO);
}

static void
test_shim_uri_errors(void)
{
	uint8_t b[512], t[512];
	char u[256];
	int n;

	n = aw_shim_build(b, sizeof(b), 0, URI, strlen(URI));
	check_bad(b, (size_t)n - 1, AW_SHIM_ERR_HDR_LEN_TRUNC); /* payload cut inside */
	/* U with hdr_len 16: no room for uri_len. */
	memcpy(t, b, (size_t)n), t[5] = 16;
	check_bad(t, (size_t)n, AW_SHIM_ERR_URI_LEN_TRUNC);
	/* uri_len beyond hdr_len (44 - 18 = 26 bytes of room). */
	memcpy(t, b, (size_t)n), t[17] = 27;
	check_bad(t, (size_t)n, AW_SHIM_ERR_URI_LEN_TRUNC);
	t[16] = 0xff, t[17] = 0xff;
	check_bad(t, (size_t)n, AW_SHIM_ERR_URI_LEN_TRUNC);
	t[16] = 0, t[17] = 26; /* fits (padding zeros are in the URI now): not printable */
	check_bad(t, (size_t)n, AW_SHIM_ERR_URI_INVALID);
	t[17] = 0;
	check_bad(t, (size_t)n, AW_SHIM_ERR_URI_INVALID);
	memcpy(t, b, (size_t)n), t[20] = '\t';
	check_bad(t, (size_t)n, AW_SHIM_ERR_URI_INVALID);
	memcpy(t, b, (size_t)n), t[20] = 0x80;
	check_bad(t, (size_t)n, AW_SHIM_ERR_URI_INVALID);
	/* 256-byte URI: fits a 276-byte header but exceeds 255. */
	memset(u, 'u', sizeof(u));
	n = aw_shim_build(t, sizeof(t), 0, u, 255);
	t[16] = 1, t[17] = 0;
	t[18 + 255] = 'u';
	check_bad(t, (size_t)n, AW_SHIM_ERR_URI_INVALID);
	/* SID neither 0 nor SID(URI). */
	n = aw_shim_build(t, sizeof(t), URI_SID ^ 1, URI, strlen(URI));
	check_bad(t, (size_t)n, AW_SHIM_ERR_SID_MISMATCH);
	n = aw_shim_build(t, sizeof(t), 0xc6251832bd2b33f2ull, "asrs://shop.example/dns", 23);
	check_bad(t, (size_t)n, AW_SHIM_ERR_SID_MISMATCH);
}

static void
test_shim_build_errors(void)
{
	uint8_t b[512];
	char u[300];

	memset(u, 'u', sizeof(u));
	CHECK_EQ(aw_shim_build(b, 15, 1, NULL, 0), -1);
	CHECK_EQ(aw_shim_build(b, 16, 1, NULL, 0), 16);
	CHECK_EQ(aw_shim_build(b, 43, 0, URI, strlen(URI)), -1);
	CHECK_EQ(aw_shim_build(b, 44, 0, URI, strlen(URI)), 44);
	CHECK_EQ(aw_shim_build(b, sizeof(b), 0, u, 0), -1);
	CHECK_EQ(aw_shim_build(b, sizeof(b), 0, u, 256), -1);
	CHECK_EQ(aw_shim_len(0), 16);
	CHECK_EQ(aw_shim_len(1), 20);
	CHECK_EQ(aw_shim_len(2), 20);
	CHECK_EQ(aw_shim_len(3), 24);
	CHECK_EQ(aw_shim_len(255), 276);
}

/* ---- TCP option ---- */

static enum aw_shim_err
find_exact(const uint8_t *opts, size_t len, struct aw_tcpopt *out)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum aw_shim_err e;

	memcpy(copy, opts, len);
	e = aw_tcpopt_find(copy, len, out);
	free(copy);
	return e;
}

static void
test_tcpopt_find(void)
{
	/* MSS, SACK-permitted, timestamps, NOP, window scale, ASRS: a typical SYN. */
	uint8_t o[40] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0, 1, 3, 3, 7};
	struct aw_tcpopt t = {0};

	CHECK_EQ(aw_tcpopt_build(o + 20, 20, 0x0123456789abcdefull), 12);
	CHECK_EQ(find_exact(o, 32, &t), AW_SHIM_ERR_OK);
	CHECK(t.sid == 0x0123456789abcdefull);
	CHECK_EQ(t.off, 20);
	CHECK_EQ(find_exact(o, 20, &t), AW_SHIM_ERR_OPT_NOT_FOUND);
	CHECK_EQ(find_exact(o, 0, &t), AW_SHIM_ERR_OPT_NOT_FOUND);
	CHECK_EQ(find_exact(o, 31, &t), AW_SHIM_ERR_OPT_TRUNC); /* option past the area */
	CHECK_EQ(find_exact(o, 21, &t), AW_SHIM_ERR_OPT_TRUNC); /* no room for length */
	/* Odd offset, NOP padding after. */
	memset(o, 1, sizeof(o));
	aw_tcpopt_build(o + 1, 12, URI_SID);
	CHECK_EQ(find_exact(o, 16, &t), AW_SHIM_ERR_OK);
	CHECK_EQ(t.off, 1);
	CHECK(t.sid == URI_SID);
	/* EOL ends the list: whatever follows is padding. */
	o[0] = 0;
	CHECK_EQ(find_exact(o, 16, &t), AW_SHIM_ERR_OPT_NOT_FOUND);
	/* Malformed after the option also counts. */
	memset(o, 1, sizeof(o));
	aw_tcpopt_build(o, 12, 9);
	o[12] = 2, o[13] = 1; /* length 1 */
	CHECK_EQ(find_exact(o, 16, &t), AW_SHIM_ERR_OPT_MALFORMED);
	o[13] = 0;
	CHECK_EQ(find_exact(o, 16, &t), AW_SHIM_ERR_OPT_MALFORMED);
	o[13] = 8;
	CHECK_EQ(find_exact(o, 16, &t), AW_SHIM_ERR_OPT_TRUNC);
	/* Duplicate. */
	aw_tcpopt_build(o + 12, 12, 9);
	CHECK_EQ(find_exact(o, 24, &t), AW_SHIM_ERR_OPT_DUP);
}

static void
test_tcpopt_variants(void)
{
	uint8_t o[40];
	struct aw_tcpopt t = {0};

	/* Another experiment (ExID 0x1234), kind 253 too short for an ExID: skipped. */
	memset(o, 1, sizeof(o));
	o[0] = 253, o[1] = 6, o[2] = 0x12, o[3] = 0x34;
	o[6] = 253, o[7] = 2;
	aw_tcpopt_build(o + 8, 12, 77);
	CHECK_EQ(find_exact(o, 20, &t), AW_SHIM_ERR_OK);
	CHECK_EQ(t.off, 8);
	CHECK(t.sid == 77);
	/* Kind 254 with our ExID is not ours. */
	o[8] = 254;
	CHECK_EQ(find_exact(o, 20, &t), AW_SHIM_ERR_OPT_NOT_FOUND);
	/* Our ExID with the wrong length. */
	memset(o, 1, sizeof(o));
	aw_tcpopt_build(o, 12, 5);
	o[1] = 10;
	CHECK_EQ(find_exact(o, 12, &t), AW_SHIM_ERR_OPT_BAD_LEN);
	o[1] = 14;
	CHECK_EQ(find_exact(o, 16, &t), AW_SHIM_ERR_OPT_BAD_LEN);
	o[1] = 4;
	CHECK_EQ(find_exact(o, 12, &t), AW_SHIM_ERR_OPT_BAD_LEN);
	/* Our option cut by the end of the area. */
	o[1] = 12;
	CHECK_EQ(find_exact(o, 11, &t), AW_SHIM_ERR_OPT_TRUNC);
	CHECK_EQ(find_exact(o, 1, &t), AW_SHIM_ERR_OPT_TRUNC);
	CHECK_EQ(aw_tcpopt_build(o, 11, 5), 0);
}

/* Full TCP checksum over a pseudo-header and the segment (checksum field as is). */
static uint16_t
tcp_verify(int v6, const uint8_t *seg, size_t len)
{
	uint8_t ph[40] = {0};
	size_t alen = v6 ? 16 : 4, n = 0;

	for (size_t i = 0; i < 2 * alen; i++)
		ph[n++] = (uint8_t)(0xc0 + i * 7);
	if (v6) {
		ph[n++] = 0, ph[n++] = 0, ph[n++] = (uint8_t)(len >> 8), ph[n++] = (uint8_t)len;
		ph[n++] = 0, ph[n++] = 0, ph[n++] = 0, ph[n++] = 6;
	} else {
		ph[n++] = 0, ph[n++] = 6, ph[n++] = (uint8_t)(len >> 8), ph[n++] = (uint8_t)len;
	}
	return aw_csum_fold(aw_csum_partial(seg, len, aw_csum_partial(ph, n, 0)));
}

/* A SYN with nop NOPs, the ASRS option, NOP padding to a multiple of 4, a payload. */
static size_t
make_syn(uint8_t *seg, int v6, unsigned nop, uint64_t sid, size_t payload, uint32_t *rng)
{
	size_t optlen = (nop + 12 + 3) & ~3u, len = 20 + optlen + payload;
	uint16_t c;

	for (size_t i = 0; i < len; i++) {
		*rng = *rng * 1103515245u + 12345u;
		seg[i] = (uint8_t)(*rng >> 16);
	}
	seg[12] = (uint8_t)((20 + optlen) / 4) << 4;
	memset(seg + 20, 1, optlen);
	aw_tcpopt_build(seg + 20 + nop, 12, sid);
	seg[16] = seg[17] = 0;
	c = (uint16_t)~tcp_verify(v6, seg, len);
	memcpy(seg + 16, &c, 2);
	return len;
}

static void
test_tcpopt_strip(void)
{
	uint8_t seg[128];
	uint32_t rng = 1;
	int checked = 0;

	for (int v6 = 0; v6 <= 1; v6++) {
		for (unsigned nop = 0; nop < 8; nop++) {
			for (size_t pl = 0; pl < 5; pl++) {
				size_t len = make_syn(seg, v6, nop, URI_SID + nop, pl, &rng);
				size_t optlen = (size_t)(seg[12] >> 4) * 4 - 20;
				struct aw_tcpopt t;
				uint16_t c;

				CHECK_EQ(tcp_verify(v6, seg, len), 0xffff);
				CHECK_EQ(aw_tcpopt_find(seg + 20, optlen, &t), AW_SHIM_ERR_OK);
				CHECK_EQ(t.off, nop);
				memcpy(&c, seg + 16, 2);
				CHECK_EQ(aw_tcpopt_strip(seg + 20, optlen, t.off, &c), 0);
				memcpy(seg + 16, &c, 2);
				CHECK_EQ(tcp_verify(v6, seg, len), 0xffff);
				for (size_t i = 0; i < optlen; i++)
					CHECK_EQ(seg[20 + i], 1);
				CHECK_EQ(aw_tcpopt_find(seg + 20, optlen, &t),
				         AW_SHIM_ERR_OPT_NOT_FOUND);
				checked++;
			}
		}
	}
	CHECK_EQ(checked, 80);
}

static void
test_tcpopt_strip_bounds(void)
{
	uint8_t o[16], before[16];
	uint16_t c = 0x1234;

	memset(o, 1, sizeof(o));
	aw_tcpopt_build(o + 4, 12, 3);
	memcpy(before, o, sizeof(o));
	CHECK_EQ(aw_tcpopt_strip(o, 16, 5, &c), -1);
	CHECK_EQ(aw_tcpopt_strip(o, 16, 17, &c), -1);
	CHECK_EQ(aw_tcpopt_strip(o, 15, 4, &c), -1);
	CHECK_MEM(o, before, sizeof(o));
	CHECK_EQ(c, 0x1234);
	CHECK_EQ(aw_tcpopt_strip(o, 16, 4, &c), 0);
	CHECK(c != 0x1234);
}

AW_TEST_MAIN(AW_TEST(test_err_names), AW_TEST(test_shim_valid), AW_TEST(test_shim_header_errors),
             AW_TEST(test_shim_uri_errors), AW_TEST(test_shim_build_errors),
             AW_TEST(test_tcpopt_find), AW_TEST(test_tcpopt_variants), AW_TEST(test_tcpopt_strip),
             AW_TEST(test_tcpopt_strip_bounds))
