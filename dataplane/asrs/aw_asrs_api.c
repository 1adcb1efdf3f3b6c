/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ASRS JSON API methods (dataplane/API.md): service.set/del/list (single and
 * batch forms), listener.add/del/list, session.list; the "asrs" section of
 * the stats method; the /anyway/sessions telemetry command.
 *
 * Contract: methods run on the API thread (the only writer of the service
 * map and the listener table); each validates the whole request with the
 * parsers of aw_asrs_conf.c before changing anything. session.list reads
 * session slots while lcores write them: an entry listed while it changes
 * may mix old and new fields (slots are never freed while the process runs,
 * so this is a snapshot's imprecision, never a bad read). Stats and
 * telemetry: any control thread.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_telemetry.h>

#include "aw_asrs_priv.h"
#include "aw_asrs_svcstats.h"

static struct aw_asrs *
asrs_of(struct aw_dp *dp, char *err, size_t errlen)
{
	if (aw_asrs_of(dp) == NULL) {
		snprintf(err, errlen, "asrs is not enabled in the config");
		return NULL;
	}
	aw_svc_reclaim(aw_asrs_of(dp));
	return aw_asrs_of(dp);
}

static const char *
sid_hex(uint64_t sid, char *buf)
{
	return aw_sid_format(sid, buf, AW_SID_STRLEN);
}

/* service.set {service, destinations} | {services: [{service, destinations}]} */
static json_t *
m_service_set(struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	struct aw_asrs *a = asrs_of(dp, err, errlen);
	struct aw_jctx c = {.err = err, .errlen = errlen};
	json_t *args = aw_api_args(req), *list = json_object_get(args, "services"), *out = NULL;
	static const char *const keys[] = {"services", NULL};
	struct aw_svc_conf *sc = NULL;
	size_t n = 1;
	char p[64], hex[AW_SID_STRLEN];

	if (a == NULL)
		goto done;
	if (list != NULL && (aw_jc_check_keys(&c, args, "", keys) < 0 ||
			     aw_jc_get_array(&c, args, "", "services", true, AW_ASRS_BATCH_MAX,
					     &list) < 0))
		goto done;
	n = list != NULL ? json_array_size(list) : 1;
	sc = calloc(n + 1, sizeof(*sc));
	if (sc == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	if (list == NULL && aw_asrs_parse_service(&c, args, "", sc) < 0)
		goto done;
	for (size_t i = 0; list != NULL && i < n; i++) {
		snprintf(p, sizeof(p), "services[%zu]", i);
		if (aw_asrs_parse_service(&c, json_array_get(list, i), p, &sc[i]) < 0)
			goto done;
		for (size_t j = 0; j < i; j++)
			if (sc[j].sid == sc[i].sid) {
				aw_jc_bad(&c, p, "same service as services[%zu]", j);
				goto done;
			}
	}
	if (aw_svc_set_batch(a, sc, (unsigned)n, err, errlen) < 0)
		goto done;
	out = list == NULL ? json_pack("{s:s,s:s}", "service", sc[0].uri, "sid", sid_hex(sc[0].sid, hex))
			   : json_pack("{s:I}", "applied", (json_int_t)n);
done:
	for (size_t i = 0; sc != NULL && i < n; i++)
		aw_svc_conf_clear(&sc[i]);
	free(sc);
	json_decref(args);
	return out;
}

/* service.del {service} | {services: [URI]} */
static json_t *
m_service_del(struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	struct aw_asrs *a = asrs_of(dp, err, errlen);
	struct aw_jctx c = {.err = err, .errlen = errlen};
	json_t *args = aw_api_args(req), *list = json_object_get(args, "services"), *out = NULL;
	static const char *const k1[] = {"service", NULL}, *const kn[] = {"services", NULL};
	char uri[AW_URI_MAX_LEN + 1], p[64];
	uint16_t len;
	uint64_t *sids = NULL;

	if (a == NULL || aw_jc_check_keys(&c, args, "", list ? kn : k1) < 0)
		goto done;
	if (list == NULL) {
		uint64_t sid;
		if (aw_asrs_parse_uri(&c, args, "", "service", uri, &len, &sid) < 0)
			goto done;
		unsigned removed = aw_svc_del_batch(a, &sid, 1);
		out = json_pack("{s:s,s:b}", "service", uri, "existed", removed == 1);
		goto done;
	}
	if (aw_jc_get_array(&c, args, "", "services", true, AW_ASRS_BATCH_MAX, &list) < 0)
		goto done;
	sids = calloc(json_array_size(list) + 1, sizeof(*sids));
	if (sids == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *wrap = json_pack("{s:O}", "service", json_array_get(list, i));
		snprintf(p, sizeof(p), "services[%zu]", i);
		int rc = aw_asrs_parse_uri(&c, wrap, "", "service", uri, &len, &sids[i]);
		json_decref(wrap);
		if (rc < 0) {
			/* the message names "service": point at the element instead */
			char tmp[512];
			snprintf(tmp, sizeof(tmp), "%s%s", p, err + strlen("service"));
			snprintf(err, errlen, "%s", tmp);
			goto done;
		}
	}
	out = json_pack("{s:I}", "removed",
			(json_int_t)aw_svc_del_batch(a, sids, (unsigned)json_array_size(list)));
done:
	free(sids);
	json_decref(args);
	return out;
}

static json_t *
dests_json(const struct aw_svc *s)
{
	json_t *arr = json_array();
	char buf[AW_ADDR_STRLEN];

	for (unsigned i = 0; i < s->n_dests; i++) {
		const struct aw_asrs_dest *d = &s->dests[i];
		json_array_append_new(arr, json_pack("{s:s,s:i,s:i,s:i}", "addr",
						     aw_addr_format(&d->addr, buf, sizeof(buf)),
						     "port", d->port, "priority", d->priority,
						     "weight", d->weight));
	}
	return arr;
}

/* service.stats {[service]}: per service and destination counters. */
static json_t *
m_service_stats(struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	struct aw_asrs *a = asrs_of(dp, err, errlen);
	struct aw_jctx c = {.err = err, .errlen = errlen};
	static const char *const keys[] = {"service", NULL};
	json_t *args = aw_api_args(req), *out = NULL;
	char uri[AW_URI_MAX_LEN + 1];
	uint16_t len;
	uint64_t sid;
	const struct aw_svc *only = NULL;

	if (a == NULL || aw_jc_check_keys(&c, args, "", keys) < 0)
		goto done;
	if (json_object_get(args, "service") != NULL) {
		if (aw_asrs_parse_uri(&c, args, "", "service", uri, &len, &sid) < 0)
			goto done;
		only = aw_svc_find(a, sid);
		if (only == NULL) {
			snprintf(err, errlen, "service %s: no such service", uri);
			goto done;
		}
	}
	out = aw_svcstats_json(a, only);
	if (out == NULL)
		snprintf(err, errlen, "out of memory");
done:
	json_decref(args);
	return out;
}

static json_t *
m_service_list(struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	struct aw_asrs *a = asrs_of(dp, err, errlen);
	const void *k;
	void *d;
	uint32_t it = 0;
	char hex[AW_SID_STRLEN];

	if (a == NULL)
		return NULL;
	if (json_object_size(req) != 1) {
		snprintf(err, errlen, "service.list takes no arguments");
		return NULL;
	}
	json_t *arr = json_array();
	while (rte_hash_iterate(a->svc, &k, &d, &it) >= 0) {
		const struct aw_svc *s = d;
		json_array_append_new(arr, json_pack("{s:s#,s:s,s:o}", "service", s->uri,
						     (int)s->uri_len, "sid", sid_hex(s->sid, hex),
						     "destinations", dests_json(s)));
	}
	return json_pack("{s:o}", "services", arr);
}

static json_t *
lsn_json(const struct aw_lsn_conf *l, bool with_svc)
{
	char buf[AW_ADDR_STRLEN];
	json_t *o = json_pack("{s:s,s:s,s:i}", "vip", aw_addr_format(&l->vip, buf, sizeof(buf)),
			      "proto", l->proto == IPPROTO_TCP ? "tcp" : "udp", "port", l->port);
	if (with_svc)
		json_object_set_new(o, "service", json_stringn(l->uri, l->uri_len));
	if (l->synproxy >= 0)
		json_object_set_new(o, "synproxy", json_boolean(l->synproxy));
	return o;
}

static json_t *
lsn_change(struct aw_dp *dp, json_t *req, bool add, char *err, size_t errlen)
{
	struct aw_asrs *a = asrs_of(dp, err, errlen);
	struct aw_jctx c = {.err = err, .errlen = errlen};
	json_t *args = aw_api_args(req), *out = NULL;
	struct aw_lsn_conf l;
	bool existed;

	if (a == NULL || aw_asrs_parse_listener(&c, args, "", add, &l) < 0)
		goto done;
	if (!add) { /* the reply shows the listener removed, service included */
		const struct aw_lsn_table *t = a->lsn;
		for (unsigned i = 0; i < t->n; i++)
			if (aw_addr_eq(&t->list[i].vip, &l.vip) && t->list[i].proto == l.proto &&
			    t->list[i].port == l.port)
				l = t->list[i];
	}
	if (aw_lsn_update(a, &l, add, &existed, err, errlen) < 0)
		goto done;
	if (!add && !existed) {
		char buf[AW_ADDR_STRLEN];
		snprintf(err, errlen, "no listener on %s %s port %u",
			 aw_addr_format(&l.vip, buf, sizeof(buf)),
			 l.proto == IPPROTO_TCP ? "tcp" : "udp", l.port);
		goto done;
	}
	out = lsn_json(&l, true);
	if (add)
		json_object_set_new(out, "existed", json_boolean(existed));
done:
	json_decref(args);
	return out;
}

static json_t *
m_listener_add(struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	return lsn_change(dp, req, true, err, errlen);
}

static json_t *
m_listener_del(struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	return lsn_change(dp, req, false, err, errlen);
}

static json_t *
m_listener_list(struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	struct aw_asrs *a = asrs_of(dp, err, errlen);

	if (a == NULL)
		return NULL;
	if (json_object_size(req) != 1) {
		snprintf(err, errlen, "listener.list takes no arguments");
		return NULL;
	}
	json_t *arr = json_array();
	for (unsigned i = 0; i < a->lsn->n; i++)
		json_array_append_new(arr, lsn_json(&a->lsn->list[i], true));
	return json_pack("{s:o}", "listeners", arr);
}

static const char *const state_names[AW_SS__N] = {"free", "syn_seen", "established", "closing",
						   "udp"};

static const char *
endpoint(const uint8_t *b, uint16_t port_be, bool v6, char *buf, size_t len)
{
	struct aw_addr a;
	char s[AW_ADDR_STRLEN];

	if (v6)
		aw_addr_set6(&a, b);
	else
		aw_addr_set4(&a, b);
	aw_addr_format(&a, s, sizeof(s));
	snprintf(buf, len, v6 ? "[%s]:%u" : "%s:%u", s, rte_be_to_cpu_16(port_be));
	return buf;
}

static json_t *
sess_json(const struct aw_asrs *a, const struct aw_sess *s, uint32_t now)
{
	char c[64], v[64], n[64], d[64], hex[AW_SID_STRLEN];
	bool c6 = s->flags & AW_SESS_F_CLIENT6, d6 = s->flags & AW_SESS_F_DEST6;
	const struct aw_svc *svc = aw_svc_find(a, s->sid);
	uint8_t st = s->state;

	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:f}", "proto",
			 s->proto == IPPROTO_TCP ? "tcp" : "udp", "client",
			 endpoint(s->client, s->cport, c6, c, sizeof(c)), "vip",
			 endpoint(s->vip, s->vport, c6, v, sizeof(v)), "snat",
			 endpoint(a->snat_tab[s->snat], s->sport, d6, n, sizeof(n)), "destination",
			 endpoint(s->dest, s->dport, d6, d, sizeof(d)), "service",
			 svc != NULL ? svc->uri : "", "sid", sid_hex(s->sid, hex), "state",
			 st < AW_SS__N ? state_names[st] : "closing", "idle_s",
			 (double)(uint32_t)(now - s->last) / AW_ASRS_TICKS_PER_S);
}

