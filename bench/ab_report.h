/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ab_report — what anyway-bench prints: periodic per-port statistics in
 * testpmd's shape (`show port stats`: RX/TX packets, bytes, errors and drops,
 * Rx-pps / Tx-pps since the last show), the final summary, one RESULT line
 * for scripts, and the data plane's drops by reason read from its JSON API.
 *
 * Contract: main lcore only (the one that runs the traffic loop); the
 * periodic print happens between bursts, never per packet.
 */
#ifndef AB_REPORT_H
#define AB_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "ab_opts.h"
#include "ab_scen.h"
#include "ab_traffic.h"

#define AB_MAX_PORTS 8

struct ab_port_prev {
	uint64_t ipackets, opackets, ibytes, obytes;
	uint64_t tsc;
};

struct ab_result {
	const struct ab_opts *o;
	const struct ab_scen *s;
	const char *mode;          /* "ports" or "in-process" */
	double seconds;            /* from the first packet sent to the last one */
	uint64_t generated;        /* packets handed to the port (or the data plane) */
	uint64_t tx_retries;       /* bursts the port did not take whole at once */
	const struct ab_sink *sink;
	double cycles_per_pkt;     /* bench lcore TSC per received packet (ports) */
	double dp_cycles_per_pkt;  /* data plane burst functions (in process), else < 0 */
	uint64_t sign_failed;      /* TRS messages the generator could not tag */
	double reorder_cycles_per_pkt; /* in-process pipeline: reorder stage, else < 0 */
};

/* testpmd-style block for every port; updates prev. */
void ab_report_ports(uint16_t n_ports, struct ab_port_prev *prev, uint64_t tsc_hz);
void ab_report_summary(const struct ab_result *r);
/* Prints the data plane's stats (rx, tx, drops by reason) from its API.
 * -1 when the API did not answer (a line says why). */
int ab_report_dp_api(const char *path);

#endif /* AB_REPORT_H */
