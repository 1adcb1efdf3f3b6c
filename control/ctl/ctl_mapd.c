/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * anyway-ctl: the parsers and formatters of the map server's commands (SPEC
 * §7.1: service.list / service.get as admin, register / deregister as
 * registrar) in the command table; the agent's status and the other map
 * server commands use the generic ones. See ctl.h for the contract.
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
