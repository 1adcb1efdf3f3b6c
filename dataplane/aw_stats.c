/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_stats.h"

#include "aw_feature.h"

#include <time.h>

#include <rte_ethdev.h>
#include <rte_telemetry.h>

static const char *const role_names[] = {"none", "rtc", "rx", "worker", "tx"};

void
aw_stats_sum(const struct aw_dp *dp, struct aw_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < dp->n_ctx; i++)
		aw_stats_add(out, &dp->ctx_list[i]->stats);
}

static uint64_t
drops_total(const struct aw_stats *s)
{
	uint64_t t = 0;
	for (unsigned r = 0; r < AW_DROP__COUNT; r++)
		t += s->drops[r];
	return t;
}

static json_t *
ports_json(const struct aw_dp *dp)
{
	json_t *arr = json_array();

	for (unsigned i = 0; i < dp->n_ports; i++) {
		const struct aw_port *p = &dp->ports[i];
		struct rte_eth_stats hw = {0};
		char mac[RTE_ETHER_ADDR_FMT_SIZE];
		struct rte_eth_link link = {0};
		rte_eth_stats_get(p->port_id, &hw);
		/* API thread (never per packet): the link as the driver last saw
		 * it; a failed query reads as down */
		bool up = rte_eth_link_get_nowait(p->port_id, &link) == 0 &&
			  link.link_status == RTE_ETH_LINK_UP;
		rte_ether_format_addr(mac, sizeof(mac), &p->mac);
		json_array_append_new(arr, json_pack(
			"{s:i,s:s,s:s,s:i,s:i,s:i,s:b,s:{s:I,s:I,s:I,s:I,s:I,s:I}}", "port", p->port_id,
			"name", p->name, "mac", mac, "mtu", p->mtu, "rx_queues", p->n_rxq,
			"tx_queues", p->n_txq, "link_up", up, "hw", "ipackets", (json_int_t)hw.ipackets,
			"opackets", (json_int_t)hw.opackets, "ierrors", (json_int_t)hw.ierrors,
			"oerrors", (json_int_t)hw.oerrors, "imissed", (json_int_t)hw.imissed,
			"rx_nombuf", (json_int_t)hw.rx_nombuf));
	}
	return arr;
}

static json_t *
lcores_json(const struct aw_dp *dp)
{
	json_t *arr = json_array();

	for (unsigned i = 0; i < dp->n_ctx; i++) {
		const struct aw_lcore_ctx *c = dp->ctx_list[i];
		struct aw_stats s = {0};
		aw_stats_add(&s, &c->stats);
		/* polls / cycles: this lcore's loop iterations that did / did not
		 * move packets, and their TSC cycles */
		json_array_append_new(arr, json_pack("{s:i,s:s,s:i,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
						     "lcore", c->lcore_id, "role", role_names[c->role],
						     "index", c->index, "housekeeper", c->housekeeper,
						     "rx", (json_int_t)s.rx, "tx", (json_int_t)s.tx,
						     "drops", (json_int_t)drops_total(&s), "polls_busy",
						     (json_int_t)s.info[AW_INFO_POLLS_BUSY], "polls_idle",
						     (json_int_t)s.info[AW_INFO_POLLS_IDLE], "cycles_busy",
						     (json_int_t)s.info[AW_INFO_CYCLES_BUSY], "cycles_idle",
						     (json_int_t)s.info[AW_INFO_CYCLES_IDLE]));
	}
	return arr;
}

json_t *
aw_stats_json(const struct aw_dp *dp)
{
	struct aw_stats s;
	json_t *drops = json_object(), *info = json_object();

	aw_stats_sum(dp, &s);
	for (unsigned r = 0; r < AW_DROP__COUNT; r++)
		json_object_set_new(drops, aw_drop_name(r), json_integer((json_int_t)s.drops[r]));
	for (unsigned k = 0; k < AW_INFO__COUNT; k++)
		json_object_set_new(info, aw_info_name(k), json_integer((json_int_t)s.info[k]));
	uint64_t dt = drops_total(&s);
	/* Packets received and not yet accounted for: in rings, reorder buffers,
	 * the slow path or neighbour queues. Zero when the data plane is idle. */
	int64_t in_flight = (int64_t)(s.rx - s.tx - dt - s.consumed);
	json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:I,s:o,s:I,s:o,s:o}", "rx",
			 (json_int_t)s.rx, "tx", (json_int_t)s.tx, "consumed",
			 (json_int_t)s.consumed, "originated", (json_int_t)s.originated,
			 "rx_bytes", (json_int_t)s.rx_bytes, "tx_bytes", (json_int_t)s.tx_bytes,
			 "drops", drops, "drops_total", (json_int_t)dt, "counters", info,
			 "in_flight", (json_int_t)in_flight, "ports", ports_json(dp), "lcores",
			 lcores_json(dp));
	for (unsigned f = 0; f < AW_FEAT__COUNT; f++)
		if (dp->feat[f] != NULL)
			json_object_set_new(o, aw_features[f]->name, aw_features[f]->stats_json(dp));
	/* when the counters were read (CLOCK_MONOTONIC): rates (anyway-ctl stats -i) */
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	json_object_set_new(o, "time_ms", json_integer((json_int_t)ts.tv_sec * 1000 +
							ts.tv_nsec / 1000000));
	return o;
}

/* DPDK telemetry callbacks take no user argument in 22.11: the one data plane
 * of the process is kept here, set once before lcores start. */
static const struct aw_dp *tel_dp;

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct aw_stats s;
	struct rte_tel_data *drops = rte_tel_data_alloc();

	(void)cmd;
	(void)params;
	if (tel_dp == NULL || drops == NULL)
		return -1;
	aw_stats_sum(tel_dp, &s);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "rx", s.rx);
	rte_tel_data_add_dict_u64(d, "tx", s.tx);
	rte_tel_data_add_dict_u64(d, "consumed", s.consumed);
	rte_tel_data_add_dict_u64(d, "originated", s.originated);
	rte_tel_data_add_dict_u64(d, "drops_total", drops_total(&s));
	rte_tel_data_start_dict(drops);
	for (unsigned r = 0; r < AW_DROP__COUNT; r++)
		rte_tel_data_add_dict_u64(drops, aw_drop_name(r), s.drops[r]);
	rte_tel_data_add_dict_container(d, "drops", drops, 0);
	return 0;
}

void
aw_telemetry_register(const struct aw_dp *dp)
{
	tel_dp = dp;
	rte_telemetry_register_cmd("/anyway/stats", tel_stats,
				   "Data plane totals and drops by reason. No parameters.");
	for (unsigned f = 0; f < AW_FEAT__COUNT; f++)
		if (dp->feat[f] != NULL && aw_features[f]->telemetry_register != NULL)
			aw_features[f]->telemetry_register(dp);
}
