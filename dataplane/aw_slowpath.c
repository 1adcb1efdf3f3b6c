/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_slowpath.h"

#include <stdlib.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ip.h>

#include "aw_addrset.h"
#include "aw_cksum.h"
#include "aw_neigh.h"
#include "aw_output.h"
#include "aw_route.h"
#include "aw_slowpath_nd.h"

#define L3_OFF RTE_ETHER_HDR_LEN
#define TIMER_BUDGET 64

/* Source address on `port` for talking to `dst`: one in the same prefix, else
 * the first of the family. False when the port has none of that family. */
bool
aw_slow_source_addr(const struct aw_port *port, const struct aw_addr *dst, struct aw_addr *src)
{
	bool found = false;

	for (unsigned i = 0; i < port->n_addrs; i++) {
		const struct aw_prefix *p = &port->addrs[i];
		if (p->addr.family != dst->family)
			continue;
		if (!found || aw_prefix_contains(p, dst)) {
			*src = p->addr;
			found = true;
			if (aw_prefix_contains(p, dst))
				break;
		}
	}
	return found;
}

/* Is `a` one we answer ARP/NS for on port index `port`? */
bool
aw_slow_answers_for(struct aw_lcore_ctx *c, const uint8_t *a, uint8_t family, uint8_t port,
		    bool *is_vip)
{
	const struct aw_addrset *as = __atomic_load_n(&c->dp->addrs, __ATOMIC_ACQUIRE);
	const struct aw_addrset_entry *e = aw_addrset_lookup(as, a, family);

	if (e == NULL)
		return false;
	*is_vip = (e->flags & AW_ADDR_VIP) != 0;
	return *is_vip || ((e->flags & AW_ADDR_OWN) && e->port == port);
}

/* Sends packets that waited on entry `pos`, now resolved to mac. */
void
aw_slow_flush_pending(struct aw_lcore_ctx *c, int32_t pos, const struct rte_ether_addr *mac)
{
	struct aw_neigh_table *t = c->dp->neigh;
	struct rte_mbuf *pend[64];
	uint16_t n = aw_neigh_take_pending(t, pos, pend);
	uint8_t port = aw_neigh_port(t, pos);

	for (uint16_t i = 0; i < n; i++) {
		aw_l2_finish(c->dp, pend[i], port, mac);
		c->stats.info[AW_INFO_PENDING_SENT]++;
		aw_tx_enqueue(c, pend[i], port, false);
	}
}

/* May `a` be learned as a neighbour on `port`? */
static bool
learnable_sender(struct aw_lcore_ctx *c, const struct aw_addr *a, uint8_t port)
{
	const struct aw_port *pt = &c->dp->ports[port];
	const struct aw_addrset *as = __atomic_load_n(&c->dp->addrs, __ATOMIC_ACQUIRE);
	static const uint8_t zero[16];
	bool v4 = a->family == AW_AF_INET4;

	if (memcmp(a->b, zero, v4 ? 4 : 16) == 0)
		return false;
	if (v4 ? (a->b[0] >= 224) : (a->b[0] == 0xff)) /* multicast, class E, broadcast */
		return false;
	if (aw_addrset_lookup(as, a->b, a->family) != NULL)
		return false;
	for (unsigned i = 0; i < pt->n_addrs; i++)
		if (pt->addrs[i].addr.family == a->family && aw_prefix_contains(&pt->addrs[i], a))
			return true;
	return false;
}

void
aw_slow_learn_sender(struct aw_lcore_ctx *c, const struct aw_addr *sender,
		     const struct rte_ether_addr *mac, uint8_t port)
{
	if (!learnable_sender(c, sender, port))
		return;
	int32_t pos = aw_neigh_learn_request(c->dp->neigh, sender, mac, port, rte_rdtsc());
	if (pos < 0) {
		c->stats.info[AW_INFO_NEIGH_LEARN_REFUSED]++;
		return;
	}
	c->stats.info[AW_INFO_NEIGH_LEARNED_REQ]++;
	aw_slow_flush_pending(c, pos, mac);
}

static void
arp_fill(struct rte_arp_hdr *arp, uint16_t op, const struct rte_ether_addr *sha, const void *sip,
	 const struct rte_ether_addr *tha, const void *tip)
{
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(sha, &arp->arp_data.arp_sha);
	memcpy(&arp->arp_data.arp_sip, sip, 4);
	rte_ether_addr_copy(tha, &arp->arp_data.arp_tha);
	memcpy(&arp->arp_data.arp_tip, tip, 4);
}

