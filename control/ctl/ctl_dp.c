/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * anyway-ctl: the parsers and formatters of the data plane's commands
 * (dataplane/API.md) in the command table: stats, config, vip add, listener
 * add / del, service list / set, the paged session and relay lists, relay add
 * (which the map server takes too). See ctl.h for the contract.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* ---- stats and config ---------------------------------------------------- */

static void
print_ports(const json_t *ports)
{
	static const char *const hdr[] = {"PORT", "NAME", "MAC", "MTU", "RXQ", "TXQ",
					  "IPACKETS", "OPACKETS", "IERRORS", "OERRORS",
					  "IMISSED", "RX_NOMBUF", NULL};
	static const char *const keys[] = {"port", "name", "mac", "mtu", "rx_queues",
					   "tx_queues"};
	static const char *const hw_keys[] = {"ipackets", "opackets", "ierrors", "oerrors",
					      "imissed", "rx_nombuf"};
	struct ctl_table *t = ctl_table_new(hdr);
	size_t i;
	json_t *p;

	json_array_foreach((json_t *)ports, i, p) {
		char *c[12];
		for (int k = 0; k < 6; k++)
			c[k] = ctl_cell(json_object_get(p, keys[k]));
		for (int k = 0; k < 6; k++)
			c[6 + k] = ctl_cell(json_object_get(json_object_get(p, "hw"), hw_keys[k]));
		ctl_table_row(t, (const char *const *)c);
		for (int k = 0; k < 12; k++)
			free(c[k]);
	}
	ctl_table_print(t);
}

int
ctl_show_stats(const struct ctl_cmd *c, const json_t *s)
{
	static const char *const skip[] = {"drops", "counters", "ports", "lcores", "asrs",
					   "relay", "api", NULL};
	static const char *const sections[] = {"asrs", "relay", "api"};
	(void)c;

	ctl_print_object(s, skip);
	ctl_print_nonzero("drops", json_object_get(s, "drops"));
	ctl_print_nonzero("counters", json_object_get(s, "counters"));
	for (size_t f = 0; f < sizeof(sections) / sizeof(sections[0]); f++) {
		const json_t *o = json_object_get(s, sections[f]);
		if (json_is_object(o)) {
			printf("\n%s:\n", sections[f]);
			ctl_print_object(o, NULL);
		}
	}
	printf("\nports:\n");
	print_ports(json_object_get(s, "ports"));
	printf("\nlcores:\n");
	ctl_print_array(json_object_get(s, "lcores"));
	return CTL_OK;
}

int
ctl_show_config(const struct ctl_cmd *c, const json_t *reply)
{
	char *s = json_dumps(json_object_get(reply, "config"), JSON_INDENT(2));
	(void)c;

	printf("# %s\n%s\n", json_string_value(json_object_get(reply, "path")), s ? s : "null");
	free(s);
	return CTL_OK;
}

/* ---- vips, listeners, services ------------------------------------------ */

/* ADDR [aarp] */
int
ctl_parse_vip_add(const struct ctl_cmd *c, int argc, char **argv, json_t *req)
{
	if (argc == 2 && strcmp(argv[1], "aarp") != 0)
		return ctl_cmd_usage(c);
	json_object_set_new(req, "addr", json_string(argv[0]));
	json_object_set_new(req, "aarp", json_boolean(argc == 2));
	return CTL_OK;
}

/* VIP tcp|udp PORT [SERVICE] (the table allows SERVICE on add only) */
int
ctl_parse_listener(const struct ctl_cmd *c, int argc, char **argv, json_t *req)
{
	long long port;
	(void)c;

	if (strcmp(argv[1], "tcp") != 0 && strcmp(argv[1], "udp") != 0)
		return ctl_usage_error("listener: protocol must be tcp or udp, got '%s'", argv[1]);
	if (ctl_parse_int(argv[2], "port", 1, 65535, &port) != CTL_OK)
		return CTL_USAGE;
	json_object_set_new(req, "vip", json_string(argv[0]));
	json_object_set_new(req, "proto", json_string(argv[1]));
	json_object_set_new(req, "port", json_integer(port));
	if (argc == 4)
		json_object_set_new(req, "service", json_string(argv[3]));
	return CTL_OK;
}

