/* SPDX-License-Identifier: BSD-3-Clause */
/* Config keys "trs" and "relays"; the shared relay-entry parser. */
#include "aw_relay_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aw_msg_check.h"
#include "aw_relay.h"

#define L aw_relay_limits

/* The validation anyway-mapd and the agent apply too (lib/proto). */
static int
check_shared(struct aw_jctx *c, const char *path, const struct aw_relay_entry *e)
{
	struct aw_msg_relay m = {.suite = e->suite, .idle_timeout_s = e->idle_timeout_s,
				 .bind_timeout_s = e->bind_timeout_s, .has_rate = e->has_rate,
				 .rate = {e->rate_pps, e->rate_bytes_s, e->rate_burst}};
	struct aw_msg_check_err err;
	char p[160];

	if (aw_msg_relay_check(&m, "bytes_per_s", &err) == 0)
		return 0;
	aw_jc_subpath(p, sizeof(p), path, err.key);
	return aw_jc_bad(c, p, "%s", err.msg);
}

static int
parse_rate(struct aw_jctx *c, json_t *r, const char *path, struct aw_relay_entry *out)
{
	static const char *const keys[] = {"pps", "bytes_per_s", "burst", NULL};
	uint64_t burst;

	if (!json_is_object(r))
		return aw_jc_bad(c, path, "expected an object {pps, bytes_per_s, burst}, got %s",
				 aw_jc_type_name(r));
	/* ranges from lib/proto's table; aw_msg_relay_check() in the caller */
	if (aw_jc_check_keys(c, r, path, keys) < 0 ||
	    aw_jc_get_uint(c, r, path, "pps", 0, L[AW_RELAY_LIM_PPS].max, 0, &out->rate_pps) < 0 ||
	    aw_jc_get_uint(c, r, path, "bytes_per_s", 0, L[AW_RELAY_LIM_BPS].max, 0,
			   &out->rate_bytes_s) < 0 ||
	    aw_jc_get_uint(c, r, path, "burst", 1, L[AW_RELAY_LIM_BURST].max, 64, &burst) < 0)
		return -1;
	out->rate_burst = (uint32_t)burst;
	out->has_rate = true;
	return 0;
}

int
aw_relay_entry_parse(struct aw_jctx *c, json_t *v, const char *path, struct aw_relay_entry *out)
{
	static const char *const keys[] = {"path_id", "tunnel_key", "suite", "idle_timeout_s",
					   "bind_timeout_s", "rate", NULL};
	char p[160];
	json_t *x;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(v))
		return aw_jc_bad(c, path[0] ? path : "(request)", "expected an object, got %s",
				 aw_jc_type_name(v));
	if (aw_jc_check_keys(c, v, path, keys) < 0)
		return -1;
	static const char *const req[] = {"path_id", "tunnel_key", "suite"};
	for (unsigned i = 0; i < 3; i++)
		if (json_object_get(v, req[i]) == NULL) {
			aw_jc_subpath(p, sizeof(p), path, req[i]);
			return aw_jc_bad(c, p, "required");
		}
	aw_jc_subpath(p, sizeof(p), path, "path_id");
	if (aw_jc_parse_hex(c, json_object_get(v, "path_id"), p, out->path_id, 16) < 0)
		return -1;
	aw_jc_subpath(p, sizeof(p), path, "tunnel_key");
	if (aw_jc_parse_hex(c, json_object_get(v, "tunnel_key"), p, out->key, 32) < 0)
		return -1;
	if (AW_JC_GET_U32(c, v, path, "suite", 1, L[AW_RELAY_LIM_SUITE].max, 1, out->suite) < 0 ||
	    AW_JC_GET_U32(c, v, path, "idle_timeout_s", 1, L[AW_RELAY_LIM_IDLE].max, 300,
			  out->idle_timeout_s) < 0 ||
	    AW_JC_GET_U32(c, v, path, "bind_timeout_s", 1, L[AW_RELAY_LIM_BIND].max, 30,
			  out->bind_timeout_s) < 0)
		return -1;
	x = json_object_get(v, "rate");
	aw_jc_subpath(p, sizeof(p), path, "rate");
	if (x != NULL && parse_rate(c, x, p, out) < 0)
		return -1;
	return check_shared(c, path, out);
}

struct idx_id {
	const uint8_t *id;
	unsigned i;
};

static int
cmp_id(const void *a, const void *b)
{
	const struct idx_id *x = a, *y = b;
	int c = memcmp(x->id, y->id, 16);
	return c != 0 ? c : (x->i > y->i) - (x->i < y->i);
}

int
aw_relay_check_dups(const struct aw_relay_entry *e, unsigned n, const char *what, char *err, size_t errlen)
{
	struct idx_id *v = malloc(sizeof(*v) * (n ? n : 1));
	int rc = 0;

	if (v == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < n; i++)
		v[i] = (struct idx_id){e[i].path_id, i};
	qsort(v, n, sizeof(*v), cmp_id);
	for (unsigned i = 1; i < n && rc == 0; i++)
		if (memcmp(v[i - 1].id, v[i].id, 16) == 0) {
			snprintf(err, errlen, "%s[%u].path_id: same PathID as %s[%u]", what, v[i].i,
				 what, v[i - 1].i);
			rc = -1;
		}
	free(v);
	return rc;
}

