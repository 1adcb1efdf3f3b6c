/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_dp — the start every data plane fuzz target shares: EAL with --no-huge
 * and two net_null ports, then (but for fuzz_config) a real data plane
 * instance (aw_dp_init) from a JSON config held in the target. Called once,
 * from the target's first input.
 */
#ifndef FUZZ_DP_H
#define FUZZ_DP_H

#include <stddef.h>
#include <stdint.h>

#include "aw_dp_init.h"

/* EAL alone (--no-huge, net_null0 and net_null1, file prefix "awf<tag><pid>");
 * exits 77 (skipped) when EAL cannot start. */
void fuzz_eal_start(const char *tag);

/* `tag` names the run's DPDK file prefix and temp config ("awf<tag><pid>").
 * Exits 77 (skipped) when EAL cannot start, 1 when the config or the
 * instance fails; returns only with *dp ready. */
void fuzz_dp_start(const char *tag, const char *config_json, struct aw_config *cfg,
		   struct aw_dp *dp);

/* A frame from 10.1.0.2 / 2001:db8:1::2 on port 0 to port 0's address (the
 * family: bit 0 of sel; source port 40000 + bits 1-2), UDP to dport, then
 * the payload pl[0..n) (n <= 1400); returns the frame length (buffer: 1500). */
size_t fuzz_udp_frame(uint8_t *b, uint8_t sel, uint16_t dport, const uint8_t *pl, size_t n);

#endif /* FUZZ_DP_H */
