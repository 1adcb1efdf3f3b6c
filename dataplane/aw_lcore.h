/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_lcore — the poll loops of every lcore role and the setup that gives each
 * lcore its context, queues and rings (SPEC §2):
 *  - rtc: poll own RX queues, process, transmit on own TX queues;
 *  - pipeline: RX stamps sequence numbers and spreads bursts round-robin over
 *    workers through SPSC rings; workers process; TX restores arrival order
 *    (aw_reorder) and acts on the verdicts.
 * Every loop reports an RCU quiescent state once per iteration and, with
 * idle_sleep_us > 0, sleeps (RCU offline) after a run of empty polls so that
 * several DPDK processes can share cores.
 *
 * Contract: aw_lcores_setup / aw_lcores_teardown on the main thread while no
 * lcore runs; aw_lcore_main is the entry of every lcore (rte_eal_mp_remote_launch
 * with CALL_MAIN); it returns when dp->stop becomes true.
 */
#ifndef AW_LCORE_H
#define AW_LCORE_H

#include "aw_dp.h"

/* Counts of lcores that poll RX queues and that own TX queues (for ports). */
void aw_lcores_layout(const struct aw_config *cfg, unsigned *n_rx, unsigned *n_tx);
int aw_lcores_setup(struct aw_dp *dp, char *err, size_t errlen);
int aw_lcore_main(void *arg);
/* After every lcore returned: flushes or drops what is still in flight. */
void aw_lcores_teardown(struct aw_dp *dp);

#endif /* AW_LCORE_H */
