/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_counters — every drop reason and informational counter of the data plane,
 * each defined once in an X-macro list; names are generated from the lists.
 *
 * Contract: struct aw_stats lives in one lcore's context and is written only by
 * that lcore with plain increments (no atomics). Readers (API / telemetry
 * threads) sum all lcores' copies with relaxed 64-bit loads; a sum read while
 * traffic flows may be a packet behind, never torn on x86-64.
 *
 * Conservation (tested): rx == tx + sum(drops) + consumed, once traffic has
 * stopped and the slow path is idle. Packets the data plane makes itself (ARP
 * requests, neighbour solicitations, gratuitous ARP) count as `originated`,
 * outside the equation; a received packet turned into an answer in place (echo
 * reply, ARP reply, ICMP error) counts as tx.
 */
#ifndef AW_COUNTERS_H
#define AW_COUNTERS_H

#include <stdint.h>

#include "aw_features.h"

#define AW_CORE_DROP_REASONS(X)                                                                 \
	X(ETH_TRUNCATED, "eth_truncated", "frame shorter than an Ethernet header")          \
	X(MULTI_SEGMENT, "multi_segment", "frame spans several mbufs (beyond the MTU)")     \
	X(L2_OTHER_HOST, "l2_other_host", "unicast frame for another MAC address")          \
	X(UNKNOWN_ETHERTYPE, "unknown_ethertype", "ethertype other than IPv4, IPv6, ARP")   \
	X(ARP_MALFORMED, "arp_malformed", "ARP packet truncated or not Ethernet/IPv4")      \
	X(ARP_NOT_FOR_US, "arp_not_for_us", "ARP request for an address that is not ours")  \
	X(IPV4_TRUNCATED, "ipv4_truncated", "frame too short for an IPv4 header")           \
	X(IPV4_BAD_VERSION, "ipv4_bad_version", "version field is not 4")                   \
	X(IPV4_BAD_IHL, "ipv4_bad_ihl", "IHL below 5 or beyond the packet")                 \
	X(IPV4_BAD_LENGTH, "ipv4_bad_length", "total length beyond the frame or below IHL") \
	X(IPV4_BAD_CHECKSUM, "ipv4_bad_checksum", "IPv4 header checksum wrong")             \
	X(IPV4_BAD_SOURCE, "ipv4_bad_source", "source multicast, broadcast or ours")        \
	X(IPV6_TRUNCATED, "ipv6_truncated", "frame too short for an IPv6 header")           \
	X(IPV6_BAD_VERSION, "ipv6_bad_version", "version field is not 6")                   \
	X(IPV6_BAD_LENGTH, "ipv6_bad_length", "payload length beyond the frame")            \
	X(IPV6_BAD_SOURCE, "ipv6_bad_source", "source multicast or ours")                   \
	X(FRAGMENT_LOCAL, "fragment_local", "fragment addressed to the router itself")      \
	X(IPV6_EXT_LOCAL, "ipv6_ext_local", "extension headers on a packet to the router")  \
	X(ICMP_MALFORMED, "icmp_malformed", "ICMP/ICMPv6 truncated or bad checksum")        \
	X(ICMP_UNHANDLED, "icmp_unhandled", "ICMP type to the router that it ignores")      \
	X(L4_TRUNCATED, "l4_truncated", "TCP/UDP to the router shorter than 8 bytes")       \
	X(ND_MALFORMED, "nd_malformed", "neighbour discovery message invalid (RFC 4861)")   \
	X(ND_NOT_FOR_US, "nd_not_for_us", "neighbour solicitation for another target")      \
	X(MULTICAST_UNHANDLED, "multicast_unhandled", "multicast not handled by anyway")    \
	X(LOCAL_UNHANDLED, "local_unhandled", "to an own address, no feature claims it")    \
	X(TTL_EXCEEDED, "ttl_exceeded", "TTL / hop limit expired, ICMP error rate-limited") \
	X(MTU_EXCEEDED, "mtu_exceeded", "larger than the egress MTU, ICMP rate-limited")    \
	X(NO_ROUTE, "no_route", "no route to the destination")                              \
	X(NEIGH_UNRESOLVED, "neigh_unresolved", "next hop did not answer ARP / NS")         \
	X(NEIGH_PENDING_FULL, "neigh_pending_full", "too many packets waiting on a hop")    \
	X(NEIGH_TABLE_FULL, "neigh_table_full", "neighbour cache full")                     \
	X(SLOWPATH_FULL, "slowpath_full", "slow-path ring full (ARP/ND flood)")             \
	X(WORKER_RING_FULL, "worker_ring_full", "pipeline: every worker ring full")         \
	X(REORDER_LATE, "reorder_late", "pipeline: arrived after its gap was skipped")      \
	X(TX_FULL, "tx_full", "the port's TX queue did not take the packet")               \
	X(REINJECT_DEPTH, "reinject_depth", "inner packet nested deeper than re-injection allows") \
	X(REINJECT_NO_ROOM, "reinject_no_room", "no headroom for the inner packet's Ethernet header") \
	X(SHUTDOWN, "shutdown", "in flight when the data plane stopped")

