/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_config.h"
#include "aw_conf_json.h"
#include "aw_feature.h"
#include "aw_net.h"

#include "aw_build_config.h"
#include "aw_sockperm.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>

static int
parse_lcore_list(struct aw_jctx *c, json_t *obj, const char *path, const char *key, unsigned *out,
		 unsigned *n)
{
	char p[160], q[200];
	json_t *arr, *v;
	size_t i;

	aw_jc_subpath(p, sizeof(p), path, key);
	if (aw_jc_get_array(c, obj, path, key, true, AW_MAX_LCORES, &arr) < 0)
		return -1;
	if (json_array_size(arr) == 0)
		return aw_jc_bad(c, p, "expected at least one lcore id");
	json_array_foreach (arr, i, v) {
		snprintf(q, sizeof(q), "%s[%zu]", p, i);
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) >= RTE_MAX_LCORE)
			return aw_jc_bad(c, q, "expected lcore id 0..%d", RTE_MAX_LCORE - 1);
		unsigned id = (unsigned)json_integer_value(v);
		if (!c->no_eal && !rte_lcore_is_enabled(id))
			return aw_jc_bad(c, q, "lcore %u is not enabled in EAL (use -l / --lcores)", id);
		out[i] = id;
	}
	*n = (unsigned)json_array_size(arr);
	return 0;
}

static bool
lcore_used(const struct aw_pipeline_conf *pc, unsigned id, unsigned upto_rx, unsigned upto_w,
	   unsigned upto_tx)
{
	for (unsigned i = 0; i < upto_rx; i++)
		if (pc->rx[i] == id)
			return true;
	for (unsigned i = 0; i < upto_w; i++)
		if (pc->workers[i] == id)
			return true;
	for (unsigned i = 0; i < upto_tx; i++)
		if (pc->tx[i] == id)
			return true;
	return false;
}

static int
check_pow2(struct aw_jctx *c, const char *path, uint32_t v)
{
	if (v == 0 || (v & (v - 1)) != 0)
		return aw_jc_bad(c, path, "expected a power of two, got %u", v);
	return 0;
}

static int
parse_pipeline(struct aw_jctx *c, json_t *root, struct aw_pipeline_conf *pc)
{
	static const char *const keys[] = {"rx_lcores", "worker_lcores", "tx_lcores",
					   "ring_size", "reorder_size", "gap_timeout_us", NULL};
	json_t *o = json_object_get(root, "pipeline");

	if (o == NULL)
		return aw_jc_bad(c, "pipeline", "required when mode is \"pipeline\"");
	if (!json_is_object(o))
		return aw_jc_bad(c, "pipeline", "expected object, got %s", aw_jc_type_name(o));
	if (aw_jc_check_keys(c, o, "pipeline", keys) < 0 ||
	    parse_lcore_list(c, o, "pipeline", "rx_lcores", pc->rx, &pc->n_rx) < 0 ||
	    parse_lcore_list(c, o, "pipeline", "worker_lcores", pc->workers, &pc->n_workers) < 0 ||
	    parse_lcore_list(c, o, "pipeline", "tx_lcores", pc->tx, &pc->n_tx) < 0 ||
	    AW_JC_GET_U32(c, o, "pipeline", "ring_size", 64, 1 << 20, 4096, pc->ring_size) < 0 ||
	    AW_JC_GET_U32(c, o, "pipeline", "reorder_size", 64, 1 << 20, 8192, pc->reorder_size) < 0 ||
	    AW_JC_GET_U32(c, o, "pipeline", "gap_timeout_us", 1, 1000000, 100, pc->gap_timeout_us) < 0)
		return -1;
	if (check_pow2(c, "pipeline.ring_size", pc->ring_size) < 0 ||
	    check_pow2(c, "pipeline.reorder_size", pc->reorder_size) < 0)
		return -1;
	/* Every role needs its own lcore. */
	for (unsigned i = 0; i < pc->n_rx; i++)
		if (lcore_used(pc, pc->rx[i], i, 0, 0))
			return aw_jc_bad(c, "pipeline.rx_lcores", "lcore %u listed twice", pc->rx[i]);
	for (unsigned i = 0; i < pc->n_workers; i++)
		if (lcore_used(pc, pc->workers[i], pc->n_rx, i, 0))
			return aw_jc_bad(c, "pipeline.worker_lcores",
				   "lcore %u already has a pipeline role", pc->workers[i]);
	for (unsigned i = 0; i < pc->n_tx; i++)
		if (lcore_used(pc, pc->tx[i], pc->n_rx, pc->n_workers, i))
			return aw_jc_bad(c, "pipeline.tx_lcores", "lcore %u already has a pipeline role",
				   pc->tx[i]);
	return 0;
}

