/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * anyway-ctl: commands for the map server (SPEC §7.1: admin role for
 * service.list / service.get / subscriber.list / relay.add / relay.del,
 * registrar role for register / deregister) and for the agent's status
 * socket (status). See ctl.h for the contract.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define REG_DEFAULT_PRIORITY 0
#define REG_DEFAULT_WEIGHT   100
#define REG_DEFAULT_TTL      30

static int
cmd_services(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *reply, *req;
	bool get = strcmp(argv[0], "service") == 0 && argc > 1 && strcmp(argv[1], "get") == 0;

	if (get && argc != 3)
		return ctl_usage_error("usage: service get URI");
	if (!get && argc > (strcmp(argv[0], "services") == 0 ? 1 : 2))
		return ctl_usage_error("%s takes no arguments", argv[0]);
	req = get ? json_pack("{s:s,s:s}", "op", "service.get", "service", argv[2])
		  : json_pack("{s:s}", "op", "service.list");
	int rc = ctl_request(o, CTL_PEER_MAPD, "admin", req, &reply);
	if (rc != CTL_OK || o->json) {
		json_decref(reply);
		return rc;
	}
	const json_t *svcs = json_object_get(reply, "services");
	json_t *one = NULL;
	if (get) { /* the service's members at top level, or under "service" */
		const json_t *s = json_object_get(reply, "service");
		one = json_array();
		json_array_append(one, json_is_object(s) ? (json_t *)s : reply);
		svcs = one;
	}
	if (!json_is_array(svcs))
		rc = ctl_error("map server: service.list: reply has no 'services' array");
	else
		ctl_print_services(svcs);
	if (!get && json_is_integer(json_object_get(reply, "version")))
		printf("version %lld\n", (long long)json_integer_value(json_object_get(reply,
											"version")));
	json_decref(one);
	json_decref(reply);
	return rc;
}

static int
cmd_subscribers(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *reply;
	(void)argv;

	if (argc != 1)
		return ctl_usage_error("subscribers takes no arguments");
	int rc = ctl_request(o, CTL_PEER_MAPD, "admin", json_pack("{s:s}", "op", "subscriber.list"),
			     &reply);
	if (rc == CTL_OK && !o->json) {
		const json_t *arr = json_object_get(reply, "subscribers");
		if (!json_is_array(arr))
			rc = ctl_error("map server: subscriber.list: reply has no 'subscribers' "
				       "array");
		else
			ctl_print_array(arr);
	}
	json_decref(reply);
	return rc;
}

/* register URI ADDR PORT [priority N] [weight W] [ttl S] / deregister URI ADDR PORT */
static int
cmd_register(const struct ctl_opts *o, int argc, char **argv)
{
	bool reg = strcmp(argv[0], "register") == 0;
	long long port, v;
	json_t *reply;

	if (argc < 4 || (!reg && argc != 4) || (argc - 4) % 2 != 0)
		return ctl_usage_error(reg ? "usage: register URI ADDR PORT [priority N] "
					     "[weight W] [ttl S]"
					   : "usage: deregister URI ADDR PORT");
	if (ctl_parse_int(argv[3], "port", 1, 65535, &port) != CTL_OK)
		return CTL_USAGE;
	json_t *req = json_pack("{s:s,s:s,s:s,s:I}", "op", reg ? "register" : "deregister",
				"service", argv[1], "addr", argv[2], "port", (json_int_t)port);
	if (reg) {
		json_object_set_new(req, "priority", json_integer(REG_DEFAULT_PRIORITY));
		json_object_set_new(req, "weight", json_integer(REG_DEFAULT_WEIGHT));
		json_object_set_new(req, "ttl", json_integer(REG_DEFAULT_TTL));
	}
	for (int i = 4; i < argc; i += 2) {
		static const char *const kw[] = {"priority", "weight", "ttl"};
		static const long long max[] = {65535, 65535, 86400};
		int k = 0;
		while (k < 3 && strcmp(argv[i], kw[k]) != 0)
			k++;
		if (k == 3) {
			json_decref(req);
			return ctl_usage_error("register: unknown keyword '%s' (priority, weight, "
					       "ttl)", argv[i]);
		}
		if (ctl_parse_int(argv[i + 1], kw[k], k == 2 ? 1 : 0, max[k], &v) != CTL_OK) {
			json_decref(req);
			return CTL_USAGE;
		}
		json_object_set_new(req, kw[k], json_integer(v));
	}
	int rc = ctl_request(o, CTL_PEER_MAPD, "registrar", req, &reply);
	return rc == CTL_OK ? ctl_print_done(o, reply) : rc;
}

static int
cmd_status(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *reply;
	(void)argv;

	if (argc != 1)
		return ctl_usage_error("status takes no arguments");
	int rc = ctl_request(o, CTL_PEER_AGENT, NULL, json_pack("{s:s}", "op", "status"), &reply);
	if (rc == CTL_OK && !o->json)
		ctl_print_object(reply, NULL);
	json_decref(reply);
	return rc;
}

int
ctl_cmd_mapd(const struct ctl_opts *o, int argc, char **argv, bool *handled)
{
	const char *c = argv[0];
	bool sub = argc > 1;

	*handled = true;
	if (strcmp(c, "status") == 0)
		return cmd_status(o, argc, argv);
	if (strcmp(c, "subscribers") == 0)
		return cmd_subscribers(o, argc, argv);
	if (strcmp(c, "register") == 0 || strcmp(c, "deregister") == 0)
		return cmd_register(o, argc, argv);
	/* service get exists only on the map server */
	if (strcmp(c, "service") == 0 && sub && strcmp(argv[1], "get") == 0)
		return cmd_services(o, argc, argv);
	if (o->mapd_given) {
		if (strcmp(c, "services") == 0 ||
		    (strcmp(c, "service") == 0 && (!sub || strcmp(argv[1], "list") == 0)))
			return cmd_services(o, argc, argv);
		if (strcmp(c, "relay") == 0 && sub &&
		    (strcmp(argv[1], "add") == 0 || strcmp(argv[1], "del") == 0))
			return ctl_relay_edit(o, CTL_PEER_MAPD, argc, argv);
		if (strcmp(c, "service") == 0 || strcmp(c, "relays") == 0 ||
		    strcmp(c, "relay") == 0)
			return ctl_usage_error("%s%s%s: not a map server command (the map server "
					       "has services, service get, subscribers, relay "
					       "add/del, register, deregister); drop --mapd to "
					       "ask the data plane", c, sub ? " " : "",
					       sub ? argv[1] : "");
	}
	*handled = false;
	return CTL_USAGE;
}
