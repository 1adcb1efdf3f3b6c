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

/* The non-zero counters as "k=v k=v", "-" when none. */
static char *
counters_cell(const json_t *ctrs)
{
	char buf[512] = "";
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)ctrs, k, v) {
		size_t n = strlen(buf);
		if (json_is_integer(v) && json_integer_value(v) != 0 && n < sizeof(buf))
			snprintf(buf + n, sizeof(buf) - n, "%s%s=%lld", n ? " " : "", k,
				 (long long)json_integer_value(v));
	}
	return strdup(buf[0] ? buf : "-");
}

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
	c[5] = counters_cell(json_object_get(g, "counters"));
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
	static const char *const refused_keys[] = {"by", "count", "age_ms", "error"};
	const json_t *refused = json_object_get(g, "refused");
	char *c[MAPD_COLS];

	for (int k = 0; k < 4; k++)
		c[k] = ctl_cell(json_object_get(g, keys[k]));
	for (int k = 0; k < 4; k++)
		c[4 + k] = ctl_cell(json_object_get(refused, refused_keys[k]));
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
	const json_t *gws;
	int rc = ctl_reply_array(c, reply, "gateways", &gws);
	long long total = json_integer_value(json_object_get(reply, "total"));
	long long left_out = json_integer_value(json_object_get(reply, "left_out"));
	size_t i, refused = 0;
	json_t *g;

	if (rc != CTL_OK)
		return rc;
	struct ctl_table *t = ctl_table_new(hdr);
	json_array_foreach((json_t *)gws, i, g) {
		mapd_gateway_row(t, g);
		refused += json_object_get(g, "refused") != NULL;
	}
	if (json_array_size(gws) > 0)
		ctl_table_print(t);
	else
		ctl_table_free(t);
	printf("%zu gateways, %zu refused", json_array_size(gws), refused);
	if (left_out > 0)
		printf(" (%lld of %lld left out)", left_out, total);
	printf("\n");
	return CTL_OK;
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
