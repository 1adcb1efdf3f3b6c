/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cluster.* methods of the JSON API (dataplane/API.md): cluster.set (the
 * member list of an epoch: validated whole, the owner table built here, then
 * published by pointer; the previous epoch's table kept for packets still
 * carrying it, the one before freed after an RCU grace period), cluster.get,
 * cluster.owner (rows of the table, for checks). API thread only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_rcu_qsbr.h>

#include "aw_api.h"
#include "aw_cluster_priv.h"

#define OWNER_ROWS_MAX 8192 /* rows per cluster.owner reply */

static int
parse_member(json_t *v, unsigned i, uint8_t family, struct aw_member *m, char *err,
	     size_t errlen)
{
	json_t *id = json_object_get(v, "id"), *addr = json_object_get(v, "addr");
	json_t *state = json_object_get(v, "state");
	const char *k;
	json_t *x;
	char e[128];

	if (!json_is_object(v))
		return snprintf(err, errlen, "members[%u]: expected an object", i), -1;
	json_object_foreach (v, k, x)
		if (strcmp(k, "id") != 0 && strcmp(k, "addr") != 0 && strcmp(k, "state") != 0)
			return snprintf(err, errlen, "members[%u]: unknown key '%.40s' "
					"(expected id, addr, state)", i, k), -1;
	if (!json_is_string(id) || !aw_member_id_ok(json_string_value(id)))
		return snprintf(err, errlen, "members[%u].id: expected 1 to 63 characters of "
				"[A-Za-z0-9._-]", i), -1;
	snprintf(m->id, sizeof(m->id), "%s", json_string_value(id));
	if (!json_is_string(addr) || aw_addr_parse(json_string_value(addr), &m->addr, e,
						   sizeof(e)) < 0)
		return snprintf(err, errlen, "members[%u].addr: expected an IP address", i), -1;
	if (m->addr.family != family)
		return snprintf(err, errlen, "members[%u].addr: expected an %s address (the "
				"family of cluster.underlay)", i,
				family == AW_AF_INET6 ? "IPv6" : "IPv4"), -1;
	int st = json_is_string(state) ? aw_member_state_parse(json_string_value(state)) : -1;
	if (st < 0)
		return snprintf(err, errlen, "members[%u].state: expected \"active\", "
				"\"draining\" or \"down\"", i), -1;
	m->state = (uint8_t)st;
	return 0;
}

static int
parse_set(struct aw_cluster *cl, json_t *req, uint64_t *epoch, struct aw_member *m, unsigned *n,
	  char *err, size_t errlen)
{
	json_t *e = json_object_get(req, "epoch"), *list = json_object_get(req, "members"), *v;
	const char *k;
	size_t i;

	json_object_foreach (req, k, v)
		if (strcmp(k, "op") != 0 && strcmp(k, "epoch") != 0 && strcmp(k, "members") != 0)
			return snprintf(err, errlen, "unknown key '%.40s' (expected epoch, members)",
					k), -1;
	if (!json_is_integer(e) || json_integer_value(e) < 1)
		return snprintf(err, errlen, "epoch: expected an integer >= 1"), -1;
	*epoch = (uint64_t)json_integer_value(e);
	if (!json_is_array(list))
		return snprintf(err, errlen, "members: expected an array"), -1;
	if (json_array_size(list) > AW_OWNER_MAX_MEMBERS)
		return snprintf(err, errlen, "members: expected at most %u, got %zu",
				AW_OWNER_MAX_MEMBERS, json_array_size(list)), -1;
	*n = (unsigned)json_array_size(list);
	json_array_foreach (list, i, v) {
		if (parse_member(v, (unsigned)i, cl->conf->underlay.family, &m[i], err, errlen) < 0)
			return -1;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(m[j].id, m[i].id) == 0)
				return snprintf(err, errlen, "members[%zu].id: '%s' already in "
						"members[%zu]", i, m[i].id, j), -1;
			if (aw_addr_eq(&m[j].addr, &m[i].addr))
				return snprintf(err, errlen, "members[%zu].addr: same address as "
						"members[%zu]", i, j), -1;
		}
	}
	return 0;
}

void
aw_cluster_reclaim(struct aw_cluster *cl, bool all)
{
	unsigned k = 0;

	for (unsigned i = 0; i < cl->n_pend; i++) {
		if (all || rte_rcu_qsbr_check(cl->dp->rcu, cl->pend[i].token, false) == 1) {
			aw_owner_free((struct aw_owner_tab *)cl->pend[i].st->prev);
			free(cl->pend[i].st);
		} else {
			cl->pend[k++] = cl->pend[i];
		}
	}
	cl->n_pend = k;
}

/* Publishes t as current, the current as kept; what drops out is freed
 * after a grace period (without waiting for it unless AW_CL_PEND_MAX
 * replaced states are still pending). Under cl->lock. */
static int
publish(struct aw_cluster *cl, struct aw_owner_tab *t, char *err, size_t errlen)
{
	struct aw_cl_state *ns = calloc(1, sizeof(*ns)), *old = cl->st;

	if (ns == NULL) {
		aw_owner_free(t);
		return snprintf(err, errlen, "out of memory"), -1;
	}
	aw_cluster_reclaim(cl, false);
	if (cl->n_pend == AW_CL_PEND_MAX) {
		rte_rcu_qsbr_synchronize(cl->dp->rcu, RTE_QSBR_THRID_INVALID);
		aw_cluster_reclaim(cl, true);
	}
	ns->cur = t;
	ns->prev = old != NULL ? old->cur : NULL;
	__atomic_store_n(&cl->st, ns, __ATOMIC_RELEASE);
	if (old != NULL) {
		cl->pend[cl->n_pend].st = old;
		cl->pend[cl->n_pend++].token = rte_rcu_qsbr_start(cl->dp->rcu);
	}
	return 0;
}

