/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * anyway-ctl: commands over the data plane's JSON API (dataplane/API.md):
 * ping, stats, config, vips / vip, listeners / listener, services / service,
 * sessions, relays / relay. See ctl.h for the contract.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aw_msg.h"
#include "ctl.h"

#define SESSION_PAGE 10000 /* the API's largest session.list limit */

/* ---- helpers -------------------------------------------------------------- */

int
ctl_request(const struct ctl_opts *o, enum ctl_peer_kind kind, const char *role, json_t *req,
	    json_t **reply)
{
	char *raw = NULL, err[AW_MSG_ERRLEN];
	struct aw_msg m;

	*reply = NULL;
	/* The map server speaks SPEC 7.1: check the request with the same codec
	 * first, so that a bad argument is named precisely and nothing is sent. */
	if (kind == CTL_PEER_MAPD) {
		if (aw_msg_decode_json(req, &m, err, sizeof(err)) < 0) {
			const char *op = json_string_value(json_object_get(req, "op"));
			int rc = ctl_usage_error("%s: %s", op ? op : "?", err);
			json_decref(req);
			return rc;
		}
		aw_msg_free(&m);
	}
	int rc = ctl_call_once(o, kind, role, req, reply, &raw);

	json_decref(req);
	if (o->json && raw != NULL)
		printf("%s\n", raw);
	free(raw);
	if (rc != CTL_OK) {
		json_decref(*reply);
		*reply = NULL;
	}
	return rc;
}

/* "addr:port", "[v6]:port" for a v6 address. */
static void
endpoint(char *buf, size_t len, const char *addr, json_int_t port)
{
	snprintf(buf, len, strchr(addr, ':') ? "[%s]:%lld" : "%s:%lld", addr, (long long)port);
}

/* A cell for an endpoint value: {addr, port} objects become "addr:port". */
char *
ctl_endpoint_cell(const json_t *v)
{
	const json_t *a = json_object_get(v, "addr"), *p = json_object_get(v, "port");
	char buf[128];

	if (!json_is_string(a) || !json_is_integer(p))
		return ctl_cell(v);
	endpoint(buf, sizeof(buf), json_string_value(a), json_integer_value(p));
	return strdup(buf);
}

/* Parses "ADDR:PORT" / "[V6]:PORT" into a new {addr, port} object. */
static int
parse_endpoint(const char *s, json_t **out)
{
	char addr[64];
	const char *colon = strrchr(s, ':');
	long long port;
	size_t n;

	if (colon == NULL)
		return ctl_usage_error("expected ADDR:PORT or [IPV6]:PORT, got '%s'", s);
	n = (size_t)(colon - s);
	if (s[0] == '[') {
		if (n < 2 || s[n - 1] != ']')
			return ctl_usage_error("expected [IPV6]:PORT, got '%s'", s);
		s++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(addr))
		return ctl_usage_error("expected ADDR:PORT or [IPV6]:PORT, got '%s'", s);
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (ctl_parse_int(colon + 1, "port", 1, 65535, &port) != CTL_OK)
		return CTL_USAGE;
	*out = json_pack("{s:s,s:I}", "addr", addr, "port", (json_int_t)port);
	return CTL_OK;
}

/* Prints an add/del reply: its members as key/value lines. */
int
ctl_print_done(const struct ctl_opts *o, json_t *reply)
{
	if (!o->json)
		ctl_print_object(reply, NULL);
	json_decref(reply);
	return CTL_OK;
}

/* ---- stats -------------------------------------------------------------- */

static void
print_nonzero(const char *title, const json_t *obj)
{
	const char *k;
	json_t *v;
	int n = 0;

	printf("%s:", title);
	json_object_foreach((json_t *)obj, k, v) {
		if (json_is_integer(v) && json_integer_value(v) != 0) {
			printf("%s %s %lld", n ? "," : "", k, (long long)json_integer_value(v));
			n++;
		}
	}
	printf("%s\n", n ? "" : " none");
}

