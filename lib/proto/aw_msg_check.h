/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_msg_check — the one range validation of table entries that travel from
 * an admin through anyway-mapd and anyway-agent into the data plane, so that
 * what the map server accepts the data plane accepts (SPEC §5.3, §7.1).
 *
 * Each entry kind has a limit table and a check function on the decoded
 * struct; the decoders (lib/proto aw_msg_decode.c, the data plane's
 * dataplane/trs/aw_relay_conf.c) parse types only and call the check. A
 * gateway entry (SPEC §6) gets its own table and aw_msg_gateway_check() next
 * to the relay's, in this file.
 *
 * Contract: pure functions, no allocation, no global mutable state; callable
 * from any thread (the data plane calls it on its main and API threads, never
 * on the packet path).
 */
#ifndef AW_MSG_CHECK_H
#define AW_MSG_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aw_msg.h"

/* One integer member: its key (relative to the entry, "rate.burst") and range. */
struct aw_msg_limit {
	const char *key;
	uint64_t min, max;
};

/* Limits of a relay entry, in the data plane's units (dataplane/CONFIG.md). */
#define AW_RELAY_SUITE_MAX       2u
#define AW_RELAY_TIMEOUT_S_MAX   65535u
#define AW_RELAY_PPS_MAX         1000000000ull     /* 10^9 */
#define AW_RELAY_BPS_MAX         1000000000000ull  /* 10^12 bytes/s */
#define AW_RELAY_BURST_MAX       1000000u          /* packets */

enum aw_relay_limit_id {
	AW_RELAY_LIM_SUITE,
	AW_RELAY_LIM_IDLE,
	AW_RELAY_LIM_BIND,
	AW_RELAY_LIM_PPS,
	AW_RELAY_LIM_BPS,
	AW_RELAY_LIM_BURST,
	AW_RELAY_LIM__COUNT
};
extern const struct aw_msg_limit aw_relay_limits[AW_RELAY_LIM__COUNT];

/* Limits of a gateway entry (SPEC §6; dataplane/CONFIG.md gateways[]). */
#define AW_GATEWAY_IDLE_S_MAX    86400u
enum aw_gateway_limit_id {
	AW_GATEWAY_LIM_SUITE,
	AW_GATEWAY_LIM_IDLE,
	AW_GATEWAY_LIM__COUNT
};
extern const struct aw_msg_limit aw_gateway_limits[AW_GATEWAY_LIM__COUNT];

/* Where a check failed: the member path relative to the entry ("rate.burst",
 * "rate") and what was expected ("expected integer 1..1000000, got 1500000"). */
struct aw_msg_check_err {
	char key[32];
	char msg[160];
};

/* 0 when v is inside lim; else -1 with e filled. */
int aw_msg_limit_check(const struct aw_msg_limit *lim, uint64_t v, struct aw_msg_check_err *e);

/* A relay entry: suite, timeouts, rate (pps or bytes above 0, each within its
 * limit, burst 1..10^6). bytes_key names the byte limit in messages: "bps" in
 * lib/proto, "bytes_per_s" in the data plane API; NULL means "bps". */
int aw_msg_relay_check(const struct aw_msg_relay *r, const char *bytes_key,
		       struct aw_msg_check_err *e);

/* A gateway entry: suite 1..2, idle_timeout_s 1..86400, node_addr an IPv4 or
 * IPv6 unicast address (not unspecified, loopback, multicast, nor
 * 255.255.255.255: the inner source of a node's packets), end_key not all
 * zero (an unset key). */
int aw_msg_gateway_check(const struct aw_msg_gateway *g, struct aw_msg_check_err *e);

#endif /* AW_MSG_CHECK_H */
