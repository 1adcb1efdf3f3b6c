/* SPDX-License-Identifier: BSD-3-Clause */
/* The data plane's metrics families (see aw_metrics_dp.h). */
#include "aw_metrics_dp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>

#include "aw_feature.h"
#include "aw_stats.h"

#define C AW_METRIC_COUNTER
#define G AW_METRIC_GAUGE

static void
one(struct aw_metrics *w, const char *name, enum aw_metric_type t, const char *help, uint64_t v)
{
	aw_metrics_family(w, name, t, help);
	aw_metrics_u64(w, v, NULL);
}

static uint64_t
drops_of(const struct aw_stats *s)
{
	uint64_t t = 0;

	for (unsigned r = 0; r < AW_DROP__COUNT; r++)
		t += s->drops[r];
	return t;
}

static void
totals(const struct aw_dp *dp, struct aw_metrics *w)
{
	struct aw_stats s;
	char name[AW_METRICS_NAME_MAX];

	aw_stats_sum(dp, &s);
	one(w, "anyway_dp_rx_packets", C, "packets received on every port", s.rx);
	one(w, "anyway_dp_tx_packets", C, "packets transmitted (forwarded or answered)", s.tx);
	one(w, "anyway_dp_rx_bytes", C, "bytes received", s.rx_bytes);
	one(w, "anyway_dp_tx_bytes", C, "bytes transmitted", s.tx_bytes);
	one(w, "anyway_dp_consumed_packets", C, "received and absorbed (ARP replies, NAs)",
	    s.consumed);
	one(w, "anyway_dp_originated_packets", C, "made here (ARP requests, NS, gratuitous ARP)",
	    s.originated);
	int64_t in_flight = (int64_t)(s.rx - s.tx - drops_of(&s) - s.consumed);
	aw_metrics_family(w, "anyway_dp_in_flight_packets", G,
			  "received, not yet sent or dropped (rings, queues, slow path)");
	aw_metrics_f64(w, (double)in_flight, NULL);
	aw_metrics_family(w, "anyway_dp_drops", C, "dropped packets by reason (dataplane/CONFIG.md)");
	for (unsigned r = 0; r < AW_DROP__COUNT; r++)
		aw_metrics_u64(w, s.drops[r], "reason", aw_drop_name(r), NULL);
	for (unsigned k = 0; k < AW_INFO__COUNT; k++) {
		snprintf(name, sizeof(name), "anyway_dp_%s", aw_info_name(k));
		one(w, name, C, aw_info_help(k), s.info[k]);
	}
}

static uint64_t
lcore_value(unsigned f, const struct aw_stats *s)
{
	switch (f) {
	case 0: return s->rx;
	case 1: return s->tx;
	case 2: return drops_of(s);
	case 3: return s->info[AW_INFO_POLLS_BUSY];
	case 4: return s->info[AW_INFO_POLLS_IDLE];
	case 5: return s->info[AW_INFO_CYCLES_BUSY];
	default: return s->info[AW_INFO_CYCLES_IDLE];
	}
}

static void
lcores(const struct aw_dp *dp, struct aw_metrics *w)
{
	static const char *const fam[7] = {"anyway_dp_lcore_rx_packets",
					   "anyway_dp_lcore_tx_packets",
					   "anyway_dp_lcore_dropped_packets",
					   "anyway_dp_lcore_polls_busy",
					   "anyway_dp_lcore_polls_idle",
					   "anyway_dp_lcore_cycles_busy",
					   "anyway_dp_lcore_cycles_idle"};
	static const char *const help[7] = {"packets received by the lcore",
					    "packets transmitted by the lcore",
					    "packets dropped by the lcore, all reasons",
					    "the lcore's loop iterations that moved packets",
					    "the lcore's loop iterations that found nothing to do",
					    "TSC cycles of the lcore's loop iterations that moved packets",
					    "TSC cycles of the lcore's idle loop iterations and sleeps"};
	char id[16];

	for (unsigned f = 0; f < 7; f++) {
		aw_metrics_family(w, fam[f], C, help[f]);
		for (unsigned i = 0; i < dp->n_ctx; i++) {
			struct aw_stats s = {0};
			aw_stats_add(&s, &dp->ctx_list[i]->stats);
			snprintf(id, sizeof(id), "%u", dp->ctx_list[i]->lcore_id);
			aw_metrics_u64(w, lcore_value(f, &s), "lcore", id, NULL);
		}
	}
}

/* Per queue (rte_eth_stats q_*: the RSS balance), up to the queues the
 * device reports apart. */
static void
queues(const struct aw_dp *dp, struct aw_metrics *w, const struct rte_eth_stats *hw)
{
	static const char *const fam[2] = {"anyway_dp_port_rx_queue_packets",
					   "anyway_dp_port_tx_queue_packets"};
	char q[12];

	for (unsigned f = 0; f < 2; f++) {
		aw_metrics_family(w, fam[f], C, f == 0 ? "packets an RX queue received"
						       : "packets a TX queue sent");
		for (unsigned i = 0; i < dp->n_ports; i++) {
			const struct aw_port *p = &dp->ports[i];
			unsigned n = f == 0 ? p->n_rxq : p->n_txq;
			if (n > RTE_ETHDEV_QUEUE_STAT_CNTRS)
				n = RTE_ETHDEV_QUEUE_STAT_CNTRS;
			for (unsigned k = 0; k < n; k++) {
				snprintf(q, sizeof(q), "%u", k);
				aw_metrics_u64(w, f == 0 ? hw[i].q_ipackets[k] : hw[i].q_opackets[k],
					       "port", p->name, "queue", q, NULL);
			}
		}
	}
}

