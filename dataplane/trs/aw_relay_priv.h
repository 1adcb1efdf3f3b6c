/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_relay_priv — the relay's instance and per-lcore state, shared by the
 * files of dataplane/trs/ (not by the core).
 *
 * Contract: struct aw_relay is built by aw_relay_create (main thread) before
 * lcores start. Lcores read its immutable fields (table pointer, port,
 * addresses, clock base) freely. `lock` serialises the control threads (API
 * thread, expiry thread, telemetry): table writes, iteration, the event log.
 * struct aw_relay_lcore belongs to one lcore.
 */
#ifndef AW_RELAY_PRIV_H
#define AW_RELAY_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_cycles.h>

#include "aw_dp.h"
#include "aw_relay_conf.h"
#include "aw_relay_table.h"

#define AW_RELAY_EVENTS 65536 /* expiry events kept for relay.expired */

enum aw_relay_expiry { AW_RELAY_EXP_BIND = 0, AW_RELAY_EXP_IDLE = 1 };

struct aw_relay_event {
	uint64_t seq;
	uint8_t path_id[16];
	uint8_t reason; /* enum aw_relay_expiry */
};

struct aw_relay {
	struct aw_dp *dp;
	struct aw_relay_table *t;
	const struct aw_relay_conf *conf;
	uint16_t port_be;
	bool has_addr[2];           /* by family: [0] IPv4, [1] IPv6 */
	struct aw_addr addr[2];
	uint64_t base_tsc;
	uint64_t tsc_hz;
	pthread_mutex_t lock;
	pthread_t reaper;
	bool reaper_started;
	volatile bool stop;
	uint32_t scan_next;
	uint64_t ev_next;           /* seq of the next event; the first is 1 */
	uint64_t expired[2];        /* by enum aw_relay_expiry */
	struct aw_relay_event *ev;  /* AW_RELAY_EVENTS, a ring by seq */
};

struct aw_relay_lcore {
	struct aw_trs_engine *eng;
	uint32_t now_s;             /* the relay clock, set at create and by every tick */
	bool ticked;                /* a tick ran (else the first burst ticks first) */
} __rte_cache_aligned;

/* The relay clock: whole seconds since aw_relay_create. */
static inline uint32_t
aw_relay_clock(const struct aw_relay *r, uint64_t tsc)
{
	return (uint32_t)((tsc - r->base_tsc) / r->tsc_hz);
}

/* Expiry pass over at most `budget` paths (expiry thread, under lock). */
unsigned aw_relay_expire_scan(struct aw_relay *r, unsigned budget);

/*
 * Installs n entries as one update (config and relay.add share it; caller
 * holds r->lock or no control thread runs yet): all paths are built first,
 * duplicates and room are checked, then all are inserted and the paths they
 * replace are freed after one grace period. On error (err: "what[i].key:
 * ...", what = "relays" or "") nothing changed. existed[i] (may be NULL):
 * entry i was already installed with the same key and suite.
 */
int aw_relay_apply(struct aw_relay *r, const struct aw_relay_entry *e, unsigned n,
		   const char *what, bool *existed, char *err, size_t errlen);

/* The stats / API view of one path. */
json_t *aw_relay_path_json(const struct aw_relay *r, const uint8_t id[16],
			   const struct aw_relay_path *p);

/* The relay table as aw_keyed_api serves it (aw_relay_api.c). */
struct aw_keyed;
extern const struct aw_keyed aw_relay_keyed;

#endif /* AW_RELAY_PRIV_H */
