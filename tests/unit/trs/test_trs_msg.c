/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/trs: message format (parse, build, names) and the replay window. */
#include "aw_test.h"

#include <stdint.h>

#include "aw_replay.h"
#include "aw_trs_msg.h"

static struct aw_trs_hdr
sample_hdr(void)
{
	struct aw_trs_hdr h = {
	        .txid = 0x01020304,
	        .version = 1,
	        .flag = AW_TRS_FLAG_R,
	        .type = AW_TRS_T_TUNNEL_REQUEST,
	        .count = 9,
	        .seq = 0xa1b2c3d4,
	        .next_opt = 0x11,
	        .reserved = 0x22,
	};

	for (int i = 0; i < AW_TRS_ID_LEN; i++)
		h.id[i] = (uint8_t)(0xa0 + i);
	return h;
}

static void
test_type_names(void)
{
	unsigned known = 0;

	CHECK_STR(aw_trs_type_name(0x01), "ACK");
	CHECK_STR(aw_trs_type_name(0x22), "KEEP_ALIVE");
	CHECK_STR(aw_trs_type_name(0x50), "HOLE_PUNCHING");
	CHECK_STR(aw_trs_type_name(0x60), "CAPSULE");
	CHECK(aw_trs_type_name(0x00) == NULL);
	CHECK(aw_trs_type_name(0x02) == NULL);
	CHECK(aw_trs_type_name(0x1ff) == NULL);
	for (unsigned t = 0; t < 256; t++)
		known += aw_trs_type_known(t);
	CHECK_EQ(known, 15);
	CHECK_EQ(AW_TRS_T_TUNNEL_RESPONSE, 0x52);
	CHECK_STR(aw_trs_err_name(AW_TRS_OK), "OK");
	CHECK_STR(aw_trs_err_name(AW_TRS_E_BAD_TAG), "BAD_TAG");
	CHECK_STR(aw_trs_err_name(AW_TRS_E_REPLAY_WRAP), "REPLAY_WRAP");
	CHECK_STR(aw_trs_err_name(-1), "?");
	CHECK_STR(aw_trs_err_name(AW_TRS_E__COUNT), "?");
	CHECK(strstr(aw_trs_strerror(AW_TRS_E_LEN_MISMATCH), "msg_len") != NULL);
}

