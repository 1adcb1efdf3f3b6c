/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mapd_acl — who may do what on anyway-mapd (SPEC §7.4; control/ACL.md):
 * identities, the --acl file (mapd_aclfile.c) applied to hello roles, admin
 * ops, registrations and membership, per-identity limits (registrations per
 * second, destinations held), ownership of destinations, and refusals
 * (counted by reason, logged condensed per identity).
 *
 * An identity is the TLS peer's (aw_conn.peer_id) when there is one, else the
 * hello's name (plain --insecure connections: a trusted claim, for tests).
 * Without --acl everything is allowed as before (a warning at start); the
 * identities are still tracked for the audit trail.
 *
 * Contract: anyway-mapd's one thread. Functions that refuse reply to the
 * client themselves ({"ok":false,"error":...}) and return false.
 */
#ifndef MAPD_ACL_H
#define MAPD_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "aw_conn.h"
#include "aw_strmap.h"
#include "mapd_aclfile.h"

struct mapd;
struct mapd_client;
struct aw_msg;

#define MAPD_ACL_REASONS(X)                                                                  \
	X(ROLE, "role")           /* hello role not allowed for the identity */              \
	X(ADMIN_OP, "admin_op")   /* relay.* / gateway.* without an admin entry */           \
	X(SERVICE, "service")     /* service outside the identity's patterns */              \
	X(PREFIX, "prefix")       /* destination outside the identity's prefixes */          \
	X(OWNER, "owner")         /* destination held by another identity */                 \
	X(RATE, "rate")           /* registrations per second exceeded */                    \
	X(MAX_DESTS, "max_dests") /* destinations held at the limit */                       \
	X(MEMBER, "member")       /* member.register for another id */

enum mapd_acl_reason {
#define MAPD_ACL_R_ENUM(e, s) MAPD_ACL_R_##e,
	MAPD_ACL_REASONS(MAPD_ACL_R_ENUM)
#undef MAPD_ACL_R_ENUM
	MAPD_ACL_R__COUNT
};

struct mapd_ident {
	char id[AW_PEER_ID_MAX];
	unsigned refs;    /* connections that said hello with it */
	uint32_t held;    /* destinations registered by it, not yet gone */
	double tokens;    /* registration token bucket */
	uint64_t tok_ms;  /* last refill */
	uint64_t log_ms;  /* last refusal logged */
	uint64_t log_suppressed; /* refusals not logged since */
};

struct mapd_guard {
	bool on;              /* an ACL is in force */
	const char *path;     /* --acl */
	struct mapd_acl acl;
	struct aw_strmap idents; /* id -> struct mapd_ident * */
	uint64_t refused[MAPD_ACL_R__COUNT];
	uint64_t reloads, reload_failures;
	uint64_t log_window_ms;  /* global cap on refusal lines */
	unsigned log_lines;
	uint64_t log_dropped;    /* refusal lines not written (both caps) */
};

const char *mapd_acl_reason_name(enum mapd_acl_reason r);
/* At start, after mapd_init: load path (NULL: no ACL, warns). 0 / -1 with err. */
int mapd_acl_start(struct mapd *md, const char *path, char *err, size_t errlen);
void mapd_acl_stop(struct mapd *md);
/* SIGHUP: re-read the file; a bad one keeps the old ACL (logged). Connections
 * whose role the new ACL no longer allows are closed. */
bool mapd_acl_reload(struct mapd *md); /* false: no --acl, nothing done */

/* hello: the identity's role; false = refused (replied). */
bool mapd_acl_hello(struct mapd *md, struct mapd_client *cl, int role, const char *name);
void mapd_acl_client_gone(struct mapd *md, struct mapd_client *cl);
/* relay.* and gateway.* (but *.refused reports) need an admin identity. */
bool mapd_acl_may_op(struct mapd *md, struct mapd_client *cl, const char *op);
/* register / deregister m: rules, ownership, limits; false = refused. */
bool mapd_acl_may_register(struct mapd *md, struct mapd_client *cl, const struct aw_msg *m);
/* member.register {id}: admin, or a subscriber entry and id == the identity.
 * false with why (the caller replies; the refusal is counted and logged). */
bool mapd_acl_may_register_member(const struct mapd_client *cl, const char *id, char *why,
				  size_t whylen);
/* The identity of a client ("" before hello). */
const char *mapd_acl_identity(const struct mapd_client *cl);
/* subscriber.list "acl": {file, entries, identities (tracked: connected or
 * holding destinations), refusals{reason: n}, reloads, reload_failures,
 * log_lines_dropped}. */
json_t *mapd_acl_json(const struct mapd *md);

#endif /* MAPD_ACL_H */
