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

#include "aw_conn.h"
#include "aw_loop.h"
#include "mapd_state.h"

#define MAPD_MAX_LISTEN 8
#define MAPD_PING_MS 5000
#define MAPD_PART_BYTES (512u * 1024u)

struct mapd_client;
struct mapd;

struct mapd_listener {
	struct aw_handler h; /* first member */
	struct mapd *md;
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

struct mapd_client {
	struct aw_conn c; /* first member */
	struct mapd *md;
	struct mapd_client *prev, *next;
	bool hello, subscribed;
	int role; /* enum aw_role once hello */
	char name[AW_MSG_NAME_MAX + 1];
	char peer[64];
	uint64_t since_ms;
	uint64_t requests, errors;
};

#endif /* MAPD_H */
