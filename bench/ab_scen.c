/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ab_scen — the scenario table (see ab_scen.h). A scenario's traffic and the
 * data plane config it runs against come from bench/templates.py; the flags
 * here say how anyway-bench sends it.
 */
#include <string.h>

#include "ab_scen.h"

#define TRS_PORT 7811

static const struct ab_scen scens[] = {
	{.name = "plain", .what = "routed UDP/IPv4, no feature: the I/O floor"},
	{.name = "pipeline", .what = "one elephant flow through the pipeline mode's workers, "
	 "order checked"},
	{.name = "asrs-established", .what = "UDP to an ASRS listener, N existing sessions in "
	 "random order", .random_order = true, .warmup = true},
	{.name = "asrs-new", .what = "UDP to an ASRS listener, a new session per packet",
	 .new_per_packet = true},
	{.name = "asrs-redirect", .what = "UDP to an ASRS listener whose flows another cluster "
	 "member owns: every packet encapsulated to it (SPEC 8)", .random_order = true,
	 .out_grow = 52, /* outer IPv4 + UDP + cluster header */
	 .dp_request = "{\"op\":\"cluster.set\",\"epoch\":1,\"members\":["
		       "{\"id\":\"bench-a\",\"addr\":\"10.2.0.1\",\"state\":\"down\"},"
		       "{\"id\":\"bench-b\",\"addr\":\"10.2.0.2\",\"state\":\"active\"}]}"},
	{.name = "trs-capsule", .what = "TRS capsules over N bound relay paths, IPv4 to IPv4",
	 .random_order = true, .setup = true, .trs_port = TRS_PORT},
	{.name = "trs-signaling", .what = "TRS TUNNEL_REQUESTs over N bound paths, each tagged "
	 "by the generator and verified by the relay", .random_order = true, .setup = true,
	 .trs_port = TRS_PORT, .sign = true},
	{.name = "gateway-in", .what = "CAPSULEs of N bound gateway paths, each sealed by the "
	 "generator; the gateway opens them and routes the inner packet to a host",
	 .random_order = true, .gw = AB_GW_IN},
	{.name = "gateway-out", .what = "plain packets to the nodes of N bound gateway paths; the "
	 "gateway seals them into CAPSULEs, the sink opens them", .random_order = true,
	 .gw = AB_GW_OUT},
	{.name = "mixed", .what = "transit, ASRS sessions and TRS capsules interleaved",
	 .random_order = true, .warmup = true, .setup = true, .trs_port = TRS_PORT},
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
	return "plain, pipeline, asrs-established, asrs-new, asrs-redirect, trs-capsule, trs-signaling, gateway-in, gateway-out, mixed";
}
