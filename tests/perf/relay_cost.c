/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * relay_cost — an in-process driver for counting the instructions the relay
 * spends per packet (under callgrind: tests/perf/relay_cost.sh). A real data
 * plane instance on net_null ports gets N paths (half suite 1, half suite 2),
 * both sides of every path bound over IPv4 (side 0 from 10.1.0.2:40000, side
 * 1 from 10.1.0.2:40001, one static neighbour) and one capsule sent on each
 * (steady state: not the first packet of a path), then bursts of 32 frames of
 * one kind on random paths go through aw_process_burst, the only function
 * callgrind collects (--toggle-collect): building frames, sealing, dispatch
 * and TX stay outside. Prints the verdict counts so a run that measured drops
 * is seen.
 *
 * Usage: relay_cost MODE PATHS BURSTS, MODE one of capsule, ka1, ka2 (KEEP_ALIVE
 * verified and answered: verify + ACK sign), treq1, treq2 (TUNNEL_REQUEST
 * verified and forwarded). Single thread; not a test (no assertions).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "aw_dp_init.h"
#include "aw_output.h"
#include "aw_pkt.h"
#include "aw_relay_priv.h"
#include "aw_slowpath.h"
#include "aw_trs_crypto.h"

#define BURST 32

static struct aw_dp dp;
static struct aw_config cfg;
static struct aw_lcore_ctx *ctx;
static struct aw_trs_engine *eng;

struct pinfo {
	struct aw_relay_entry e;
	struct aw_trs_key k;
	uint32_t seq[2];
};
static struct pinfo *P;

static const char config_fmt[] =
	"{\"ports\":[{\"port\":0,\"mac\":\"02:00:00:00:00:01\",\"addrs\":[\"10.1.0.1/24\"]},"
	"{\"port\":1,\"mac\":\"02:00:00:00:00:02\",\"addrs\":[\"10.2.0.1/24\"]}],"
	"\"neighbors\":[{\"addr\":\"10.1.0.2\",\"mac\":\"02:00:00:00:00:aa\",\"port\":0}],"
	"\"trs\":{\"max_paths\":%u,\"verify_burst\":64}}";

static void
setup(unsigned n)
{
	char prefix[64], path[64], err[512];
	snprintf(prefix, sizeof(prefix), "--file-prefix=awrc%d", (int)getpid());
	snprintf(path, sizeof(path), "/tmp/awrc%d.json", (int)getpid());
	char *argv[] = {"relay_cost", "-l", "0", "--no-huge", "-m", "1024", "--no-pci", prefix,
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
		fprintf(stderr, "relay_cost setup: %s\n", err);
		exit(1);
	}
	ctx = dp.ctx_list[0];
	eng = aw_trs_engine_create(AW_TRS_IMPL_OPENSSL);
	P = calloc(n, sizeof(*P));
	struct aw_relay_entry *es = calloc(n, sizeof(*es));
	for (unsigned i = 0; i < n; i++) {
		struct aw_relay_entry *e = &P[i].e;
		e->suite = (uint8_t)(1 + (i & 1));
		e->idle_timeout_s = 3600;
		e->bind_timeout_s = 3600;
		for (unsigned b = 0; b < 16; b++)
			e->path_id[b] = (uint8_t)(i * 7 + b * 131 + (i >> 8));
		memcpy(e->path_id, &i, 4);
		for (unsigned b = 0; b < 32; b++)
			e->key[b] = (uint8_t)(i + b * 3);
		aw_trs_key_init(&P[i].k, e->key, e->suite);
		es[i] = *e;
	}
	if (aw_relay_apply(dp.feat[AW_FEAT_RELAY], es, n, "relays", NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "relay_cost: %s\n", err);
		exit(1);
	}
	free(es);
}

/* A frame from 10.1.0.2:(40000 + side) to the relay with message msg. */
static struct rte_mbuf *
frame(unsigned side, const uint8_t *msg, size_t n)
{
	static const uint8_t mac[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0xaa};
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);
	uint8_t *b = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(42 + n));
	uint8_t *ip = b + 14, *u = ip + 20;
	size_t l4 = 8 + n;
	uint32_t s = 0;

	memcpy(b, mac, 12);
	b[12] = 0x08;
	b[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((l4 + 20) >> 8);
	ip[3] = (uint8_t)(l4 + 20);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, (const uint8_t[8]){10, 1, 0, 2, 10, 1, 0, 1}, 8);
	for (int i = 0; i < 20; i += 2)
		s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	ip[10] = (uint8_t)(~s >> 8);
	ip[11] = (uint8_t)~s;
	u[0] = 0x9c;
	u[1] = (uint8_t)(0x40 + side);
	u[2] = 7811 >> 8;
	u[3] = 7811 & 0xff;
	u[4] = (uint8_t)(l4 >> 8);
	u[5] = (uint8_t)l4;
	u[6] = u[7] = 0;
	memcpy(u + 8, msg, n);
	aw_meta(m)->port_in = 0;
	return m;
}

