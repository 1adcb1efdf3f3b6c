/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_cost — an in-process driver of the overlay gateway's packet path, for
 * cycles per packet (TSC, printed with Gbit/s of inner bytes) and, under
 * callgrind (tests/perf/gw_cost.sh), instructions per packet. A real data
 * plane instance on net_null ports gets N gateway paths (all of one suite),
 * each bound by one capsule from 10.1.0.2:40000 (port 0) first.
 *   in:  capsules from the nodes whose inner UDP packet (SIZE bytes of IP)
 *        goes to the host 10.2.0.2 (routed: verify + decrypt + re-inject +
 *        routing; no ASRS);
 *   out: UDP packets of SIZE bytes from the host to the nodes' addresses,
 *        sealed into capsules to the bound addresses.
 * Bursts of 32 on random paths go through aw_process_burst, the only
 * function measured (gw_cost_measured); building and sealing the input
 * (the node's side, OpenSSL) and TX stay outside.
 *
 * Usage: gw_cost in|out SUITE PATHS BURSTS SIZE. Single thread; not a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include "aw_dp_init.h"
#include "aw_gw_priv.h"
#include "aw_output.h"
#include "aw_pkt.h"
#include "aw_slowpath.h"
#include "aw_trs_crypto.h"

#define BURST 32

static struct aw_dp dp;
static struct aw_config cfg;
static struct aw_lcore_ctx *ctx;
static struct aw_trs_engine *eng;
static struct aw_trs_key *keys;
static struct aw_gw_entry *ents;
static uint32_t *seqs;
static unsigned size_ip = 64;

static const char config_fmt[] =
	"{\"ports\":[{\"port\":0,\"mac\":\"02:00:00:00:00:01\",\"addrs\":[\"10.1.0.1/24\"]},"
	"{\"port\":1,\"mac\":\"02:00:00:00:00:02\",\"addrs\":[\"10.2.0.1/24\"]}],"
	"\"neighbors\":[{\"addr\":\"10.1.0.2\",\"mac\":\"02:00:00:00:00:aa\",\"port\":0},"
	"{\"addr\":\"10.2.0.2\",\"mac\":\"02:00:00:00:00:bb\",\"port\":1}],"
	"\"mbufs\":16383,\"gateway\":{\"max_paths\":%u,\"prefixes\":[\"10.200.0.0/16\"]}}";

static void
node_addr(unsigned i, uint8_t out[4])
{
	out[0] = 10, out[1] = 200, out[2] = (uint8_t)(i >> 8), out[3] = (uint8_t)i;
}

static void
setup(unsigned n, unsigned suite)
{
	char prefix[64], path[64], err[512];
	snprintf(prefix, sizeof(prefix), "--file-prefix=awgc%d", (int)getpid());
	snprintf(path, sizeof(path), "/tmp/awgc%d.json", (int)getpid());
	char *argv[] = {"gw_cost", "-l", "0", "--no-huge", "-m", "1024", "--no-pci", prefix,
			"--vdev=net_null0", "--vdev=net_null1", "--no-telemetry",
			"--log-level=error", NULL};
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0)
		exit(77);
	FILE *f = fopen(path, "w");
	fprintf(f, config_fmt, n);
	fclose(f);
	int rc = aw_config_load(path, &cfg, err, sizeof(err));
	unlink(path);
	if (rc < 0 || aw_dp_init(&dp, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "gw_cost setup: %s\n", err);
		exit(1);
	}
	ctx = dp.ctx_list[0];
	eng = aw_trs_engine_create(AW_TRS_IMPL_OPENSSL);
	keys = aligned_alloc(64, sizeof(*keys) * n);
	ents = calloc(n, sizeof(*ents));
	seqs = calloc(n, sizeof(*seqs));
	for (unsigned i = 0; i < n; i++) {
		uint8_t a[4];
		ents[i].suite = (uint8_t)suite;
		ents[i].idle_timeout_s = 3600;
		memcpy(ents[i].path_id, &i, 4);
		ents[i].path_id[15] = 0x77;
		for (unsigned b = 0; b < 32; b++)
			ents[i].key[b] = (uint8_t)(i + b * 5);
		node_addr(i, a);
		aw_addr_set4(&ents[i].node, a);
		aw_trs_key_init(&keys[i], ents[i].key, suite);
	}
	struct aw_gw *g = dp.feat[AW_FEAT_GATEWAY];
	if (aw_gw_table_commit(g->t, ents, n, NULL, 0, "gateways", NULL, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "gw_cost: %s\n", err);
		exit(1);
	}
}

/* Ethernet + IPv4 + UDP from src:sport to dst:dport on port `port`, with
 * payload pl (n bytes); checksums left to the receiver's leniency (UDP 0). */
static struct rte_mbuf *
udp_frame(unsigned port, const uint8_t src[4], const uint8_t dst[4], uint16_t sport,
	  uint16_t dport, const uint8_t *pl, size_t n)
{
	static const uint8_t mac[2][12] = {{2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0xaa},
					   {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0xbb}};
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);
	if (m == NULL)
		abort();
	uint8_t *b = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(42 + n));
	uint8_t *ip = b + 14, *u = ip + 20;
	uint32_t s = 0;

	memcpy(b, mac[port], 12);
	b[12] = 0x08, b[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((28 + n) >> 8), ip[3] = (uint8_t)(28 + n);
	ip[8] = 64, ip[9] = 17;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	for (int i = 0; i < 20; i += 2)
		s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	ip[10] = (uint8_t)(~s >> 8), ip[11] = (uint8_t)~s;
	u[0] = (uint8_t)(sport >> 8), u[1] = (uint8_t)sport;
	u[2] = (uint8_t)(dport >> 8), u[3] = (uint8_t)dport;
	u[4] = (uint8_t)((8 + n) >> 8), u[5] = (uint8_t)(8 + n);
	u[6] = u[7] = 0;
	memcpy(u + 8, pl, n);
	aw_meta_rx(m, (uint8_t)port);
	return m;
}