static int
parse_port_addrs(struct aw_jctx *c, json_t *po, const char *path, struct aw_port_conf *pc)
{
	char p[160], e[128];
	json_t *arr, *v;
	size_t i;

	if (aw_jc_get_array(c, po, path, "addrs", false, AW_MAX_PORT_ADDRS, &arr) < 0)
		return -1;
	if (arr == NULL)
		return 0;
	json_array_foreach (arr, i, v) {
		snprintf(p, sizeof(p), "%s.addrs[%zu]", path, i);
		if (!json_is_string(v))
			return aw_jc_bad(c, p, "expected string \"ADDR/LEN\", got %s", aw_jc_type_name(v));
		if (aw_prefix_parse(json_string_value(v), true, &pc->addrs[i], e, sizeof(e)) < 0)
			return aw_jc_bad(c, p, "%s", e);
	}
	pc->n_addrs = (unsigned)json_array_size(arr);
	return 0;
}

static int
parse_port(struct aw_jctx *c, json_t *po, const char *path, struct aw_port_conf *pc)
{
	static const char *const keys[] = {"port", "mac", "mtu", "addrs", "rx_queues", NULL};
	const char *mac;
	char p[160], e[128];
	uint16_t navail = c->no_eal ? 0 : rte_eth_dev_count_avail();

	if (!json_is_object(po))
		return aw_jc_bad(c, path, "expected object, got %s", aw_jc_type_name(po));
	if (aw_jc_check_keys(c, po, path, keys) < 0)
		return -1;
	if (json_object_get(po, "port") == NULL)
		return aw_jc_bad(c, path, "required key 'port' missing");
	if (AW_JC_GET_U32(c, po, path, "port", 0, RTE_MAX_ETHPORTS - 1, 0, pc->port_id) < 0)
		return -1;
	if (!c->no_eal && (pc->port_id >= navail || !rte_eth_dev_is_valid_port(pc->port_id))) {
		aw_jc_subpath(p, sizeof(p), path, "port");
		return aw_jc_bad(c, p, "port id %u out of range: EAL has %u port(s) (0..%d)", pc->port_id,
			   navail, (int)navail - 1);
	}
	if (aw_jc_get_string(c, po, path, "mac", false, &mac) < 0)
		return -1;
	if (mac != NULL) {
		aw_jc_subpath(p, sizeof(p), path, "mac");
		if (aw_mac_parse(mac, &pc->mac, e, sizeof(e)) < 0)
			return aw_jc_bad(c, p, "%s", e);
		if (pc->mac.b[0] & 1)
			return aw_jc_bad(c, p, "'%s' is a multicast MAC address", mac);
		pc->has_mac = true;
	}
	if (AW_JC_GET_U32(c, po, path, "mtu", 68, 9000, 0, pc->mtu) < 0 ||
	    AW_JC_GET_U32(c, po, path, "rx_queues", 0, 64, 0, pc->rx_queues) < 0)
		return -1;
	return parse_port_addrs(c, po, path, pc);
}