/* A sealed signalling message (type, side) of path i with its next seq. */
static struct rte_mbuf *
signal_frame(unsigned i, uint8_t type, unsigned side)
{
	uint8_t msg[256] = {0}, iv[16] = {7};
	struct aw_trs_hdr h = {.txid = i, .version = AW_TRS_VERSION, .flag = (uint8_t)side,
			       .type = type, .seq = ++P[i].seq[side]};
	size_t n = 0;

	memcpy(h.id, P[i].e.path_id, 16);
	aw_trs_hdr_write(msg, &h);
	memcpy(msg + aw_trs_pt_offset(P[i].e.suite), "signalling body", 15);
	aw_trs_seal(eng, &P[i].k, msg, sizeof(msg), 15, iv, &n);
	return frame(side, msg, n);
}

static struct rte_mbuf *
capsule_frame(unsigned i)
{
	uint8_t msg[48 + 64] = {0};
	struct aw_trs_hdr h = {.txid = 1, .version = AW_TRS_VERSION, .type = AW_TRS_T_CAPSULE,
			       .seq = ++P[i].seq[0], .msg_len = sizeof(msg)};

	memcpy(h.id, P[i].e.path_id, 16);
	aw_trs_hdr_write(msg, &h);
	return frame(0, msg, sizeof(msg));
}

/* The only function callgrind collects. */
__attribute__((noinline)) void relay_cost_measured(struct rte_mbuf **pkts, uint16_t n);
__attribute__((noinline)) void
relay_cost_measured(struct rte_mbuf **pkts, uint16_t n)
{
	aw_process_burst(ctx, pkts, n);
}

static void
run(struct rte_mbuf **pkts, uint16_t n, bool measured)
{
	ctx->stats.rx += n;
	if (measured)
		relay_cost_measured(pkts, n);
	else
		aw_process_burst(ctx, pkts, n);
	aw_dispatch_burst(ctx, pkts, n);
	aw_slow_poll(ctx);
	aw_tx_flush_all(ctx);
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "capsule";
	unsigned n = argc > 2 ? (unsigned)atoi(argv[2]) : 20000;
	unsigned bursts = argc > 3 ? (unsigned)atoi(argv[3]) : 200;
	struct rte_mbuf *pkts[BURST];
	uint64_t rnd = 0x853c49e6748fea9bull;

	setup(n);
	for (unsigned i = 0; i < n; i += BURST) { /* bind both sides of every path */
		for (unsigned s = 0; s < 2; s++) {
			uint16_t k = 0;
			for (unsigned j = i; j < i + BURST && j < n; j++)
				pkts[k++] = signal_frame(j, AW_TRS_T_HOLE_PUNCHING, s);
			run(pkts, k, false);
		}
	}
	for (unsigned i = 0; i < n; i += BURST) { /* one capsule per path: next hops known */
		uint16_t k = 0;
		for (unsigned j = i; j < i + BURST && j < n; j++)
			pkts[k++] = capsule_frame(j);
		run(pkts, k, false);
	}
	uint64_t tx0 = ctx->stats.tx, rx0 = ctx->stats.rx;
	unsigned suite = mode[strlen(mode) - 1] == '2' ? 2 : 1;
	for (unsigned b = 0; b < bursts; b++) {
		for (unsigned k = 0; k < BURST; k++) {
			rnd = rnd * 6364136223846793005ull + 1442695040888963407ull;
			unsigned i = (unsigned)(rnd >> 33) % n;
			if (strcmp(mode, "capsule") == 0) {
				pkts[k] = capsule_frame(i);
				continue;
			}
			i = (i & ~1u) + (suite - 1); /* a path of the suite */
			if (i >= n)
				i -= 2;
			pkts[k] = signal_frame(i, strncmp(mode, "ka", 2) == 0 ? AW_TRS_T_KEEP_ALIVE
									  : AW_TRS_T_TUNNEL_REQUEST, 0);
		}
		run(pkts, BURST, true);
	}
	printf("relay_cost %s: %u paths, %lu packets measured, %lu sent; forwarded %lu acks %lu "
	       "binds %lu\n",
	       mode, n, ctx->stats.rx - rx0, ctx->stats.tx - tx0,
	       ctx->stats.info[AW_INFO_RELAY_FORWARDED], ctx->stats.info[AW_INFO_RELAY_ACKS],
	       ctx->stats.info[AW_INFO_RELAY_BINDS]);
	for (unsigned r = 0; r < AW_DROP__COUNT; r++)
		if (ctx->stats.drops[r] != 0)
			printf("  drop %s %lu\n", aw_drop_name(r), ctx->stats.drops[r]);
	return 0;
}