static void
test_wire_layout(void)
{
	static const uint8_t want[AW_TRS_HDR_LEN] = {
	        0x01, 0x02, 0x03, 0x04, 0x01, 0x01, 0x51, 0x09, 0xa1, 0xb2, 0xc3,
	        0xd4, 0x00, 0x35, 0x11, 0x22, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
	        0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
	};
	struct aw_trs_hdr h = sample_hdr(), r;
	uint8_t buf[64];

	h.version = 7; /* the builder writes 1 */
	CHECK_EQ(aw_trs_build(buf, sizeof(buf), &h, "hello", 5), 53);
	CHECK_MEM(buf, want, sizeof(want));
	CHECK_MEM(buf + 32, "hello", 5);
	CHECK_MEM(buf + 37, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	CHECK_EQ(aw_trs_get_seq(buf), 0xa1b2c3d4);
	CHECK_EQ(aw_trs_get_msg_len(buf), 53);
	aw_trs_set_msg_len(buf, 0x1234);
	CHECK_EQ(buf[12], 0x12);
	CHECK_EQ(buf[13], 0x34);
	aw_trs_hdr_read(want, &r);
	CHECK_EQ(r.txid, 0x01020304);
	CHECK_EQ(r.seq, 0xa1b2c3d4);
	CHECK_EQ(r.msg_len, 53);
	CHECK_EQ(r.count, 9);
	CHECK_EQ(r.next_opt, 0x11);
	CHECK_EQ(r.reserved, 0x22);
	CHECK_MEM(r.id, h.id, AW_TRS_ID_LEN);
}

static void
test_parse_ok(void)
{
	struct aw_trs_hdr h = sample_hdr();
	struct aw_trs_view v;
	uint8_t buf[1 + 48 + 100];
	uint8_t *m = buf + 1; /* unaligned on purpose */
	size_t n;

	n = aw_trs_build(m, sizeof(buf) - 1, &h, NULL, 100);
	CHECK_EQ(n, 148);
	CHECK_EQ(aw_trs_parse(m, n, &v), AW_TRS_OK);
	CHECK_EQ(v.hdr.txid, h.txid);
	CHECK_EQ(v.hdr.version, 1);
	CHECK_EQ(v.hdr.flag, AW_TRS_FLAG_R);
	CHECK_EQ(v.hdr.type, AW_TRS_T_TUNNEL_REQUEST);
	CHECK_EQ(v.hdr.seq, h.seq);
	CHECK_EQ(v.hdr.msg_len, 148);
	CHECK_MEM(v.hdr.id, h.id, AW_TRS_ID_LEN);
	CHECK(v.body == m + 32);
	CHECK_EQ(v.body_len, 100);
	CHECK(v.tag == m + 132);

	/* minimal message: header + tag, empty body */
	n = aw_trs_build(m, sizeof(buf) - 1, &h, NULL, 0);
	CHECK_EQ(n, AW_TRS_MIN_LEN);
	CHECK_EQ(aw_trs_parse(m, n, &v), AW_TRS_OK);
	CHECK_EQ(v.body_len, 0);
	CHECK(v.tag == m + 32);

	/* every known type parses */
	for (unsigned t = 0; t < 256; t++) {
		h.type = (uint8_t)t;
		n = aw_trs_build(m, sizeof(buf) - 1, &h, NULL, 3);
		CHECK_EQ(aw_trs_parse(m, n, &v),
		         aw_trs_type_known(t) ? AW_TRS_OK : AW_TRS_E_UNKNOWN_TYPE);
	}
}

static void
test_parse_malformed(void)
{
	struct aw_trs_hdr h = sample_hdr();
	struct aw_trs_view v;
	uint8_t m[256];
	size_t n = aw_trs_build(m, sizeof(m), &h, NULL, 10);

	CHECK_EQ(n, 58);
	CHECK_EQ(aw_trs_parse(NULL, n, &v), AW_TRS_E_BAD_ARG);
	CHECK_EQ(aw_trs_parse(m, n, NULL), AW_TRS_E_BAD_ARG);
	/* truncated: anything under 48 bytes, whatever it says */
	CHECK_EQ(aw_trs_parse(m, 0, &v), AW_TRS_E_TRUNCATED);
	CHECK_EQ(aw_trs_parse(m, 31, &v), AW_TRS_E_TRUNCATED);
	CHECK_EQ(aw_trs_parse(m, 47, &v), AW_TRS_E_TRUNCATED);
	/* payload shorter / longer than msg_len */
	CHECK_EQ(aw_trs_parse(m, 57, &v), AW_TRS_E_LEN_MISMATCH);
	CHECK_EQ(aw_trs_parse(m, 59, &v), AW_TRS_E_LEN_MISMATCH);
	CHECK_EQ(aw_trs_parse(m, 48, &v), AW_TRS_E_LEN_MISMATCH);
	aw_trs_set_msg_len(m, 0);
	CHECK_EQ(aw_trs_parse(m, n, &v), AW_TRS_E_LEN_MISMATCH);
	aw_trs_set_msg_len(m, 0xffff);
	CHECK_EQ(aw_trs_parse(m, n, &v), AW_TRS_E_LEN_MISMATCH);
	aw_trs_set_msg_len(m, 58);
	CHECK_EQ(aw_trs_parse(m, n, &v), AW_TRS_OK);
	/* version */
	m[AW_TRS_OFF_VERSION] = 0;
	CHECK_EQ(aw_trs_parse(m, n, &v), AW_TRS_E_BAD_VERSION);
	m[AW_TRS_OFF_VERSION] = 2;
	CHECK_EQ(aw_trs_parse(m, n, &v), AW_TRS_E_BAD_VERSION);
	/* precedence: truncated before version before length before type */
	m[AW_TRS_OFF_TYPE] = 0x02;
	CHECK_EQ(aw_trs_parse(m, 40, &v), AW_TRS_E_TRUNCATED);
	CHECK_EQ(aw_trs_parse(m, 57, &v), AW_TRS_E_BAD_VERSION);
	m[AW_TRS_OFF_VERSION] = 1;
	CHECK_EQ(aw_trs_parse(m, 57, &v), AW_TRS_E_LEN_MISMATCH);
	CHECK_EQ(aw_trs_parse(m, n, &v), AW_TRS_E_UNKNOWN_TYPE);
	m[AW_TRS_OFF_TYPE] = 0xff;
	CHECK_EQ(aw_trs_parse(m, n, &v), AW_TRS_E_UNKNOWN_TYPE);
	m[AW_TRS_OFF_TYPE] = 0x00;
	CHECK_EQ(aw_trs_parse(m, n, &v), AW_TRS_E_UNKNOWN_TYPE);
	/* not checked: flag bits, count, next_opt, reserved */
	m[AW_TRS_OFF_TYPE] = AW_TRS_T_CAPSULE;
	m[AW_TRS_OFF_FLAG] = 0xff;
	m[AW_TRS_OFF_NEXT_OPT] = 0xff;
	m[AW_TRS_OFF_RESERVED] = 0xff;
	CHECK_EQ(aw_trs_parse(m, n, &v), AW_TRS_OK);
}

static void
test_build_limits(void)
{
	static uint8_t big[AW_TRS_MAX_LEN + 16];
	struct aw_trs_hdr h = sample_hdr();
	struct aw_trs_view v;

	CHECK_EQ(aw_trs_build(big, 47, &h, NULL, 0), 0);
	CHECK_EQ(aw_trs_build(big, 48, &h, NULL, 1), 0);
	CHECK_EQ(aw_trs_build(NULL, 100, &h, NULL, 0), 0);
	CHECK_EQ(aw_trs_build(big, sizeof(big), &h, NULL, AW_TRS_MAX_LEN - 47), 0);
	CHECK_EQ(aw_trs_build(big, sizeof(big), &h, NULL, AW_TRS_MAX_LEN - 48), AW_TRS_MAX_LEN);
	CHECK_EQ(aw_trs_parse(big, AW_TRS_MAX_LEN, &v), AW_TRS_OK);
	/* a payload over 65535 bytes can never match the 16-bit msg_len */
	CHECK_EQ(aw_trs_parse(big, AW_TRS_MAX_LEN + 1, &v), AW_TRS_E_LEN_MISMATCH);
	CHECK_EQ(aw_trs_parse(big, AW_TRS_MAX_LEN + 1 + 65536, &v), AW_TRS_E_LEN_MISMATCH);
	/* body already in place at buf + 32 */
	memcpy(big + 32, "abc", 3);
	CHECK_EQ(aw_trs_build(big, sizeof(big), &h, big + 32, 3), 51);
	CHECK_MEM(big + 32, "abc", 3);
}

/* ---- replay window ---- */

static void
test_replay_basic(void)
{
	struct aw_replay w;

	CHECK_EQ(sizeof(w), 12);
	aw_replay_init(&w);
	CHECK_EQ(aw_replay_check(&w, 0), AW_TRS_OK); /* empty: anything, 0 included */
	CHECK_EQ(aw_replay_check(&w, 0xffffffff), AW_TRS_OK);
	/* check does not record: update does, once */
	CHECK_EQ(aw_replay_check(&w, 5), AW_TRS_OK);
	CHECK_EQ(aw_replay_check(&w, 5), AW_TRS_OK);
	CHECK_EQ(aw_replay_update(&w, 5), AW_TRS_OK);
	CHECK_EQ(aw_replay_check(&w, 5), AW_TRS_E_REPLAY_DUP);
	CHECK_EQ(aw_replay_update(&w, 5), AW_TRS_E_REPLAY_DUP);
	CHECK_EQ(aw_replay_check(&w, 0), AW_TRS_OK); /* 5 behind, unseen */
	CHECK_EQ(aw_replay_update(&w, 0), AW_TRS_OK);
	CHECK_EQ(aw_replay_check(&w, 0), AW_TRS_E_REPLAY_DUP);
	CHECK_EQ(aw_replay_update(&w, 6), AW_TRS_OK);
	CHECK_EQ(aw_replay_update(&w, 4), AW_TRS_OK); /* out of order, in window */
	CHECK_EQ(aw_replay_check(&w, 4), AW_TRS_E_REPLAY_DUP);
	CHECK_EQ(aw_replay_check(&w, 3), AW_TRS_OK);
	CHECK_EQ(w.top, 6);
	CHECK_EQ(sizeof(w), 12);
}

static void
test_replay_edges(void)
{
	struct aw_replay w, saved;

	aw_replay_init(&w);
	CHECK_EQ(aw_replay_update(&w, 100), AW_TRS_OK);
	CHECK_EQ(aw_replay_check(&w, 37), AW_TRS_OK);           /* exactly 63 behind */
	CHECK_EQ(aw_replay_check(&w, 36), AW_TRS_E_REPLAY_OLD); /* 64 behind */
	CHECK_EQ(aw_replay_check(&w, 0), AW_TRS_E_REPLAY_OLD);
	CHECK_EQ(aw_replay_update(&w, 37), AW_TRS_OK);
	CHECK_EQ(aw_replay_check(&w, 37), AW_TRS_E_REPLAY_DUP);
	saved = w;
	CHECK_EQ(aw_replay_update(&w, 36), AW_TRS_E_REPLAY_OLD);
	CHECK_MEM(&w, &saved, sizeof(w)); /* a refused update changes nothing */

	/* advance by 63: the old top moves to the window's last slot */
	CHECK_EQ(aw_replay_update(&w, 163), AW_TRS_OK);
	CHECK_EQ(aw_replay_check(&w, 100), AW_TRS_E_REPLAY_DUP);
	CHECK_EQ(aw_replay_check(&w, 101), AW_TRS_OK);
	CHECK_EQ(aw_replay_check(&w, 99), AW_TRS_E_REPLAY_OLD);
	/* advance by exactly 64: only the new top is marked */
	CHECK_EQ(aw_replay_update(&w, 227), AW_TRS_OK);
	CHECK_EQ(aw_replay_check(&w, 163), AW_TRS_E_REPLAY_OLD);
	CHECK_EQ(aw_replay_check(&w, 164), AW_TRS_OK);
	CHECK_EQ(w.bitmap, 1);
	/* jump ahead by more than 64 clears the window */
	for (uint32_t s = 200; s < 227; s++)
		CHECK_EQ(aw_replay_update(&w, s), AW_TRS_OK);
	CHECK_EQ(aw_replay_update(&w, 1000), AW_TRS_OK);
	CHECK_EQ(w.bitmap, 1);
	for (uint32_t s = 937; s < 1000; s++)
		CHECK_EQ(aw_replay_check(&w, s), AW_TRS_OK);
	CHECK_EQ(aw_replay_check(&w, 936), AW_TRS_E_REPLAY_OLD);
	CHECK_EQ(aw_replay_check(&w, 227), AW_TRS_E_REPLAY_OLD);
	/* all 64 slots filled */
	for (uint32_t s = 937; s < 1000; s++)
		CHECK_EQ(aw_replay_update(&w, s), AW_TRS_OK);
	CHECK_EQ(w.bitmap, UINT64_MAX);
	for (uint32_t s = 937; s <= 1000; s++)
		CHECK_EQ(aw_replay_check(&w, s), AW_TRS_E_REPLAY_DUP);
}

static void
test_replay_wrap(void)
{
	struct aw_replay w;

	aw_replay_init(&w);
	CHECK_EQ(aw_replay_update(&w, 0xfffffffe), AW_TRS_OK);
	CHECK_EQ(aw_replay_update(&w, 0xffffffff), AW_TRS_OK);
	/* the sender wrapped: refused, never taken as "ahead" */
	CHECK_EQ(aw_replay_check(&w, 0), AW_TRS_E_REPLAY_WRAP);
	CHECK_EQ(aw_replay_update(&w, 0), AW_TRS_E_REPLAY_WRAP);
	CHECK_EQ(aw_replay_check(&w, 1), AW_TRS_E_REPLAY_WRAP);
	CHECK_EQ(aw_replay_check(&w, 0x7fffffff), AW_TRS_E_REPLAY_WRAP);
	CHECK_EQ(aw_replay_check(&w, 0x80000000), AW_TRS_E_REPLAY_OLD);
	CHECK_EQ(aw_replay_check(&w, 0xffffffff), AW_TRS_E_REPLAY_DUP);
	CHECK_EQ(aw_replay_check(&w, 0xffffffc0), AW_TRS_OK); /* 63 behind */
	CHECK_EQ(aw_replay_check(&w, 0xffffffbf), AW_TRS_E_REPLAY_OLD);
	CHECK_EQ(w.top, 0xffffffff);

	/* the boundary: 2^31 behind is WRAP, 2^31 - 1 behind is OLD */
	aw_replay_init(&w);
	CHECK_EQ(aw_replay_update(&w, 0x80000000), AW_TRS_OK);
	CHECK_EQ(aw_replay_check(&w, 0), AW_TRS_E_REPLAY_WRAP);
	CHECK_EQ(aw_replay_check(&w, 1), AW_TRS_E_REPLAY_OLD);
	/* plain unsigned order: a big step forward is accepted */
	aw_replay_init(&w);
	CHECK_EQ(aw_replay_update(&w, 3), AW_TRS_OK);
	CHECK_EQ(aw_replay_update(&w, 0xfffffff0), AW_TRS_OK);
	CHECK_EQ(aw_replay_check(&w, 3), AW_TRS_E_REPLAY_WRAP);
}

AW_TEST_MAIN(AW_TEST(test_type_names), AW_TEST(test_wire_layout), AW_TEST(test_parse_ok),
             AW_TEST(test_parse_malformed), AW_TEST(test_build_limits), AW_TEST(test_replay_basic),
             AW_TEST(test_replay_edges), AW_TEST(test_replay_wrap))
