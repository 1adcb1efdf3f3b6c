/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_asrs_svcstats — per (service, destination) counters of the ASRS router
 * (SPEC §11): packets and bytes each way, sessions made, sessions ended
 * (active = made - ended), like `ipvsadm -L --stats`.
 *
 * Each (SID, destination address, port) pair the service map has named gets
 * a small index k (1 .. AW_SVCSTATS_MAX - 1; 0 counts every pair beyond that
 * bound, shown as "(other)"), kept while the pair is in a service and while
 * sessions made toward it live. The service object carries the index of each
 * of its destinations (aw_svc.stat_k); a new session's index is stored in a
 * separate array by session slot (aw_asrs.ss_k), outside the session slot
 * itself; each lcore counts into its own row of counters (no atomics, no
 * line written by two lcores) and the API thread sums the rows on read.
 * Hot path: one 16-bit load and two adds per packet.
 *
 * Contract: aw_svcstats_init / _fini on the main thread (before aw_svc_init
 * / after aw_svc_fini); _bind, _retire and every reader on the API thread
 * (the main thread for the config's services, before the API thread starts);
 * the inline counters on the lcore owning `l`. An index is reused only once
 * every lcore has passed a quiescent state since it was retired and its
 * sessions have all ended; the reuse starts from the counters' current sums
 * (a base), so nothing an lcore writes is ever reset by another thread.
 */
#ifndef AW_ASRS_SVCSTATS_H
#define AW_ASRS_SVCSTATS_H

#include <stddef.h>
#include <stdint.h>

#include "aw_asrs_priv.h"
#include "aw_metrics.h"

#define AW_SVCSTATS_MAX 8192u /* (service, destination) pairs counted apart, "(other)" included */

/* One pair's counters on one lcore: one cache line. dir 0: client →
 * destination ("in"), 1: destination → client ("out"). */
struct aw_svcstat_ctr {
	struct {
		uint64_t pkts, bytes;
	} dir[2];
	uint64_t conns; /* sessions made */
	uint64_t ended; /* sessions ended */
	uint64_t pad[2];
};
_Static_assert(sizeof(struct aw_svcstat_ctr) == 64, "one cache line per pair and lcore");

int aw_svcstats_init(struct aw_asrs *a, char *err, size_t errlen);
void aw_svcstats_fini(struct aw_asrs *a);
/* Sets s->stat_k[] for the new object s of a service (old: the object it
 * replaces, NULL when new); pairs of old that s lacks are retired. */
void aw_svcstats_bind(struct aw_asrs *a, struct aw_svc *s, const struct aw_svc *old);
/* Every pair of a deleted service's object. */
void aw_svcstats_retire(struct aw_asrs *a, const struct aw_svc *old);

/* service.stats {[service]}: {"services": [...], "other": {...}}; NULL when
 * out of memory. */
json_t *aw_svcstats_json(struct aw_asrs *a, const struct aw_svc *only);
/* Memory per session of the index by session slot (outside the session
 * table's bytes_per_session). */
static inline size_t
aw_svcstats_bytes_per_session(const struct aw_asrs *a)
{
	return (size_t)a->n_slots * sizeof(a->ss_k[0]) / a->conf->max_sessions;
}
/* anyway_dp_asrs_service_* and anyway_dp_asrs_destination_* families. */
void aw_svcstats_metrics(const struct aw_dp *dp, struct aw_metrics *w);

/* ---- lcore side ---- */
static inline void
aw_svcstats_pkt(const struct aw_asrs *a, struct aw_asrs_lcore *l, uint32_t slot, unsigned dir,
		uint32_t bytes)
{
	struct aw_svcstat_ctr *c = &l->ss[a->ss_k[slot]];

	c->dir[dir].pkts++;
	c->dir[dir].bytes += bytes;
}

/* The session being made in slot goes toward destination di of svc: set
 * before the session is inserted (another lcore may count its packets as
 * soon as it is), counted made by aw_svcstats_new once it is. */
static inline void
aw_svcstats_bind_sess(const struct aw_asrs *a, uint32_t slot, const struct aw_svc *svc,
		      unsigned di)
{
	a->ss_k[slot] = svc->stat_k[di];
}

static inline void
aw_svcstats_new(const struct aw_asrs *a, struct aw_asrs_lcore *l, uint32_t slot)
{
	l->ss[a->ss_k[slot]].conns++;
}

static inline void
aw_svcstats_end(const struct aw_asrs *a, struct aw_asrs_lcore *l, uint32_t slot)
{
	l->ss[a->ss_k[slot]].ended++;
}

#endif /* AW_ASRS_SVCSTATS_H */
