/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: arbitrary frames through the whole packet path of a real data
 * plane instance (two net_null ports, addresses, a route, a static neighbour,
 * an AARP VIP): classification, IPv4/IPv6 validation, echo, ICMP errors,
 * routing, the housekeeper's ARP / ND handling, and verdict dispatch. The
 * first input byte picks the ingress port; the rest is the frame.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens);

static struct aw_dp dp;
static struct aw_config cfg;
static struct aw_lcore_ctx *ctx;

static const char config_json[] =
	"{\"ports\":[{\"port\":0,\"mac\":\"02:00:00:00:00:01\",\"addrs\":[\"10.1.0.1/24\","
	"\"2001:db8:1::1/64\"]},{\"port\":1,\"mac\":\"02:00:00:00:00:02\",\"mtu\":1280,"
	"\"addrs\":[\"10.2.0.1/24\",\"2001:db8:2::1/64\"]}],"
	"\"routes\":[{\"prefix\":\"0.0.0.0/0\",\"via\":\"10.2.0.254\"}],"
	"\"neighbors\":[{\"addr\":\"10.1.0.2\",\"mac\":\"02:00:00:00:00:aa\",\"port\":0}],"
	"\"vips\":[{\"addr\":\"203.0.113.10\",\"aarp\":true},{\"addr\":\"2001:db8:100::10\"}],"
	"\"neighbor_cache\":{\"max_entries\":64,\"pending_packets\":4},"
	"\"icmp_rate_per_s\":1000000}";

/* Shows that the inputs reached the packet path, and where they went. */
static void
summary(void)
{
	uint64_t drops = 0;
	for (unsigned r = 0; r < AW_DROP__COUNT; r++)
		drops += ctx->stats.drops[r];
	printf("fuzz_pkt: rx %lu tx %lu drops %lu consumed %lu originated %lu echo %lu "
	       "icmp_err %lu\n", ctx->stats.rx, ctx->stats.tx, drops, ctx->stats.consumed,
	       ctx->stats.originated, ctx->stats.info[AW_INFO_ECHO_REPLIES],
	       ctx->stats.info[AW_INFO_ICMP_ERRORS_SENT]);
	aw_dp_fini(&dp); /* so that LeakSanitizer sees the tables freed */
	aw_config_free(&cfg);
}

static void
setup(void)
{
	fuzz_dp_start("z", config_json, &cfg, &dp);
	ctx = dp.ctx_list[0];
	atexit(summary);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (ctx == NULL)
		setup();
	if (size < 1 || size > 1600)
		return 0;
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);
	if (m == NULL)
		abort(); /* a leak in the packet path would exhaust the pool */
	char *p = rte_pktmbuf_append(m, (uint16_t)(size - 1));
	memcpy(p, data + 1, size - 1);
	aw_meta_rx(m, (uint8_t)(data[0] % dp.n_ports));
	ctx->stats.rx++;
	aw_process_burst(ctx, &m, 1);
	aw_dispatch_burst(ctx, &m, 1);
	aw_slow_poll(ctx);
	aw_tx_flush_all(ctx);
	return 0;
}

/* A few valid frames to mutate: echo v4 to own address, ARP request, NS, transit UDP. */
static const uint8_t echo4[] = {
	0, 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0xaa, 8, 0, 0x45, 0, 0, 28, 0, 1, 0, 0, 64, 1, 0x64,
	0xda, 10, 1, 0, 2, 10, 1, 0, 1, 8, 0, 0xf7, 0xfe, 0, 1, 0, 0};
static const uint8_t arp[] = {
	0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 0xaa, 8, 6, 0, 1, 8, 0, 6, 4, 0, 1,
	2, 0, 0, 0, 0, 0xaa, 10, 1, 0, 2, 0, 0, 0, 0, 0, 0, 10, 1, 0, 1};
static const uint8_t udp4[] = {
	1, 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0xbb, 8, 0, 0x45, 0, 0, 28, 0, 1, 0x40, 0, 2, 17, 0, 0,
	10, 2, 0, 9, 198, 51, 100, 1, 0, 1, 0, 2, 0, 8, 0, 0};
static const uint8_t ns6[] = {
	0, 0x33, 0x33, 0xff, 0, 0, 1, 2, 0, 0, 0, 0, 0xaa, 0x86, 0xdd, 0x60, 0, 0, 0, 0, 32, 58,
	255, 0x20, 1, 0xd, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0xff, 2, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 1, 0xff, 0, 0, 1, 135, 0, 0, 0, 0, 0, 0, 0, 0x20, 1, 0xd, 0xb8, 0, 1, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 1, 1, 1, 2, 0, 0, 0, 0, 0xaa};

size_t
aw_fuzz_seeds(const uint8_t ***seeds, const size_t **lens)
{
	static const uint8_t *s[] = {echo4, arp, udp4, ns6};
	static const size_t l[] = {sizeof(echo4), sizeof(arp), sizeof(udp4), sizeof(ns6)};
	*seeds = s;
	*lens = l;
	return 4;
}
