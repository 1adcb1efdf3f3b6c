/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mapd — anyway-mapd's server object: listeners, client connections by role
 * (registrar / subscriber / admin, SPEC §7.1), and the push stream to
 * subscribers. Single-threaded: everything runs on the one aw_loop.
 */
#ifndef MAPD_H
#define MAPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aw_log.h"
#include "aw_conn.h"
#include "aw_loop.h"
#include "aw_tls.h"
#include "mapd_acl.h"
#include "mapd_member.h"
#include "mapd_state.h"

#define MAPD_MAX_LISTEN 8
#define MAPD_PING_MS 5000
#define MAPD_PART_BYTES (512u * 1024u)
/* A partial line longer than this may be held for at most MAPD_PARTIAL_MS. */
#define MAPD_PARTIAL_BYTES (64u * 1024u)
#define MAPD_PARTIAL_MS 5000
#define MAPD_SCAN_MS 250 /* timeouts are checked this often */
#define MAPD_ACCEPT_PAUSE_MS 1000 /* accept pause when no fd is left */

struct mapd_client;
struct mapd;

struct mapd_listener {
	struct aw_handler h; /* first member */
	struct mapd *md;
};

/* Refusals and closes by cause (subscriber.list "limits"; control/PROTOCOL.md). */
struct mapd_counters {
	uint64_t refused_max_clients;  /* --max-clients reached */
	uint64_t refused_per_source;   /* --max-per-source reached */
	uint64_t refused_fd_limit;     /* accept hit EMFILE/ENFILE: accepted and closed */
	uint64_t accept_paused;        /* times accepting was paused (no fd left at all) */
	uint64_t closed_no_hello;      /* --hello-timeout-s */
	uint64_t closed_idle;          /* --idle-timeout-s after hello */
	uint64_t closed_partial_line;  /* partial line > 64 KiB held > 5 s */
	uint64_t closed_line_too_long; /* line > 1 MiB */
	uint64_t closed_input_budget;  /* --input-budget: oldest partial line dropped */
	uint64_t dropped_output_budget; /* --output-budget: largest queue dropped */
};

struct mapd {
	struct aw_loop loop;
	struct mapd_state st;
	struct mapd_client *clients; /* doubly linked */
	unsigned n_clients, max_clients;
	size_t sub_queue_max;    /* bytes queued for one subscriber before it is dropped */
	size_t client_queue_max; /* same for registrars and admins */
	uint64_t next_ping_ms;
	struct mapd_listener lis[MAPD_MAX_LISTEN];
	int n_lis;
	uint64_t subscribers_dropped; /* too far behind */
	uint64_t hello_timeout_ms;    /* a connection must say hello within this */
	uint64_t idle_timeout_ms;     /* then must send a line at least this often */
	unsigned max_per_source;      /* connections from one address */
	size_t in_budget, in_total;   /* bytes of input buffers, all connections */
	size_t out_budget, out_total; /* bytes of queued output, all connections */
	struct aw_strmap sources;     /* address text -> connection count (uintptr_t) */
	int reserve_fd;               /* spare fd for EMFILE, -1 when spent */
	uint64_t accept_resume_ms;    /* 0: accepting */
	struct aw_log_rl log_drop, log_refusal; /* peer-made lines, rate-limited */
	struct aw_log_rep log_fd;               /* "no file descriptor left", condensed */
	uint64_t next_scan_ms;
	struct mapd_counters cnt;
	struct aw_strmap relay_meta; /* path_id hex -> refusal and origin (mapd_refusal.c) */
	struct aw_strmap gateway_meta; /* same for gateway entries */
	uint64_t next_serial;        /* of clients */
	char instance[17];   /* random per start: subscribers see a restart */
	uint64_t started_ms;
	struct aw_tls *tls; /* NULL: plain TCP (--insecure) */
	struct mapd_guard guard; /* ACL, identities, limits (mapd_acl.c) */
	struct mapd_members members; /* cluster members (mapd_member.c) */
};

int mapd_init(struct mapd *md);
void mapd_fini(struct mapd *md);
/* Start listening on "HOST:PORT"; -1 with err. */
int mapd_listen(struct mapd *md, const char *hostport, char *err, size_t errlen);
/* Timers: registration expiry and pings. Returns ms until the next one. */
int mapd_tick(struct mapd *md, uint64_t now_ms);
/* Send line to every subscriber; drops those too far behind. */
void mapd_broadcast(struct mapd *md, const char *line);

