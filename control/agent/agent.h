/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * agent — anyway-agent's objects (SPEC §7.2): subscriptions to map servers,
 * each with its own view of the map; the data-plane client with the state as
 * applied; the merge that turns views into data-plane calls; the status
 * socket. One thread: everything runs on the one aw_loop.
 *
 * Merge rule: a destination is present while any synced-or-remembered map
 * server view has it (for the same addr:port the first map server given on
 * the command line wins for priority/weight); a relay likewise. Destinations
 * with weight 0 (drained) are not applied: the data plane has no drained
 * state and keeps existing sessions on their destination anyway.
 */
#ifndef AGENT_H
#define AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "aw_log.h"
#include "aw_conn.h"
#include "aw_jw.h"
#include "aw_line.h"
#include "aw_loop.h"
#include "aw_msg.h"
#include "aw_net.h"
#include "aw_strmap.h"
#include "aw_tls.h"
#include "agent_cluster.h"

#define AGENT_MAX_MAPD 16
#define AGENT_SILENCE_MS 15000   /* nothing heard for this long: reconnect (SPEC §7.1) */
#define AGENT_DP_TIMEOUT_MS 5000 /* one data-plane call */
#define AGENT_DP_PING_MS 1000
/* Replies of the local data plane may be longer than a 1 MiB request line:
 * service.list has no cursor, and 100,000 services list in about 10 MB. */
#define AGENT_DP_REPLY_MAX (64u << 20)

/* A set of services (uri -> struct agent_dests *) and relays (hex -> struct agent_relay *). */
struct agent_dests {
	uint32_t n;
	struct aw_msg_dest d[]; /* canonical order: priority, addr, port */
};
struct agent_relay {
	struct aw_msg_relay r;
	bool key_known; /* false for entries listed by the data plane (it never shows keys) */
};
struct agent_gateway {
	struct aw_msg_gateway g;
	bool key_known; /* false for entries listed by the data plane (it never shows keys) */
};
struct agent_view {
	struct aw_strmap svcs;
	struct aw_strmap relays;
	struct aw_strmap gateways; /* hex -> struct agent_gateway * */
};

void agent_view_init(struct agent_view *v);
void agent_view_clear(struct agent_view *v);
/* n == 0 removes. -1 out of memory. */
int agent_view_set_service(struct agent_view *v, const char *uri, const struct aw_msg_dest *d,
			   uint32_t n);
int agent_view_set_relay(struct agent_view *v, const struct aw_msg_relay *r, bool key_known);
/* Insert an already built entry (taken; freed on failure). */
void agent_view_put_dests(struct agent_view *v, const char *uri, struct agent_dests *e);
void agent_view_put_relay(struct agent_view *v, const char *hex, struct agent_relay *e);
void agent_view_del_relay(struct agent_view *v, const char *hex);
int agent_view_set_gateway(struct agent_view *v, const struct aw_msg_gateway *g, bool key_known);
void agent_view_put_gateway(struct agent_view *v, const char *hex, struct agent_gateway *e);
void agent_view_del_gateway(struct agent_view *v, const char *hex);
void agent_dests_sort(struct aw_msg_dest *d, uint32_t n);

enum agent_mapd_state { MAPD_IDLE, MAPD_CONNECTING, MAPD_HELLO, MAPD_SYNCED };

struct agent;
struct agent_link; /* one TCP connection to a map server */

struct agent_mapd {
	struct agent *ag;
	char name[64]; /* HOST:PORT as given */
	struct aw_sockaddr addr;
	enum agent_mapd_state state;
	struct agent_link *link;
	bool has_view;             /* view holds a complete snapshot (maybe stale) */
	struct agent_view view;
	struct agent_view pending; /* snapshot parts so far */
	bool in_snapshot;
	uint64_t version;
	/* Restart grace: when the map server is a new instance (another
	 * "instance" in the hello reply, or a version going backwards), its
	 * previous view is kept in grace and merged with the new one until
	 * grace_until_ms, so that nothing is withdrawn before the registrars
	 * re-registered; fresh entries apply at once. */
	char instance[24];      /* from the hello reply; "" when the server sends none */
	bool restarted;         /* this connection reached a new instance */
	uint64_t version_before; /* m->version when this connection started */
	uint64_t uptime_ms;     /* the server's, at hello */
	bool has_grace;
	struct agent_view grace;
	uint64_t grace_until_ms, restarts_seen;
	uint64_t last_rx_ms, connect_ms, retry_at_ms, down_since_ms;
	struct aw_backoff bo;
	uint64_t snapshots, updates, rejected, reconnects;
	char last_error[AW_MSG_ERRLEN + 80];
	struct aw_log_rep log_rep; /* connection errors, condensed */
	struct aw_log_rl log_rl;   /* what the server sends, rate-limited */
};