static void
print_stats(const json_t *s)
{
	static const char *const skip[] = {"drops", "counters", "ports", "lcores", "asrs",
					   "relay", NULL};
	static const char *const port_hdr[] = {"PORT", "NAME", "MAC", "MTU", "RXQ", "TXQ",
					       "IPACKETS", "OPACKETS", "IERRORS", "OERRORS",
					       "IMISSED", "RX_NOMBUF", NULL};
	static const char *const hw_keys[] = {"ipackets", "opackets", "ierrors", "oerrors",
					      "imissed", "rx_nombuf"};
	size_t i;
	json_t *p;

	ctl_print_object(s, skip);
	print_nonzero("drops", json_object_get(s, "drops"));
	print_nonzero("counters", json_object_get(s, "counters"));
	for (const char *const *f = (const char *const[]){"asrs", "relay", NULL}; *f; f++) {
		const json_t *o = json_object_get(s, *f);
		if (json_is_object(o)) {
			printf("\n%s:\n", *f);
			ctl_print_object(o, NULL);
		}
	}
	printf("\nports:\n");
	struct ctl_table *t = ctl_table_new(port_hdr);
	json_array_foreach(json_object_get(s, "ports"), i, p) {
		char *c[12];
		c[0] = ctl_cell(json_object_get(p, "port"));
		c[1] = ctl_cell(json_object_get(p, "name"));
		c[2] = ctl_cell(json_object_get(p, "mac"));
		c[3] = ctl_cell(json_object_get(p, "mtu"));
		c[4] = ctl_cell(json_object_get(p, "rx_queues"));
		c[5] = ctl_cell(json_object_get(p, "tx_queues"));
		for (int k = 0; k < 6; k++)
			c[6 + k] = ctl_cell(json_object_get(json_object_get(p, "hw"), hw_keys[k]));
		ctl_table_row(t, (const char *const *)c);
		for (int k = 0; k < 12; k++)
			free(c[k]);
	}
	ctl_table_print(t);
	printf("\nlcores:\n");
	ctl_print_array(json_object_get(s, "lcores"));
}

static int
cmd_stats(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *reply;
	(void)argv;

	if (argc != 1)
		return ctl_usage_error("stats takes no arguments");
	int rc = ctl_request(o, CTL_PEER_DATAPLANE, NULL, json_pack("{s:s}", "op", "stats"), &reply);
	if (rc == CTL_OK && !o->json)
		print_stats(reply);
	json_decref(reply);
	return rc;
}

/* ---- simple list commands ------------------------------------------------ */

/* Calls op and prints the array under key with the generic table. */
static int
list_generic(const struct ctl_opts *o, const char *op, const char *key)
{
	json_t *reply;
	int rc = ctl_request(o, CTL_PEER_DATAPLANE, NULL, json_pack("{s:s}", "op", op), &reply);

	if (rc == CTL_OK && !o->json) {
		const json_t *arr = json_object_get(reply, key);
		if (!json_is_array(arr))
			rc = ctl_error("data plane: %s: reply has no '%s' array", op, key);
		else
			ctl_print_array(arr);
	}
	json_decref(reply);
	return rc;
}

static int
cmd_simple(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *reply;
	const char *op = strcmp(argv[0], "ping") == 0 ? "ping" : "config.get";

	if (argc != 1)
		return ctl_usage_error("%s takes no arguments", argv[0]);
	int rc = ctl_request(o, CTL_PEER_DATAPLANE, NULL, json_pack("{s:s}", "op", op), &reply);
	if (rc == CTL_OK && !o->json) {
		if (strcmp(op, "ping") == 0) {
			ctl_print_object(reply, NULL);
		} else {
			char *s = json_dumps(json_object_get(reply, "config"), JSON_INDENT(2));
			printf("# %s\n%s\n", json_string_value(json_object_get(reply, "path")),
			       s ? s : "null");
			free(s);
		}
	}
	json_decref(reply);
	return rc;
}

/* ---- vips ---------------------------------------------------------------- */

static int
cmd_vip(const struct ctl_opts *o, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "list";
	json_t *req, *reply;

	if (strcmp(argv[0], "vips") == 0 || strcmp(sub, "list") == 0) {
		if (argc > (strcmp(argv[0], "vips") == 0 ? 1 : 2))
			return ctl_usage_error("%s takes no arguments", argv[0]);
		return list_generic(o, "vip.list", "vips");
	}
	if (strcmp(sub, "add") == 0) {
		if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "aarp") != 0))
			return ctl_usage_error("usage: vip add ADDR [aarp]");
		req = json_pack("{s:s,s:s,s:b}", "op", "vip.add", "addr", argv[2], "aarp", argc == 4);
	} else if (strcmp(sub, "del") == 0) {
		if (argc != 3)
			return ctl_usage_error("usage: vip del ADDR");
		req = json_pack("{s:s,s:s}", "op", "vip.del", "addr", argv[2]);
	} else {
		return ctl_usage_error("vip: unknown subcommand '%s' (list, add, del)", sub);
	}
	int rc = ctl_request(o, CTL_PEER_DATAPLANE, NULL, req, &reply);
	return rc == CTL_OK ? ctl_print_done(o, reply) : rc;
}

