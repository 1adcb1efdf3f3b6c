/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mapd_aclfile — anyway-mapd's access control list (SPEC §7.4; format in
 * control/ACL.md): parsing a text ACL and matching identities, roles,
 * service URIs and destination addresses against it.
 *
 *   # comment
 *   admin      ops-*
 *   subscriber agent-*
 *   registrar  web-1 service asrs://shop.example/web* prefix 10.1.0.0/16 max 200
 *
 * Contract: pure functions (no I/O but mapd_acl_load's one read, no global
 * state); any thread. A parse either yields a whole ACL or nothing, with one
 * message "FILE:LINE: what is wrong".
 */
#ifndef MAPD_ACLFILE_H
#define MAPD_ACLFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aw_inet.h"

#define MAPD_ACL_MAX_BYTES (1u << 20) /* of an ACL file */
#define MAPD_ACL_IDENT_MAX 255
#define MAPD_ACL_DEF_RATE  100  /* registrations per second */
#define MAPD_ACL_DEF_MAX   1024 /* destinations held */
#define MAPD_ACL_LIMIT_MAX 1000000

enum mapd_acl_kind { MAPD_ACL_ADMIN, MAPD_ACL_SUBSCRIBER, MAPD_ACL_REGISTRAR };

struct mapd_acl_entry {
	enum mapd_acl_kind kind;
	unsigned line;
	char *ident;     /* exact, or a prefix when it ends with '*' */
	char **services; /* registrar: URI globs ('*' = any run of bytes) */
	unsigned n_services;
	struct aw_prefix *prefixes; /* registrar: network prefixes */
	unsigned n_prefixes;
	uint32_t rate;      /* registrations (and deregistrations) per second */
	uint32_t burst;     /* token bucket depth (default mapd_acl_default_burst) */
	uint32_t max_dests; /* destinations held at once */
};

struct mapd_acl {
	char *path; /* as given, for messages */
	struct mapd_acl_entry *e;
	unsigned n;
};

/* Parse text[0..len) (NUL bytes refused). 0, or -1 with "PATH:LINE: ..." in
 * err (out left empty). */
int mapd_acl_parse(const char *text, size_t len, const char *path, struct mapd_acl *out, char *err,
                   size_t errlen);
/* Read and parse path (at most MAPD_ACL_MAX_BYTES). 0 / -1 with err. */
int mapd_acl_load(const char *path, struct mapd_acl *out, char *err, size_t errlen);
void mapd_acl_free(struct mapd_acl *a);

const char *mapd_acl_kind_name(enum mapd_acl_kind k);
/* burst when not given: max(2 x rate, max_dests) (capped at 10^6). */
uint32_t mapd_acl_default_burst(uint32_t rate, uint32_t max_dests);
/* Identity pattern: equal, or a trailing '*' matching any suffix. */
bool mapd_acl_ident_match(const char *pattern, const char *id);
/* URI glob: '*' matches any run of bytes (none included); all else literal. */
bool mapd_acl_glob(const char *pattern, const char *s);
/* First entry of kind k (file order) whose identity pattern matches id. */
const struct mapd_acl_entry *mapd_acl_find(const struct mapd_acl *a, enum mapd_acl_kind k,
                                           const char *id);
/* The entry whose limits apply to id: the first matching one of any kind;
 * NULL when none (then the defaults apply). */
const struct mapd_acl_entry *mapd_acl_limits_of(const struct mapd_acl *a, const char *id);
/* May id register service at addr? admin: anything; else a registrar entry
 * matching id with a matching service pattern and a prefix holding addr.
 * 0 yes; else why written and the reason returned: MAPD_ACL_NO_ENTRY,
 * MAPD_ACL_NO_SERVICE or MAPD_ACL_NO_PREFIX. */
enum { MAPD_ACL_OK, MAPD_ACL_NO_ENTRY, MAPD_ACL_NO_SERVICE, MAPD_ACL_NO_PREFIX };
int mapd_acl_check_register(const struct mapd_acl *a, const char *id, const char *service,
                            const struct aw_addr *addr, char *why, size_t whylen);

#endif /* MAPD_ACLFILE_H */
