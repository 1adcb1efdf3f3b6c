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
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

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
	uint64_t sign_failed;      /* TRS messages the generator could not tag or seal */
	double reorder_cycles_per_pkt; /* in-process pipeline: reorder stage, else < 0 */
	/* Honesty (bench/README.md "Valid runs"): */
	bool checked;              /* the data plane's drops were read (else: unchecked) */
	const char *invalid;       /* drops other than tx_full, "reason:n,...": INVALID; NULL: none */
	double gen_idle;           /* share of the generator's TSC cycles in loop iterations
				    * that moved nothing (TX refused, RX empty), < 0: n/a */
	double dp_idle;            /* share of the data plane's TSC cycles in idle loop
				    * iterations and sleeps, < 0: n/a */
	double dp_idle_s;          /* through ports: the seconds from the start of timing
				    * that dp_idle covers (to the end of TX and the API's
				    * answer), < 0: n/a */
	double dp_share;           /* in process: data plane share of the lcore's cycles, else < 0 */
	uint64_t warmup;           /* in process, asrs-new: leading packets run untimed */
};

/* The result's verdict word: "valid", "INVALID" or "unchecked". */
const char *ab_result_verdict(const struct ab_result *r);
/* Which side limited the rate: "rate" (--rate), "dataplane", "generator", or
 * "link" (through ports, both sides mostly idle: neither was busy). Pure. */
const char *ab_result_bottleneck(const struct ab_result *r);

/* testpmd-style block for every port; updates prev. */
void ab_report_ports(uint16_t n_ports, struct ab_port_prev *prev, uint64_t tsc_hz);
void ab_report_summary(const struct ab_result *r);
/* Prints the data plane's stats (rx, tx, drops by reason) from its API.
 * -1 when the API did not answer (a line says why). */
int ab_report_dp_api(const char *path);
/* The data plane's `stats` reply from its API (caller json_decref's it; its
 * "drops" and "counters" objects feed the two calls below); NULL when the API
 * did not answer. */
json_t *ab_dp_stats(const char *path);
/* The share of the data plane's TSC cycles spent in loop iterations that
 * found nothing to do (idle sleeps included) between two ab_dp_stats
 * snapshots (counters cycles_idle / cycles_busy, every lcore together: a
 * share of time, where polls_idle / polls_busy would count a cheap empty
 * poll like a full burst); < 0 when not known (an older data plane). */
double ab_dp_idle_share(const json_t *before, const json_t *after);
/* Drops in `after` minus `before` (NULL: zero), tx_full left out, as
 * "reason:n,reason:n" in out. Returns how many reasons were written. */
int ab_drops_invalid(const json_t *before, const json_t *after, char *out, size_t len);

#endif /* AB_REPORT_H */
