/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ab_opts — anyway-bench's own options (those after "--"), parsed and
 * validated whole before anything starts. Every error is one line naming the
 * option and what was expected; the caller exits with code 2.
 *
 * Contract: main thread, before or after rte_eal_init; no EAL needed.
 */
#ifndef AB_OPTS_H
#define AB_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define AB_MAX_FLOWS    (1u << 22)
#define AB_MAX_BURST    256
#define AB_MAX_PKT_SIZE 9000

struct ab_opts {
	const char *scenario;   /* required */
	uint32_t flows;         /* distinct flows (addresses / ports vary per flow) */
	uint32_t pkt_size;      /* frame length without FCS, bytes */
	uint32_t burst;         /* packets per TX / RX burst */
	double duration_s;      /* traffic time; 0 with --packets */
	uint64_t packets;       /* stop after this many generated packets (0: by duration) */
	uint64_t rate_pps;      /* offered rate; 0: as fast as possible */
	double period_s;        /* periodic stats interval; 0: none */
	double link_wait_s;     /* how long to wait for the ports' links */
	double drain_s;         /* how long to collect what is in flight after TX stops */
	const char *dp_api;     /* data plane JSON API socket: drops by reason */
	const char *templates;  /* directory of <scenario>.pcap templates */
	const char *dp_config;  /* --in-process: the data plane's JSON config */
	bool in_process;
	bool check_only;       /* --check: validate options, scenario, template; exit */
	uint32_t tx_port;       /* DPDK port id the generator sends on */
	uint64_t seed;          /* random flow order (asrs-established) */
	uint32_t suite;         /* TRS cipher suite of the paths (trs-signaling) */
	uint64_t warmup;        /* --warmup: untimed leading packets of asrs-new (in process) */
	bool warmup_given;      /* else the default (ab_warmup_packets) */
};

/* Fills o from argv (argv[0] is the program). 0: ok; 1: --help printed;
 * -1: err holds "option: what was expected". */
int ab_opts_parse(struct ab_opts *o, int argc, char **argv, char *err, size_t errlen);
void ab_opts_usage(FILE *f, const char *prog);

#endif /* AB_OPTS_H */
