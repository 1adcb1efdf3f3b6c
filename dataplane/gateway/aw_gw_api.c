/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gateway.* methods of the JSON API (dataplane/API.md). API thread only;
 * every handler validates the whole request, then applies it under g->lock
 * as one table update (aw_gw_table_commit: all or nothing).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "aw_hex.h"

#include "aw_gw.h"
#include "aw_gw_priv.h"

#define LIST_MAX 10000
#define LIST_DEF 100

static uint64_t
rd(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

static json_t *
bind_json(const struct aw_gw_bind *b, json_t *o)
{
	struct aw_addr a;
	char buf[AW_ADDR_STRLEN];

	json_object_set_new(o, "bound", json_boolean(b->bound));
	if (!b->bound)
		return o;
	if (b->v6)
		aw_addr_set6(&a, b->addr);
	else
		aw_addr_set4(&a, b->addr);
	json_object_set_new(o, "addr", json_string(aw_addr_format(&a, buf, sizeof(buf))));
	json_object_set_new(o, "port", json_integer(rte_be_to_cpu_16(b->port_be)));
	return o;
}

json_t *
aw_gw_path_json(const struct aw_gw *g, const struct aw_gw_path *p)
{
	uint32_t now = aw_gw_clock(g, rte_rdtsc());
	uint32_t idle = now - __atomic_load_n(&p->last_in_s, __ATOMIC_RELAXED);
	char h[33], node[AW_ADDR_STRLEN];
	struct aw_gw_bind b = {0};

	aw_hex_encode(p->path_id, 16, h);
	if (!aw_gw_bind_read(p, &b) || idle > p->idle_timeout_s)
		b.bound = 0; /* idle: replies are refused as unbound until the node speaks */
	json_t *o = json_pack("{s:s,s:i,s:s,s:i,s:i,s:{s:I,s:I,s:I,s:I,s:I}}", "path_id", h,
			      "suite", p->suite, "node_addr",
			      aw_addr_format(&p->node, node, sizeof(node)), "idle_s",
			      b.bound ? (int)idle : -1, "idle_timeout_s", p->idle_timeout_s,
			      "counters", "packets_in", (json_int_t)rd(&p->pkts_in), "bytes_in",
			      (json_int_t)rd(&p->bytes_in), "packets_out",
			      (json_int_t)rd(&p->pkts_out), "bytes_out",
			      (json_int_t)rd(&p->bytes_out), "drops", (json_int_t)rd(&p->drops));
	return bind_json(&b, o);
}

static struct aw_gw *
gw_on(struct aw_dp *dp, char *err, size_t errlen)
{
	if (aw_gw_of(dp) == NULL)
		snprintf(err, errlen, "gateway is not enabled in the config");
	return aw_gw_of(dp);
}

static json_t *
add_batch(struct aw_gw *g, json_t *list, char *err, size_t errlen)
{
	struct aw_jctx c = {NULL, err, errlen};
	size_t n = json_array_size(list), i;
	struct aw_gw_entry *e = calloc(n ? n : 1, sizeof(*e));
	json_t *v, *out = NULL;
	char p[32];

	if (e == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_array_foreach (list, i, v) {
		snprintf(p, sizeof(p), "gateways[%zu]", i);
		if (aw_gw_entry_parse(&c, v, p, g->conf, &e[i]) < 0)
			goto done;
	}
	pthread_mutex_lock(&g->lock);
	int rc = aw_gw_table_commit(g->t, e, (unsigned)n, NULL, 0, "gateways", NULL, NULL, err,
				    errlen);
	pthread_mutex_unlock(&g->lock);
	if (rc == 0)
		out = json_pack("{s:I}", "applied", (json_int_t)n);
done:
	memset(e, 0, sizeof(*e) * n);
	free(e);
	return out;
}

static json_t *
m_add(struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	struct aw_gw *g = gw_on(dp, err, errlen);
	struct aw_jctx c = {NULL, err, errlen};
	json_t *list = json_object_get(req, "gateways"), *out = NULL;
	struct aw_gw_entry e;
	bool existed = false;

	if (g == NULL)
		return NULL;
	if (list != NULL) {
		if (json_object_size(req) != 2 || !json_is_array(list) ||
		    json_array_size(list) > AW_GW_BATCH_MAX) {
			snprintf(err, errlen, "gateways: expected an array of at most %u gateway "
				 "objects and no other argument", AW_GW_BATCH_MAX);
			return NULL;
		}
		return add_batch(g, list, err, errlen);
	}
	json_t *a = aw_api_args(req);
	int rc = aw_gw_entry_parse(&c, a, "", g->conf, &e);
	json_decref(a);
	if (rc == 0) {
		pthread_mutex_lock(&g->lock);
		rc = aw_gw_table_commit(g->t, &e, 1, NULL, 0, "gateway", &existed, NULL, err,
					errlen);
		pthread_mutex_unlock(&g->lock);
	}
	if (rc == 0) {
		char h[33];
		aw_hex_encode(e.path_id, 16, h);
		out = json_pack("{s:s,s:b}", "path_id", h, "existed", existed);
	}
	memset(&e, 0, sizeof(e));
	return out;
}

static json_t *
del_ids(struct aw_gw *g, const uint8_t (*ids)[16], unsigned n, char *err, size_t errlen)
{
	unsigned removed = 0;

	pthread_mutex_lock(&g->lock);
	int rc = aw_gw_table_commit(g->t, NULL, 0, ids, n, "path_ids", NULL, &removed, err,
				    errlen);
	pthread_mutex_unlock(&g->lock);
	return rc < 0 ? NULL : json_pack("{s:i}", "removed", removed);
}

static json_t *
m_del(struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	struct aw_gw *g = gw_on(dp, err, errlen);
	struct aw_jctx c = {NULL, err, errlen};
	json_t *list = json_object_get(req, "path_ids"), *v, *out;
	uint8_t id[16];
	size_t i;
	char p[32], h[33];

	if (g == NULL)
		return NULL;
	if (list == NULL) {
		if (aw_api_path_id_arg(req, "gateway.del", id, err, errlen) < 0 ||
		    (out = del_ids(g, (const uint8_t(*)[16])id, 1, err, errlen)) == NULL)
			return NULL;
		bool existed = json_integer_value(json_object_get(out, "removed")) == 1;
		json_decref(out);
		aw_hex_encode(id, 16, h);
		return json_pack("{s:s,s:b}", "path_id", h, "existed", existed);
	}
	if (json_object_size(req) != 2 || !json_is_array(list) ||
	    json_array_size(list) > AW_GW_BATCH_MAX) {
		snprintf(err, errlen, "path_ids: expected an array of at most %u PathIDs and no "
			 "other argument", AW_GW_BATCH_MAX);
		return NULL;
	}
	uint8_t (*ids)[16] = malloc(16 * (json_array_size(list) + 1));
	if (ids == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	out = NULL;
	json_array_foreach (list, i, v) {
		snprintf(p, sizeof(p), "path_ids[%zu]", i);
		if (aw_gw_parse_path_id(&c, v, p, ids[i]) < 0)
			goto done;
	}
	out = del_ids(g, (const uint8_t(*)[16])ids, (unsigned)json_array_size(list), err, errlen);
done:
	free(ids);
	return out;
}

static json_t *
m_get(struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	struct aw_gw *g = gw_on(dp, err, errlen);
	json_t *out = NULL;
	uint8_t id[16];

	if (g == NULL || aw_api_path_id_arg(req, "gateway.get", id, err, errlen) < 0)
		return NULL;
	pthread_mutex_lock(&g->lock);
	struct aw_gw_path *p = aw_gw_table_find(g->t, id);
	if (p != NULL)
		out = json_pack("{s:o}", "gateway", aw_gw_path_json(g, p));
	else
		snprintf(err, errlen, "path_id: no gateway path with this PathID");
	pthread_mutex_unlock(&g->lock);
	return out;
}

static json_t *
m_list(struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	static const char *const keys[] = {"op", "limit", "cursor", NULL};
	struct aw_gw *g = gw_on(dp, err, errlen);
	struct aw_jctx c = {NULL, err, errlen};
	uint64_t limit, cursor;
	struct aw_gw_path *p;
	bool end = false;

	if (g == NULL || aw_jc_check_keys(&c, req, "", keys) < 0 ||
	    aw_jc_get_uint(&c, req, "", "limit", 1, LIST_MAX, LIST_DEF, &limit) < 0 ||
	    aw_jc_get_uint(&c, req, "", "cursor", 0, UINT32_MAX, 0, &cursor) < 0)
		return NULL;
	json_t *arr = json_array();
	uint32_t next = (uint32_t)cursor;
	pthread_mutex_lock(&g->lock);
	for (uint64_t n = 0; n < limit; n++) {
		if (aw_gw_table_iterate(g->t, &next, &p) < 0) {
			end = true;
			break;
		}
		json_array_append_new(arr, aw_gw_path_json(g, p));
	}
	if (!end) { /* null cursor when nothing follows */
		uint32_t probe = next;
		end = aw_gw_table_iterate(g->t, &probe, &p) < 0;
	}
	pthread_mutex_unlock(&g->lock);
	return json_pack("{s:o,s:o}", "gateways", arr, "cursor",
			 end ? json_null() : json_integer(next));
}

const struct aw_api_method aw_gw_api_methods[] = {
	{"gateway.add", m_add},
	{"gateway.del", m_del},
	{"gateway.get", m_get},
	{"gateway.list", m_list},
};
const unsigned aw_gw_n_api_methods = sizeof(aw_gw_api_methods) / sizeof(aw_gw_api_methods[0]);
