/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * anyway-ctl: the overlay gateway's commands (SPEC §6): the data plane's
 * gateway.list as a paged table (PATH_ID SUITE NODE_ADDR BOUND IDLE_S
 * COUNTERS), the map server's gateway.list (refused entries first, never a
 * key), and the arguments of gateway add (both daemons).
 * Contract: anyway-ctl's one thread, called from the command table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define DP_COLS 6

static void
gateway_row(struct ctl_table *t, const json_t *g)
{
	char *c[DP_COLS];

	c[0] = ctl_cell(json_object_get(g, "path_id"));
	c[1] = ctl_cell(json_object_get(g, "suite"));
	c[2] = ctl_cell(json_object_get(g, "node_addr"));
	c[3] = json_is_true(json_object_get(g, "bound")) ? ctl_endpoint_cell(g) : strdup("-");
	c[4] = ctl_cell(json_object_get(g, "idle_s"));
	c[5] = ctl_nonzero_cell(json_object_get(g, "counters"));
	ctl_table_row(t, (const char *const *)c);
	for (int k = 0; k < DP_COLS; k++)
		free(c[k]);
}

static const char *const gateway_columns[DP_COLS + 1] = {"PATH_ID", "SUITE", "NODE_ADDR", "BOUND",
							 "IDLE_S", "COUNTERS", NULL};
const struct ctl_pager ctl_gateways_pager = {gateway_columns, gateway_row};

#define MAPD_COLS 8

/* One gateway of the map: its parameters (never the key) and its last refusal. */
static void
mapd_gateway_row(struct ctl_table *t, const json_t *g)
{
	static const char *const keys[] = {"path_id", "suite", "node_addr", "idle_timeout_s"};
	char *c[MAPD_COLS];

	for (int k = 0; k < 4; k++)
		c[k] = ctl_cell(json_object_get(g, keys[k]));
	ctl_refusal_cells(g, c + 4);
	ctl_table_row(t, (const char *const *)c);
	for (int k = 0; k < MAPD_COLS; k++)
		free(c[k]);
}

int
ctl_show_mapd_gateways(const struct ctl_cmd *c, const json_t *reply)
{
	static const char *const hdr[MAPD_COLS + 1] = {"PATH_ID",    "SUITE",    "NODE_ADDR",
						       "IDLE_S",     "REFUSED_BY", "REFUSALS",
						       "AGE_MS",     "ERROR",    NULL};

	return ctl_show_refusals(c, reply, "gateways", hdr, mapd_gateway_row);
}

/* PATH_ID END_KEY NODE_ADDR [suite 1|2] [idle S] (data plane or map server);
 * the daemon checks the values (lib/proto aw_msg_gateway_check). */
int
ctl_parse_gateway_add(const struct ctl_cmd *c, int argc, char **argv, json_t *req)
{
	static const struct ctl_kw kw[] = {
		{"suite", "suite", 1, 2},
		{"idle", "idle_timeout_s", 1, 65535},
		{NULL, NULL, 0, 0},
	};

	json_object_set_new(req, "path_id", json_string(argv[0]));
	json_object_set_new(req, "end_key", json_string(argv[1]));
	json_object_set_new(req, "node_addr", json_string(argv[2]));
	json_object_set_new(req, "suite", json_integer(1));
	return ctl_parse_keywords(c, kw, argc - 3, argv + 3, req);
}
