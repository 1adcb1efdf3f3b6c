/* SPDX-License-Identifier: BSD-3-Clause */
/* JSON API methods (see aw_api.h for the contract). Each handler validates its
 * arguments completely before changing anything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_rcu_qsbr.h>

#include "aw_addrset.h"
#include "aw_api.h"
#include "aw_conf_json.h"
#include "aw_feature.h"
#include "aw_build_config.h"
#include "aw_slowpath.h"
#include "aw_stats.h"

static json_t *
m_ping(struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	(void)dp, (void)req, (void)err, (void)errlen;
	return json_pack("{s:s,s:s}", "pong", "anyway-dataplane", "version", AW_VERSION);
}

static json_t *
m_stats(struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	(void)req, (void)err, (void)errlen;
	return aw_stats_json(dp);
}

static json_t *
vip_list_json(const struct aw_addrset *as)
{
	json_t *arr = json_array();
	char buf[AW_ADDR_STRLEN];

	for (uint32_t i = 0; i <= as->mask; i++) {
		const struct aw_addrset_entry *e = &as->slot[i];
		struct aw_addr a;
		if (e->family == 0 || !(e->flags & AW_ADDR_VIP))
			continue;
		if (e->family == AW_AF_INET4)
			aw_addr_set4(&a, e->b);
		else
			aw_addr_set6(&a, e->b);
		json_array_append_new(arr, json_pack("{s:s,s:b}", "addr",
						     aw_addr_format(&a, buf, sizeof(buf)), "aarp",
						     (e->flags & AW_ADDR_AARP) != 0));
	}
	return arr;
}

static json_t *
m_vip_list(struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	(void)req, (void)err, (void)errlen;
	return json_pack("{s:o}", "vips", vip_list_json(dp->addrs));
}

/* Secrets of the file as loaded never leave (SPEC §7.4): every member named
 * tunnel_key, end_key or secret, at any depth (relays[].tunnel_key,
 * asrs.synproxy.secret, gateway end keys), reads "(hidden)". */
