/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * relay.* methods of the JSON API (dataplane/API.md) and the one update
 * function the config shares. relay.add/del/get/list are the relay table
 * described to aw_keyed_api, which validates each request whole and makes
 * every table call under r->lock (against the expiry thread); relay.expired
 * reads the event log. API thread, and the telemetry thread for
 * relay_tel_summary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_telemetry.h>

#include "aw_hex.h"

#include "aw_relay.h"
#include "aw_relay_priv.h"
#include "aw_keyed_api.h"

#define EVENTS_MAX 10000

int
aw_relay_apply(struct aw_relay *r, const struct aw_relay_entry *e, unsigned n, const char *what,
	       bool *existed, char *err, size_t errlen)
{
	uint32_t now = aw_relay_clock(r, rte_rdtsc());
	struct aw_relay_path **np = calloc(n ? n : 1, sizeof(*np));
	unsigned n_new = 0, failed = 0, i;
	char e2[160];

	if (np == NULL || aw_relay_check_dups(e, n, what, err, errlen) < 0) {
		if (np == NULL)
			snprintf(err, errlen, "out of memory");
		free(np);
		return -1;
	}
	for (i = 0; i < n; i++) {
		bool same = aw_relay_table_same(r->t, &e[i]) != NULL;
		if (existed != NULL)
			existed[i] = same;
		if (same)
			continue;
		n_new += aw_relay_table_find(r->t, e[i].path_id) == NULL;
		np[i] = aw_relay_path_new(r->t, &e[i], now, e2, sizeof(e2));
		if (np[i] == NULL) {
			snprintf(err, errlen, "%s[%u].%s", what, i, e2);
			goto undo;
		}
	}
	if (aw_relay_table_count(r->t) + n_new > aw_relay_table_max(r->t)) {
		snprintf(err, errlen, "relay table full: %u paths + %u new > trs.max_paths %u",
			 aw_relay_table_count(r->t), n_new, aw_relay_table_max(r->t));
		goto undo;
	}
	for (i = 0; i < n; i++) {
		/* replaced paths go to the RCU defer queue; failure is not
		 * expected (room checked, the queue drained on demand) */
		if (np[i] != NULL && aw_relay_table_insert(r->t, e[i].path_id, np[i]) < 0) {
			aw_relay_path_drop(r->t, np[i]);
			failed++;
		}
	}
	free(np);
	if (failed != 0) {
		snprintf(err, errlen, "%s: %u of %u entries could not be inserted (table full)",
			 what, failed, n);
		return -1;
	}
	return 0;
undo:
	for (unsigned j = 0; j < n; j++)
		aw_relay_path_drop(r->t, np[j]);
	free(np);
	return -1;
}

static json_t *
side_json(const struct aw_relay_side *s)
{
	struct aw_relay_bind b;
	struct aw_addr a;
	char buf[AW_ADDR_STRLEN];
	uint32_t seq;

	if (!aw_relay_bind_read(s, &b, &seq) || !b.bound)
		return json_pack("{s:b}", "bound", 0);
	if (b.v6)
		aw_addr_set6(&a, b.addr);
	else
		aw_addr_set4(&a, b.addr);
	return json_pack("{s:b,s:s,s:i}", "bound", 1, "addr", aw_addr_format(&a, buf, sizeof(buf)),
			 "port", rte_be_to_cpu_16(b.port_be));
}

