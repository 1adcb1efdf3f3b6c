/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: bursts of arbitrary frames through the ASRS router of a real
 * data plane instance (two net_null ports, VIPs, listeners, services, the
 * IPv6 service prefix, a small session table and SNAT range): session
 * lookup in bulk, identification (shim, TCP option, prefix, listener, alias),
 * session creation, NAT both ways, refusals, ICMP translation, aging with
 * slot reuse (aging's clock runs ahead 1/8 s per input). The
 * input is a sequence of (2-byte big-endian length, frame) items, up to 32
 * frames in one burst, each entering port 0 (the router does not look at the
 * ingress port for ASRS).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include "aw_asrs.h"
#include "aw_asrs_priv.h"
#include "aw_dp_init.h"
#include "fuzz_dp.h"
#include "aw_output.h"
#include "aw_pkt.h"
#include "aw_slowpath.h"
#include "fuzz_asrs_seeds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens);

static struct aw_dp dp;
static struct aw_config cfg;
static struct aw_lcore_ctx *ctx;

static const char config_json[] =
	"{\"ports\":[{\"port\":0,\"mac\":\"02:00:00:00:00:01\",\"addrs\":[\"10.1.0.1/24\","
	"\"2001:db8:1::1/64\"]},{\"port\":1,\"mac\":\"02:00:00:00:00:02\",\"mtu\":1280,"
	"\"addrs\":[\"10.2.0.1/24\",\"2001:db8:2::1/64\"]}],"
	"\"neighbors\":[{\"addr\":\"10.1.0.2\",\"mac\":\"02:00:00:00:00:aa\",\"port\":0},"
	"{\"addr\":\"2001:db8:1::2\",\"mac\":\"02:00:00:00:00:aa\",\"port\":0},"
	"{\"addr\":\"10.2.0.2\",\"mac\":\"02:00:00:00:00:bb\",\"port\":1},"
	"{\"addr\":\"2001:db8:2::2\",\"mac\":\"02:00:00:00:00:bb\",\"port\":1}],"
	"\"vips\":[{\"addr\":\"203.0.113.10\"},{\"addr\":\"2001:db8:100::10\"},"
	"{\"addr\":\"203.0.113.20\",\"aarp\":true}],"
	"\"asrs\":{\"service_prefix6\":\"2001:db8:a5::/64\",\"max_sessions\":64,"
	"\"snat_ports\":{\"min\":1024,\"max\":1100},\"timeouts\":{\"tcp_syn\":1,\"udp\":1}},"
	"\"listeners\":[{\"vip\":\"203.0.113.10\",\"proto\":\"tcp\",\"port\":80,"
	"\"service\":\"asrs://shop.example/web\"},{\"vip\":\"203.0.113.20\",\"proto\":\"udp\","
	"\"port\":53,\"service\":\"asrs://shop.example/dns\"}],"
	"\"services\":[{\"service\":\"asrs://shop.example/web\",\"destinations\":[{\"addr\":"
	"\"10.2.0.2\",\"port\":8080},{\"addr\":\"2001:db8:2::2\",\"port\":8080,\"priority\":1}]},"
	"{\"service\":\"asrs://shop.example/web6\",\"destinations\":[{\"addr\":\"2001:db8:2::2\","
	"\"port\":8080}]},{\"service\":\"asrs://shop.example/dns\",\"destinations\":[{\"addr\":"
	"\"10.2.0.2\",\"port\":5353}]}],"
	"\"icmp_rate_per_s\":1000000}";

static void
summary(void)
{
	uint64_t drops = 0;
	for (unsigned r = 0; r < AW_DROP__COUNT; r++)
		drops += ctx->stats.drops[r];
	printf("fuzz_asrs: rx %lu tx %lu drops %lu sessions created %lu expired %lu bad_shim %lu "
	       "refused %lu icmp translated %lu\n", ctx->stats.rx, ctx->stats.tx, drops,
	       ctx->stats.info[AW_INFO_SESSIONS_CREATED], aw_asrs_lc(ctx)->sess_expired,
	       ctx->stats.drops[AW_DROP_BAD_SHIM],
	       ctx->stats.info[AW_INFO_NO_SERVICE_REFUSED], ctx->stats.info[AW_INFO_ICMP_TRANSLATED]);
	aw_dp_fini(&dp); /* so that LeakSanitizer sees the tables freed */
	aw_config_free(&cfg);
}

static void
setup(void)
{
	fuzz_dp_start("a", config_json, &cfg, &dp);
	ctx = dp.ctx_list[0];
	atexit(summary);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mbuf *pkts[32];
	uint16_t n = 0;

	if (ctx == NULL)
		setup();
	while (size >= 2 && n < 32) {
		size_t len = (size_t)data[0] << 8 | data[1];
		data += 2;
		size -= 2;
		if (len > size || len > 1600)
			len = size < 1600 ? size : 1600;
		struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);
		if (m == NULL)
			abort(); /* a leak in the packet path would exhaust the pool */
		memcpy(rte_pktmbuf_append(m, (uint16_t)len), data, len);
		aw_meta_rx(m, 0);
		pkts[n++] = m;
		data += len;
		size -= len;
	}
	if (n == 0)
		return 0;
	ctx->stats.rx += n;
	aw_process_burst(ctx, pkts, n);
	aw_dispatch_burst(ctx, pkts, n);
	aw_slow_poll(ctx);
	aw_tx_flush_all(ctx);
	/* Aging sees time run ahead by 1/8 s per input: sessions expire (1 s
	 * timeouts) and their slots and SNAT ports are reused. */
	static uint64_t skew;
	skew += dp.tsc_hz / 8;
	aw_features_tick(ctx, rte_rdtsc() + skew);
	rte_rcu_qsbr_quiescent(dp.rcu, ctx->rcu_id);
	return 0;
}

size_t
aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens)
{
#define SEED_PTR(n) seed_##n,
#define SEED_LEN(n) sizeof(seed_##n),
	static const uint8_t *s[] = {SEEDS(SEED_PTR)};
	static const size_t l[] = {SEEDS(SEED_LEN)};
	*seeds = s;
	*lens = l;
	return sizeof(s) / sizeof(s[0]);
}
