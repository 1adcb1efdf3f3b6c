/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_dp — the start every data plane fuzz target shares: EAL with --no-huge
 * and two net_null ports, then (but for fuzz_config) a real data plane
 * instance (aw_dp_init) from a JSON config held in the target. Called once,
 * from the target's first input.
 */
#ifndef FUZZ_DP_H
#define FUZZ_DP_H

#include "aw_dp_init.h"

/* EAL alone (--no-huge, net_null0 and net_null1, file prefix "awf<tag><pid>");
 * exits 77 (skipped) when EAL cannot start. */
void fuzz_eal_start(const char *tag);

/* `tag` names the run's DPDK file prefix and temp config ("awf<tag><pid>").
 * Exits 77 (skipped) when EAL cannot start, 1 when the config or the
 * instance fails; returns only with *dp ready. */
void fuzz_dp_start(const char *tag, const char *config_json, struct aw_config *cfg,
		   struct aw_dp *dp);

#endif /* FUZZ_DP_H */
