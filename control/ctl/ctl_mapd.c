/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * anyway-ctl: the parsers and formatters of the map server's commands (SPEC
 * §7.1: service.list / service.get as admin, register / deregister as
 * registrar; control/PROTOCOL.md: relay.list with the refusals the agents
 * reported, subscriber.list with the limits' counters) in the command table;
 * the agent's status and the other map server commands use the generic ones.
 * See ctl.h for the contract.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define REG_DEFAULT_PRIORITY 0
#define REG_DEFAULT_WEIGHT   100
#define REG_DEFAULT_TTL      30

/* The map: its services, then "version N". */
int
ctl_show_mapd_services(const struct ctl_cmd *c, const json_t *reply)
{
	const json_t *svcs, *version = json_object_get(reply, "version");
	int rc = ctl_reply_array(c, reply, "services", &svcs);

	if (rc == CTL_OK)
		ctl_print_services(svcs);
	if (json_is_integer(version))
		printf("version %lld\n", (long long)json_integer_value(version));
	return rc;
}

/* One service: its members at top level, or under "service". */
int
ctl_show_mapd_service(const struct ctl_cmd *c, const json_t *reply)
{
	const json_t *s = json_object_get(reply, "service");
	json_t *one = json_array();
	(void)c;

	json_array_append(one, json_is_object(s) ? (json_t *)s : (json_t *)reply);
	ctl_print_services(one);
	json_decref(one);
	return CTL_OK;
}

void
ctl_refusal_cells(const json_t *entry, char **cells)
{
	static const char *const keys[] = {"by", "count", "age_ms", "error"};
	const json_t *refused = json_object_get(entry, "refused");

	for (int k = 0; k < 4; k++)
		cells[k] = ctl_cell(json_object_get(refused, keys[k]));
}

#define RELAY_COLS 9

/* One relay of the map: its parameters (never a key), its rate ("pps=N
 * bytes_per_s=N burst=N", the non-zero members) and its last refusal. */
static void
mapd_relay_row(struct ctl_table *t, const json_t *r)
{
	static const char *const keys[] = {"path_id", "suite", "idle_timeout_s",
					   "bind_timeout_s"};
	char *c[RELAY_COLS];

	for (int k = 0; k < 4; k++)
		c[k] = ctl_cell(json_object_get(r, keys[k]));
	c[4] = ctl_nonzero_cell(json_object_get(r, "rate"));
	ctl_refusal_cells(r, c + 5);
	ctl_table_row(t, (const char *const *)c);
	for (int k = 0; k < RELAY_COLS; k++)
		free(c[k]);
}

/* Refused entries first (the map server's order), then "N <key>, M refused",
 * with how many the reply left out. */
int
ctl_show_refusals(const struct ctl_cmd *c, const json_t *reply, const char *key,
		  const char *const *hdr, ctl_row_fn row)
{
	const json_t *list;
	int rc = ctl_reply_array(c, reply, key, &list);
	long long total = json_integer_value(json_object_get(reply, "total"));
	long long left_out = json_integer_value(json_object_get(reply, "left_out"));
	size_t i, refused = 0;
	json_t *e;

	if (rc != CTL_OK)
		return rc;
	struct ctl_table *t = ctl_table_new(hdr);
	json_array_foreach((json_t *)list, i, e) {
		row(t, e);
		refused += json_object_get(e, "refused") != NULL;
	}
	if (json_array_size(list) > 0)
		ctl_table_print(t);
	else
		ctl_table_free(t);
	printf("%zu %s, %zu refused", json_array_size(list), key, refused);
	if (left_out > 0)
		printf(" (%lld of %lld left out)", left_out, total);
	printf("\n");
	return CTL_OK;
}

int
ctl_show_mapd_relays(const struct ctl_cmd *c, const json_t *reply)
{
	static const char *const hdr[RELAY_COLS + 1] = {
		"PATH_ID", "SUITE", "IDLE_S", "BIND_S", "RATE", "REFUSED_BY", "REFUSALS",
		"AGE_MS", "ERROR", NULL};

	return ctl_show_refusals(c, reply, "relays", hdr, mapd_relay_row);
}

/* subscriber.list: the subscribers, then the limits' counters. */
int
ctl_show_mapd_subscribers(const struct ctl_cmd *c, const json_t *reply)
{
	const json_t *subs, *limits = json_object_get(reply, "limits");
	int rc = ctl_reply_array(c, reply, "subscribers", &subs);

	if (rc != CTL_OK)
		return rc;
	ctl_print_array(subs);
	if (json_is_object(limits)) {
		printf("\nlimits:\n");
		ctl_print_object(limits, NULL);
	}
	return CTL_OK;
}

/* URI ADDR PORT, the start of register and deregister. */
static int
parse_reg_key(int argc, char **argv, json_t *req)
{
	long long port;
	(void)argc;

	if (ctl_parse_int(argv[2], "port", 1, 65535, &port) != CTL_OK)
		return CTL_USAGE;
	json_object_set_new(req, "service", json_string(argv[0]));
	json_object_set_new(req, "addr", json_string(argv[1]));
	json_object_set_new(req, "port", json_integer(port));
	return CTL_OK;
}

/* URI ADDR PORT [priority N] [weight W] [ttl S] */
int
ctl_parse_register(const struct ctl_cmd *c, int argc, char **argv, json_t *req)
{
	static const struct ctl_kw kw[] = {
		{"priority", "priority", 0, 65535},
		{"weight", "weight", 0, 65535},
		{"ttl", "ttl", 1, 86400},
		{NULL, NULL, 0, 0},
	};

	if ((argc - 3) % 2 != 0) /* a usage error before a bad port */
		return ctl_cmd_usage(c);
	if (parse_reg_key(argc, argv, req) != CTL_OK)
		return CTL_USAGE;
	json_object_set_new(req, "priority", json_integer(REG_DEFAULT_PRIORITY));
	json_object_set_new(req, "weight", json_integer(REG_DEFAULT_WEIGHT));
	json_object_set_new(req, "ttl", json_integer(REG_DEFAULT_TTL));
	return ctl_parse_keywords(c, kw, argc - 3, argv + 3, req);
}

/* URI ADDR PORT */
int
ctl_parse_deregister(const struct ctl_cmd *c, int argc, char **argv, json_t *req)
{
	(void)c;
	return parse_reg_key(argc, argv, req);
}
