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

struct ab_scen {
	const char *name;
	const char *what;      /* one line for --help and the summary */
	bool random_order;     /* flows in a random permutation, else round robin */
	const char *missing;   /* NULL when runnable, else why not */
};

/* NULL when the name is unknown. */
const struct ab_scen *ab_scen_find(const char *name);
/* Comma-separated list of every name, for error messages. */
const char *ab_scen_names(void);

#endif /* AB_SCEN_H */
