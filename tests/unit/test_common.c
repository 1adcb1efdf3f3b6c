/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/common: address/prefix/MAC parsing, checksums, line framing. */
#include "aw_test.h"

#include <unistd.h>

#include "aw_cksum.h"
#include "aw_inet.h"
#include "aw_line.h"

static void
test_addr_parse(void)
{
	struct aw_addr a;
	char err[128], buf[AW_ADDR_STRLEN];

	CHECK_EQ(aw_addr_parse("10.1.0.1", &a, err, sizeof(err)), 0);
	CHECK_EQ(a.family, AW_AF_INET4);
	CHECK_STR(aw_addr_format(&a, buf, sizeof(buf)), "10.1.0.1");
	CHECK_EQ(aw_addr_parse("2001:db8::1", &a, err, sizeof(err)), 0);
	CHECK_EQ(a.family, AW_AF_INET6);
	CHECK_STR(aw_addr_format(&a, buf, sizeof(buf)), "2001:db8::1");
	CHECK_EQ(aw_addr_parse("10.1.0", &a, err, sizeof(err)), -1);
	CHECK(strstr(err, "not an IPv4 address") != NULL);
	CHECK_EQ(aw_addr_parse("10.1.0.1 ", &a, err, sizeof(err)), -1);
	CHECK_EQ(aw_addr_parse("2001:db8:::1", &a, err, sizeof(err)), -1);
	CHECK(strstr(err, "not an IPv6 address") != NULL);
	CHECK_EQ(aw_addr_parse("", &a, err, sizeof(err)), -1);
}

static void
test_prefix_parse(void)
{
	struct aw_prefix p;
	struct aw_addr a;
	char err[128], buf[AW_ADDR_STRLEN];

	CHECK_EQ(aw_prefix_parse("10.1.0.1/24", true, &p, err, sizeof(err)), 0);
	CHECK_EQ(p.len, 24);
	CHECK_STR(aw_prefix_format(&p, buf, sizeof(buf)), "10.1.0.1/24");
	aw_addr_parse("10.1.0.200", &a, NULL, 0);
	CHECK(aw_prefix_contains(&p, &a));
	aw_addr_parse("10.1.1.1", &a, NULL, 0);
	CHECK(!aw_prefix_contains(&p, &a));
	aw_prefix_mask(&p);
	CHECK_STR(aw_prefix_format(&p, buf, sizeof(buf)), "10.1.0.0/24");

	CHECK_EQ(aw_prefix_parse("10.1.0.1/33", true, &p, err, sizeof(err)), -1);
	CHECK(strstr(err, "prefix length 33 exceeds 32") != NULL);
	CHECK_EQ(aw_prefix_parse("2001:db8::/129", true, &p, err, sizeof(err)), -1);
	CHECK(strstr(err, "exceeds 128") != NULL);
	CHECK_EQ(aw_prefix_parse("10.1.0.1", true, &p, err, sizeof(err)), -1);
	CHECK(strstr(err, "lacks a prefix length") != NULL);
	CHECK_EQ(aw_prefix_parse("10.1.0.1", false, &p, err, sizeof(err)), 0);
	CHECK_EQ(p.len, 32);
	CHECK_EQ(aw_prefix_parse("10.1.0.1/2x", true, &p, err, sizeof(err)), -1);
	CHECK_EQ(aw_prefix_parse("10.1.0.1/", true, &p, err, sizeof(err)), -1);
	CHECK_EQ(aw_prefix_parse("/24", true, &p, err, sizeof(err)), -1);

	CHECK_EQ(aw_prefix_parse("2001:db8:1::1/64", true, &p, err, sizeof(err)), 0);
	aw_addr_parse("2001:db8:1::ffff", &a, NULL, 0);
	CHECK(aw_prefix_contains(&p, &a));
	aw_addr_parse("2001:db8:2::1", &a, NULL, 0);
	CHECK(!aw_prefix_contains(&p, &a));
	aw_addr_parse("10.0.0.1", &a, NULL, 0);
	CHECK(!aw_prefix_contains(&p, &a));
	CHECK_EQ(aw_prefix_parse("::/0", true, &p, err, sizeof(err)), 0);
	aw_addr_parse("2001:db8:2::1", &a, NULL, 0);
	CHECK(aw_prefix_contains(&p, &a));
}

