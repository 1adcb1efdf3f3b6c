/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The relay instance: create / destroy, the expiry thread, the event log,
 * stats and telemetry. See aw_relay.h for who calls what; the data path is
 * in aw_relay_path.c, the API in aw_relay_api.c.
 */
#include "aw_relay.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_telemetry.h>

#include "aw_keyed_api.h"
#include "aw_relay_priv.h"

#define SCAN_PERIOD_MS 100
#define SCAN_BUDGET    65536 /* paths per pass: 1M paths are covered in ~1.6 s */

static void
log_event(struct aw_relay *r, const uint8_t id[16], enum aw_relay_expiry why)
{
	struct aw_relay_event *e = &r->ev[r->ev_next % AW_RELAY_EVENTS];

	e->seq = r->ev_next++;
	memcpy(e->path_id, id, 16);
	e->reason = (uint8_t)why;
	r->expired[why]++;
}

unsigned
aw_relay_expire_scan(struct aw_relay *r, unsigned budget)
{
	uint32_t now = aw_relay_clock(r, rte_rdtsc());
	uint8_t ids[64][16];
	uint8_t why[64];
	unsigned n = 0, done = 0;
	const uint8_t *id;
	struct aw_relay_path *p;

	while (done < budget && n < 64) {
		if (aw_relay_table_iterate(r->t, &r->scan_next, &id, &p) < 0) {
			r->scan_next = 0;
			break;
		}
		done++;
		const char *reason = aw_relay_path_expiry(p, now);
		if (reason == NULL)
			continue;
		memcpy(ids[n], id, 16);
		why[n++] = reason[0] == 'b' ? AW_RELAY_EXP_BIND : AW_RELAY_EXP_IDLE;
	}
	for (unsigned i = 0; i < n; i++)
		if (aw_relay_table_del(r->t, ids[i]))
			log_event(r, ids[i], why[i]);
	return n;
}

