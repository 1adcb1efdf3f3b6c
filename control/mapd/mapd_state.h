/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mapd_state — the map server's tables: registrations (soft state with a TTL)
 * grouped per service into destination sets, relay entries, and the version
 * counter of the push stream (SPEC §7.1).
 *
 * Contract: owned by anyway-mapd's one thread. Changing calls return whether
 * the pushed view changed; the caller then asks for the push line
 * (mapd_state_push_*), which takes the next version. Lines are malloc()ed
 * one-line JSON without '\n'; the caller frees them.
 */
#ifndef MAPD_STATE_H
#define MAPD_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "aw_msg.h"
#include "aw_strmap.h"

struct mapd_reg {
	struct aw_msg_dest d;
	uint64_t expires_ms;
	void *owner; /* who registered it (mapd_acl's identity), NULL: none */
};

struct mapd_svc {
	char uri[AW_MSG_URI_MAX + 1];
	uint64_t sid;
	uint32_t n, cap;
	struct mapd_reg *regs; /* kept sorted by (priority, addr, port) */
};

struct mapd_state {
	struct aw_strmap services; /* uri -> struct mapd_svc * */
	struct aw_strmap relays;   /* path_id hex -> struct aw_msg_relay * */
	struct aw_strmap gateways; /* path_id hex -> struct aw_msg_gateway * */
	struct aw_strmap gw_nodes; /* node_addr text -> its entry in gateways (one each) */
	uint64_t version;          /* of the last pushed message */
	uint64_t next_expiry_ms;   /* earliest registration expiry, UINT64_MAX: none */
	/* Called for each registration entering (+1) or leaving (-1) the table,
	 * after the change; expired: it left by its TTL. NULL: none. */
	void (*owner_hook)(void *arg, const char *uri, const struct mapd_reg *r, int delta,
			   bool expired);
	void *hook_arg;
};

void mapd_state_init(struct mapd_state *st);
void mapd_state_free(struct mapd_state *st);

/* register / renew. *changed: the destination set changed. -1: out of memory;
 * 1: refused, the service already has AW_MSG_MAX_DESTS destinations. */
int mapd_register(struct mapd_state *st, const struct aw_msg_reg *r, uint64_t now_ms,
		  bool *changed);
/* The same, owned by owner (a renewal keeps the old owner). */
int mapd_register_as(struct mapd_state *st, const struct aw_msg_reg *r, void *owner,
		     uint64_t now_ms, bool *changed);
/* The registration of (service, addr, port), NULL when none. */
const struct mapd_reg *mapd_find_reg(const struct mapd_state *st, const struct aw_msg_reg *r);
/* deregister: true when the destination was there. */
bool mapd_deregister(struct mapd_state *st, const struct aw_msg_reg *r);
/* Removes expired registrations; calls push(svc, arg) for each service whose
 * set changed (a service left empty is dropped right after its push). */
void mapd_expire(struct mapd_state *st, uint64_t now_ms,
		 void (*push)(const struct mapd_svc *svc, void *arg), void *arg);
/* Drop a service that has no registrations left (after its push). */
void mapd_gc_service(struct mapd_state *st, const char *uri);

/* relay.add: *changed false when the same entry is already there. */
int mapd_relay_add(struct mapd_state *st, const struct aw_msg_relay *r, bool *changed);
bool mapd_relay_del(struct mapd_state *st, const uint8_t path_id[AW_MSG_PATH_ID_LEN]);

/* gateway entries: as relays (the ops: mapd_gateway.c). The caller makes
 * sure no other entry has g's node_addr (mapd_gateway_by_node). */
int mapd_gateway_add(struct mapd_state *st, const struct aw_msg_gateway *g, bool *changed);
const struct aw_msg_gateway *mapd_gateway_by_node(const struct mapd_state *st,
						  const struct aw_addr *node);
bool mapd_gateway_del(struct mapd_state *st, const uint8_t path_id[AW_MSG_PATH_ID_LEN]);
void mapd_gateways_free(struct mapd_state *st);

/* Push lines; each takes the next version. */
char *mapd_push_service(struct mapd_state *st, const struct mapd_svc *svc);
char *mapd_push_relay_add(struct mapd_state *st, const struct aw_msg_relay *r);
char *mapd_push_relay_del(struct mapd_state *st, const uint8_t path_id[AW_MSG_PATH_ID_LEN]);

/* The snapshot at the current version, as parts of at most ~part_bytes each:
 * calls emit(line, len, arg) per part (the last one without "more"). -1 on
 * out of memory or when emit returns -1. */
int mapd_snapshot(const struct mapd_state *st, size_t part_bytes,
		  int (*emit)(const char *line, size_t len, void *arg), void *arg);

/* {service, sid, destinations} as pushed; the destination array alone. */
json_t *mapd_svc_json(const struct mapd_svc *svc);
json_t *mapd_dests_json(const struct mapd_svc *svc);
/* Queries: {service, sid, destinations[{addr, port, priority, weight, ttl_left}]}. */
json_t *mapd_service_json(const struct mapd_svc *svc, uint64_t now_ms);
json_t *mapd_services_json(const struct mapd_state *st, uint64_t now_ms);


#endif /* MAPD_STATE_H */
