/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ASRS per (service, destination) counters: the registry of pairs (API
 * thread), the sums and their presentation. See aw_asrs_svcstats.h.
 */
#include "aw_asrs_svcstats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_malloc.h>

#define NONE UINT32_MAX

/* LIVE: in a service; RETIRED: no longer, kept while its sessions live and
 * lcores may still see its index; ACC: a service's account of its freed
 * pairs (key: the SID with a zero address), so that the service's totals
 * never go down when a pair is freed. */
enum ent_state { ENT_FREE = 0, ENT_LIVE, ENT_RETIRED, ENT_ACC };

struct ss_ent {
	uint64_t sid;
	struct aw_addr addr;
	uint16_t port;
	uint8_t state;
	uint32_t next;        /* hash chain, or the free list */
	uint32_t gen;         /* last aw_svcstats_bind that named it */
	uint64_t token;       /* RCU token taken when retired */
	bool orphan;          /* retired with its service deleted: not accounted */
	struct aw_svcstat_ctr base; /* the sums when this pair took the index */
	struct aw_svcstat_ctr acc;  /* ENT_ACC: the freed pairs' final sums */
};

static const struct aw_asrs_dest acc_key; /* zero address and port */
_Static_assert((AW_SVCSTATS_MAX & (AW_SVCSTATS_MAX - 1)) == 0, "bucket mask");

struct aw_svcstats {
	struct aw_svcstat_ctr *rows; /* n_lc rows of AW_SVCSTATS_MAX */
	unsigned n_lc;
	uint32_t gen;
	uint32_t n_retired;   /* pairs in state ENT_RETIRED */
	uint32_t free_head;
	uint32_t head[AW_SVCSTATS_MAX]; /* hash buckets (a power of two) */
	struct ss_ent ent[AW_SVCSTATS_MAX];
};

