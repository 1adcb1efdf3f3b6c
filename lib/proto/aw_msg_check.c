/* SPDX-License-Identifier: BSD-3-Clause */
/* The shared entry validation; see aw_msg_check.h. */
#include "aw_msg_check.h"

#include <stdio.h>
#include <string.h>

const struct aw_msg_limit aw_relay_limits[AW_RELAY_LIM__COUNT] = {
	[AW_RELAY_LIM_SUITE] = {"suite", 1, AW_RELAY_SUITE_MAX},
	[AW_RELAY_LIM_IDLE] = {"idle_timeout_s", 1, AW_RELAY_TIMEOUT_S_MAX},
	[AW_RELAY_LIM_BIND] = {"bind_timeout_s", 1, AW_RELAY_TIMEOUT_S_MAX},
	[AW_RELAY_LIM_PPS] = {"rate.pps", 0, AW_RELAY_PPS_MAX},
	[AW_RELAY_LIM_BPS] = {"rate.bps", 0, AW_RELAY_BPS_MAX},
	[AW_RELAY_LIM_BURST] = {"rate.burst", 1, AW_RELAY_BURST_MAX},
};

const struct aw_msg_limit aw_gateway_limits[AW_GATEWAY_LIM__COUNT] = {
	[AW_GATEWAY_LIM_SUITE] = {"suite", 1, AW_RELAY_SUITE_MAX},
	[AW_GATEWAY_LIM_IDLE] = {"idle_timeout_s", 1, AW_GATEWAY_IDLE_S_MAX},
};

int
aw_msg_limit_check(const struct aw_msg_limit *lim, uint64_t v, struct aw_msg_check_err *e)
{
	if (v >= lim->min && v <= lim->max)
		return 0;
	snprintf(e->key, sizeof(e->key), "%s", lim->key);
	snprintf(e->msg, sizeof(e->msg), "expected integer %llu..%llu, got %llu",
		 (unsigned long long)lim->min, (unsigned long long)lim->max, (unsigned long long)v);
	return -1;
}

int
aw_msg_relay_check(const struct aw_msg_relay *r, const char *bytes_key, struct aw_msg_check_err *e)
{
	const struct aw_msg_limit *l = aw_relay_limits;

	if (bytes_key == NULL)
		bytes_key = "bps";
	if (aw_msg_limit_check(&l[AW_RELAY_LIM_SUITE], r->suite, e) < 0 ||
	    aw_msg_limit_check(&l[AW_RELAY_LIM_IDLE], r->idle_timeout_s, e) < 0 ||
	    aw_msg_limit_check(&l[AW_RELAY_LIM_BIND], r->bind_timeout_s, e) < 0)
		return -1;
	if (!r->has_rate)
		return 0;
	if (aw_msg_limit_check(&l[AW_RELAY_LIM_PPS], r->rate.pps, e) < 0)
		return -1;
	if (aw_msg_limit_check(&l[AW_RELAY_LIM_BPS], r->rate.bps, e) < 0) {
		snprintf(e->key, sizeof(e->key), "rate.%s", bytes_key);
		return -1;
	}
	if (aw_msg_limit_check(&l[AW_RELAY_LIM_BURST], r->rate.burst, e) < 0)
		return -1;
	if (r->rate.pps == 0 && r->rate.bps == 0) {
		snprintf(e->key, sizeof(e->key), "rate");
		snprintf(e->msg, sizeof(e->msg), "expected pps and/or %s above 0", bytes_key);
		return -1;
	}
	return 0;
}

/* Why a is no node address, NULL when it is one. */
static const char *
node_addr_bad(const struct aw_addr *a)
{
	static const uint8_t zero[16];
	const uint8_t *b = a->b;

	if (a->family == AW_AF_INET4) {
		if (memcmp(b, zero, 4) == 0)
			return "the unspecified address";
		if (b[0] == 127)
			return "a loopback address";
		if (b[0] >= 224 && b[0] <= 239)
			return "a multicast address";
		if (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255)
			return "the broadcast address";
		return NULL;
	}
	if (a->family != AW_AF_INET6)
		return "no address";
	if (memcmp(b, zero, 16) == 0)
		return "the unspecified address";
	if (memcmp(b, zero, 15) == 0 && b[15] == 1)
		return "the loopback address";
	if (b[0] == 0xff)
		return "a multicast address";
	return NULL;
}

int
aw_msg_gateway_check(const struct aw_msg_gateway *g, struct aw_msg_check_err *e)
{
	static const uint8_t zero[AW_MSG_TUNNEL_KEY_LEN];
	const struct aw_msg_limit *l = aw_gateway_limits;
	const char *why;

	if (aw_msg_limit_check(&l[AW_GATEWAY_LIM_SUITE], g->suite, e) < 0 ||
	    aw_msg_limit_check(&l[AW_GATEWAY_LIM_IDLE], g->idle_timeout_s, e) < 0)
		return -1;
	why = node_addr_bad(&g->node_addr);
	if (why != NULL) {
		char buf[AW_ADDR_STRLEN] = "?";

		if (g->node_addr.family == AW_AF_INET4 || g->node_addr.family == AW_AF_INET6)
			aw_addr_format(&g->node_addr, buf, sizeof(buf));
		snprintf(e->key, sizeof(e->key), "node_addr");
		snprintf(e->msg, sizeof(e->msg), "expected a unicast IPv4 or IPv6 address, got %s (%s)",
			 buf, why);
		return -1;
	}
	if (memcmp(g->end_key, zero, sizeof(zero)) == 0) {
		snprintf(e->key, sizeof(e->key), "end_key");
		snprintf(e->msg, sizeof(e->msg), "expected a key, got all zero bytes");
		return -1;
	}
	return 0;
}