/* A capsule from node i (10.1.0.2:40000 → 10.1.0.1:7813) holding a UDP
 * packet of size_ip bytes from the node's address to the host. */
static struct rte_mbuf *
capsule_frame(unsigned i)
{
	static const uint8_t outer_src[4] = {10, 1, 0, 2}, outer_dst[4] = {10, 1, 0, 1},
			     host[4] = {10, 2, 0, 2};
	uint8_t msg[1600] = {0}, iv[16] = {3}, node[4];
	struct aw_trs_hdr h = {.txid = i, .version = AW_TRS_VERSION, .type = AW_TRS_T_CAPSULE,
			       .seq = ++seqs[i]};
	size_t n = 0, off = aw_trs_pt_offset(ents[i].suite);

	memcpy(h.id, ents[i].path_id, 16);
	aw_trs_hdr_write(msg, &h);
	node_addr(i, node);
	struct rte_mbuf *in = udp_frame(0, node, host, 5000, 6000, msg + 200, size_ip - 28);
	memcpy(msg + off, rte_pktmbuf_mtod_offset(in, uint8_t *, 14), size_ip);
	rte_pktmbuf_free(in);
	aw_trs_seal(eng, &keys[i], msg, sizeof(msg), size_ip, iv, &n);
	return udp_frame(0, outer_src, outer_dst, 40000, 7813, msg, n);
}

static struct rte_mbuf *
reply_frame(unsigned i)
{
	static const uint8_t host[4] = {10, 2, 0, 2};
	static const uint8_t pl[1500];
	uint8_t node[4];

	node_addr(i, node);
	return udp_frame(1, host, node, 6000, 5000, pl, size_ip - 28);
}

__attribute__((noinline)) void gw_cost_measured(struct rte_mbuf **pkts, uint16_t n);
__attribute__((noinline)) void
gw_cost_measured(struct rte_mbuf **pkts, uint16_t n)
{
	aw_process_burst(ctx, pkts, n);
}

static uint64_t
run(struct rte_mbuf **pkts, uint16_t n, bool measured)
{
	uint64_t t0 = 0, t1 = 0;

	ctx->stats.rx += n;
	if (measured) {
		t0 = rte_rdtsc_precise();
		gw_cost_measured(pkts, n);
		t1 = rte_rdtsc_precise();
	} else {
		aw_process_burst(ctx, pkts, n);
	}
	aw_dispatch_burst(ctx, pkts, n);
	aw_slow_poll(ctx);
	aw_tx_flush_all(ctx);
	return t1 - t0;
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "in";
	unsigned suite = argc > 2 ? (unsigned)atoi(argv[2]) : 1;
	unsigned n = argc > 3 ? (unsigned)atoi(argv[3]) : 1024;
	unsigned bursts = argc > 4 ? (unsigned)atoi(argv[4]) : 1000;
	size_ip = argc > 5 ? (unsigned)atoi(argv[5]) : 64;
	struct rte_mbuf *pkts[BURST];
	uint64_t rnd = 0x853c49e6748fea9bull, cycles = 0;

	if (size_ip < 28 || size_ip > 1400 || (suite != 1 && suite != 2) || n < 1 || n > 65535) {
		fprintf(stderr, "usage: gw_cost in|out SUITE(1|2) PATHS(1..65535) BURSTS SIZE(28..1400)\n");
		return 2;
	}
	setup(n, suite);
	for (unsigned i = 0; i < n; i += BURST) { /* bind every path */
		uint16_t k = 0;
		for (unsigned j = i; j < i + BURST && j < n; j++)
			pkts[k++] = capsule_frame(j);
		run(pkts, k, false);
	}
	uint64_t tx0 = ctx->stats.tx, rx0 = ctx->stats.rx;
	for (unsigned b = 0; b < bursts; b++) {
		for (unsigned k = 0; k < BURST; k++) {
			rnd = rnd * 6364136223846793005ull + 1442695040888963407ull;
			unsigned i = (unsigned)(rnd >> 33) % n;
			pkts[k] = strcmp(mode, "out") == 0 ? reply_frame(i) : capsule_frame(i);
		}
		cycles += run(pkts, BURST, true);
	}
	uint64_t pk = ctx->stats.rx - rx0;
	double cpp = (double)cycles / (double)pk;
	printf("gw_cost %s suite %u: %u paths, %u-byte inner packets, %lu measured, %lu sent: "
	       "%.0f cycles/packet, %.2f Gbit/s of inner bytes at %.2f GHz TSC\n",
	       mode, suite, n, size_ip, pk, ctx->stats.tx - tx0, cpp,
	       (double)size_ip * 8 * (double)rte_get_tsc_hz() / cpp / 1e9, rte_get_tsc_hz() / 1e9);
	for (unsigned r = 0; r < AW_DROP__COUNT; r++)
		if (ctx->stats.drops[r] != 0)
			printf("  drop %s %lu\n", aw_drop_name(r), ctx->stats.drops[r]);
	return 0;
}
