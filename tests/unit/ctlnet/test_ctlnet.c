/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/ctlnet: the string map against a reference, HOST:PORT
 * parsing (good and malformed), the backoff bounds, the bounded line queue. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aw_conn.h"
#include "aw_jw.h"
#include "aw_loop.h"
#include "aw_net.h"
#include "aw_strmap.h"
#include "aw_test.h"

#define NKEYS 4096

static void
test_strmap_against_reference(void)
{
	static char present[NKEYS];
	struct aw_strmap m;
	char key[32];
	uint32_t x = 12345;

	aw_strmap_init(&m);
	CHECK(aw_strmap_get(&m, "nothing") == NULL);
	CHECK(aw_strmap_del(&m, "nothing") == NULL);
	for (int step = 0; step < 200000; step++) {
		x = x * 1103515245u + 12345u;
		int k = (int)((x >> 8) % NKEYS);
		snprintf(key, sizeof(key), "asrs://svc/%d", k);
		if ((x >> 4) % 3 != 0) {
			void *old = aw_strmap_put(&m, key, (void *)(intptr_t)(k + 1));
			CHECK(old == (present[k] ? (void *)(intptr_t)(k + 1) : NULL));
			present[k] = 1;
		} else {
			void *old = aw_strmap_del(&m, key);
			CHECK(old == (present[k] ? (void *)(intptr_t)(k + 1) : NULL));
			present[k] = 0;
		}
	}
	size_t n = 0;
	for (int k = 0; k < NKEYS; k++) {
		snprintf(key, sizeof(key), "asrs://svc/%d", k);
		CHECK(aw_strmap_get(&m, key) == (present[k] ? (void *)(intptr_t)(k + 1) : NULL));
		n += present[k];
	}
	CHECK_EQ(m.n, n);
	size_t seen = 0;
	for (size_t i = 0; i < m.cap; i++)
		seen += m.slots[i].key != NULL;
	CHECK_EQ(seen, n);
	aw_strmap_free(&m);
	CHECK_EQ(m.n, 0);
}

static void
test_hostport(void)
{
	struct aw_sockaddr a;
	char err[160], buf[80];

	CHECK_EQ(aw_hostport_parse("127.0.0.1:7810", 0, &a, err, sizeof(err)), 0);
	CHECK_STR(aw_sockaddr_format(&a, buf, sizeof(buf)), "127.0.0.1:7810");
	CHECK_EQ(aw_hostport_parse("[2001:db8::1]:99", 0, &a, err, sizeof(err)), 0);
	CHECK_STR(aw_sockaddr_format(&a, buf, sizeof(buf)), "[2001:db8::1]:99");
	CHECK_EQ(aw_hostport_parse("10.0.0.1", 7810, &a, err, sizeof(err)), 0);
	CHECK_STR(aw_sockaddr_format(&a, buf, sizeof(buf)), "10.0.0.1:7810");
	CHECK_EQ(aw_hostport_parse("10.0.0.1", 0, &a, err, sizeof(err)), -1);
	CHECK(strstr(err, "expected HOST:PORT") != NULL);
	CHECK_EQ(aw_hostport_parse("10.0.0.1:65536", 0, &a, err, sizeof(err)), -1);
	CHECK(strstr(err, "port: expected 1..65535") != NULL);
	CHECK_EQ(aw_hostport_parse("10.0.0.1:-1", 0, &a, err, sizeof(err)), -1);
	CHECK_EQ(aw_hostport_parse("10.0.0.1:80x", 0, &a, err, sizeof(err)), -1);
	CHECK_EQ(aw_hostport_parse("2001:db8::1:80", 0, &a, err, sizeof(err)), -1);
	CHECK(strstr(err, "[ADDR]:PORT") != NULL);
	CHECK_EQ(aw_hostport_parse("[::1", 0, &a, err, sizeof(err)), -1);
	CHECK_EQ(aw_hostport_parse("[localhost]:80", 0, &a, err, sizeof(err)), -1);
	CHECK(strstr(err, "not an IPv6 address") != NULL);
	CHECK_EQ(aw_hostport_parse(":80", 0, &a, err, sizeof(err)), -1);
	CHECK(strstr(err, "expected HOST:PORT") != NULL);
	/* Legacy inet_aton forms are not names and not dotted quads. */
	CHECK_EQ(aw_hostport_parse("1.2.3:80", 0, &a, err, sizeof(err)), -1);
	CHECK(strstr(err, "not a numeric IPv4 address") != NULL);
	CHECK_EQ(aw_hostport_parse("0x7f.1:80", 0, &a, err, sizeof(err)), -1);
	CHECK(strstr(err, "not a numeric IPv4 address") != NULL);
	CHECK_EQ(aw_hostport_parse("2130706433:80", 0, &a, err, sizeof(err)), -1);
	/* Names resolve (to the first IPv4 address when there is one). */
	CHECK_EQ(aw_hostport_parse("localhost:7810", 0, &a, err, sizeof(err)), 0);
	CHECK_STR(aw_sockaddr_format(&a, buf, sizeof(buf)), "127.0.0.1:7810");
	CHECK_EQ(aw_hostport_parse("localhost", 7811, &a, err, sizeof(err)), 0);
	CHECK_STR(aw_sockaddr_format(&a, buf, sizeof(buf)), "127.0.0.1:7811");
	CHECK_EQ(aw_hostport_parse("[::1]:7810", 0, &a, err, sizeof(err)), 0);
	CHECK_STR(aw_sockaddr_format(&a, buf, sizeof(buf)), "[::1]:7810");
	/* .invalid never resolves (RFC 6761). */
	CHECK_EQ(aw_hostport_parse("no-such-host.invalid:80", 0, &a, err, sizeof(err)), -1);
	CHECK(strstr(err, "cannot resolve 'no-such-host.invalid'") != NULL);
}

