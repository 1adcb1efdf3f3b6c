/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test of anyway-bench's traffic module: templates load and are
 * validated, the generator stamps flows with growing sequence numbers and
 * per-flow ports, and the sink counts reordering and corruption exactly
 * (so that "out-of-order 0" in a smoke run means something). The gateway
 * scenarios' capsules (ab_gw): the generator's seal and the sink's open agree,
 * and a strict sink counts what the gateway should have sealed or opened and
 * did not (or a capsule that does not verify) as corrupted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "ab_gw.h"
#include "ab_tmpl.h"
#include "ab_traffic.h"
#include "aw_test.h"
#include "aw_eal_test.h"
#include "aw_trs_crypto.h"

/* Ether / IPv4 10.1.0.2 -> 10.2.0.2 / UDP 5000 -> 6000, no payload. */
static const uint8_t frame[42] = {
	2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0xaa, 8, 0,
	0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 10, 1, 0, 2, 10, 2, 0, 2,
	0x13, 0x88, 0x17, 0x70, 0, 8, 0, 0};

static void
write_pcap(const char *path, const void *data, size_t len, int garbage)
{
	FILE *f = fopen(path, "wb");
	uint32_t g[6] = {0xa1b2c3d4u, 0x00040002u, 0, 0, 65535, 1};
	uint32_t r[4] = {0, 0, (uint32_t)len, (uint32_t)len};

	if (garbage)
		g[0] = 0x12345678u;
	fwrite(g, sizeof(g), 1, f);
	fwrite(r, sizeof(r), 1, f);
	fwrite(data, 1, len, f);
	fclose(f);
}

static struct rte_mempool *pool;

static void
gen(struct ab_gen *g, struct rte_mbuf **m, unsigned n)
{
	CHECK(rte_pktmbuf_alloc_bulk(pool, m, n) == 0);
	ab_gen_fill(g, m, n);
}

static void
test_template_errors(const char *path)
{
	struct ab_tmpl t;
	char err[256];

	write_pcap(path, frame, sizeof(frame), 1);
	CHECK(ab_tmpl_load(&t, path, 64, AB_STAMP_LEN, 0, err, sizeof(err)) < 0);
	CHECK(strstr(err, "not a pcap file") != NULL);
	write_pcap(path, frame, sizeof(frame), 0);
	CHECK(ab_tmpl_load(&t, path, 61, AB_STAMP_LEN, 0, err, sizeof(err)) < 0);
	CHECK(strstr(err, "--pkt-size: 61 too small") != NULL);
	CHECK(ab_tmpl_load(&t, "/nonexistent/x.pcap", 64, AB_STAMP_LEN, 0, err, sizeof(err)) < 0);
	CHECK(strstr(err, "cannot open") != NULL);
}

static void
test_generated(const struct ab_tmpl *t)
{
	struct ab_gen g;
	struct rte_mbuf *m[4];

	CHECK(ab_gen_init(&g, t, 2, false, 1) == 0);
	gen(&g, m, 2);
	CHECK(m[0] != NULL);
	for (int i = 0; i < 2; i++) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m[i], void *, 14);
		struct rte_udp_hdr *u = rte_pktmbuf_mtod_offset(m[i], void *, 34);
		CHECK(rte_pktmbuf_pkt_len(m[i]) == 100);
		CHECK(rte_be_to_cpu_16(ip->total_length) == 86);
		CHECK(rte_ipv4_cksum(ip) == 0 || rte_raw_cksum(ip, 20) == 0xffff);
		CHECK(rte_be_to_cpu_16(u->dgram_len) == 66);
		CHECK(rte_be_to_cpu_16(u->src_port) == 1024 + (5000 + i) % 64512);
	}
	rte_pktmbuf_free_bulk(m, 2);
	ab_gen_free(&g);
}

static void
test_sink_counts(const struct ab_tmpl *t)
{
	struct ab_gen g;
	struct ab_sink s;
	struct rte_mbuf *m[8], *r[8];

	CHECK(ab_gen_init(&g, t, 2, false, 1) == 0);
	CHECK(ab_sink_init(&s, 2, 100) == 0);
	gen(&g, m, 4);                 /* f0 s0, f1 s0, f0 s1, f1 s1: in order */
	ab_sink_take(&s, m, 4);
	CHECK(s.rx == 4 && s.out_of_order == 0 && s.corrupted == 0);
	gen(&g, m, 4);                 /* f0 s2, f1 s2, f0 s3, f1 s3, reversed */
	for (int i = 0; i < 4; i++)
		r[i] = m[3 - i];
	ab_sink_take(&s, r, 4);        /* f1 s3, f0 s3 fine; f1 s2, f0 s2 late */
	CHECK(s.out_of_order == 2);
	gen(&g, m, 4);                 /* a gap is a loss, not a reordering */
	rte_pktmbuf_free(m[0]);
	ab_sink_take(&s, m + 1, 3);
	CHECK(s.out_of_order == 2 && s.corrupted == 0);
	gen(&g, m, 3);                 /* stamp byte flipped; frame cut; duplicate */
	*rte_pktmbuf_mtod_offset(m[0], uint8_t *, 100 - 5) ^= 1;
	rte_pktmbuf_trim(m[1], 1);
	r[0] = m[0];
	r[1] = m[1];
	ab_sink_take(&s, r, 2);
	CHECK(s.corrupted == 2);
	m[3] = rte_pktmbuf_copy(m[2], pool, 0, UINT32_MAX);
	CHECK(m[3] != NULL);
	ab_sink_take(&s, m + 2, 2);
	CHECK(s.out_of_order == 3 && s.rx == 15);
	ab_sink_free(&s);
	ab_gen_free(&g);
}

