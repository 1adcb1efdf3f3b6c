/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: TRS payloads through the relay of a real data plane instance
 * (net_null ports, two relay paths: suite 1 and suite 2). The first input
 * byte picks the family (bit 0) and the source port (bits 1-2) of the UDP
 * datagram to the relay; the rest is the UDP payload. Seeds are valid signed
 * messages of both paths (built with lib/trs at start), so mutation reaches
 * verification, binding, ACKs, forwarding and the v4 <-> v6 rewrite.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "aw_dp_init.h"
#include "fuzz_dp.h"
#include "aw_output.h"
#include "aw_pkt.h"
#include "aw_slowpath.h"
#include "aw_trs_crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens);

#define KEY1 "11111111111111111111111111111111" "11111111111111111111111111111111"
#define KEY2 "22222222222222222222222222222222" "22222222222222222222222222222222"
#define PID1 "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
#define PID2 "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"

static struct aw_dp dp;
static struct aw_config cfg;
static struct aw_lcore_ctx *ctx;

static const char config_json[] =
	"{\"ports\":[{\"port\":0,\"mac\":\"02:00:00:00:00:01\",\"addrs\":[\"10.1.0.1/24\","
	"\"2001:db8:1::1/64\"]},{\"port\":1,\"mac\":\"02:00:00:00:00:02\","
	"\"addrs\":[\"10.2.0.1/24\",\"2001:db8:2::1/64\"]}],"
	"\"neighbors\":[{\"addr\":\"10.1.0.2\",\"mac\":\"02:00:00:00:00:aa\",\"port\":0},"
	"{\"addr\":\"2001:db8:1::2\",\"mac\":\"02:00:00:00:00:aa\",\"port\":0}],"
	"\"trs\":{\"max_paths\":64},"
	"\"relays\":[{\"path_id\":\"" PID1 "\",\"tunnel_key\":\"" KEY1 "\",\"suite\":1},"
	"{\"path_id\":\"" PID2 "\",\"tunnel_key\":\"" KEY2 "\",\"suite\":2,"
	"\"rate\":{\"pps\":100000,\"burst\":100}}]}";

static void
summary(void)
{
	printf("fuzz_relay: rx %lu tx %lu acks %lu forwarded %lu verified %lu bad_tag %lu\n",
	       ctx->stats.rx, ctx->stats.tx, ctx->stats.info[AW_INFO_RELAY_ACKS],
	       ctx->stats.info[AW_INFO_RELAY_FORWARDED], ctx->stats.info[AW_INFO_RELAY_VERIFIED],
	       ctx->stats.drops[AW_DROP_RELAY_BAD_TAG]);
	for (unsigned r = 0; r < AW_DROP__COUNT; r++)
		if (ctx->stats.drops[r] != 0)
			printf("  %s %lu\n", aw_drop_name(r), ctx->stats.drops[r]);
	aw_dp_fini(&dp); /* so that LeakSanitizer sees the tables freed */
	aw_config_free(&cfg);
}

static void
setup(void)
{
	fuzz_dp_start("r", config_json, &cfg, &dp);
	ctx = dp.ctx_list[0];
	atexit(summary);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[2048];

	if (ctx == NULL)
		setup();
	if (size < 1 || size > 1400)
		return 0;
	size_t len = fuzz_udp_frame(buf, data[0], 7811, data + 1, size - 1);
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);
	if (m == NULL)
		abort(); /* a leak in the packet path would exhaust the pool */
	memcpy(rte_pktmbuf_append(m, (uint16_t)len), buf, len);
	aw_meta_rx(m, 0);
	ctx->stats.rx++;
	aw_process_burst(ctx, &m, 1);
	aw_dispatch_burst(ctx, &m, 1);
	aw_slow_poll(ctx);
	aw_tx_flush_all(ctx);
	return 0;
}

static void
hex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sscanf(s + 2 * i, "%2hhx", &out[i]);
}

/* One sealed message as a seed: selector byte, then the payload. */
static size_t
seed(uint8_t *out, uint8_t sel, const char *key, unsigned suite, const char *pid, uint8_t type,
     uint8_t flag, uint32_t seq)
{
	struct aw_trs_engine *e = aw_trs_engine_create(AW_TRS_IMPL_OPENSSL);
	struct aw_trs_key k;
	struct aw_trs_hdr h = {.txid = seq, .version = AW_TRS_VERSION, .flag = flag, .type = type,
				.seq = seq};
	uint8_t raw[32], iv[16] = {1};
	size_t n = 0;

	hex(key, raw, 32);
	hex(pid, h.id, 16);
	out[0] = sel;
	aw_trs_hdr_write(out + 1, &h);
	memcpy(out + 1 + aw_trs_pt_offset(suite), "seed", 4);
	if (e == NULL || aw_trs_key_init(&k, raw, suite) != 0 ||
	    aw_trs_seal(e, &k, out + 1, 200, 4, iv, &n) != 0)
		n = 0;
	aw_trs_engine_free(e);
	return n + 1;
}

size_t
aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens)
{
	static uint8_t b[6][256];
	static const uint8_t *s[6] = {b[0], b[1], b[2], b[3], b[4], b[5]};
	static size_t l[6];

	l[0] = seed(b[0], 0, KEY1, 1, PID1, AW_TRS_T_HOLE_PUNCHING, 0, 1);
	l[1] = seed(b[1], 1, KEY1, 1, PID1, AW_TRS_T_HOLE_PUNCHING, 1, 1);
	l[2] = seed(b[2], 0, KEY1, 1, PID1, AW_TRS_T_TUNNEL_REQUEST, 0, 2);
	l[3] = seed(b[3], 1, KEY1, 1, PID1, AW_TRS_T_CAPSULE, 1, 3);
	l[4] = seed(b[4], 2, KEY2, 2, PID2, AW_TRS_T_KEEP_ALIVE, 0, 1);
	l[5] = seed(b[5], 3, KEY2, 2, PID2, AW_TRS_T_HOLE_PUNCHING, 1, 1);
	for (unsigned i = 0; i < 6; i++)
		if (l[i] < 1 + AW_TRS_MIN_LEN)
			fprintf(stderr, "fuzz_relay: seed %u not built\n", i);
	*seeds = s;
	*lens = l;
	return 6;
}
