/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_port.h"

#include <stdio.h>

#include <rte_ethdev.h>
#include <rte_log.h>

#include "aw_log.h"

#define RX_DESC 1024
#define TX_DESC 1024
#define DEFAULT_MTU 1500

int
aw_ports_pool(struct aw_dp *dp, char *err, size_t errlen)
{
	unsigned max_mtu = DEFAULT_MTU;
	for (unsigned i = 0; i < dp->cfg->n_ports; i++)
		max_mtu = RTE_MAX(max_mtu, (unsigned)dp->cfg->ports[i].mtu);
	unsigned room = RTE_MAX((unsigned)RTE_MBUF_DEFAULT_BUF_SIZE,
				(unsigned)RTE_PKTMBUF_HEADROOM + max_mtu + RTE_ETHER_HDR_LEN + 8);

	dp->pool = rte_pktmbuf_pool_create("aw_mbufs", dp->cfg->mbufs, 256, 0, (uint16_t)room,
					   (int)rte_socket_id());
	if (dp->pool == NULL) {
		snprintf(err, errlen, "cannot create a pool of %u mbufs (%s); lower \"mbufs\" or "
			 "add hugepages", dp->cfg->mbufs, rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

static int
configure(struct aw_dp *dp, struct aw_port *p, const struct aw_port_conf *pc, unsigned n_rx,
	  unsigned n_tx, char *err, size_t errlen)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf = {0};
	int rc = rte_eth_dev_info_get(p->port_id, &info);

	if (rc != 0)
		goto fail;
	rte_eth_dev_get_name_by_port(p->port_id, p->name);
	p->n_rxq = (uint16_t)(pc->rx_queues ? pc->rx_queues : n_rx);
	p->n_txq = (uint16_t)n_tx;
	if (p->n_rxq > info.max_rx_queues || p->n_txq > info.max_tx_queues) {
		snprintf(err, errlen, "port %u (%s): needs %u RX / %u TX queues for this lcore "
			 "layout, the device has %u / %u; use fewer lcores", p->port_id, p->name,
			 p->n_rxq, p->n_txq, info.max_rx_queues, info.max_tx_queues);
		return -1;
	}
	if (p->n_rxq > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) &
			info.flow_type_rss_offloads;
	}
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
	rc = rte_eth_dev_configure(p->port_id, p->n_rxq, p->n_txq, &conf);
	if (rc != 0)
		goto fail;
	uint16_t nrx = RX_DESC, ntx = TX_DESC;
	rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nrx, &ntx);
	for (uint16_t q = 0; q < p->n_rxq && rc == 0; q++)
		rc = rte_eth_rx_queue_setup(p->port_id, q, nrx, rte_eth_dev_socket_id(p->port_id),
					    NULL, dp->pool);
	for (uint16_t q = 0; q < p->n_txq && rc == 0; q++)
		rc = rte_eth_tx_queue_setup(p->port_id, q, ntx, rte_eth_dev_socket_id(p->port_id),
					    NULL);
	if (rc != 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "port %u (%s): setup failed: %s", p->port_id, p->name,
		 rte_strerror(-rc));
	return -1;
}

static void
set_l2(struct aw_port *p, const struct aw_port_conf *pc)
{
	int rc;

	if (pc->has_mac) {
		memcpy(p->mac.addr_bytes, pc->mac.b, 6);
		rc = rte_eth_dev_default_mac_addr_set(p->port_id, &p->mac);
		/* Devices that cannot change it (pcap, ring) still get the configured
		 * MAC in every frame we send; promiscuous mode makes frames to it
		 * arrive, and the fast path filters on it. */
		if (rc != 0)
			aw_log(AW_LOG_NOTICE, "port %u (%s): device keeps its MAC (%s); using "
					      "the configured one in software", p->port_id, p->name,
			       rte_strerror(-rc));
	} else {
		rte_eth_macaddr_get(p->port_id, &p->mac);
	}
	uint16_t mtu = pc->mtu ? pc->mtu : DEFAULT_MTU;
	/* The data plane enforces the MTU itself (ICMP too big / mtu_exceeded);
	 * a device that cannot take it (pcap) keeps its own for RX. */
	p->mtu = mtu;
	rc = rte_eth_dev_set_mtu(p->port_id, mtu);
	if (rc != 0 && pc->mtu != 0)
		aw_log(AW_LOG_NOTICE, "port %u (%s): device keeps its MTU (%s); enforcing %u "
				      "in software", p->port_id, p->name, rte_strerror(-rc), mtu);
	rte_eth_promiscuous_enable(p->port_id); /* best effort: we filter by MAC */
}

static void
copy_addrs(struct aw_port *p, const struct aw_port_conf *pc)
{
	p->n_addrs = pc->n_addrs;
	for (unsigned k = 0; k < pc->n_addrs; k++) {
		p->addrs[k] = pc->addrs[k];
		if (pc->addrs[k].addr.family == AW_AF_INET4 && !p->has_v4) {
			p->has_v4 = true;
			p->addr4 = pc->addrs[k].addr;
		} else if (pc->addrs[k].addr.family == AW_AF_INET6 && !p->has_v6) {
			p->has_v6 = true;
			p->addr6 = pc->addrs[k].addr;
		}
	}
}

int
aw_ports_start(struct aw_dp *dp, unsigned n_rx_lcores, unsigned n_tx_lcores, char *err,
	       size_t errlen)
{
	dp->n_ports = dp->cfg->n_ports;
	for (unsigned i = 0; i < dp->n_ports; i++) {
		const struct aw_port_conf *pc = &dp->cfg->ports[i];
		struct aw_port *p = &dp->ports[i];
		p->port_id = pc->port_id;
		copy_addrs(p, pc);
		if (configure(dp, p, pc, n_rx_lcores, n_tx_lcores, err, errlen) < 0)
			return -1;
		set_l2(p, pc);
		int rc = rte_eth_dev_start(p->port_id);
		p->started = rc == 0;
		if (rc != 0) {
			snprintf(err, errlen, "port %u (%s): start failed: %s", p->port_id,
				 p->name, rte_strerror(-rc));
			return -1;
		}
	}
	return 0;
}

void
aw_ports_stop(struct aw_dp *dp)
{
	for (unsigned i = 0; i < dp->n_ports; i++) {
		if (dp->ports[i].started)
			rte_eth_dev_stop(dp->ports[i].port_id);
		rte_eth_dev_close(dp->ports[i].port_id);
		dp->ports[i].started = false;
	}
}