static int
parse_ports(struct aw_jctx *c, json_t *root, struct aw_config *cfg)
{
	json_t *arr, *v;
	size_t i;
	char p[64];

	if (aw_jc_get_array(c, root, "", "ports", true, AW_MAX_PORTS, &arr) < 0)
		return -1;
	if (json_array_size(arr) == 0)
		return aw_jc_bad(c, "ports", "expected at least one port");
	json_array_foreach (arr, i, v) {
		snprintf(p, sizeof(p), "ports[%zu]", i);
		if (parse_port(c, v, p, &cfg->ports[i]) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (cfg->ports[j].port_id == cfg->ports[i].port_id)
				return aw_jc_bad(c, p, "port %u configured twice (also ports[%zu])",
					   cfg->ports[i].port_id, j);
	}
	cfg->n_ports = (unsigned)i;
	return 0;
}

/* Index in cfg->ports of the port with DPDK id `port_id`, or -1. */
static int
port_index(const struct aw_config *cfg, unsigned port_id)
{
	for (unsigned i = 0; i < cfg->n_ports; i++)
		if (cfg->ports[i].port_id == port_id)
			return (int)i;
	return -1;
}

static int
connected_port(const struct aw_config *cfg, const struct aw_addr *a)
{
	for (unsigned i = 0; i < cfg->n_ports; i++)
		for (unsigned k = 0; k < cfg->ports[i].n_addrs; k++)
			if (aw_prefix_contains(&cfg->ports[i].addrs[k], a))
				return (int)i;
	return -1;
}

static int
parse_route(struct aw_jctx *c, json_t *ro, const char *path, const struct aw_config *cfg,
	    struct aw_route_conf *r)
{
	static const char *const keys[] = {"prefix", "via", "port", NULL};
	const char *s;
	char p[160], e[128];
	uint32_t port = 0;

	if (!json_is_object(ro))
		return aw_jc_bad(c, path, "expected object, got %s", aw_jc_type_name(ro));
	if (aw_jc_check_keys(c, ro, path, keys) < 0 || aw_jc_get_string(c, ro, path, "prefix", true, &s) < 0)
		return -1;
	aw_jc_subpath(p, sizeof(p), path, "prefix");
	if (aw_network_parse(s, &r->prefix, e, sizeof(e)) < 0)
		return aw_jc_bad(c, p, "%s", e);
	if (aw_jc_get_string(c, ro, path, "via", false, &s) < 0)
		return -1;
	r->port = -1;
	if (s != NULL) {
		aw_jc_subpath(p, sizeof(p), path, "via");
		if (aw_jc_parse_addr(c, p, s, &r->via) < 0)
			return -1;
		if (r->via.family != r->prefix.addr.family)
			return aw_jc_bad(c, p, "next hop family differs from the prefix's");
		r->has_via = true;
	}
	if (json_object_get(ro, "port") != NULL) {
		if (AW_JC_GET_U32(c, ro, path, "port", 0, RTE_MAX_ETHPORTS - 1, 0, port) < 0)
			return -1;
		r->port = port_index(cfg, port);
		if (r->port < 0)
			return aw_jc_bad(c, path, "port %u is not in 'ports'", port);
	} else if (r->has_via) {
		r->port = connected_port(cfg, &r->via);
		if (r->port < 0)
			return aw_jc_bad(c, path, "next hop is in no port's connected prefix; add \"port\"");
	} else {
		return aw_jc_bad(c, path, "needs \"via\" or \"port\"");
	}
	return 0;
}

static int
parse_neighbor(struct aw_jctx *c, json_t *no, const char *path, const struct aw_config *cfg,
	       struct aw_neigh_conf *n)
{
	static const char *const keys[] = {"addr", "mac", "port", NULL};
	const char *s;
	char p[160], e[128];
	uint32_t port = 0;

	if (!json_is_object(no))
		return aw_jc_bad(c, path, "expected object, got %s", aw_jc_type_name(no));
	if (aw_jc_check_keys(c, no, path, keys) < 0 || aw_jc_get_string(c, no, path, "addr", true, &s) < 0)
		return -1;
	aw_jc_subpath(p, sizeof(p), path, "addr");
	if (aw_jc_parse_addr(c, p, s, &n->addr) < 0 || aw_jc_get_string(c, no, path, "mac", true, &s) < 0)
		return -1;
	aw_jc_subpath(p, sizeof(p), path, "mac");
	if (aw_mac_parse(s, &n->mac, e, sizeof(e)) < 0)
		return aw_jc_bad(c, p, "%s", e);
	if (json_object_get(no, "port") == NULL)
		return aw_jc_bad(c, path, "required key 'port' missing");
	if (AW_JC_GET_U32(c, no, path, "port", 0, RTE_MAX_ETHPORTS - 1, 0, port) < 0)
		return -1;
	int idx = port_index(cfg, port);
	if (idx < 0)
		return aw_jc_bad(c, path, "port %u is not in 'ports'", port);
	n->port = (uint16_t)idx;
	return 0;
}

static int
parse_vip(struct aw_jctx *c, json_t *obj, const char *path, struct aw_vip_conf *out)
{
	static const char *const keys[] = {"addr", "aarp", NULL};
	const char *s;
	char p[160];
	json_t *a;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(obj))
		return aw_jc_bad(c, path, "expected object, got %s", aw_jc_type_name(obj));
	if (aw_jc_check_keys(c, obj, path, keys) < 0 || aw_jc_get_string(c, obj, path, "addr", true, &s) < 0)
		return -1;
	aw_jc_subpath(p, sizeof(p), path, "addr");
	if (aw_jc_parse_addr(c, p, s, &out->addr) < 0)
		return -1;
	a = json_object_get(obj, "aarp");
	if (a != NULL && !json_is_boolean(a)) {
		aw_jc_subpath(p, sizeof(p), path, "aarp");
		return aw_jc_bad(c, p, "expected boolean, got %s", aw_jc_type_name(a));
	}
	out->aarp = a != NULL && json_is_true(a);
	return 0;
}

