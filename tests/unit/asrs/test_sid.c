/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/asrs/aw_sid: SID known answers (expected values from
 * python3 -c 'import hashlib; print(hashlib.sha256(b"...").digest()[:8].hex())'),
 * URI validation, SID formatting and parsing.
 */
#include "aw_test.h"

#include "aw_sid.h"

static void
test_sid_known_answers(void)
{
	static const struct {
		const char *uri;
		uint64_t sid;
	} kat[] = {
	        {"asrs://shop.example/web", 0xc6251832bd2b33f2ull},
	        {"asrs://shop.example/dns", 0xc95e17ce36a1d83eull},
	        {"asrs://video.example/live", 0xf723628e341f387cull},
	        {"a", 0xca978112ca1bbdcaull},
	};
	char x255[256];

	for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]); i++)
		CHECK(aw_sid_from_uri(kat[i].uri, strlen(kat[i].uri)) == kat[i].sid);
	memset(x255, 'x', 255);
	x255[255] = '\0';
	CHECK(aw_sid_from_uri(x255, 255) == 0xd22609da3ae3956cull);
	/* Only len bytes count: a longer buffer hashes the same. */
	CHECK(aw_sid_from_uri("asrs://shop.example/webXYZ", 23) == 0xc6251832bd2b33f2ull);
}

static void
test_uri_check(void)
{
	char err[128], big[300];

	CHECK_EQ(aw_uri_check("asrs://shop.example/web", 23, err, sizeof(err)), 0);
	CHECK_EQ(aw_uri_check("a b~", 4, err, sizeof(err)), 0); /* space and ~ printable */
	CHECK_EQ(aw_uri_check("", 0, err, sizeof(err)), -1);
	CHECK_STR(err, "URI is empty");
	CHECK_EQ(aw_uri_check(NULL, 3, err, sizeof(err)), -1);
	memset(big, 'a', sizeof(big));
	CHECK_EQ(aw_uri_check(big, 255, err, sizeof(err)), 0);
	CHECK_EQ(aw_uri_check(big, 256, err, sizeof(err)), -1);
	CHECK_STR(err, "URI is 256 bytes long, at most 255 allowed");
	CHECK_EQ(aw_uri_check("asrs\n", 5, err, sizeof(err)), -1);
	CHECK_STR(err, "URI byte 4 is 0x0a, not printable ASCII (0x20..0x7e)");
	CHECK_EQ(aw_uri_check("ab\0c", 4, err, sizeof(err)), -1);
	CHECK_STR(err, "URI byte 2 is 0x00, not printable ASCII (0x20..0x7e)");
	CHECK_EQ(aw_uri_check("a\x7f", 2, err, sizeof(err)), -1);
	CHECK_EQ(aw_uri_check("caf\xc3\xa9", 5, err, sizeof(err)), -1);
	CHECK_STR(err, "URI byte 3 is 0xc3, not printable ASCII (0x20..0x7e)");
	CHECK_EQ(aw_uri_check("\x1f", 1, NULL, 0), -1); /* err may be NULL */
}

static void
test_sid_format_parse(void)
{
	char buf[AW_SID_STRLEN], small[16], err[128];
	uint64_t v = 0;

	CHECK_STR(aw_sid_format(0xc6251832bd2b33f2ull, buf, sizeof(buf)), "c6251832bd2b33f2");
	CHECK_STR(aw_sid_format(1, buf, sizeof(buf)), "0000000000000001");
	CHECK_STR(aw_sid_format(1, small, sizeof(small)), "");
	CHECK_EQ(aw_sid_parse("c6251832bd2b33f2", &v, err, sizeof(err)), 0);
	CHECK(v == 0xc6251832bd2b33f2ull);
	CHECK_EQ(aw_sid_parse("C6251832BD2B33F2", &v, err, sizeof(err)), 0);
	CHECK(v == 0xc6251832bd2b33f2ull);
	CHECK_EQ(aw_sid_parse("ffffffffffffffff", &v, err, sizeof(err)), 0);
	CHECK(v == UINT64_MAX);
	v = 7;
	CHECK_EQ(aw_sid_parse("", &v, err, sizeof(err)), -1);
	CHECK_STR(err, "SID is empty");
	CHECK_EQ(aw_sid_parse(NULL, &v, err, sizeof(err)), -1);
	CHECK_EQ(aw_sid_parse("abc", &v, err, sizeof(err)), -1);
	CHECK_STR(err, "SID 'abc' has 3 hex digits, 16 required");
	CHECK_EQ(aw_sid_parse("c6251832bd2b33f20", &v, err, sizeof(err)), -1);
	CHECK_STR(err, "SID 'c6251832bd2b33f20' has 17 hex digits, 16 required");
	CHECK_EQ(aw_sid_parse("c62518g2bd2b33f2", &v, err, sizeof(err)), -1);
	CHECK_STR(err, "SID 'c62518g' has a non-hex character 'g' at offset 6");
	CHECK_EQ(aw_sid_parse("0xc6251832bd2b33", &v, err, sizeof(err)), -1);
	CHECK_EQ(aw_sid_parse(" c6251832bd2b33f", &v, err, sizeof(err)), -1);
	CHECK_EQ(aw_sid_parse("c6251832bd2b33f2\n", &v, err, sizeof(err)), -1);
	CHECK_STR(err, "SID has a non-hex byte 0x0a at offset 16");
	CHECK_EQ(v, 7); /* untouched on error */
	/* Round trip. */
	for (uint64_t x = 1; x != 0; x *= 3) {
		uint64_t y = 0;

		aw_sid_format(x, buf, sizeof(buf));
		CHECK_EQ(aw_sid_parse(buf, &y, NULL, 0), 0);
		CHECK(x == y);
		if (x > UINT64_MAX / 3)
			break;
	}
}

AW_TEST_MAIN(AW_TEST(test_sid_known_answers), AW_TEST(test_uri_check),
             AW_TEST(test_sid_format_parse))