/* session.list {limit?, cursor?}: slots from `cursor` on; cursor null at the end. */
static json_t *
m_session_list(struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	struct aw_asrs *a = asrs_of(dp, err, errlen);
	struct aw_jctx c = {.err = err, .errlen = errlen};
	static const char *const keys[] = {"limit", "cursor", NULL};
	json_t *args = aw_api_args(req), *out = NULL;
	uint32_t limit = 100, cursor = 0;

	if (a == NULL || aw_jc_check_keys(&c, args, "", keys) < 0 ||
	    AW_JC_GET_U32(&c, args, "", "limit", 1, 10000, 100, limit) < 0 ||
	    AW_JC_GET_U32(&c, args, "", "cursor", 0, a->n_slots, 0, cursor) < 0)
		goto done;
	uint32_t now = aw_asrs_now(a, rte_rdtsc());
	json_t *arr = json_array();
	uint32_t i = cursor;
	for (; i < a->n_slots && json_array_size(arr) < limit; i++) {
		const struct aw_sess *s = &a->sess[i];
		uint8_t st = __atomic_load_n(&s->state, __ATOMIC_RELAXED);
		if (st != AW_SS_FREE && st < AW_SS__N)
			json_array_append_new(arr, sess_json(a, s, now));
	}
	while (i < a->n_slots && (a->sess[i].state == AW_SS_FREE || a->sess[i].state >= AW_SS__N))
		i++; /* so that the last page ends with a null cursor */
	out = json_pack("{s:o,s:o}", "sessions", arr, "cursor",
			i < a->n_slots ? json_integer(i) : json_null());
done:
	json_decref(args);
	return out;
}