/* The reply to an agent_dp_send_async() request (owned by the callee), or
 * NULL when the connection was lost before it came. */
typedef void (*agent_dp_done_fn)(struct agent *ag, json_t *reply, void *arg);

/* What the data-plane transport reports upward (agent_apply.c sets them):
 * it never calls into the apply or batch code by name. */
struct agent_dp_cbs {
	/* (re)connected; ag->applied holds what the data plane lists */
	void (*connected)(struct agent *ag);
	/* a service the data plane lists with no destination (to set or delete) */
	void (*listed_empty)(struct agent *ag, const char *uri);
};

struct agent_dp {
	char path[108];
	struct agent_dp_cbs cb;
	agent_dp_done_fn pending_fn; /* the request in flight, NULL when none */
	void *pending_arg;
	struct aw_handler h; /* persistent API connection, watched for EOF */
	bool up;
	struct aw_linebuf lb;
	bool asrs, trs;      /* the data plane serves service.* / relay.* */
	bool gw;             /* ... and gateway.* */
	uint64_t retry_at_ms, next_ping_ms;
	struct aw_backoff bo;
	uint64_t calls, applies, errors, reconnects, items_applied;
	double last_apply_wall;
	char last_error[AW_MSG_ERRLEN + 80];
	struct aw_log_rl log_rl; /* refusals, rate-limited */
};

/* agent_batch.c: one batch call being built (see there). */
struct agent_batch {
	const char *op, *plural, *single; /* "service.del", "services", "service" */
	struct aw_jw w;                    /* the request line so far */
	size_t *start;                     /* offset of each item in w */
	size_t end;                        /* end of the last item (at flush) */
	char **keys;                       /* key of each item, for the applied state */
	void **vals;                       /* what each item sets (struct agent_dests /
					    * agent_relay, owned), NULL for deletes */
	size_t n, cap;
};

/* The batches of one apply round and a scratch writer for items; kept in
 * struct agent so that their buffers are reused from round to round. */
struct agent_round {
	struct agent_batch sset, sdel, radd, rdel, gadd, gdel;
	struct aw_jw item;
};

struct agent {
	struct aw_loop loop;
	char name[AW_MSG_NAME_MAX + 1];
	struct agent_mapd mapd[AGENT_MAX_MAPD];
	int n_mapd;
	struct agent_dp dp;
	struct agent_view applied; /* what the data plane has, as far as we know */
	struct aw_strmap dirty_svcs, dirty_relays, dirty_gateways;
	bool full;                 /* reconcile everything on the next apply */
	uint64_t stale_ms;         /* drop a lost map server's view after this, while another is synced */
	uint64_t restart_grace_ms; /* a restarted map server withdraws nothing for this long */
	uint64_t startup_until_ms; /* first reconcile waits for every map server's snapshot until then */
	struct aw_handler status_h;
	char status_path[108];
	bool status_has_gid; /* --status-group: the socket file's group */
	uint32_t status_gid;
	uint64_t rejected_updates;
	struct agent_round round;
	/* The one batch sent whose reply is not read yet (ag->dp.pending_fn is
	 * set meanwhile): the agent goes on decoding pushes while the data plane
	 * works on it. */
	struct agent_batch inflight;
	struct aw_tls *tls; /* to the map servers; NULL: plain TCP (--insecure) */
	struct agent_cluster cluster; /* membership (agent_cluster.c), drain */
	struct agent_bird bird;       /* announcing the VIPs (agent_bird.c) */
};

/* agent_metrics.c: the --metrics endpoint (one per process). */
int agent_metrics_open(struct agent *ag, const char *hostport, char *err, size_t errlen);
void agent_metrics_close(void);

