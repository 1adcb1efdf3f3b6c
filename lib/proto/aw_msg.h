/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_msg — the messages of the control-plane line protocol (SPEC §7.1), shared
 * by anyway-mapd, anyway-registrar, anyway-agent, anyway-ctl and the data
 * plane's JSON API (relay and destination arguments, §7.3).
 *
 * Contract: no EAL, no global mutable state; every call is thread-safe on
 * distinct messages. A struct aw_msg belongs to one thread at a time. Callers:
 * the control daemons, and the data plane's API thread only (decode and encode
 * allocate; never call them on the packet path).
 *
 * aw_msg_decode() parses one line (without its '\n') and validates it whole:
 * JSON syntax, "op", types, required fields, unknown fields (rejected), ranges,
 * hex lengths, URIs, addresses, SIDs, duplicates. It either fills *out
 * completely and returns 0, or leaves *out zeroed, writes one line of printable
 * ASCII naming the field path into err ("destinations[2].port: expected integer
 * 1..65535, got 70000") and returns -1. Nothing is ever partly decoded.
 *
 * aw_msg_encode() writes compact one-line JSON (no '\n'), "op" first; the
 * caller free()s it. It does not validate: decode(encode(m)) equals m for every
 * valid m; an invalid m encodes to a line that decode rejects. It returns NULL
 * when out of memory, when m->type is unknown, or when a reply string is not
 * valid UTF-8.
 *
 * Field ranges (integers are JSON integers; reals such as 80.0 are rejected):
 *   port 1..65535; priority 0..65535 (lower is preferred, §4.3);
 *   weight 0..65535 (0 = drained: kept, but gets no new flows);
 *   ttl 1..86400 s; version 0..2^63-1;
 *   relay entries: the data plane's limits, checked by aw_msg_relay_check()
 *   (aw_msg_check.h, shared with the data plane): suite 1|2; idle_timeout_s
 *   and bind_timeout_s 1..65535 s; rate {pps, bps (bytes/s), burst (packets)}:
 *   pps 0..10^9, bps 0..10^12 (0 = that limit off, not both), burst 1..10^6;
 *   service URI and hello name: 1..255 bytes of printable ASCII (0x20..0x7e,
 *   space included, as lib/asrs aw_uri_check);
 *   gateway entries: aw_msg_gateway_check(): suite 1|2, idle_timeout_s
 *   1..86400 s, node_addr a unicast IPv4 or IPv6 address, end_key 64 hex;
 *   path_id: 32 hex digits, tunnel_key: 64 hex digits (either case on input,
 *   lower case on output); sid: 16 hex digits equal to the first 8 bytes of
 *   SHA-256(service URI) (SPEC §4.1); addr: IPv4 dotted quad or IPv6 text.
 * Duplicates are rejected: the same URI twice in a snapshot, the same path_id
 * twice in a snapshot (relays, gateways, and a gateway batch), the same
 * gateway node_addr twice in a snapshot or a batch, the same (addr, port) twice in one destination list.
 */
#ifndef AW_MSG_H
#define AW_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "aw_inet.h"
#include "aw_msg_dest.h"

#define AW_MSG_URI_MAX            255    /* bytes of a service URI */
#define AW_MSG_NAME_MAX           255    /* bytes of a hello name */
#define AW_MSG_MAX_DESTS          256    /* destinations per service */
#define AW_MSG_MAX_SERVICES       65536  /* services[] entries per snapshot */
#define AW_MSG_MAX_RELAYS         65536  /* relays[] entries per snapshot */
#define AW_MSG_MAX_GATEWAYS       65536  /* gateways[] entries per snapshot */
#define AW_MSG_GATEWAY_BATCH_MAX  10000  /* gateways[] / path_ids[] of one gateway.add/del */
#define AW_MSG_TTL_MAX            86400
#define AW_MSG_IDLE_TIMEOUT_DEFAULT 300
#define AW_MSG_BIND_TIMEOUT_DEFAULT 30
#define AW_MSG_PATH_ID_LEN        16     /* bytes; 32 hex digits on the wire */
#define AW_MSG_TUNNEL_KEY_LEN     32     /* bytes; 64 hex digits on the wire */
#define AW_MSG_ERRLEN             256    /* a good size for decode's err buffer */
#define AW_MSG_MEMBER_ID_MAX      64     /* bytes of a cluster member id */

/* Operations: enum AW_MSG_<X> and the "op" string come from this one list. */
#define AW_MSG_OPS(X)                                                                      \
	X(HELLO, "hello")                                                                  \
	X(REGISTER, "register")                                                            \
	X(DEREGISTER, "deregister")                                                        \
	X(RELAY_ADD, "relay.add")                                                          \
	X(RELAY_DEL, "relay.del")                                                          \
	X(SERVICE_LIST, "service.list")                                                    \
	X(SERVICE_GET, "service.get")                                                      \
	X(SUBSCRIBER_LIST, "subscriber.list")                                              \
	X(SNAPSHOT, "snapshot")                                                            \
	X(SERVICE, "service")                                                              \
	X(PING, "ping")                                                                    \
	X(RELAY_LIST, "relay.list")                                                        \
	X(RELAY_GET, "relay.get")                                                          \
	X(RELAY_REFUSED, "relay.refused")                                                  \
	X(GATEWAY_ADD, "gateway.add")                                                      \
	X(GATEWAY_DEL, "gateway.del")                                                      \
	X(GATEWAY_LIST, "gateway.list")                                                    \
	X(GATEWAY_GET, "gateway.get")                                                      \
	X(GATEWAY_REFUSED, "gateway.refused")                                              \
	X(MEMBER_REGISTER, "member.register")                                              \
	X(MEMBER_DEREGISTER, "member.deregister")                                          \
	X(MEMBER_LIST, "member.list")

enum aw_msg_type {
#define AW_MSG_X_ENUM(e, s) AW_MSG_##e,
	AW_MSG_OPS(AW_MSG_X_ENUM)
#undef AW_MSG_X_ENUM
	AW_MSG_REPLY, /* {"ok":true,...} or {"ok":false,"error":"..."}: no "op" */
	AW_MSG__COUNT
};

#define AW_ROLES(X)                                                                        \
	X(REGISTRAR, "registrar")                                                          \
	X(SUBSCRIBER, "subscriber")                                                        \
	X(ADMIN, "admin")

enum aw_role {
#define AW_ROLE_X_ENUM(e, s) AW_ROLE_##e,
	AW_ROLES(AW_ROLE_X_ENUM)
#undef AW_ROLE_X_ENUM
	AW_ROLE__COUNT
};

/* struct aw_msg_dest, its canonical order and equality: aw_msg_dest.h. */

struct aw_msg_hello {
	enum aw_role role;
	char name[AW_MSG_NAME_MAX + 1];
};

/* register: every field required. deregister: service, addr, port required;
 * priority and weight default to 0, ttl to 0 (= not given; omitted on output). */
struct aw_msg_reg {
	char service[AW_MSG_URI_MAX + 1];
	struct aw_addr addr;
	uint16_t port;
	uint16_t priority;
	uint16_t weight;
	uint32_t ttl;
};

/* Cluster membership (SPEC §8), aw_msg_member.c. member.register: every
 * field required; id 1..64 of A-Z a-z 0-9 . _ -; addr IPv4 or IPv6; state
 * active|draining|down; ttl 1..86400 s. member.deregister: id only (the rest
 * zero). member.list: no members. */
enum aw_member_state { AW_MEMBER_ACTIVE, AW_MEMBER_DRAINING, AW_MEMBER_DOWN, AW_MEMBER_STATE__COUNT };

struct aw_msg_member {
	char id[AW_MSG_MEMBER_ID_MAX + 1];
	struct aw_addr addr;
	enum aw_member_state state;
	uint32_t ttl;
};

struct aw_msg_rate {
	uint64_t pps;   /* packets per second, 0 = no packet limit */
	uint64_t bps;   /* bytes per second, 0 = no byte limit */
	uint64_t burst; /* bytes */
};

/* A relay entry (SPEC §5.3): relay.add, snapshot relays[], data plane relay.add. */
struct aw_msg_relay {
	uint8_t path_id[AW_MSG_PATH_ID_LEN];
	uint8_t tunnel_key[AW_MSG_TUNNEL_KEY_LEN];
	uint8_t suite;           /* 1 or 2 */
	uint32_t idle_timeout_s; /* default 300 */
	uint32_t bind_timeout_s; /* default 30 */
	bool has_rate;
	struct aw_msg_rate rate;
};

/* A gateway entry (SPEC §6): gateway.add, snapshot gateways[], data plane
 * gateway.add. Ranges: aw_msg_gateway_check() (aw_msg_check.h). */
struct aw_msg_gateway {
	uint8_t path_id[AW_MSG_PATH_ID_LEN];
	uint8_t end_key[AW_MSG_TUNNEL_KEY_LEN];
	uint8_t suite;           /* 1 or 2 */
	struct aw_addr node_addr; /* the node's virtual (inner) address */
	uint32_t idle_timeout_s; /* default 300 */
};

/* gateway.add: one entry (the members at the top level) or a batch
 * ("gateways":[...], 1..AW_MSG_GATEWAY_BATCH_MAX, no path_id nor node_addr
 * twice). */
struct aw_msg_gw_add {
	bool batch;
	uint32_t n;
	struct aw_msg_gateway *e; /* owned, n entries */
};

/* gateway.del: "path_id" or a batch "path_ids":[...] (same bounds). */
struct aw_msg_gw_del {
	bool batch;
	uint32_t n;
	uint8_t (*ids)[AW_MSG_PATH_ID_LEN]; /* owned, n entries */
};

/* relay.refused: a data plane refused a relay entry (subscriber -> map
 * server: path_id and error; map server -> the admin that added it: "by" too,
 * the subscriber's hello name). error: 1..255 printable ASCII; by optional
 * ("" = absent). */
struct aw_msg_refusal {
	uint8_t path_id[AW_MSG_PATH_ID_LEN];
	char error[AW_MSG_NAME_MAX + 1];
	char by[AW_MSG_NAME_MAX + 1];
};

/* One service and its full destination list (empty = withdrawn). */
struct aw_msg_svc {
	char service[AW_MSG_URI_MAX + 1];
	uint64_t sid;
	uint32_t n_dests;
	struct aw_msg_dest *dests; /* owned; NULL when n_dests == 0 */
};

struct aw_msg_snapshot {
	uint32_t n_services;
	struct aw_msg_svc *services; /* owned */
	uint32_t n_relays;           /* "relays" may be absent on input: 0 */
	struct aw_msg_relay *relays; /* owned */
	uint32_t n_gateways;             /* "gateways" may be absent on input: 0 */
	struct aw_msg_gateway *gateways; /* owned */
	/* "more": true when another part of the same snapshot follows. A snapshot
	 * larger than a line (SPEC §7.1: ≤ 1 MiB) is sent in parts that all carry
	 * the snapshot's version; the receiver reconciles once the part without
	 * "more" arrives, and the next push has version + 1. Optional on input
	 * (false), written only when true. */
	bool more;
};

struct aw_msg_reply {
	bool ok;
	char *error;  /* owned; ok == false only (any UTF-8) */
	json_t *data; /* owned; ok == true: the other members, NULL when none */
};

struct aw_msg {
	enum aw_msg_type type;
	/* Required (has_version true) in snapshot and service; optional in
	 * relay.add and relay.del (mapd pushes them numbered); absent elsewhere. */
	bool has_version;
	uint64_t version;
	union {
		struct aw_msg_hello hello;       /* HELLO */
		struct aw_msg_reg reg;           /* REGISTER, DEREGISTER */
		struct aw_msg_relay relay;       /* RELAY_ADD */
		uint8_t path_id[AW_MSG_PATH_ID_LEN]; /* RELAY_DEL, RELAY_GET, GATEWAY_GET */
		struct aw_msg_refusal refusal;   /* RELAY_REFUSED, GATEWAY_REFUSED */
		struct aw_msg_gw_add gw_add;     /* GATEWAY_ADD */
		struct aw_msg_gw_del gw_del;     /* GATEWAY_DEL */
		char service[AW_MSG_URI_MAX + 1]; /* SERVICE_GET */
		struct aw_msg_svc svc;           /* SERVICE */
		struct aw_msg_snapshot snapshot; /* SNAPSHOT */
		struct aw_msg_reply reply;       /* REPLY */
		struct aw_msg_member member;     /* MEMBER_REGISTER, MEMBER_DEREGISTER */
	} u;
};

/* "hello", ..., "reply"; NULL for a value outside the enum. */
const char *aw_msg_type_name(enum aw_msg_type t);
const char *aw_role_name(enum aw_role r);
/* "active", "draining", "down"; NULL outside the enum. */
const char *aw_member_state_name(enum aw_member_state s);
/* s (n bytes) is a valid member id. */
bool aw_msg_member_id_ok(const char *s, size_t n);

/* Zero m and set the type's defaults (relay timeouts; has_version for snapshot
 * and service). */
void aw_msg_init(struct aw_msg *m, enum aw_msg_type type);
/* Free what m owns and zero it. Safe on a zeroed or already freed message. */
void aw_msg_free(struct aw_msg *m);
/* Field-by-field equality (addresses, arrays in order, reply data by value). */
bool aw_msg_equal(const struct aw_msg *a, const struct aw_msg *b);
/* Same relay entry: every field, the key included. */
bool aw_msg_relay_equal(const struct aw_msg_relay *a, const struct aw_msg_relay *b);
/* Same gateway entry: every field, the key included. */
bool aw_msg_gateway_equal(const struct aw_msg_gateway *a, const struct aw_msg_gateway *b);

/* 0, or -1 with err set (see above). err may be NULL; errlen >= 128 advised. */
int aw_msg_decode(const char *line, size_t len, struct aw_msg *out, char *err, size_t errlen);
/* Same on an already parsed top-level value (not stolen). */
int aw_msg_decode_json(const json_t *root, struct aw_msg *out, char *err, size_t errlen);
/* Compact one-line JSON; caller free()s; NULL on error (see above). */
char *aw_msg_encode(const struct aw_msg *m);

/* Replies, ready to send (no '\n'); caller free()s; NULL when out of memory.
 * data: an object whose members follow "ok" (may be NULL; not stolen; must not
 * have "ok"). The error text is made printable ASCII (others become '?'). */
char *aw_msg_reply_ok(const json_t *data);
char *aw_msg_reply_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Building blocks for the data plane's JSON API (same rules and errors).
 * path names the value in errors ("" for a top-level request object).
 * extra_keys: NULL-terminated member names also allowed (e.g. "op"), or NULL. */
int aw_msg_relay_from_json(const json_t *obj, const char *path, const char *const *extra_keys,
			   struct aw_msg_relay *out, char *err, size_t errlen);
/* A gateway entry (members path_id, end_key, suite, node_addr, idle_timeout_s). */
int aw_msg_gateway_from_json(const json_t *obj, const char *path, const char *const *extra_keys,
			     struct aw_msg_gateway *out, char *err, size_t errlen);
/* A destination array; *dests is malloc()ed (NULL when empty), caller frees. */
int aw_msg_dests_from_json(const json_t *arr, const char *path, struct aw_msg_dest **dests,
			   uint32_t *n, char *err, size_t errlen);
/* A service URI string value into out (NUL-terminated, zero-padded). */
int aw_msg_uri_from_json(const json_t *v, const char *path, char out[AW_MSG_URI_MAX + 1],
			 char *err, size_t errlen);
/* New references, NULL when out of memory. Relay members carry no "op". */
json_t *aw_msg_relay_to_json(const struct aw_msg_relay *r);
/* with_key false leaves "end_key" out (listings: never show the key). */
json_t *aw_msg_gateway_to_json(const struct aw_msg_gateway *g, bool with_key);
json_t *aw_msg_dests_to_json(const struct aw_msg_dest *d, uint32_t n);

#endif /* AW_MSG_H */
