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

#include "aw_loop.h"

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
	int reg_state;     /* the enum aw_member_state last registered; -1: none */
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

/* agent_members.c: a member id (lib/proto's rule) / an IPv4 or IPv6 address. */
bool agent_member_id_ok(const char *s);
bool agent_member_addr_ok(const char *s);
/* A "members" push validated whole: its list (a new reference) and epoch;
 * NULL with err when any part is wrong (nothing of it is to be applied). */
json_t *agent_members_parse(const json_t *o, uint64_t *epoch, char *err, size_t n);

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
/* Clean stop: the member is registered `draining` with each connected map
 * server (best effort), never deregistered: the data plane may go on serving
 * the sessions it owns, which the other instances keep redirecting to it; a
 * member whose agent does not come back expires with its ttl. */
void agent_cluster_stop(struct agent *ag);
json_t *agent_cluster_json(const struct agent *ag);
void agent_cluster_free(struct agent_cluster *c);

/* agent_birdc.c: one exchange on BIRD's control socket, on the loop. */
#define AGENT_BIRD_TIMEOUT_MS 2000 /* one exchange, connect to final reply line */
enum agent_birdc_phase { BIRDC_IDLE, BIRDC_GREETING, BIRDC_REPLY };
struct agent_birdc {
	struct aw_handler h;     /* the connection while phase != BIRDC_IDLE */
	enum agent_birdc_phase phase;
	int first_code;          /* code of the reply's first numbered line, -1: none yet */
	char cmd[96];
	char buf[1024];          /* reply bytes not yet split into lines */
	size_t len;
	uint64_t deadline_ms;
};

/* Why the VIPs are (not) announced, first failing condition (agent_bird.c). */
enum agent_health {
	AGENT_HEALTH_OK, AGENT_HEALTH_STOPPING, AGENT_HEALTH_DRAINED, AGENT_HEALTH_DP_DOWN,
	AGENT_HEALTH_NOT_SYNCED, AGENT_HEALTH_PORT_DOWN, AGENT_HEALTH__COUNT
};

/* agent_bird.c: the VIPs announced through BIRD 2 by health (see there). */
struct agent_bird {
	char sock[108];  /* --bird-socket; "" : off */
	char proto[64];  /* --bird-protocol */
	bool known, announced, stopping;
	bool sent_want;  /* what the exchange in flight sets */
	uint64_t retry_at_ms, changes, errors, restores, next_vips_ms, next_refresh_ms;
	char reason[96], sent_why[96], last_error[256];
	json_t *vips; /* the data plane's VIP addresses (vip.list), NULL: not read */
	/* ports (stats: ports[].link_up, read every second while the data plane answers) */
	uint64_t next_ports_ms;
	uint32_t ports_down;     /* ports reporting link_up false */
	char port_down[64];      /* the first of them, by name */
	struct agent_birdc x;
};

/* Start cmd (0), or -1 with err (nothing in flight then). */
int agent_birdc_start(struct agent *ag, const char *cmd, char *err, size_t errlen);
/* Fail the exchange in flight once its deadline passed. */
void agent_birdc_tick(struct agent *ag, uint64_t now);
/* Block until the exchange in flight ends (bounded by its deadline): exit only. */
void agent_birdc_wait(struct agent *ag);
/* The exchange ended: code of the final reply line (-1: failed, err says
 * why; >= 8000: BIRD refused, err is its text), first: code of the first
 * numbered reply line. */
void agent_bird_done(struct agent *ag, int code, int first, const char *err);

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