/* ---- listeners ----------------------------------------------------------- */

static int
listener_key(json_t *req, char **argv)
{
	long long port;

	if (strcmp(argv[1], "tcp") != 0 && strcmp(argv[1], "udp") != 0)
		return ctl_usage_error("listener: protocol must be tcp or udp, got '%s'", argv[1]);
	if (ctl_parse_int(argv[2], "port", 1, 65535, &port) != CTL_OK)
		return CTL_USAGE;
	json_object_set_new(req, "vip", json_string(argv[0]));
	json_object_set_new(req, "proto", json_string(argv[1]));
	json_object_set_new(req, "port", json_integer(port));
	return CTL_OK;
}

static int
cmd_listener(const struct ctl_opts *o, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "list";
	json_t *req, *reply;

	if (strcmp(argv[0], "listeners") == 0 || strcmp(sub, "list") == 0) {
		if (argc > (strcmp(argv[0], "listeners") == 0 ? 1 : 2))
			return ctl_usage_error("%s takes no arguments", argv[0]);
		return list_generic(o, "listener.list", "listeners");
	}
	bool add = strcmp(sub, "add") == 0;
	if (!add && strcmp(sub, "del") != 0)
		return ctl_usage_error("listener: unknown subcommand '%s' (list, add, del)", sub);
	if (argc != (add ? 6 : 5))
		return ctl_usage_error(add ? "usage: listener add VIP tcp|udp PORT SERVICE"
					   : "usage: listener del VIP tcp|udp PORT");
	req = json_pack("{s:s}", "op", add ? "listener.add" : "listener.del");
	if (listener_key(req, argv + 2) != CTL_OK) {
		json_decref(req);
		return CTL_USAGE;
	}
	if (add)
		json_object_set_new(req, "service", json_string(argv[5]));
	int rc = ctl_request(o, CTL_PEER_DATAPLANE, NULL, req, &reply);
	return rc == CTL_OK ? ctl_print_done(o, reply) : rc;
}

/* ---- services ------------------------------------------------------------ */