static uint64_t
rd(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

json_t *
aw_relay_path_json(const struct aw_relay *r, const uint8_t id[16], const struct aw_relay_path *p)
{
	char h[33];
	uint32_t now = aw_relay_clock(r, rte_rdtsc());
	bool b0 = p->side[0].bind.bound, b1 = p->side[1].bind.bound;

	aw_hex_encode(id, 16, h);
	return json_pack("{s:s,s:i,s:s,s:[o,o],s:i,s:i,s:i,s:b,s:{s:I,s:I,s:I,s:I,s:I}}", "path_id",
			 h, "suite", p->suite, "state",
			 b0 && b1 ? "bound" : b0 || b1 ? "half_bound" : "unbound", "sides",
			 side_json(&p->side[0]), side_json(&p->side[1]), "idle_s",
			 (int)(now - __atomic_load_n(&p->last_seen_s, __ATOMIC_RELAXED)),
			 "idle_timeout_s", p->idle_timeout_s, "bind_timeout_s", p->bind_timeout_s,
			 "rate_limited", p->rate != 0, "counters", "packets_from_initiator",
			 (json_int_t)rd(&p->pkts[0]), "bytes_from_initiator",
			 (json_int_t)rd(&p->bytes[0]), "packets_from_responder",
			 (json_int_t)rd(&p->pkts[1]), "bytes_from_responder",
			 (json_int_t)rd(&p->bytes[1]), "drops",
			 (json_int_t)__atomic_load_n(&p->drops, __ATOMIC_RELAXED));
}

static struct aw_relay *
relay_on(struct aw_dp *dp, char *err, size_t errlen)
{
	if (aw_relay_of(dp) == NULL)
		snprintf(err, errlen, "trs is not enabled in the config");
	return aw_relay_of(dp);
}

static void *
relay_of(struct aw_dp *dp)
{
	return aw_relay_of(dp);
}

static pthread_mutex_t *
relay_lock(void *r)
{
	return &((struct aw_relay *)r)->lock;
}

static int
relay_parse(void *r, struct aw_jctx *c, json_t *v, const char *path, void *e)
{
	(void)r;
	return aw_relay_entry_parse(c, v, path, e);
}

static const uint8_t *
relay_entry_id(const void *e)
{
	return ((const struct aw_relay_entry *)e)->path_id;
}

static int
relay_apply(void *r, const void *e, unsigned n, const char *what, bool *existed, char *err,
	    size_t errlen)
{
	return aw_relay_apply(r, e, n, what, existed, err, errlen);
}

static int
relay_del(void *vr, const uint8_t (*ids)[16], unsigned n, unsigned *removed, char *err,
	  size_t errlen)
{
	struct aw_relay *r = vr;

	(void)err, (void)errlen;
	for (unsigned i = 0; i < n; i++)
		*removed += aw_relay_table_del(r->t, ids[i]);
	return 0;
}

static const void *
relay_find(void *r, const uint8_t id[16])
{
	return aw_relay_table_find(((struct aw_relay *)r)->t, id);
}

static int
relay_iterate(void *r, uint32_t *next, const uint8_t **id, const void **e)
{
	struct aw_relay_path *p;

	if (aw_relay_table_iterate(((struct aw_relay *)r)->t, next, id, &p) < 0)
		return -1;
	*e = p;
	return 0;
}

static json_t *
relay_entry_json(void *r, const uint8_t id[16], const void *p)
{
	return aw_relay_path_json(r, id, p);
}

static void
relay_tel_summary(void *vr, struct rte_tel_data *d)
{
	const struct aw_relay *r = vr;

	rte_tel_data_add_dict_u64(d, "paths", aw_relay_table_count(r->t));
	rte_tel_data_add_dict_u64(d, "max_paths", r->conf->max_paths);
	rte_tel_data_add_dict_u64(d, "expired_bind_timeout", r->expired[AW_RELAY_EXP_BIND]);
	rte_tel_data_add_dict_u64(d, "expired_idle_timeout", r->expired[AW_RELAY_EXP_IDLE]);
}

const struct aw_keyed aw_relay_keyed = {
	.feature = "trs",
	.one = "relay",
	.many = "relays",
	.not_found = "path_id: no relay with this PathID",
	.batch_max = AW_RELAY_BATCH_MAX,
	.entry_size = sizeof(struct aw_relay_entry),
	.of = relay_of,
	.lock = relay_lock,
	.parse = relay_parse,
	.entry_id = relay_entry_id,
	.apply = relay_apply,
	.del = relay_del,
	.find = relay_find,
	.iterate = relay_iterate,
	.entry_json = relay_entry_json,
	.tel_summary = relay_tel_summary,
};

AW_KEYED_METHODS(m, aw_relay_keyed)

static json_t *
m_expired(struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	static const char *const keys[] = {"op", "after", NULL};
	static const char *const why[] = {"bind_timeout", "idle_timeout"};
	struct aw_relay *r = relay_on(dp, err, errlen);
	struct aw_jctx c = {NULL, err, errlen};
	uint64_t after;
	json_t *arr;

	if (r == NULL || aw_jc_check_keys(&c, req, "", keys) < 0 ||
	    aw_jc_get_uint(&c, req, "", "after", 0, INT64_MAX, 0, &after) < 0)
		return NULL;
	arr = json_array();
	pthread_mutex_lock(&r->lock);
	uint64_t first = r->ev_next > AW_RELAY_EVENTS ? r->ev_next - AW_RELAY_EVENTS : 1;
	uint64_t s = after + 1 > first ? after + 1 : first, last = after;
	for (unsigned n = 0; s < r->ev_next && n < EVENTS_MAX; s++, n++) {
		const struct aw_relay_event *e = &r->ev[s % AW_RELAY_EVENTS];
		char h[33];
		aw_hex_encode(e->path_id, 16, h);
		json_array_append_new(arr, json_pack("{s:I,s:s,s:s}", "seq", (json_int_t)e->seq,
						     "path_id", h, "reason", why[e->reason]));
		last = e->seq;
	}
	uint64_t lost = after + 1 < first ? first - after - 1 : 0;
	pthread_mutex_unlock(&r->lock);
	return json_pack("{s:o,s:I,s:I}", "events", arr, "next", (json_int_t)last, "lost",
			 (json_int_t)lost);
}

const struct aw_api_method aw_relay_api_methods[] = {
	{"relay.add", m_add},
	{"relay.del", m_del},
	{"relay.get", m_get},
	{"relay.list", m_list},
	{"relay.expired", m_expired},
};
const unsigned aw_relay_n_api_methods = sizeof(aw_relay_api_methods) /
					sizeof(aw_relay_api_methods[0]);
