/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_stats — summing per-lcore counters and presenting them, for the JSON API
 * (`stats`) and DPDK telemetry (`/anyway/stats`).
 *
 * Contract: any non-lcore thread, while lcores run (see aw_counters.h for why
 * reading another lcore's plain counters is safe).
 */
#ifndef AW_STATS_H
#define AW_STATS_H

#include <jansson.h>

#include "aw_dp.h"

void aw_stats_sum(const struct aw_dp *dp, struct aw_stats *out);
/* {"rx":..,"tx":..,"consumed":..,"originated":..,"drops":{...},"drops_total":..,
 *  "counters":{...},"in_flight":..,"ports":[...],"lcores":[...],
 *  "time_ms": CLOCK_MONOTONIC ms at which they were read} */
json_t *aw_stats_json(const struct aw_dp *dp);
/* Registers /anyway/stats with DPDK telemetry for this dp. */
void aw_telemetry_register(const struct aw_dp *dp);

#endif /* AW_STATS_H */
