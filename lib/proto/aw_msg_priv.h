/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_msg_priv — helpers shared by the aw_msg decode and encode files; not
 * installed, not for other modules.
 *
 * Field helpers take the object, a prefix ("" or "services[3].") and the
 * member name; errors read "<prefix><key>: <reason>" and are printable ASCII.
 * They return 0 when the value was stored, AW_FIELD_ABSENT when an optional
 * member is missing (out untouched), -1 with err written otherwise.
 */
#ifndef AW_MSG_PRIV_H
#define AW_MSG_PRIV_H

#include "aw_msg.h"

#include <string.h>

#include "aw_err.h"
#include "aw_sid.h"

#define AW_FIELD_ABSENT 1
#define AW_PATH_MAX 128 /* longest prefix we build: "services[65535].destinations[255]." */

#define aw_msg_fail aw_errf /* lib/common/aw_err.h */
/* Copy s into out (size n >= 1) keeping printable ASCII, '?' for the rest. */
void aw_msg_sanitize(const char *s, char *out, size_t n);
const char *aw_msg_json_type(const json_t *v);
/* Reject members of obj not in keys (NULL-terminated) nor in extra (may be NULL). */
int aw_msg_check_keys(const json_t *obj, const char *pfx, const char *const *keys,
		      const char *const *extra, char *err, size_t errlen);
/* "<pfx><key>: expected object, got <type>" unless v is an object. */
int aw_msg_want_object(const json_t *v, const char *pfx, const char *key, char *err,
		       size_t errlen);

int aw_msg_get_uint(const json_t *obj, const char *pfx, const char *key, bool required,
		    uint64_t min, uint64_t max, uint64_t *out, char *err, size_t errlen);
int aw_msg_get_u16(const json_t *obj, const char *pfx, const char *key, bool required,
		   uint16_t min, uint16_t *out, char *err, size_t errlen);
int aw_msg_get_u32(const json_t *obj, const char *pfx, const char *key, bool required,
		   uint32_t min, uint32_t max, uint32_t *out, char *err, size_t errlen);
/* String of 1..255 printable ASCII bytes into out[AW_MSG_URI_MAX + 1], zero-padded. */
int aw_msg_get_str(const json_t *obj, const char *pfx, const char *key, char *out, char *err,
		   size_t errlen);
int aw_msg_get_hex(const json_t *obj, const char *pfx, const char *key, uint8_t *out,
		   size_t nbytes, char *err, size_t errlen);
int aw_msg_get_addr(const json_t *obj, const char *pfx, const char *key, struct aw_addr *out,
		    char *err, size_t errlen);

/* aw_msg_decode.c building blocks, shared with aw_msg_gateway.c. */
/* "<path>[i]." into buf. */
void aw_msg_elem_pfx(char *buf, size_t n, const char *path, uint32_t i);
/* v must be an array of at most max entries. */
int aw_msg_want_array(const json_t *v, const char *path, size_t max, char *err, size_t errlen);
/* v must be an object with only keys (pfx ends in '.'). */
int aw_msg_want_entry(const json_t *v, const char *pfx, const char *const *keys, char *err,
		      size_t errlen);
/* Duplicate keys (keylen bytes at keyoff in each of n elements of stride
 * bytes): 0 none, 1 with *first < *dup the two indexes, -1 out of memory. */
int aw_msg_find_dup(const void *base, size_t stride, size_t keyoff, size_t keylen, uint32_t n,
		    uint32_t *first, uint32_t *dup);

/* "version" of a message into m (has_version); required or optional. */
int aw_msg_get_version(const json_t *root, bool required, struct aw_msg *m, char *err,
		       size_t errlen);

/* aw_msg_gateway.c: the gateway.* messages and snapshot gateways[]. */
int aw_msg_decode_gateway_add(const json_t *root, struct aw_msg *m, char *err, size_t errlen);
int aw_msg_decode_gateway_del(const json_t *root, struct aw_msg *m, char *err, size_t errlen);
int aw_msg_decode_snapshot_gateways(const json_t *arr, struct aw_msg_snapshot *snap, char *err,
				    size_t errlen);
/* Members after "op" / "version" of GATEWAY_ADD and GATEWAY_DEL; nonzero on error. */
int aw_msg_gateway_body_set(json_t *o, const struct aw_msg *m);

/* aw_msg_member.c: member.register / member.deregister / member.list. */
int aw_msg_decode_member(const json_t *root, struct aw_msg *m, char *err, size_t errlen);
int aw_msg_member_body_set(json_t *o, const struct aw_msg *m);

/* SID of a URI (SPEC §4.1): lib/asrs/aw_sid.h. */
#define aw_msg_sid(uri) aw_sid_from_uri((uri), strlen(uri))

/* aw_msg_fast.c: decode line if it is a well-formed service, register or
 * deregister message in the plain form; 1 decoded into out, 0 declined (out zeroed: run the general
 * decoder, which also writes the error of a malformed line). */
int aw_msg_decode_fast(const char *line, size_t len, struct aw_msg *out);

#endif /* AW_MSG_PRIV_H */