static int
relay_elem(struct aw_jctx *c, json_t *v, const char *path, const struct aw_config *cfg, void *out)
{
	(void)cfg;
	return aw_relay_entry_parse(c, v, path, out);
}

static bool
is_own(const struct aw_config *cfg, const struct aw_addr *a)
{
	for (unsigned i = 0; i < cfg->n_ports; i++)
		for (unsigned j = 0; j < cfg->ports[i].n_addrs; j++)
			if (aw_addr_eq(&cfg->ports[i].addrs[j].addr, a))
				return true;
	for (unsigned i = 0; i < cfg->n_vips; i++)
		if (aw_addr_eq(&cfg->vips[i].addr, a))
			return true;
	return false;
}

static int
parse_addrs(struct aw_jctx *c, json_t *trs, struct aw_relay_conf *rc,
	    const struct aw_config *rc_cfg)
{
	json_t *arr, *v;
	size_t i;
	char p[64];

	if (aw_jc_get_array(c, trs, "trs", "addrs", false, 2, &arr) < 0)
		return -1;
	json_array_foreach (arr, i, v) {
		struct aw_addr a;
		snprintf(p, sizeof(p), "trs.addrs[%zu]", i);
		if (!json_is_string(v))
			return aw_jc_bad(c, p, "expected an address string, got %s",
					 aw_jc_type_name(v));
		if (aw_jc_parse_addr(c, p, json_string_value(v), &a) < 0)
			return -1;
		if (!is_own(rc_cfg, &a))
			return aw_jc_bad(c, p, "expected an address of a port or a VIP");
		bool v6 = a.family == AW_AF_INET6;
		if (v6 ? rc->has_addr6 : rc->has_addr4)
			return aw_jc_bad(c, p, "expected at most one address per family");
		if (v6) {
			rc->addr6 = a;
			rc->has_addr6 = true;
		} else {
			rc->addr4 = a;
			rc->has_addr4 = true;
		}
	}
	return 0;
}

static int
parse_trs(struct aw_jctx *c, json_t *trs, struct aw_relay_conf *rc, const struct aw_config *cfg)
{
	static const char *const keys[] = {"port", "addrs", "max_paths", "verify_burst", NULL};

	if (trs == NULL) {
		rc->port = AW_TRS_PORT_DEFAULT;
		rc->max_paths = AW_RELAY_MAX_PATHS_DEFAULT;
		rc->verify_burst = 64;
		return 0;
	}
	if (!json_is_object(trs))
		return aw_jc_bad(c, "trs", "expected an object, got %s", aw_jc_type_name(trs));
	if (aw_jc_check_keys(c, trs, "trs", keys) < 0 ||
	    AW_JC_GET_U32(c, trs, "trs", "port", 1, 65535, AW_TRS_PORT_DEFAULT, rc->port) < 0 ||
	    AW_JC_GET_U32(c, trs, "trs", "max_paths", 1, AW_RELAY_MAX_PATHS_MAX,
			  AW_RELAY_MAX_PATHS_DEFAULT, rc->max_paths) < 0 ||
	    AW_JC_GET_U32(c, trs, "trs", "verify_burst", 1, 256, 64, rc->verify_burst) < 0)
		return -1;
	return parse_addrs(c, trs, rc, cfg);
}

int
aw_relay_config_parse(struct aw_jctx *c, json_t *root, struct aw_config *cfg)
{
	json_t *trs = json_object_get(root, "trs");
	struct aw_relay_conf *rc;
	void *list = NULL;

	cfg->feat_conf[AW_FEAT_RELAY] = NULL;
	if (trs == NULL && json_object_get(root, "relays") == NULL)
		return 0;
	rc = calloc(1, sizeof(*rc));
	if (rc == NULL)
		return aw_jc_bad(c, "trs", "out of memory");
	cfg->feat_conf[AW_FEAT_RELAY] = rc; /* freed by aw_config_free also on error */
	if (parse_trs(c, trs, rc, cfg) < 0 ||
	    aw_jc_parse_list(c, root, "relays", AW_RELAY_MAX_PATHS_MAX, sizeof(struct aw_relay_entry),
			     relay_elem, cfg, &list, &rc->n_relays) < 0) {
		rc->relays = list;
		return -1;
	}
	rc->relays = list;
	if (rc->n_relays > rc->max_paths)
		return aw_jc_bad(c, "relays", "expected at most trs.max_paths (%u) entries, got %u",
				 rc->max_paths, rc->n_relays);
	char e[160];
	if (aw_relay_check_dups(rc->relays, rc->n_relays, "relays", e, sizeof(e)) < 0)
		return aw_jc_bad(c, "relays", "%s", e);
	return 0;
}

void
aw_relay_config_free(struct aw_relay_conf *rc)
{
	if (rc == NULL)
		return;
	if (rc->relays != NULL)
		memset(rc->relays, 0, sizeof(*rc->relays) * rc->n_relays); /* keys */
	free(rc->relays);
	free(rc);
}
