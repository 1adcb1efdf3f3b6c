/* SPDX-License-Identifier: BSD-3-Clause */
/* Config keys "gateway" and "gateways"; the one gateway-entry parser that
 * the config and gateway.add share. Main thread (config) or API thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aw_gw.h"
#include "aw_gw_priv.h"
#include "aw_msg_check.h"

#define IDLE_MAX 86400

static int
parse_node(struct aw_jctx *c, json_t *v, const char *path, const struct aw_gw_conf *gc,
	   struct aw_addr *out)
{
	char buf[AW_ADDR_STRLEN];

	if (!json_is_string(v))
		return aw_jc_bad(c, path, "expected an IPv4 or IPv6 address string, got %s",
				 aw_jc_type_name(v));
	if (aw_jc_parse_addr(c, path, json_string_value(v), out) < 0)
		return -1;
	for (unsigned i = 0; i < gc->n_prefixes; i++)
		if (aw_prefix_contains(&gc->prefixes[i], out))
			return 0;
	return aw_jc_bad(c, path, "%s is not inside any of gateway.prefixes",
			 aw_addr_format(out, buf, sizeof(buf)));
}

/* The validation anyway-mapd and the agent apply too (lib/proto). */
static int
check_shared(struct aw_jctx *c, const char *path, const struct aw_gw_entry *e)
{
	struct aw_msg_gateway m = {.suite = e->suite, .node_addr = e->node,
				   .idle_timeout_s = e->idle_timeout_s};
	struct aw_msg_check_err err;
	char p[160];

	memcpy(m.path_id, e->path_id, sizeof(m.path_id));
	memcpy(m.end_key, e->key, sizeof(m.end_key));
	int rc = aw_msg_gateway_check(&m, &err);
	memset(m.end_key, 0, sizeof(m.end_key));
	if (rc == 0)
		return 0;
	aw_jc_subpath(p, sizeof(p), path, err.key);
	return aw_jc_bad(c, p, "%s", err.msg);
}

int
aw_gw_entry_parse(struct aw_jctx *c, json_t *v, const char *path, const struct aw_gw_conf *gc,
		  struct aw_gw_entry *out)
{
	static const char *const keys[] = {"path_id", "end_key", "suite", "node_addr",
					   "idle_timeout_s", NULL};
	static const char *const req[] = {"path_id", "end_key", "suite", "node_addr"};
	char p[160];

	memset(out, 0, sizeof(*out));
	if (!json_is_object(v))
		return aw_jc_bad(c, path[0] ? path : "(request)", "expected an object, got %s",
				 aw_jc_type_name(v));
	if (aw_jc_check_keys(c, v, path, keys) < 0)
		return -1;
	for (unsigned i = 0; i < 4; i++)
		if (json_object_get(v, req[i]) == NULL) {
			aw_jc_subpath(p, sizeof(p), path, req[i]);
			return aw_jc_bad(c, p, "required");
		}
	aw_jc_subpath(p, sizeof(p), path, "path_id");
	if (aw_jc_parse_hex(c, json_object_get(v, "path_id"), p, out->path_id, 16) < 0)
		return -1;
	aw_jc_subpath(p, sizeof(p), path, "end_key");
	if (aw_jc_parse_hex(c, json_object_get(v, "end_key"), p, out->key, 32) < 0)
		return -1;
	aw_jc_subpath(p, sizeof(p), path, "node_addr");
	if (parse_node(c, json_object_get(v, "node_addr"), p, gc, &out->node) < 0)
		return -1;
	if (AW_JC_GET_U32(c, v, path, "suite", 1, 2, 1, out->suite) < 0 ||
	    AW_JC_GET_U32(c, v, path, "idle_timeout_s", 1, IDLE_MAX, 300, out->idle_timeout_s) < 0)
		return -1;
	return check_shared(c, path, out);
}

static int
parse_prefixes(struct aw_jctx *c, json_t *gw, struct aw_gw_conf *gc)
{
	json_t *arr, *v;
	size_t i;
	char p[64], e[128], buf[AW_ADDR_STRLEN];

	if (aw_jc_get_array(c, gw, "gateway", "prefixes", true, AW_GW_MAX_PREFIXES, &arr) < 0)
		return -1;
	if (json_array_size(arr) == 0)
		return aw_jc_bad(c, "gateway.prefixes", "expected at least one overlay prefix");
	json_array_foreach (arr, i, v) {
		snprintf(p, sizeof(p), "gateway.prefixes[%zu]", i);
		if (!json_is_string(v))
			return aw_jc_bad(c, p, "expected a prefix string, got %s",
					 aw_jc_type_name(v));
		if (aw_network_parse(json_string_value(v), &gc->prefixes[i], e, sizeof(e)) < 0)
			return aw_jc_bad(c, p, "%s", e);
		for (size_t j = 0; j < i; j++)
			if (aw_prefix_contains(&gc->prefixes[j], &gc->prefixes[i].addr) ||
			    aw_prefix_contains(&gc->prefixes[i], &gc->prefixes[j].addr))
				return aw_jc_bad(c, p, "%s overlaps gateway.prefixes[%zu]",
						 aw_prefix_format(&gc->prefixes[i], buf,
								  sizeof(buf)), j);
		gc->n_prefixes++;
	}
	return 0;
}