int
aw_config_parse_vip(json_t *obj, const char *path, struct aw_vip_conf *out, char *err,
		    size_t errlen)
{
	struct aw_jctx c = {.file = NULL, .err = err, .errlen = errlen};

	return parse_vip(&c, obj, path, out);
}

static int
route_elem(struct aw_jctx *c, json_t *v, const char *p, const struct aw_config *cfg, void *o)
{
	return parse_route(c, v, p, cfg, o);
}

static int
neigh_elem(struct aw_jctx *c, json_t *v, const char *p, const struct aw_config *cfg, void *o)
{
	return parse_neighbor(c, v, p, cfg, o);
}

static int
vip_elem(struct aw_jctx *c, json_t *v, const char *p, const struct aw_config *cfg, void *o)
{
	(void)cfg;
	return parse_vip(c, v, p, o);
}

static int
parse_neigh_settings(struct aw_jctx *c, json_t *root, struct aw_neigh_settings *n)
{
	static const char *const keys[] = {"max_entries", "reachable_s", "probe_interval_ms",
					   "probes", "pending_packets", NULL};
	json_t *o = json_object_get(root, "neighbor_cache");
	json_t *empty = NULL;
	int rc = -1;

	if (o != NULL && !json_is_object(o))
		return aw_jc_bad(c, "neighbor_cache", "expected object, got %s", aw_jc_type_name(o));
	if (o == NULL)
		o = empty = json_object();
	if (aw_jc_check_keys(c, o, "neighbor_cache", keys) == 0 &&
	    AW_JC_GET_U32(c, o, "neighbor_cache", "max_entries", 16, 1 << 20, 4096, n->max_entries) == 0 &&
	    AW_JC_GET_U32(c, o, "neighbor_cache", "reachable_s", 1, 86400, 60, n->reachable_s) == 0 &&
	    AW_JC_GET_U32(c, o, "neighbor_cache", "probe_interval_ms", 10, 60000, 1000,
		    n->probe_interval_ms) == 0 &&
	    AW_JC_GET_U32(c, o, "neighbor_cache", "probes", 1, 100, 3, n->probes) == 0 &&
	    AW_JC_GET_U32(c, o, "neighbor_cache", "pending_packets", 0, 64, 8, n->pending_packets) == 0)
		rc = 0;
	json_decref(empty);
	return rc;
}

