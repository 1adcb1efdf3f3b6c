/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gateway.* methods of the JSON API (dataplane/API.md): the gateway table
 * described to aw_keyed_api, which validates each request whole and makes
 * every table call under g->lock; an update is one aw_gw_table_commit (all
 * or nothing). API thread, and the telemetry thread for gw_tel_summary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_telemetry.h>

#include "aw_hex.h"

#include "aw_gw.h"
#include "aw_gw_priv.h"
#include "aw_keyed_api.h"

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

static void *
gw_of(struct aw_dp *dp)
{
	return aw_gw_of(dp);
}

static pthread_mutex_t *
gw_lock(void *g)
{
	return &((struct aw_gw *)g)->lock;
}

static int
gw_parse(void *g, struct aw_jctx *c, json_t *v, const char *path, void *e)
{
	return aw_gw_entry_parse(c, v, path, ((struct aw_gw *)g)->conf, e);
}

static const uint8_t *
gw_entry_id(const void *e)
{
	return ((const struct aw_gw_entry *)e)->path_id;
}

static int
gw_apply(void *g, const void *e, unsigned n, const char *what, bool *existed, char *err,
	 size_t errlen)
{
	return aw_gw_table_commit(((struct aw_gw *)g)->t, e, n, NULL, 0, what, existed, NULL, err,
				  errlen);
}

static int
gw_del(void *g, const uint8_t (*ids)[16], unsigned n, unsigned *removed, char *err,
       size_t errlen)
{
	return aw_gw_table_commit(((struct aw_gw *)g)->t, NULL, 0, ids, n, "path_ids", NULL,
				  removed, err, errlen);
}

static const void *
gw_find(void *g, const uint8_t id[16])
{
	return aw_gw_table_find(((struct aw_gw *)g)->t, id);
}

static int
gw_iterate(void *g, uint32_t *next, const uint8_t **id, const void **e)
{
	struct aw_gw_path *p;

	if (aw_gw_table_iterate(((struct aw_gw *)g)->t, next, &p) < 0)
		return -1;
	*id = p->path_id;
	*e = p;
	return 0;
}

static json_t *
gw_entry_json(void *g, const uint8_t id[16], const void *p)
{
	(void)id; /* p->path_id */
	return aw_gw_path_json(g, p);
}

static void
gw_tel_summary(void *vg, struct rte_tel_data *d)
{
	const struct aw_gw *g = vg;

	rte_tel_data_add_dict_u64(d, "paths", aw_gw_table_count(g->t));
	rte_tel_data_add_dict_u64(d, "max_paths", g->conf->max_paths);
}

const struct aw_keyed aw_gw_keyed = {
	.feature = "gateway",
	.one = "gateway",
	.many = "gateways",
	.not_found = "path_id: no gateway path with this PathID",
	.batch_max = AW_GW_BATCH_MAX,
	.entry_size = sizeof(struct aw_gw_entry),
	.of = gw_of,
	.lock = gw_lock,
	.parse = gw_parse,
	.entry_id = gw_entry_id,
	.apply = gw_apply,
	.del = gw_del,
	.find = gw_find,
	.iterate = gw_iterate,
	.entry_json = gw_entry_json,
	.tel_summary = gw_tel_summary,
};

AW_KEYED_METHODS(m, aw_gw_keyed)

const struct aw_api_method aw_gw_api_methods[] = {
	{"gateway.add", m_add},
	{"gateway.del", m_del},
	{"gateway.get", m_get},
	{"gateway.list", m_list},
};
const unsigned aw_gw_n_api_methods = sizeof(aw_gw_api_methods) / sizeof(aw_gw_api_methods[0]);