#define AW_CORE_INFO_COUNTERS(X)                                                                \
	X(ARP_REPLIES, "arp_replies", "ARP replies sent for own addresses and VIPs")         \
	X(ARP_REQUESTS, "arp_requests", "ARP requests sent to resolve next hops")           \
	X(ARP_LEARNED, "arp_learned", "ARP replies that updated the neighbour cache")       \
	X(ND_ADVERTS, "nd_adverts", "neighbour advertisements sent")                        \
	X(ND_SOLICITS, "nd_solicits", "neighbour solicitations sent")                       \
	X(ND_LEARNED, "nd_learned", "advertisements that updated the neighbour cache")      \
	X(NEIGH_LEARNED_REQ, "neigh_learned_request", "ARP requests / NS whose sender was learned") \
	X(NEIGH_LEARN_REFUSED, "neigh_learn_refused", "request senders not learned: table at reserve") \
	X(GRATUITOUS, "gratuitous", "gratuitous ARP / unsolicited NA sent for VIPs")        \
	X(ECHO_REPLIES, "echo_replies", "ICMP / ICMPv6 echo replies sent")                  \
	X(TTL_EXPIRED, "ttl_expired", "packets whose TTL / hop limit ran out")              \
	X(ICMP_ERRORS_SENT, "icmp_errors_sent", "ICMP errors sent (time exceeded, too big)") \
	X(FORWARDED, "forwarded", "transit packets routed to a next hop")                   \
	X(PENDING_QUEUED, "pending_queued", "packets queued waiting for resolution")        \
	X(PENDING_SENT, "pending_sent", "queued packets sent once resolved")                \
	X(REORDER_GAPS_SKIPPED, "reorder_gaps_skipped", "pipeline: gaps skipped after wait") \
	X(IDLE_SLEEPS, "idle_sleeps", "idle back-off sleeps")                              \
	X(POLLS_BUSY, "polls_busy", "loop iterations that moved packets")                  \
	X(POLLS_IDLE, "polls_idle", "loop iterations that found nothing to do")             \
	X(CYCLES_BUSY, "cycles_busy", "TSC cycles of loop iterations that moved packets")   \
	X(CYCLES_IDLE, "cycles_idle", "TSC cycles of idle loop iterations and idle sleeps")

/* The core's lists, then each feature's (the registry, aw_features.h). */
#define AW_DROP_REASONS(X) AW_CORE_DROP_REASONS(X) AW_FEATURE_DROP_REASONS(X)
#define AW_INFO_COUNTERS(X) AW_CORE_INFO_COUNTERS(X) AW_FEATURE_INFO_COUNTERS(X)

#define AW_ENUM_ITEM(id, name, help) AW_DROP_##id,
enum aw_drop_reason { AW_DROP_REASONS(AW_ENUM_ITEM) AW_DROP__COUNT };
#undef AW_ENUM_ITEM
#define AW_ENUM_ITEM(id, name, help) AW_INFO_##id,
enum aw_info_counter { AW_INFO_COUNTERS(AW_ENUM_ITEM) AW_INFO__COUNT };
#undef AW_ENUM_ITEM

/* Per-lcore counters. Cache-aligned by the enclosing context. */
struct aw_stats {
	uint64_t rx;
	uint64_t tx;
	uint64_t consumed;   /* received and absorbed: ARP replies learned, NAs */
	uint64_t originated; /* made here: ARP requests, NS, gratuitous ARP / NA */
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	uint64_t drops[AW_DROP__COUNT];
	uint64_t info[AW_INFO__COUNT];
};

const char *aw_drop_name(enum aw_drop_reason r);
const char *aw_drop_help(enum aw_drop_reason r);
const char *aw_info_name(enum aw_info_counter c);
const char *aw_info_help(enum aw_info_counter c);

/* Adds src into dst, field by field (readers' summing). */
void aw_stats_add(struct aw_stats *dst, const struct aw_stats *src);

#endif /* AW_COUNTERS_H */