const struct aw_api_method aw_asrs_api_methods[] = {
	{"service.set", m_service_set},     {"service.del", m_service_del},
	{"service.list", m_service_list},   {"service.stats", m_service_stats},   {"listener.add", m_listener_add},
	{"listener.del", m_listener_del},   {"listener.list", m_listener_list},
	{"session.list", m_session_list},
};
const unsigned aw_asrs_n_api_methods = sizeof(aw_asrs_api_methods) / sizeof(aw_asrs_api_methods[0]);

/* ---- stats and telemetry ---- */
struct asrs_sums {
	uint64_t expired;
	uint64_t bad_shim[AW_SHIM_ERR_COUNT + 2];
};

static void
sum_lcores(const struct aw_asrs *a, struct asrs_sums *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < a->dp->n_ctx; i++) {
		const struct aw_asrs_lcore *l = &a->lc[i];
		s->expired += __atomic_load_n(&l->sess_expired, __ATOMIC_RELAXED);
		for (unsigned k = 0; k < AW_SHIM_ERR_COUNT + 2; k++)
			s->bad_shim[k] += __atomic_load_n(&l->bad_shim[k], __ATOMIC_RELAXED);
	}
}

static const char *
bad_shim_name(unsigned k)
{
	if (k == AW_BAD_OPT_NOT_SYN)
		return "opt_not_syn";
	if (k == AW_BAD_SID_CHANGED)
		return "sid_changed";
	return aw_shim_err_name((enum aw_shim_err)k);
}

