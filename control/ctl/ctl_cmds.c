/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * anyway-ctl: the command table — every command, the daemon it talks to, its
 * request op, argument count, parser, formatter and help line. ctl_cmd.c
 * dispatches from it and generates --help from it; adding a command is adding
 * a row here (and its parser / formatter when the generic ones do not fit).
 * See ctl.h for the fields.
 */
#include "ctl.h"

#define DP    .peer = CTL_PEER_DATAPLANE
#define ADMIN .peer = CTL_PEER_MAPD, .role = "admin"
#define REG   .peer = CTL_PEER_MAPD, .role = "registrar"
#define AGENT .peer = CTL_PEER_AGENT
/* Only without --mapd / only with it. */
#define NO_MAPD .when = CTL_WITHOUT_MAPD
#define MAPD    .when = CTL_WITH_MAPD
#define ARGS(lo, hi) .min_args = (lo), .max_args = (hi)
#define RELAY_ADD_USAGE "PATH_ID TUNNEL_KEY [suite 1|2] [idle S] [bind S]"

const struct ctl_cmd ctl_cmds[] = {
	/* the data plane's API (dataplane/API.md) */
	{.word = "ping", DP, .op = "ping", .show = ctl_show_object, .usage = "",
	 .help = "check that the data plane answers"},
	{.word = "stats", DP, .op = "stats", .show = ctl_show_stats, .usage = "",
	 .help = "counters, drops, ports, lcores"},
	{.word = "config", DP, .op = "config.get", .show = ctl_show_config, .usage = "",
	 .help = "the running configuration"},
	{.word = "vips", DP, .op = "vip.list", .show = ctl_show_list, .key = "vips", .usage = "",
	 .help = "the VIPs"},
	{.word = "vip", .sub = "list", .bare = true, DP, .op = "vip.list", .show = ctl_show_list,
	 .key = "vips", .usage = "", .help = "the VIPs"},
	{.word = "vip", .sub = "add", DP, .op = "vip.add", ARGS(1, 2), .parse = ctl_parse_vip_add,
	 .show = ctl_show_object, .usage = "ADDR [aarp]", .help = "add a VIP (aarp: answer ARP/ND)"},
	{.word = "vip", .sub = "del", DP, .op = "vip.del", ARGS(1, 1), .parse = ctl_parse_addr,
	 .show = ctl_show_object, .usage = "ADDR", .help = "remove a VIP"},
	{.word = "listeners", DP, .op = "listener.list", .show = ctl_show_list,
	 .key = "listeners", .usage = "", .help = "the ASRS listeners"},
	{.word = "listener", .sub = "list", .bare = true, DP, .op = "listener.list",
	 .show = ctl_show_list, .key = "listeners", .usage = "", .help = "the ASRS listeners"},
	{.word = "listener", .sub = "add", DP, .op = "listener.add", ARGS(4, 4),
	 .parse = ctl_parse_listener, .show = ctl_show_object, .usage = "VIP tcp|udp PORT SERVICE",
	 .help = "steer VIP:PORT to a service"},
	{.word = "listener", .sub = "del", DP, .op = "listener.del", ARGS(3, 3),
	 .parse = ctl_parse_listener, .show = ctl_show_object, .usage = "VIP tcp|udp PORT",
	 .help = "remove a listener"},
	{.word = "services", DP, NO_MAPD, .op = "service.list", .show = ctl_show_services,
	 .usage = "", .help = "the services and their destinations"},
	{.word = "service", .sub = "list", .bare = true, DP, NO_MAPD, .op = "service.list",
	 .show = ctl_show_services, .usage = "", .help = "the services and their destinations"},
	{.word = "service", .sub = "set", DP, NO_MAPD, .op = "service.set", ARGS(1, -1),
	 .parse = ctl_parse_service_set, .show = ctl_show_object,
	 .usage = "URI [dest ADDR:PORT [priority N] [weight W]]...",
	 .help = "replace a service's destinations"},
	{.word = "service", .sub = "del", DP, NO_MAPD, .op = "service.del", ARGS(1, 1),
	 .parse = ctl_parse_service, .show = ctl_show_object, .usage = "URI",
	 .help = "remove a service"},
	{.word = "sessions", DP, .op = "session.list", ARGS(0, 2), .parse = ctl_parse_limit,
	 .key = "sessions", .pager = &ctl_sessions_pager, .usage = "[limit N]",
	 .help = "the ASRS sessions (default limit 1000)"},
	{.word = "relays", DP, NO_MAPD, .op = "relay.list", ARGS(0, 2), .parse = ctl_parse_limit,
	 .key = "relays", .pager = &ctl_relays_pager, .usage = "[limit N]",
	 .help = "the TRS relay entries (default limit 1000)"},
	{.word = "relay", .sub = "list", .bare = true, DP, NO_MAPD, .op = "relay.list",
	 ARGS(0, 2), .parse = ctl_parse_limit, .key = "relays", .pager = &ctl_relays_pager,
	 .usage = "[limit N]", .help = "the TRS relay entries (default limit 1000)"},
	{.word = "relay", .sub = "get", DP, NO_MAPD, .op = "relay.get", ARGS(1, 1),
	 .parse = ctl_parse_path_id, .show = ctl_show_object, .key = "relay", .usage = "PATH_ID",
	 .help = "one relay entry"},
	{.word = "relay", .sub = "add", DP, NO_MAPD, .op = "relay.add", ARGS(2, -1),
	 .parse = ctl_parse_relay_add, .show = ctl_show_object,
	 .usage = RELAY_ADD_USAGE, .help = "add a relay entry"},
	{.word = "relay", .sub = "del", DP, NO_MAPD, .op = "relay.del", ARGS(1, 1),
	 .parse = ctl_parse_path_id, .show = ctl_show_object, .usage = "PATH_ID",
	 .help = "remove a relay entry"},
	{.word = "cluster", DP, .op = "cluster.get", .show = ctl_show_object, .usage = "",
	 .help = "the cluster members as applied, epoch, counters (SPEC 8)"},

	/* the map server (SPEC §7.1): admin and registrar roles */
	{.word = "services", ADMIN, MAPD, .op = "service.list", .show = ctl_show_mapd_services,
	 .usage = "", .help = "the map and its version"},
	{.word = "service", .sub = "list", .bare = true, ADMIN, MAPD, .op = "service.list",
	 .show = ctl_show_mapd_services, .usage = "", .help = "the map and its version"},
	{.word = "service", .sub = "get", ADMIN, .op = "service.get", ARGS(1, 1),
	 .parse = ctl_parse_service, .show = ctl_show_mapd_service, .usage = "URI",
	 .help = "one service of the map"},
	{.word = "subscribers", ADMIN, .op = "subscriber.list", .show = ctl_show_mapd_subscribers,
	 .usage = "", .help = "the connected agents, then the limits' counters"},
	{.word = "limits", ADMIN, .op = "subscriber.list", .show = ctl_show_object, .key = "limits",
	 .usage = "", .help = "refusals and closes by the map server's limits"},
	{.word = "relays", ADMIN, MAPD, .op = "relay.list", .show = ctl_show_mapd_relays,
	 .usage = "", .help = "the map's relays, refused ones first (max 4000)"},
	{.word = "relay", .sub = "list", .bare = true, ADMIN, MAPD, .op = "relay.list",
	 .show = ctl_show_mapd_relays, .usage = "",
	 .help = "the map's relays, refused ones first (max 4000)"},
	{.word = "relay", .sub = "get", ADMIN, MAPD, .op = "relay.get", ARGS(1, 1),
	 .parse = ctl_parse_path_id, .show = ctl_show_object, .key = "relay", .usage = "PATH_ID",
	 .help = "one relay of the map (no key) and its last refusal"},
	{.word = "relay", .sub = "add", ADMIN, MAPD, .op = "relay.add", ARGS(2, -1),
	 .parse = ctl_parse_relay_add, .show = ctl_show_object,
	 .usage = RELAY_ADD_USAGE,
	 .help = "add a relay entry to the map"},
	{.word = "relay", .sub = "del", ADMIN, MAPD, .op = "relay.del", ARGS(1, 1),
	 .parse = ctl_parse_path_id, .show = ctl_show_object, .usage = "PATH_ID",
	 .help = "remove a relay entry from the map"},
	{.word = "members", ADMIN, MAPD, .op = "member.list", .show = ctl_show_object, .usage = "",
	 .help = "the cluster member list, its epoch and counters"},
	{.word = "register", REG, .op = "register", ARGS(3, -1), .parse = ctl_parse_register,
	 .show = ctl_show_object, .usage = "URI ADDR PORT [priority N] [weight W] [ttl S]",
	 .help = "register a destination (defaults 0, 100, 30)"},
	{.word = "deregister", REG, .op = "deregister", ARGS(3, 3), .parse = ctl_parse_deregister,
	 .show = ctl_show_object, .usage = "URI ADDR PORT", .help = "withdraw a registration"},

	/* the agent's status socket */
	{.word = "status", AGENT, .op = "status", .show = ctl_show_object, .usage = "",
	 .help = "the agent's map servers and data plane"},
	{.word = "drain", AGENT, .op = "drain", .show = ctl_show_object, .usage = "",
	 .help = "withdraw the VIPs, become draining; state drained when no session is left"},
	{.word = "undrain", AGENT, .op = "undrain", .show = ctl_show_object, .usage = "",
	 .help = "become active again, announce the VIPs when healthy"},
};

const size_t ctl_n_cmds = sizeof(ctl_cmds) / sizeof(ctl_cmds[0]);