/* api.trusted_uids / api.trusted_gids: ids 0..2^32-2, at most AW_API_MAX_CREDS. */
static int
parse_api_ids(struct aw_jctx *c, json_t *o, const char *key, uint32_t *ids, unsigned *n)
{
	char p[64];
	json_t *arr, *v;
	size_t i;

	snprintf(p, sizeof(p), "api.%s", key);
	if (aw_jc_get_array(c, o, "api", key, false, AW_API_MAX_CREDS, &arr) < 0)
		return -1;
	if (arr == NULL)
		return 1; /* absent */
	*n = 0;
	json_array_foreach (arr, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > (json_int_t)UINT32_MAX - 1)
			return aw_jc_bad(c, p, "entry %zu: expected integer 0..%u", i, UINT32_MAX - 1);
		ids[(*n)++] = (uint32_t)json_integer_value(v);
	}
	return 0;
}

static int
parse_api_limits(struct aw_jctx *c, json_t *o, struct aw_api_conf *a)
{
	int ru, rg;

	if (AW_JC_GET_U32(c, o, "api", "max_clients", 2, 4096, 64, a->max_clients) < 0 ||
	    AW_JC_GET_U32(c, o, "api", "reserved_clients", 0, a->max_clients - 1,
			  a->max_clients / 8, a->reserved_clients) < 0 ||
	    AW_JC_GET_U32(c, o, "api", "idle_timeout_s", 0, 86400, 120, a->idle_timeout_s) < 0 ||
	    AW_JC_GET_U32(c, o, "api", "send_timeout_s", 1, 3600, 10, a->send_timeout_s) < 0 ||
	    aw_jc_get_uint(c, o, "api", "max_output_bytes", 65536, 1ull << 30, 64ull << 20,
			   &a->max_output) < 0)
		return -1;
	if ((ru = parse_api_ids(c, o, "trusted_uids", a->uids, &a->n_uids)) < 0 ||
	    (rg = parse_api_ids(c, o, "trusted_gids", a->gids, &a->n_gids)) < 0)
		return -1;
	if (ru == 1 && rg == 1) { /* neither given: the data plane's own user */
		a->uids[0] = (uint32_t)geteuid();
		a->n_uids = 1;
	}
	return 0;
}

/* api.socket_group: a group name or a numeric gid that exists here. */
static int
parse_api_group(struct aw_jctx *c, json_t *o, struct aw_api_conf *a)
{
	const char *s = NULL;
	char why[160];

	if (aw_jc_get_string(c, o, "api", "socket_group", false, &s) < 0)
		return -1;
	if (s == NULL)
		return 0;
	if (aw_group_lookup(s, &a->socket_gid, why, sizeof(why)) < 0)
		return aw_jc_bad(c, "api.socket_group", "%s", why);
	a->has_socket_gid = true;
	return 0;
}