static void
hide_secrets(json_t *v, int depth)
{
	static const char *const secret[] = {"tunnel_key", "end_key", "secret"};
	const char *k;
	json_t *m;
	size_t i;

	if (depth > 16)
		return; /* config files are shallow; the loader refuses deeper ones */
	if (json_is_array(v))
		json_array_foreach (v, i, m)
			hide_secrets(m, depth + 1);
	if (!json_is_object(v))
		return;
	for (void *it = json_object_iter(v); it != NULL; it = json_object_iter_next(v, it)) {
		bool hide = false;
		k = json_object_iter_key(it);
		m = json_object_iter_value(it);
		for (i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
			hide |= strcmp(k, secret[i]) == 0;
		if (hide)
			json_object_iter_set_new(v, it, json_string("(hidden)"));
		else
			hide_secrets(m, depth + 1);
	}
}

static json_t *
m_config_get(struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	(void)req, (void)err, (void)errlen;
	json_t *cfg = json_deep_copy(dp->cfg->raw);
	hide_secrets(cfg, 0);
	/* VIPs change live: show the current set. */
	json_object_set_new(cfg, "vips", vip_list_json(dp->addrs));
	return json_pack("{s:o,s:s}", "config", cfg, "path", dp->cfg->path);
}

/* Arguments of a request: the object without "op". */
json_t *
aw_api_args(json_t *req)
{
	json_t *a = json_copy(req);
	json_object_del(a, "op");
	return a;
}

int
aw_api_path_id_arg(json_t *req, const char *op, uint8_t id[16], char *err, size_t errlen)
{
	struct aw_jctx c = {NULL, err, errlen};
	json_t *v = json_object_get(req, "path_id");

	if (json_object_size(req) != 2 || v == NULL) {
		snprintf(err, errlen, "%s takes exactly {\"path_id\": 32 hex digits}", op);
		return -1;
	}
	return aw_jc_parse_hex(&c, v, "path_id", id, 16);
}

/* Publishes a new address set and frees the old one after every lcore passed
 * a quiescent state. */
static void
publish_addrs(struct aw_dp *dp, struct aw_addrset *next)
{
	struct aw_addrset *old = dp->addrs;

	__atomic_store_n(&dp->addrs, next, __ATOMIC_RELEASE);
	rte_rcu_qsbr_synchronize(dp->rcu, RTE_QSBR_THRID_INVALID);
	aw_addrset_free(old);
}

static json_t *
m_vip_add(struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	struct aw_vip_conf v;
	json_t *args = aw_api_args(req);
	int rc = aw_config_parse_vip(args, "", &v, err, errlen);
	char buf[AW_ADDR_STRLEN];

	json_decref(args);
	if (rc < 0)
		return NULL;
	const struct aw_addrset_entry *e = aw_addrset_lookup(dp->addrs, v.addr.b, v.addr.family);
	if (e != NULL && (e->flags & AW_ADDR_OWN)) {
		snprintf(err, errlen, "addr: %s is an address of port %u, not a VIP",
			 aw_addr_format(&v.addr, buf, sizeof(buf)), dp->ports[e->port].port_id);
		return NULL;
	}
	if (e == NULL && dp->addrs->count >= AW_MAX_VIPS + AW_MAX_PORTS * AW_MAX_PORT_ADDRS) {
		snprintf(err, errlen, "too many VIPs (at most %d)", AW_MAX_VIPS);
		return NULL;
	}
	struct aw_addrset *next = aw_addrset_with_vip(dp->addrs, &v.addr,
						      v.aarp ? AW_ADDR_AARP : 0);
	struct aw_ctl_msg *msg = malloc(sizeof(*msg));
	if (next == NULL || msg == NULL) {
		aw_addrset_free(next);
		free(msg);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	publish_addrs(dp, next);
	msg->vip = v.addr; /* gratuitous ARP / unsolicited NA from the housekeeper */
	if (rte_ring_sp_enqueue(dp->ctl_ring, msg) != 0)
		free(msg);
	return json_pack("{s:s,s:b,s:b}", "addr", aw_addr_format(&v.addr, buf, sizeof(buf)),
			 "aarp", v.aarp, "existed", e != NULL);
}

static json_t *
m_vip_del(struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	json_t *a = json_object_get(req, "addr");
	struct aw_addr addr;
	bool found;

	if (json_object_size(req) != 2 || a == NULL) {
		snprintf(err, errlen, "vip.del takes exactly {\"addr\": ADDRESS}");
		return NULL;
	}
	if (!json_is_string(a)) {
		snprintf(err, errlen, "addr: expected string");
		return NULL;
	}
	char e[128];
	if (aw_addr_parse(json_string_value(a), &addr, e, sizeof(e)) < 0) {
		snprintf(err, errlen, "addr: %s", e);
		return NULL;
	}
	struct aw_addrset *next = aw_addrset_without_vip(dp->addrs, &addr, &found);
	if (next == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!found) {
		aw_addrset_free(next);
		snprintf(err, errlen, "addr: %s is not a VIP", json_string_value(a));
		return NULL;
	}
	publish_addrs(dp, next);
	return json_pack("{s:s}", "addr", json_string_value(a));
}

static const struct aw_api_method core_methods[] = {
	{"ping", m_ping},
	{"stats", m_stats},
	{"config.get", m_config_get},
	{"vip.add", m_vip_add},
	{"vip.del", m_vip_del},
	{"vip.list", m_vip_list},
};
static const unsigned n_core_methods = sizeof(core_methods) / sizeof(core_methods[0]);

/* The error reply. Error texts may quote request bytes (possibly cut inside a
 * UTF-8 sequence, or not UTF-8 at all): anything outside printable ASCII
 * becomes '?', so the reply is always valid JSON and always sent. */
static json_t *
fail(const char *msg)
{
	char safe[512];
	size_t i = 0;

	for (; msg[i] != '\0' && i + 1 < sizeof(safe); i++)
		safe[i] = (msg[i] >= 0x20 && msg[i] <= 0x7e) ? msg[i] : '?';
	safe[i] = '\0';
	return json_pack("{s:b,s:s}", "ok", 0, "error", safe);
}

/* Method tables: the core's, then each feature's (registry order, their
 * own files). */
static const struct aw_api_method *
find_method(const char *name)
{
	for (unsigned i = 0; i < n_core_methods; i++)
		if (strcmp(core_methods[i].name, name) == 0)
			return &core_methods[i];
	for (unsigned f = 0; f < AW_FEAT__COUNT; f++) {
		const struct aw_feature_ops *o = aw_features[f];
		for (unsigned i = 0; i < *o->n_api_methods; i++)
			if (strcmp(o->api_methods[i].name, name) == 0)
				return &o->api_methods[i];
	}
	return NULL;
}

static void
list_add(char *out, size_t len, const struct aw_api_method *list, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		snprintf(out + strlen(out), len - strlen(out), "%s%s", out[0] ? ", " : "",
			 list[i].name);
}

static void
list_methods(char *out, size_t len)
{
	out[0] = '\0';
	list_add(out, len, core_methods, n_core_methods);
	for (unsigned f = 0; f < AW_FEAT__COUNT; f++)
		list_add(out, len, aw_features[f]->api_methods, *aw_features[f]->n_api_methods);
}

json_t *
aw_api_handle(struct aw_dp *dp, json_t *req)
{
	char err[512] = "";
	json_t *op = json_object_get(req, "op");

	if (!json_is_object(req))
		return fail("request must be a JSON object");
	if (!json_is_string(op))
		return fail(op ? "op: expected string" : "op: missing");
	const struct aw_api_method *m = find_method(json_string_value(op));
	if (m != NULL) {
		json_t *data = m->fn(dp, req, err, sizeof(err));
		if (data == NULL)
			return fail(err[0] ? err : "failed");
		json_object_set_new(data, "ok", json_true());
		return data;
	}
	char known[1024];
	list_methods(known, sizeof(known));
	snprintf(err, sizeof(err), "op: unknown method '%.64s' (known: %.400s)",
		 json_string_value(op), known);
	return fail(err);
}
