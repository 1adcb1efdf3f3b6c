/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_port — bringing DPDK ports up from the config: queues (one RX queue per
 * polling lcore with RSS where the device has it, one TX queue per
 * transmitting lcore), MAC override, MTU, promiscuous mode; and stopping them.
 *
 * Contract: main thread only, before lcores start / after they stopped.
 */
#ifndef AW_PORT_H
#define AW_PORT_H

#include "aw_dp.h"

/* Creates the mbuf pool sized for the largest MTU. */
int aw_ports_pool(struct aw_dp *dp, char *err, size_t errlen);
/* Configures and starts every port; n_rx_lcores / n_tx_lcores are how many
 * lcores poll / transmit on each port. */
int aw_ports_start(struct aw_dp *dp, unsigned n_rx_lcores, unsigned n_tx_lcores, char *err,
		   size_t errlen);
void aw_ports_stop(struct aw_dp *dp);

#endif /* AW_PORT_H */
