/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_icmp — ICMP and ICMPv6 answers built in place in the received mbuf: echo
 * replies for own addresses and VIPs, and errors (time exceeded, fragmentation
 * needed / packet too big) quoting the packet that caused them, rate limited
 * per lcore (icmp_rate_per_s).
 *
 * Part of forwarding (aw_fwd.h): the route path sends its errors through it,
 * and it routes what it builds with aw_fwd_packet. Contract: called on the
 * lcore that owns `c` by the classifier (echo), forwarding and the features
 * (errors). Each function sets the packet's verdict itself (routed reply, or
 * a counted drop).
 */
#ifndef AW_ICMP_H
#define AW_ICMP_H

#include "aw_addrset.h"
#include "aw_dp.h"

#define AW_ICMP_TIME_EXCEEDED 1
#define AW_ICMP_TOO_BIG       2
#define AW_ICMP_PORT_UNREACH  3 /* v4 type 3 code 3, v6 type 1 code 4 (ASRS: no service) */

/* Echo request at l3 (hl: IP header length incl. options/none for v6, len: IP
 * total length) to the local address `e` (NULL: an ASRS service address). */
void aw_icmp_echo(struct aw_lcore_ctx *c, struct rte_mbuf *m, int is_v6, uint32_t hl,
		  uint32_t len, const struct aw_addrset_entry *e);

/* Takes one token of the lcore's ICMP error budget (icmp_rate_per_s); false
 * when none is left. For other rate-limited answers (the ASRS TCP RST). */
bool aw_icmp_allowed(struct aw_lcore_ctx *c);

/* Turns m into an ICMP error of `kind` toward its source; `mtu` for TOO_BIG.
 * `drop` is the reason counted when no error may be sent. */
void aw_icmp_error(struct aw_lcore_ctx *c, struct rte_mbuf *m, int is_v6, int kind,
		   uint32_t mtu, enum aw_drop_reason drop);

#endif /* AW_ICMP_H */
