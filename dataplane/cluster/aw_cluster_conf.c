/* SPDX-License-Identifier: BSD-3-Clause */
/* Config key "cluster" (dataplane/CONFIG.md): id, udp_port, key, underlay. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aw_cluster_priv.h"
#include "aw_hex.h"

static int
parse_key(struct aw_jctx *c, json_t *cl, uint8_t out[32])
{
	const char *s;

	if (aw_jc_get_string(c, cl, "cluster", "key", true, &s) < 0)
		return -1;
	if (strlen(s) != 64)
		return aw_jc_bad(c, "cluster.key", "expected 64 hex digits, got %zu characters",
				 strlen(s));
	for (size_t i = 0; i < 32; i++) {
		int hi = aw_hex_digit(s[2 * i]), lo = aw_hex_digit(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return aw_jc_bad(c, "cluster.key", "expected 64 hex digits, got a non-hex "
					 "character at %zu", hi < 0 ? 2 * i : 2 * i + 1);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static bool
is_port_addr(const struct aw_config *cfg, const struct aw_addr *a)
{
	for (unsigned i = 0; i < cfg->n_ports; i++)
		for (unsigned j = 0; j < cfg->ports[i].n_addrs; j++)
			if (aw_addr_eq(&cfg->ports[i].addrs[j].addr, a))
				return true;
	return false;
}

int
aw_cluster_config_parse(struct aw_jctx *c, json_t *root, struct aw_config *cfg)
{
	static const char *const keys[] = {"id", "udp_port", "key", "underlay", NULL};
	json_t *cl = json_object_get(root, "cluster");
	const char *id, *ul;

	cfg->feat_conf[AW_FEAT_CLUSTER] = NULL;
	if (cl == NULL)
		return 0;
	if (!json_is_object(cl))
		return aw_jc_bad(c, "cluster", "expected an object, got %s", aw_jc_type_name(cl));
	struct aw_cluster_conf *cc = calloc(1, sizeof(*cc));
	if (cc == NULL)
		return aw_jc_bad(c, "cluster", "out of memory");
	cfg->feat_conf[AW_FEAT_CLUSTER] = cc; /* freed by aw_config_free also on error */
	if (aw_jc_check_keys(c, cl, "cluster", keys) < 0 ||
	    aw_jc_get_string(c, cl, "cluster", "id", true, &id) < 0)
		return -1;
	if (!aw_member_id_ok(id))
		return aw_jc_bad(c, "cluster.id", "expected 1 to 63 characters of [A-Za-z0-9._-]");
	snprintf(cc->id, sizeof(cc->id), "%s", id);
	if (AW_JC_GET_U32(c, cl, "cluster", "udp_port", 1, 65535, AW_CLUSTER_PORT_DEFAULT,
			  cc->udp_port) < 0 ||
	    parse_key(c, cl, cc->key) < 0 ||
	    aw_jc_get_string(c, cl, "cluster", "underlay", true, &ul) < 0 ||
	    aw_jc_parse_addr(c, "cluster.underlay", ul, &cc->underlay) < 0)
		return -1;
	if (!is_port_addr(cfg, &cc->underlay))
		return aw_jc_bad(c, "cluster.underlay", "expected an address of a port, got %s",
				 ul);
	return 0;
}