static inline uint64_t
ld(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Index k summed over every lcore, less its base. */
static void
ss_sum(const struct aw_svcstats *ss, uint32_t k, struct aw_svcstat_ctr *out)
{
	uint64_t v[6] = {0};

	for (unsigned i = 0; i < ss->n_lc; i++) {
		const struct aw_svcstat_ctr *c = &ss->rows[(size_t)i * AW_SVCSTATS_MAX + k];
		v[0] += ld(&c->dir[0].pkts);
		v[1] += ld(&c->dir[0].bytes);
		v[2] += ld(&c->dir[1].pkts);
		v[3] += ld(&c->dir[1].bytes);
		v[4] += ld(&c->conns);
		v[5] += ld(&c->ended);
	}
	const struct aw_svcstat_ctr *b = &ss->ent[k].base;
	*out = (struct aw_svcstat_ctr){
		.dir = {{v[0] - b->dir[0].pkts, v[1] - b->dir[0].bytes},
			{v[2] - b->dir[1].pkts, v[3] - b->dir[1].bytes}},
		.conns = v[4] - b->conns,
		.ended = v[5] - b->ended,
	};
}

static void
ctr_add(struct aw_svcstat_ctr *t, const struct aw_svcstat_ctr *x)
{
	for (unsigned d = 0; d < 2; d++) {
		t->dir[d].pkts += x->dir[d].pkts;
		t->dir[d].bytes += x->dir[d].bytes;
	}
	t->conns += x->conns;
	t->ended += x->ended;
}

int
aw_svcstats_init(struct aw_asrs *a, char *err, size_t errlen)
{
	struct aw_svcstats *ss = calloc(1, sizeof(*ss));
	unsigned n_lc = a->dp->n_ctx;

	a->ss = ss;
	if (ss == NULL)
		goto oom;
	ss->n_lc = n_lc;
	ss->rows = rte_zmalloc("aw_asrs_svcstats",
			       (size_t)n_lc * AW_SVCSTATS_MAX * sizeof(struct aw_svcstat_ctr),
			       RTE_CACHE_LINE_SIZE);
	a->ss_k = rte_zmalloc("aw_asrs_ss_k", (size_t)a->n_slots * sizeof(uint16_t), 0);
	if (ss->rows == NULL || a->ss_k == NULL)
		goto oom;
	for (unsigned i = 0; i < n_lc; i++)
		a->lc[i].ss = &ss->rows[(size_t)i * AW_SVCSTATS_MAX];
	for (uint32_t b = 0; b < AW_SVCSTATS_MAX; b++)
		ss->head[b] = NONE;
	ss->ent[0].state = ENT_LIVE; /* "(other)": never freed */
	ss->free_head = NONE;
	for (uint32_t k = AW_SVCSTATS_MAX - 1; k >= 1; k--) {
		ss->ent[k].next = ss->free_head;
		ss->free_head = k;
	}
	return 0;
oom:
	snprintf(err, errlen, "asrs: out of memory for the per-service counters");
	return -1;
}

void
aw_svcstats_fini(struct aw_asrs *a)
{
	if (a->ss != NULL)
		rte_free(a->ss->rows);
	for (unsigned i = 0; i < a->dp->n_ctx; i++)
		a->lc[i].ss = NULL;
	free(a->ss);
	rte_free(a->ss_k);
	a->ss = NULL;
	a->ss_k = NULL;
}

static uint32_t
bucket(uint64_t sid, const struct aw_asrs_dest *d)
{
	uint32_t h = rte_hash_crc_8byte(sid, d->port);
	uint64_t w[2];

	memcpy(w, d->addr.b, 16); /* rte_hash_crc loads 8 bytes at a time: aligned copy */
	h = rte_hash_crc_8byte(w[0], h);
	h = rte_hash_crc_8byte(w[1], h);
	return h & (AW_SVCSTATS_MAX - 1);
}

static bool
ent_is(const struct ss_ent *e, uint64_t sid, const struct aw_asrs_dest *d)
{
	return e->sid == sid && e->port == d->port && e->addr.family == d->addr.family &&
	       memcmp(e->addr.b, d->addr.b, 16) == 0;
}

static uint32_t
find(const struct aw_svcstats *ss, uint64_t sid, const struct aw_asrs_dest *d)
{
	for (uint32_t k = ss->head[bucket(sid, d)]; k != NONE; k = ss->ent[k].next)
		if (ent_is(&ss->ent[k], sid, d))
			return k;
	return NONE;
}

static void
unlink_ent(struct aw_svcstats *ss, uint32_t k)
{
	struct ss_ent *e = &ss->ent[k];
	struct aw_asrs_dest d = {.addr = e->addr, .port = e->port};
	uint32_t *p = &ss->head[bucket(e->sid, &d)];

	while (*p != k)
		p = &ss->ent[*p].next;
	*p = e->next;
}

static void
ent_free(struct aw_svcstats *ss, uint32_t k)
{
	struct ss_ent *e = &ss->ent[k];

	unlink_ent(ss, k);
	ss->n_retired -= e->state == ENT_RETIRED;
	e->state = ENT_FREE;
	e->next = ss->free_head;
	ss->free_head = k;
}

static uint32_t alloc(struct aw_asrs *a, uint64_t sid, const struct aw_asrs_dest *d);

/* Adds a freed pair's final sums to its service's account. */
static void
account(struct aw_asrs *a, uint64_t sid, const struct aw_svcstat_ctr *c)
{
	struct aw_svcstats *ss = a->ss;
	uint32_t k = find(ss, sid, &acc_key);

	if (k == NONE) {
		k = alloc(a, sid, &acc_key);
		if (k == 0)
			return; /* cannot happen: the caller has just freed an index */
		ss->ent[k].state = ENT_ACC;
		memset(&ss->ent[k].acc, 0, sizeof(ss->ent[k].acc));
	}
	ctr_add(&ss->ent[k].acc, c);
}

/* Frees every retired pair whose grace period has passed and whose sessions
 * have all ended; its sums go to its service's account. */
static void
reclaim(struct aw_asrs *a)
{
	struct aw_svcstats *ss = a->ss;
	struct aw_svcstat_ctr s;

	for (uint32_t k = 1; ss->n_retired != 0 && k < AW_SVCSTATS_MAX; k++) {
		struct ss_ent *e = &ss->ent[k];
		if (e->state != ENT_RETIRED ||
		    rte_rcu_qsbr_check(a->dp->rcu, e->token, false) != 1)
			continue;
		ss_sum(ss, k, &s);
		if (s.conns != s.ended)
			continue;
		ent_free(ss, k);
		if (!e->orphan)
			account(a, e->sid, &s);
	}
}

static uint32_t
alloc(struct aw_asrs *a, uint64_t sid, const struct aw_asrs_dest *d)
{
	struct aw_svcstats *ss = a->ss;

	if (ss->free_head == NONE)
		reclaim(a);
	uint32_t k = ss->free_head;
	if (k == NONE)
		return 0;
	struct ss_ent *e = &ss->ent[k];
	ss->free_head = e->next;
	memset(&e->base, 0, sizeof(e->base));
	ss_sum(ss, k, &e->base); /* counting starts from here */
	e->sid = sid;
	e->addr = d->addr;
	e->port = d->port;
	e->orphan = false;
	uint32_t b = bucket(sid, d);
	e->next = ss->head[b];
	ss->head[b] = k;
	return k;
}

static void
retire(struct aw_asrs *a, uint32_t k)
{
	struct ss_ent *e = &a->ss->ent[k];

	if (k == 0 || e->state != ENT_LIVE)
		return;
	e->state = ENT_RETIRED;
	a->ss->n_retired++;
	e->token = rte_rcu_qsbr_start(a->dp->rcu);
}

void
aw_svcstats_bind(struct aw_asrs *a, struct aw_svc *s, const struct aw_svc *old)
{
	struct aw_svcstats *ss = a->ss;
	uint32_t gen = ++ss->gen;

	for (unsigned i = 0; i < s->n_dests; i++) {
		uint32_t k = find(ss, s->sid, &s->dests[i]);
		if (k == NONE)
			k = alloc(a, s->sid, &s->dests[i]);
		if (k != 0) {
			ss->n_retired -= ss->ent[k].state == ENT_RETIRED;
			ss->ent[k].state = ENT_LIVE;
			ss->ent[k].orphan = false;
			ss->ent[k].gen = gen;
		}
		s->stat_k[i] = (uint16_t)k;
	}
	for (unsigned i = 0; old != NULL && i < old->n_dests; i++)
		if (ss->ent[old->stat_k[i]].gen != gen)
			retire(a, old->stat_k[i]);
}

void
aw_svcstats_retire(struct aw_asrs *a, const struct aw_svc *old)
{
	struct aw_svcstats *ss = a->ss;
	uint32_t k;

	for (unsigned i = 0; i < old->n_dests; i++)
		retire(a, old->stat_k[i]);
	for (k = 1; ss->n_retired != 0 && k < AW_SVCSTATS_MAX; k++) /* its counters go with it */
		if (ss->ent[k].state == ENT_RETIRED && ss->ent[k].sid == old->sid)
			ss->ent[k].orphan = true;
	if ((k = find(ss, old->sid, &acc_key)) != NONE)
		ent_free(ss, k);
}

/* ---- presentation ---- */

static json_t *
ctr_json(const struct aw_svcstat_ctr *c)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "conns", (json_int_t)c->conns, "active",
			 (json_int_t)(c->conns - c->ended), "in_pkts", (json_int_t)c->dir[0].pkts,
			 "in_bytes", (json_int_t)c->dir[0].bytes, "out_pkts",
			 (json_int_t)c->dir[1].pkts, "out_bytes", (json_int_t)c->dir[1].bytes);
}