static void
test_network_parse(void)
{
	struct aw_prefix p;
	char err[128], buf[AW_ADDR_STRLEN];

	CHECK_EQ(aw_network_parse("10.9.0.0/16", &p, err, sizeof(err)), 0);
	CHECK_STR(aw_prefix_format(&p, buf, sizeof(buf)), "10.9.0.0/16");
	CHECK_EQ(aw_network_parse("10.9.0.1/16", &p, err, sizeof(err)), -1);
	CHECK_STR(err, "'10.9.0.1/16' has host bits set; did you mean 10.9.0.0/16?");
	CHECK_EQ(aw_network_parse("10.9.0.1/32", &p, err, sizeof(err)), 0);
	CHECK_EQ(aw_network_parse("10.9.0.128/25", &p, err, sizeof(err)), 0);
	CHECK_EQ(aw_network_parse("10.9.0.129/25", &p, err, sizeof(err)), -1);
	CHECK(strstr(err, "did you mean 10.9.0.128/25?") != NULL);
	CHECK_EQ(aw_network_parse("0.0.0.0/0", &p, err, sizeof(err)), 0);
	CHECK_EQ(aw_network_parse("1.0.0.0/0", &p, err, sizeof(err)), -1);
	CHECK(strstr(err, "did you mean 0.0.0.0/0?") != NULL);
	CHECK_EQ(aw_network_parse("2001:db8:5::/64", &p, err, sizeof(err)), 0);
	CHECK_EQ(aw_network_parse("2001:db8:5::1/64", &p, err, sizeof(err)), -1);
	CHECK_STR(err, "'2001:db8:5::1/64' has host bits set; did you mean 2001:db8:5::/64?");
	CHECK_EQ(aw_network_parse("10.9.0.0", &p, err, sizeof(err)), -1);
	CHECK(strstr(err, "lacks a prefix length") != NULL);
	CHECK_EQ(aw_network_parse("10.9.0.0/33", &p, err, sizeof(err)), -1);
	CHECK(strstr(err, "exceeds 32") != NULL);
}

static void
test_mac_parse(void)
{
	struct aw_mac m;
	char err[128], buf[AW_MAC_STRLEN];

	CHECK_EQ(aw_mac_parse("02:00:00:00:00:Fe", &m, err, sizeof(err)), 0);
	CHECK_STR(aw_mac_format(&m, buf, sizeof(buf)), "02:00:00:00:00:fe");
	CHECK_EQ(aw_mac_parse("02:00:00:00:00", &m, err, sizeof(err)), -1);
	CHECK(strstr(err, "not a MAC address") != NULL);
	CHECK_EQ(aw_mac_parse("02-00-00-00-00-01", &m, err, sizeof(err)), -1);
	CHECK_EQ(aw_mac_parse("02:00:00:00:00:0g", &m, err, sizeof(err)), -1);
}

static void
test_cksum(void)
{
	/* RFC 1071 example bytes. */
	const uint8_t d[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	/* RFC 1071: sum of 0001 f203 f4f5 f6f7 is 2ddf0 -> folded ddf2 (byte-swapped on little-endian hosts). */
	uint16_t folded = aw_csum_fold(aw_csum_partial(d, sizeof(d), 0));
	CHECK(folded == 0xddf2 || folded == 0xf2dd);
	/* Incremental update equals recomputation. */
	uint8_t hdr[20] = {0x45, 0, 0, 0x54, 0x12, 0x34, 0x40, 0, 0x40, 0x01, 0, 0,
			   10, 1, 0, 2, 10, 1, 0, 1};
	uint16_t c = aw_csum(hdr, sizeof(hdr));
	memcpy(hdr + 10, &c, 2);
	CHECK_EQ(aw_csum(hdr, sizeof(hdr)), 0);
	uint16_t old_ttl;
	memcpy(&old_ttl, hdr + 8, 2);
	hdr[8] = 0x3f;
	uint16_t new_ttl;
	memcpy(&new_ttl, hdr + 8, 2);
	c = aw_csum_update16(c, old_ttl, new_ttl);
	memcpy(hdr + 10, &c, 2);
	CHECK_EQ(aw_csum(hdr, sizeof(hdr)), 0);
	uint8_t newaddr[4] = {192, 0, 2, 77};
	c = aw_csum_update(c, hdr + 12, newaddr, 4);
	memcpy(hdr + 12, newaddr, 4);
	memcpy(hdr + 10, &c, 2);
	CHECK_EQ(aw_csum(hdr, sizeof(hdr)), 0);
}

/* The 32-bit word primitive (aw_csum32_add / _delta, aw_csum_fold64,
 * aw_csum_apply64) against the 16-bit reference, on random data. */
static void
test_cksum32(void)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	uint8_t buf[1 + 64 * 4], neu[64 * 4];

	for (int round = 0; round < 2000; round++) {
		unsigned n = 1 + (unsigned)(aw_test_rnd(&seed) % 64);
		uint8_t *p = buf + (round & 1); /* odd addresses too */
		aw_test_rnd_fill(&seed, p, 4 * n);
		if (round % 50 == 0)
			memset(p, 0xff, 4 * n); /* largest words: carries on every add */
		uint64_t start = round % 3 == 0 ? 0 : aw_test_rnd(&seed) >> 40;
		uint16_t ref = aw_csum_fold(aw_csum_partial(p, 4 * n, 0) +
					    aw_csum_fold64(start));
		CHECK_EQ(aw_csum_fold64(aw_csum32_add(start, p, n)), ref);
		/* A checksum over p, then some words changed: the applied delta
		 * gives the same field value as recomputing (both never -0 here
		 * unless the data is all zero). */
		uint16_t ck = aw_csum(p, 4 * n);
		memcpy(neu, p, 4 * n);
		unsigned k = (unsigned)(aw_test_rnd(&seed) % n), m = 1 + (unsigned)(aw_test_rnd(&seed) % (n - k));
		aw_test_rnd_fill(&seed, neu + 4 * k, 4 * m);
		uint8_t field[2];
		memcpy(field, &ck, 2);
		aw_csum_apply64(field, aw_csum32_delta(0, p + 4 * k, neu + 4 * k, m));
		uint16_t got, want = aw_csum(neu, 4 * n);
		memcpy(&got, field, 2);
		CHECK(got == want || (uint16_t)(got ^ want) == 0xffff);
		/* The packet with the updated field sums to 0xffff. */
		uint64_t all = aw_csum32_add(0, neu, n) + got;
		CHECK_EQ(aw_csum_fold64(all), 0xffff);
	}
	/* An IPv4 header built with the primitive is valid for the reference. */
	uint8_t hdr[20] = {0x45, 0, 0, 0x54, 0x12, 0x34, 0x40, 0, 0x40, 0x11, 0, 0,
			   10, 1, 0, 2, 10, 1, 0, 1};
	uint16_t c = (uint16_t)~aw_csum_fold64(aw_csum32_add(0, hdr, 5));
	memcpy(hdr + 10, &c, 2);
	CHECK_EQ(aw_csum(hdr, sizeof(hdr)), 0);
}