int
ctl_show_services(const struct ctl_cmd *c, const json_t *reply)
{
	const json_t *svcs;
	int rc = ctl_reply_array(c, reply, "services", &svcs);

	if (rc == CTL_OK)
		ctl_print_services(svcs);
	return rc;
}

/* dest ADDR:PORT [priority N] [weight W] ... into a destinations array. */
static int
parse_dests(int argc, char **argv, json_t *dests)
{
	json_t *d = NULL;
	long long v;

	for (int i = 0; i < argc; i++) {
		const char *kw = argv[i];
		if (i + 1 >= argc)
			return ctl_usage_error("service set: '%s' needs a value", kw);
		if (strcmp(kw, "dest") == 0) {
			if (ctl_parse_endpoint(argv[++i], &d) != CTL_OK)
				return CTL_USAGE;
			json_array_append_new(dests, d);
		} else if (strcmp(kw, "priority") == 0 || strcmp(kw, "weight") == 0) {
			if (d == NULL)
				return ctl_usage_error("service set: '%s' before any 'dest'", kw);
			if (ctl_parse_int(argv[++i], kw, 0, 65535, &v) != CTL_OK)
				return CTL_USAGE;
			json_object_set_new(d, kw, json_integer(v));
		} else {
			return ctl_usage_error("service set: unknown keyword '%s' (dest, priority, "
					       "weight)", kw);
		}
	}
	return CTL_OK;
}

/* URI [dest ADDR:PORT [priority N] [weight W]]... */
int
ctl_parse_service_set(const struct ctl_cmd *c, int argc, char **argv, json_t *req)
{
	json_t *dests = json_array();
	(void)c;

	json_object_set_new(req, "service", json_string(argv[0]));
	json_object_set_new(req, "destinations", dests);
	return parse_dests(argc - 1, argv + 1, dests);
}

/* ---- sessions and relays ------------------------------------------------- */

static void
session_row(struct ctl_table *t, const json_t *s)
{
	static const char *const keys[] = {"proto", "client", "vip", "snat", "destination",
					   "service", "state", "idle_s"};
	char *c[8];

	for (int k = 0; k < 8; k++)
		c[k] = ctl_endpoint_cell(json_object_get(s, keys[k]));
	ctl_table_row(t, (const char *const *)c);
	for (int k = 0; k < 8; k++)
		free(c[k]);
}

static const char *const session_columns[] = {"PROTO", "CLIENT", "VIP", "SNAT", "DESTINATION",
					      "SERVICE", "STATE", "IDLE_S", NULL};
const struct ctl_pager ctl_sessions_pager = {session_columns, session_row};

static void
relay_row(struct ctl_table *t, const json_t *r)
{
	const json_t *sides = json_object_get(r, "sides");
	char *c[6];

	c[0] = ctl_cell(json_object_get(r, "path_id"));
	c[1] = ctl_cell(json_object_get(r, "suite"));
	c[2] = ctl_cell(json_object_get(r, "state"));
	for (int s = 0; s < 2; s++) {
		const json_t *side = json_array_get(sides, (size_t)s);
		c[3 + s] = json_is_true(json_object_get(side, "bound")) ? ctl_endpoint_cell(side)
									: strdup("-");
	}
	c[5] = ctl_nonzero_cell(json_object_get(r, "counters"));
	ctl_table_row(t, (const char *const *)c);
	for (int i = 0; i < 6; i++)
		free(c[i]);
}

static const char *const relay_columns[] = {"PATH_ID", "SUITE", "STATE", "INITIATOR",
					    "RESPONDER", "COUNTERS", NULL};
const struct ctl_pager ctl_relays_pager = {relay_columns, relay_row};

/* PATH_ID TUNNEL_KEY [suite 1|2] [idle S] [bind S] (data plane or map server) */
int
ctl_parse_relay_add(const struct ctl_cmd *c, int argc, char **argv, json_t *req)
{
	static const struct ctl_kw kw[] = {
		{"suite", "suite", 1, 2},
		{"idle", "idle_timeout_s", 1, 86400},
		{"bind", "bind_timeout_s", 1, 86400},
		{NULL, NULL, 0, 0},
	};

	json_object_set_new(req, "path_id", json_string(argv[0]));
	json_object_set_new(req, "tunnel_key", json_string(argv[1]));
	json_object_set_new(req, "suite", json_integer(1));
	return ctl_parse_keywords(c, kw, argc - 2, argv + 2, req);
}
