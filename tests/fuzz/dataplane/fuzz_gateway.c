/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: UDP payloads to the overlay gateway of a real data plane
 * instance (net_null ports; two gateway paths, suite 1 with an IPv4 node and
 * suite 2 with an IPv6 node; ASRS with a listener, so that decrypted inner
 * packets go on into the NAT and replies to the nodes come back out as
 * capsules). The first input byte picks the outer family (bit 0) and source
 * port (bits 1-2); the rest is the UDP payload. Seeds are valid capsules of
 * both paths (built with lib/trs at start) holding a TCP SYN to the VIP, so
 * mutation reaches verification, replay, decryption, the inner checks,
 * re-injection and ASRS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "aw_output.h"
#include "aw_pkt.h"
#include "aw_slowpath.h"
#include "aw_trs_crypto.h"
#include "fuzz_dp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens);

#define KEY1 "31313131313131313131313131313131" "31313131313131313131313131313131"
#define KEY2 "42424242424242424242424242424242" "42424242424242424242424242424242"
#define PID1 "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1"
#define PID2 "d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2"
#define GW_PORT 7813

static struct aw_dp dp;
static struct aw_config cfg;
static struct aw_lcore_ctx *ctx;

static const char config_json[] =
	"{\"ports\":[{\"port\":0,\"mac\":\"02:00:00:00:00:01\",\"addrs\":[\"10.1.0.1/24\","
	"\"2001:db8:1::1/64\"]},{\"port\":1,\"mac\":\"02:00:00:00:00:02\","
	"\"addrs\":[\"10.2.0.1/24\",\"2001:db8:2::1/64\"]}],"
	"\"neighbors\":[{\"addr\":\"10.1.0.2\",\"mac\":\"02:00:00:00:00:aa\",\"port\":0},"
	"{\"addr\":\"2001:db8:1::2\",\"mac\":\"02:00:00:00:00:aa\",\"port\":0},"
	"{\"addr\":\"10.2.0.2\",\"mac\":\"02:00:00:00:00:bb\",\"port\":1}],"
	"\"vips\":[{\"addr\":\"203.0.113.10\"}],"
	"\"asrs\":{\"max_sessions\":256},"
	"\"listeners\":[{\"vip\":\"203.0.113.10\",\"proto\":\"tcp\",\"port\":80,"
	"\"service\":\"asrs://fuzz/web\"}],"
	"\"services\":[{\"service\":\"asrs://fuzz/web\",\"destinations\":"
	"[{\"addr\":\"10.2.0.2\",\"port\":8080}]}],"
	"\"gateway\":{\"port\":7813,\"max_paths\":64,\"prefixes\":[\"10.200.0.0/16\","
	"\"fd00:200::/64\"]},"
	"\"gateways\":[{\"path_id\":\"" PID1 "\",\"end_key\":\"" KEY1 "\",\"suite\":1,"
	"\"node_addr\":\"10.200.0.5\"},{\"path_id\":\"" PID2 "\",\"end_key\":\"" KEY2
	"\",\"suite\":2,\"node_addr\":\"fd00:200::6\"}]}";

static void
summary(void)
{
	printf("fuzz_gateway: rx %lu tx %lu decrypted %lu encrypted %lu bad_tag %lu\n",
	       ctx->stats.rx, ctx->stats.tx, ctx->stats.info[AW_INFO_GW_DECRYPTED],
	       ctx->stats.info[AW_INFO_GW_ENCRYPTED], ctx->stats.drops[AW_DROP_GW_BAD_TAG]);
	for (unsigned r = 0; r < AW_DROP__COUNT; r++)
		if (ctx->stats.drops[r] != 0)
			printf("  %s %lu\n", aw_drop_name(r), ctx->stats.drops[r]);
	aw_dp_fini(&dp); /* so that LeakSanitizer sees the tables freed */
	aw_config_free(&cfg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[1500];

	if (ctx == NULL) {
		fuzz_dp_start("g", config_json, &cfg, &dp);
		ctx = dp.ctx_list[0];
		atexit(summary);
	}
	if (size < 1 || size > 1400)
		return 0;
	size_t len = fuzz_udp_frame(buf, data[0], GW_PORT, data + 1, size - 1);
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

/* A TCP SYN from the node (20-byte IPv4 or 40-byte IPv6 header + 20 TCP). */
static size_t
inner_syn(uint8_t *p, int v6)
{
	static const uint8_t n4[4] = {10, 200, 0, 5}, vip4[4] = {203, 0, 113, 10};
	static const uint8_t n6[16] = {0xfd, 0, 0x02, 0, [15] = 6};
	size_t ih = v6 ? 40 : 20;

	memset(p, 0, ih + 20);
	if (v6) {
		p[0] = 0x60;
		p[5] = 20;
		p[6] = 6;
		p[7] = 64;
		memcpy(p + 8, n6, 16);
		memcpy(p + 24, n6, 16); /* to itself: routed back into the overlay */
	} else {
		p[0] = 0x45;
		p[3] = 40;
		p[8] = 64;
		p[9] = 6;
		memcpy(p + 12, n4, 4);
		memcpy(p + 16, vip4, 4);
	}
	uint8_t *t = p + ih;
	t[0] = 0x9c, t[1] = 0x41, t[3] = 80, t[12] = 0x50, t[13] = 0x02, t[14] = 0x20;
	return ih + 20; /* checksums left wrong: the router rewrites them incrementally */
}

static void
hex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sscanf(s + 2 * i, "%2hhx", &out[i]);
}

static size_t
seed(uint8_t *out, uint8_t sel, const char *key, unsigned suite, const char *pid, uint32_t seq,
     int v6_inner)
{
	struct aw_trs_engine *e = aw_trs_engine_create(AW_TRS_IMPL_OPENSSL);
	struct aw_trs_key k;
	struct aw_trs_hdr h = {.txid = seq, .version = AW_TRS_VERSION, .type = AW_TRS_T_CAPSULE,
				.seq = seq};
	uint8_t raw[32], iv[16] = {7};
	size_t n = 0;

	hex(key, raw, 32);
	hex(pid, h.id, 16);
	out[0] = sel;
	aw_trs_hdr_write(out + 1, &h);
	size_t pt = inner_syn(out + 1 + aw_trs_pt_offset(suite), v6_inner);
	if (e == NULL || aw_trs_key_init(&k, raw, suite) != 0 ||
	    aw_trs_seal(e, &k, out + 1, 300, pt, iv, &n) != 0)
		n = 0;
	aw_trs_engine_free(e);
	return n + 1;
}

size_t
aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens)
{
	static uint8_t b[4][320];
	static const uint8_t *s[4] = {b[0], b[1], b[2], b[3]};
	static size_t l[4];

	l[0] = seed(b[0], 0, KEY1, 1, PID1, 1, 0);
	l[1] = seed(b[1], 1, KEY1, 1, PID1, 2, 0);
	l[2] = seed(b[2], 2, KEY2, 2, PID2, 1, 1);
	l[3] = seed(b[3], 3, KEY2, 2, PID2, 5, 1);
	for (unsigned i = 0; i < 4; i++)
		if (l[i] < 1 + AW_TRS_MIN_LEN)
			fprintf(stderr, "fuzz_gateway: seed %u not built\n", i);
	*seeds = s;
	*lens = l;
	return 4;
}