/* Calls fn for every pair of service s: its destinations, then the pairs it
 * no longer has whose counters are still kept (removed: true). */
typedef void (*pair_fn)(void *arg, const struct aw_addr *addr, uint16_t port, bool removed,
			const struct aw_svcstat_ctr *c);

/* One read's index of the retired pairs, sorted by SID, so that listing S
 * services costs O(S log R), not O(S * AW_SVCSTATS_MAX). */
struct retired {
	struct rpair {
		uint64_t sid;
		uint32_t k;
	} *p;
	uint32_t n;
};

static int
rpair_cmp(const void *x, const void *y)
{
	const struct rpair *a = x, *b = y;

	return a->sid < b->sid ? -1 : a->sid > b->sid;
}

/* 0, or -1 when out of memory. */
static int
retired_index(const struct aw_svcstats *ss, struct retired *r)
{
	r->n = 0;
	r->p = NULL;
	if (ss->n_retired == 0)
		return 0;
	r->p = malloc(ss->n_retired * sizeof(*r->p));
	if (r->p == NULL)
		return -1;
	for (uint32_t k = 1; k < AW_SVCSTATS_MAX && r->n < ss->n_retired; k++)
		if (ss->ent[k].state == ENT_RETIRED)
			r->p[r->n++] = (struct rpair){ss->ent[k].sid, k};
	qsort(r->p, r->n, sizeof(*r->p), rpair_cmp);
	return 0;
}