void
ctl_print_services(const json_t *services)
{
	static const char *const hdr[] = {"SERVICE", "SID", "DESTINATION", "PRIORITY", "WEIGHT",
					  NULL};
	struct ctl_table *t = ctl_table_new(hdr);
	size_t i, j;
	json_t *s, *d;

	json_array_foreach((json_t *)services, i, s) {
		char *svc = ctl_cell(json_object_get(s, "service"));
		char *sid = ctl_cell(json_object_get(s, "sid"));
		const json_t *dests = json_object_get(s, "destinations");
		if (json_array_size(dests) == 0) {
			const char *row[] = {svc, sid, "(none)", "-", "-"};
			ctl_table_row(t, row);
		}
		json_array_foreach((json_t *)dests, j, d) {
			char *ep = ctl_endpoint_cell(d);
			char *pr = ctl_cell(json_object_get(d, "priority"));
			char *w = ctl_cell(json_object_get(d, "weight"));
			const char *row[] = {j == 0 ? svc : "", j == 0 ? sid : "", ep, pr, w};
			ctl_table_row(t, row);
			free(ep), free(pr), free(w);
		}
		free(svc), free(sid);
	}
	if (json_array_size(services) == 0) {
		printf("(none)\n");
		ctl_table_free(t);
	} else {
		ctl_table_print(t);
	}
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
			if (parse_endpoint(argv[++i], &d) != CTL_OK)
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

static int
cmd_service(const struct ctl_opts *o, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "list";
	json_t *req, *reply;

	if (strcmp(argv[0], "services") == 0 || strcmp(sub, "list") == 0) {
		if (argc > (strcmp(argv[0], "services") == 0 ? 1 : 2))
			return ctl_usage_error("%s takes no arguments", argv[0]);
		int rc = ctl_request(o, CTL_PEER_DATAPLANE, NULL,
				     json_pack("{s:s}", "op", "service.list"), &reply);
		const json_t *svcs = json_object_get(reply, "services");
		if (rc == CTL_OK && !o->json && !json_is_array(svcs))
			rc = ctl_error("data plane: service.list: reply has no 'services' array");
		else if (rc == CTL_OK && !o->json)
			ctl_print_services(svcs);
		json_decref(reply);
		return rc;
	}
	if (strcmp(sub, "set") == 0) {
		if (argc < 3)
			return ctl_usage_error("usage: service set URI [dest ADDR:PORT [priority N] "
					       "[weight W]]...");
		json_t *dests = json_array();
		req = json_pack("{s:s,s:s,s:o}", "op", "service.set", "service", argv[2],
				"destinations", dests);
		if (parse_dests(argc - 3, argv + 3, dests) != CTL_OK) {
			json_decref(req);
			return CTL_USAGE;
		}
	} else if (strcmp(sub, "del") == 0) {
		if (argc != 3)
			return ctl_usage_error("usage: service del URI");
		req = json_pack("{s:s,s:s}", "op", "service.del", "service", argv[2]);
	} else {
		return ctl_usage_error("service: unknown subcommand '%s' (list, set, del)", sub);
	}
	int rc = ctl_request(o, CTL_PEER_DATAPLANE, NULL, req, &reply);
	return rc == CTL_OK ? ctl_print_done(o, reply) : rc;
}

/* ---- sessions and relays: paged lists ------------------------------------ */

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

static void
relay_row(struct ctl_table *t, const json_t *r)
{
	const json_t *sides = json_object_get(r, "sides");
	char *c[6], ctr[512] = "";
	const char *k;
	json_t *v;

	c[0] = ctl_cell(json_object_get(r, "path_id"));
	c[1] = ctl_cell(json_object_get(r, "suite"));
	c[2] = ctl_cell(json_object_get(r, "state"));
	for (int s = 0; s < 2; s++) {
		const json_t *side = json_array_get(sides, (size_t)s);
		c[3 + s] = json_is_true(json_object_get(side, "bound")) ? ctl_endpoint_cell(side)
									: strdup("-");
	}
	json_object_foreach(json_object_get(r, "counters"), k, v) {
		size_t n = strlen(ctr);
		if (json_is_integer(v) && json_integer_value(v) != 0)
			snprintf(ctr + n, sizeof(ctr) - n, "%s%s=%lld", n ? " " : "", k,
				 (long long)json_integer_value(v));
	}
	c[5] = strdup(ctr[0] ? ctr : "-");
	ctl_table_row(t, (const char *const *)c);
	for (int i = 0; i < 6; i++)
		free(c[i]);
}

/* Fetches pages of op until the cursor is null or max rows were seen. */
static int
paged_list(const struct ctl_opts *o, const char *op, const char *key, long long max,
	   const char *const *hdr, void (*row)(struct ctl_table *, const json_t *))
{
	struct ctl_table *t = ctl_table_new(hdr);
	json_t *cursor = json_null(), *reply = NULL;
	long long seen = 0;
	int rc = CTL_OK;

	while (rc == CTL_OK && seen < max) {
		long long lim = max - seen < SESSION_PAGE ? max - seen : SESSION_PAGE;
		json_t *req = json_pack("{s:s,s:I}", "op", op, "limit", (json_int_t)lim);
		if (!json_is_null(cursor))
			json_object_set(req, "cursor", cursor);
		json_decref(cursor);
		cursor = json_null();
		rc = ctl_request(o, CTL_PEER_DATAPLANE, NULL, req, &reply);
		if (rc != CTL_OK)
			break;
		const json_t *arr = json_object_get(reply, key);
		if (!json_is_array(arr)) {
			rc = ctl_error("data plane: %s: reply has no '%s' array", op, key);
			break;
		}
		size_t i;
		json_t *e;
		json_array_foreach((json_t *)arr, i, e) row(t, e);
		seen += (long long)json_array_size(arr);
		json_t *next = json_object_get(reply, "cursor");
		if (next == NULL || json_is_null(next) || json_array_size(arr) == 0)
			break;
		cursor = json_incref(next);
		json_decref(reply);
		reply = NULL;
	}
	json_decref(reply);
	json_decref(cursor);
	if (rc == CTL_OK && !o->json) {
		ctl_table_print(t);
		printf("%lld %s%s\n", seen, key, seen >= max ? " (limit reached)" : "");
	} else {
		ctl_table_free(t);
	}
	return rc;
}

static int
cmd_sessions(const struct ctl_opts *o, int argc, char **argv)
{
	static const char *const hdr[] = {"PROTO", "CLIENT", "VIP", "SNAT", "DESTINATION",
					  "SERVICE", "STATE", "IDLE_S", NULL};
	long long max = 1000;

	if (argc == 3 && strcmp(argv[1], "limit") == 0) {
		if (ctl_parse_int(argv[2], "limit", 1, 100000000, &max) != CTL_OK)
			return CTL_USAGE;
	} else if (argc != 1) {
		return ctl_usage_error("usage: sessions [limit N]");
	}
	return paged_list(o, "session.list", "sessions", max, hdr, session_row);
}

static int
cmd_relay(const struct ctl_opts *o, int argc, char **argv)
{
	static const char *const hdr[] = {"PATH_ID", "SUITE", "STATE", "INITIATOR",
					  "RESPONDER", "COUNTERS", NULL};
	const char *sub = argc > 1 ? argv[1] : "list";
	json_t *reply;

	if (strcmp(argv[0], "relays") == 0 || strcmp(sub, "list") == 0) {
		long long max = 1000;
		int base = strcmp(argv[0], "relays") == 0 ? 1 : 2;
		if (argc == base + 2 && strcmp(argv[base], "limit") == 0) {
			if (ctl_parse_int(argv[base + 1], "limit", 1, 100000000, &max) != CTL_OK)
				return CTL_USAGE;
		} else if (argc != base) {
			return ctl_usage_error("usage: relays [limit N]");
		}
		return paged_list(o, "relay.list", "relays", max, hdr, relay_row);
	}
	if (strcmp(sub, "get") != 0)
		return ctl_usage_error("relay: unknown subcommand '%s' (list, get, add, del)", sub);
	if (argc != 3)
		return ctl_usage_error("usage: relay get PATH_ID");
	int rc = ctl_request(o, CTL_PEER_DATAPLANE, NULL,
		      json_pack("{s:s,s:s}", "op", "relay.get", "path_id", argv[2]), &reply);
	if (rc == CTL_OK && !o->json)
		ctl_print_object(json_object_get(reply, "relay"), NULL);
	json_decref(reply);
	return rc;
}

int
ctl_relay_edit(const struct ctl_opts *o, enum ctl_peer_kind kind, int argc, char **argv)
{
	json_t *req, *reply;
	bool add = strcmp(argv[1], "add") == 0;
	long long v;

	if (!add) {
		if (argc != 3)
			return ctl_usage_error("usage: relay del PATH_ID");
		req = json_pack("{s:s,s:s}", "op", "relay.del", "path_id", argv[2]);
	} else {
		if (argc < 4 || (argc - 4) % 2 != 0)
			return ctl_usage_error("usage: relay add PATH_ID TUNNEL_KEY [suite 1|2] "
					       "[idle S] [bind S]");
		req = json_pack("{s:s,s:s,s:s,s:i}", "op", "relay.add", "path_id", argv[2],
				"tunnel_key", argv[3], "suite", 1);
		for (int i = 4; i < argc; i += 2) {
			static const char *const kw[][2] = {{"suite", "suite"},
							    {"idle", "idle_timeout_s"},
							    {"bind", "bind_timeout_s"}};
			int k = 0;
			while (k < 3 && strcmp(argv[i], kw[k][0]) != 0)
				k++;
			if (k == 3 || ctl_parse_int(argv[i + 1], kw[k][0], 1,
						    k == 0 ? 2 : 86400, &v) != CTL_OK) {
				json_decref(req);
				return k == 3 ? ctl_usage_error("relay add: unknown keyword '%s' "
								"(suite, idle, bind)", argv[i])
					      : CTL_USAGE;
			}
			json_object_set_new(req, kw[k][1], json_integer(v));
		}
	}
	int rc = ctl_request(o, kind, kind == CTL_PEER_MAPD ? "admin" : NULL, req, &reply);
	return rc == CTL_OK ? ctl_print_done(o, reply) : rc;
}

int
ctl_cmd_dataplane(const struct ctl_opts *o, int argc, char **argv, bool *handled)
{
	const char *c = argv[0];

	*handled = true;
	if (strcmp(c, "stats") == 0)
		return cmd_stats(o, argc, argv);
	if (strcmp(c, "ping") == 0 || strcmp(c, "config") == 0)
		return cmd_simple(o, argc, argv);
	if (strcmp(c, "vips") == 0 || strcmp(c, "vip") == 0)
		return cmd_vip(o, argc, argv);
	if (strcmp(c, "listeners") == 0 || strcmp(c, "listener") == 0)
		return cmd_listener(o, argc, argv);
	if (strcmp(c, "services") == 0 || strcmp(c, "service") == 0)
		return cmd_service(o, argc, argv);
	if (strcmp(c, "sessions") == 0)
		return cmd_sessions(o, argc, argv);
	if (strcmp(c, "relays") == 0 || strcmp(c, "relay") == 0) {
		if (argc > 1 && (strcmp(argv[1], "add") == 0 || strcmp(argv[1], "del") == 0))
			return ctl_relay_edit(o, CTL_PEER_DATAPLANE, argc, argv);
		return cmd_relay(o, argc, argv);
	}
	*handled = false;
	return CTL_USAGE;
}
