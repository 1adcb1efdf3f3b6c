/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mapd_member — the cluster member list (SPEC §8, control/PROTOCOL.md
 * "Membership"): member.register / member.deregister / member.list, the
 * epoch, expiry by ttl and the "members" push to subscribers.
 * Contract: anyway-mapd's one thread.
 */
#ifndef MAPD_MEMBER_H
#define MAPD_MEMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aw_msg.h"

#define MAPD_MEMBER_MAX 64      /* members in one cluster (the data plane's bound) */
#define MAPD_MEMBER_ID_MAX AW_MSG_MEMBER_ID_MAX /* bytes of a member id */
#define MAPD_MEMBER_ADDR_MAX 46 /* INET6_ADDRSTRLEN */

struct mapd_member {
	char id[MAPD_MEMBER_ID_MAX + 1];
	char addr[MAPD_MEMBER_ADDR_MAX];
	int state; /* index into the state names: active, draining, down */
	uint64_t expires_ms;
};

struct mapd_members {
	struct mapd_member m[MAPD_MEMBER_MAX];
	unsigned n;
	uint64_t epoch;          /* increases on every change of the list */
	uint64_t next_expiry_ms; /* UINT64_MAX: none */
	uint64_t registers, deregisters, expired, refused;
};

struct mapd;
struct mapd_client;

/* Seeds the epoch from the wall clock (milliseconds). */
void mapd_member_init(struct mapd_members *ms);
/* A member.register / member.deregister / member.list request, decoded and
 * validated by lib/proto, its role checked by the caller: applied, replied. */
void mapd_member_op(struct mapd *md, struct mapd_client *cl, const struct aw_msg *m);
/* Expire members past their ttl (pushes on change). */
void mapd_member_expire(struct mapd *md, uint64_t now_ms);
/* Queue the "members" push to one new subscriber (after its snapshot). */
int mapd_member_send(struct mapd *md, struct mapd_client *cl);

#endif /* MAPD_MEMBER_H */