static char path[64];
static struct ab_tmpl tmpl;

/* Ether / IPv4 10.1.0.2 -> 10.1.0.1 / UDP 5000 -> 7813 / TRS header: a CAPSULE
 * (type 0x60) of PathID a5a5a5a5 0..0. */
static void
write_outer(const char *opath)
{
	uint8_t o[74] = {
		2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0xaa, 8, 0,
		0x45, 0, 0, 60, 0, 1, 0, 0, 64, 17, 0, 0, 10, 1, 0, 2, 10, 1, 0, 1,
		0x13, 0x88, 0x1e, 0x85, 0, 40, 0, 0};
	uint8_t *h = o + 42;

	h[0] = 0, h[3] = 1;            /* txid 1 */
	h[4] = 1;                      /* version */
	h[6] = 0x60;                   /* CAPSULE */
	h[11] = 1;                     /* seq 1 */
	h[13] = 48;                    /* msg_len */
	memset(h + 16, 0xa5, 4);
	write_pcap(opath, o, sizeof(o), 0);
}

static void
gw_round_trip(const char *opath, unsigned suite)
{
	struct ab_gw in, out;
	struct ab_raw setup_in, setup_out;
	struct ab_gen g, plain;
	struct ab_sink strict_in, loose, strict_out;
	struct rte_mbuf *m[4];
	char err[256];

	CHECK(ab_gw_init(&in, true, &tmpl, opath, 4, suite, &setup_in, err, sizeof(err)) == 0);
	CHECK(ab_gw_init(&out, false, &tmpl, opath, 4, suite, &setup_out, err, sizeof(err)) == 0);
	CHECK(setup_in.n == 4 && setup_in.len[0] == 42 + aw_trs_sealed_len(suite, 28));
	CHECK(ab_gen_init(&g, &tmpl, 4, false, 1) == 0 && ab_gen_init(&plain, &tmpl, 4, false, 1) == 0);
	CHECK(ab_sink_init(&strict_in, 4, 100) == 0 && ab_sink_init(&loose, 4, 100) == 0 &&
	      ab_sink_init(&strict_out, 4, 100) == 0);
	g.gw = &in;
	strict_in.gw = loose.gw = &in;
	strict_in.gw_strict = true;
	strict_out.gw = &out;
	strict_out.gw_strict = true;
	gen(&g, m, 4);                 /* capsules, not the 100-byte inner frames */
	CHECK(g.sign_failed == 0 && rte_pktmbuf_pkt_len(m[0]) == 42 + aw_trs_sealed_len(suite, 86));
	ab_sink_take(&strict_in, m, 4); /* gateway-in: a capsule back means not opened */
	CHECK(strict_in.rx == 4 && strict_in.corrupted == 4);
	gen(&g, m, 4);
	ab_sink_take(&loose, m, 4);    /* testpmd: the sink opens them itself */
	CHECK(loose.rx == 4 && loose.corrupted == 0 && loose.out_of_order == 0);
	gen(&g, m, 4);                 /* gateway-out sink: capsules opened, one tampered */
	*rte_pktmbuf_mtod_offset(m[1], uint8_t *, 80) ^= 1;
	ab_sink_take(&strict_out, m, 4);
	CHECK(strict_out.rx == 4 && strict_out.corrupted == 1);
	gen(&plain, m, 4);             /* gateway-out: a plain frame was never sealed */
	ab_sink_take(&strict_out, m, 4);
	CHECK(strict_out.corrupted == 5);
	ab_sink_free(&strict_in);
	ab_sink_free(&loose);
	ab_sink_free(&strict_out);
	ab_gen_free(&g);
	ab_gen_free(&plain);
	ab_raw_free(&setup_in);
	ab_raw_free(&setup_out);
	ab_gw_free(&in);
	ab_gw_free(&out);
}

static void
test_gateway(void)
{
	char opath[80], err[256];
	struct ab_gw w;
	struct ab_raw setup;

	snprintf(opath, sizeof(opath), "%s.outer", path);
	write_outer(opath);
	gw_round_trip(opath, 1);
	gw_round_trip(opath, 2);
	CHECK(ab_gw_init(&w, true, &tmpl, opath, 65537, 1, &setup, err, sizeof(err)) < 0);
	CHECK(strstr(err, "--flows: 65537: a gateway scenario binds one gateway path") != NULL);
	CHECK(ab_gw_init(&w, true, &tmpl, "/nonexistent/x.outer.pcap", 4, 1, &setup, err,
			 sizeof(err)) < 0);
	CHECK(strstr(err, "missing; bench/templates.py writes it") != NULL);
	unlink(opath);
}

static void
test_template(void)
{
	char err[256];

	test_template_errors(path);
	CHECK(ab_tmpl_load(&tmpl, path, 100, AB_STAMP_LEN, 0, err, sizeof(err)) == 0);
	CHECK(tmpl.n == 1 && tmpl.f[0].sport == 5000 && tmpl.f[0].dport == 6000);
}

static void
test_generator(void)
{
	test_generated(&tmpl);
}

static void
test_sink(void)
{
	test_sink_counts(&tmpl);
}

int
main(void)
{
	int rc;

	aw_test_eal_init();
	pool = rte_pktmbuf_pool_create("t", 1023, 0, 0, 2048 + 128, 0);
	CHECK(pool != NULL);
	snprintf(path, sizeof(path), "/tmp/ab_test_%d.pcap", (int)getpid());
	static const struct aw_test_case cases[] = {
		AW_TEST(test_template), AW_TEST(test_generator), AW_TEST(test_sink),
		AW_TEST(test_gateway),
	};
	rc = aw_test_run(cases, sizeof(cases) / sizeof(cases[0]));
	unlink(path);
	return rc;
}
