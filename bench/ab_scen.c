/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ab_scen — the scenario table (see ab_scen.h). When a feature lands in the
 * data plane, its scenarios get templates in bench/templates.py, a data plane
 * config there, and `missing = NULL` here.
 */
#include <string.h>

#include "ab_scen.h"

#define NEEDS_ASRS "needs the ASRS service router (SPEC §4), which this data plane does not " \
		   "implement yet (config key asrs is rejected)"
#define NEEDS_TRS "needs the TRS relay (SPEC §5), which this data plane does not implement " \
		  "yet (config key trs is rejected)"

static const struct ab_scen scens[] = {
	{"plain", "routed UDP/IPv4, no feature: the I/O floor", false, NULL},
	{"pipeline", "one elephant flow through the pipeline mode's workers, order checked",
	 false, NULL},
	{"asrs-established", "N existing ASRS sessions in random order", true, NEEDS_ASRS},
	{"asrs-new", "a new ASRS session per packet (session setup rate)", false, NEEDS_ASRS},
	{"trs-capsule", "TRS capsules over N relay paths", true, NEEDS_TRS},
	{"trs-signaling", "TRS signaling messages (tag verification)", false, NEEDS_TRS},
	{"mixed", "ASRS sessions, new sessions and TRS capsules together", true,
	 "needs both the ASRS service router and the TRS relay, which this data plane does "
	 "not implement yet"},
};

const struct ab_scen *
ab_scen_find(const char *name)
{
	for (size_t i = 0; i < sizeof(scens) / sizeof(scens[0]); i++)
		if (strcmp(scens[i].name, name) == 0)
			return &scens[i];
	return NULL;
}

const char *
ab_scen_names(void)
{
	return "plain, pipeline, asrs-established, asrs-new, trs-capsule, trs-signaling, mixed";
}