/* agent_mapd.c */
void agent_mapd_init(struct agent_mapd *m, struct agent *ag);
void agent_mapd_tick(struct agent_mapd *m, uint64_t now);
void agent_mapd_close(struct agent_mapd *m, const char *why);
/* Report a relay (gateway: a gateway entry) the data plane refused to the map
 * servers that pushed it. */
void agent_mapd_report_refused(struct agent *ag, const char *hex, const char *error);
/* Send one line to a connected map server (closed on a write error). 0 / -1. */
int agent_mapd_send(struct agent_mapd *m, const char *line);
void agent_mapd_report_refused_gw(struct agent *ag, bool gateway, const char *hex,
				  const char *error);

/* agent_dp.c */
void agent_dp_init(struct agent_dp *dp, const char *path, const struct agent_dp_cbs *cb);
void agent_dp_tick(struct agent *ag, uint64_t now);
/* One request; *reply gets the parsed reply object. The request in flight, if
 * any, completes first (replies come in order). -1: the connection failed (it
 * is closed and marked down). */
int agent_dp_call(struct agent *ag, json_t *req, json_t **reply);
/* Same with the request line already written (no '\n'). */
int agent_dp_call_raw(struct agent *ag, const char *line, size_t len, json_t **reply);
/* Send a request and return; done(ag, reply, arg) is called when its reply
 * is read: when the socket becomes readable, or before the next request.
 * One at a time (a pending one completes first). -1: not sent (connection
 * down; done is not called). */
int agent_dp_send_async(struct agent *ag, const char *line, size_t len, agent_dp_done_fn done,
			void *arg);
/* Complete the request in flight, if any (waits for its reply, bounded). */
void agent_dp_complete(struct agent *ag);
void agent_dp_down(struct agent *ag, const char *why);
/* The reply says the data plane lacks the method or the feature ("unknown
 * method", "... is not enabled"). */
bool agent_dp_feature_missing(const json_t *reply);

/* agent_batch.c */
void agent_batch_init(struct agent_batch *b, const char *op, const char *plural,
		      const char *single);
void agent_batch_free(struct agent_batch *b);
/* item: JSON text of one entry (object, or string for the delete forms);
 * val: what it sets (owned by the batch from now on), NULL for deletes. */
void agent_batch_add(struct agent *ag, struct agent_batch *b, const char *key, const char *item,
		     size_t len, void *val);
/* Send b (after completing the batch in flight); its reply is read later. */
void agent_batch_flush(struct agent *ag, struct agent_batch *b);


/* agent_apply.c */
void agent_round_init(struct agent_round *r);
void agent_round_free(struct agent_round *r);
void agent_mark_service(struct agent *ag, const char *uri);
/* The callbacks agent_dp reports through. */
extern const struct agent_dp_cbs agent_apply_dp_cbs;
void agent_mark_relay(struct agent *ag, const char *hex);
/* Push what differs between the merged views and the applied state. */
void agent_apply(struct agent *ag);
/* After op on key succeeded: record what the data plane now has (val: as
 * given to agent_batch_add, taken). */
void agent_applied_update(struct agent *ag, const char *op, const char *key, void *val);

/* agent_gateway.c: gateway entries (SPEC §6), as relays (see there). */
void agent_mark_gateway(struct agent *ag, const char *hex);
void agent_mark_gateways(struct agent *ag, const struct agent_view *v);
/* Diff the dirty gateways into the round's gadd / gdel batches. */
void agent_gateway_diff(struct agent *ag, struct agent_round *r);
/* A snapshot's gateways[] into view v; a gateway.add / gateway.del push. */
int agent_gateway_snapshot(struct agent_view *v, const struct aw_msg_snapshot *s);
int agent_gateway_push(struct agent_mapd *m, const struct aw_msg *msg);
/* At data-plane connect: what gateway.list shows into ag->applied (sets
 * ag->dp.gw). -1: the connection failed. */
int agent_gateway_load(struct agent *ag);

/* agent_status.c */
int agent_status_open(struct agent *ag, char *err, size_t errlen);
void agent_status_close(struct agent *ag);

#endif /* AGENT_H */
