/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ab_scen — the benchmark's scenarios: what traffic each one sends (template
 * file, flow order) and whether this build can run it. A scenario whose data
 * plane feature is not built refuses to run with a message saying so; it
 * never reports numbers it did not measure.
 *
 * Contract: a constant table; any thread.
 */
#ifndef AB_SCEN_H
#define AB_SCEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { AB_GW_IN = 1, AB_GW_OUT = 2 };

struct ab_scen {
	const char *name;
	const char *what;      /* one line for --help and the summary */
	bool random_order;     /* flows in a random permutation, else round robin */
	bool warmup;           /* one untimed packet per flow first (sessions exist) */
	bool new_per_packet;   /* every timed packet opens a flow: --packets <= --flows */
	bool setup;            /* <name>.setup<port>.pcap sent first, one frame per flow on port 0 */
	uint16_t trs_port;     /* UDP frames to this port are TRS messages; 0: none */
	bool sign;             /* TRS frames signed per packet (fresh seq, tag) */
	uint16_t out_grow;     /* bytes the data plane adds to each frame (encapsulation) */
	uint8_t gw;            /* AB_GW_IN / AB_GW_OUT: gateway capsules (ab_gw.h); 0: none */
	const char *dp_request; /* in process: a data plane API request sent before traffic */
	const char *missing;   /* NULL when runnable, else why not */
};

/* NULL when the name is unknown. */
const struct ab_scen *ab_scen_find(const char *name);
/* Comma-separated list of every name, for error messages. */
const char *ab_scen_names(void);

#endif /* AB_SCEN_H */