static void
arp_input(struct aw_lcore_ctx *c, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
	uint8_t port = aw_meta(m)->port_in;
	struct aw_addr sender;
	bool is_vip;

	if (rte_pktmbuf_data_len(m) < L3_OFF + sizeof(*arp) ||
	    arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != 6 ||
	    arp->arp_plen != 4 || rte_is_multicast_ether_addr(&arp->arp_data.arp_sha))
		return aw_drop(c, m, AW_DROP_ARP_MALFORMED);
	aw_addr_set4(&sender, &arp->arp_data.arp_sip);
	uint64_t now = rte_rdtsc();

	if (arp->arp_opcode == RTE_BE16(RTE_ARP_OP_REQUEST)) {
		bool ours = aw_slow_answers_for(c, (const uint8_t *)&arp->arp_data.arp_tip,
						AW_AF_INET4, port, &is_vip);
		bool gratuitous = arp->arp_data.arp_sip == arp->arp_data.arp_tip;
		if (ours && !gratuitous) { /* RFC 826: merge, else create */
			aw_slow_learn_sender(c, &sender, &arp->arp_data.arp_sha, port);
		} else { /* refresh an entry the sender already has with us */
			int32_t pos = aw_neigh_learn(c->dp->neigh, &sender,
						     &arp->arp_data.arp_sha, port, false, now);
			if (pos >= 0)
				aw_slow_flush_pending(c, pos, &arp->arp_data.arp_sha);
		}
		if (!ours || gratuitous)
			return aw_drop(c, m, AW_DROP_ARP_NOT_FOR_US);
		const struct rte_ether_addr *mymac = &c->dp->ports[port].mac;
		struct rte_ether_addr asker = arp->arp_data.arp_sha;
		uint32_t tip = arp->arp_data.arp_tip, sip = arp->arp_data.arp_sip;
		arp_fill(arp, RTE_ARP_OP_REPLY, mymac, &tip, &asker, &sip);
		rte_ether_addr_copy(&asker, &eth->dst_addr);
		rte_ether_addr_copy(mymac, &eth->src_addr);
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - L3_OFF - sizeof(*arp)));
		c->stats.info[AW_INFO_ARP_REPLIES]++;
		return aw_tx_enqueue(c, m, port, false);
	}
	if (arp->arp_opcode == RTE_BE16(RTE_ARP_OP_REPLY)) {
		int32_t pos = aw_neigh_learn(c->dp->neigh, &sender, &arp->arp_data.arp_sha, port,
					     false, now);
		if (pos < 0)
			return aw_drop(c, m, AW_DROP_ARP_NOT_FOR_US);
		c->stats.info[AW_INFO_ARP_LEARNED]++;
		aw_slow_flush_pending(c, pos, &arp->arp_data.arp_sha);
		c->stats.consumed++;
		rte_pktmbuf_free(m);
		return;
	}
	aw_drop(c, m, AW_DROP_ARP_MALFORMED);
}

/* An ARP request (or gratuitous ARP when target == sender) from port index p. */
static void
aw_slow_send_arp(struct aw_lcore_ctx *c, unsigned p, const struct aw_addr *sip,
		 const struct aw_addr *tip)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(c->dp->pool);
	static const struct rte_ether_addr zero = {{0}};
	struct rte_ether_addr bcast;

	if (m == NULL)
		return;
	memset(&bcast, 0xff, sizeof(bcast));
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)rte_pktmbuf_append(
		m, RTE_ETHER_HDR_LEN + sizeof(struct rte_arp_hdr));
	rte_ether_addr_copy(&bcast, &eth->dst_addr);
	rte_ether_addr_copy(&c->dp->ports[p].mac, &eth->src_addr);
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	arp_fill((struct rte_arp_hdr *)(eth + 1), RTE_ARP_OP_REQUEST, &c->dp->ports[p].mac,
		 sip->b, &zero, tip->b);
	aw_tx_enqueue(c, m, p, true);
}

static void
probe_entry(int32_t pos, void *arg)
{
	struct aw_lcore_ctx *c = arg;
	const struct aw_addr *addr = aw_neigh_addr(c->dp->neigh, pos);
	uint8_t pidx = aw_neigh_port(c->dp->neigh, pos);
	const struct aw_port *port = &c->dp->ports[pidx];
	struct aw_addr src;

	if (!aw_slow_source_addr(port, addr, &src))
		return; /* no address of that family on the port: it will fail */
	if (addr->family == AW_AF_INET4) {
		c->stats.info[AW_INFO_ARP_REQUESTS]++;
		aw_slow_send_arp(c, pidx, &src, addr);
	} else {
		c->stats.info[AW_INFO_ND_SOLICITS]++;
		aw_nd_send_ns(c, pidx, &src, addr);
	}
}

