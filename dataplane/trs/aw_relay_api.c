/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * relay.* methods of the JSON API (dataplane/API.md) and the one update
 * function the config shares. API thread only; every handler validates the
 * whole request, then takes r->lock (against the expiry thread) to apply it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "aw_hex.h"

#include "aw_relay.h"
#include "aw_relay_priv.h"

#define LIST_MAX    10000
#define LIST_DEF    100
#define EVENTS_MAX  10000

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
			 "rate_limited", p->rate != NULL, "counters", "packets_from_initiator",
			 (json_int_t)rd(&p->pkts[0]), "bytes_from_initiator",
			 (json_int_t)rd(&p->bytes[0]), "packets_from_responder",
			 (json_int_t)rd(&p->pkts[1]), "bytes_from_responder",
			 (json_int_t)rd(&p->bytes[1]), "drops", (json_int_t)rd(&p->drops));
}

static struct aw_relay *
relay_on(struct aw_dp *dp, char *err, size_t errlen)
{
	if (aw_relay_of(dp) == NULL)
		snprintf(err, errlen, "trs is not enabled in the config");
	return aw_relay_of(dp);
}

static json_t *
add_batch(struct aw_relay *r, json_t *list, char *err, size_t errlen)
{
	struct aw_jctx c = {NULL, err, errlen};
	size_t n = json_array_size(list), i;
	struct aw_relay_entry *e = calloc(n ? n : 1, sizeof(*e));
	json_t *v, *out = NULL;
	char p[32];

	if (e == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_array_foreach (list, i, v) {
		snprintf(p, sizeof(p), "relays[%zu]", i);
		if (aw_relay_entry_parse(&c, v, p, &e[i]) < 0)
			goto done;
	}
	pthread_mutex_lock(&r->lock);
	int rc = aw_relay_apply(r, e, (unsigned)n, "relays", NULL, err, errlen);
	pthread_mutex_unlock(&r->lock);
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
	struct aw_relay *r = relay_on(dp, err, errlen);
	struct aw_jctx c = {NULL, err, errlen};
	json_t *list = json_object_get(req, "relays"), *out = NULL;
	struct aw_relay_entry e;
	bool existed = false;

	if (r == NULL)
		return NULL;
	if (list != NULL) {
		if (json_object_size(req) != 2 || !json_is_array(list) ||
		    json_array_size(list) > AW_RELAY_BATCH_MAX) {
			snprintf(err, errlen, "relays: expected an array of at most %u relay objects "
				 "and no other argument", AW_RELAY_BATCH_MAX);
			return NULL;
		}
		return add_batch(r, list, err, errlen);
	}
	json_t *a = aw_api_args(req);
	int rc = aw_relay_entry_parse(&c, a, "", &e);
	json_decref(a);
	if (rc == 0) {
		pthread_mutex_lock(&r->lock);
		rc = aw_relay_apply(r, &e, 1, "relay", &existed, err, errlen);
		pthread_mutex_unlock(&r->lock);
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
del_batch(struct aw_relay *r, json_t *list, char *err, size_t errlen)
{
	struct aw_jctx c = {NULL, err, errlen};
	size_t n = json_array_size(list), i;
	uint8_t (*ids)[16] = malloc(16 * (n ? n : 1));
	unsigned removed = 0;
	json_t *v;
	char p[32];

	if (ids == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_array_foreach (list, i, v) {
		snprintf(p, sizeof(p), "path_ids[%zu]", i);
		if (aw_relay_parse_path_id(&c, v, p, ids[i]) < 0) {
			free(ids);
			return NULL;
		}
	}
	pthread_mutex_lock(&r->lock);
	for (i = 0; i < n; i++)
		removed += aw_relay_table_del(r->t, ids[i]);
	pthread_mutex_unlock(&r->lock);
	free(ids);
	return json_pack("{s:i}", "removed", removed);
}

static json_t *
m_del(struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	struct aw_relay *r = relay_on(dp, err, errlen);
	json_t *list = json_object_get(req, "path_ids");
	uint8_t id[16];
	char h[33];

	if (r == NULL)
		return NULL;
	if (list != NULL) {
		if (json_object_size(req) != 2 || !json_is_array(list) ||
		    json_array_size(list) > AW_RELAY_BATCH_MAX) {
			snprintf(err, errlen, "path_ids: expected an array of at most %u PathIDs "
				 "and no other argument", AW_RELAY_BATCH_MAX);
			return NULL;
		}
		return del_batch(r, list, err, errlen);
	}
	if (aw_api_path_id_arg(req, "relay.del", id, err, errlen) < 0)
		return NULL;
	pthread_mutex_lock(&r->lock);
	bool existed = aw_relay_table_del(r->t, id);
	pthread_mutex_unlock(&r->lock);
	aw_hex_encode(id, 16, h);
	return json_pack("{s:s,s:b}", "path_id", h, "existed", existed);
}

static json_t *
m_get(struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	struct aw_relay *r = relay_on(dp, err, errlen);
	json_t *out = NULL;
	uint8_t id[16];

	if (r == NULL || aw_api_path_id_arg(req, "relay.get", id, err, errlen) < 0)
		return NULL;
	pthread_mutex_lock(&r->lock);
	struct aw_relay_path *p = aw_relay_table_find(r->t, id);
	if (p != NULL)
		out = json_pack("{s:o}", "relay", aw_relay_path_json(r, id, p));
	else
		snprintf(err, errlen, "path_id: no relay with this PathID");
	pthread_mutex_unlock(&r->lock);
	return out;
}

static json_t *
m_list(struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	static const char *const keys[] = {"op", "limit", "cursor", NULL};
	struct aw_relay *r = relay_on(dp, err, errlen);
	struct aw_jctx c = {NULL, err, errlen};
	uint64_t limit, cursor;
	json_t *arr;

	if (r == NULL || aw_jc_check_keys(&c, req, "", keys) < 0 ||
	    aw_jc_get_uint(&c, req, "", "limit", 1, LIST_MAX, LIST_DEF, &limit) < 0 ||
	    aw_jc_get_uint(&c, req, "", "cursor", 0, UINT32_MAX, 0, &cursor) < 0)
		return NULL;
	arr = json_array();
	uint32_t next = (uint32_t)cursor;
	const uint8_t *id;
	struct aw_relay_path *p;
	bool end = false;
	pthread_mutex_lock(&r->lock);
	for (uint64_t n = 0; n < limit; n++) {
		if (aw_relay_table_iterate(r->t, &next, &id, &p) < 0) {
			end = true;
			break;
		}
		json_array_append_new(arr, aw_relay_path_json(r, id, p));
	}
	if (!end) { /* null cursor when nothing follows */
		uint32_t probe = next;
		end = aw_relay_table_iterate(r->t, &probe, &id, &p) < 0;
	}
	pthread_mutex_unlock(&r->lock);
	return json_pack("{s:o,s:o}", "relays", arr, "cursor",
			 end ? json_null() : json_integer(next));
}

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