static void
for_pairs(const struct aw_svcstats *ss, const struct retired *r, const struct aw_svc *s,
	  pair_fn fn, void *arg)
{
	struct aw_svcstat_ctr c;
	uint32_t lo = 0, hi = r->n;

	for (unsigned i = 0; i < s->n_dests; i++) {
		uint32_t k = s->stat_k[i];
		if (k == 0)
			continue;
		ss_sum(ss, k, &c);
		fn(arg, &s->dests[i].addr, s->dests[i].port, false, &c);
	}
	while (lo < hi) { /* the first retired pair of s->sid */
		uint32_t mid = lo + (hi - lo) / 2;
		if (r->p[mid].sid < s->sid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < r->n && r->p[lo].sid == s->sid; lo++) {
		const struct ss_ent *e = &ss->ent[r->p[lo].k];
		ss_sum(ss, r->p[lo].k, &c);
		fn(arg, &e->addr, e->port, true, &c);
	}
}

/* Adds what the service's freed pairs counted (their account) to t. */
static void
svc_account(const struct aw_svcstats *ss, uint64_t sid, struct aw_svcstat_ctr *t)
{
	uint32_t k = find(ss, sid, &acc_key);

	if (k != NONE)
		ctr_add(t, &ss->ent[k].acc);
}

struct json_acc {
	json_t *dests;
	struct aw_svcstat_ctr total;
};

static void
pair_json(void *arg, const struct aw_addr *addr, uint16_t port, bool removed,
	  const struct aw_svcstat_ctr *c)
{
	struct json_acc *acc = arg;
	char buf[AW_ADDR_STRLEN];
	json_t *o = ctr_json(c);

	json_object_set_new(o, "addr", json_string(aw_addr_format(addr, buf, sizeof(buf))));
	json_object_set_new(o, "port", json_integer(port));
	if (removed)
		json_object_set_new(o, "removed", json_true());
	json_array_append_new(acc->dests, o);
	ctr_add(&acc->total, c);
}

static json_t *
svc_json(const struct aw_svcstats *ss, const struct retired *r, const struct aw_svc *s)
{
	struct json_acc acc = {.dests = json_array()};
	char hex[AW_SID_STRLEN];

	for_pairs(ss, r, s, pair_json, &acc);
	svc_account(ss, s->sid, &acc.total);
	json_t *o = ctr_json(&acc.total);
	json_object_set_new(o, "service", json_stringn(s->uri, s->uri_len));
	json_object_set_new(o, "sid", json_string(aw_sid_format(s->sid, hex, sizeof(hex))));
	json_object_set_new(o, "destinations", acc.dests);
	return o;
}

json_t *
aw_svcstats_json(struct aw_asrs *a, const struct aw_svc *only)
{
	json_t *arr = json_array();
	const void *key;
	void *d;
	uint32_t it = 0;
	struct aw_svcstat_ctr other;
	struct retired r;

	reclaim(a); /* pairs whose sessions have all ended leave the listing */
	if (retired_index(a->ss, &r) < 0) {
		json_decref(arr);
		return NULL;
	}
	if (only != NULL)
		json_array_append_new(arr, svc_json(a->ss, &r, only));
	while (only == NULL && rte_hash_iterate(a->svc, &key, &d, &it) >= 0)
		json_array_append_new(arr, svc_json(a->ss, &r, d));
	free(r.p);
	ss_sum(a->ss, 0, &other);
	return json_pack("{s:o,s:o}", "services", arr, "other", ctr_json(&other));
}

/* ---- metrics ---- */

/* The families, in the order written; per service, then per destination
 * (label cardinality: services + pairs, at most AW_SVCSTATS_MAX pairs). */
static const struct {
	const char *svc, *dst, *help;
	enum aw_metric_type type;
} fam[] = {
	{"anyway_dp_asrs_service_sessions", "anyway_dp_asrs_destination_sessions",
	 "ASRS sessions made", AW_METRIC_COUNTER},
	{"anyway_dp_asrs_service_active_sessions", "anyway_dp_asrs_destination_active_sessions",
	 "ASRS sessions alive", AW_METRIC_GAUGE},
	{"anyway_dp_asrs_service_in_packets", "anyway_dp_asrs_destination_in_packets",
	 "packets client to destination", AW_METRIC_COUNTER},
	{"anyway_dp_asrs_service_in_bytes", "anyway_dp_asrs_destination_in_bytes",
	 "IP bytes client to destination, as received", AW_METRIC_COUNTER},
	{"anyway_dp_asrs_service_out_packets", "anyway_dp_asrs_destination_out_packets",
	 "packets destination to client", AW_METRIC_COUNTER},
	{"anyway_dp_asrs_service_out_bytes", "anyway_dp_asrs_destination_out_bytes",
	 "IP bytes destination to client, as received", AW_METRIC_COUNTER},
};
#define N_FAM (sizeof(fam) / sizeof(fam[0]))

static uint64_t
fam_val(unsigned f, const struct aw_svcstat_ctr *c)
{
	switch (f) {
	case 0: return c->conns;
	case 1: return c->conns - c->ended;
	case 2: return c->dir[0].pkts;
	case 3: return c->dir[0].bytes;
	case 4: return c->dir[1].pkts;
	default: return c->dir[1].bytes;
	}
}

/* One scrape's sums: per pair, and per service (pairs summed). */
struct snap {
	struct snap_row {
		const struct aw_svc *s; /* a service total when addr.family == 0 */
		struct aw_addr addr;
		uint16_t port;
		struct aw_svcstat_ctr c;
	} *row;
	size_t n, cap;
	bool oom;
};

static struct snap_row *
snap_add(struct snap *sn)
{
	if (sn->n == sn->cap) {
		size_t cap = sn->cap ? 2 * sn->cap : 256;
		struct snap_row *r = realloc(sn->row, cap * sizeof(*r));
		if (r == NULL) {
			sn->oom = true;
			return NULL;
		}
		sn->row = r;
		sn->cap = cap;
	}
	memset(&sn->row[sn->n], 0, sizeof(sn->row[0]));
	return &sn->row[sn->n++];
}

struct snap_acc {
	struct snap *sn;
	const struct aw_svc *s;
	size_t total; /* the service's row */
};

static void
pair_snap(void *arg, const struct aw_addr *addr, uint16_t port, bool removed,
	  const struct aw_svcstat_ctr *c)
{
	struct snap_acc *m = arg;
	struct snap_row *r = snap_add(m->sn);

	(void)removed;
	if (r == NULL)
		return;
	*r = (struct snap_row){.s = m->s, .addr = *addr, .port = port, .c = *c};
	ctr_add(&m->sn->row[m->total].c, c);
}

static void
snap_take(const struct aw_asrs *a, struct snap *sn)
{
	const void *key;
	void *d;
	uint32_t it = 0;
	struct retired r;

	if (retired_index(a->ss, &r) < 0) {
		sn->oom = true;
		return;
	}
	while (!sn->oom && rte_hash_iterate(a->svc, &key, &d, &it) >= 0) {
		struct snap_row *t = snap_add(sn);
		if (t == NULL)
			break;
		t->s = d;
		struct snap_acc m = {.sn = sn, .s = d, .total = sn->n - 1};
		svc_account(a->ss, ((const struct aw_svc *)d)->sid, &t->c);
		for_pairs(a->ss, &r, d, pair_snap, &m);
	}
	free(r.p);
}

static void
row_sample(struct aw_metrics *w, unsigned f, const struct snap_row *r, bool dest)
{
	char uri[AW_URI_MAX_LEN + 1], buf[AW_ADDR_STRLEN], dst[AW_ADDR_STRLEN + 16];

	snprintf(uri, sizeof(uri), "%.*s", (int)r->s->uri_len, r->s->uri);
	if (!dest) {
		aw_metrics_u64(w, fam_val(f, &r->c), "service", uri, NULL);
		return;
	}
	aw_addr_format(&r->addr, buf, sizeof(buf));
	snprintf(dst, sizeof(dst), r->addr.family == AW_AF_INET6 ? "[%s]:%u" : "%s:%u", buf,
		 r->port);
	aw_metrics_u64(w, fam_val(f, &r->c), "service", uri, "destination", dst, NULL);
}

void
aw_svcstats_metrics(const struct aw_dp *dp, struct aw_metrics *w)
{
	struct aw_asrs *a = aw_asrs_of(dp);
	struct snap sn = {0};
	struct aw_svcstat_ctr other;

	reclaim(a);
	snap_take(a, &sn);
	if (sn.oom)
		w->oom = true; /* incomplete: not served */
	ss_sum(a->ss, 0, &other);
	for (unsigned f = 0; f < N_FAM; f++) {
		aw_metrics_family(w, fam[f].svc, fam[f].type, fam[f].help);
		for (size_t i = 0; i < sn.n; i++)
			if (sn.row[i].addr.family == 0)
				row_sample(w, f, &sn.row[i], false);
		aw_metrics_u64(w, fam_val(f, &other), "service", "(other)", NULL);
	}
	size_t n_pairs = 0;
	for (size_t i = 0; i < sn.n; i++)
		n_pairs += sn.row[i].addr.family != 0;
	for (unsigned f = 0; n_pairs > 0 && f < N_FAM; f++) { /* no family without samples */
		aw_metrics_family(w, fam[f].dst, fam[f].type, fam[f].help);
		for (size_t i = 0; i < sn.n; i++)
			if (sn.row[i].addr.family != 0)
				row_sample(w, f, &sn.row[i], true);
	}
	free(sn.row);
}