static int
parse_api(struct aw_jctx *c, json_t *root, struct aw_config *cfg)
{
	static const char *const keys[] = {"unix", "max_clients", "reserved_clients",
		"idle_timeout_s", "send_timeout_s", "max_output_bytes", "trusted_uids",
		"trusted_gids", "socket_group", NULL};
	json_t *o = json_object_get(root, "api");
	json_t *empty = NULL;
	const char *s = NULL;
	int rc;

	snprintf(cfg->api_unix, sizeof(cfg->api_unix), "/run/anyway/dataplane.sock");
	if (o != NULL && !json_is_object(o))
		return aw_jc_bad(c, "api", "expected object, got %s", aw_jc_type_name(o));
	if (o == NULL)
		o = empty = json_object();
	rc = aw_jc_check_keys(c, o, "api", keys) < 0 ||
	     aw_jc_get_string(c, o, "api", "unix", false, &s) < 0 ||
	     parse_api_limits(c, o, &cfg->api) < 0 ||
	     parse_api_group(c, o, &cfg->api) < 0 ? -1 : 0;
	json_decref(empty);
	if (rc < 0 || s == NULL)
		return rc;
	if (s[0] == '\0' || strlen(s) >= sizeof(cfg->api_unix))
		return aw_jc_bad(c, "api.unix", "expected a socket path of 1..%zu bytes",
			   sizeof(cfg->api_unix) - 1);
	snprintf(cfg->api_unix, sizeof(cfg->api_unix), "%s", s);
	return 0;
}

/* metrics.listen: HOST:PORT of the OpenMetrics endpoint (aw_api.c). */
static int
parse_metrics(struct aw_jctx *c, json_t *root, struct aw_config *cfg)
{
	static const char *const keys[] = {"listen", NULL};
	json_t *o = json_object_get(root, "metrics");
	const char *s = NULL;
	struct aw_sockaddr sa;
	char e[200];

	if (o == NULL)
		return 0;
	if (!json_is_object(o))
		return aw_jc_bad(c, "metrics", "expected object, got %s", aw_jc_type_name(o));
	if (aw_jc_check_keys(c, o, "metrics", keys) < 0 ||
	    aw_jc_get_string(c, o, "metrics", "listen", true, &s) < 0)
		return -1;
	if (strlen(s) >= sizeof(cfg->metrics_listen))
		return aw_jc_bad(c, "metrics.listen", "expected HOST:PORT of at most %zu bytes",
				 sizeof(cfg->metrics_listen) - 1);
	if (aw_hostport_parse(s, 0, &sa, e, sizeof(e)) < 0)
		return aw_jc_bad(c, "metrics.listen", "%s", e);
	snprintf(cfg->metrics_listen, sizeof(cfg->metrics_listen), "%s", s);
	return 0;
}

static int
parse_mode(struct aw_jctx *c, json_t *root, struct aw_config *cfg)
{
	const char *mode;

	if (aw_jc_get_string(c, root, "", "mode", false, &mode) < 0)
		return -1;
	cfg->mode = AW_MODE_RTC;
	if (mode == NULL || strcmp(mode, "rtc") == 0) {
		if (json_object_get(root, "pipeline") != NULL)
			return aw_jc_bad(c, "pipeline", "only valid with \"mode\": \"pipeline\"");
		return 0;
	}
	if (strcmp(mode, "pipeline") != 0)
		return aw_jc_bad(c, "mode", "expected \"rtc\" or \"pipeline\", got \"%s\"", mode);
	cfg->mode = AW_MODE_PIPELINE;
	return parse_pipeline(c, root, &cfg->pipeline);
}

/* The core's top-level keys, then each feature's (registry order). */
static void
root_keys(const char **keys, size_t max)
{
	static const char *const core[] = {
		"mode", "pipeline", "ports", "routes", "neighbors", "vips", "api", "metrics",
		"neighbor_cache", "idle_sleep_us", "burst", "mbufs", "icmp_rate_per_s", NULL};
	size_t n = 0;

	for (const char *const *k = core; *k && n + 1 < max; k++)
		keys[n++] = *k;
	for (unsigned f = 0; f < AW_FEAT__COUNT; f++)
		for (const char *const *k = aw_features[f]->config_keys; *k && n + 1 < max; k++)
			keys[n++] = *k;
	keys[n] = NULL;
}