/* mapd_ops.c: one request line from a client; replies through the client. */
void mapd_client_line(struct mapd *md, struct mapd_client *cl, const char *line, size_t len);
/* mapd_client.c helpers used by the ops */
int mapd_client_send(struct mapd_client *cl, const char *line);
int mapd_client_reply_ok(struct mapd_client *cl, json_t *data); /* data stolen, may be NULL */
int mapd_client_reply_err(struct mapd_client *cl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void mapd_client_drop(struct mapd *md, struct mapd_client *cl, const char *why);

/* mapd_limits.c: connection limits and memory budgets (see there). */
int mapd_limits_init(struct mapd *md);
void mapd_limits_fini(struct mapd *md);
/* On accept: false (counted) when the source address has max_per_source. */
bool mapd_source_admit(struct mapd *md, struct mapd_client *cl);
void mapd_source_release(struct mapd *md, struct mapd_client *cl);
/* After reading / sending on cl: update the budgets' totals. */
void mapd_account(struct mapd *md, struct mapd_client *cl);
/* Drop connections while a budget is exceeded (oldest partial line in,
 * largest queue out). */
void mapd_enforce_budgets(struct mapd *md);
/* Hello, idle and partial-line timeouts; resumes a paused accept. */
void mapd_limits_scan(struct mapd *md, uint64_t now_ms);
/* accept(2) failed with EMFILE/ENFILE on listener fd: free one slot and
 * refuse one connection, or pause accepting; never spins. */
void mapd_accept_no_fd(struct mapd *md, int lfd);
json_t *mapd_limits_json(const struct mapd *md);

/* mapd_refusal.c: relays refused further down (see there). */
void mapd_refusal_relay_added(struct mapd *md, const char *hex, uint64_t serial, bool changed);
void mapd_refusal_relay_deleted(struct mapd *md, const char *hex);
/* relay.refused from a subscriber: record, forward to the adding admin, reply. */
void mapd_refusal_report(struct mapd *md, struct mapd_client *cl, const struct aw_msg *m);
void mapd_refusal_free(struct mapd *md);
/* The same for either table (gateway: gateway entries, else relays). */
void mapd_refusal_added(struct mapd *md, bool gateway, const char *hex, uint64_t serial,
			bool changed);
void mapd_refusal_deleted(struct mapd *md, bool gateway, const char *hex);
bool mapd_refusal_refused(struct mapd *md, bool gateway, const char *hex);
/* Adds "refused" {by, error, count, age_ms} to o when one was reported. */
void mapd_refusal_set_json(struct mapd *md, bool gateway, const char *hex, json_t *o,
			   uint64_t now);

/* mapd_gateway.c: gateway.add / del / get / list (SPEC §6; see there). */
void mapd_gateway_op(struct mapd *md, struct mapd_client *cl, const struct aw_msg *m);
/* relay.get (NULL: no such relay) / relay.list replies, without tunnel keys. */
json_t *mapd_relay_get_json(struct mapd *md, const uint8_t path_id[AW_MSG_PATH_ID_LEN]);
json_t *mapd_relay_list_json(struct mapd *md);

/* mapd_metrics.c: the --metrics endpoint (one per process). */
int mapd_metrics_open(struct mapd *md, const char *hostport, char *err, size_t errlen);
void mapd_metrics_close(void);

struct mapd_client {
	struct aw_conn c; /* first member */
	struct mapd *md;
	struct mapd_client *prev, *next;
	bool hello, subscribed;
	int role; /* enum aw_role once hello */
	char name[AW_MSG_NAME_MAX + 1];
	char peer[64];
	uint64_t since_ms, serial;
	uint64_t requests, errors;
	uint64_t last_rx_ms;       /* last complete line received */
	uint64_t partial_since_ms; /* a partial line is buffered since; 0: none */
	uint32_t max_ttl_s;        /* longest ttl registered here: idle allowance */
	size_t in_acct, out_acct;  /* bytes counted in md->in_total / out_total */
	bool counted;              /* counted in md->sources under src */
	char src[48];              /* peer address without port */
	struct mapd_ident *ident;  /* from hello on (mapd_acl.c) */
};

#endif /* MAPD_H */