static void
test_linebuf(void)
{
	struct aw_linebuf lb;
	char *line;
	size_t len;

	CHECK_EQ(aw_linebuf_init(&lb, 16), 0);
	CHECK_EQ(aw_linebuf_feed(&lb, "{\"op\":1}\n{\"o", 12), AW_LINE_OK);
	CHECK_EQ(aw_linebuf_next(&lb, &line, &len), AW_LINE_OK);
	CHECK_STR(line, "{\"op\":1}");
	CHECK_EQ(aw_linebuf_next(&lb, &line, &len), AW_LINE_NONE);
	CHECK_EQ(aw_linebuf_feed(&lb, "p\":2}\r\n", 7), AW_LINE_OK);
	CHECK_EQ(aw_linebuf_next(&lb, &line, &len), AW_LINE_OK);
	CHECK_STR(line, "{\"op\":2}");
	CHECK_EQ(len, 8);
	/* Exactly the limit passes; one more byte is too long. */
	CHECK_EQ(aw_linebuf_feed(&lb, "0123456789abcdef\n", 17), AW_LINE_OK);
	CHECK_EQ(aw_linebuf_next(&lb, &line, &len), AW_LINE_OK);
	CHECK_EQ(len, 16);
	CHECK_EQ(aw_linebuf_feed(&lb, "0123456789abcdefg", 17), AW_LINE_TOO_LONG);
	aw_linebuf_free(&lb);

	/* Through a pipe with read(). */
	int fds[2];
	CHECK_EQ(pipe(fds), 0);
	CHECK_EQ(aw_write_line(fds[1], "hello", 5), 0);
	close(fds[1]);
	aw_linebuf_init(&lb, 0);
	CHECK_EQ(aw_linebuf_read(&lb, fds[0]), AW_LINE_OK);
	CHECK_EQ(aw_linebuf_next(&lb, &line, &len), AW_LINE_OK);
	CHECK_STR(line, "hello");
	CHECK_EQ(aw_linebuf_read(&lb, fds[0]), AW_LINE_EOF);
	close(fds[0]);
	aw_linebuf_free(&lb);
}

/* A buffer grown by a long line shrinks back once little is pending. */
static void
test_linebuf_trim(void)
{
	static char big[200000];
	struct aw_linebuf lb;
	char *line;
	size_t len;

	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	CHECK_EQ(aw_linebuf_init(&lb, 0), 0);
	CHECK_EQ(aw_linebuf_feed(&lb, big, sizeof(big)), AW_LINE_OK);
	CHECK_EQ(aw_linebuf_feed(&lb, "{\"a\"", 4), AW_LINE_OK); /* a partial line after it */
	aw_linebuf_trim(&lb, 4096);
	CHECK(lb.cap > 4096); /* the long line is still pending */
	CHECK_EQ(aw_linebuf_next(&lb, &line, &len), AW_LINE_OK);
	CHECK_EQ(len, sizeof(big) - 1);
	aw_linebuf_trim(&lb, 4096);
	CHECK_EQ(lb.cap, 4096);
	CHECK_EQ(aw_linebuf_pending(&lb), 4);
	CHECK_EQ(aw_linebuf_feed(&lb, "}\n", 2), AW_LINE_OK); /* the partial line survived */
	CHECK_EQ(aw_linebuf_next(&lb, &line, &len), AW_LINE_OK);
	CHECK_STR(line, "{\"a\"}");
	aw_linebuf_free(&lb);
}

AW_TEST_MAIN(AW_TEST(test_addr_parse), AW_TEST(test_prefix_parse), AW_TEST(test_network_parse), AW_TEST(test_mac_parse),
	     AW_TEST(test_cksum), AW_TEST(test_cksum32), AW_TEST(test_linebuf),
	     AW_TEST(test_linebuf_trim))