static void
test_backoff(void)
{
	struct aw_backoff b;
	uint32_t last = 0;

	aw_backoff_init(&b, 100, 5000);
	for (int i = 0; i < 20; i++) {
		last = aw_backoff_next(&b);
		CHECK(last >= 75 && last <= 5000);
	}
	CHECK(last >= 3750);
	aw_backoff_reset(&b);
	CHECK(aw_backoff_next(&b) <= 100);
}

/* A peer that never reads: the queue refuses lines past out_max (ENOBUFS)
 * and keeps what it had. */
static void
test_bounded_queue(void)
{
	struct aw_loop loop;
	struct aw_conn c;
	int sv[2];
	char line[1000];
	int rc = 0, sent = 0;

	memset(line, 'x', sizeof(line));
	CHECK_EQ(aw_loop_init(&loop), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	CHECK_EQ(aw_conn_open(&c, &loop, sv[0], false, 64 * 1024, NULL, NULL), 0);
	for (int i = 0; i < 100000 && rc == 0; i++)
		if ((rc = aw_conn_send(&c, line, sizeof(line))) == 0)
			sent++;
	CHECK_EQ(rc, -1);
	CHECK_EQ(errno, ENOBUFS);
	CHECK(aw_conn_queued(&c) <= 64 * 1024);
	CHECK(sent > 64); /* the kernel took some, the queue the rest */
	aw_conn_free(&c);
	close(sv[0]);
	close(sv[1]);
	aw_loop_fini(&loop);
}

static void
test_json_writer(void)
{
	struct aw_jw w;

	aw_jw_init(&w);
	aw_jw_lit(&w, "{\"s\":");
	aw_jw_str(&w, "a\"b\\c\n\x01");
	aw_jw_lit(&w, ",\"n\":[");
	aw_jw_u64(&w, 0);
	aw_jw_lit(&w, ",");
	aw_jw_u64(&w, 18446744073709551615ull);
	aw_jw_lit(&w, "]}");
	CHECK(!w.oom);
	CHECK_STR(w.buf, "{\"s\":\"a\\\"b\\\\c\\u000a\\u0001\",\"n\":[0,18446744073709551615]}");
	aw_jw_reset(&w);
	CHECK_EQ(w.len, 0);
	aw_jw_str(&w, "");
	CHECK_STR(w.buf, "\"\"");
	aw_jw_free(&w);
}

AW_TEST_MAIN({"json_writer", test_json_writer}, {"strmap", test_strmap_against_reference}, {"hostport", test_hostport},
	     {"backoff", test_backoff}, {"bounded_queue", test_bounded_queue})
