/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_feature — how the features (ASRS service router, TRS relay) take their
 * packets from the core path.
 *
 * aw_process_burst() classifies a whole burst first. A packet a feature owns
 * is not handled one by one: it is appended to that feature's batch in the
 * lcore context with what classification already learned (IP header length,
 * family, protocol, which address it was sent to). After the classify loop,
 * each non-empty batch goes to the feature's burst function, which can do
 * bulk table lookups and bulk tag verification, and must set the verdict of
 * every packet in it (aw_set_tx / aw_set_drop / aw_set_slow; forwarding goes
 * through aw_fwd.h).
 *
 * What goes to which batch (only when the feature is configured, dp->asrs /
 * dp->trs non-NULL; else the packet is dropped as `local_unhandled`):
 *  - UDP to an own address or VIP whose destination port is dp->trs_port
 *    → TRS.
 *  - other TCP/UDP to an own address or VIP (service traffic to VIPs and
 *    instance aliases, replies to SNAT addresses) → ASRS;
 *  - ICMP/ICMPv6 errors (v4 types 3, 11, 12; v6 types 1..4) to an own address
 *    or VIP → ASRS (translation for sessions, SPEC §4.5);
 *  - IPv6 TCP/UDP/ICMPv6 to an address inside asrs.service_prefix6 (not an
 *    own address) → ASRS, addr_flags = AW_FEAT_SVC_PREFIX.
 * Guaranteed by the core before a packet enters a batch: single segment,
 * Ethernet + valid IP header (length trimmed to the IP total length, IPv4
 * checksum good, no IPv4 fragment, no IPv6 extension header), the L4 header's
 * first 8 bytes present, source not multicast/broadcast/ours. Not checked:
 * L4 checksums, TCP header length.
 *
 * Contract: batches live in the lcore context; only that lcore touches them.
 */
#ifndef AW_FEATURE_H
#define AW_FEATURE_H

#include <stdint.h>

#include <rte_mbuf.h>

#define AW_FEAT_SVC_PREFIX 0x80 /* addr_flags: destination in the IPv6 service prefix */

struct aw_feat_pkt {
	struct rte_mbuf *m;
	uint16_t l3_hl;     /* IP header length (IPv4 IHL * 4, or 40) */
	uint16_t l3_len;    /* IP total length */
	uint8_t v6;         /* 0: IPv4, 1: IPv6 */
	uint8_t proto;      /* IPPROTO_TCP, _UDP, _ICMP or _ICMPV6 */
	uint8_t addr_flags; /* aw_addrset flags of the destination (AW_ADDR_*) */
	uint8_t port_in;    /* index of the receiving port */
};

struct aw_feat_batch {
	uint16_t n;
	struct aw_feat_pkt p[256]; /* AW_MAX_BURST */
};

#endif /* AW_FEATURE_H */