static void
fail_pending(struct rte_mbuf *m, void *arg)
{
	aw_drop(arg, m, AW_DROP_NEIGH_UNRESOLVED);
}

/* A routed packet whose next hop the fast path could not resolve. */
static void
resolve_input(struct aw_lcore_ctx *c, struct rte_mbuf *m)
{
	struct aw_dp *dp = c->dp;
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, L3_OFF);
	int v6 = (ip[0] >> 4) == 6;
	const uint8_t *dst = v6 ? ip + 24 : ip + 16;
	const struct aw_nexthop *nh = aw_route_lookup(dp->routes, dst, v6);
	struct rte_ether_addr mac;
	struct aw_addr key;
	uint8_t nport;

	if (nh == NULL)
		return aw_drop(c, m, AW_DROP_NO_ROUTE);
	if (nh->has_gw)
		key = nh->gw;
	else if (v6)
		aw_addr_set6(&key, dst);
	else
		aw_addr_set4(&key, dst);
	if (aw_neigh_lookup(dp->neigh, &key, &mac, &nport)) { /* resolved meanwhile */
		aw_l2_finish(dp, m, nh->port, &mac);
		return aw_tx_enqueue(c, m, nh->port, false);
	}
	int32_t pos = aw_neigh_get_or_create(dp->neigh, &key, nh->port);
	if (pos < 0)
		return aw_drop(c, m, AW_DROP_NEIGH_TABLE_FULL);
	uint64_t now = rte_rdtsc();
	if (!aw_neigh_restart(dp->neigh, pos, now))
		return aw_drop(c, m, AW_DROP_NEIGH_UNRESOLVED);
	if (!aw_neigh_enqueue(dp->neigh, pos, m))
		return aw_drop(c, m, AW_DROP_NEIGH_PENDING_FULL);
	c->stats.info[AW_INFO_PENDING_QUEUED]++;
	if (aw_neigh_first_probe(dp->neigh, pos, now)) /* first probe at once */
		probe_entry(pos, c);
}

void
aw_slow_input(struct aw_lcore_ctx *c, struct rte_mbuf *m)
{
	switch (aw_meta(m)->arg) {
	case AW_SLOW_ARP:
		return arp_input(c, m);
	case AW_SLOW_ND:
		return aw_nd_input(c, m);
	default:
		return resolve_input(c, m);
	}
}

static void
announce(struct aw_lcore_ctx *c, const struct aw_addr *vip)
{
	for (unsigned p = 0; p < c->dp->n_ports; p++) {
		c->stats.info[AW_INFO_GRATUITOUS]++;
		if (vip->family == AW_AF_INET4)
			aw_slow_send_arp(c, p, vip, vip);
		else
			aw_nd_send_unsolicited_na(c, p, vip);
	}
}

void
aw_slow_poll(struct aw_lcore_ctx *c)
{
	struct aw_dp *dp = c->dp;
	struct rte_mbuf *pkts[32];
	void *msgs[8];
	unsigned n;

	n = rte_ring_sc_dequeue_burst(dp->slow_ring, (void **)pkts, RTE_DIM(pkts), NULL);
	for (unsigned i = 0; i < n; i++)
		aw_slow_input(c, pkts[i]);
	n = rte_ring_sc_dequeue_burst(dp->ctl_ring, msgs, RTE_DIM(msgs), NULL);
	for (unsigned i = 0; i < n; i++) {
		announce(c, &((struct aw_ctl_msg *)msgs[i])->vip);
		free(msgs[i]);
	}
	uint64_t now = rte_rdtsc();
	if (now >= c->next_timer_tsc) { /* every millisecond, bounded work */
		c->next_timer_tsc = now + dp->tsc_hz / 1000;
		aw_neigh_timers(dp->neigh, now, TIMER_BUDGET, probe_entry, fail_pending, c);
	}
}

void
aw_slow_drain_all(struct aw_lcore_ctx *c)
{
	struct rte_mbuf *m;
	void *msg;

	while (c->dp->slow_ring && rte_ring_sc_dequeue(c->dp->slow_ring, (void **)&m) == 0)
		aw_drop(c, m, AW_DROP_SHUTDOWN);
	while (c->dp->ctl_ring && rte_ring_sc_dequeue(c->dp->ctl_ring, &msg) == 0)
		free(msg);
}