static int
parse_gateway(struct aw_jctx *c, json_t *gw, struct aw_gw_conf *gc)
{
	static const char *const keys[] = {"port", "max_paths", "prefixes", "reassembly", NULL};
	static const char *const rkeys[] = {"max_datagrams", "timeout_ms", NULL};

	if (gw == NULL)
		return aw_jc_bad(c, "gateway", "required with \"gateways\" (at least its prefixes)");
	if (!json_is_object(gw))
		return aw_jc_bad(c, "gateway", "expected an object, got %s", aw_jc_type_name(gw));
	if (aw_jc_check_keys(c, gw, "gateway", keys) < 0 ||
	    AW_JC_GET_U32(c, gw, "gateway", "port", 1, 65535, AW_GW_PORT_DEFAULT, gc->port) < 0 ||
	    AW_JC_GET_U32(c, gw, "gateway", "max_paths", 1, AW_GW_MAX_PATHS_MAX,
			  AW_GW_MAX_PATHS_DEFAULT, gc->max_paths) < 0)
		return -1;
	json_t *r = json_object_get(gw, "reassembly");
	if (r == NULL)
		r = json_object(); /* defaults; freed below */
	else
		json_incref(r);
	int rc = !json_is_object(r)
			 ? aw_jc_bad(c, "gateway.reassembly", "expected an object, got %s",
				     aw_jc_type_name(r))
		 : aw_jc_check_keys(c, r, "gateway.reassembly", rkeys) < 0 ||
				 AW_JC_GET_U32(c, r, "gateway.reassembly", "max_datagrams", 16, 1u << 20,
					       4096, gc->frag_max) < 0 ||
				 AW_JC_GET_U32(c, r, "gateway.reassembly", "timeout_ms", 100, 60000,
					       2000, gc->frag_timeout_ms) < 0
			 ? -1
			 : 0;
	json_decref(r);
	return rc < 0 ? -1 : parse_prefixes(c, gw, gc);
}

static int
gw_elem(struct aw_jctx *c, json_t *v, const char *path, const struct aw_config *cfg, void *out)
{
	return aw_gw_entry_parse(c, v, path, aw_gw_conf_of(cfg), out);
}

int
aw_gw_config_parse(struct aw_jctx *c, json_t *root, struct aw_config *cfg)
{
	json_t *gw = json_object_get(root, "gateway");
	struct aw_gw_conf *gc;
	void *list = NULL;

	cfg->feat_conf[AW_FEAT_GATEWAY] = NULL;
	if (gw == NULL && json_object_get(root, "gateways") == NULL)
		return 0;
	gc = calloc(1, sizeof(*gc));
	if (gc == NULL)
		return aw_jc_bad(c, "gateway", "out of memory");
	cfg->feat_conf[AW_FEAT_GATEWAY] = gc; /* freed by aw_config_free also on error */
	if (parse_gateway(c, gw, gc) < 0)
		return -1;
	int rc = aw_jc_parse_list(c, root, "gateways", AW_GW_MAX_PATHS_MAX,
				  sizeof(struct aw_gw_entry), gw_elem, cfg, &list, &gc->n_entries);
	gc->entries = list;
	if (rc < 0)
		return -1;
	if (gc->n_entries > gc->max_paths)
		return aw_jc_bad(c, "gateways", "expected at most gateway.max_paths (%u) entries, got %u",
				 gc->max_paths, gc->n_entries);
	return 0;
}

void
aw_gw_config_free(void *conf)
{
	struct aw_gw_conf *gc = conf;

	if (gc == NULL)
		return;
	if (gc->entries != NULL)
		memset(gc->entries, 0, sizeof(*gc->entries) * gc->n_entries); /* keys */
	free(gc->entries);
	free(gc);
}

unsigned
aw_gw_route_prefixes(const struct aw_config *cfg, const struct aw_prefix **out)
{
	const struct aw_gw_conf *gc = aw_gw_conf_of(cfg);

	if (gc == NULL)
		return 0;
	*out = gc->prefixes;
	return gc->n_prefixes;
}
