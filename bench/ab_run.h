/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ab_run — the two ways anyway-bench runs a scenario (SPEC §10):
 *  - through ports: generator and sink on this process's ports (net_memif
 *    joined to a data plane or to testpmd in another process);
 *  - in process: the data plane's burst functions (aw_process_burst, verdict
 *    dispatch, TX) on mbufs built here, ports on net_ring so the sink reads
 *    back what the data plane sent.
 *
 * Before the timed part: the setup frames (their answers are read and not
 * counted; the TRS scenarios' path binding is checked: a run where not every
 * path got bound is refused), then for scenarios with warm-up one packet per flow, drained;
 * counters and rates cover only what follows.
 *
 * Contract: main lcore, after rte_eal_init; `stop` is set by the signal
 * handler. Return: 0 when traffic ran, 1 on a runtime failure (message
 * printed on stderr; the summary is still printed when traffic ran), 2 for
 * a refused run, 3 when traffic ran and the run is INVALID (ab_report.h).
 */
#ifndef AB_RUN_H
#define AB_RUN_H

#include <stdbool.h>

#include "ab_bind.h"
#include "ab_gw.h"
#include "ab_opts.h"
#include "ab_sign.h"
#include "ab_scen.h"
#include "ab_tmpl.h"

/* What a scenario sends: the template, and frames sent as they are before
 * any timed traffic, per port (setup[p] on port p: TRS path binding, or the
 * gateway's binding capsules that ab_gw makes). */
struct ab_input {
	struct ab_tmpl t;
	struct ab_raw setup[2];    /* gateway scenarios: the binding capsules on port 0 */
	struct ab_bind bind;       /* TRS scenarios: their paths' binding (bind.n == 0 otherwise) */
	struct ab_signer signer;   /* scenarios that sign (e->n == 0 otherwise) */
	unsigned tail_gap;         /* bytes after the stamp: a TRS tag when signing */
	struct ab_gw gw;           /* gateway scenarios (gw.e == NULL otherwise) */
};

int ab_run_ports(const struct ab_opts *o, const struct ab_scen *s, const struct ab_input *in,
		 volatile bool *stop);
int ab_run_in_process(const struct ab_opts *o, const struct ab_scen *s,
		      const struct ab_input *in, volatile bool *stop);

#endif /* AB_RUN_H */