static json_t *
m_cluster_set(struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	struct aw_cluster *cl = aw_cluster_of(dp);
	struct aw_member m[AW_OWNER_MAX_MEMBERS];
	uint64_t epoch;
	unsigned n;

	if (cl == NULL)
		return snprintf(err, errlen, "cluster not configured (no \"cluster\" in the "
				"config)"), NULL;
	memset(m, 0, sizeof(m));
	if (parse_set(cl, req, &epoch, m, &n, err, errlen) < 0)
		return NULL;
	pthread_mutex_lock(&cl->lock);
	const struct aw_owner_tab *cur = cl->st != NULL ? cl->st->cur : NULL;
	int rc = 0;
	if (cur != NULL && epoch < cur->epoch) {
		snprintf(err, errlen, "stale epoch: %llu is older than the current %llu",
			 (unsigned long long)epoch, (unsigned long long)cur->epoch);
		rc = -1;
	} else if (cur != NULL && epoch == cur->epoch) {
		if (!aw_owner_same_members(cur, m, n)) {
			snprintf(err, errlen, "epoch %llu already applied with a different member "
				 "list", (unsigned long long)epoch);
			rc = -1;
		}
	} else {
		struct aw_owner_tab *t = aw_owner_build(epoch, m, n, cl->conf->id, err, errlen);
		rc = t == NULL ? -1 : publish(cl, t, err, errlen);
	}
	pthread_mutex_unlock(&cl->lock);
	return rc < 0 ? NULL : json_object();
}

static json_t *
members_json(const struct aw_owner_tab *t)
{
	json_t *a = json_array();
	char buf[64];

	for (unsigned i = 0; t != NULL && i < t->n; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "id", t->m[i].id, "addr",
						   aw_addr_format(&t->m[i].addr, buf, sizeof(buf)),
						   "state", aw_member_state_name(t->m[i].state)));
	return a;
}

static json_t *
m_cluster_get(struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	struct aw_cluster *cl = aw_cluster_of(dp);

	if (cl == NULL)
		return snprintf(err, errlen, "cluster not configured (no \"cluster\" in the "
				"config)"), NULL;
	if (json_object_size(req) != 1)
		return snprintf(err, errlen, "cluster.get takes no arguments"), NULL;
	pthread_mutex_lock(&cl->lock);
	const struct aw_owner_tab *t = cl->st != NULL ? cl->st->cur : NULL;
	const struct aw_owner_tab *p = cl->st != NULL ? cl->st->prev : NULL;
	json_t *o = json_pack("{s:s,s:I,s:o,s:o,s:o}", "id", cl->conf->id, "epoch",
			      (json_int_t)(t != NULL ? t->epoch : 0), "members", members_json(t),
			      "kept_epoch", p != NULL ? json_integer((json_int_t)p->epoch)
						      : json_null(),
			      "counters", aw_cluster_counters_json(dp));
	pthread_mutex_unlock(&cl->lock);
	return o;
}

/* {"from": row, "count": n}: [[primary id, secondary id], ...] (null: none). */
static json_t *
m_cluster_owner(struct aw_dp *dp, json_t *req, char *err, size_t errlen)
{
	struct aw_cluster *cl = aw_cluster_of(dp);
	json_t *f = json_object_get(req, "from"), *c = json_object_get(req, "count");

	if (cl == NULL)
		return snprintf(err, errlen, "cluster not configured (no \"cluster\" in the "
				"config)"), NULL;
	if (!json_is_integer(f) || json_integer_value(f) < 0 ||
	    json_integer_value(f) >= AW_OWNER_ROWS)
		return snprintf(err, errlen, "from: expected a row 0..%u", AW_OWNER_ROWS - 1), NULL;
	if (!json_is_integer(c) || json_integer_value(c) < 1 ||
	    json_integer_value(c) > OWNER_ROWS_MAX)
		return snprintf(err, errlen, "count: expected 1..%u", OWNER_ROWS_MAX), NULL;
	unsigned from = (unsigned)json_integer_value(f), n = (unsigned)json_integer_value(c);
	if (from + n > AW_OWNER_ROWS)
		n = AW_OWNER_ROWS - from;
	pthread_mutex_lock(&cl->lock);
	const struct aw_owner_tab *t = cl->st != NULL ? cl->st->cur : NULL;
	json_t *rows = json_array();
	for (unsigned r = from; t != NULL && r < from + n; r++) {
		json_t *pair = json_array();
		for (unsigned k = 0; k < 2; k++) {
			uint8_t x = t->row[r][k];
			json_array_append_new(pair, x == AW_OWNER_NONE ? json_null()
								     : json_string(t->m[x].id));
		}
		json_array_append_new(rows, pair);
	}
	json_t *o = json_pack("{s:I,s:o}", "epoch", (json_int_t)(t != NULL ? t->epoch : 0),
			      "rows", rows);
	pthread_mutex_unlock(&cl->lock);
	return o;
}

const struct aw_api_method aw_cluster_api_methods[] = {
	{"cluster.set", m_cluster_set},
	{"cluster.get", m_cluster_get},
	{"cluster.owner", m_cluster_owner},
};
const unsigned aw_cluster_n_api_methods =
	sizeof(aw_cluster_api_methods) / sizeof(aw_cluster_api_methods[0]);