/* The device's extended counters of losses (names with error, drop,
 * discard, miss or fail: what rte_eth_stats sums or leaves out), by name. */
static void
xstats(const struct aw_dp *dp, struct aw_metrics *w)
{
	static const char *const words[] = {"error", "drop", "discard", "miss", "fail"};
	bool started = false;

	for (unsigned i = 0; i < dp->n_ports; i++) {
		uint16_t pid = dp->ports[i].port_id;
		int n = rte_eth_xstats_get_names(pid, NULL, 0);
		if (n <= 0)
			continue;
		struct rte_eth_xstat_name *names = calloc((size_t)n, sizeof(*names));
		struct rte_eth_xstat *vals = calloc((size_t)n, sizeof(*vals));
		if (names == NULL || vals == NULL) {
			w->oom = true;
		} else if (rte_eth_xstats_get_names(pid, names, (unsigned)n) == n &&
			   rte_eth_xstats_get(pid, vals, (unsigned)n) == n) {
			for (int k = 0; k < n; k++) {
				bool loss = false;
				for (size_t j = 0; j < sizeof(words) / sizeof(words[0]); j++)
					loss |= strstr(names[vals[k].id].name, words[j]) != NULL;
				if (!loss)
					continue;
				if (!started)
					aw_metrics_family(w, "anyway_dp_port_xstat_losses", C,
							  "the device's extended loss counters, by name");
				started = true;
				aw_metrics_u64(w, vals[k].value, "port", dp->ports[i].name, "name",
					       names[vals[k].id].name, NULL);
			}
		}
		free(names);
		free(vals);
	}
}

/* rte_eth_stats, one family per field. */
static void
ports(const struct aw_dp *dp, struct aw_metrics *w)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} f[] = {
		{"anyway_dp_port_rx_packets", "packets the port received",
		 offsetof(struct rte_eth_stats, ipackets)},
		{"anyway_dp_port_tx_packets", "packets the port sent",
		 offsetof(struct rte_eth_stats, opackets)},
		{"anyway_dp_port_rx_bytes", "bytes the port received",
		 offsetof(struct rte_eth_stats, ibytes)},
		{"anyway_dp_port_tx_bytes", "bytes the port sent", offsetof(struct rte_eth_stats, obytes)},
		{"anyway_dp_port_rx_errors", "erroneous received packets",
		 offsetof(struct rte_eth_stats, ierrors)},
		{"anyway_dp_port_tx_errors", "failed transmissions",
		 offsetof(struct rte_eth_stats, oerrors)},
		{"anyway_dp_port_rx_missed", "packets the hardware dropped (RX queues full)",
		 offsetof(struct rte_eth_stats, imissed)},
		{"anyway_dp_port_rx_nombuf", "RX mbuf allocation failures",
		 offsetof(struct rte_eth_stats, rx_nombuf)},
	};
	struct rte_eth_stats hw[AW_MAX_PORTS];

	for (unsigned i = 0; i < dp->n_ports; i++) {
		memset(&hw[i], 0, sizeof(hw[i]));
		rte_eth_stats_get(dp->ports[i].port_id, &hw[i]);
	}
	for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
		aw_metrics_family(w, f[k].name, C, f[k].help);
		for (unsigned i = 0; i < dp->n_ports; i++) {
			uint64_t v;
			memcpy(&v, (const uint8_t *)&hw[i] + f[k].off, sizeof(v));
			aw_metrics_u64(w, v, "port", dp->ports[i].name, NULL);
		}
	}
	queues(dp, w, hw);
	xstats(dp, w);
}

static uint64_t
num(const json_t *v)
{
	if (json_is_integer(v))
		return json_integer_value(v) < 0 ? 0 : (uint64_t)json_integer_value(v);
	return json_is_real(v) && json_real_value(v) > 0 ? (uint64_t)json_real_value(v) : 0;
}

/* The feature's stats section through its typing table. */
static void
feature(const struct aw_dp *dp, unsigned id, struct aw_metrics *w)
{
	const struct aw_feature_ops *ops = aw_features[id];
	char name[AW_METRICS_NAME_MAX];

	if (ops->metrics != NULL && ops->stats_json != NULL) {
		json_t *o = ops->stats_json(dp);
		for (const struct aw_feat_metric *m = ops->metrics; o != NULL && m->key != NULL; m++) {
			json_t *v = json_object_get(o, m->key);
			snprintf(name, sizeof(name), "anyway_dp_%s_%s", ops->name, m->key);
			aw_metrics_family(w, name, m->kind, m->help);
			if (m->label == NULL) {
				aw_metrics_u64(w, num(v), NULL);
				continue;
			}
			const char *k;
			json_t *x;
			json_object_foreach(v, k, x)
				aw_metrics_u64(w, num(x), m->label, k, NULL);
		}
		json_decref(o);
	}
	if (ops->metrics_more != NULL)
		ops->metrics_more(dp, w);
}

void
aw_metrics_dp(const struct aw_dp *dp, struct aw_metrics *w)
{
	totals(dp, w);
	lcores(dp, w);
	ports(dp, w);
	for (unsigned f = 0; f < AW_FEAT__COUNT; f++)
		if (dp->feat[f] != NULL)
			feature(dp, f, w);
}