/* Every number of the section below, typed (aw_feature.h). */
const struct aw_feat_metric aw_asrs_metrics[] = {
	{"sessions", AW_METRIC_GAUGE, NULL, "ASRS sessions in the table"},
	{"max_sessions", AW_METRIC_GAUGE, NULL, "asrs.max_sessions"},
	{"sessions_expired", AW_METRIC_COUNTER, NULL, "ASRS sessions ended (timeout or killed)"},
	{"services", AW_METRIC_GAUGE, NULL, "ASRS services"},
	{"listeners", AW_METRIC_GAUGE, NULL, "ASRS listeners"},
	{"session_slot_bytes", AW_METRIC_GAUGE, NULL, "size of one session slot"},
	{"bytes_per_session", AW_METRIC_GAUGE, NULL, "session table memory per session"},
	{"counter_bytes_per_session", AW_METRIC_GAUGE, NULL,
	 "per-destination counters' memory per session (their index)"},
	{"bad_shim", AW_METRIC_COUNTER, "reason", "bad_shim drops by finer reason"},
	{NULL, AW_METRIC_GAUGE, NULL, NULL},
};

json_t *
aw_asrs_stats_json(const struct aw_dp *dp)
{
	const struct aw_asrs *a = aw_asrs_of(dp);
	struct asrs_sums s;

	sum_lcores(a, &s);
	json_t *bad = json_object();
	for (unsigned k = 1; k < AW_SHIM_ERR_COUNT + 2; k++)
		if (k != AW_SHIM_ERR_OPT_NOT_FOUND)
			json_object_set_new(bad, bad_shim_name(k), json_integer((json_int_t)s.bad_shim[k]));
	json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "sessions",
			 (json_int_t)__atomic_load_n(&a->n_sessions, __ATOMIC_RELAXED),
			 "max_sessions", (json_int_t)a->conf->max_sessions, "sessions_expired",
			 (json_int_t)s.expired, "services", (json_int_t)a->n_svc, "listeners",
			 (json_int_t)a->lsn->n, "session_slot_bytes", (json_int_t)sizeof(struct aw_sess),
			 "bytes_per_session", (json_int_t)(a->sess_bytes / a->conf->max_sessions),
			 "bad_shim", bad);
	/* the per-destination counters' index by session slot (aw_asrs_svcstats.h),
	 * beside the session table's own bytes */
	json_object_set_new(o, "counter_bytes_per_session",
			    json_integer((json_int_t)aw_svcstats_bytes_per_session(a)));
	return o;
}

static const struct aw_asrs *tel_asrs; /* telemetry callbacks take no argument in 22.11 */

static int
tel_sessions(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct aw_asrs *a = tel_asrs;
	struct asrs_sums s;

	(void)cmd, (void)params;
	if (a == NULL)
		return -1;
	sum_lcores(a, &s);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "sessions", __atomic_load_n(&a->n_sessions, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "max_sessions", a->conf->max_sessions);
	rte_tel_data_add_dict_u64(d, "sessions_expired", s.expired);
	rte_tel_data_add_dict_u64(d, "bytes_per_session", a->sess_bytes / a->conf->max_sessions);
	return 0;
}

void
aw_asrs_telemetry_register(const struct aw_asrs *a)
{
	tel_asrs = a;
	if (a == NULL)
		return;
	rte_telemetry_register_cmd("/anyway/sessions", tel_sessions,
				   "ASRS session table: sessions, max_sessions, sessions_expired, "
				   "bytes_per_session. No parameters.");
}
