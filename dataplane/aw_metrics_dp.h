/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_metrics_dp — the data plane's OpenMetrics text (SPEC §11), served by the
 * API thread on `metrics.listen` (aw_api.c, with lib/ctlnet aw_metrics_http):
 *  - totals: anyway_dp_{rx,tx,consumed,originated}_packets_total,
 *    anyway_dp_{rx,tx}_bytes_total, anyway_dp_in_flight_packets (gauge);
 *  - anyway_dp_drops_total{reason}: every drop reason, zeros included;
 *  - anyway_dp_<counter>_total: every informational counter (aw_counters.h);
 *  - per lcore: anyway_dp_lcore_{rx,tx,dropped}_packets_total{lcore};
 *  - per port (rte_eth_stats): anyway_dp_port_{rx,tx}_{packets,bytes}_total,
 *    anyway_dp_port_{rx,tx}_errors_total, anyway_dp_port_rx_missed_total,
 *    anyway_dp_port_rx_nombuf_total{port}; per queue
 *    anyway_dp_port_{rx,tx}_queue_packets_total{port,queue}; the device's
 *    extended loss counters anyway_dp_port_xstat_losses_total{port,name}
 *    (xstats named *error*, *drop*, *discard*, *miss*, *fail*);
 *  - each running feature's stats section typed by its ops.metrics table,
 *    then its ops.metrics_more families (aw_feature.h).
 *
 * Contract: the API thread (or any control thread: it reads the per-lcore
 * counters as aw_stats.h does); dp is running or stopped, never freed while
 * this runs. Writes families only: the caller ends with aw_metrics_end().
 */
#ifndef AW_METRICS_DP_H
#define AW_METRICS_DP_H

#include "aw_dp.h"
#include "aw_metrics.h"

void aw_metrics_dp(const struct aw_dp *dp, struct aw_metrics *w);

#endif /* AW_METRICS_DP_H */