static int
parse_features(struct aw_jctx *c, json_t *root, struct aw_config *cfg)
{
	for (unsigned f = 0; f < AW_FEAT__COUNT; f++)
		if (aw_features[f]->config_parse(c, root, cfg) < 0)
			return -1;
	return 0;
}

static int
parse_root(struct aw_jctx *c, json_t *root, struct aw_config *cfg)
{
	const char *keys[64];

	root_keys(keys, sizeof(keys) / sizeof(keys[0]));
	if (!json_is_object(root))
		return aw_jc_bad(c, "(top level)", "expected a JSON object, got %s", aw_jc_type_name(root));
	if (aw_jc_check_keys(c, root, "", keys) < 0 ||
	    parse_mode(c, root, cfg) < 0 || parse_ports(c, root, cfg) < 0 ||
	    aw_jc_parse_list(c, root, "routes", AW_MAX_ROUTES, sizeof(struct aw_route_conf), route_elem,
		       cfg, (void **)&cfg->routes, &cfg->n_routes) < 0 ||
	    aw_jc_parse_list(c, root, "neighbors", AW_MAX_NEIGH_CONF, sizeof(struct aw_neigh_conf),
		       neigh_elem, cfg, (void **)&cfg->neighbors, &cfg->n_neighbors) < 0 ||
	    aw_jc_parse_list(c, root, "vips", AW_MAX_VIPS, sizeof(struct aw_vip_conf), vip_elem, cfg,
		       (void **)&cfg->vips, &cfg->n_vips) < 0 ||
	    parse_neigh_settings(c, root, &cfg->neigh) < 0 || parse_api(c, root, cfg) < 0 ||
	    parse_metrics(c, root, cfg) < 0 ||
	    AW_JC_GET_U32(c, root, "", "idle_sleep_us", 0, 100000, 0, cfg->idle_sleep_us) < 0 ||
	    AW_JC_GET_U32(c, root, "", "burst", 1, 256, 32, cfg->burst) < 0 ||
	    AW_JC_GET_U32(c, root, "", "mbufs", 1023, 1 << 24, 16383, cfg->mbufs) < 0 ||
	    AW_JC_GET_U32(c, root, "", "icmp_rate_per_s", 0, 1000000, 100, cfg->icmp_rate) < 0 ||
	    parse_features(c, root, cfg) < 0)
		return -1;
	return 0;
}

static int
config_load(const char *path, struct aw_config *cfg, char *err, size_t errlen, bool no_eal)
{
	struct aw_jctx c = {.file = path, .err = err, .errlen = errlen, .no_eal = no_eal};
	json_error_t jerr;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		if (jerr.line < 0)
			snprintf(err, errlen, "%s: %s", path, jerr.text);
		else
			snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line, jerr.column,
				 jerr.text);
		return -1;
	}
	cfg->raw = root;
	if (parse_root(&c, root, cfg) < 0) {
		aw_config_free(cfg);
		return -1;
	}
	return 0;
}

int
aw_config_load(const char *path, struct aw_config *cfg, char *err, size_t errlen)
{
	return config_load(path, cfg, err, errlen, false);
}

int
aw_config_check(const char *path, struct aw_config *cfg, char *err, size_t errlen)
{
	return config_load(path, cfg, err, errlen, true);
}

void
aw_config_free(struct aw_config *cfg)
{
	free(cfg->routes);
	free(cfg->neighbors);
	free(cfg->vips);
	for (unsigned f = 0; f < AW_FEAT__COUNT; f++) {
		aw_features[f]->config_free(cfg->feat_conf[f]);
		cfg->feat_conf[f] = NULL;
	}
	json_decref(cfg->raw);
	cfg->routes = NULL;
	cfg->neighbors = NULL;
	cfg->vips = NULL;
	cfg->raw = NULL;
}
