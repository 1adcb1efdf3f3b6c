/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * agent_cluster — the agent's half of cluster membership (SPEC §8,
 * control/PROTOCOL.md "Membership"): registers this instance with every
 * synced map server (member.register, renewed every ttl/3; member.deregister
 * at a clean stop), takes each map server's "members" pushes (validated
 * whole; an older epoch than the last one taken from that map server is
 * rejected whole), merges them and applies the result with cluster.set.
 * Contract: anyway-agent's one thread.
 */
#ifndef AGENT_CLUSTER_H
#define AGENT_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define AGENT_MEMBER_TTL_S 30
#define AGENT_MEMBER_MAX 64 /* the data plane's bound (dataplane/API.md) */
#define AGENT_CLUSTER_RETRY_MS 5000 /* a refused cluster.set is retried this often */

struct agent;
struct agent_mapd;

/* One map server's last list taken. */
struct agent_mlist {
	bool has;
	uint64_t epoch;
	json_t *members; /* array of {id, addr, state}, validated */
	uint64_t reg_conn; /* m->reconnects when last registered; 0: not yet */
	uint64_t next_reg_ms;
};

struct agent_cluster {
	bool on;            /* --instance-id given */
	char id[65];        /* --instance-id */
	char underlay[46];  /* --underlay */
	bool draining;      /* registered as draining (anyway-ctl drain) */
	bool drained;       /* draining and the sessions ended (or the timeout passed) */
	uint64_t drain_since_ms, drain_timeout_ms, next_stats_ms, drain_sessions;
	struct agent_mlist lists[16]; /* by map server (AGENT_MAX_MAPD) */
	json_t *applied;    /* members last applied with cluster.set; NULL: none */
	uint64_t applied_epoch;
	uint64_t floor_epoch; /* the data plane's epoch after a refusal: go above it */
	bool dirty;         /* the merge may differ from applied */
	uint64_t retry_at_ms;
	uint64_t dp_reconnects_seen;
	uint64_t updates, rejected, applies, apply_errors, registers_sent, refusals;
	char last_error[320];
};

/* Options; -1 with a message printed. */
int agent_cluster_set_id(struct agent_cluster *c, const char *id);
int agent_cluster_set_underlay(struct agent_cluster *c, const char *addr);
/* After the options: --instance-id and --underlay go together. */
int agent_cluster_check(const struct agent_cluster *c);
/* One line from map server m: true when it was a membership line (handled). */
bool agent_cluster_line(struct agent_mapd *m, const char *line, size_t len);
/* Timers: registration renewals, applying the merged list. */
void agent_cluster_tick(struct agent *ag, uint64_t now);
/* Register again at once (the state changed). */
void agent_cluster_reregister(struct agent *ag);
/* Clean stop: member.deregister to each connected map server (best effort). */
void agent_cluster_stop(struct agent *ag);
json_t *agent_cluster_json(const struct agent *ag);
void agent_cluster_free(struct agent_cluster *c);

/* agent_bird.c: the VIPs announced through BIRD 2 by health (see there). */
struct agent_bird {
	char sock[108];  /* --bird-socket; "" : off */
	char proto[64];  /* --bird-protocol */
	bool known, announced, stopping;
	uint64_t retry_at_ms, changes, errors, next_vips_ms;
	char reason[64], last_error[256];
	json_t *vips; /* the data plane's VIP addresses (vip.list), NULL: not read */
};

int agent_bird_set(struct agent_bird *b, const char *what, const char *v);
int agent_bird_check(const struct agent_bird *b);
void agent_bird_tick(struct agent *ag, uint64_t now);
/* Withdraw before exit (bounded). */
void agent_bird_stop(struct agent *ag);
json_t *agent_bird_json(const struct agent *ag);
struct aw_metrics;
void agent_cluster_metrics(struct aw_metrics *w, const struct agent *ag);

/* agent_drain.c: anyway-ctl drain / undrain through the status socket. */
/* op "drain" or "undrain": the reply line (malloc'd). */
char *agent_drain_op(struct agent *ag, const char *op);
void agent_drain_tick(struct agent *ag, uint64_t now);

#endif /* AGENT_CLUSTER_H */