static void *
reaper_main(void *arg)
{
	struct aw_relay *r = arg;
	const struct timespec ts = {.tv_sec = 0, .tv_nsec = SCAN_PERIOD_MS * 1000000L};

	while (!r->stop) {
		unsigned budget = SCAN_BUDGET;
		pthread_mutex_lock(&r->lock);
		while (budget >= 64 && aw_relay_expire_scan(r, 64) == 64)
			budget -= 64; /* many expiring: keep going within the budget */
		if (budget >= 64)
			aw_relay_expire_scan(r, budget - 64);
		pthread_mutex_unlock(&r->lock);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* trs.addrs, or the ports' first address of each family; must be ours. */
static void
pick_addrs(struct aw_relay *r, const struct aw_dp *dp)
{
	const struct aw_relay_conf *rc = r->conf;

	r->has_addr[0] = rc->has_addr4;
	r->addr[0] = rc->addr4;
	r->has_addr[1] = rc->has_addr6;
	r->addr[1] = rc->addr6;
	for (unsigned f = 0; f < 2; f++) {
		if (r->has_addr[f]) {
			continue; /* checked by the config parser: ours */
		}
		for (unsigned p = 0; p < dp->n_ports && !r->has_addr[f]; p++) {
			if (f == 0 ? dp->ports[p].has_v4 : dp->ports[p].has_v6) {
				r->addr[f] = f == 0 ? dp->ports[p].addr4 : dp->ports[p].addr6;
				r->has_addr[f] = true;
			}
		}
	}
}

/*
 * Every lcore's copy of the relay clock, read now (main thread, lcores not
 * running): valid from creation. The lcore's first burst, which comes before
 * its first tick, ticks first (aw_relay_burst), so that a message handled in
 * its first loop stamps the path with the time it arrived.
 */
static void
stamp_clocks(struct aw_relay *r)
{
	uint32_t now = aw_relay_clock(r, rte_rdtsc());

	for (unsigned i = 0; i < r->dp->n_ctx; i++) {
		struct aw_relay_lcore *rl = aw_relay_lc(r->dp->ctx_list[i]);
		if (rl != NULL)
			rl->now_s = now;
	}
}

static int
lcore_init(struct aw_lcore_ctx *c, void *state, char *err, size_t errlen)
{
	struct aw_relay_lcore *rl = state;

	rl->now_s = aw_relay_clock(aw_relay_of(c->dp), rte_rdtsc());
	rl->eng = aw_trs_engine_create_best();
	if (rl->eng == NULL) {
		snprintf(err, errlen, "trs: cannot create a crypto engine");
		return -1;
	}
	return 0;
}

static void
lcore_fini(void *state)
{
	aw_trs_engine_free(((struct aw_relay_lcore *)state)->eng);
}

static int
install_config(struct aw_relay *r, char *err, size_t errlen)
{
	char e[200];

	if (aw_relay_apply(r, r->conf->relays, r->conf->n_relays, "relays", NULL, e,
			   sizeof(e)) < 0) {
		snprintf(err, errlen, "%s: %s", r->dp->cfg->path, e);
		return -1;
	}
	return 0;
}

static int tel_relays(const char *cmd, const char *params, struct rte_tel_data *d);
static struct aw_relay *tel_relay;

int
aw_relay_create(struct aw_dp *dp, char *err, size_t errlen)
{
	struct aw_relay *r;

	dp->feat[AW_FEAT_RELAY] = NULL;
	if (aw_relay_conf_of(dp->cfg) == NULL)
		return 0;
	r = rte_zmalloc("aw_relay", sizeof(*r), RTE_CACHE_LINE_SIZE);
	if (r == NULL || (r->ev = rte_zmalloc("aw_relay_ev", sizeof(*r->ev) * AW_RELAY_EVENTS,
					      0)) == NULL) {
		rte_free(r);
		snprintf(err, errlen, "trs: out of memory");
		return -1;
	}
	dp->feat[AW_FEAT_RELAY] = r;
	r->dp = dp;
	r->conf = aw_relay_conf_of(dp->cfg);
	r->port_be = rte_cpu_to_be_16(r->conf->port);
	r->tsc_hz = dp->tsc_hz;
	r->base_tsc = rte_rdtsc();
	r->ev_next = 1;
	pthread_mutex_init(&r->lock, NULL);
	r->t = aw_relay_table_create("aw_relay", r->conf->max_paths, dp->rcu, err, errlen);
	pick_addrs(r, dp);
	if (r->t == NULL ||
	    aw_feat_lcores_alloc(dp, AW_FEAT_RELAY, sizeof(struct aw_relay_lcore), "trs", lcore_init,
				 err, errlen) < 0 ||
	    install_config(r, err, errlen) < 0 ||
	    aw_feat_claim_udp(dp, r->port_be, AW_FEAT_RELAY, err, errlen) < 0)
		return -1;
	stamp_clocks(r); /* installing the config may have taken seconds */
	if (rte_ctrl_thread_create(&r->reaper, "aw-relay-exp", NULL, reaper_main, r) != 0) {
		snprintf(err, errlen, "trs: cannot start the expiry thread");
		return -1;
	}
	r->reaper_started = true;
	return 0;
}

static void
relay_telemetry_register(const struct aw_dp *dp)
{
	tel_relay = aw_relay_of(dp);
	rte_telemetry_register_cmd("/anyway/relays", tel_relays,
				   "TRS relay: path count, expiries, first paths. No parameters.");
}

void
aw_relay_destroy(struct aw_dp *dp)
{
	struct aw_relay *r = aw_relay_of(dp);

	if (r == NULL)
		return;
	if (r->reaper_started) {
		r->stop = true;
		pthread_join(r->reaper, NULL);
	}
	tel_relay = NULL;
	aw_feat_lcores_free(dp, AW_FEAT_RELAY, lcore_fini);
	aw_relay_table_free(r->t);
	pthread_mutex_destroy(&r->lock);
	rte_free(r->ev);
	rte_free(r);
	dp->feat[AW_FEAT_RELAY] = NULL;
}

void
aw_relay_tick(struct aw_lcore_ctx *c, uint64_t now_tsc)
{
	struct aw_relay_lcore *rl = aw_relay_lc(c);

	if (rl != NULL) {
		rl->now_s = aw_relay_clock(aw_relay_of(c->dp), now_tsc);
		rl->ticked = true;
	}
}

/* Every number of the section below, typed (aw_feature.h). */
const struct aw_feat_metric aw_relay_metrics[] = {
	{"port", AW_METRIC_GAUGE, NULL, "the TRS relay's UDP port"},
	{"paths", AW_METRIC_GAUGE, NULL, "relay entries in the table"},
	{"max_paths", AW_METRIC_GAUGE, NULL, "trs.max_paths"},
	{"expired", AW_METRIC_COUNTER, "reason", "relay entries expired, by timeout"},
	{"events_next", AW_METRIC_COUNTER, NULL, "sequence number of the next relay event"},
	{NULL, AW_METRIC_GAUGE, NULL, NULL},
};

json_t *
aw_relay_stats_json(const struct aw_dp *dp)
{
	struct aw_relay *r = aw_relay_of(dp);
	json_t *o;

	pthread_mutex_lock(&r->lock);
	o = json_pack("{s:i,s:I,s:I,s:{s:I,s:I},s:I}", "port", r->conf->port, "paths",
		      (json_int_t)aw_relay_table_count(r->t), "max_paths",
		      (json_int_t)r->conf->max_paths, "expired", "bind_timeout",
		      (json_int_t)r->expired[AW_RELAY_EXP_BIND], "idle_timeout",
		      (json_int_t)r->expired[AW_RELAY_EXP_IDLE], "events_next",
		      (json_int_t)r->ev_next);
	pthread_mutex_unlock(&r->lock);
	return o;
}

static int
tel_relays(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd, (void)params;
	return aw_keyed_telemetry(&aw_relay_keyed, tel_relay, d);
}

static void
relay_config_free(void *conf)
{
	aw_relay_config_free(conf);
}

static const char *const relay_keys[] = {"trs", "relays", NULL};

const struct aw_feature_ops aw_relay_ops = {
	.name = "relay",
	.config_keys = relay_keys,
	.config_parse = aw_relay_config_parse,
	.config_free = relay_config_free,
	.create = aw_relay_create,
	.destroy = aw_relay_destroy,
	.burst = aw_relay_burst,
	.tick = aw_relay_tick,
	.stats_json = aw_relay_stats_json,
	.metrics = aw_relay_metrics,
	.telemetry_register = relay_telemetry_register,
	.api_methods = aw_relay_api_methods,
	.n_api_methods = &aw_relay_n_api_methods,
};
